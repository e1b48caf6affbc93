// Training-schedule flags shared by `ascnet train` and `ascnet experiment`: a preset, then
// explicit flags that override it.
#pragma once

#include <functional>
#include <string>
#include <vector>

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
  /// Recipe flags given on the command line, applied over the preset in Resolve.
  std::vector<std::function<void(TrainOptions&)>> overrides;

  /// Adds --preset, --epochs, --steps, --lr, --batch-size, --attention-scale, --seed,
  /// --threads, --device and the recipe flags (--optimizer, --weight-decay, --ema-decay,
  /// --label-smoothing, --window-hop, --cover-end, --random-crop, --time-masks,
  /// --time-mask-frames, --freq-masks, --freq-mask-bands, --level-shift-db), each
  /// overriding the preset only when given.
  void Add(CLI::App* app, const std::string& default_preset);
  /// The preset with the explicit flags applied (validated).
  TrainOptions Resolve() const;
};

}  // namespace ascnet::cli
