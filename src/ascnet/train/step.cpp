#include "ascnet/train/step.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

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

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainOptions& o, const std::vector<torch::Tensor>& params) {
  if (o.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(o.lr).betas({o.adam_beta1, o.adam_beta2}).eps(o.adam_eps).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(o.lr).betas({o.adam_beta1, o.adam_beta2}).eps(o.adam_eps).weight_decay(o.weight_decay));
}

}  // namespace ascnet
