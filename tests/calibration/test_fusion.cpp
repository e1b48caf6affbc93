#include <gtest/gtest.h>

#include <cmath>

#include "ascnet/calibration/fusion.h"
#include "ascnet/core/error.h"

namespace ascnet {
namespace {

TEST(Fusion, SumsLogPosteriors) {
  // Mean rule would pick class 0 (0.55 vs 0.45); the product picks class 1.
  DoubleMatrix p(2, 2, {0.9, 0.1, 0.2, 0.8});
  const auto s = SumLogPosteriors(p);
  EXPECT_NEAR(s[0], std::log(0.9) + std::log(0.2), 1e-15);
  EXPECT_NEAR(s[1], std::log(0.1) + std::log(0.8), 1e-15);
  EXPECT_EQ(FuseLogPosteriors(p), 0);  // 0.18 > 0.08
  DoubleMatrix q(3, 2, {0.6, 0.4, 0.6, 0.4, 0.05, 0.95});
  // mean: class 0 = 0.4167, class 1 = 0.583 -> 1; product: 0.018 vs 0.152 -> 1
  EXPECT_EQ(FuseLogPosteriors(q), 1);
  DoubleMatrix r(3, 2, {0.7, 0.3, 0.7, 0.3, 0.3, 0.7});  // product 0.147 vs 0.063 -> 0
  EXPECT_EQ(FuseLogPosteriors(r), 0);
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
  EXPECT_EQ(FuseLogPosteriors(p), 0);
  // The floor is a real floor, not a tie-breaker: with only 5 favourable segments the
  // zero wins (5 ln 0.9 + ln 1e-7 = -16.65 < 5 ln 0.1 = -11.51).
  DoubleMatrix few(6, 2);
  for (int n = 0; n < 5; ++n) {
    few(n, 0) = 0.9;
    few(n, 1) = 0.1;
  }
  few(5, 0) = 0.0;
  few(5, 1) = 1.0;
  EXPECT_EQ(FuseLogPosteriors(few), 1);
  // A larger floor changes the result, so the parameter is honoured.
  EXPECT_EQ(FuseLogPosteriors(few, 1e-3), 0);  // 5 ln .9 + ln 1e-3 = -7.43 > -11.51
}

TEST(Fusion, TiesGoToLowestIndex) {
  DoubleMatrix p(1, 3, {0.25, 0.5, 0.5});
  EXPECT_EQ(FuseLogPosteriors(p), 1);
}

TEST(Fusion, FeatureFusionSumsBothSystems) {
  DoubleMatrix mel(2, 2, {0.6, 0.4, 0.6, 0.4});    // mel alone: class 0
  DoubleMatrix gt(2, 2, {0.1, 0.9, 0.3, 0.7});     // gammatone alone: class 1
  EXPECT_EQ(FuseLogPosteriors(mel), 0);
  EXPECT_EQ(FuseLogPosteriors(gt), 1);
  // 0.36*0.03 = 0.0108 vs 0.16*0.63 = 0.1008 -> 1
  EXPECT_EQ(FuseLogPosteriors(std::vector<DoubleMatrix>{mel, gt}), 1);
  EXPECT_THROW(FuseLogPosteriors(std::vector<DoubleMatrix>{mel, DoubleMatrix(1, 3, {0.2, 0.3, 0.5})}), ConfigError);
}

TEST(Fusion, GroupsByRecording) {
  SegmentPosteriors s;
  s.recording_ids = {"b", "a", "b", "a", "c"};
  s.posteriors = DoubleMatrix(5, 2, {0.9, 0.1, 0.2, 0.8, 0.8, 0.2, 0.3, 0.7, 0.5, 0.5});
  const auto d = FuseByRecording(s);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].recording_id, "b");
  EXPECT_EQ(d[0].label, 0);
  EXPECT_EQ(d[0].num_segments, 2);
  EXPECT_EQ(d[1].recording_id, "a");
  EXPECT_EQ(d[1].label, 1);
  EXPECT_EQ(d[2].recording_id, "c");
  EXPECT_EQ(d[2].num_segments, 1);
  EXPECT_NEAR(d[1].score[1], std::log(0.8) + std::log(0.7), 1e-15);

  // Feature fusion by recording: a second system flips recording "b".
  SegmentPosteriors g;
  g.recording_ids = {"a", "b", "c", "b"};
  g.posteriors = DoubleMatrix(4, 2, {0.4, 0.6, 0.05, 0.95, 0.5, 0.5, 0.1, 0.9});
  const auto f = FuseByRecording(std::vector<SegmentPosteriors>{s, g});
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].recording_id, "b");
  EXPECT_EQ(f[0].num_segments, 4);
  EXPECT_EQ(f[0].label, 1);  // 0.72*0.005 = 0.0036 vs 0.02*0.855 = 0.0171
  EXPECT_EQ(f[1].label, 1);

  SegmentPosteriors missing = g;
  missing.recording_ids = {"a", "b", "b", "b"};  // no "c"
  EXPECT_THROW(FuseByRecording(std::vector<SegmentPosteriors>{s, missing}), ConfigError);
  SegmentPosteriors extra = g;
  extra.recording_ids = {"a", "b", "c", "zzz"};
  EXPECT_THROW(FuseByRecording(std::vector<SegmentPosteriors>{s, extra}), ConfigError);
}

TEST(Fusion, RejectsBadPosteriors) {
  EXPECT_THROW(FuseLogPosteriors(DoubleMatrix(0, 2)), ConfigError);
  EXPECT_THROW(FuseLogPosteriors(DoubleMatrix(1, 2, {0.5, std::nan("")})), ConfigError);
  EXPECT_THROW(FuseLogPosteriors(DoubleMatrix(1, 2, {-0.1, 1.1})), ConfigError);
  EXPECT_THROW(FuseLogPosteriors(DoubleMatrix(1, 2, {0.5, 0.5}), 0.0), ConfigError);
  SegmentPosteriors s;
  s.recording_ids = {"a"};
  s.posteriors = DoubleMatrix(2, 2, {0.5, 0.5, 0.5, 0.5});
  EXPECT_THROW(FuseByRecording(s), ConfigError);
}

}  // namespace
}  // namespace ascnet
