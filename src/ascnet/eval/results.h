// Per-split experiment results and the paper-style summary table (Tables 2 and 3:
// systems as rows; 2 s accuracy, recording accuracy, F1, precision as "mean ± std" in %).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ascnet/eval/metrics.h"

namespace ascnet {

/// What a result row is, as structured fields, so that readers never parse the display name.
/// All empty in files written before the fields existed.
struct SystemId {
  std::string arch;      ///< "attcrnn" or "cnn"
  std::string features;  ///< "logmel", "loggam", or "fusion" (of the feature systems)
  std::string scorer;    ///< "svm" (calibrated linear SVM) or "softmax" (the network's)
  bool operator==(const SystemId& o) const {
    return arch == o.arch && features == o.features && scorer == o.scorer;
  }
};

/// One system evaluated on one split.
struct SystemResult {
  std::string system;              ///< display name, e.g. "Att-CRNN (logMel)"
  std::optional<Metrics> segment;  ///< per-segment (2 s) decisions; absent for systems that
                                   ///< only decide per recording (e.g. Mel+Gammatone fusion)
  Metrics recording;               ///< per-recording decisions after fusion
  SystemId id;                     ///< what `system` names, structured
};

struct SplitResult {
  std::string split;  ///< e.g. "fold1"
  std::vector<SystemResult> systems;
};

/// A set of splits, as written by one run (all splits or a subset).
struct ExperimentResults {
  std::vector<SplitResult> splits;
  std::vector<std::string> labels;  ///< class names, index = class (empty if unknown)
};

/// Mean and population standard deviation (ddof = 0, NumPy's np.std default) of `count`
/// values. With one value std = 0.
struct MeanStd {
  double mean = 0;
  double std = 0;
  int count = 0;
};
/// ConfigError if values is empty or holds a non-finite value.
MeanStd ComputeMeanStd(const std::vector<double>& values);

/// One row of the summary table. Metrics are fractions in [0, 1]; rendering shows %.
struct TableRow {
  std::string system;
  int num_splits = 0;         ///< splits this system appears in
  MeanStd segment_accuracy;   ///< count 0: no split had segment-level results
  MeanStd recording_accuracy;
  MeanStd f1;                 ///< macro F1 (level: TableOptions::scores_on_segments)
  MeanStd precision;          ///< macro precision (same level)
};

struct TableOptions {
  int decimals = 1;                 ///< digits after the point, in % (0..6)
  bool scores_on_segments = false;  ///< F1/precision from segment metrics instead of recording metrics
  void Validate() const;
};

/// Splits are processed in order of split name (so the table does not depend on the order
/// splits were run or merged in); rows in order of first appearance of each system.
/// ConfigError if there are no splits, a split name repeats, a system repeats within a
/// split, or scores_on_segments is set and a system lacks segment metrics.
std::vector<TableRow> AggregateSplits(const std::vector<SplitResult>& splits, const TableOptions& options = {});

/// | System | 2 s accuracy (%) | Recording accuracy (%) | F1 (%) | Precision (%) |, values
/// "mean ± std"; "–" where a system has no segment-level results; a system present in
/// fewer splits than the table's maximum gets " (n = k splits)" after its name.
std::string RenderMarkdownTable(const std::vector<TableRow>& rows, const TableOptions& options = {});
std::string RenderMarkdownTable(const ExperimentResults& results, const TableOptions& options = {});

/// Union of the splits of several runs, sorted by split name. ConfigError if a split name
/// occurs in more than one part or two parts name different class labels.
ExperimentResults MergeResults(const std::vector<ExperimentResults>& parts);

/// JSON: {"format": "ascnet.results", "version": 1, "labels": [class names] (optional: absent
/// in files written before it existed), "splits": [{"split", "systems": [{"system", "arch", "features", "scorer", "segment":
/// Metrics or null, "recording": Metrics}]}]}; "arch"/"features"/"scorer" are written when known
/// and optional on reading (absent in older files); every other field required.
void to_json(nlohmann::json& j, const SystemResult& r);
void from_json(const nlohmann::json& j, SystemResult& r);
void to_json(nlohmann::json& j, const SplitResult& r);
void from_json(const nlohmann::json& j, SplitResult& r);
void to_json(nlohmann::json& j, const ExperimentResults& r);
void from_json(const nlohmann::json& j, ExperimentResults& r);

/// Atomic write (IoError) and read (IoError / FormatError naming the path).
void WriteResults(const std::string& path, const ExperimentResults& results);
ExperimentResults ReadResults(const std::string& path);

}  // namespace ascnet
