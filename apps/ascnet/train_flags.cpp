#include "train_flags.h"

#include "ascnet/model/arch.h"

namespace ascnet::cli {

void TrainFlags::Add(CLI::App* app, const std::string& default_preset) {
  preset = default_preset;
  app->add_option("--preset", preset,
                  "Schedule: paper (Adam 1e-4 constant, batch 100, 500 epochs) or fast (300 steps, peak lr 2e-3, "
                  "10% warm-up, cosine decay to 1%, Att-CRNN attention scale " +
                      TrainOptions::DefaultAttentionScale("fast") + ")")
      ->check(CLI::IsMember({"paper", "fast"}))
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
                      TrainOptions::DefaultAttentionScale("fast") + " with --preset fast")
      ->check(CLI::IsMember(ArchConfig::ScaleNames()));
  app->add_option("--seed", seed, "Seed of weights, sampling, mixing and dropout")->capture_default_str();
  app->add_option("--threads", threads, "LibTorch and feature-extraction threads (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app->add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
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
  o.Validate();
  return o;
}

std::string TrainFlags::AttentionScale() const {
  return attention_scale.empty() ? TrainOptions::DefaultAttentionScale(preset) : attention_scale;
}

}  // namespace ascnet::cli
