// A minimal dense row-major matrix used by the calibration and evaluation stages.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ascnet {

/// Dense row-major matrix: element (r, c) is data[r * cols + c].
template <typename T>
struct Dense {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<T> data;

  Dense() = default;
  Dense(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c), T(0)) {}
  Dense(int64_t r, int64_t c, std::vector<T> values) : rows(r), cols(c), data(std::move(values)) {}

  T& operator()(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
  const T& operator()(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
  const T* Row(int64_t r) const { return data.data() + r * cols; }
  T* Row(int64_t r) { return data.data() + r * cols; }
  /// True when rows, cols >= 0 and data holds exactly rows * cols values.
  bool ShapeOk() const { return rows >= 0 && cols >= 0 && data.size() == static_cast<size_t>(rows * cols); }
  std::string ShapeString() const { return "[" + std::to_string(rows) + " x " + std::to_string(cols) + "]"; }
};

using FloatMatrix = Dense<float>;    ///< features [N x D]
using DoubleMatrix = Dense<double>;  ///< scaled features, decision values, posteriors

}  // namespace ascnet
