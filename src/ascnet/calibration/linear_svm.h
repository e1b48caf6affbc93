// One-vs-rest linear SVM trained with liblinear (L2-regularised L2-loss, dual solver).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ascnet/calibration/matrix.h"

namespace ascnet {

struct LinearSvmOptions {
  double C = 0.1;      ///< liblinear cost (> 0).
  double eps = 0.1;    ///< liblinear stopping tolerance (> 0; its default for L2R_L2LOSS_SVC_DUAL).
  double bias = 1.0;   ///< value of the appended constant feature (> 0); its weight is regularised, as in liblinear.
  uint64_t seed = 1;   ///< seeds C rand() (srand) before each liblinear train() call: the dual solver shuffles with rand().

  /// ConfigError naming the field and the expected range.
  void Validate() const;
  std::string ToString() const;
};

/// K binary liblinear models, class c (+1) against the rest (-1), each trained with solver
/// L2R_L2LOSS_SVC_DUAL. Decision value f_c(x) = w_c . x + b_c, with b_c = w_c[bias] * bias.
///
/// A class with no training sample gets w_c = 0 and b_c = -1 (a constant "rest"
/// decision, LIBSVM's convention for a one-class fold). Training needs at least two
/// distinct labels. liblinear's printing is silenced; its check_parameter() messages
/// become ConfigError. liblinear calls are serialised by a process-wide mutex because
/// the print hook and rand() state are global.
class LinearSvm {
 public:
  /// x: [N x D] (scaled) features, finite; labels: N values in 0..num_classes-1.
  /// Throws ConfigError on empty data, shape mismatch, non-finite features, labels out of
  /// range, fewer than two distinct labels, or parameters liblinear rejects
  /// (its own message, prefixed "liblinear: ").
  void Train(const DoubleMatrix& x, const std::vector<int>& labels, int num_classes,
             const LinearSvmOptions& options);

  /// Decision values [N x K]; ConfigError if x has the wrong number of columns or
  /// non-finite values, or the model is not trained.
  DoubleMatrix DecisionValues(const DoubleMatrix& x) const;

  bool trained() const { return num_classes_ > 0; }
  int num_classes() const { return num_classes_; }
  int64_t num_features() const { return num_features_; }
  const DoubleMatrix& weights() const { return weights_; }          ///< [K x D]
  const std::vector<double>& intercepts() const { return intercepts_; }  ///< [K]

  /// Rebuilds a trained model from stored weights [K x D] and intercepts [K];
  /// FormatError if sizes are inconsistent, K < 2, D < 1, or a value is not finite.
  static LinearSvm FromWeights(DoubleMatrix weights, std::vector<double> intercepts);

 private:
  int num_classes_ = 0;
  int64_t num_features_ = 0;
  DoubleMatrix weights_;
  std::vector<double> intercepts_;
};

/// {"num_classes", "num_features", "weights": [[...] x K], "intercepts": [...]}.
void to_json(nlohmann::json& j, const LinearSvm& svm);
void from_json(const nlohmann::json& j, LinearSvm& svm);

}  // namespace ascnet
