// Portable random draws from std::mt19937_64 (the same numbers on every platform and
// standard library, unlike std::uniform_*_distribution): the training loop's pair sampling,
// mixing ratios, crops and augmentation all draw through these.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace ascnet {

/// Uniform double in [0, 1) from 53 random bits.
double UniformUnit(std::mt19937_64& rng);
/// Uniform integer in [0, n) (n >= 1) by rejection (unbiased).
int64_t UniformIndex(std::mt19937_64& rng, int64_t n);
/// A uniformly random permutation of 0..n-1: Fisher-Yates from the end, element i swapped
/// with UniformIndex(rng, i + 1) for i = n-1 down to 1 (n - 1 draws, in that order).
std::vector<int64_t> RandomPermutation(std::mt19937_64& rng, int64_t n);
/// Beta(a, b) by Johnk's rejection method (pairs of UniformUnit draws until accepted; exact
/// for any a, b > 0, efficient for a, b <= ~2: acceptance 0.9 at a = b = 0.3, 0.5 at 1).
double BetaDraw(std::mt19937_64& rng, double a, double b);

/// Draws index i in [0, n) with probability weights[i] / sum(weights): one UniformUnit per
/// draw, located in the cumulative sums (binary search). The weights must be finite and
/// >= 0 with a positive sum (ConfigError otherwise).
class WeightedIndex {
 public:
  explicit WeightedIndex(const std::vector<double>& weights);
  int64_t operator()(std::mt19937_64& rng) const;
  int64_t size() const { return static_cast<int64_t>(cumulative_.size()); }
  /// True when index i (in [0, size())) can be drawn.
  bool Positive(int64_t i) const { return cumulative_[i] > (i > 0 ? cumulative_[i - 1] : 0.0); }

 private:
  std::vector<double> cumulative_;  ///< cumulative_[i] = w_0 + ... + w_i
  int64_t last_positive_ = 0;       ///< the last index of positive weight
};

}  // namespace ascnet
