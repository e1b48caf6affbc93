// Training-schedule flags shared by `ascnet train` and `ascnet experiment`: a preset, then
// explicit flags that override it.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "ascnet/train/options.h"

namespace ascnet::cli {

struct TrainFlags {
  std::string preset = "paper";
  int epochs = 0, batch_size = 0, threads = 0;
  int64_t steps = 0;
  double lr = 0;
  uint64_t seed = 1;
  std::string device = "cpu";
  std::string attention_scale;  ///< "" = TrainOptions::DefaultAttentionScale(preset)
  CLI::Option *o_epochs = nullptr, *o_steps = nullptr, *o_lr = nullptr, *o_batch = nullptr;

  /// Adds --preset, --epochs, --steps, --lr, --batch-size, --attention-scale, --seed,
  /// --threads, --device.
  void Add(CLI::App* app, const std::string& default_preset);
  /// The preset with the explicit flags applied (validated).
  TrainOptions Resolve() const;
  /// --attention-scale, or the preset's default (TrainOptions::DefaultAttentionScale).
  std::string AttentionScale() const;
};

}  // namespace ascnet::cli
