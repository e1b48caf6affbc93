#include "ascnet/train/ema.h"

#include <algorithm>

#include <torch/types.h>
#include <torch/utils.h>

namespace ascnet {
namespace {

template <typename F>
void ForEachPair(NetworkImpl& average, NetworkImpl& live, F f) {
  torch::NoGradGuard no_grad;
  const auto ap = average.parameters(), lp = live.parameters();
  TORCH_CHECK(ap.size() == lp.size(), "EMA: the networks have ", ap.size(), " and ", lp.size(), " parameters");
  for (size_t i = 0; i < ap.size(); ++i) f(ap[i], lp[i]);
  const auto ab = average.buffers(), lb = live.buffers();
  TORCH_CHECK(ab.size() == lb.size(), "EMA: the networks have ", ab.size(), " and ", lb.size(), " buffers");
  for (size_t i = 0; i < ab.size(); ++i) f(ab[i], lb[i]);
}

}  // namespace

double EmaDecay(double decay, int64_t step) {
  return std::min(decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void UpdateEma(NetworkImpl& average, NetworkImpl& live, double d) {
  ForEachPair(average, live, [d](torch::Tensor a, const torch::Tensor& l) {
    TORCH_CHECK(a.sizes() == l.sizes(), "EMA: shapes ", a.sizes(), " and ", l.sizes(), " differ");
    if (a.is_floating_point()) {
      a.mul_(d).add_(l, 1.0 - d);
    } else {
      a.copy_(l);
    }
  });
}

void CopyWeights(NetworkImpl& average, NetworkImpl& live) {
  ForEachPair(average, live, [](torch::Tensor a, const torch::Tensor& l) {
    TORCH_CHECK(a.sizes() == l.sizes(), "EMA: shapes ", a.sizes(), " and ", l.sizes(), " differ");
    a.copy_(l);
  });
}

}  // namespace ascnet
