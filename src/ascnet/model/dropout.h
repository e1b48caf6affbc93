// Inverted dropout with a fast, seeded mask generator.
//
// torch::dropout draws its CPU mask through at::bernoulli_, one Mersenne-Twister draw per
// element under the generator's lock, on one thread (bench_train BM_Dropout, one mask of
// [100, 64, 16, 80]: 107 ms on one thread, 13 ms with Dropout(); six dropouts per Att-CRNN
// step).
// Dropout() keeps torch::dropout's semantics (training: x * mask / (1 - p), mask ~
// Bernoulli(1 - p); otherwise x) and draws the mask from a counter-based hash instead: one
// 64-bit seed from LibTorch's default CPU generator per call (so torch::manual_seed and the
// generator's state govern it, as before), then element i of the mask (in memory order)
// depends only on (seed, i): the same masks for any thread count.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace ascnet {

/// x: any shape and layout. Training and 0 < p < 1 on the CPU: x * mask with the mask
/// described above (same layout as x); p == 0 or not training: x; p == 1: zeros; tensors on
/// other devices: torch::dropout (the CUDA path is LibTorch's own).
at::Tensor Dropout(const at::Tensor& x, double p, bool training);

/// One 64-bit seed from LibTorch's default CPU generator (what each Dropout call draws).
uint64_t DrawDropoutSeed();

/// The mask itself (also used by the fused conv-layer tail, model/conv_tail.h): `n` values in {0, 1 / (1 - p)}, element i a function of
/// (seed, i) only, written by the intra-op threads in chunks.
void FillDropoutMask(float* out, int64_t n, double p, uint64_t seed);

}  // namespace ascnet
