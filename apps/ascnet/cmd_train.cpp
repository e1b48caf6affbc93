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
#include "train_flags.h"

namespace ascnet::cli {
namespace {

struct TrainArgs {
  std::string dataset, split = "1", arch = "attcrnn", features = "logmel", cache = "ascnet-cache", out;
  int test_fold = 0;  ///< > 0: the split whose test part is fold K ("foldK")
  bool resume = false, no_progress = false;
  TrainFlags flags;
};

int RunTrain(const TrainArgs& a) {
  TrainOptions o = a.flags.Resolve();
  o.out_dir = a.out;
  o.resume = a.resume;
  o.progress = !a.no_progress;
  o.Validate();
  ParseDevice(o.device);  // fail before the (possibly long) feature extraction

  const Dataset dataset = LoadDataset(a.dataset);
  if (a.test_fold > 0) {
    const std::string name = "fold" + std::to_string(a.test_fold);
    bool found = false;
    for (const Split& s : dataset.splits) found = found || s.name == name;
    if (!found) {
      throw ConfigError("--test-fold " + std::to_string(a.test_fold) + ": dataset " + dataset.spec +
                        " has no split " + name + " (its splits: " + SplitNames(dataset) + "); use --split");
    }
  }
  const std::string selection = a.test_fold > 0 ? "fold" + std::to_string(a.test_fold) : a.split;
  const std::vector<int> chosen = SelectSplits(dataset, selection);
  if (chosen.size() != 1) {
    throw ConfigError("--split " + a.split + " selects " + std::to_string(chosen.size()) +
                      " splits; train one split per run (e.g. --split 1 or --split fold1)");
  }
  const Split& split = dataset.splits[chosen[0]];

  ArchConfig arch = ArchConfig::Preset(a.arch, static_cast<int>(dataset.classes.size()));
  // The fast preset rescales the Att-CRNN's attention mask unless told otherwise.
  const std::string scale = a.flags.AttentionScale();
  arch.attention_scale = ArchConfig::ParseScale(scale);
  arch.Validate();

  CacheOptions cache_options;
  cache_options.root = a.cache;
  cache_options.threads = a.flags.threads;
  cache_options.progress = !a.no_progress;
  std::cerr << "ascnet train: dataset " << dataset.spec << " (" << dataset.items.size() << " items, "
            << dataset.classes.size() << " classes), split " << split.name << ", features " << a.features
            << ", cache " << a.cache << ", arch " << a.arch << " (attention scale " << scale << ")" << std::endl;
  const FeatureCache cache = FeatureCache::Build(dataset, o.Features(a.features), cache_options);
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
      "ascnet train --dataset csv:../shared/data/ambience/meta.csv --split fold1 --arch attcrnn "
      "--out runs/fold1\n  (the corpus scripts/get-ambience rebuilds: --dataset csv:data/ambience/meta.csv)",
      [a] { return RunTrain(*a); });
  c->add_option("--dataset", a->dataset, "Dataset spec KIND:PATH (see docs/datasets.md)")->required();
  AddConfigOption(c);
  CLI::Option* split_opt =
      c->add_option("--split", a->split, "Split to train on: a name (fold1) or a 1-based position")->capture_default_str();
  c->add_option("--test-fold", a->test_fold, "Train on every fold but K, test on fold K (the split named foldK)")
      ->check(CLI::Range(1, 1000))
      ->excludes(split_opt);
  c->add_option("--arch", a->arch, "Network")->check(CLI::IsMember({"attcrnn", "cnn"}))->capture_default_str();
  c->add_option("--features", a->features, "Feature preset")->check(CLI::IsMember({"logmel", "loggam"}))->capture_default_str();
  a->flags.Add(c, "default");
  c->add_option("--cache", a->cache, "Feature cache folder")->capture_default_str();
  c->add_option("--out", a->out, "Output folder")->required();
  c->add_flag("--resume", a->resume, "Continue the run in --out from its checkpoint (same options)");
  c->add_flag("--no-progress", a->no_progress, "No progress output on stderr");
}

}  // namespace ascnet::cli
