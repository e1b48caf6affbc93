// Freq-MixStyle (train/mixstyle.h) and the Beta draws it uses (train/random.h).
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <torch/types.h>

#include "ascnet/core/error.h"
#include "ascnet/train/mixstyle.h"
#include "ascnet/train/options.h"
#include "ascnet/train/random.h"

namespace ascnet {
namespace {

TEST(BetaDraw, MomentsMatchTheBetaDistribution) {
  for (const double a : {0.3, 1.0, 2.0}) {
    std::mt19937_64 rng(7);
    const int n = 200000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double v = BetaDraw(rng, a, a);
      ASSERT_GE(v, 0.0);
      ASSERT_LE(v, 1.0);
      sum += v;
      sum2 += v * v;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    const double want_var = 1.0 / (4 * (2 * a + 1));  // a^2 / ((2a)^2 (2a + 1))
    EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(want_var / n)) << "a=" << a;
    EXPECT_NEAR(var, want_var, 0.01 * want_var + 0.002) << "a=" << a;
  }
  std::mt19937_64 rng(3);  // asymmetric: mean a / (a + b)
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += BetaDraw(rng, 0.5, 1.5);
  EXPECT_NEAR(sum / 100000, 0.25, 0.005);
}

TEST(RandomPermutation, IsAPermutationDrawnAsDocumented) {
  std::mt19937_64 rng(4), replay(4);
  const std::vector<int64_t> perm = RandomPermutation(rng, 9);
  std::vector<int64_t> want = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  for (int64_t i = 8; i > 0; --i) std::swap(want[i], want[UniformIndex(replay, i + 1)]);
  EXPECT_EQ(perm, want);
  EXPECT_EQ(rng(), replay());
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(RandomPermutation(rng, 0).empty());
  EXPECT_EQ(RandomPermutation(rng, 1), std::vector<int64_t>{0});
}

torch::Tensor Images(int64_t b, uint64_t seed) {
  torch::manual_seed(seed);
  // Rows with different levels and spreads, as log images have.
  return torch::randn({b, 2, 8, 80}) * torch::rand({b, 2, 8, 1}) * 3 + torch::randn({b, 2, 8, 1}) * 5;
}

TEST(FreqMixStyle, OffLeavesTheImagesAndTheGeneratorAlone) {
  const torch::Tensor x = Images(6, 1);
  std::mt19937_64 rng(9), untouched(9);
  EXPECT_TRUE(torch::equal(FreqMixStyle(x, 0.0, 0.3, rng), x));
  EXPECT_EQ(rng(), untouched());
}

TEST(FreqMixStyle, EachRowTakesTheMixedStatisticsOfItsPartner) {
  const int64_t batch = 6;
  const torch::Tensor x = Images(batch, 2);
  std::mt19937_64 rng(11), replay(11);
  const torch::Tensor y = FreqMixStyle(x, 1.0, 0.3, rng);
  // Replay the draws in the documented order: the apply draw, the permutation, the weights.
  ASSERT_LT(UniformUnit(replay), 1.0);
  const std::vector<int64_t> perm = RandomPermutation(replay, batch);
  std::vector<double> lam(batch);
  for (double& l : lam) l = BetaDraw(replay, 0.3, 0.3);
  EXPECT_EQ(rng(), replay());  // nothing else drawn

  const torch::Tensor mean = x.to(torch::kDouble).mean({3}), y_mean = y.to(torch::kDouble).mean({3});
  const torch::Tensor var = x.to(torch::kDouble).var({3}, false);
  const torch::Tensor sd = (var + 1e-6).sqrt();
  const torch::Tensor kept = (var / (var + 1e-6)).sqrt();  // the standardised row's spread
  const torch::Tensor y_sd = y.to(torch::kDouble).var({3}, false).sqrt();
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t j = perm[i];
    const torch::Tensor want_mean = lam[i] * mean[i] + (1 - lam[i]) * mean[j];
    const torch::Tensor want_sd = (lam[i] * sd[i] + (1 - lam[i]) * sd[j]) * kept[i];
    EXPECT_LT((y_mean[i] - want_mean).abs().max().item<double>(), 1e-4) << "image " << i;
    EXPECT_LT(((y_sd[i] - want_sd) / want_sd).abs().max().item<double>(), 1e-3) << "image " << i;
    // The shape of each row over time is kept: the standardised rows are equal.
    const torch::Tensor zx = (x[i] - x[i].mean({2}, true)) / x[i].std({2}, false, true);
    const torch::Tensor zy = (y[i] - y[i].mean({2}, true)) / y[i].std({2}, false, true);
    EXPECT_LT((zx - zy).abs().max().item<double>(), 1e-3) << "image " << i;
  }
  EXPECT_FALSE(torch::allclose(y, x));
}

TEST(FreqMixStyle, AppliedToAboutAFractionPOfTheBatches) {
  const torch::Tensor x = Images(4, 3);
  std::mt19937_64 rng(5);
  int applied = 0;
  const int n = 400;
  for (int k = 0; k < n; ++k) applied += torch::equal(FreqMixStyle(x, 0.25, 0.3, rng), x) ? 0 : 1;
  EXPECT_NEAR(applied, 0.25 * n, 5 * std::sqrt(n * 0.25 * 0.75));
}

TEST(FreqMixStyle, RejectsBadArguments) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(FreqMixStyle(torch::zeros({2, 8, 80}), 0.5, 0.3, rng), c10::Error);
  EXPECT_THROW(FreqMixStyle(Images(2, 1), 1.5, 0.3, rng), c10::Error);
  EXPECT_THROW(FreqMixStyle(Images(2, 1), 0.5, 0.0, rng), c10::Error);
}

TEST(FreqMixStyle, OnInTheDefaultRecipeOffInThePaperAndFastOnes) {
  EXPECT_EQ(TrainOptions::Preset("default").mixstyle_p, 0.5);
  EXPECT_EQ(TrainOptions::Preset("default").mixstyle_alpha, 0.3);
  EXPECT_EQ(TrainOptions::Preset("augment").mixstyle_p, 0.5);
  EXPECT_EQ(TrainOptions::Preset("paper").mixstyle_p, 0.0);
  EXPECT_EQ(TrainOptions::Preset("fast").mixstyle_p, 0.0);
  TrainOptions o = TrainOptions::Preset("default");
  o.mixstyle_p = 1.5;
  EXPECT_THROW(o.Validate(), ConfigError);
  o.mixstyle_p = 0.5;
  o.mixstyle_alpha = 0;
  EXPECT_THROW(o.Validate(), ConfigError);
}

}  // namespace
}  // namespace ascnet
