#include "ascnet/train/step.h"

#include <torch/optim/adam.h>

#include "ascnet/train/bc.h"

namespace ascnet {

StepOutput TrainStep(NetworkImpl& net, torch::optim::Optimizer& optimizer, const torch::Tensor& x,
                     const torch::Tensor& y) {
  TORCH_CHECK(x.dim() == 4 && y.dim() == 2 && x.size(0) == y.size(0), "TrainStep: expected x [B, C, M, T] and y [B, classes], got ",
              x.sizes(), " and ", y.sizes());
  optimizer.zero_grad();
  const torch::Tensor logits = net.forward(x.contiguous(at::MemoryFormat::ChannelsLast)).logits;
  const torch::Tensor loss = KlDivLoss(logits, y);
  loss.backward();
  optimizer.step();
  return {loss.detach(), logits.detach()};
}

void SetConvMemoryFormat(NetworkImpl& net, at::MemoryFormat format) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(format));
  }
}

void SetAdamLr(torch::optim::Optimizer& adam, double lr) {
  for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

}  // namespace ascnet
