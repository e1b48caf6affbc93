#include <gtest/gtest.h>

#include <cmath>

#include "ascnet/calibration/platt.h"
#include "ascnet/core/error.h"

namespace ascnet {
namespace {

// Fixture from shared/spec/algorithms.md §3.2 (LIBSVM 3.17 compiled).
TEST(SigmoidTrain, LibsvmFixture) {
  const std::vector<double> f = {-2.1, -1.7, -1.2, -0.9, -0.4, -0.1, 0.2, 0.3, 0.8, 1.1, 1.6, 2.4};
  const std::vector<int> y = {-1, -1, -1, +1, -1, -1, +1, -1, +1, +1, +1, +1};
  const PlattParams p = SigmoidTrain(f, y);
  EXPECT_NEAR(p.A, -0.9787232346, 1e-6);
  EXPECT_NEAR(p.B, -0.0113749022, 1e-6);
  EXPECT_NEAR(SigmoidPredict(-1.0, p), 0.2754093512, 1e-6);
  EXPECT_NEAR(SigmoidPredict(0.0, p), 0.5028436949, 1e-6);
  EXPECT_NEAR(SigmoidPredict(1.0, p), 0.7291073058, 1e-6);
}

TEST(SigmoidPredict, StableForLargeArguments) {
  const PlattParams p{-1.0, 0.0};
  EXPECT_NEAR(SigmoidPredict(1e6, p), 1.0, 1e-12);
  EXPECT_GE(SigmoidPredict(-1e6, p), 0.0);
  EXPECT_LT(SigmoidPredict(-1e6, p), 1e-12);
}

TEST(SigmoidTrain, OneClassOnlyStaysFinite) {
  const PlattParams p = SigmoidTrain({-1, -1, -0.5, -2}, {-1, -1, -1, -1});
  EXPECT_TRUE(std::isfinite(p.A));
  EXPECT_TRUE(std::isfinite(p.B));
  EXPECT_LT(SigmoidPredict(-1, p), 0.5);
}

TEST(SigmoidTrain, BadInputThrows) {
  EXPECT_THROW(SigmoidTrain({}, {}), ConfigError);
  EXPECT_THROW(SigmoidTrain({1.0, 2.0}, {1}), ConfigError);
  EXPECT_THROW(SigmoidTrain({1.0, std::nan("")}, {1, -1}), ConfigError);
}

}  // namespace
}  // namespace ascnet
