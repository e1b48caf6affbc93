// Classification metrics over a fixed label set 0..K-1.
//
// Conventions follow scikit-learn with labels=range(K) and zero_division=0: a class with no
// predictions has precision 0, a class with no support has recall 0, F1 = 2PR/(P+R) or 0
// when P + R = 0; the macro averages are plain means over all K classes, including
// classes that have neither support nor predictions (they contribute 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ascnet {

struct ClassMetrics {
  double precision = 0;   ///< tp / (tp + fp), 0 if nothing was predicted as this class
  double recall = 0;      ///< tp / (tp + fn), 0 if the class has no support
  double f1 = 0;          ///< 2 P R / (P + R), 0 if P + R = 0
  int64_t support = 0;    ///< samples whose true label is this class
  int64_t predicted = 0;  ///< samples predicted as this class
};

struct Metrics {
  int num_classes = 0;
  int64_t count = 0;  ///< number of samples
  double accuracy = 0;
  double macro_precision = 0;
  double macro_recall = 0;
  double macro_f1 = 0;
  std::vector<ClassMetrics> per_class;          ///< [K]
  std::vector<std::vector<int64_t>> confusion;  ///< [K][K], confusion[true][predicted]
};

/// ConfigError if the sizes differ, there are no samples, K < 1, or a label is outside 0..K-1
/// (naming the index and the value).
Metrics ComputeMetrics(const std::vector<int>& truth, const std::vector<int>& predicted, int num_classes);

/// Every metric derived from a K x K confusion matrix (rows: truth, columns: prediction).
/// ConfigError if it is not square, empty, has a negative entry or sums to 0.
Metrics MetricsFromConfusion(const std::vector<std::vector<int64_t>>& confusion);

/// Class-wise accuracy: the fraction of each class's samples decided correctly (= recall),
/// one per class; what DCASE reports per scene.
std::vector<double> ClassAccuracy(const Metrics& m);

/// All fields written (and "class_accuracy", derived); from_json requires them all, recomputes the metrics from
/// "confusion" and throws FormatError if a stored value disagrees (> 1e-9) or a size is off.
void to_json(nlohmann::json& j, const Metrics& m);
void from_json(const nlohmann::json& j, Metrics& m);

}  // namespace ascnet
