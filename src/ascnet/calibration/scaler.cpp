#include "ascnet/calibration/scaler.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/json_fields.h"
#include "ascnet/core/error.h"

namespace ascnet {
namespace {

template <typename T>
void CheckMatrix(const Dense<T>& x, const std::string& what) {
  if (!x.ShapeOk()) {
    throw ConfigError(what + ": data holds " + std::to_string(x.data.size()) + " values, expected rows*cols for " +
                      x.ShapeString());
  }
  if (x.rows < 1) throw ConfigError(what + ": empty data (0 rows), expected at least 1 row");
  if (x.cols < 1) throw ConfigError(what + ": 0 feature columns, expected at least 1");
  for (int64_t r = 0; r < x.rows; ++r) {
    const T* row = x.Row(r);
    for (int64_t c = 0; c < x.cols; ++c) {
      if (!std::isfinite(row[c])) {
        throw ConfigError(what + ": non-finite feature value at row " + std::to_string(r) + ", column " +
                          std::to_string(c) + " (expected finite values)");
      }
    }
  }
}

}  // namespace

void CheckFeatureMatrix(const FloatMatrix& x, const std::string& what) { CheckMatrix(x, what); }
void CheckFeatureMatrix(const DoubleMatrix& x, const std::string& what) { CheckMatrix(x, what); }

void MinMaxScaler::Fit(const FloatMatrix& x) {
  CheckMatrix(x, "MinMaxScaler::Fit");
  std::vector<double> lo(static_cast<size_t>(x.cols)), hi(static_cast<size_t>(x.cols));
  for (int64_t c = 0; c < x.cols; ++c) lo[c] = hi[c] = x(0, c);
  for (int64_t r = 1; r < x.rows; ++r) {
    const float* row = x.Row(r);
    for (int64_t c = 0; c < x.cols; ++c) {
      lo[c] = std::min(lo[c], static_cast<double>(row[c]));
      hi[c] = std::max(hi[c], static_cast<double>(row[c]));
    }
  }
  min_ = std::move(lo);
  max_ = std::move(hi);
}

DoubleMatrix MinMaxScaler::Transform(const FloatMatrix& x) const {
  if (!fitted()) throw ConfigError("MinMaxScaler::Transform: scaler is not fitted");
  CheckMatrix(x, "MinMaxScaler::Transform");
  if (x.cols != NumFeatures()) {
    throw ConfigError("MinMaxScaler::Transform: features have " + std::to_string(x.cols) +
                      " columns, expected " + std::to_string(NumFeatures()));
  }
  DoubleMatrix out(x.rows, x.cols);
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* in = x.Row(r);
    double* o = out.Row(r);
    for (int64_t c = 0; c < x.cols; ++c) {
      const double range = max_[c] - min_[c];
      double v = range > 0 ? -1.0 + 2.0 * (static_cast<double>(in[c]) - min_[c]) / range : 0.0;
      if (clip_) v = std::min(1.0, std::max(-1.0, v));
      o[c] = v;
    }
  }
  return out;
}

MinMaxScaler MinMaxScaler::FromValues(std::vector<double> min, std::vector<double> max, bool clip) {
  if (min.empty()) throw FormatError("scaler: 'min' is empty, expected one value per feature");
  if (min.size() != max.size()) {
    throw FormatError("scaler: 'min' has " + std::to_string(min.size()) + " values but 'max' has " +
                      std::to_string(max.size()) + " (expected equal sizes)");
  }
  for (size_t i = 0; i < min.size(); ++i) {
    if (!std::isfinite(min[i]) || !std::isfinite(max[i]) || max[i] < min[i]) {
      throw FormatError("scaler: feature " + std::to_string(i) + " has min " + std::to_string(min[i]) +
                        ", max " + std::to_string(max[i]) + " (expected finite values with max >= min)");
    }
  }
  MinMaxScaler s(clip);
  s.min_ = std::move(min);
  s.max_ = std::move(max);
  return s;
}

void to_json(nlohmann::json& j, const MinMaxScaler& s) {
  j = nlohmann::json{{"min", s.min()}, {"max", s.max()}, {"clip", s.clip()}};
}

void from_json(const nlohmann::json& j, MinMaxScaler& s) {
  const std::string ctx = "scaler";
  auto min = jsonf::GetDoubleArray(j, "min", ctx);
  auto max = jsonf::GetDoubleArray(j, "max", ctx, static_cast<int64_t>(min.size()));
  s = MinMaxScaler::FromValues(std::move(min), std::move(max), jsonf::GetBool(j, "clip", ctx));
}

}  // namespace ascnet
