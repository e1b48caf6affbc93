#include "train_flags.h"

namespace ascnet::cli {

void TrainFlags::Add(CLI::App* app, const std::string& default_preset) {
  preset = default_preset;
  app->add_option("--preset", preset,
                  "Schedule: paper (Adam 1e-4, batch 100, 500 epochs) or fast (warm-up + cosine, counted in steps)")
      ->check(CLI::IsMember({"paper", "fast"}))
      ->capture_default_str();
  o_epochs = app->add_option("--epochs", epochs, "Epochs (overrides the preset; replaces its step count)");
  o_steps = app->add_option("--steps", steps, "Optimiser steps (overrides the preset and --epochs)");
  o_lr = app->add_option("--lr", lr, "Peak learning rate (overrides the preset)");
  o_batch = app->add_option("--batch-size", batch_size, "Mixed pairs per step (overrides the preset)");
  app->add_option("--seed", seed, "Seed of weights, sampling, mixing and dropout")->capture_default_str();
  app->add_option("--threads", threads, "LibTorch and feature-extraction threads (0 = all cores)")->capture_default_str();
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

}  // namespace ascnet::cli
