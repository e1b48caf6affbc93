// A bidirectional GRU layer in training mode as one autograd function.
//
// torch::nn::GRU trains on the CPU through per-step ATen ops: about ten tensor operations per
// step and direction forward, each recorded by autograd and replayed backward, for 80 steps x
// 2 directions x 2 layers. That made the two GRUs about half of an Att-CRNN training step
// (forward + backward 404 ms of ~820 at batch 100, 2 threads). FusedBiGru computes the same
// layer with one matrix product per step and direction (the hidden products; the input
// projections of all steps and both directions are one product before the recurrence), the
// gates in one element-wise pass (model/gru_kernel.h, the inference kernel's tanh), the two
// directions on two threads, and backward through time with the weight gradients as one
// product over all steps.
//
// Same results as torch::nn::GRU within float rounding (tests/model/test_gru_train.cpp:
// outputs and every gradient). Every product is split in a fixed way (never by the thread
// count), so a training run gives the same bits with 1 or 2 threads. Other devices, dtypes
// and eval mode use torch::nn::GRU.
#pragma once

#include <torch/nn/modules/rnn.h>

namespace ascnet {

/// Whether FusedBiGru handles gru(x): the module in training mode, one bidirectional
/// batch-first layer with biases and no dropout, and x a float32 CPU tensor [B, T, I].
bool FusedBiGruApplies(const torch::Tensor& x, const torch::nn::GRU& gru);

/// std::get<0>(gru->forward(x)) ([B, T, 2H] = [h_f, h_b], from h_0 = 0) as one autograd
/// function; gradients flow to x and to the GRU's eight parameters.
torch::Tensor FusedBiGru(const torch::Tensor& x, const torch::nn::GRU& gru);

}  // namespace ascnet
