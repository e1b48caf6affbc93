// `ascnet train`: between-class training of an Att-CRNN or CNN on one split of a dataset
// (thin wrapper over ascnet::TrainModel; see docs/training.md).
#include <iostream>
#include <memory>

#include "ascnet/train/train_split.h"
#include "cli_common.h"
#include "commands.h"
#include "train_flags.h"

namespace ascnet::cli {
namespace {

struct TrainArgs {
  std::string dataset, split = "1", arch = ArchConfig::KindName(ArchConfig::Kind::kAttCrnn), features = "logmel", cache = "ascnet-cache", out;
  int test_fold = 0;  ///< > 0: the split whose test part is fold K ("foldK")
  bool resume = false, no_progress = false;
  TrainFlags flags;
};

int RunTrain(const TrainArgs& a) {
  TrainSplitOptions o;
  o.train = a.flags.Resolve();
  o.train.out_dir = a.out;
  o.train.resume = a.resume;
  o.train.progress = !a.no_progress;
  o.dataset = a.dataset;
  o.split = a.split;
  o.test_fold = a.test_fold;
  o.arch = a.arch;
  o.features = a.features;
  o.attention_scale = a.flags.attention_scale;  // "" = the preset's (WithRecipeArch)
  o.cache = a.cache;
  const TrainSplitResult t = TrainSplit(o);
  for (const CacheFailure& f : t.failures) {
    PrintError("train", "skipping " + f.path + ": " + f.error);
  }
  const TrainResult& r = t.result;
  std::cerr << "ascnet train: " << r.epochs << " epochs, " << r.steps << " steps in " << r.seconds
            << " s; final test segment accuracy " << 100 * r.test_accuracy << " %" << std::endl;
  std::cout << r.bundle_path << std::endl;
  return t.failures.empty() ? 0 : 1;
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
  c->add_option("--arch", a->arch, "Network")->check(CLI::IsMember(ArchConfig::KindNames()))->capture_default_str();
  c->add_option("--features", a->features, "Feature preset")->check(CLI::IsMember({"logmel", "loggam"}))->capture_default_str();
  a->flags.Add(c, TrainSplitOptions().train.preset);
  c->add_option("--cache", a->cache, "Feature cache folder")->capture_default_str();
  c->add_option("--out", a->out, "Output folder")->required();
  c->add_flag("--resume", a->resume, "Continue the run in --out from its checkpoint (same options)");
  c->add_flag("--no-progress", a->no_progress, "No progress output on stderr");
}

}  // namespace ascnet::cli
