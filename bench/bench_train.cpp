// Training throughput: full between-class steps (pair drawing, gathering and mixing of the
// normalised images, forward in training mode, KL loss, backward, Adam) of the Att-CRNN and
// the CNN baseline, batch 100, LibTorch intra-op threads = --threads (default 2), set up as
// TrainModel sets itself up (OpenBLAS's own pool limited to one thread, large blocks kept in
// the heap; counters: minor page faults and system time per step). scripts/bench-train
// runs this and the PyTorch peer (bench/peers/ascnet_peer.py train) side by side.
//
//   bench_train [--threads N] [--export DIR] [benchmark flags]
//     --export DIR   write the initial weights (seeded) as DIR/attcrnn and DIR/cnn for the
//                    peer, and exit.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <ATen/Parallel.h>
#include <torch/optim/adam.h>

#include "ascnet/core/allocator.h"
#include "ascnet/model/conv_tail.h"
#include "ascnet/model/dropout.h"
#include "ascnet/model/gru_train.h"
#include "ascnet/model/inference.h"
#include "ascnet/model/networks.h"
#include "ascnet/train/bc.h"
#include "ascnet/train/step.h"
#include "torch_bench_main.h"

namespace {

using namespace ascnet;

constexpr int64_t kBatch = 100;
constexpr int64_t kPool = 1000;  // training segments the batches are drawn from
constexpr int kClasses = 19;

NetworkPtr InitialNet(const std::string& name) {
  torch::manual_seed(name == "attcrnn" ? 1 : 2);
  return MakeNetwork(ArchConfig::Preset(name, kClasses));
}

/// kPool normalised "segments" and their labels (i mod 19), the same in every run.
const torch::Tensor& Pool() {
  static const torch::Tensor x = [] {
    torch::manual_seed(0);
    return torch::randn({kPool, 2, 64, 80});
  }();
  return x;
}

rusage Usage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u;
}
double Seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); }

void TrainSteps(benchmark::State& state, const std::string& name) {
  NetworkPtr net = InitialNet(name);
  net->train();
  SetConvMemoryFormat(*net, at::MemoryFormat::ChannelsLast);  // as TrainModel does
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-4));
  const torch::Tensor& pool = Pool();
  std::vector<int> labels(kPool);
  for (int64_t i = 0; i < kPool; ++i) labels[i] = static_cast<int>(i % kClasses);
  std::mt19937_64 rng(3);
  auto images = [&](const std::vector<int64_t>& pos) { return pool.index_select(0, torch::tensor(pos)); };
  auto step = [&] {
    std::vector<int64_t> first(kBatch);
    for (auto& f : first) f = UniformIndex(rng, kPool);
    const BcBatch mixed = MakeBcBatch(labels, first, rng, kClasses, images);
    return TrainStep(*net, adam, mixed.x, mixed.y).loss.item<double>();
  };
  for (int i = 0; i < 2; ++i) step();  // warm-up (allocator, oneDNN primitives, Adam state)
  const rusage before = Usage();
  for (auto _ : state) benchmark::DoNotOptimize(step());
  const rusage after = Usage();
  state.SetItemsProcessed(state.iterations() * kBatch);
  // What the kernel costs per step (the whole process; the steps are all it does).
  const double steps = static_cast<double>(state.iterations());
  state.counters["minor_faults_per_step"] = static_cast<double>(after.ru_minflt - before.ru_minflt) / steps;
  state.counters["system_ms_per_step"] = (Seconds(after.ru_stime) - Seconds(before.ru_stime)) * 1e3 / steps;
  state.counters["heap_tuned"] = KeepLargeBlocksInHeap() ? 1 : 0;
  state.counters["segments/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBatch), benchmark::Counter::kIsRate);
}
void BM_AttCrnn_TrainStep(benchmark::State& state) { TrainSteps(state, "attcrnn"); }
void BM_Cnn_TrainStep(benchmark::State& state) { TrainSteps(state, "cnn"); }

