#include "ascnet/model/networks.h"

#include "ascnet/model/conv_tail.h"
#include "ascnet/model/dropout.h"
#include "ascnet/model/gru_train.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>

namespace ascnet {

namespace F = torch::nn::functional;

ConvBlockImpl::ConvBlockImpl(const ArchConfig& arch) : arch_(arch) {
  arch_.Validate();
  int in = arch_.channels;
  for (int i = 0; i < arch_.NumConvLayers(); ++i) {
    const int k = arch_.kernels[i];
    const int before = (k - 1) / 2, after = k - 1 - before;  // TensorFlow-style SAME
    pads_.emplace_back(before, after);
    // Symmetric padding is done by the convolution itself; asymmetric (even kernels) by an
    // explicit F::pad in forward() and a convolution without padding.
    const int conv_pad = before == after ? before : 0;
    const std::string n = std::to_string(i + 1);
    convs_.push_back(register_module(
        "conv" + n, torch::nn::Conv2d(torch::nn::Conv2dOptions(in, arch_.filters[i], k).stride(1).padding(conv_pad))));
    bns_.push_back(register_module(
        "bn" + n, torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(arch_.filters[i])
                                             .eps(arch_.batchnorm_eps)
                                             .momentum(arch_.batchnorm_momentum))));
    in = arch_.filters[i];
  }
}

torch::Tensor RelaxedInstanceNorm(const torch::Tensor& x, double lambda, double eps) {
  TORCH_CHECK(x.dim() == 4, "RelaxedInstanceNorm: expected [B, C, M, T], got ", x.sizes());
  TORCH_CHECK(lambda > 0 && lambda <= 1, "RelaxedInstanceNorm: lambda must be in (0, 1], got ", lambda);
  auto standardise = [&](at::IntArrayRef dims) {
    const auto [var, mean] = torch::var_mean(x, dims, /*unbiased=*/false, /*keepdim=*/true);
    return (x - mean) * torch::rsqrt(var + eps);
  };
  const torch::Tensor ifn = standardise({3});
  if (lambda == 1) return ifn;
  return ifn * lambda + standardise({2, 3}) * (1 - lambda);
}

torch::Tensor ConvBlockImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4, "ConvBlock: expected input [B, C, M, T], got ", x.sizes());
  TORCH_CHECK(x.size(1) == arch_.channels && x.size(2) == arch_.bands,
              "ConvBlock: expected input [B, ", arch_.channels, ", ", arch_.bands, ", T], got ", x.sizes());
  torch::Tensor h = arch_.NormalisesInput() ? RelaxedInstanceNorm(x, arch_.instance_norm, arch_.batchnorm_eps) : x;
  for (size_t i = 0; i < convs_.size(); ++i) {
    const auto [before, after] = pads_[i];
    if (before != after) {
      // F::pad's list starts with the last dimension: (time before, time after, freq before, freq after).
      h = F::pad(h, F::PadFuncOptions({before, after, before, after}));
    }
    h = convs_[i]->forward(h);                 // [B, filters[i], M_i, T]
    if (is_training() && FusedConvTailApplies(h, bns_[i], arch_.pool)) {
      h = FusedConvTail(h, bns_[i], arch_.pool, arch_.conv_dropout);  // the same four ops, fused
      continue;
    }
    h = torch::relu(h);
    h = bns_[i]->forward(h);
    h = F::max_pool2d(h, F::MaxPool2dFuncOptions({arch_.pool, 1}).stride({arch_.pool, 1}));  // [B, f, M_i/pool, T]
    h = Dropout(h, arch_.conv_dropout, is_training());
  }
  return h;
}

int64_t NetworkImpl::NumParameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

AttCrnnImpl::AttCrnnImpl(const ArchConfig& arch) : NetworkImpl("AttCrnn"), arch_(arch) {
  arch_.Validate();
  TORCH_CHECK(arch_.IsAttCrnn(), "AttCrnn: arch must be \"attcrnn\", got \"", arch_.Name(), "\"");
  const int64_t h = arch_.hidden, a = arch_.attention;
  conv = register_module("conv", ConvBlock(arch_));
  int64_t in = arch_.SequenceFeatureSize();
  for (int l = 0; l < arch_.rnn_layers; ++l) {
    grus.push_back(register_module(
        "gru" + std::to_string(l + 1),
        torch::nn::GRU(torch::nn::GRUOptions(in, h).num_layers(1).bidirectional(true).batch_first(true))));
    in = 2 * h;
  }
  proj = register_module("proj", torch::nn::Linear(2 * h, 2 * h));
  temporal_w = register_module("temporal_w", torch::nn::Linear(2 * h, a));
  temporal_v = register_module("temporal_v", torch::nn::Linear(torch::nn::LinearOptions(a, 1).bias(false)));
  spatial_w = register_module("spatial_w", torch::nn::Linear(arch_.frames, a));
  spatial_v = register_module("spatial_v", torch::nn::Linear(torch::nn::LinearOptions(a, 1).bias(false)));
  classifier = register_module("classifier", torch::nn::Linear(2 * h, arch_.classes));
  if (arch_.LearnsAttentionScale()) {
    scale = register_parameter("attention_scale", torch::full({1}, arch_.FixedAttentionScale()));
  }
}

