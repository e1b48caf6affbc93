#include "ascnet/train/random.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

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

}  // namespace ascnet
