// The Att-CRNN (Phan et al. 2019) and its CNN baseline, LibTorch C++ frontend.
//
// Input: [B, C, M, T] = [batch, channels (2), bands (64), frames (80)] float tensors.
// Both networks return logits (softmax is applied outside) and their pooled feature
// vector (the SVM stage trains on it); the Att-CRNN also returns its attention vectors.
// Shapes below use the defaults: C = 2, M = 64, T = 80, filters 64/128/256, H = 128.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>

#include "ascnet/model/arch.h"

namespace ascnet {

/// What a network's forward pass returns.
struct NetOutput {
  torch::Tensor logits;  ///< [B, classes]
  torch::Tensor pooled;  ///< [B, 2H] (attcrnn: x) or [B, filters.back()] (cnn: global max)
  torch::Tensor a_spa;   ///< [B, 2H] spatial attention (attcrnn only; undefined for cnn)
  torch::Tensor a_tem;   ///< [B, T] temporal attention (attcrnn only; undefined for cnn)
};

/// Relaxed instance frequency-wise normalisation (ArchConfig::instance_norm, lambda in
/// (0, 1]): [B, C, M, T] -> [B, C, M, T], lambda * (x - mean_t) / sqrt(var_t + eps) +
/// (1 - lambda) * (x - mean_mt) / sqrt(var_mt + eps), with the mean and (biased) variance of
/// each image's (channel, band) row over frames (_t) and of each image's channel over bands and
/// frames (_mt). Per image: a segment's output does not depend on the rest of the batch.
torch::Tensor RelaxedInstanceNorm(const torch::Tensor& x, double lambda, double eps);

/// Conv block: RelaxedInstanceNorm when arch.NormalisesInput(), then per layer i, SAME-padded
/// conv (kernels[i], filters[i]) -> ReLU -> batch norm -> max pool (pool x 1, frequency only)
/// -> dropout(conv_dropout).
/// Submodules: conv1..convN (Conv2d), bn1..bnN (BatchNorm2d).
class ConvBlockImpl : public torch::nn::Module {
 public:
  explicit ConvBlockImpl(const ArchConfig& arch);
  /// [B, channels, bands, frames] -> [B, filters.back(), bands / pool^N, frames]
  /// (default [B, 2, 64, 80] -> [B, 256, 1, 80]).
  torch::Tensor forward(const torch::Tensor& x);

  const ArchConfig& arch() const { return arch_; }
  std::vector<torch::nn::Conv2d>& convs() { return convs_; }
  std::vector<torch::nn::BatchNorm2d>& bns() { return bns_; }

 private:
  ArchConfig arch_;
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> bns_;
  std::vector<std::pair<int, int>> pads_;  // (before, after) per layer; explicit if asymmetric
};
TORCH_MODULE(ConvBlock);

/// Common interface of the two networks.
class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(std::string name) : torch::nn::Module(std::move(name)) {}
  /// [B, channels, bands, frames] -> NetOutput (see its fields for the shapes).
  virtual NetOutput forward(const torch::Tensor& x) = 0;
  virtual const ArchConfig& arch() const = 0;
  /// Number of trainable parameter elements.
  int64_t NumParameters() const;
};

/// Att-CRNN: conv block -> T vectors of size F -> rnn_layers bidirectional GRUs (dropout on
/// each layer's input and the stack's output) -> Z = W[h_f, h_b] + b -> temporal and spatial
/// attention -> x_s = sum_t tanh(s * a_spa_s * a_tem_t * Z_st) -> linear 2H -> classes.
/// Submodules: conv, gru1..gruL, proj, temporal_w, temporal_v, spatial_w, spatial_v,
/// classifier; parameter attention_scale only when arch.attention_scale == kLearned.
class AttCrnnImpl : public NetworkImpl {
 public:
  explicit AttCrnnImpl(const ArchConfig& arch);
  /// [B, 2, 64, 80] -> logits [B, C], pooled x [B, 2H], a_spa [B, 2H], a_tem [B, T].
  NetOutput forward(const torch::Tensor& x) override;
  const ArchConfig& arch() const override { return arch_; }

  /// [B, T, F] sequence -> Z [B, T, 2H] (dropouts, GRU stack, projection).
  torch::Tensor Recurrent(const torch::Tensor& seq);
  /// Z [B, T, 2H] -> NetOutput (attention pooling and classifier).
  NetOutput Attend(const torch::Tensor& z);

  ConvBlock conv{nullptr};
  std::vector<torch::nn::GRU> grus;
  torch::nn::Linear proj{nullptr}, temporal_w{nullptr}, temporal_v{nullptr}, spatial_w{nullptr},
      spatial_v{nullptr}, classifier{nullptr};
  torch::Tensor scale;  ///< learned scalar (kLearned) or undefined

 private:
  ArchConfig arch_;
};
TORCH_MODULE(AttCrnn);

/// CNN baseline: conv block -> global max over frequency and time -> linear -> classes.
/// Submodules: conv, classifier.
class CnnImpl : public NetworkImpl {
 public:
  explicit CnnImpl(const ArchConfig& arch);
  /// [B, 2, 64, 80] -> logits [B, C], pooled [B, 256]; a_spa, a_tem undefined.
  NetOutput forward(const torch::Tensor& x) override;
  const ArchConfig& arch() const override { return arch_; }

  ConvBlock conv{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  ArchConfig arch_;
};
TORCH_MODULE(Cnn);

/// A network of either kind, owned through its common interface.
using NetworkPtr = std::shared_ptr<NetworkImpl>;

/// Builds the network `arch` describes (validating it) with freshly initialised weights
/// (PyTorch's default initialisation; seed with torch::manual_seed for reproducibility).
NetworkPtr MakeNetwork(const ArchConfig& arch);

/// Every parameter and buffer (batch-norm running statistics and counters) by its dotted
/// name, parameters first, in registration order: what a model bundle stores.
std::vector<std::pair<std::string, torch::Tensor>> NamedTensors(const torch::nn::Module& net);

}  // namespace ascnet
