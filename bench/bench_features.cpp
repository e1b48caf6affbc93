// Feature-extraction throughput on 30 s recordings, in seconds of audio per second
// (items_per_second = real-time factor). Run with 2 threads (one recording per thread),
// like the torchaudio peer in bench/peers/features_peer.py; scripts/bench-features runs
// both and prints the ratios.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "ascnet/features/extractor.h"

namespace {

const std::vector<float>& Recording30s() {
  static const std::vector<float> x = [] {
    std::vector<float> v(30 * 22050);
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 0.1f);
    for (size_t i = 0; i < v.size(); ++i) v[i] = nd(rng) + 0.2f * std::sin(0.07f * static_cast<float>(i));
    return v;
  }();
  return x;
}

void Run(benchmark::State& state, const char* preset, bool background) {
  ascnet::FeatureConfig cfg = ascnet::FeatureConfig::Preset(preset);
  cfg.background_channel = background;
  const auto& x = Recording30s();
  for (auto _ : state) {
    auto img = ascnet::FeatureExtractor::Compute(cfg, x);
    benchmark::DoNotOptimize(img.data.data());
  }
  state.SetItemsProcessed(state.iterations() * 30);  // seconds of audio
}

void BM_LogMel_1ch(benchmark::State& s) { Run(s, "logmel", false); }
void BM_LogMel_2ch(benchmark::State& s) { Run(s, "logmel", true); }
void BM_LogGam_2ch(benchmark::State& s) { Run(s, "loggam", true); }

}  // namespace

BENCHMARK(BM_LogMel_1ch)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogMel_2ch)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogGam_2ch)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
