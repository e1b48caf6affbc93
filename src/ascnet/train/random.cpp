#include "ascnet/train/random.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "ascnet/core/error.h"

namespace ascnet {

double UniformUnit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

int64_t UniformIndex(std::mt19937_64& rng, int64_t n) {
  const uint64_t un = static_cast<uint64_t>(n);
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % un;
  uint64_t v;
  do {
    v = rng();
  } while (v >= limit);
  return static_cast<int64_t>(v % un);
}

std::vector<int64_t> RandomPermutation(std::mt19937_64& rng, int64_t n) {
  std::vector<int64_t> perm(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(UniformIndex(rng, i + 1))]);
  return perm;
}

double BetaDraw(std::mt19937_64& rng, double a, double b) {
  for (;;) {
    const double u = UniformUnit(rng), v = UniformUnit(rng);
    if (u <= 0 || v <= 0) continue;
    const double lx = std::log(u) / a, ly = std::log(v) / b;  // log of u^(1/a), v^(1/b)
    const double x = std::exp(lx), y = std::exp(ly);
    if (x + y > 1) continue;
    if (x + y > 0) return x / (x + y);
    const double m = std::max(lx, ly);  // both underflowed: the ratio from the logs
    return std::exp(lx - m) / (std::exp(lx - m) + std::exp(ly - m));
  }
}

WeightedIndex::WeightedIndex(const std::vector<double>& weights) {
  cumulative_.reserve(weights.size());
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(std::isfinite(weights[i]) && weights[i] >= 0)) {
      throw ConfigError("WeightedIndex: weight " + std::to_string(i) + " is " + std::to_string(weights[i]) +
                        ", expected a finite value >= 0");
    }
    sum += weights[i];
    cumulative_.push_back(sum);
  }
  if (!(sum > 0)) throw ConfigError("WeightedIndex: the weights sum to " + std::to_string(sum) + ", expected > 0");
  last_positive_ = static_cast<int64_t>(weights.size()) - 1;
  while (weights[static_cast<size_t>(last_positive_)] == 0) --last_positive_;
}

int64_t WeightedIndex::operator()(std::mt19937_64& rng) const {
  const double u = UniformUnit(rng) * cumulative_.back();
  // The first index whose cumulative sum exceeds u: never one of weight 0 (u rounded up to
  // the total: the last index of positive weight).
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return it == cumulative_.end() ? last_positive_ : static_cast<int64_t>(it - cumulative_.begin());
}

}  // namespace ascnet
