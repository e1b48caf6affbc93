// Small synthetic classification problems for the calibration tests.
#pragma once

#include <random>
#include <vector>

#include "ascnet/calibration/matrix.h"

namespace ascnet {
namespace testing_util {

/// K Gaussian blobs in D dimensions, centres far apart (separable), n_per_class each.
inline void MakeBlobs(int k, int d, int n_per_class, double spread, uint64_t seed, FloatMatrix* x,
                      std::vector<int>* y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, spread);
  *x = FloatMatrix(static_cast<int64_t>(k) * n_per_class, d);
  y->clear();
  int64_t r = 0;
  for (int i = 0; i < n_per_class; ++i) {
    for (int c = 0; c < k; ++c, ++r) {
      for (int j = 0; j < d; ++j) {
        const double centre = (j % k == c) ? 4.0 : 0.0;
        (*x)(r, j) = static_cast<float>(centre + noise(rng) + 10.0 * j);  // offset: scaler matters
      }
      y->push_back(c);
    }
  }
}

}  // namespace testing_util
}  // namespace ascnet
