// Classifier facade for later stages (prediction, evaluation, calibration): a loaded
// bundle, placed on a device, that normalises feature segments and runs the network in
// inference mode.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "ascnet/model/bundle.h"
#include "ascnet/model/inference.h"

namespace ascnet {

class Classifier {
 public:
  /// Takes the bundle (its network is switched to eval mode and moved to `device`).
  explicit Classifier(ModelBundle bundle, torch::Device device = torch::kCPU);
  /// LoadBundle(path) + the constructor (IoError / BundleError).
  static Classifier Load(const std::string& path, torch::Device device = torch::kCPU);

  /// Moves the network and the normalisation statistics to `device`.
  void To(torch::Device device);
  torch::Device device() const { return device_; }
  const ModelBundle& bundle() const { return bundle_; }
  const ArchConfig& arch() const { return bundle_.arch; }
  const std::vector<std::string>& labels() const { return bundle_.labels; }

  /// Segments are processed in chunks of at most this many (bounds memory; default 256).
  void SetMaxBatch(int64_t n);
  /// Use the InferenceEngine fast path on the CPU (default true; same results up to float
  /// rounding). Off: the network's plain eval forward.
  void SetFast(bool fast);
  /// [S, channels, bands, frames] features -> (x - mean) / std on device(), float32.
  /// TORCH_CHECK-fails on a wrong shape.
  torch::Tensor Normalise(const torch::Tensor& segments) const;
  /// Normalise + eval-mode forward without autograd: logits [S, C], pooled, attention.
  NetOutput Forward(const torch::Tensor& segments);
  /// softmax(logits): [S, classes], rows sum to 1.
  torch::Tensor Posteriors(const torch::Tensor& segments);
  /// Prepares the fast path ahead of the first call (InferenceEngine::WarmUp); a no-op for
  /// the plain path and off the CPU.
  void WarmUp();

 private:
  ModelBundle bundle_;
  torch::Device device_;
  torch::Tensor mean_, inv_std_;  // [1, channels, bands, 1]
  int64_t max_batch_ = 256;
  bool fast_ = true;
  InferenceEngine& Engine();  // engine_, built on first use
  std::shared_ptr<InferenceEngine> engine_;  // built lazily, for CPU networks
};

}  // namespace ascnet
