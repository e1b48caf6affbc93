// The files of an experiment folder: the one owner of their names and places, used by the
// experiment, merge, plan, report and the CLI. Scripts find an experiment's models through
// `ascnet report OUT --list-models` (ModelListing); scripts/source-errors and the Slurm test
// read the documented files below.
//
//   OUT/experiment.json                       the settings (ExperimentSettingsJson)
//   OUT/results.json, OUT/results.md          every finished split merged
//   OUT/cache/                                the feature cache unless --cache names another
//   OUT/plan/                                 a cluster plan (experiment/plan.h)
//   OUT/plan/logs/                            its jobs' output
//   OUT/splits/<split>/result.json            the split's metrics (written last: marks it done)
//   OUT/splits/<split>/runs.json              where each attempt at the split ran
//   OUT/splits/<split>/<arch>-fusion.tsv      the Mel+Gammatone fusion's predictions (-softmax too)
//   OUT/splits/<split>/<arch>-<features>/     one system: a training run's files (train/run_files.h)
//                                             plus predictions.json, predictions[-softmax].tsv
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ascnet {

/// One system's folder of one split.
struct SystemFolder {
  std::string split;  ///< e.g. "fold1"
  std::string name;   ///< "<arch>-<features>", e.g. "attcrnn-logmel"
  std::string arch;   ///< the <arch> of `name` (ArchConfig::KindName), e.g. "attcrnn"
  std::string features;  ///< the <features> of `name`, e.g. "logmel"
  std::string dir;    ///< its path
};

class ExperimentLayout {
 public:
  explicit ExperimentLayout(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  std::string Settings() const;         ///< OUT/experiment.json
  std::string Results() const;          ///< OUT/results.json
  std::string ResultsMarkdown() const;  ///< OUT/results.md
  std::string DefaultCache() const;     ///< OUT/cache
  std::string PlanDir() const;          ///< OUT/plan
  std::string PlanLogs() const;         ///< OUT/plan/logs
  std::string SplitsDir() const;        ///< OUT/splits
  std::string SplitDir(const std::string& split) const;
  std::string SplitResult(const std::string& split) const;  ///< .../result.json
  std::string SplitRuns(const std::string& split) const;    ///< .../runs.json
  std::string FusionTsv(const std::string& split, const std::string& arch, bool softmax) const;
  std::string SystemDir(const std::string& split, const std::string& arch, const std::string& features) const;
  static std::string SystemName(const std::string& arch, const std::string& features);  ///< "<arch>-<features>"
  /// A system folder's name split back into {arch, features} (at the first '-': no arch name
  /// holds one); {name, ""} for a name without '-'.
  static std::pair<std::string, std::string> SplitSystemName(const std::string& name);

  /// A system folder's predictions: predictions.json, and the DCASE-style TSVs.
  static std::string Predictions(const std::string& system_dir);
  static std::string PredictionsTsv(const std::string& system_dir, bool softmax);

  /// The result.json of every finished split, sorted by split folder name.
  std::vector<std::string> FinishedSplitResults() const;
  /// Every system folder that holds a training log, predictions or a model, sorted by split
  /// folder, then name.
  std::vector<SystemFolder> SystemFolders() const;
  /// One line "<split>\t<system>\t<path of its model.ascnet>" per system folder that holds a
  /// model bundle (SystemFolders' order), for shell scripts (`ascnet report --list-models`).
  /// IoError if the root is not a folder.
  std::string ModelListing() const;

 private:
  std::string root_;
};

}  // namespace ascnet
