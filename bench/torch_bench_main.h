// The main() shared by the LibTorch benches (bench_model, bench_train):
//   BENCH [--threads N] [--export DIR] [Google Benchmark flags]
// sets LibTorch's intra-op threads (default 2), then either writes the bench's networks as
// DIR/attcrnn and DIR/cnn (.npy weights for bench/peers/ascnet_peer.py) and exits, or runs
// the registered benchmarks.
#pragma once

#include <benchmark/benchmark.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <ATen/Parallel.h>

#include "ascnet/model/export.h"
#include "ascnet/model/networks.h"

namespace ascnet::bench {

/// `net(name)` gives the network exported for "attcrnn" / "cnn"; `setup` runs after the
/// thread count is set (e.g. limiting OpenBLAS's pool as the trainer does).
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
  if (setup) setup();
  if (!export_dir.empty()) {
    for (const char* name : {"attcrnn", "cnn"}) ExportWeightsNpy(*net(name), export_dir + "/" + name);
    return 0;
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace ascnet::bench
