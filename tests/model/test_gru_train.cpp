// FusedBiGru (model/gru_train.h) against torch::nn::GRU, the module it replaces in training.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/nn/modules/rnn.h>
#include <torch/utils.h>

#include "ascnet/model/gru_train.h"

namespace ascnet {
namespace {

struct GruResult {
  torch::Tensor out, dx;
  std::vector<torch::Tensor> dparams;  // in named_parameters() order
};

torch::nn::GRU MakeGru(int64_t in, int64_t hidden) {
  torch::manual_seed(3);
  torch::nn::GRU gru(torch::nn::GRUOptions(in, hidden).num_layers(1).bidirectional(true).batch_first(true));
  gru->train();
  return gru;
}

GruResult RunGru(bool fused, const torch::Tensor& x0, const torch::Tensor& gout) {
  torch::nn::GRU gru = MakeGru(x0.size(2), gout.size(2) / 2);
  torch::Tensor x = x0.clone().requires_grad_(true);
  torch::Tensor out;
  if (fused) {
    EXPECT_TRUE(FusedBiGruApplies(x, gru));
    out = FusedBiGru(x, gru);
  } else {
    out = std::get<0>(gru->forward(x));
  }
  (out * gout).sum().backward();
  GruResult r{out.detach(), x.grad(), {}};
  for (const auto& p : gru->parameters()) r.dparams.push_back(p.grad());
  return r;
}

// Largest difference relative to the reference's largest magnitude.
double RelDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1e-6, b.abs().max().item<double>());
}

TEST(GruTrain, EqualsTorchGruOutputAndGradients) {
  // Small sizes, and the Att-CRNN's (I = 256, H = 128, T = 80) at a small batch.
  for (auto [B, T, I, H] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{3, 7, 10, 5}, {4, 80, 256, 128}}) {
    torch::manual_seed(7);
    const torch::Tensor x = torch::randn({B, T, I});
    const torch::Tensor gout = torch::randn({B, T, 2 * H});
    const GruResult f = RunGru(true, x, gout), r = RunGru(false, x, gout);
    EXPECT_LT(RelDiff(f.out, r.out), 1e-5) << "output, H=" << H;
    EXPECT_LT(RelDiff(f.dx, r.dx), 1e-4) << "input gradient, H=" << H;
    ASSERT_EQ(f.dparams.size(), 8u);
    ASSERT_EQ(r.dparams.size(), 8u);
    for (size_t i = 0; i < 8; ++i) {
      ASSERT_TRUE(f.dparams[i].defined()) << "parameter " << i;
      EXPECT_LT(RelDiff(f.dparams[i], r.dparams[i]), 1e-4) << "parameter " << i << ", H=" << H;
    }
  }
}

TEST(GruTrain, SameBitsWithOneAndTwoThreads) {
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({9, 20, 16});
  const torch::Tensor gout = torch::randn({9, 20, 2 * 12});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const GruResult one = RunGru(true, x, gout);
  at::set_num_threads(2);
  const GruResult two = RunGru(true, x, gout);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.out, two.out));
  EXPECT_TRUE(torch::equal(one.dx, two.dx));
  for (size_t i = 0; i < one.dparams.size(); ++i) EXPECT_TRUE(torch::equal(one.dparams[i], two.dparams[i])) << i;
}

TEST(GruTrain, AppliesOnlyInTrainingToFloatCpuInput) {
  torch::nn::GRU gru = MakeGru(6, 4);
  EXPECT_TRUE(FusedBiGruApplies(torch::zeros({2, 3, 6}), gru));
  EXPECT_FALSE(FusedBiGruApplies(torch::zeros({2, 3, 6}, torch::kDouble), gru));
  EXPECT_FALSE(FusedBiGruApplies(torch::zeros({2, 3, 5}), gru));
  EXPECT_FALSE(FusedBiGruApplies(torch::zeros({2, 0, 6}), gru));
  gru->eval();
  EXPECT_FALSE(FusedBiGruApplies(torch::zeros({2, 3, 6}), gru));
  torch::nn::GRU uni(torch::nn::GRUOptions(6, 4).batch_first(true));
  EXPECT_FALSE(FusedBiGruApplies(torch::zeros({2, 3, 6}), uni));
  EXPECT_THROW(FusedBiGru(torch::zeros({2, 3, 6}), uni), c10::Error);
}

}  // namespace
}  // namespace ascnet
