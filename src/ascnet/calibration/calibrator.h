// Calibrated classifier on pooled network features: min-max scaling to [-1, 1], a
// one-vs-rest linear SVM (liblinear), and one Platt sigmoid per class fitted on
// cross-validated decision values (shared spec system.md, algorithms.md §3.4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ascnet/calibration/linear_svm.h"
#include "ascnet/calibration/matrix.h"
#include "ascnet/calibration/platt.h"
#include "ascnet/calibration/scaler.h"

namespace ascnet {

struct CalibrationOptions {
  double C = 0.1;          ///< liblinear cost (> 0).
  double eps = 0.1;        ///< liblinear stopping tolerance (> 0).
  double bias = 1.0;       ///< constant appended feature (> 0).
  int cv_folds = 5;        ///< stratified folds for the out-of-fold decision values (2..100, <= N).
  uint64_t seed = 20190101;  ///< fold assignment and liblinear's rand() shuffling.
  bool clip_features = false;  ///< clip scaled test features to [-1, 1].
  int num_classes = 0;     ///< K; 0 = max(label) + 1. Every class needs >= 1 training sample.

  void Validate() const;  ///< ConfigError naming the field and the expected range.
  std::string ToString() const;
  LinearSvmOptions Svm(uint64_t seed_offset = 0) const;
};

void to_json(nlohmann::json& j, const CalibrationOptions& o);
void from_json(const nlohmann::json& j, CalibrationOptions& o);  ///< every field required

/// Stratified, deterministic fold assignment: the samples of each class are shuffled
/// (Fisher-Yates with std::mt19937_64(seed), unbiased bounded draws) and dealt round-robin
/// to folds, the dealing position continuing from one class to the next (so fold sizes
/// differ by at most one). Returns fold index 0..num_folds-1 per sample.
std::vector<int> StratifiedFolds(const std::vector<int>& labels, int num_classes, int num_folds, uint64_t seed);

class Calibrator {
 public:
  /// Fits the scaler on `features` [N x D], gets out-of-fold OvR decision values with
  /// options.cv_folds stratified folds (a fold whose training part holds one class only
  /// gives decision values +1 for that class and -1 for the others, as LIBSVM does),
  /// fits (A_c, B_c) = SigmoidTrain(f_c, y == c) per class, then retrains the SVM on all
  /// samples. ConfigError on bad options, shapes, labels, non-finite features, a class
  /// without samples, or N < cv_folds.
  void Fit(const FloatMatrix& features, const std::vector<int>& labels, const CalibrationOptions& options);

  /// OvR decision values [N x K] of the final SVM on scaled features.
  DoubleMatrix DecisionValues(const FloatMatrix& features) const;
  /// Probabilities [N x K]: q_c = SigmoidPredict(f_c; A_c, B_c), p_c = q_c / sum(q)
  /// (uniform 1/K when the sum is 0). Rows sum to 1.
  DoubleMatrix Predict(const FloatMatrix& features) const;
  /// Probabilities from precomputed decision values [N x K].
  DoubleMatrix ProbabilitiesFromDecisions(const DoubleMatrix& decisions) const;

  bool fitted() const { return svm_.trained(); }
  int num_classes() const { return svm_.num_classes(); }
  int64_t num_features() const { return svm_.num_features(); }
  const CalibrationOptions& options() const { return options_; }
  const MinMaxScaler& scaler() const { return scaler_; }
  const LinearSvm& svm() const { return svm_; }
  const std::vector<PlattParams>& platt() const { return platt_; }

  /// Assembles a calibrator from parts (FormatError if they do not fit together).
  static Calibrator FromParts(CalibrationOptions options, MinMaxScaler scaler, LinearSvm svm,
                              std::vector<PlattParams> platt);

 private:
  CalibrationOptions options_;
  MinMaxScaler scaler_;
  LinearSvm svm_;
  std::vector<PlattParams> platt_;
};

/// {"format": "ascnet.calibrator", "version": 1, "num_classes", "num_features",
///  "options": {...}, "scaler": {...}, "svm": {...}, "platt": [{"A", "B"} x K]}.
/// from_json requires every field and throws FormatError naming the bad field.
void to_json(nlohmann::json& j, const Calibrator& c);
void from_json(const nlohmann::json& j, Calibrator& c);

}  // namespace ascnet
