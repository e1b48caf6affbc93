#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ascnet/core/error.h"
#include "ascnet/features/extractor.h"

using namespace ascnet;

namespace {
std::vector<float> Noise(int64_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 0.1f);
  std::vector<float> x(static_cast<size_t>(n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng) + 0.3f * std::sin(0.05f * static_cast<float>(i));
  return x;
}
}  // namespace

TEST(Segments, Counts) {
  SegmentOptions s;
  EXPECT_EQ(NumSegments(1200, s), 15);
  EXPECT_EQ(NumSegments(200, s), 2);
  EXPECT_EQ(NumSegments(40, s), 1);
  EXPECT_EQ(NumSegments(0, s), 0);
  s.hop = 40;  // 50 % overlap
  EXPECT_EQ(NumSegments(1200, s), 29);
}

class ExtractorTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExtractorTest, ShapesFor30s5s1s) {
  const FeatureConfig cfg = FeatureConfig::Preset(GetParam());
  const struct {
    double seconds;
    int64_t segments;
  } cases[] = {{30, 15}, {5, 2}, {1, 1}};
  for (const auto& c : cases) {
    const auto img = FeatureExtractor::Compute(cfg, Noise(static_cast<int64_t>(c.seconds * 22050)));
    EXPECT_EQ(img.Shape(), (std::vector<int64_t>{c.segments, 2, 64, 80})) << c.seconds << " s";
    ASSERT_EQ(img.data.size(), static_cast<size_t>(c.segments * 2 * 64 * 80));
    for (float v : img.data) ASSERT_TRUE(std::isfinite(v));
    ASSERT_EQ(img.start_seconds.size(), static_cast<size_t>(c.segments));
  }
}

TEST_P(ExtractorTest, BackgroundChannelIsBelowSignal) {
  const FeatureConfig cfg = FeatureConfig::Preset(GetParam());
  const auto img = FeatureExtractor::Compute(cfg, Noise(5 * 22050));
  // P_fg = max(P - N, 0.01 N) <= P wherever P >= 0.01 N, so channel 1 is mostly below channel 0.
  const int64_t plane = 64 * 80;
  int64_t below = 0;
  for (int64_t i = 0; i < plane; ++i) below += img.data[plane + i] <= img.data[i] + 1e-4f;
  EXPECT_GT(below, plane * 9 / 10);
}

TEST_P(ExtractorTest, StreamingInChunksEqualsWhole) {
  const FeatureConfig cfg = FeatureConfig::Preset(GetParam());
  const auto x = Noise(7 * 22050 + 123, 3);
  const auto whole = FeatureExtractor::Compute(cfg, x);
  FeatureExtractor ex(cfg);
  SegmentImages streamed;
  std::mt19937 rng(5);
  size_t pos = 0;
  while (pos < x.size()) {
    const size_t n = std::min<size_t>(x.size() - pos, 1 + rng() % 5000);
    ex.AcceptWaveform(x.data() + pos, static_cast<int64_t>(n));
    pos += n;
    ex.PopSegments(&streamed);
  }
  ex.InputFinished();
  ex.PopSegments(&streamed);
  EXPECT_EQ(streamed.Shape(), whole.Shape());
  EXPECT_EQ(streamed.data, whole.data);
  EXPECT_EQ(streamed.start_seconds, whole.start_seconds);
}

INSTANTIATE_TEST_SUITE_P(Presets, ExtractorTest, ::testing::Values("logmel", "loggam"));

TEST(Extractor, MelChannelIsLogOfFilterbankEnergy) {
  // A pure tone puts its energy into the band around its frequency.
  FeatureConfig cfg = FeatureConfig::Preset("logmel");
  std::vector<float> x(3 * 22050);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * std::sin(2 * M_PI * 1000.0 * i / 22050.0);
  const auto img = FeatureExtractor::Compute(cfg, x);
  int best = 0;
  for (int m = 0; m < 64; ++m) {
    if (img.data[static_cast<size_t>(m) * 80 + 40] > img.data[static_cast<size_t>(best) * 80 + 40]) best = m;
  }
  EXPECT_NEAR(best, 18, 1);  // 1 kHz is band ~18 of 64 Slaney bands over 50..11025 Hz
}

TEST(Extractor, SilenceGivesFiniteFloorValues) {
  const auto img = FeatureExtractor::Compute(FeatureConfig::Preset("logmel"), std::vector<float>(22050 * 3, 0.f));
  for (float v : img.data) {
    ASSERT_TRUE(std::isfinite(v));
    ASSERT_NEAR(v, std::log(1e-10f), 1e-3);
  }
}

TEST(Extractor, RejectsEmptyAndNonFinite) {
  const FeatureConfig cfg = FeatureConfig::Preset("logmel");
  try {
    FeatureExtractor::Compute(cfg, {});
    FAIL();
  } catch (const AudioError& e) {
    EXPECT_NE(std::string(e.what()).find("no samples"), std::string::npos);
  }
  std::vector<float> x(22050, 0.1f);
  x[11025] = std::nanf("");
  try {
    FeatureExtractor::Compute(cfg, x);
    FAIL();
  } catch (const AudioError& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite sample"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0.5 s"), std::string::npos) << e.what();
  }
}
