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

// Test-time windows (hop T/2 + a window aligned to the end) for 1, 2, 5, 10 and 30 s
// recordings, and 5.5 s where the end window is needed; the paper's grid for comparison.
TEST(Segments, TestTimeWindowStarts) {
  SegmentOptions paper;
  SegmentOptions tta;
  tta.hop = 40;
  tta.cover_end = true;
  const FrameOptions frame;
  auto frames_of = [&](double seconds) {
    return static_cast<int64_t>(std::llround(seconds * frame.sample_rate)) / frame.frame_shift;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(frames_of(1), 40);
  EXPECT_EQ(tta.WindowStarts(frames_of(1)), V({0}));  // zero-padded to one window
  EXPECT_EQ(tta.WindowStarts(frames_of(2)), V({0}));
  EXPECT_EQ(tta.WindowStarts(frames_of(5)), V({0, 40, 80, 120}));  // 120 + 80 = 200: the grid reaches the end
  EXPECT_EQ(paper.WindowStarts(frames_of(5)), V({0, 80}));         // the paper loses frames 160..199
  EXPECT_EQ(tta.WindowStarts(frames_of(5.5)), V({0, 40, 80, 120, 140}));  // 220 frames: end window at 140
  EXPECT_EQ(paper.WindowStarts(frames_of(5.5)), V({0, 80}));
  SegmentOptions end_only = paper;
  end_only.cover_end = true;
  EXPECT_EQ(end_only.WindowStarts(frames_of(5)), V({0, 80, 120}));
  const V ten = tta.WindowStarts(frames_of(10));
  EXPECT_EQ(ten.size(), 9u);
  EXPECT_EQ(ten.back(), 320);
  const V thirty = tta.WindowStarts(frames_of(30));
  EXPECT_EQ(thirty.size(), 29u);
  EXPECT_EQ(thirty.back(), 1120);
  for (double sec : {1.0, 2.0, 5.0, 5.5, 10.0, 30.0, 7.3}) {
    const V st = tta.WindowStarts(frames_of(sec));
    EXPECT_EQ(NumSegments(frames_of(sec), tta), static_cast<int64_t>(st.size()));
    // Every frame is covered (frames beyond a padded short recording aside).
    EXPECT_EQ(st.back() + 80, std::max<int64_t>(80, frames_of(sec))) << sec << " s";
  }
}

class ExtractorTest : public ::testing::TestWithParam<std::string> {};

// The extractor emits exactly WindowStarts' windows, and each equals the same frames cut from
// a hop-1 extraction (the end window included), whole or fed in chunks.
TEST_P(ExtractorTest, EndWindowIsTheLastFramesOfTheImage) {
  FeatureConfig cfg = FeatureConfig::Preset(GetParam());
  cfg.segment.hop = 40;
  cfg.segment.cover_end = true;
  FeatureConfig every = cfg;
  every.segment.hop = 1;
  every.segment.cover_end = false;
  for (double sec : {1.0, 5.0, 5.5, 7.3}) {
    const auto x = Noise(static_cast<int64_t>(sec * 22050), 5);
    const auto img = FeatureExtractor::Compute(cfg, x);
    const auto all = FeatureExtractor::Compute(every, x);
    const int64_t frames = all.num_segments + 80 - 1;
    const auto starts = cfg.segment.WindowStarts(std::max<int64_t>(frames, 80));
    ASSERT_EQ(img.num_segments, static_cast<int64_t>(starts.size())) << sec << " s";
    for (size_t k = 0; k < starts.size(); ++k) {
      EXPECT_NEAR(img.start_seconds[k], starts[k] * 551.0 / 22050.0, 1e-9);
      const float* a = img.Segment(static_cast<int64_t>(k));
      const float* b = all.Segment(starts[k]);
      ASSERT_TRUE(std::equal(a, a + img.SegmentSize(), b)) << sec << " s, window " << k;
    }
    FeatureExtractor ex(cfg);
    SegmentImages chunked;
    for (size_t i = 0; i < x.size(); i += 3001) {
      ex.AcceptWaveform(x.data() + i, static_cast<int64_t>(std::min<size_t>(3001, x.size() - i)));
      ex.PopSegments(&chunked);
    }
    ex.InputFinished();
    ex.PopSegments(&chunked);
    ASSERT_EQ(chunked.data, img.data) << sec << " s";
  }
}

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
