// Experiment settings small enough for a test: 6 fast-preset steps of 16 pairs and tiny networks.
#pragma once

#include <filesystem>
#include <string>

#include "ascnet/experiment/experiment.h"

namespace ascnet::test {

inline ExperimentOptions SmallExperimentOptions(const std::string& dataset, const std::filesystem::path& out,
                                                const std::filesystem::path& cache, const std::string& splits) {
  ExperimentOptions o;
  o.dataset = dataset;
  o.out_dir = out.string();
  o.cache_dir = cache.string();
  o.splits = splits;
  o.train = TrainOptions::Preset("fast");
  o.train.steps = 6;
  o.train.batch_size = 16;
  o.threads = 2;
  o.progress = false;
  o.calibration.cv_folds = 3;
  for (const std::string a : {"attcrnn", "cnn"}) {
    ArchConfig c = ArchConfig::Preset(a, 3);
    c.filters = {4, 8, 8};
    c.hidden = 8;
    c.attention = 8;
    o.arch_configs[a] = c;
  }
  return o;
}

}  // namespace ascnet::test
