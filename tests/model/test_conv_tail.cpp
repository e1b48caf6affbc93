// FusedConvTail (model/conv_tail.h) against the plain ops it replaces in training.
#include <gtest/gtest.h>

#include <torch/nn/functional.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/utils.h>

#include "ascnet/model/conv_tail.h"
#include "ascnet/model/dropout.h"

namespace ascnet {
namespace {

namespace F = torch::nn::functional;

struct TailResult {
  torch::Tensor out, dy, dweight, dbias, running_mean, running_var, batches;
};

torch::nn::BatchNorm2d MakeBn(int64_t C) {
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(C).eps(1e-5).momentum(0.1));
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  bn->weight.copy_(torch::randn({C}));  // some negative scales: the pool takes the minimum there
  bn->bias.copy_(torch::randn({C}));
  bn->running_mean.copy_(torch::rand({C}));
  bn->running_var.copy_(torch::rand({C}) + 0.5);
  bn->train();
  return bn;
}

TailResult RunTail(bool fused, const torch::Tensor& y0, const torch::Tensor& gout, int64_t pool, double p) {
  torch::nn::BatchNorm2d bn = MakeBn(y0.size(1));
  torch::Tensor y = y0.clone().detach().requires_grad_(true);
  torch::manual_seed(5);
  torch::Tensor out;
  if (fused) {
    EXPECT_TRUE(FusedConvTailApplies(y, bn, pool));
    out = FusedConvTail(y, bn, pool, p);
  } else {
    out = F::max_pool2d(bn->forward(torch::relu(y)), F::MaxPool2dFuncOptions({pool, 1}).stride({pool, 1}));
    out = Dropout(out, p, true);
  }
  (out * gout).sum().backward();
  return {out.detach(), y.grad(), bn->weight.grad(), bn->bias.grad(), bn->running_mean.clone(),
          bn->running_var.clone(), bn->num_batches_tracked.clone()};
}

void ExpectClose(const torch::Tensor& a, const torch::Tensor& b, double tol, const char* what) {
  const double scale = std::max(1.0, b.abs().max().item<double>());
  EXPECT_LE((a - b).abs().max().item<double>(), tol * scale) << what;
}

TEST(ConvTail, EqualsReluBatchNormPoolDropout) {
  for (int64_t pool : {4, 2}) {
    for (double p : {0.0, 0.25}) {
      torch::manual_seed(1);
      const torch::Tensor y = torch::randn({6, 16, 8, 10}).contiguous(torch::MemoryFormat::ChannelsLast);
      const torch::Tensor gout = torch::randn({6, 16, 8 / pool, 10});
      const TailResult f = RunTail(true, y, gout, pool, p), r = RunTail(false, y, gout, pool, p);
      EXPECT_TRUE(f.out.is_contiguous(torch::MemoryFormat::ChannelsLast));
      ExpectClose(f.out, r.out, 1e-5, "output");
      EXPECT_TRUE(torch::equal(f.out == 0, r.out == 0)) << "the same dropout mask";
      ExpectClose(f.dy, r.dy, 1e-5, "d input");
      ExpectClose(f.dweight, r.dweight, 1e-5, "d weight");
      ExpectClose(f.dbias, r.dbias, 1e-5, "d bias");
      ExpectClose(f.running_mean, r.running_mean, 1e-6, "running mean");
      ExpectClose(f.running_var, r.running_var, 1e-6, "running var");
      EXPECT_TRUE(torch::equal(f.batches, r.batches));
    }
  }
}

TEST(ConvTail, SameResultsForAnyThreadCount) {
  torch::manual_seed(2);
  const torch::Tensor y = torch::randn({5, 32, 8, 12}).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor gout = torch::randn({5, 32, 2, 12});
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const TailResult a = RunTail(true, y, gout, 4, 0.25);
  torch::set_num_threads(2);
  const TailResult b = RunTail(true, y, gout, 4, 0.25);
  torch::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(a.out, b.out));
  EXPECT_TRUE(torch::equal(a.dy, b.dy));
  EXPECT_TRUE(torch::equal(a.dweight, b.dweight));
  EXPECT_TRUE(torch::equal(a.running_var, b.running_var));
}

TEST(ConvTail, AppliesOnlyToWhatItHandles) {
  torch::nn::BatchNorm2d bn = MakeBn(8);
  const torch::Tensor cl = torch::randn({2, 8, 8, 4}).contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(FusedConvTailApplies(cl, bn, 4));
  EXPECT_FALSE(FusedConvTailApplies(cl.contiguous(), bn, 4));      // NCHW: the plain ops
  EXPECT_FALSE(FusedConvTailApplies(cl, bn, 3));                   // 8 bands do not pool by 3
  EXPECT_FALSE(FusedConvTailApplies(cl.to(torch::kDouble), bn, 4));
  bn->eval();
  EXPECT_FALSE(FusedConvTailApplies(cl, bn, 4));                   // running statistics
}

}  // namespace
}  // namespace ascnet
