#include "ascnet/train/train_split.h"

#include <iostream>

#include "ascnet/core/error.h"
#include "ascnet/model/arch.h"

namespace ascnet {

TrainSplitResult TrainSplit(const TrainSplitOptions& o, const TrainHooks& hooks) {
  o.train.Validate();
  ParseDevice(o.train.device);  // fail before the (possibly long) feature extraction
  const Dataset dataset = LoadDataset(o.dataset);
  if (o.test_fold > 0) {
    const std::string name = "fold" + std::to_string(o.test_fold);
    bool found = false;
    for (const Split& s : dataset.splits) found = found || s.name == name;
    if (!found) {
      throw ConfigError("--test-fold " + std::to_string(o.test_fold) + ": dataset " + dataset.spec +
                        " has no split " + name + " (its splits: " + SplitNames(dataset) + "); use --split");
    }
  }
  const std::string selection = o.test_fold > 0 ? "fold" + std::to_string(o.test_fold) : o.split;
  const std::vector<int> chosen = SelectSplits(dataset, selection);
  if (chosen.size() != 1) {
    throw ConfigError("--split " + o.split + " selects " + std::to_string(chosen.size()) +
                      " splits; train one split per run (e.g. --split 1 or --split fold1)");
  }
  const Split& split = dataset.splits[static_cast<size_t>(chosen[0])];

  ArchConfig arch = WithRecipeArch(ArchConfig::Preset(o.arch, static_cast<int>(dataset.classes.size())),
                                             o.train, o.attention_scale);
  arch.Validate();
  const std::string scale = ArchConfig::ScaleName(arch.attention_scale);

  CacheOptions cache_options;
  cache_options.root = o.cache;
  cache_options.threads = o.train.threads;
  cache_options.progress = o.train.progress;
  const std::string line = "ascnet train: dataset " + dataset.spec + " (" + std::to_string(dataset.items.size()) +
                           " items, " + std::to_string(dataset.classes.size()) + " classes), split " + split.name +
                           ", features " + o.features + ", cache " + o.cache + ", arch " + o.arch +
                           " (attention scale " + scale + ")";
  if (hooks.print) {
    hooks.print(line);
  } else {
    std::cerr << line << std::endl;
  }
  TrainSplitResult r;
  r.split = split.name;
  const FeatureCache cache = FeatureCache::Build(dataset, o.train.Features(o.features), cache_options);
  r.failures = cache.failures();
  r.result = TrainModel(cache, dataset, split, arch, o.train, hooks);
  return r;
}

}  // namespace ascnet
