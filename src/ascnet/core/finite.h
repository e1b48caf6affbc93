// Range checks of sample buffers (decoded audio, PCM handed to the front end): one branch-free
// vectorised scan of the whole buffer; the offending position is searched only on failure.
#pragma once

#include <cfloat>
#include <cstddef>

namespace ascnet {

/// The limit for which FirstOutside tests finiteness: |x| <= FLT_MAX exactly when x is finite.
inline constexpr float kFiniteLimit = FLT_MAX;

/// Index of the first x[i] with !(|x[i]| <= limit) (NaN and +-inf never pass), or n when every
/// value is within [-limit, limit].
size_t FirstOutside(const float* x, size_t n, float limit = kFiniteLimit);

}  // namespace ascnet