/// Where a step's time goes (Att-CRNN): forward alone, forward + backward (training mode).
void BM_AttCrnn_TrainStage(benchmark::State& state) {
  NetworkPtr net = InitialNet("attcrnn");
  net->train();
  SetConvMemoryFormat(*net, at::MemoryFormat::ChannelsLast);
  const torch::Tensor x = Pool().slice(0, 0, kBatch).contiguous(at::MemoryFormat::ChannelsLast);
  const bool backward = state.range(0) != 0;
  for (auto _ : state) {
    net->zero_grad();
    const torch::Tensor logits = net->forward(x).logits;
    if (backward) logits.logsumexp(1).mean().backward();
    benchmark::DoNotOptimize(logits.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

/// One conv layer's tail in training mode, forward + backward, on the layer's output at batch
/// 100 (range(0) = layer 1..3 of the paper-size network, channels-last as the trainer runs it):
/// range(1) = 1 the fused autograd function (model/conv_tail.h), 0 the plain ops it replaces
/// (ReLU, BatchNorm2d, max pool, Dropout).
void BM_ConvTail(benchmark::State& state) {
  namespace F = torch::nn::functional;
  const ArchConfig a = ArchConfig::Preset("attcrnn", kClasses);
  const int layer = static_cast<int>(state.range(0));
  int64_t bands = a.bands;
  for (int i = 1; i < layer; ++i) bands /= a.pool;
  const int64_t C = a.filters[layer - 1];
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(C).eps(a.batchnorm_eps).momentum(a.batchnorm_momentum));
  bn->train();
  torch::manual_seed(3);
  const auto cl = torch::MemoryFormat::ChannelsLast;
  const torch::Tensor y0 = torch::randn({kBatch, C, bands, a.frames}).contiguous(cl);
  const torch::Tensor g = torch::randn({kBatch, C, bands / a.pool, a.frames}).contiguous(cl);
  const bool fused = state.range(1) != 0;
  for (auto _ : state) {
    const torch::Tensor y = y0.detach().requires_grad_(true);
    torch::Tensor out;
    if (fused) {
      out = FusedConvTail(y, bn, a.pool, a.conv_dropout);
    } else {
      out = F::max_pool2d(bn->forward(torch::relu(y)), F::MaxPool2dFuncOptions({a.pool, 1}).stride({a.pool, 1}));
      out = Dropout(out, a.conv_dropout, true);
    }
    out.backward(g);
    benchmark::DoNotOptimize(y.grad().data_ptr<float>());
  }
}

/// One bidirectional GRU layer of the Att-CRNN in training mode, forward + backward at batch
/// 100 ([100, 80, 2H] in, H = 128): range(0) = 1 the fused autograd function
/// (model/gru_train.h), 0 torch::nn::GRU.
void BM_BiGru(benchmark::State& state) {
  const ArchConfig a = ArchConfig::Preset("attcrnn", kClasses);
  torch::manual_seed(5);
  torch::nn::GRU gru(torch::nn::GRUOptions(2 * a.hidden, a.hidden).batch_first(true).bidirectional(true));
  gru->train();
  const torch::Tensor x0 = torch::randn({kBatch, a.frames, 2 * a.hidden});
  const torch::Tensor g = torch::randn({kBatch, a.frames, 2 * a.hidden});
  const bool fused = state.range(0) != 0;
  for (auto _ : state) {
    const torch::Tensor x = x0.detach().requires_grad_(true);
    const torch::Tensor out = fused ? FusedBiGru(x, gru) : std::get<0>(gru->forward(x));
    out.backward(g);
    benchmark::DoNotOptimize(x.grad().data_ptr<float>());
  }
}

/// A dropout mask over the first conv layer's pooled output at batch 100 ([100, 64, 16, 80],
/// p = 0.25, training): range(0) = 1 ascnet's Dropout (model/dropout.h), 0 torch::dropout.
void BM_Dropout(benchmark::State& state) {
  torch::manual_seed(4);
  const torch::Tensor x = torch::randn({kBatch, 64, 16, 80});
  const bool ours = state.range(0) != 0;
  for (auto _ : state) {
    const torch::Tensor y = ours ? Dropout(x, 0.25, true) : torch::dropout(x, 0.25, true);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
}

}  // namespace

BENCHMARK(BM_ConvTail)->ArgsProduct({{1, 2, 3}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BiGru)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dropout)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_TrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_TrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_TrainStage)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  // OpenBLAS limited to one thread, as TrainModel does (TorchBenchMain applies TuneProcess:
  // ASCNET_MALLOC_DEFAULTS=1 keeps glibc's heap defaults: scripts/bench-train measures both).
  return ascnet::bench::TorchBenchMain(argc, argv, InitialNet, [] { LimitOpenBlasThreads(1); });
}
