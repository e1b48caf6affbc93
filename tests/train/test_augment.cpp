// Training windows and augmentation: crops read across segments and stay inside their
// recording, masks and level shifts stay within their bounds, the weight average.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>

#include "ascnet/core/error.h"
#include "ascnet/train/augment.h"
#include "ascnet/train/ema.h"
#include "ascnet/train/segments.h"
#include "synthetic.h"

namespace ascnet {
namespace {

// An item whose image value at (c, m, f) is 1000 c + 100 m + f, cut into T = 8 windows
// starting at `starts` (overlapping, adjacent and an end window), as a cache would hold it.
InMemorySegments FrameIndexItem(const std::vector<int64_t>& starts) {
  FeatureConfig f = testing::TinyFeatures();
  InMemorySegments src(f, {2, 3, 8});
  std::vector<float> data;
  for (int64_t s : starts) {
    for (int c = 0; c < 2; ++c) {
      for (int m = 0; m < 3; ++m) {
        for (int t = 0; t < 8; ++t) data.push_back(static_cast<float>(1000 * c + 100 * m + s + t));
      }
    }
  }
  src.AddItem(data, starts);
  return src;
}

TEST(CopyWindow, ReadsAnyOffsetAcrossSegments) {
  for (const std::vector<int64_t>& starts : {std::vector<int64_t>{0, 4, 8, 11},  // hop T/2 + end window
                                             std::vector<int64_t>{0, 8, 16},     // the paper's grid
                                             std::vector<int64_t>{0}}) {
    const InMemorySegments src = FrameIndexItem(starts);
    const int64_t frames = ItemFrames(src, 0);
    EXPECT_EQ(frames, starts.back() + 8);
    std::vector<float> out(2 * 3 * 8);
    for (int64_t off = 0; off + 8 <= frames; ++off) {
      CopyWindow(src, 0, off, out.data());
      for (int c = 0; c < 2; ++c) {
        for (int m = 0; m < 3; ++m) {
          for (int t = 0; t < 8; ++t) {
            ASSERT_EQ(out[(c * 3 + m) * 8 + t], 1000 * c + 100 * m + off + t) << "offset " << off;
          }
        }
      }
    }
    EXPECT_THROW(CopyWindow(src, 0, frames - 7, out.data()), ConfigError);
    EXPECT_THROW(CopyWindow(src, 0, -1, out.data()), ConfigError);
  }
  // A hop longer than T leaves frames that no segment covers.
  const InMemorySegments gappy = FrameIndexItem({0, 10});
  std::vector<float> out(2 * 3 * 8);
  EXPECT_THROW(CopyWindow(gappy, 0, 4, out.data()), ConfigError);
}

TEST(RandomWindowOffset, StaysInsideAndCoversEveryOffset) {
  std::mt19937_64 rng(3);
  for (int64_t frames : {80, 81, 200, 413}) {
    std::set<int64_t> seen;
    for (int i = 0; i < 20000; ++i) {
      const int64_t o = RandomWindowOffset(rng, frames, 80);
      ASSERT_GE(o, 0);
      ASSERT_LE(o + 80, frames);
      seen.insert(o);
    }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), frames - 80 + 1) << frames << " frames";
  }
  EXPECT_THROW(RandomWindowOffset(rng, 79, 80), ConfigError);
}

