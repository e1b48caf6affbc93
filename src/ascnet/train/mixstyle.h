// Freq-MixStyle (Kim et al., "Domain generalization on efficient acoustic scene
// classification using residual normalization", 2022; Schmid et al., DCASE 2022): a batch
// augmentation that swaps the frequency-wise statistics of training images, so that the
// network cannot tell a scene by its recording's colouring (microphone, room, game engine).
#pragma once

#include <random>

#include <torch/types.h>

namespace ascnet {

/// With probability `p` (one UniformUnit draw per batch; nothing else is drawn when it is not
/// applied), every image i of x [B, C, M, T] has each row (channel c, band m) normalised by
/// its own mean and standard deviation over time, then rescaled to
///   mu' = lam_i mu_i + (1 - lam_i) mu_j,  sigma' = lam_i sigma_i + (1 - lam_i) sigma_j,
/// where j = perm(i) for a uniformly random permutation of the batch (RandomPermutation,
/// drawn first) and lam_i ~ Beta(alpha, alpha) (BetaDraw, drawn next in image
/// order). sigma = sqrt(var + 1e-6), the biased variance over the T frames. p = 0 returns x.
/// Returns a new [B, C, M, T] tensor on x's device; x is not changed.
torch::Tensor FreqMixStyle(const torch::Tensor& x, double p, double alpha, std::mt19937_64& rng);

}  // namespace ascnet
