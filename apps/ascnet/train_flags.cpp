#include "train_flags.h"

#include <memory>

#include "ascnet/model/arch.h"

namespace ascnet::cli {
namespace {

// A flag that overrides one TrainOptions field (reached through `field`) when it is given;
// the preset's value otherwise.
template <typename T>
using Field = std::function<T&(TrainOptions&)>;

template <typename T>
void AddOverride(CLI::App* app, TrainFlags* flags, const std::string& name, const std::string& help, Field<T> field) {
  auto value = std::make_shared<T>();
  CLI::Option* opt = app->add_option(name, *value, help + " (default: the preset's)");
  flags->overrides.push_back([value, opt, field](TrainOptions& o) {
    if (opt->count()) field(o) = *value;
  });
}
template <typename T>
void AddOverride(CLI::App* app, TrainFlags* flags, const std::string& name, const std::string& help,
                 T TrainOptions::*member) {
  AddOverride<T>(app, flags, name, help, [member](TrainOptions& o) -> T& { return o.*member; });
}

// The same for an on/off flag.
void AddOnOffOverride(CLI::App* app, TrainFlags* flags, const std::string& name, const std::string& help,
                      Field<bool> field) {
  auto value = std::make_shared<std::string>();
  CLI::Option* opt = app->add_option(name, *value, help + " (default: the preset's)")->check(CLI::IsMember({"on", "off"}));
  flags->overrides.push_back([value, opt, field](TrainOptions& o) {
    if (opt->count()) field(o) = *value == "on";
  });
}

}  // namespace

void TrainFlags::Add(CLI::App* app, const std::string& default_preset) {
  preset = default_preset;
  app->add_option("--preset", preset,
                  "Recipe: default (chosen by cross-validation: 600 steps of 50, peak lr 2e-3, warm-up + cosine, "
                  "Adam, the paper's windows, Freq-MixStyle), augment (default + random crops, SpecAugment masks, "
                  "level shifts, AdamW, EMA weights, test-time windows at hop T/2 + an end window; measured below "
                  "default at 300 steps), fast (300 steps of 100, no Freq-MixStyle) or paper (Adam 1e-4 constant, "
                  "batch 100, 500 epochs)")
      ->check(CLI::IsMember(TrainOptions::PresetNames()))
      ->capture_default_str();
  o_epochs = app->add_option("--epochs", epochs, "Epochs (overrides the preset; replaces its step count)")
                 ->check(CLI::Range(1, 1000000));
  o_steps = app->add_option("--steps", steps, "Optimiser steps (overrides the preset and --epochs)")
                ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  o_lr = app->add_option("--lr", lr, "Peak learning rate (overrides the preset)");
  o_batch = app->add_option("--batch-size", batch_size, "Mixed pairs per step (overrides the preset)")
                ->check(CLI::Range(1, 100000));
  app->add_option("--attention-scale", attention_scale,
                  "Att-CRNN attention-mask scale s in x_s = sum_t tanh(s A_st Z_st): none (s = 1, the paper), "
                  "mean1 (2H*T), row1 (2H), learned (trainable, from 2H*T); default: " +
                      TrainOptions::DefaultAttentionScale("paper") + " with --preset paper, " +
                      TrainOptions::DefaultAttentionScale("default") + " with the others")
      ->check(CLI::IsMember(ArchConfig::ScaleNames()));
  app->add_option("--seed", seed, "Seed of weights, sampling, mixing and dropout")->capture_default_str();
  app->add_option("--threads", threads, "LibTorch and feature-extraction threads (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app->add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  AddOverride(app, this, "--optimizer", "adam (L2 weight decay) or adamw (decoupled)", &TrainOptions::optimizer);
  AddOverride(app, this, "--weight-decay", "Weight decay coefficient", &TrainOptions::weight_decay);
  AddOverride(app, this, "--ema-decay", "Decay of the weight average that is evaluated and saved (0 = off)",
              &TrainOptions::ema_decay);
  AddOverride(app, this, "--label-smoothing", "Label smoothing e in [0, 1)", &TrainOptions::label_smoothing);
  AddOverride<int>(app, this, "--window-hop",
                   "Frames between the starts of the fixed windows that the cache, test evaluation, classify and "
                   "stream use (80 = the paper's grid)",
                   [](TrainOptions& o) -> int& { return o.windows.hop; });
  AddOnOffOverride(app, this, "--cover-end",
                   "on: add a window aligned to the end of each recording when the windows stop short of it",
                   [](TrainOptions& o) -> bool& { return o.windows.cover_end; });
  AddOnOffOverride(app, this, "--random-crop", "on: training windows at random frame offsets",
                   [](TrainOptions& o) -> bool& { return o.random_crop; });
  AddOverride(app, this, "--time-masks", "SpecAugment time masks per training image", &TrainOptions::time_masks);
  AddOverride(app, this, "--time-mask-frames", "Widest time mask (frames)", &TrainOptions::time_mask_frames);
  AddOverride(app, this, "--freq-masks", "SpecAugment frequency masks per training image", &TrainOptions::freq_masks);
  AddOverride(app, this, "--freq-mask-bands", "Widest frequency mask (bands)", &TrainOptions::freq_mask_bands);
  AddOverride(app, this, "--level-shift-db", "Random gain per training image, uniform in +-x dB",
              &TrainOptions::level_shift_db);
  AddOverride(app, this, "--tilt-db", "Random spectral tilt per training image: lowest to highest band from -u to +u dB, "
              "u uniform in +-x", &TrainOptions::tilt_db);
  AddOverride(app, this, "--freq-shift-bands", "Random shift of each training image along the bands, uniform in +-x",
              &TrainOptions::freq_shift_bands);
  AddOverride(app, this, "--mixstyle-p",
              "Freq-MixStyle: probability per batch of mixing each image's band statistics with another's (0 = off)",
              &TrainOptions::mixstyle_p);
  AddOverride(app, this, "--mixstyle-alpha", "Freq-MixStyle: mixing weight ~ Beta(alpha, alpha)",
              &TrainOptions::mixstyle_alpha);
  AddOnOffOverride(app, this, "--balance-groups",
                   "on: draw training segments so that within a class every group (source recording) weighs the "
                   "same, with replacement",
                   [](TrainOptions& o) -> bool& { return o.balance_groups; });
  AddOverride(app, this, "--instance-norm",
              "lambda of the network's relaxed instance frequency-wise input normalisation (RFN; 0 = off)",
              &TrainOptions::instance_norm);
}

TrainOptions TrainFlags::Resolve() const {
  TrainOptions o = TrainOptions::Preset(preset);
  if (o_epochs && o_epochs->count()) {
    o.epochs = epochs;
    if (!o_steps->count()) o.steps = 0;  // explicit epochs replace the preset's step count
  }
  if (o_steps && o_steps->count()) o.steps = steps;
  if (o_lr && o_lr->count()) o.lr = lr;
  if (o_batch && o_batch->count()) o.batch_size = batch_size;
  o.seed = seed;
  o.threads = threads;
  o.device = device;
  for (const auto& apply : overrides) apply(o);
  o.Validate();
  return o;
}

}  // namespace ascnet::cli
