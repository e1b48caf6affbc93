#include "ascnet/train/random.h"

#include <limits>

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

}  // namespace ascnet
