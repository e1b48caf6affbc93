#include "ascnet/model/inference.h"

#include "ascnet/core/blas.h"
#include "ascnet/core/tuning.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ops/mkldnn_convolution.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace ascnet {
namespace {

/// out[n, c, mo, t] = scale[c] * max_k(sign[c] * relu(y[n, c, mo*pool + k, t])) + shift[c]
/// for mo < M / pool, which equals max_k(BN(relu(y))) exactly (BN is monotone per channel).
/// `y` and `out` may have any strides (NCHW, channels-last, views into padded buffers); the
/// loops run along the dimension that is contiguous in both (channels for channels-last,
/// time for NCHW) so that the compiler vectorises them.
void ReluPoolAffine(const torch::Tensor& y, const torch::Tensor& out, int pool, const float* scale,
                    const float* shift, const float* sign) {
  const int64_t n = y.size(0), c = y.size(1), t = y.size(3), mo = out.size(2);
  TORCH_CHECK(out.size(0) == n && out.size(1) == c && out.size(3) == t && mo * pool <= y.size(2),
              "ReluPoolAffine: shapes ", y.sizes(), " -> ", out.sizes());
  const float* yp = y.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t ysn = y.stride(0), ysc = y.stride(1), ysm = y.stride(2), yst = y.stride(3);
  const int64_t osn = out.stride(0), osc = out.stride(1), osm = out.stride(2), ost = out.stride(3);
  if (ysc == 1 && osc == 1) {  // channels-last in and out: vectorise over channels
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t m = 0; m < mo; ++m) {
        for (int64_t k = 0; k < t; ++k) {
          const float* src = yp + b * ysn + m * pool * ysm + k * yst;
          float* __restrict__ dst = op + b * osn + m * osm + k * ost;
          for (int64_t ch = 0; ch < c; ++ch) dst[ch] = sign[ch] * std::max(src[ch], 0.0f);
          for (int q = 1; q < pool; ++q) {
            const float* s = src + q * ysm;
            for (int64_t ch = 0; ch < c; ++ch) {
              const float v = sign[ch] * std::max(s[ch], 0.0f);
              dst[ch] = dst[ch] < v ? v : dst[ch];
            }
          }
          for (int64_t ch = 0; ch < c; ++ch) dst[ch] = scale[ch] * dst[ch] + shift[ch];
        }
      }
    }
    return;
  }
  if (yst == 1 && ost == 1) {  // time contiguous in and out (NCHW): vectorise over time
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        const float sg = sign[ch], a = scale[ch], sh = shift[ch];
        for (int64_t m = 0; m < mo; ++m) {
          const float* src = yp + b * ysn + ch * ysc + m * pool * ysm;
          float* __restrict__ dst = op + b * osn + ch * osc + m * osm;
          for (int64_t k = 0; k < t; ++k) dst[k] = sg * std::max(src[k], 0.0f);
          for (int q = 1; q < pool; ++q) {
            const float* s = src + q * ysm;
            for (int64_t k = 0; k < t; ++k) {
              const float v = sg * std::max(s[k], 0.0f);
              dst[k] = dst[k] < v ? v : dst[k];
            }
          }
          for (int64_t k = 0; k < t; ++k) dst[k] = a * dst[k] + sh;
        }
      }
    }
    return;
  }
  // Any other combination of layouts: plain strided loops.
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t m = 0; m < mo; ++m) {
        for (int64_t k = 0; k < t; ++k) {
          float v = -std::numeric_limits<float>::infinity();
          for (int q = 0; q < pool; ++q) {
            v = std::max(v, sign[ch] * std::max(yp[b * ysn + ch * ysc + (m * pool + q) * ysm + k * yst], 0.0f));
          }
          op[b * osn + ch * osc + m * osm + k * ost] = scale[ch] * v + shift[ch];
        }
      }
    }
  }
}

}  // namespace

bool RowsIndependentOfBatch(std::string* why) {
  TuneProcess();
  const std::string core = OpenBlasCore();
  const bool onednn = at::hasMKLDNN();
  if (why != nullptr) {
    *why = core.empty() ? "the BLAS is not OpenBLAS (not measured)"
           : !onednn    ? "LibTorch without oneDNN: its convolutions take other algorithms for a lone image"
                        : "OpenBLAS, " + core + " kernels";
  }
  return !core.empty() && onednn;
}

int64_t BatchRowMultiple(torch::Device device) { return device.is_cpu() ? 1 : kExactRowMultiple; }

