// The GRU kernel of the fast inference path: torch::nn::GRU's numbers, and rows that do not
// depend on their batch, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <torch/nn/modules/rnn.h>

#include "ascnet/model/gru_kernel.h"

namespace ascnet {
namespace {

TEST(GruKernel, TanhAndSigmoidWithin5e7) {
  double worst_tanh = 0, worst_sigmoid = 0;
  for (int i = -400000; i <= 400000; ++i) {
    const float x = static_cast<float>(i) * 5e-5f;  // [-20, 20]
    worst_tanh = std::max(worst_tanh, std::abs(static_cast<double>(GruTanh(x)) - std::tanh(static_cast<double>(x))));
    worst_sigmoid = std::max(worst_sigmoid, std::abs(static_cast<double>(GruSigmoid(x)) - 1.0 / (1.0 + std::exp(-static_cast<double>(x)))));
  }
  EXPECT_LT(worst_tanh, 5e-7);
  EXPECT_LT(worst_sigmoid, 5e-7);
  EXPECT_EQ(GruTanh(0.0f), 0.0f);
  EXPECT_EQ(GruTanh(-1e-3f), -GruTanh(1e-3f));
}

struct Gru {
  torch::nn::GRU module{nullptr};
  GruRecurrentWeights fwd, bwd;
  torch::Tensor w_ih, b_ih;  // [6H, F], [6H]: both directions
};

Gru MakeGru(int64_t in, int64_t hidden, uint64_t seed) {
  torch::manual_seed(seed);
  Gru g;
  g.module = torch::nn::GRU(torch::nn::GRUOptions(in, hidden).bidirectional(true).batch_first(true));
  auto p = g.module->named_parameters();
  auto pack = [&](const std::string& suffix) {
    const torch::Tensor w = p["weight_hh_l0" + suffix].detach().contiguous();
    const torch::Tensor b = p["bias_hh_l0" + suffix].detach().contiguous();
    return GruRecurrentWeights::FromTorchLayout(w.data_ptr<float>(), b.data_ptr<float>(), hidden);
  };
  g.fwd = pack("");
  g.bwd = pack("_reverse");
  g.w_ih = torch::cat({p["weight_ih_l0"], p["weight_ih_l0_reverse"]}).detach();
  g.b_ih = torch::cat({p["bias_ih_l0"], p["bias_ih_l0_reverse"]}).detach();
  return g;
}

// x [n, T, F] -> [n, T, 2H] through the kernel (input projections by torch, one product).
torch::Tensor KernelForward(const Gru& g, const torch::Tensor& x) {
  const int64_t n = x.size(0), t = x.size(1), H = g.fwd.hidden;
  const torch::Tensor xp = torch::addmm(g.b_ih, x.reshape({n * t, -1}), g.w_ih.t()).contiguous();
  torch::Tensor out = torch::empty({n, t, 2 * H});
  GruRecurrence(g.fwd, xp.data_ptr<float>(), t * 6 * H, 6 * H, n, t, false, out.data_ptr<float>(), t * 2 * H, 2 * H);
  GruRecurrence(g.bwd, xp.data_ptr<float>() + 3 * H, t * 6 * H, 6 * H, n, t, true, out.data_ptr<float>() + H,
                t * 2 * H, 2 * H);
  return out;
}

TEST(GruKernel, MatchesTorchGru) {
  torch::NoGradGuard ng;
  for (auto [in, hidden] : {std::pair<int64_t, int64_t>{256, 128}, {12, 24}, {5, 3}}) {
    Gru g = MakeGru(in, hidden, 7);
    const torch::Tensor x = torch::randn({5, 40, in}) * 1.5;
    const torch::Tensor ref = std::get<0>(g.module->forward(x));
    const torch::Tensor got = KernelForward(g, x);
    EXPECT_TRUE(torch::allclose(got, ref, 1e-4, 2e-6))
        << "H=" << hidden << " max diff " << (got - ref).abs().max().item<float>();
  }
}

// A row's recurrence gives the same bits alone and at any place in a batch of any size
// (the input projections are given, so only the kernel is under test).
TEST(GruKernel, RowsDoNotDependOnTheirBatch) {
  for (int64_t hidden : {128, 24, 5}) {
    const Gru g = MakeGru(4, hidden, 11);
    const int64_t t = 17, H = hidden, N = 3 * H;
    const torch::Tensor xp = torch::randn({13, t, N});
    auto run = [&](int64_t first, int64_t rows, bool reverse) {
      torch::Tensor out = torch::empty({rows, t, H});
      GruRecurrence(reverse ? g.bwd : g.fwd, xp.data_ptr<float>() + first * t * N, t * N, N, rows, t, reverse,
                    out.data_ptr<float>(), t * H, H);
      return out;
    };
    for (bool reverse : {false, true}) {
      const torch::Tensor all = run(0, 13, reverse);
      for (int64_t rows = 1; rows <= 6; ++rows) {
        for (int64_t first : {int64_t{0}, int64_t{3}, 13 - rows}) {
          EXPECT_TRUE(torch::equal(run(first, rows, reverse), all.narrow(0, first, rows)))
              << "H=" << hidden << " rows " << first << "+" << rows << (reverse ? " reverse" : "");
        }
      }
    }
  }
}

}  // namespace
}  // namespace ascnet
