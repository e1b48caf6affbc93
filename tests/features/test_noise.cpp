// Golden values: algorithms.md §1.1 (Octave + VOICEBOX v_estnoisem).
#include <gtest/gtest.h>

#include <cmath>

#include "ascnet/features/noise.h"

using namespace ascnet;

namespace {
constexpr double kTincLitis = 551.0 / 22050.0;
void ExpectRel(double got, double want, double rel) { EXPECT_NEAR(got, want, std::abs(want) * rel) << "want " << want; }
}  // namespace

TEST(NoiseTracker, DerivedConstantsAtLitisHop) {
  NoiseOptions o;
  NoiseTracker t(o, 9, kTincLitis);
  EXPECT_EQ(t.nv(), 8);
  EXPECT_EQ(t.nu(), 8);
  EXPECT_EQ(t.nd(), 64);
  auto [md, hd] = MinStatMh(64);
  auto [mv, hv] = MinStatMh(8);
  EXPECT_NEAR(md, 0.8467, 5e-5);
  EXPECT_NEAR(mv, 0.5800, 5e-5);
  EXPECT_NEAR(std::exp(-kTincLitis / o.taca), 0.5732, 5e-5);
  EXPECT_NEAR(std::exp(-kTincLitis / o.tamax), 0.9382, 5e-5);
  EXPECT_NEAR(std::exp(-kTincLitis / o.taminh), 0.1528, 5e-5);
  EXPECT_NEAR(std::exp(-kTincLitis / o.tbmax), 0.7057, 5e-5);
  EXPECT_NEAR(-kTincLitis / o.tpfall, -0.3904, 5e-5);
  const double nsmdb[4] = {47, 31.4, 15.7, 4.1}, want[4] = {8.701, 4.243, 2.060, 1.208};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(std::pow(10.0, nsmdb[i] * 8 * kTincLitis / 10), want[i], 5e-4);
}

TEST(NoiseTracker, DerivedConstantsAt16ms) {
  NoiseTracker t(NoiseOptions{}, 9, 0.016);
  EXPECT_EQ(t.nv(), 12);
  EXPECT_EQ(t.nd(), 96);
  EXPECT_NEAR(MinStatMh(96).first, 0.8769, 5e-5);
  EXPECT_NEAR(MinStatMh(12).first, 0.6375, 5e-5);
}

TEST(NoiseTracker, MatchesVoiceboxFixture) {
  const int nr = 300, nrf = 9;
  std::vector<double> y(static_cast<size_t>(nr) * nrf);
  for (int t = 0; t < nr; ++t) {
    for (int k = 0; k < nrf; ++k) {
      double v = (k + 1) * (1.5 + std::sin(0.37 * t + 0.9 * k));
      if (t >= 100 && t < 140) v *= 20;
      y[static_cast<size_t>(t) * nrf + k] = v;
    }
  }
  const std::vector<double> x = EstimateNoise(y, nr, nrf, NoiseOptions{}, kTincLitis);
  struct Row {
    int t;
    double k0, k4, k8;
  };
  const Row rows[] = {{0, 1.5, 5.287397784, 20.64301077},          {2, 2.376776782, 7.652074632, 31.65491235},
                      {10, 2.367024052, 6.449908874, 18.70345614}, {50, 1.443899304, 6.784095451, 13.58997702},
                      {120, 1.514709439, 7.348316421, 13.73217421}, {299, 1.504150286, 7.602510429, 13.7510854}};
  for (const Row& r : rows) {
    SCOPED_TRACE("t = " + std::to_string(r.t));
    ExpectRel(x[static_cast<size_t>(r.t) * nrf + 0], r.k0, 1e-9);
    ExpectRel(x[static_cast<size_t>(r.t) * nrf + 4], r.k4, 1e-9);
    ExpectRel(x[static_cast<size_t>(r.t) * nrf + 8], r.k8, 1e-9);
  }
}

TEST(NoiseTracker, DigitalSilenceStaysFinite) {
  const int nr = 200, nrf = 5;
  std::vector<double> y(static_cast<size_t>(nr) * nrf, 0.0);
  for (int t = 50; t < 60; ++t) y[static_cast<size_t>(t) * nrf + 2] = 1.0;
  const std::vector<double> x = EstimateNoise(y, nr, nrf, NoiseOptions{}, kTincLitis);
  for (double v : x) {
    ASSERT_TRUE(std::isfinite(v));
    ASSERT_GE(v, 0.0);
  }
}

TEST(NoiseTracker, ChunkedEqualsWhole) {
  const int nr = 120, nrf = 7;
  std::vector<double> y(static_cast<size_t>(nr) * nrf);
  for (size_t i = 0; i < y.size(); ++i) y[i] = 1.0 + std::fabs(std::sin(0.1 * static_cast<double>(i * i % 97)));
  const std::vector<double> whole = EstimateNoise(y, nr, nrf, NoiseOptions{}, kTincLitis);
  NoiseTracker tr(NoiseOptions{}, nrf, kTincLitis);
  std::vector<double> x(nrf);
  for (int t = 0; t < nr; ++t) {
    tr.Process(&y[static_cast<size_t>(t) * nrf], x.data());
    for (int k = 0; k < nrf; ++k) ASSERT_EQ(x[k], whole[static_cast<size_t>(t) * nrf + k]);
  }
}
