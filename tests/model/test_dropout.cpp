// Dropout (model/dropout.h): torch::dropout's semantics with a fast seeded mask.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <torch/nn/functional.h>
#include <torch/utils.h>

#include "ascnet/model/dropout.h"

namespace ascnet {
namespace {

TEST(Dropout, OffInEvalModeAndForZeroProbability) {
  const torch::Tensor x = torch::randn({4, 3, 8, 5});
  EXPECT_TRUE(Dropout(x, 0.25, false).is_same(x));
  EXPECT_TRUE(Dropout(x, 0.0, true).is_same(x));
  EXPECT_EQ(Dropout(x, 1.0, true).abs().sum().item<float>(), 0.0f);
}

TEST(Dropout, MaskValuesAndKeptFraction) {
  for (double p : {0.1, 0.25, 0.5}) {
    const int64_t n = 1 << 20;
    std::vector<float> m(n);
    FillDropoutMask(m.data(), n, p, 12345);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t kept = 0;
    for (float v : m) {
      ASSERT_TRUE(v == 0.0f || v == scale) << v;
      kept += v != 0.0f;
    }
    const double expect = (1.0 - p) * n, sigma = std::sqrt(n * p * (1.0 - p));
    EXPECT_NEAR(static_cast<double>(kept), expect, 5 * sigma) << "p = " << p;
    // Neighbours are independent: P(both kept) = (1 - p)^2.
    int64_t pairs = 0;
    for (int64_t i = 0; i + 1 < n; i += 2) pairs += (m[i] != 0.0f) && (m[i + 1] != 0.0f);
    const double pe = (1.0 - p) * (1.0 - p), half = n / 2.0;
    EXPECT_NEAR(static_cast<double>(pairs), pe * half, 5 * std::sqrt(half * pe * (1 - pe))) << "p = " << p;
  }
}

TEST(Dropout, MaskDependsOnSeedAndIndexOnlyNotOnThreads) {
  const int64_t n = 300001;  // several chunks and a partial one
  std::vector<float> a(n), b(n), c(n);
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  FillDropoutMask(a.data(), n, 0.25, 7);
  torch::set_num_threads(2);
  FillDropoutMask(b.data(), n, 0.25, 7);
  FillDropoutMask(c.data(), n, 0.25, 8);
  torch::set_num_threads(threads);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // A prefix is the same whatever the length.
  std::vector<float> d(1000);
  FillDropoutMask(d.data(), 1000, 0.25, 7);
  EXPECT_TRUE(std::equal(d.begin(), d.end(), a.begin()));
}

TEST(Dropout, SeededByTorchGeneratorAndGradientIsTheMask) {
  const torch::Tensor x0 = torch::randn({8, 16, 4, 10}).contiguous(torch::MemoryFormat::ChannelsLast);
  torch::manual_seed(3);
  torch::Tensor x = x0.clone().requires_grad_(true);
  const torch::Tensor y = Dropout(x, 0.25, true);
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  y.sum().backward();
  torch::manual_seed(3);
  const torch::Tensor y2 = Dropout(x0, 0.25, true);
  EXPECT_TRUE(torch::equal(y.detach(), y2));
  const torch::Tensor mask = x.grad();  // d sum(x * mask) / dx
  EXPECT_TRUE(torch::equal(y.detach(), x0 * mask));
  const torch::Tensor kept = (mask != 0).to(torch::kFloat);
  EXPECT_TRUE(torch::equal(mask, kept * (1.0f / 0.75f)));
  // The next call draws another mask.
  EXPECT_FALSE(torch::equal(Dropout(x0, 0.25, true), y2));
}

}  // namespace
}  // namespace ascnet
