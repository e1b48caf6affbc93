// `ascnet train`: between-class training of an Att-CRNN or CNN on one split of a dataset
// (thin wrapper over ascnet::TrainModel; see docs/training.md).
#include <filesystem>
#include <iostream>
#include <memory>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "ascnet/data/feature_cache.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/options.h"
#include "ascnet/train/trainer.h"
#include "cli_common.h"
#include "commands.h"

namespace ascnet::cli {
namespace {

struct TrainArgs {
  std::string dataset, split = "1", arch = "attcrnn", features = "logmel", preset = "paper";
  int epochs = 0, batch_size = 0, threads = 0;
  int64_t steps = 0;
  double lr = 0;
  std::string attention_scale, device = "cpu", cache = "ascnet-cache", out;
  uint64_t seed = 1;
  bool resume = false, no_progress = false;
  CLI::Option *o_epochs = nullptr, *o_steps = nullptr, *o_lr = nullptr, *o_batch = nullptr;
};

int RunTrain(const TrainArgs& a) {
  TrainOptions o = TrainOptions::Preset(a.preset);
  if (a.o_epochs->count()) {
    o.epochs = a.epochs;
    if (!a.o_steps->count()) o.steps = 0;  // explicit epochs replace the preset's step count
  }
  if (a.o_steps->count()) o.steps = a.steps;
  if (a.o_lr->count()) o.lr = a.lr;
  if (a.o_batch->count()) o.batch_size = a.batch_size;
  o.seed = a.seed;
  o.threads = a.threads;
  o.device = a.device;
  o.out_dir = a.out;
  o.resume = a.resume;
  o.progress = !a.no_progress;
  o.Validate();
  ParseDevice(o.device);  // fail before the (possibly long) feature extraction

  const Dataset dataset = LoadDataset(a.dataset);
  const std::vector<int> chosen = SelectSplits(dataset, a.split);
  if (chosen.size() != 1) {
    throw ConfigError("--split " + a.split + " selects " + std::to_string(chosen.size()) +
                      " splits; train one split per run (e.g. --split 1 or --split fold1)");
  }
  const Split& split = dataset.splits[chosen[0]];

  ArchConfig arch = ArchConfig::Preset(a.arch, static_cast<int>(dataset.classes.size()));
  // The fast preset rescales the Att-CRNN's attention mask (mean entry 1) unless told otherwise.
  const std::string scale = !a.attention_scale.empty() ? a.attention_scale : (a.preset == "fast" ? "mean1" : "none");
  arch.attention_scale = ArchConfig::ParseScale(scale);
  arch.Validate();

  CacheOptions cache_options;
  cache_options.root = a.cache;
  cache_options.threads = a.threads;
  cache_options.progress = !a.no_progress;
  std::cerr << "ascnet train: dataset " << dataset.spec << " (" << dataset.items.size() << " items, "
            << dataset.classes.size() << " classes), split " << split.name << ", features " << a.features
            << ", cache " << a.cache << ", arch " << a.arch << " (attention scale " << scale << ")" << std::endl;
  const FeatureCache cache = FeatureCache::Build(dataset, FeatureConfig::Preset(a.features), cache_options);
  for (const CacheFailure& f : cache.failures()) {
    PrintError("train", "skipping " + f.path + ": " + f.error);
  }

  const TrainResult r = TrainModel(cache, dataset, split, arch, o);
  std::cerr << "ascnet train: " << r.epochs << " epochs, " << r.steps << " steps in " << r.seconds
            << " s; final test segment accuracy " << 100 * r.test_accuracy << " %" << std::endl;
  std::cout << r.bundle_path << std::endl;
  return cache.failures().empty() ? 0 : 1;
}

}  // namespace

void RegisterTrain(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* c = AddCommand(
      app, "train",
      "Train an Att-CRNN or CNN with between-class learning on one split; writes OUT/model.ascnet, "
      "OUT/log.csv, OUT/log.json and OUT/checkpoint.bin (after every epoch)",
      "ascnet train --dataset csv:data/ambience/meta.csv --split fold1 --arch attcrnn --preset fast --out runs/fold1",
      [a] { return RunTrain(*a); });
  c->add_option("--dataset", a->dataset, "Dataset spec KIND:PATH (see docs/datasets.md)")->required();
  c->add_option("--split", a->split, "Split to train on: a name (fold1) or a 1-based position")->capture_default_str();
  c->add_option("--arch", a->arch, "Network")->check(CLI::IsMember({"attcrnn", "cnn"}))->capture_default_str();
  c->add_option("--features", a->features, "Feature preset")->check(CLI::IsMember({"logmel", "loggam"}))->capture_default_str();
  c->add_option("--preset", a->preset,
                "paper: Adam 1e-4 constant, batch 100, 500 epochs; fast: 300 steps, peak lr 2e-3, 10% warm-up, "
                "cosine decay, attention scale mean1")
      ->check(CLI::IsMember({"paper", "fast"}))
      ->capture_default_str();
  a->o_epochs = c->add_option("--epochs", a->epochs, "Epochs (overrides the preset; replaces its step count)")
                    ->check(CLI::Range(1, 1000000));
  a->o_steps = c->add_option("--steps", a->steps, "Optimiser steps (overrides epochs and the preset)")
                   ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  a->o_lr = c->add_option("--lr", a->lr, "Peak learning rate (overrides the preset)");
  a->o_batch = c->add_option("--batch-size", a->batch_size, "Pairs per step (overrides the preset)")
                   ->check(CLI::Range(1, 100000));
  c->add_option("--attention-scale", a->attention_scale,
                "Att-CRNN attention mask scale: none (paper), mean1 (x 2H*T), learned (default: none for paper, "
                "mean1 for fast)")
      ->check(CLI::IsMember({"none", "mean1", "learned"}));
  c->add_option("--seed", a->seed, "Seed of weights, pairs, mixing ratios and dropout")->capture_default_str();
  c->add_option("--threads", a->threads, "LibTorch and feature-extraction threads (0 = default)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  c->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  c->add_option("--cache", a->cache, "Feature cache folder")->capture_default_str();
  c->add_option("--out", a->out, "Output folder")->required();
  c->add_flag("--resume", a->resume, "Continue the run in --out from its checkpoint (same options)");
  c->add_flag("--no-progress", a->no_progress, "No progress output on stderr");
}

}  // namespace ascnet::cli