// The outputs of several calls, concatenated along the batch (undefined fields stay undefined).
static NetOutput ConcatOutputs(const std::vector<NetOutput>& outs) {
  if (outs.size() == 1) return outs[0];
  auto cat = [&](torch::Tensor NetOutput::*field) {
    std::vector<torch::Tensor> parts;
    for (const auto& o : outs) parts.push_back(o.*field);
    return parts.front().defined() ? torch::cat(parts) : torch::Tensor();
  };
  NetOutput r;
  r.logits = cat(&NetOutput::logits);
  r.pooled = cat(&NetOutput::pooled);
  r.a_spa = cat(&NetOutput::a_spa);
  r.a_tem = cat(&NetOutput::a_tem);
  return r;
}

InferenceEngine::InferenceEngine(NetworkPtr net, InferenceOptions options)
    : net_(std::move(net)), options_(std::move(options)) {
  TuneProcess();
  TORCH_CHECK(net_ != nullptr, "InferenceEngine: no network");
  TORCH_CHECK(options_.chunk >= 0, "InferenceEngine: chunk must be >= 0, got ", options_.chunk);
  TORCH_CHECK(options_.conv_chunk >= 1, "InferenceEngine: conv_chunk must be >= 1, got ", options_.conv_chunk);
  arch_ = net_->arch();
  // Work items already occupy every intra-op thread; OpenBLAS threads of its own (Debian's
  // libtorch) would oversubscribe the cores and stall the items (measured: 30x slower).
  LimitOpenBlasThreads(1);
  const int layers = arch_.NumConvLayers();
  if (options_.channels_last.empty()) {
    options_.channels_last.assign(layers, false);  // measured: all-NCHW ~ all-NHWC > mixed
  }
  TORCH_CHECK(static_cast<int>(options_.channels_last.size()) == layers, "InferenceEngine: channels_last needs ",
              layers, " entries, got ", options_.channels_last.size());
  ConvBlockImpl* block = nullptr;
  if (auto* a = dynamic_cast<AttCrnnImpl*>(net_.get())) block = a->conv.get();
  if (auto* c = dynamic_cast<CnnImpl*>(net_.get())) block = c->conv.get();
  TORCH_CHECK(block != nullptr, "InferenceEngine: unknown network type");
  torch::NoGradGuard no_grad;
  for (int i = 0; i < layers; ++i) {
    ConvLayer L;
    const auto& conv = block->convs()[i];
    const auto& bn = block->bns()[i];
    const int k = arch_.kernels[i];
    L.pad_before = (k - 1) / 2;
    L.pad_after = k - 1 - L.pad_before;
    L.channels_last = options_.channels_last[i];
    const auto cpu = torch::TensorOptions().dtype(torch::kFloat).device(torch::kCPU);
    torch::Tensor w = conv->weight.detach().to(cpu).clone();
    L.weight = L.channels_last ? w.contiguous(torch::MemoryFormat::ChannelsLast) : w.contiguous();
    L.bias = conv->bias.detach().to(cpu).clone();
    // Batch norm (eval): y = x * alpha + beta', alpha = gamma / sqrt(var + eps).
    const torch::Tensor var = bn->running_var.detach().to(cpu).to(torch::kDouble);
    const torch::Tensor mean = bn->running_mean.detach().to(cpu).to(torch::kDouble);
    const torch::Tensor gamma = bn->weight.detach().to(cpu).to(torch::kDouble);
    const torch::Tensor beta = bn->bias.detach().to(cpu).to(torch::kDouble);
    const torch::Tensor alpha = gamma / torch::sqrt(var + arch_.batchnorm_eps);
    const torch::Tensor shift = beta - mean * alpha;
    const int64_t f = alpha.size(0);
    for (int64_t c = 0; c < f; ++c) {
      const double a = alpha[c].item<double>();
      L.scale.push_back(static_cast<float>(std::abs(a)));
      L.sign.push_back(a < 0 ? -1.0f : 1.0f);
      L.shift.push_back(static_cast<float>(shift[c].item<double>()));
    }
    conv_.push_back(std::move(L));
  }
  if (auto* a = dynamic_cast<AttCrnnImpl*>(net_.get())) PrepareRecurrent(*a);
}

void InferenceEngine::PrepareRecurrent(AttCrnnImpl& net) {
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat).device(torch::kCPU);
  auto param = [&](torch::nn::GRU& gru, const std::string& name) {
    torch::Tensor* p = gru->named_parameters().find(name);
    TORCH_CHECK(p != nullptr, "InferenceEngine: GRU parameter ", name, " missing");
    return p->detach().to(cpu).contiguous().clone();
  };
  auto recurrent = [&](torch::nn::GRU& gru, const std::string& suffix) {
    const torch::Tensor w = param(gru, "weight_hh_l0" + suffix), b = param(gru, "bias_hh_l0" + suffix);
    return GruRecurrentWeights::FromTorchLayout(w.data_ptr<float>(), b.data_ptr<float>(), arch_.hidden);
  };
  for (auto& gru : net.grus) {
    TORCH_CHECK(gru->options.num_layers() == 1 && gru->options.bidirectional() && gru->options.batch_first() &&
                    gru->options.bias() && gru->options.hidden_size() == arch_.hidden,
                "InferenceEngine: expected one bidirectional batch-first GRU layer of hidden size ", arch_.hidden);
    RecurrentLayer L;
    L.w_ih_t = torch::cat({param(gru, "weight_ih_l0"), param(gru, "weight_ih_l0_reverse")}).t();
    L.b_ih = torch::cat({param(gru, "bias_ih_l0"), param(gru, "bias_ih_l0_reverse")});
    L.forward = recurrent(gru, "");
    L.backward = recurrent(gru, "_reverse");
    gru_.push_back(std::move(L));
  }
  proj_w_t_ = net.proj->weight.detach().to(cpu).clone().t();
  proj_b_ = net.proj->bias.detach().to(cpu).clone();
}

