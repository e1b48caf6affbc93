// One training run as `ascnet train` does it, from a dataset spec: load the dataset, pick
// the split (by name/position or the held-out fold), build the architecture preset and the
// feature cache, then TrainModel. Shared by the CLI and the Python package.
#pragma once

#include <string>
#include <vector>

#include "ascnet/data/feature_cache.h"
#include "ascnet/train/options.h"
#include "ascnet/train/trainer.h"

namespace ascnet {

struct TrainSplitOptions {
  std::string dataset;                 ///< dataset spec KIND:PATH (docs/datasets.md)
  std::string split = "1";             ///< split name (fold1) or 1-based position
  int test_fold = 0;                   ///< > 0: the split named "fold<K>" (replaces `split`)
  std::string arch = ArchConfig::KindName(ArchConfig::Kind::kAttCrnn);  ///< "attcrnn" or "cnn" (ArchConfig::Preset)
  std::string features = "logmel";     ///< feature preset
  std::string attention_scale;         ///< "" = TrainOptions::DefaultAttentionScale(train.preset)
  std::string cache = "ascnet-cache";  ///< feature cache folder
  /// Schedule, seed, device, out_dir, resume, progress...; the default recipe of `ascnet
  /// train` (and of the Python package's train()).
  TrainOptions train = TrainOptions::Preset("default");
};

struct TrainSplitResult {
  TrainResult result;
  std::string split;                   ///< name of the split trained on
  std::vector<CacheFailure> failures;  ///< dataset files that could not be decoded (skipped)
};

/// Validates the options, trains, and returns the result (bundle, log, accuracy). Lines
/// describing the run go to hooks.print (default stderr) when options.train.progress is set.
/// ConfigError for bad options or a split selection that is not exactly one split,
/// DatasetError/IoError for the dataset, and whatever TrainModel throws.
TrainSplitResult TrainSplit(const TrainSplitOptions& options, const TrainHooks& hooks = {});

}  // namespace ascnet