std::vector<float> RandomImage(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(-5.f, 2.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = nd(rng);
  return x;
}

TEST(Augmenter, DisabledChangesNothingAndDrawsNothing) {
  TrainOptions o = TrainOptions::Preset("fast");
  const FeatureConfig f = FeatureConfig::Preset("logmel");
  const Augmenter aug(o, f, std::vector<float>(2 * 64, 0.f), {2, 64, 80});
  EXPECT_FALSE(aug.enabled());
  std::vector<float> x = RandomImage(2 * 64 * 80, 1);
  const std::vector<float> before = x;
  std::mt19937_64 rng(5), untouched(5);
  aug.Apply(x.data(), rng);
  EXPECT_EQ(x, before);
  EXPECT_EQ(rng(), untouched());
}

TEST(Augmenter, MasksStayWithinTheirBounds) {
  TrainOptions o = TrainOptions::Preset("fast");
  o.time_masks = 2;
  o.time_mask_frames = 16;
  o.freq_masks = 3;
  o.freq_mask_bands = 8;
  const FeatureConfig f = FeatureConfig::Preset("logmel");
  std::vector<float> fill(2 * 64);
  for (size_t i = 0; i < fill.size(); ++i) fill[i] = 100.f + static_cast<float>(i);  // not in the data
  const Augmenter aug(o, f, fill, {2, 64, 80});
  EXPECT_TRUE(aug.enabled());
  std::mt19937_64 rng(9);
  int64_t widest_t = 0, widest_f = 0;
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<float> x = RandomImage(2 * 64 * 80, static_cast<uint64_t>(trial));
    const std::vector<float> before = x;
    aug.Apply(x.data(), rng);
    // A cell is either unchanged or its row's fill value; masked frames/bands are the same on both channels.
    std::vector<bool> frame_masked(80, true), band_masked(64, true);
    for (int c = 0; c < 2; ++c) {
      for (int m = 0; m < 64; ++m) {
        for (int t = 0; t < 80; ++t) {
          const size_t i = static_cast<size_t>((c * 64 + m) * 80 + t);
          const bool masked = x[i] == fill[static_cast<size_t>(c * 64 + m)];
          ASSERT_TRUE(masked || x[i] == before[i]);
          if (!masked) frame_masked[static_cast<size_t>(t)] = false, band_masked[static_cast<size_t>(m)] = false;
        }
      }
    }
    const int64_t nt = std::count(frame_masked.begin(), frame_masked.end(), true);
    const int64_t nf = std::count(band_masked.begin(), band_masked.end(), true);
    ASSERT_LE(nt, 2 * 16);  // at most 2 masks of at most 16 frames (they may overlap)
    ASSERT_LE(nf, 3 * 8);
    widest_t = std::max(widest_t, nt);
    widest_f = std::max(widest_f, nf);
  }
  EXPECT_GT(widest_t, 16);  // two masks together do exceed one mask's width sometimes
  EXPECT_GT(widest_f, 8);
}

// Applies `aug` to 300 random [2, 64, 80] images: every cell of band m, on both channels, must
// change by gain(m, u), where u is the draw read off the change of one cell (`probe`); the draws
// stay within [-bound, bound] and reach 80 % of it on both sides.
void ExpectBandGains(const Augmenter& aug, uint64_t seed, double bound, size_t probe,
                     const std::function<double(int, double)>& gain) {
  std::mt19937_64 rng(seed);
  double lo = 1e9, hi = -1e9;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<float> x = RandomImage(2 * 64 * 80, static_cast<uint64_t>(trial));
    const std::vector<float> before = x;
    aug.Apply(x.data(), rng);
    const double u = x[probe] - before[probe];
    for (int c = 0; c < 2; ++c) {
      for (int m = 0; m < 64; ++m) {
        const double expected = gain(m, u);
        for (int t = 0; t < 80; ++t) {
          const size_t i = static_cast<size_t>((c * 64 + m) * 80 + t);
          ASSERT_NEAR(x[i] - before[i], expected, 1e-4) << "channel " << c << " band " << m;
        }
      }
    }
    lo = std::min(lo, u), hi = std::max(hi, u);
  }
  EXPECT_GE(lo, -bound - 1e-4);
  EXPECT_LE(hi, bound + 1e-4);
  EXPECT_LT(lo, -0.8 * bound);
  EXPECT_GT(hi, 0.8 * bound);
}

