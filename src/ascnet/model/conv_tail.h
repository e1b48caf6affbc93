// The tail of a conv layer in training mode as one autograd function.
//
// After each convolution the conv block applies ReLU -> batch norm (batch statistics) -> max
// pool (pool x 1, frequency) -> dropout. As separate LibTorch ops that is ten passes over
// the convolution's output forward and backward (the first layer's is 131 MB at batch 100),
// and they took about half of an Att-CRNN training step on one thread (bench_train
// BM_ConvTail: the three layers' tails 551 ms plain, 148 ms fused). FusedConvTail computes the same thing in two passes forward (batch statistics;
// then pool, normalise and drop the pooled values only: batch norm is a per-channel monotone
// affine map, so it commutes with the max, through the min for a negative scale) and two
// backward (the pooled gradients' sums; then one pass writing the input's gradient).
//
// Same results as the plain ops within float rounding: the same dropout mask (one seed drawn
// from LibTorch's generator, as Dropout() draws it), the running statistics and
// num_batches_tracked updated as BatchNorm2d updates them, gradients to the input and to
// the batch norm's weight and bias. Sums are accumulated per sample (in float over blocks of
// 32 rows, then in double) and added in sample order, so results do not depend on the thread
// count.
#pragma once

#include <torch/nn/modules/batchnorm.h>

namespace ascnet {

/// Whether FusedConvTail handles `y` (the convolution's output [B, C, M, T]): float32 on the
/// CPU, channels-last (how the trainer runs the convolutions), M divisible by `pool`, a
/// batch norm with affine parameters, running statistics and a momentum, in training mode.
/// Otherwise the conv block runs the plain ops.
bool FusedConvTailApplies(const torch::Tensor& y, const torch::nn::BatchNorm2d& bn, int64_t pool);

/// relu -> bn (training) -> max_pool2d({pool, 1}) -> Dropout(p) of y [B, C, M, T]
/// channels-last; returns [B, C, M / pool, T] channels-last. Updates bn's running statistics.
torch::Tensor FusedConvTail(const torch::Tensor& y, torch::nn::BatchNorm2d& bn, int64_t pool, double dropout_p);

}  // namespace ascnet