torch::Tensor InferenceEngine::Recurrent(const torch::Tensor& seq) const {
  TORCH_CHECK(!gru_.empty(), "InferenceEngine::Recurrent: not an Att-CRNN");
  TORCH_CHECK(seq.dim() == 3 && seq.size(2) == arch_.SequenceFeatureSize(), "InferenceEngine::Recurrent: expected [B, T, ",
              arch_.SequenceFeatureSize(), "], got ", seq.sizes());
  torch::InferenceMode guard;
  const int64_t n = seq.size(0), t = seq.size(1), H = arch_.hidden;
  torch::Tensor h = seq.to(torch::kCPU, torch::kFloat).contiguous();
  for (const RecurrentLayer& L : gru_) {
    // Input projections of both directions, one segment per product (its rows then sit in
    // the same place of their product in any batch), then the two recurrences.
    torch::Tensor xp = torch::empty({n, t, 6 * H}, h.options());
    for (int64_t b = 0; b < n; ++b) {
      torch::Tensor row = xp[b];
      at::addmm_out(row, L.b_ih, h[b], L.w_ih_t);
    }
    torch::Tensor out = torch::empty({n, t, 2 * H}, h.options());
    const float* x = xp.data_ptr<float>();
    float* o = out.data_ptr<float>();
    GruRecurrence(L.forward, x, t * 6 * H, 6 * H, n, t, /*reverse=*/false, o, t * 2 * H, 2 * H);
    GruRecurrence(L.backward, x + 3 * H, t * 6 * H, 6 * H, n, t, /*reverse=*/true, o + H, t * 2 * H, 2 * H);
    h = out;
  }
  torch::Tensor z = torch::empty({n, t, 2 * H}, h.options());  // Z = h W^T + b, per segment
  for (int64_t b = 0; b < n; ++b) {
    torch::Tensor row = z[b];
    at::addmm_out(row, proj_b_, h[b], proj_w_t_);
  }
  return z;
}

torch::Tensor InferenceEngine::ConvBlockToSequence(const torch::Tensor& x) const {
  // x: [n, C, M, T] contiguous float CPU. Each layer's fused output is written straight into
  // the buffer the next layer reads: its layout, with its asymmetric padding, or, after the
  // last layer, the GRU's sequence layout [n, T, C * M'] (feature index c * M' + m).
  const int64_t n = x.size(0), t = x.size(3);
  const int layers = static_cast<int>(conv_.size());
  const auto opts = x.options();
  auto prepare = [&](const torch::Tensor& in, int i) {
    const ConvLayer& L = conv_[i];
    torch::Tensor h = in;
    if (L.pad_before != L.pad_after) {
      h = torch::constant_pad_nd(h, {L.pad_before, L.pad_after, L.pad_before, L.pad_after}, 0);
    }
    return L.channels_last ? h.contiguous(torch::MemoryFormat::ChannelsLast) : h.contiguous();
  };
  torch::Tensor h = prepare(x, 0);
  int64_t m = x.size(2);
  for (int i = 0; i < layers; ++i) {
    const ConvLayer& L = conv_[i];
    const int64_t sym = L.pad_before == L.pad_after ? L.pad_before : 0;
    // oneDNN whatever the batch: at::conv2d takes another algorithm (im2col + BLAS) for a
    // lone small image, whose result differs in the last bits (RowsIndependentOfBatch).
    const torch::Tensor y = at::hasMKLDNN() ? at::mkldnn_convolution(h, L.weight, L.bias, {sym, sym}, {1, 1}, {1, 1}, 1)
                                            : at::conv2d(h, L.weight, L.bias, {1, 1}, {sym, sym});  // [n, f, m, T]
    const int64_t f = y.size(1), mo = m / arch_.pool;
    torch::Tensor buffer, out;
    if (i + 1 < layers) {
      const ConvLayer& next = conv_[i + 1];
      const bool explicit_pad = next.pad_before != next.pad_after;
      const int64_t pb = explicit_pad ? next.pad_before : 0, pa = explicit_pad ? next.pad_after : 0;
      const auto fmt = next.channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
      buffer = (explicit_pad ? torch::zeros({n, f, mo + pb + pa, t + pb + pa}, opts.memory_format(fmt))
                             : torch::empty({n, f, mo, t}, opts.memory_format(fmt)));
      out = buffer.slice(2, pb, pb + mo).slice(3, pb, pb + t);
    } else if (L.channels_last && mo == 1) {
      buffer = torch::empty({n, t, f}, opts);          // the sequence layout = [n, 1, T, f]
      out = buffer.view({n, 1, t, f}).permute({0, 3, 1, 2});  // viewed as [n, f, 1, T]
    } else {
      buffer = torch::empty({n, t, f, mo}, opts);  // the sequence layout
      out = buffer.permute({0, 2, 3, 1});           // viewed as [n, f, mo, T]
    }
    ReluPoolAffine(y, out, arch_.pool, L.scale.data(), L.shift.data(), L.sign.data());
    h = buffer;
    m = mo;
  }
  return h.reshape({n, t, -1});  // [n, T, F]
}