torch::Tensor AttCrnnImpl::Recurrent(const torch::Tensor& seq) {
  TORCH_CHECK(seq.dim() == 3 && seq.size(2) == arch_.SequenceFeatureSize(),
              "AttCrnn::Recurrent: expected [B, T, ", arch_.SequenceFeatureSize(), "], got ", seq.sizes());
  const double drop = arch_.rnn_dropout;
  torch::Tensor h = seq;
  for (auto& gru : grus) {
    h = Dropout(h, drop, is_training());  // dropout on each layer's input
    // [B, T, 2H] = [h_f, h_b]; in training on the CPU as one autograd function (gru_train.h)
    h = FusedBiGruApplies(h, gru) ? FusedBiGru(h, gru) : std::get<0>(gru->forward(h));
  }
  h = Dropout(h, drop, is_training());    // dropout on the stack's output
  return proj->forward(h);                // Z: [B, T, 2H]
}

NetOutput AttCrnnImpl::Attend(const torch::Tensor& z) {
  TORCH_CHECK(z.dim() == 3 && z.size(1) == arch_.frames && z.size(2) == 2 * arch_.hidden,
              "AttCrnn::Attend: expected Z [B, ", arch_.frames, ", ", 2 * arch_.hidden, "], got ", z.sizes());
  NetOutput out;
  // Temporal attention over the T columns z_t of Z.
  const torch::Tensor e_tem = temporal_v->forward(torch::tanh(temporal_w->forward(z))).squeeze(-1);  // [B, T]
  out.a_tem = torch::softmax(e_tem, 1);                                                              // [B, T]
  // Spatial attention over the 2H rows z~_s (each in R^T) of Z.
  const torch::Tensor zs = z.transpose(1, 2);                                                        // [B, 2H, T]
  const torch::Tensor e_spa = spatial_v->forward(torch::tanh(spatial_w->forward(zs))).squeeze(-1);  // [B, 2H]
  out.a_spa = torch::softmax(e_spa, 1);                                                              // [B, 2H]
  // A = a_spa (outer) a_tem, x_s = sum_t tanh(s * A_st * Z_st).
  torch::Tensor att = out.a_spa.unsqueeze(2) * out.a_tem.unsqueeze(1);                               // [B, 2H, T]
  if (arch_.LearnsAttentionScale()) {
    att = att * scale;
  } else if (arch_.FixedAttentionScale() != 1.0) {
    att = att * arch_.FixedAttentionScale();
  }
  out.pooled = torch::tanh(att * zs).sum(2);                                                         // [B, 2H]
  out.logits = classifier->forward(out.pooled);                                                      // [B, C]
  return out;
}

NetOutput AttCrnnImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == arch_.channels && x.size(2) == arch_.bands && x.size(3) == arch_.frames,
              "AttCrnn: expected input [B, ", arch_.channels, ", ", arch_.bands, ", ", arch_.frames, "], got ",
              x.sizes());
  const torch::Tensor c = conv->forward(x);                          // [B, 256, 1, T]
  const int64_t b = c.size(0), t = c.size(3);
  // T vectors of size F = filters * bands_after_conv, channel-major within a frame.
  const torch::Tensor seq = c.permute({0, 3, 1, 2}).reshape({b, t, -1});  // [B, T, F]
  return Attend(Recurrent(seq));
}

CnnImpl::CnnImpl(const ArchConfig& arch) : NetworkImpl("Cnn"), arch_(arch) {
  arch_.Validate();
  TORCH_CHECK(arch_.arch == ArchConfig::Kind::kCnn, "Cnn: arch must be \"cnn\", got \"", arch_.Name(), "\"");
  conv = register_module("conv", ConvBlock(arch_));
  classifier = register_module("classifier", torch::nn::Linear(arch_.ConvOutChannels(), arch_.classes));
}

NetOutput CnnImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == arch_.channels && x.size(2) == arch_.bands && x.size(3) == arch_.frames,
              "Cnn: expected input [B, ", arch_.channels, ", ", arch_.bands, ", ", arch_.frames, "], got ",
              x.sizes());
  NetOutput out;
  const torch::Tensor c = conv->forward(x);   // [B, 256, 1, T]
  out.pooled = c.amax({2, 3});                // [B, 256]
  out.logits = classifier->forward(out.pooled);  // [B, C]
  return out;
}

NetworkPtr MakeNetwork(const ArchConfig& arch) {
  arch.Validate();
  if (arch.IsAttCrnn()) return std::make_shared<AttCrnnImpl>(arch);
  return std::make_shared<CnnImpl>(arch);
}

std::vector<std::pair<std::string, torch::Tensor>> NamedTensors(const torch::nn::Module& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace ascnet
