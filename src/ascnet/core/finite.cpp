#include "ascnet/core/finite.h"

#include <cmath>

#include "ascnet/core/simd.h"

namespace ascnet {
namespace {

// No early exit and no branch in the loop, so that it vectorises (the common case is a clean
// buffer, read once); an unsigned accumulator: GCC 12 does not vectorise `bool |=`.
ASCNET_HOT_LOOP
bool AnyOutside(const float* __restrict x, size_t n, float limit) {
  unsigned bad = 0;
  for (size_t i = 0; i < n; ++i) bad |= std::fabs(x[i]) <= limit ? 0u : 1u;
  return bad != 0;
}

}  // namespace

size_t FirstOutside(const float* x, size_t n, float limit) {
  if (!AnyOutside(x, n, limit)) return n;
  for (size_t i = 0; i < n; ++i) {
    if (!(std::fabs(x[i]) <= limit)) return i;
  }
  return n;
}

}  // namespace ascnet
