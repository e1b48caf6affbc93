// Inference throughput of the Att-CRNN and the CNN baseline (eval mode, batch 100,
// LibTorch intra-op threads = --threads, default 2), plus a per-stage breakdown of the
// Att-CRNN. scripts/bench-model runs this and the PyTorch peer side by side.
//
//   bench_model [--threads N] [--export DIR] [benchmark flags]
//     --export DIR   write the benchmark's weights (seeded, identical in every run) as
//                    DIR/attcrnn and DIR/cnn for bench/peers/ascnet_peer.py, and exit.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <map>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/nn/functional.h>

#include "ascnet/audio/decode.h"
#include "ascnet/features/extractor.h"
#include "ascnet/infer/recognizer.h"
#include "ascnet/model/export.h"
#include "ascnet/model/inference.h"
#include "ascnet/model/networks.h"
#include "torch_bench_main.h"

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

/// Times engine.Forward on the bench input (two warm-up passes first).
void TimeEngine(benchmark::State& state, InferenceEngine& engine) {
  const auto x = BenchInput();
  for (int i = 0; i < 2; ++i) engine.Forward(x);
  for (auto _ : state) {
    auto out = engine.Forward(x);
    benchmark::DoNotOptimize(out.logits.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void Engine(benchmark::State& state, const std::string& name) {
  InferenceOptions o;
  o.chunk = state.range(0);
  if (state.range(1) >= 0) {  // bit i: conv layer i+1 channels-last
    for (int i = 0; i < 3; ++i) o.channels_last.push_back((state.range(1) >> i) & 1);
  }
  InferenceEngine engine(BenchNet(name), o);
  TimeEngine(state, engine);
}
void BM_AttCrnn_Engine(benchmark::State& state) { Engine(state, "attcrnn"); }

// The fast path with its default options (what Classifier uses on the CPU).
void Fast(benchmark::State& state, const std::string& name) {
  InferenceEngine engine(BenchNet(name));
  TimeEngine(state, engine);
  state.counters["segments/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                    benchmark::Counter::kIsRate);
}
void BM_AttCrnn_Fast(benchmark::State& state) { Fast(state, "attcrnn"); }
void BM_Cnn_Fast(benchmark::State& state) { Fast(state, "cnn"); }

// One call of the fast path on a few segments (arg = rows): the latency of a live segment,
// alone or together with a few other streams' (what `ascnet serve` batches).
void FastRows(benchmark::State& state, const std::string& name) {
  InferenceEngine engine(BenchNet(name));
  const auto x = BenchInput().slice(0, 0, state.range(0)).contiguous();
  for (int i = 0; i < 3; ++i) engine.Forward(x);
  for (auto _ : state) {
    auto out = engine.Forward(x);
    benchmark::DoNotOptimize(out.logits.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_AttCrnn_FastRows(benchmark::State& state) { FastRows(state, "attcrnn"); }

/// A 30 s, 44.1 kHz stereo 16-bit WAV (noise, tones, clicks), written once.
std::string TestRecording() {
  static const std::string path = [] {
    const std::string p = (std::filesystem::temp_directory_path() / "ascnet_bench_model_30s.wav").string();
    const int rate = 44100, ch = 2;
    const int64_t n = 30LL * rate;
    std::vector<int16_t> pcm(n * ch);
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 0.05f);
    for (int64_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / rate;
      const double v = 0.2 * std::sin(2 * M_PI * 440 * t) * (0.5 + 0.5 * std::sin(2 * M_PI * 0.3 * t)) +
                       ((i % 22050) < 200 ? 0.3 : 0.0);
      for (int c = 0; c < ch; ++c) pcm[i * ch + c] = static_cast<int16_t>(std::lround(32767 * std::clamp(v + nd(rng), -1.0, 1.0)));
    }
    std::ofstream f(p, std::ios::binary);
    auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    const uint32_t bytes = static_cast<uint32_t>(pcm.size() * 2);
    f.write("RIFF", 4); u32(36 + bytes); f.write("WAVEfmt ", 8); u32(16); u16(1); u16(ch); u32(rate);
    u32(rate * ch * 2); u16(ch * 2); u16(16); f.write("data", 4); u32(bytes);
    f.write(reinterpret_cast<const char*>(pcm.data()), bytes);
    return p;
  }();
  return path;
}

/// The front-end part of BM_Recording30s_AttCrnn alone: decode + resample + features.
void BM_Recording30s_DecodeFeatures(benchmark::State& state) {
  const std::string wav = TestRecording();
  const FeatureConfig features = FeatureConfig::Preset("logmel");
  for (auto _ : state) {
    const std::vector<float> audio = LoadAudio(wav);
    SegmentImages img = FeatureExtractor::Compute(features, audio);
    benchmark::DoNotOptimize(img.data.data());
  }
}

/// End to end for one 30 s recording as `ascnet classify` runs a file
/// (Recognizer::ClassifyFile): decode + resample, features (2-channel log-Mel), normalise +
/// Att-CRNN on its 15 segments, multiplicative fusion of the posteriors (softmax scorer).
void BM_Recording30s_AttCrnn(benchmark::State& state) {
  const std::string wav = TestRecording();
  ModelBundle bundle = MakeBundle(ArchConfig::Preset("attcrnn", 19), FeatureConfig::Preset("logmel"));
  bundle.net = BenchNet("attcrnn");
  Recognizer rec(bundle, torch::kCPU, ScoreKind::kSoftmax);
  rec.WarmUp();
  int64_t segments = 0;
  for (auto _ : state) {
    const RecordingScore r = rec.ClassifyFile(wav);
    benchmark::DoNotOptimize(r.label);
    segments = r.num_segments;
  }
  state.counters["segments"] = static_cast<double>(segments);
}
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

// The two BiGRUs alone on a few rows (arg = rows): their share of a live segment's latency.
void BM_AttCrnn_Stage_RecurrentRows(benchmark::State& state) {
  auto net = std::dynamic_pointer_cast<AttCrnnImpl>(BenchNet("attcrnn"));
  torch::InferenceMode guard;
  const int64_t rows = state.range(0);
  const auto c = net->conv->forward(BenchInput().slice(0, 0, rows).contiguous());
  const auto seq = c.permute({0, 3, 1, 2}).reshape({rows, 80, -1}).contiguous();
  for (auto _ : state) benchmark::DoNotOptimize(net->Recurrent(seq).data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * rows);
}

// The same through the inference engine (GRU kernel, per-segment input projections,
// model/gru_kernel.h), side by side with the torch::nn::GRU rows above.
void BM_Engine_Stage_RecurrentRows(benchmark::State& state) {
  auto net = std::dynamic_pointer_cast<AttCrnnImpl>(BenchNet("attcrnn"));
  InferenceEngine engine(net);
  torch::InferenceMode guard;
  const int64_t rows = state.range(0);
  const auto c = net->conv->forward(BenchInput().slice(0, 0, rows).contiguous());
  const auto seq = c.permute({0, 3, 1, 2}).reshape({rows, 80, -1}).contiguous();
  for (auto _ : state) benchmark::DoNotOptimize(engine.Recurrent(seq).data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * rows);
}

// The GRU kernel alone: one direction of one paper-size layer (H = 128, T = 80) over `arg`
// rows, input projections given.
void BM_GruKernel(benchmark::State& state) {
  const int64_t rows = state.range(0), H = 128, T = 80;
  GruRecurrentWeights w;
  w.hidden = H;
  const torch::Tensor wt = torch::randn({H, 3 * H}) * 0.1, xp = torch::randn({rows, T, 3 * H});
  w.w_t.assign(wt.data_ptr<float>(), wt.data_ptr<float>() + wt.numel());
  w.bias.assign(3 * H, 0.1f);
  torch::Tensor out = torch::empty({rows, T, H});
  for (auto _ : state) {
    GruRecurrence(w, xp.data_ptr<float>(), T * 3 * H, 3 * H, rows, T, false, out.data_ptr<float>(), T * H, H);
    benchmark::DoNotOptimize(out.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * rows * T * 2 * H * 3 * H,
                                                 benchmark::Counter::kIsRate);
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
BENCHMARK(BM_AttCrnn_Fast)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_Fast)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_FastRows)->Arg(1)->Arg(2)->Arg(3)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Recording30s_AttCrnn)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Recording30s_DecodeFeatures)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_Infer)->Unit(benchmark::kMillisecond)->UseRealTime();
// Args: {chunk, channels-last mask (-1 = default)}.
BENCHMARK(BM_AttCrnn_Engine)->ArgsProduct({{0, 10, 25, 100}, {0, 7}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_Engine)->ArgsProduct({{0, 10, 100}, {0, 7}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Engine_Stage_Conv)->ArgsProduct({{10}, {0, 1, 6, 7}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_InferSplit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Cnn_InferSplit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_Conv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_ConvLayer)->DenseRange(1, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_Recurrent)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_RecurrentRows)->Arg(1)->Arg(4)->Arg(50)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GruKernel)->Arg(1)->Arg(4)->Arg(8)->Arg(50)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Engine_Stage_RecurrentRows)->Arg(1)->Arg(4)->Arg(50)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttCrnn_Stage_Attention)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  return ascnet::bench::TorchBenchMain(argc, argv, BenchNet);
}
