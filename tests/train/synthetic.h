// Tiny synthetic data for the training tests: 3 classes, [2, 8, 8] segments whose class
// shows as a raised band, an in-memory segment source, and a small Att-CRNN / CNN.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>

#include "ascnet/data/dataset.h"
#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/segments.h"
#include "common/temp_dir.h"  // TempDir

namespace ascnet::testing {

inline FeatureConfig TinyFeatures() {
  FeatureConfig f = FeatureConfig::Preset("logmel");
  f.filterbank.num_bands = 8;
  f.segment.frames = 8;
  f.segment.hop = 8;
  return f;
}

inline ArchConfig TinyArch(const std::string& name = "attcrnn") {
  ArchConfig a = ArchConfig::Preset(name, 3);
  a.bands = 8;
  a.frames = 8;
  a.filters = {4, 8};
  a.kernels = {3, 2};
  a.pool = 2;
  a.hidden = 6;
  a.rnn_layers = 1;
  a.attention = 5;
  return a;
}

struct TinyData {
  Dataset dataset;
  InMemorySegments source{TinyFeatures(), {2, 8, 8}};
};

/// Class c: level +c and a raised band 2c+1 (a CNN with global max pooling sees the level).
/// `per_class` train items and 2 test items per class, 2 segments each. Test segments get
/// `test_offset` added (to show they never enter the normalisation).
inline void MakeTinyData(TinyData& d, int per_class = 4, float test_offset = 0.0f, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  d.dataset.spec = "memory:tiny";
  d.dataset.kind = "memory";
  d.dataset.classes = {"a", "b", "c"};
  Split split;
  split.name = "fold1";
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < per_class + 2; ++k) {
      const bool test = k >= per_class;
      std::vector<float> data(2 * 2 * 8 * 8);
      for (int s = 0; s < 2; ++s) {
        for (int ch = 0; ch < 2; ++ch) {
          for (int m = 0; m < 8; ++m) {
            for (int t = 0; t < 8; ++t) {
              float v = -5.0f + 1.0f * c + 0.5f * noise(rng) + (m == 2 * c + 1 ? 3.0f : 0.0f) + 0.3f * ch;
              if (test) v += test_offset;
              data[((s * 2 + ch) * 8 + m) * 8 + t] = v;
            }
          }
        }
      }
      const int item = d.source.AddItem(data);
      DatasetItem it;
      it.path = "/tiny/" + std::to_string(item) + ".wav";
      it.id = std::to_string(item);
      it.label = c;
      d.dataset.items.push_back(it);
      (test ? split.test : split.train).push_back(item);
    }
  }
  d.dataset.splits.push_back(split);
}

}  // namespace ascnet::testing
