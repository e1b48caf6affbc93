// Min-max scaling of feature columns to [-1, 1], fitted on training features.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ascnet/calibration/matrix.h"

namespace ascnet {

/// x' = -1 + 2 (x - min_j) / (max_j - min_j) per column j, with min/max from Fit().
/// A column that is constant in the training data (max == min) maps to 0.
/// Values outside the training range map outside [-1, 1] unless `clip` is true, in which
/// case they are clipped to [-1, 1] (default false, like LIBSVM svm-scale and sklearn).
class MinMaxScaler {
 public:
  MinMaxScaler() = default;
  explicit MinMaxScaler(bool clip) : clip_(clip) {}

  /// Learns per-column min and max. ConfigError on an empty matrix, a bad shape or a
  /// non-finite value (naming its row and column).
  void Fit(const FloatMatrix& x);
  /// Scales x (cols must equal NumFeatures()); ConfigError on shape mismatch or non-finite.
  DoubleMatrix Transform(const FloatMatrix& x) const;

  bool fitted() const { return !min_.empty(); }
  int64_t NumFeatures() const { return static_cast<int64_t>(min_.size()); }
  bool clip() const { return clip_; }
  const std::vector<double>& min() const { return min_; }
  const std::vector<double>& max() const { return max_; }

  /// Rebuilds a scaler from stored values; FormatError if sizes differ, a value is not
  /// finite or max < min.
  static MinMaxScaler FromValues(std::vector<double> min, std::vector<double> max, bool clip);

 private:
  bool clip_ = false;
  std::vector<double> min_, max_;
};

/// {"min": [...], "max": [...], "clip": bool}; from_json requires every field.
void to_json(nlohmann::json& j, const MinMaxScaler& s);
void from_json(const nlohmann::json& j, MinMaxScaler& s);

/// Throws ConfigError unless x has a consistent shape, at least one row and column, and
/// only finite values. `what` names the matrix in the message.
void CheckFeatureMatrix(const FloatMatrix& x, const std::string& what);
void CheckFeatureMatrix(const DoubleMatrix& x, const std::string& what);

}  // namespace ascnet
