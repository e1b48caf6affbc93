#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ascnet/calibration/fusion.h"
#include "ascnet/core/error.h"

namespace ascnet {
namespace {

// A recording's decision from its segments' posteriors, as the experiment and Recognizer make it.
int Decide(const DoubleMatrix& p, double floor = kPosteriorFloor) { return DecideLogScore(SumLogPosteriors(p, floor)); }

TEST(Fusion, SumsLogPosteriors) {
  // Mean rule would pick class 0 (0.55 vs 0.45); the product picks class 1.
  DoubleMatrix p(2, 2, {0.9, 0.1, 0.2, 0.8});
  const auto s = SumLogPosteriors(p);
  EXPECT_NEAR(s[0], std::log(0.9) + std::log(0.2), 1e-15);
  EXPECT_NEAR(s[1], std::log(0.1) + std::log(0.8), 1e-15);
  EXPECT_EQ(Decide(p), 0);  // 0.18 > 0.08
  DoubleMatrix q(3, 2, {0.6, 0.4, 0.6, 0.4, 0.05, 0.95});
  // mean: class 0 = 0.4167, class 1 = 0.583 -> 1; product: 0.018 vs 0.152 -> 1
  EXPECT_EQ(Decide(q), 1);
  DoubleMatrix r(3, 2, {0.7, 0.3, 0.7, 0.3, 0.3, 0.7});  // product 0.147 vs 0.063 -> 0
  EXPECT_EQ(Decide(r), 0);
}

TEST(Fusion, FloorStopsOneZeroPosteriorFromVetoingAClass) {
  // Nine segments favour class 0 (0.9 vs 0.1); one segment says p(0) = 0 exactly.
  // Without the floor log(0) = -inf would veto class 0; with max(p, 1e-7):
  //   class 0: 9 ln 0.9 + ln 1e-7 = -17.07; class 1: 9 ln 0.1 + ln 1 = -20.72.
  DoubleMatrix p(10, 2);
  for (int n = 0; n < 9; ++n) {
    p(n, 0) = 0.9;
    p(n, 1) = 0.1;
  }
  p(9, 0) = 0.0;
  p(9, 1) = 1.0;
  const auto s = SumLogPosteriors(p);
  EXPECT_TRUE(std::isfinite(s[0]));
  EXPECT_NEAR(s[0], 9 * std::log(0.9) + std::log(1e-7), 1e-12);
  EXPECT_EQ(Decide(p), 0);
  // The floor is a real floor, not a tie-breaker: with only 5 favourable segments the
  // zero wins (5 ln 0.9 + ln 1e-7 = -16.65 < 5 ln 0.1 = -11.51).
  DoubleMatrix few(6, 2);
  for (int n = 0; n < 5; ++n) {
    few(n, 0) = 0.9;
    few(n, 1) = 0.1;
  }
  few(5, 0) = 0.0;
  few(5, 1) = 1.0;
  EXPECT_EQ(Decide(few), 1);
  // A larger floor changes the result, so the parameter is honoured.
  EXPECT_EQ(Decide(few, 1e-3), 0);  // 5 ln .9 + ln 1e-3 = -7.43 > -11.51
}

TEST(Fusion, TiesGoToLowestIndex) {
  DoubleMatrix p(1, 3, {0.25, 0.5, 0.5});
  EXPECT_EQ(Decide(p), 1);
}

TEST(Fusion, FeatureFusionSumsBothSystems) {
  DoubleMatrix mel(2, 2, {0.6, 0.4, 0.6, 0.4});    // mel alone: class 0
  DoubleMatrix gt(2, 2, {0.1, 0.9, 0.3, 0.7});     // gammatone alone: class 1
  EXPECT_EQ(Decide(mel), 0);
  EXPECT_EQ(Decide(gt), 1);
  // 0.36*0.03 = 0.0108 vs 0.16*0.63 = 0.1008 -> 1
  std::vector<double> fused;
  AddLogScore(SumLogPosteriors(mel), &fused);
  EXPECT_EQ(fused, SumLogPosteriors(mel)) << "an empty total takes the first score";
  AddLogScore(SumLogPosteriors(gt), &fused);
  EXPECT_EQ(DecideLogScore(fused), 1);
  EXPECT_NEAR(fused[1], std::log(0.4 * 0.4 * 0.9 * 0.7), 1e-12);
  EXPECT_THROW(AddLogScore(SumLogPosteriors(DoubleMatrix(1, 3, {0.2, 0.3, 0.5})), &fused), ConfigError);
}

TEST(Fusion, BlocksOfARecordingAddUpToTheWhole) {
  // Segments scored in blocks (classify's batches, a stream) give the whole recording's score.
  const DoubleMatrix all(5, 2, {0.9, 0.1, 0.2, 0.8, 0.8, 0.2, 0.3, 0.7, 0.5, 0.5});
  std::vector<double> total;
  AddLogScore(SumLogPosteriors(DoubleMatrix(2, 2, {0.9, 0.1, 0.2, 0.8})), &total);
  AddLogScore(SumLogPosteriors(DoubleMatrix(3, 2, {0.8, 0.2, 0.3, 0.7, 0.5, 0.5})), &total);
  const std::vector<double> whole = SumLogPosteriors(all);
  ASSERT_EQ(total.size(), 2u);
  for (size_t c = 0; c < 2; ++c) EXPECT_NEAR(total[c], whole[c], 1e-12);
  const std::vector<double> p = FusedPosterior(total);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-15);
  EXPECT_NEAR(p[0] / p[1], std::exp(whole[0] - whole[1]), 1e-9);
  EXPECT_EQ(DecideLogScore({}), -1);
}

TEST(Fusion, AddingRowsInBlocksGivesTheSameBitsAsTheWhole) {
  // Recognizer::Accumulate adds a recording's segments row by row: classify's batches and a
  // stream's single segments give exactly the whole recording's score, however they are cut.
  std::vector<double> values;
  for (int r = 0; r < 70; ++r) {
    const double a = 0.05 + 0.9 * std::fabs(std::sin(1.7 * r + 0.3));
    values.insert(values.end(), {a, (1 - a) * 0.25, (1 - a) * 0.75});
  }
  const DoubleMatrix all(70, 3, values);
  const std::vector<double> whole = SumLogPosteriors(all);
  for (int64_t block : {1, 3, 64}) {
    std::vector<double> total;
    for (int64_t r = 0; r < all.rows; r += block) {
      const int64_t n = std::min(block, all.rows - r);
      AddLogPosteriors(DoubleMatrix(n, 3, std::vector<double>(all.Row(r), all.Row(r) + n * 3)), &total);
    }
    EXPECT_EQ(total, whole) << "blocks of " << block;
  }
  std::vector<double> two_classes = {0.0, 0.0};
  EXPECT_THROW(AddLogPosteriors(all, &two_classes), ConfigError);
}

TEST(Fusion, RejectsBadPosteriors) {
  EXPECT_THROW(SumLogPosteriors(DoubleMatrix(0, 2)), ConfigError);
  EXPECT_THROW(SumLogPosteriors(DoubleMatrix(1, 2, {0.5, std::nan("")})), ConfigError);
  EXPECT_THROW(SumLogPosteriors(DoubleMatrix(1, 2, {-0.1, 1.1})), ConfigError);
  EXPECT_THROW(SumLogPosteriors(DoubleMatrix(1, 2, {0.5, 0.5}), 0.0), ConfigError);
}

}  // namespace
}  // namespace ascnet
