// Between-class training of an Att-CRNN / CNN on a feature cache (shared spec system.md,
// "Training"): normalisation statistics from the training segments, BC mixing, KL loss,
// Adam, an evaluation of the test split after every epoch (log.csv / log.json), an atomic
// checkpoint after every epoch, bit-for-bit resumption, and a model bundle at the end.
//
// Determinism: initial weights come from torch::manual_seed(DeriveSeed(seed, 0)); at the
// start of epoch e (0-based) both the sampling RNG (std::mt19937_64) and torch's generator
// (dropout) are reseeded from DeriveSeed(seed, 1, e) and DeriveSeed(seed, 2, e). A run
// resumed from the checkpoint of epoch e therefore ends with the same weights as an
// uninterrupted one (same device and thread count).
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/data/dataset.h"
#include "ascnet/model/arch.h"
#include "ascnet/model/bundle.h"
#include "ascnet/model/device.h"  // ParseDevice (options.device)
#include "ascnet/train/checkpoint.h"
#include "ascnet/train/options.h"
#include "ascnet/train/run_files.h"  // CheckpointPath, BundlePath, LogCsvPath, LogJsonPath
#include "ascnet/train/segments.h"

namespace ascnet {

class FeatureCache;

/// Optional callbacks of a run.
struct TrainHooks {
  /// Called after each epoch's log row and checkpoint are written; return false to stop
  /// the run there (as if it had been killed: no bundle file is written).
  std::function<bool(const EpochRecord&)> on_epoch_end;
  /// Text sink for the effective configuration and progress lines; default: stderr.
  std::function<void(const std::string&)> print;
};

struct TrainResult {
  ModelBundle bundle;         ///< trained network (CPU, eval mode), labels, normalisation, metadata
  TrainingLog log;            ///< every epoch of the run (resumed epochs included)
  double test_accuracy = 0;   ///< segment accuracy on the test split after the last epoch (NaN if none)
  int epochs = 0;             ///< epochs finished
  int64_t steps = 0;          ///< optimiser steps finished
  bool completed = false;     ///< false if a hook stopped the run early
  bool resumed = false;       ///< the run continued from a checkpoint
  double seconds = 0;         ///< wall time of this call
  std::string bundle_path;    ///< out_dir/model.ascnet when written, else ""
};

/// Trains `arch` (classes taken from dataset.classes; channels/bands/frames must match the
/// source's segment shape) on `split`'s training segments and evaluates on its test
/// segments. With options.out_dir set, writes log.csv, log.json and checkpoint.bin after
/// every epoch and model.ascnet at the end; with options.resume, continues from
/// checkpoint.bin (CheckpointError naming the file if it is corrupted or from another run).
/// Throws ConfigError for bad options or data (e.g. fewer than two training classes),
/// IoError if files cannot be written.
TrainResult TrainModel(const SegmentSource& source, const Dataset& dataset, const Split& split,
                       const ArchConfig& arch, const TrainOptions& options, const TrainHooks& hooks = {});

/// The same on a feature cache (FeatureCache::Build of `dataset`).
TrainResult TrainModel(const FeatureCache& cache, const Dataset& dataset, const Split& split,
                       const ArchConfig& arch, const TrainOptions& options, const TrainHooks& hooks = {});

}  // namespace ascnet
