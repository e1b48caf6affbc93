// One optimiser step of between-class training, shared by the training loop (trainer.cpp)
// and the training benchmark (bench/bench_train.cpp), so the benchmark times the real step.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "ascnet/model/networks.h"
#include "ascnet/train/options.h"

namespace ascnet {

struct StepOutput {
  torch::Tensor loss;    ///< scalar KL-divergence loss of the batch (detached)
  torch::Tensor logits;  ///< [B, classes] (detached)
};

/// Puts the network's 4-D parameters (the conv weights) into `format`. Training runs with
/// channels-last convolutions (measured 16 % faster full steps on 2 CPU cores, both
/// networks); the trainer turns them back to contiguous before the network leaves it.
void SetConvMemoryFormat(NetworkImpl& net, at::MemoryFormat format);

/// zero_grad, forward in the network's current mode on x in channels-last layout,
/// KlDivLoss(logits, y), backward, step.
/// x: [B, C, M, T] normalised (mixed) images on the network's device; y: [B, classes]
/// target distributions (rows sum to 1).
StepOutput TrainStep(NetworkImpl& net, torch::optim::Optimizer& optimizer, const torch::Tensor& x,
                     const torch::Tensor& y);

/// Sets the learning rate of every parameter group of an optimiser.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr);

/// The optimiser of TrainOptions: Adam (weight_decay as L2 in the gradient) or AdamW
/// (decoupled weight decay), with the options' betas and eps, over `params`.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainOptions& options,
                                                       const std::vector<torch::Tensor>& params);

}  // namespace ascnet
