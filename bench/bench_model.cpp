// Inference throughput of the Att-CRNN and the CNN baseline (eval mode, batch 100,
// LibTorch intra-op threads = --threads, default 2), plus a per-stage breakdown of the
// Att-CRNN. scripts/bench-model runs this and the PyTorch peer side by side.
//
//   bench_model [--threads N] [--export DIR] [benchmark flags]
//     --export DIR   write the benchmark's weights (seeded, identical in every run) as
//                    DIR/attcrnn and DIR/cnn for bench/peers/ascnet_peer.py, then run.
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/nn/functional.h>

#include "ascnet/model/export.h"
#include "ascnet/model/inference.h"
#include "ascnet/model/networks.h"

namespace {

using namespace ascnet;

constexpr int64_t kBatch = 100;

/// The benchmark's networks: seeded weights, batch-norm statistics moved by a few
/// training-mode passes, eval mode.
NetworkPtr BenchNet(const std::string& name) {
  static std::map<std::string, NetworkPtr> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  torch::manual_seed(name == "attcrnn" ? 1 : 2);
  auto net = MakeNetwork(ArchConfig::Preset(name, 19));
  {
    torch::NoGradGuard ng;
    net->train();
    for (int i = 0; i < 2; ++i) net->forward(torch::randn({32, 2, 64, 80}) * 1.5 + 0.2);
  }
  net->eval();
  cache[name] = net;
  return net;
}

torch::Tensor BenchInput() {
  static torch::Tensor x = [] {
    torch::manual_seed(0);
    return torch::randn({kBatch, 2, 64, 80});
  }();
  return x;
}

void Infer(benchmark::State& state, const std::string& name) {
  auto net = BenchNet(name);
  const auto x = BenchInput();
  torch::InferenceMode guard;
  for (int i = 0; i < 2; ++i) net->forward(x);  // warm-up (allocator, oneDNN primitives)
  for (auto _ : state) {
    auto out = net->forward(x);
    benchmark::DoNotOptimize(out.logits.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["segments/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                    benchmark::Counter::kIsRate);
}

void InferSplit(benchmark::State& state, const std::string& name) {
  auto net = BenchNet(name);
  const auto x = BenchInput();
  auto run = [&] {
    const int64_t n = at::get_num_threads();
    std::vector<torch::Tensor> outs(n);
    const int64_t chunk = (kBatch + n - 1) / n;
    at::parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
      torch::InferenceMode g;
      for (int64_t i = b; i < e; ++i) outs[i] = net->forward(x.slice(0, i * chunk, std::min(kBatch, (i + 1) * chunk))).logits;
    });
    return torch::cat(outs);
  };
  torch::InferenceMode guard;
  for (int i = 0; i < 2; ++i) run();
  for (auto _ : state) {
    auto out = run();
    benchmark::DoNotOptimize(out.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_AttCrnn_InferSplit(benchmark::State& state) { InferSplit(state, "attcrnn"); }
void BM_Cnn_InferSplit(benchmark::State& state) { InferSplit(state, "cnn"); }
void BM_AttCrnn_Infer(benchmark::State& state) { Infer(state, "attcrnn"); }

void Engine(benchmark::State& state, const std::string& name) {
  InferenceOptions o;
  o.chunk = state.range(0);
  if (state.range(1) >= 0) {  // bit i: conv layer i+1 channels-last
    for (int i = 0; i < 3; ++i) o.channels_last.push_back((state.range(1) >> i) & 1);
  }
  o.fused_gru = state.range(2) != 0;
  InferenceEngine engine(BenchNet(name), o);
  const auto x = BenchInput();
  for (int i = 0; i < 2; ++i) engine.Forward(x);
  for (auto _ : state) {
    auto out = engine.Forward(x);
    benchmark::DoNotOptimize(out.logits.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_AttCrnn_Engine(benchmark::State& state) { Engine(state, "attcrnn"); }
void BM_Cnn_Engine(benchmark::State& state) { Engine(state, "cnn"); }
void BM_Engine_Stage_Conv(benchmark::State& state) {
  InferenceOptions o;
  if (state.range(1) >= 0) {
    for (int i = 0; i < 3; ++i) o.channels_last.push_back((state.range(1) >> i) & 1);
  }
  InferenceEngine engine(BenchNet("attcrnn"), o);
  torch::InferenceMode guard;
  const auto x = BenchInput().slice(0, 0, state.range(0)).contiguous();
  for (auto _ : state) benchmark::DoNotOptimize(engine.ConvBlockToSequence(x).data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_Cnn_Infer(benchmark::State& state) { Infer(state, "cnn"); }

// ---- Att-CRNN stage breakdown (same batch) ----------------------------------------------

void BM_AttCrnn_Stage_Conv(benchmark::State& state) {
  auto net = std::dynamic_pointer_cast<AttCrnnImpl>(BenchNet("attcrnn"));
  const auto x = BenchInput();
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(net->conv->forward(x).data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_AttCrnn_Stage_Recurrent(benchmark::State& state) {
  auto net = std::dynamic_pointer_cast<AttCrnnImpl>(BenchNet("attcrnn"));
  torch::InferenceMode guard;
  const auto c = net->conv->forward(BenchInput());
  const auto seq = c.permute({0, 3, 1, 2}).reshape({kBatch, 80, -1}).contiguous();
  for (auto _ : state) benchmark::DoNotOptimize(net->Recurrent(seq).data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_AttCrnn_Stage_Attention(benchmark::State& state) {
  auto net = std::dynamic_pointer_cast<AttCrnnImpl>(BenchNet("attcrnn"));
  torch::InferenceMode guard;
  const auto c = net->conv->forward(BenchInput());
  const auto z = net->Recurrent(c.permute({0, 3, 1, 2}).reshape({kBatch, 80, -1}));
  for (auto _ : state) benchmark::DoNotOptimize(net->Attend(z).logits.data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_AttCrnn_Stage_ConvLayer(benchmark::State& state) {
  // One conv layer alone (range(0) = layer 1..3), on the input it sees in the network.
  auto net = std::dynamic_pointer_cast<AttCrnnImpl>(BenchNet("attcrnn"));
  const int layer = static_cast<int>(state.range(0));
  namespace F = torch::nn::functional;
  torch::InferenceMode guard;
  torch::Tensor h = BenchInput();
  auto& convs = net->conv->convs();
  auto& bns = net->conv->bns();
  for (int i = 0; i < layer - 1; ++i) {
    if (i == 2) h = F::pad(h, F::PadFuncOptions({0, 1, 0, 1}));
    h = F::max_pool2d(bns[i]->forward(torch::relu(convs[i]->forward(h))), F::MaxPool2dFuncOptions({4, 1}));
  }
  if (layer == 3) h = F::pad(h, F::PadFuncOptions({0, 1, 0, 1}));
  for (auto _ : state) benchmark::DoNotOptimize(convs[layer - 1]->forward(h).data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * kBatch);
}

}  // namespace

BENCHMARK(BM_AttCrnn_Infer)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_Infer)->Unit(benchmark::kMillisecond)->UseRealTime();
// Args: {chunk, channels-last mask (-1 = default), fused GRU}.
BENCHMARK(BM_AttCrnn_Engine)->ArgsProduct({{0, 10, 25}, {0, 7}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_Engine)->ArgsProduct({{0, 10}, {0, 7}, {1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Engine_Stage_Conv)->ArgsProduct({{10}, {0, 1, 6, 7}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_InferSplit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_InferSplit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_Conv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_ConvLayer)->DenseRange(1, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_Recurrent)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_Attention)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
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
  torch::set_num_threads(threads);
  if (!export_dir.empty()) {
    ExportWeightsNpy(*BenchNet("attcrnn"), export_dir + "/attcrnn");
    ExportWeightsNpy(*BenchNet("cnn"), export_dir + "/cnn");
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