TEST(Augmenter, LevelShiftIsTheSameOnBothChannelsAndBounded) {
  EXPECT_NEAR(LogShiftPerDb(FeatureConfig::Preset("logmel")), std::log(10.0) / 10, 1e-12);
  for (const char* features : {"logmel", "loggam"}) {
    SCOPED_TRACE(features);
    TrainOptions o = TrainOptions::Preset("fast");
    o.level_shift_db = 6;
    const FeatureConfig f = FeatureConfig::Preset(features);
    const Augmenter aug(o, f, std::vector<float>(2 * 64, 0.f), {2, 64, 80});
    ExpectBandGains(aug, 4, 6 * LogShiftPerDb(f), 0, [](int, double u) { return u; });  // one gain everywhere
  }
}

TEST(Augmenter, TiltIsLinearOverBandsTheSameOnBothChannelsAndBounded) {
  TrainOptions o = TrainOptions::Preset("fast");
  o.tilt_db = 6;
  const FeatureConfig f = FeatureConfig::Preset("logmel");
  const Augmenter aug(o, f, std::vector<float>(2 * 64, 0.f), {2, 64, 80});
  ASSERT_TRUE(aug.enabled());
  // The highest band gains u, the lowest -u, linear in between.
  ExpectBandGains(aug, 5, 6 * LogShiftPerDb(f), 63 * 80, [](int m, double u) { return u * (2.0 * m / 63 - 1); });
}

TEST(Augmenter, BandShiftMovesBothChannelsAlikeWithinBoundsAndCoversEveryShift) {
  TrainOptions o = TrainOptions::Preset("fast");
  o.freq_shift_bands = 3;
  const FeatureConfig f = testing::TinyFeatures();
  const Augmenter aug(o, f, std::vector<float>(2 * 10, 0.f), {2, 10, 4});
  ASSERT_TRUE(aug.enabled());
  std::vector<float> image(2 * 10 * 4);  // value = 1000 c + 10 m + t
  for (int c = 0; c < 2; ++c)
    for (int m = 0; m < 10; ++m)
      for (int t = 0; t < 4; ++t) image[static_cast<size_t>((c * 10 + m) * 4 + t)] = static_cast<float>(1000 * c + 10 * m + t);
  std::mt19937_64 rng(6);
  std::set<int> seen;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> x = image;
    aug.Apply(x.data(), rng);
    // Band 5 (in the middle, never an edge) tells the shift: it now holds band 5 - s.
    const int s = 5 - static_cast<int>(x[5 * 4]) / 10;
    ASSERT_LE(std::abs(s), 3);
    seen.insert(s);
    for (int c = 0; c < 2; ++c)
      for (int m = 0; m < 10; ++m)
        for (int t = 0; t < 4; ++t) {
          const int from = std::clamp(m - s, 0, 9);
          ASSERT_EQ(x[static_cast<size_t>((c * 10 + m) * 4 + t)], 1000 * c + 10 * from + t) << "shift " << s;
        }
  }
  EXPECT_EQ(seen.size(), 7u);  // every shift in [-3, 3] drawn
}

// The weight average after a few updates equals the direct formula over the live weights.
TEST(Ema, EqualsADirectComputation) {
  torch::manual_seed(1);
  ArchConfig a = testing::TinyArch("cnn");
  NetworkPtr live = MakeNetwork(a), avg = MakeNetwork(a);
  CopyWeights(*avg, *live);
  const auto p0 = live->parameters()[0].detach().clone();
  torch::Tensor expected = p0.clone();
  for (int64_t step = 0; step < 5; ++step) {
    {
      torch::NoGradGuard ng;
      for (auto& p : live->parameters()) p.add_(0.1 * (step + 1));
    }
    const double d = EmaDecay(0.9, step);
    EXPECT_DOUBLE_EQ(d, std::min(0.9, (1.0 + step) / (10.0 + step)));
    UpdateEma(*avg, *live, d);
    expected = d * expected + (1 - d) * live->parameters()[0].detach();
  }
  EXPECT_TRUE(torch::allclose(avg->parameters()[0], expected, 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(avg->parameters()[0], live->parameters()[0]));
}

}  // namespace
}  // namespace ascnet
