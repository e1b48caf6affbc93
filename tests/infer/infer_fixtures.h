// Small bundles for inference tests (and, from tests/common, tone WAVs and a tone dataset).
#pragma once

#include <torch/utils.h>

#include <cmath>
#include <string>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/model/bundle.h"
#include "common/pcm_wav.h"
#include "common/tone_dataset.h"

namespace ascnet::test {

/// A small (fast) Att-CRNN or CNN bundle with the paper's input shape and 3 classes.
inline ModelBundle SmallBundle(const std::string& arch = "attcrnn", bool calibrated = false,
                               ArchConfig::AttentionScale scale = ArchConfig::AttentionScale::kNone,
                               double instance_norm = 0.0) {
  torch::manual_seed(3);
  ArchConfig a = ArchConfig::Preset(arch, 3);
  a.attention_scale = scale;
  a.instance_norm = instance_norm;
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

// The WAV writer and the tone dataset are tests/common's; named here for the tests that use
// them with the bundles above.
using testing::MakeToneDataset;  // common/tone_dataset.h
using testing::WriteToneWav;     // common/pcm_wav.h

}  // namespace ascnet::test