NetOutput InferenceEngine::ForwardChunk(const torch::Tensor& x) const {
  const int64_t n = x.size(0), cc = options_.conv_chunk;
  torch::Tensor seq;  // [n, T, F]
  if (n <= cc) {
    seq = ConvBlockToSequence(x);
  } else {
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < n; i += cc) parts.push_back(ConvBlockToSequence(x.slice(0, i, std::min(n, i + cc))));
    seq = torch::cat(parts);
  }
  // From here on a product over the batch would make a segment's rows depend on the others
  // (RowsIndependentOfBatch): every product runs per segment or in the GRU kernel.
  if (auto* a = dynamic_cast<AttCrnnImpl*>(net_.get())) {
    const torch::Tensor z = Recurrent(seq);
    std::vector<NetOutput> outs;
    for (int64_t b = 0; b < n; ++b) outs.push_back(a->Attend(z.narrow(0, b, 1)));
    return ConcatOutputs(outs);
  }
  auto* c = dynamic_cast<CnnImpl*>(net_.get());
  NetOutput out;
  out.pooled = std::get<0>(seq.max(1));  // [n, F]: max over time (and the pooled bands)
  if (arch_.BandsAfterConv() > 1) {
    out.pooled = std::get<0>(out.pooled.reshape({x.size(0), arch_.ConvOutChannels(), -1}).max(2));
  }
  std::vector<torch::Tensor> logits;
  for (int64_t b = 0; b < n; ++b) logits.push_back(c->classifier->forward(out.pooled.narrow(0, b, 1)));
  out.logits = torch::cat(logits);
  return out;
}

bool InferenceEngine::OnCpu() const {
  const std::vector<torch::Tensor> params = net_->parameters();
  return std::all_of(params.begin(), params.end(), [](const torch::Tensor& p) { return p.device().is_cpu(); });
}

void InferenceEngine::WarmUp() {
  if (!OnCpu()) return;
  torch::InferenceMode guard;
  for (int64_t n = 1; n <= options_.conv_chunk; ++n) {
    ConvBlockToSequence(torch::zeros({n, arch_.channels, arch_.bands, arch_.frames}));
  }
  // One segment per intra-op thread: each thread's first products set up its BLAS buffers.
  Forward(torch::zeros({std::max(1, at::get_num_threads()), arch_.channels, arch_.bands, arch_.frames}));
}

NetOutput InferenceEngine::Forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == arch_.channels && x.size(2) == arch_.bands && x.size(3) == arch_.frames,
              "InferenceEngine: expected input [B, ", arch_.channels, ", ", arch_.bands, ", ", arch_.frames,
              "], got ", x.sizes());
  TORCH_CHECK(!net_->is_training(), "InferenceEngine: the network must be in eval mode");
  torch::InferenceMode guard;
  if (!OnCpu()) return net_->forward(x.to(net_->parameters().front().device()));
  torch::Tensor in = x.to(torch::kFloat).contiguous();
  if (arch_.NormalisesInput()) in = RelaxedInstanceNorm(in, arch_.instance_norm, arch_.batchnorm_eps).contiguous();
  const int64_t b = in.size(0);
  const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
  const int64_t chunk = options_.chunk > 0 ? options_.chunk : (b + threads - 1) / threads;
  const int64_t chunks = (b + chunk - 1) / chunk;
  std::vector<NetOutput> outs(chunks);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    torch::InferenceMode g;  // thread-local: set it on every worker
    for (int64_t i = begin; i < end; ++i) outs[i] = ForwardChunk(in.slice(0, i * chunk, std::min(b, (i + 1) * chunk)));
  });
  return ConcatOutputs(outs);
}

}  // namespace ascnet
