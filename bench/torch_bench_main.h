// The main() shared by the LibTorch benches (bench_model, bench_train):
//   BENCH [--threads N] [--export DIR] [Google Benchmark flags]
// sets LibTorch's intra-op threads (default 2), then either writes the bench's networks as
// DIR/attcrnn and DIR/cnn (.npy weights for bench/peers/ascnet_peer.py) plus DIR/flops.json
// (FLOPs per segment of each, forward and training) and exits, or runs
// the registered benchmarks, then BM_GemmLimit (the machine's float32 GEMM rate, the limit
// the scripts compare achieved FLOP rates with; registered last so that its OpenBLAS
// setting does not change the benchmarks before it).
#pragma once

#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "ascnet/core/blas.h"
#include "ascnet/core/tuning.h"
#include "ascnet/model/arch.h"
#include "ascnet/model/export.h"
#include "ascnet/model/inference.h"
#include "ascnet/model/networks.h"

namespace ascnet::bench {

/// Floating-point operations of one segment through `arch`: 2 per multiply-accumulate
/// (CountMacs, the layer table `ascnet info` prints); training = 3x the forward (the
/// gradients with respect to the activations and to the weights each cost about one
/// forward), the usual count.
inline double ForwardFlops(const ArchConfig& arch) { return 2.0 * static_cast<double>(CountMacs(arch)); }
inline double TrainingFlops(const ArchConfig& arch) { return 3.0 * ForwardFlops(arch); }

/// DIR/flops.json: {"attcrnn": {"forward": F, "training": T}, "cnn": {...}} for `net`'s archs.
inline void WriteFlops(const std::function<NetworkPtr(const std::string&)>& net, const std::string& dir) {
  std::ofstream out(dir + "/flops.json");
  out << "{";
  const char* sep = "";
  for (const char* name : {"attcrnn", "cnn"}) {
    const ArchConfig arch = net(name)->arch();  // a copy: the network is a temporary
    out << sep << "\"" << name << "\": {\"forward\": " << static_cast<int64_t>(ForwardFlops(arch))
        << ", \"training\": " << static_cast<int64_t>(TrainingFlops(arch))
        << "}";
    sep = ", ";
  }
  out << "}\n";
  if (!out) throw std::runtime_error("cannot write " + dir + "/flops.json");
}

/// The machine's GEMM limit: C = A B with float32 n x n matrices (n = range(0)) in the
/// fastest way this LibTorch offers on the same threads, range(1) choosing the way:
///   0  at::mm (OpenBLAS on Debian), rows of C split over the intra-op threads, OpenBLAS's
///      own pool at one thread (how ascnet runs its matrix products);
///   1  one at::mm with OpenBLAS's own pool at the intra-op thread count;
///   2  a 1x1 convolution in channels-last format (oneDNN, as the conv layers run).
/// Counter "flop" = 2 n^3 per iteration; the scripts divide it by the real time and take the
/// best way as the limit. Leaves OpenBLAS's pool at one thread.
inline void BM_GemmLimit(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int64_t way = state.range(1);
  const int threads = at::get_num_threads();
  LimitOpenBlasThreads(way == 1 ? threads : 1);
  at::manual_seed(0);
  const at::Tensor a = at::randn({n, n}), b = at::randn({n, n});
  at::Tensor c = at::empty({n, n});
  // The 1x1 convolution: n input channels at n positions (a 32 x n/32 image) -> n channels.
  const int64_t side = 32;
  const at::Tensor image = at::randn({1, n, side, n / side}).contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor weight = b.view({n, n, 1, 1}).contiguous(at::MemoryFormat::ChannelsLast);
  auto run = [&] {
    if (way == 0) {
      at::parallel_for(0, n, (n + threads - 1) / threads, [&](int64_t lo, int64_t hi) {
        at::Tensor part = c.slice(0, lo, hi);
        at::mm_out(part, a.slice(0, lo, hi), b);
      });
    } else if (way == 1) {
      at::mm_out(c, a, b);
    } else {
      c = at::conv2d(image, weight);
    }
  };
  run();  // warm-up
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(c.data_ptr<float>());
  }
  LimitOpenBlasThreads(1);
  state.counters["flop"] = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
}

/// `net(name)` gives the network exported for "attcrnn" / "cnn"; `setup` runs after the
/// thread count is set and TuneProcess() (e.g. limiting OpenBLAS's pool as the trainer does).
inline int TorchBenchMain(int argc, char** argv, const std::function<NetworkPtr(const std::string&)>& net,
                          const std::function<void()>& setup = {}) {
  int threads = 2;
  std::string export_dir;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--export") && i + 1 < argc) {
      export_dir = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  at::set_num_threads(threads);
  TuneProcess();  // as the library's entry points do: heap setting, OpenBLAS's best kernels
  if (setup) setup();
  if (!export_dir.empty()) {
    for (const char* name : {"attcrnn", "cnn"}) ExportWeightsNpy(*net(name), export_dir + "/" + name);
    WriteFlops(net, export_dir);
    return 0;
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  benchmark::AddCustomContext("openblas_core", OpenBlasCore().empty() ? "none" : OpenBlasCore());
  benchmark::RegisterBenchmark("BM_GemmLimit", BM_GemmLimit)
      ->ArgsProduct({{1024}, {0, 1, 2}})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace ascnet::bench
