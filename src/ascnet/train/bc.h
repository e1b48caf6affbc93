// Between-class (BC) learning (Tokozume et al. 2018, in Phan et al.'s form; shared spec
// algorithms.md §5): mixing of two different-class images and the KL-divergence loss.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include <torch/types.h>

#include "ascnet/train/random.h"

namespace ascnet {


/// One batch of BC pairs: positions into the training list, and mixing ratios.
struct BcPairs {
  std::vector<int64_t> first, second;  ///< positions into the `labels` list
  std::vector<double> ratio;           ///< r ~ U(0, 1) per pair
};

/// For each position in `first`, draws a partner uniformly among the positions whose label
/// differs (rejection sampling, as mil-tokyo/bc_learning_sound does), then r ~ U(0, 1).
/// With `weights` (one per position) the partner is drawn with those weights instead, the
/// same rejection. Draws happen in pair order: partner, then ratio. TORCH_CHECK-fails unless
/// `labels` holds at least two different classes (of positive weight).
BcPairs DrawBcPairs(const std::vector<int>& labels, const std::vector<int64_t>& first, std::mt19937_64& rng,
                    const WeightedIndex* weights = nullptr);

/// S = (r S1 + (1 - r) S2) / sqrt(r^2 + (1 - r)^2) per sample.
/// x1, x2: [B, ...] float; r: [B] (any float dtype, same device). Returns [B, ...] like x1.
torch::Tensor BcMixImages(const torch::Tensor& x1, const torch::Tensor& x2, const torch::Tensor& r);

/// y = r onehot(y1) + (1 - r) onehot(y2): [B, classes] float32.
/// y1, y2: [B] int64 class indices; r: [B].
torch::Tensor BcMixLabels(const torch::Tensor& y1, const torch::Tensor& y2, const torch::Tensor& r, int64_t classes);

/// One mixed batch on the images' device: x [B, C, M, T] images, y [B, classes] targets.
struct BcBatch {
  torch::Tensor x, y;
};

/// Draws the partners and ratios of `first` (DrawBcPairs with `labels`, `rng`, `weights`), fetches
/// both sides' normalised images through `images` (positions -> [n, C, M, T]) and mixes the
/// images and the one-hot targets (BcMixImages, BcMixLabels). The training loop and the
/// training benchmark both build their batches with it.
BcBatch MakeBcBatch(const std::vector<int>& labels, const std::vector<int64_t>& first, std::mt19937_64& rng,
                    int64_t classes, const std::function<torch::Tensor(const std::vector<int64_t>&)>& images,
                    const WeightedIndex* weights = nullptr);

/// KL(t || softmax(logits)) = sum_c t_c (log t_c - log_softmax(logits)_c), terms with t_c = 0
/// contributing 0, averaged over the batch. logits, target: [B, C]; returns a scalar.
/// With one-hot targets it equals the cross-entropy.
torch::Tensor KlDivLoss(const torch::Tensor& logits, const torch::Tensor& target);

}  // namespace ascnet
