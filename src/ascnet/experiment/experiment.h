// The evaluation protocol of the paper on any dataset: for every selected split and every
// (architecture, feature) pair, train (between-class, resumable), calibrate (linear SVM +
// Platt on the unmixed training segments), evaluate 2 s segments and whole recordings
// (softmax and SVM), and fuse the Mel and Gammatone systems of each architecture.
//
// The experiment folder (OUT = ExperimentOptions::out_dir) is laid out as experiment/layout.h
// describes: settings, merged results, and per split its result, run trace and systems.
// Splits are independent: run them in separate processes (--splits K) and merge.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/data/feature_cache.h"
#include "ascnet/eval/results.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/options.h"

namespace ascnet {

struct ExperimentOptions {
  std::string dataset;                                 ///< dataset spec, e.g. "csv:meta.csv"
  std::vector<std::string> archs = ArchConfig::KindNames();  ///< ArchConfig::KindName each: "attcrnn", "cnn"
  std::vector<std::string> features = {"logmel", "loggam"};  ///< feature presets
  std::string splits = "all";                          ///< SelectSplits selection
  std::string out_dir;                                 ///< experiment folder (required)
  std::string cache_dir;                               ///< feature cache; "" = OUT/cache
  TrainOptions train = TrainOptions::Preset("default");  ///< recipe (out_dir/resume set per run)
  std::string attention_scale;  ///< attcrnn mask scale; "" = TrainOptions::DefaultAttentionScale(train.preset)
  CalibrationOptions calibration;                      ///< C = 0.1, 5-fold Platt
  int threads = 2;                                     ///< feature extraction and LibTorch threads
  bool progress = true;
  /// Sink for the progress lines (the effective settings, "[experiment] ..." steps, training
  /// progress) when `progress` is set; default: stderr. Feature-cache progress bars stay on stderr.
  std::function<void(const std::string&)> print;
  /// Architecture used for an entry of `archs` instead of ArchConfig::Preset (classes and
  /// the attention scale are still set by the experiment); for small test networks.
  std::map<std::string, ArchConfig> arch_configs;

  void Validate() const;
  std::string ToString() const;
};

/// Runs (or resumes) the protocol; finished splits (result.json present) are never
/// recomputed. Returns every finished split of OUT (also those of earlier runs) and writes
/// OUT/results.json and OUT/results.md.
ExperimentResults RunExperiment(const ExperimentOptions& options);

/// The settings that decide an experiment's results, as stored in OUT/experiment.json:
/// dataset, archs, features, the recipe (`train`, with its device and threads), the
/// attention scale and the calibration. A resumed run must have the same; every job of a
/// plan (experiment/plan.h) reads them back with `--settings`.
nlohmann::json ExperimentSettingsJson(const ExperimentOptions& options);
/// Sets those fields of `options` from a settings object; ConfigError naming `source` and
/// the field that is missing or malformed.
void ApplyExperimentSettings(const nlohmann::json& settings, const std::string& source, ExperimentOptions* options);
/// Reads an experiment.json and applies it (ApplyExperimentSettings); FormatError naming the
/// file if it is not JSON, IoError if it cannot be read.
void LoadExperimentSettings(const std::string& path, ExperimentOptions* options);
/// Creates OUT and writes OUT/experiment.json, or checks that the one there holds the same
/// settings (ConfigError naming the settings that differ).
void PrepareExperimentFolder(const ExperimentOptions& options);
/// The feature-cache options of an experiment: root cache_dir (or OUT/cache), its threads
/// and progress.
CacheOptions ExperimentCacheOptions(const ExperimentOptions& options);
/// Where this process runs, for OUT/splits/<split>/runs.json: host, pid, the Slurm job,
/// array job and task ids and restart count (when under Slurm), device, threads, version.
nlohmann::json RunTraceJson(const ExperimentOptions& options);

/// Merges the finished splits of experiment folders (OUT/splits/*/result.json, or a
/// results.json given directly) into out_dir/results.json and out_dir/results.md.
/// ConfigError if a split occurs twice.
ExperimentResults MergeExperiments(const std::vector<std::string>& dirs, const std::string& out_dir);

/// The paper's display names of result rows: "Att-CRNN (logMel)", "CNN baseline (logGam)",
/// "Att-CRNN (fusion)"; softmax scorers get ", softmax" inside the parentheses.
std::string SystemName(const SystemId& id);

/// Class-wise recording accuracy per system (mean over splits), a Markdown table; needs
/// results.labels.
std::string ClassAccuracyMarkdown(const ExperimentResults& results);

/// Table text as written to results.md (title, command-independent; with class labels,
/// the class-wise accuracy table too).
std::string ResultsMarkdown(const ExperimentResults& results);

}  // namespace ascnet
