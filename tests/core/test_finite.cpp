#include "ascnet/core/finite.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ascnet {
namespace {

TEST(FirstOutside, CleanBuffersPassWholeAtEveryLength) {
  // Lengths around the vector widths, so that the vector body and the remainder both run.
  for (size_t n = 0; n < 40; ++n) {
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = (i % 2 ? -1.0f : 1.0f) * static_cast<float>(i) * 0.1f;
    EXPECT_EQ(FirstOutside(x.data(), n), n) << "n = " << n;
    EXPECT_EQ(FirstOutside(x.data(), n, 4.0f), n) << "n = " << n;
  }
  const std::vector<float> extremes = {std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                                       std::numeric_limits<float>::denorm_min(), -0.0f};
  EXPECT_EQ(FirstOutside(extremes.data(), extremes.size()), extremes.size());
}

TEST(FirstOutside, FindsTheFirstBadValueAnywhere) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const float bad : {inf, -inf, nan, -nan}) {
    for (size_t n : {1u, 7u, 8u, 9u, 33u}) {
      for (size_t at = 0; at < n; ++at) {
        std::vector<float> x(n, 0.5f);
        x[at] = bad;
        if (at + 1 < n) x[n - 1] = bad;  // a later bad value does not hide the first
        EXPECT_EQ(FirstOutside(x.data(), n), at) << "value " << bad << " at " << at << " of " << n;
      }
    }
  }
}

TEST(FirstOutside, LimitIsInclusive) {
  const std::vector<float> x = {1e8f, -1e8f, std::nextafter(1e8f, 2e8f)};
  EXPECT_EQ(FirstOutside(x.data(), 2, 1e8f), 2u);
  EXPECT_EQ(FirstOutside(x.data(), 3, 1e8f), 2u);
}

}  // namespace
}  // namespace ascnet
