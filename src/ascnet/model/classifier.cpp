#include "ascnet/model/classifier.h"

#include "ascnet/core/tuning.h"

#include <torch/csrc/autograd/grad_mode.h>


namespace ascnet {

Classifier::Classifier(ModelBundle bundle, torch::Device device) : bundle_(std::move(bundle)), device_(device) {
  TuneProcess();
  bundle_.Validate();
  bundle_.net->eval();
  const auto& n = bundle_.normalisation;
  mean_ = torch::from_blob(const_cast<float*>(n.mean.data()), {1, n.channels, n.bands, 1}, torch::kFloat).clone();
  inv_std_ = 1.0 / torch::from_blob(const_cast<float*>(n.std.data()), {1, n.channels, n.bands, 1}, torch::kFloat);
  To(device);
}

Classifier Classifier::Load(const std::string& path, torch::Device device) {
  return Classifier(LoadBundle(path, torch::kCPU), device);
}

void Classifier::SetFast(bool fast) { fast_ = fast; }

void Classifier::To(torch::Device device) {
  device_ = device;
  engine_.reset();
  bundle_.net->to(device);
  mean_ = mean_.to(device);
  inv_std_ = inv_std_.to(device);
}

void Classifier::SetMaxBatch(int64_t n) {
  TORCH_CHECK(n >= 1, "Classifier::SetMaxBatch: expected >= 1, got ", n);
  max_batch_ = n;
}

torch::Tensor Classifier::Normalise(const torch::Tensor& segments) const {
  const auto& a = bundle_.arch;
  TORCH_CHECK(segments.dim() == 4 && segments.size(1) == a.channels && segments.size(2) == a.bands &&
                  segments.size(3) == a.frames,
              "Classifier: expected segments [S, ", a.channels, ", ", a.bands, ", ", a.frames, "], got ",
              segments.sizes());
  return (segments.to(device_, torch::kFloat) - mean_) * inv_std_;
}

InferenceEngine& Classifier::Engine() {
  if (!engine_) engine_ = std::make_shared<InferenceEngine>(bundle_.net);
  return *engine_;
}

void Classifier::WarmUp() {
  if (fast_ && device_.is_cpu()) Engine().WarmUp();
}

NetOutput Classifier::Forward(const torch::Tensor& segments) {
  torch::InferenceMode guard;
  const torch::Tensor x = Normalise(segments);
  NetworkImpl& net = *bundle_.net;
  const bool fast = fast_ && device_.is_cpu();
  auto run = [&](const torch::Tensor& part) { return fast ? Engine().Forward(part) : net.forward(part); };
  const int64_t s = x.size(0);
  if (s <= max_batch_) return run(x);
  std::vector<torch::Tensor> logits, pooled, a_spa, a_tem;
  for (int64_t i = 0; i < s; i += max_batch_) {
    NetOutput o = run(x.slice(0, i, std::min(s, i + max_batch_)));
    logits.push_back(o.logits);
    pooled.push_back(o.pooled);
    if (o.a_spa.defined()) a_spa.push_back(o.a_spa);
    if (o.a_tem.defined()) a_tem.push_back(o.a_tem);
  }
  NetOutput out;
  out.logits = torch::cat(logits);
  out.pooled = torch::cat(pooled);
  if (!a_spa.empty()) out.a_spa = torch::cat(a_spa);
  if (!a_tem.empty()) out.a_tem = torch::cat(a_tem);
  return out;
}

torch::Tensor Classifier::Posteriors(const torch::Tensor& segments) {
  const NetOutput out = Forward(segments);
  torch::InferenceMode guard;
  return torch::softmax(out.logits, 1);
}

}  // namespace ascnet
