// Small bundles and audio files for inference tests.
#pragma once

#include <sndfile.h>
#include <torch/utils.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/model/bundle.h"

namespace ascnet::test {

/// A small (fast) Att-CRNN or CNN bundle with the paper's input shape and 3 classes.
inline ModelBundle SmallBundle(const std::string& arch = "attcrnn", bool calibrated = false,
                               ArchConfig::AttentionScale scale = ArchConfig::AttentionScale::kNone) {
  torch::manual_seed(3);
  ArchConfig a = ArchConfig::Preset(arch, 3);
  a.attention_scale = scale;
  a.filters = {8, 8, 16};
  a.hidden = 8;
  a.attention = 8;
  ModelBundle b = MakeBundle(a, FeatureConfig::Preset("logmel"), {"low", "mid", "high"});
  for (float& m : b.normalisation.mean) m = -8.f;
  for (float& s : b.normalisation.std) s = 4.f;
  if (calibrated) {
    // An SVM on random pooled features: enough to exercise the calibrated path.
    const int64_t n = 60, d = a.IsAttCrnn() ? 2 * a.hidden : a.filters.back();
    FloatMatrix x(n, d);
    std::vector<int> y(n);
    for (int64_t i = 0; i < n; ++i) {
      y[i] = static_cast<int>(i % 3);
      for (int64_t j = 0; j < d; ++j) x(i, j) = static_cast<float>(std::sin(0.7 * i * (j + 1)) + (j % 3 == y[i]));
    }
    Calibrator c;
    CalibrationOptions o;
    o.num_classes = 3;
    c.Fit(x, y, o);
    b.calibration = c;
  }
  return b;
}

/// Mono 16-bit WAV of a tone with a little noise, written in blocks (any length).
inline void WriteToneWav(const std::string& path, double seconds, double freq = 440, int rate = 22050) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error("cannot write " + path);
  const int64_t n = static_cast<int64_t>(seconds * rate);
  std::vector<float> block(1 << 16);
  uint32_t s = 7;
  for (int64_t i = 0; i < n;) {
    const int64_t m = std::min<int64_t>(static_cast<int64_t>(block.size()), n - i);
    for (int64_t k = 0; k < m; ++k, ++i) {
      s = s * 1664525u + 1013904223u;
      block[k] = 0.2f * static_cast<float>(std::sin(2 * M_PI * freq * i / rate)) + ((s >> 9) / 8388608.f - 0.5f) * 0.02f;
    }
    sf_writef_float(f, block.data(), m);
  }
  sf_close(f);
}

/// A tiny labelled dataset: 3 classes (tones of distinct pitch) x 3 folds x 2 clips of 4.5-6.5 s,
/// with meta.csv (filename,label,fold). Returns its spec "csv:DIR/meta.csv".
inline std::string MakeToneDataset(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "audio");
  std::ofstream csv(dir / "meta.csv");
  csv << "filename,label,fold\n";
  const std::pair<const char*, double> classes[] = {{"low", 250}, {"mid", 1000}, {"high", 4000}};
  for (const auto& [name, freq] : classes) {
    for (int fold = 1; fold <= 3; ++fold) {
      for (int k = 0; k < 2; ++k) {
        const std::string file = std::string(name) + "_" + std::to_string(fold) + "_" + std::to_string(k) + ".wav";
        WriteToneWav((dir / "audio" / file).string(), 4.0 + k + 0.5 * fold, freq * (1 + 0.03 * fold + 0.01 * k));
        csv << "audio/" << file << "," << name << "," << fold << "\n";
      }
    }
  }
  return "csv:" + (dir / "meta.csv").string();
}

}  // namespace ascnet::test
