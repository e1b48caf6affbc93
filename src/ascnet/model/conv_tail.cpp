#include "ascnet/model/conv_tail.h"

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include "ascnet/core/simd.h"
#include "ascnet/model/dropout.h"

namespace ascnet {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Layout of one sample of a channels-last [C, M, T] tensor: element (m, t, c) at
// (m * T + t) * C + c. Every kernel below works on one sample; the callers split the batch
// over the intra-op threads.

// Sums of relu(y) and relu(y)^2 per channel over the sample's rows (M * T of them): float
// partial sums over blocks of kStatRows rows (vectorised over the channels), added up in
// double.
constexpr int64_t kStatRows = 32;
constexpr int64_t kMaxChannels = 4096;  // scratch arrays on the stack; FusedConvTailApplies checks

ASCNET_HOT_LOOP_V4
void SampleStats(const float* __restrict y, int64_t rows, int64_t C, double* __restrict sum, double* __restrict sq) {
  float s[kMaxChannels], q[kMaxChannels];
  for (int64_t r0 = 0; r0 < rows; r0 += kStatRows) {
    for (int64_t c = 0; c < C; ++c) s[c] = q[c] = 0.0f;
    const int64_t r1 = std::min(rows, r0 + kStatRows);
    for (int64_t row = r0; row < r1; ++row) {
      const float* __restrict yr = y + row * C;
      for (int64_t c = 0; c < C; ++c) {
        const float r = yr[c] > 0.0f ? yr[c] : 0.0f;
        s[c] += r;
        q[c] += r * r;
      }
    }
    for (int64_t c = 0; c < C; ++c) {
      sum[c] += s[c];
      sq[c] += q[c];
    }
  }
}

// Pooled, normalised, dropped outputs [Mo, T, C] and the pooled position (0..P-1) of each:
// the first maximum of relu(y) over the window for a scale >= 0, the first minimum for a
// negative one (where the normalised values' maximum lies).
ASCNET_HOT_LOOP_V4
void SamplePool(const float* __restrict y, int64_t Mo, int64_t T, int64_t C, int64_t P, const float* __restrict alpha,
                const float* __restrict beta, const float* __restrict mask, float* __restrict out,
                uint8_t* __restrict idx) {
  const int64_t step = T * C;  // from band m to band m + 1
  float mx[kMaxChannels], mn[kMaxChannels], imx[kMaxChannels], imn[kMaxChannels];
  for (int64_t mo = 0; mo < Mo; ++mo) {
    for (int64_t t = 0; t < T; ++t) {
      const float* __restrict w = y + (mo * P * T + t) * C;
      for (int64_t c = 0; c < C; ++c) {
        const float r = w[c] > 0.0f ? w[c] : 0.0f;
        mx[c] = mn[c] = r;
        imx[c] = imn[c] = 0.0f;
      }
      for (int64_t k = 1; k < P; ++k) {
        const float* __restrict wk = w + k * step;
        const float kf = static_cast<float>(k);
        for (int64_t c = 0; c < C; ++c) {
          const float r = wk[c] > 0.0f ? wk[c] : 0.0f;
          imx[c] = r > mx[c] ? kf : imx[c];
          mx[c] = r > mx[c] ? r : mx[c];
          imn[c] = r < mn[c] ? kf : imn[c];
          mn[c] = r < mn[c] ? r : mn[c];
        }
      }
      const int64_t o = (mo * T + t) * C;
      for (int64_t c = 0; c < C; ++c) {
        const bool up = alpha[c] >= 0.0f;
        const float z = (up ? mx[c] : mn[c]) * alpha[c] + beta[c];
        out[o + c] = mask ? z * mask[o + c] : z;
      }
      for (int64_t c = 0; c < C; ++c) idx[o + c] = static_cast<uint8_t>(alpha[c] >= 0.0f ? imx[c] : imn[c]);
    }
  }
}

// Per channel: sum of the pooled gradients (after dropout) and of their products with the
// normalised input they came from (d bias, d weight of the batch norm).
ASCNET_HOT_LOOP_V4
void SampleGradSums(const float* __restrict g, const float* __restrict mask, const float* __restrict y,
                    const uint8_t* __restrict idx, int64_t Mo, int64_t T, int64_t C, int64_t P,
                    const float* __restrict mean, const float* __restrict invstd, double* __restrict dbias,
                    double* __restrict dweight) {
  const int64_t step = T * C;
  for (int64_t mo = 0; mo < Mo; ++mo) {
    for (int64_t t = 0; t < T; ++t) {
      const int64_t o = (mo * T + t) * C;
      const float* w = y + (mo * P * T + t) * C;
      for (int64_t c = 0; c < C; ++c) {
        const float gp = mask ? g[o + c] * mask[o + c] : g[o + c];
        const float v = w[idx[o + c] * step + c];
        const float xhat = ((v > 0.0f ? v : 0.0f) - mean[c]) * invstd[c];
        dbias[c] += gp;
        dweight[c] += static_cast<double>(gp) * xhat;
      }
    }
  }
}

// d y = [y > 0] * k * (g_z - a - xhat * b) over the whole sample, g_z the pooled gradient
// at the pooled position and 0 elsewhere (batch norm's training backward, then ReLU's).
ASCNET_HOT_LOOP_V4
void SampleInputGrad(const float* __restrict g, const float* __restrict mask, const float* __restrict y,
                     const uint8_t* __restrict idx, int64_t M, int64_t T, int64_t C, int64_t P,
                     const float* __restrict mean, const float* __restrict invstd, const float* __restrict k,
                     const float* __restrict a, const float* __restrict b, float* __restrict dy) {
  for (int64_t m = 0; m < M; ++m) {
    const int64_t mo = m / P, j = m % P;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t o = (mo * T + t) * C, i = (m * T + t) * C;
      for (int64_t c = 0; c < C; ++c) {
        const float gp = mask ? g[o + c] * mask[o + c] : g[o + c];
        const float gz = idx[o + c] == j ? gp : 0.0f;
        const float v = y[i + c];
        const float xhat = ((v > 0.0f ? v : 0.0f) - mean[c]) * invstd[c];
        const float d = k[c] * (gz - a[c] - xhat * b[c]);
        dy[i + c] = v > 0.0f ? d : 0.0f;
      }
    }
  }
}

// Per-sample partial sums [B][C] added in sample order: the same totals for any thread count.
std::vector<double> SumOverSamples(const std::vector<double>& parts, int64_t B, int64_t C) {
  std::vector<double> total(static_cast<size_t>(C), 0.0);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t c = 0; c < C; ++c) total[c] += parts[static_cast<size_t>(b * C + c)];
  }
  return total;
}

torch::Tensor FloatVector(const std::vector<double>& v) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(v.size())}, torch::kFloat);
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<float>()[i] = static_cast<float>(v[i]);
  return t;
}

class ConvTailFunction : public torch::autograd::Function<ConvTailFunction> {
 public:
  // y [B, C, M, T] channels-last -> [B, C, M / pool, T] channels-last.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& y, const torch::Tensor& weight,
                               const torch::Tensor& bias, torch::Tensor running_mean, torch::Tensor running_var,
                               torch::Tensor num_batches_tracked, double momentum, double eps, int64_t pool,
                               double p) {
    const int64_t B = y.size(0), C = y.size(1), M = y.size(2), T = y.size(3), Mo = M / pool;
    const float* Y = y.data_ptr<float>();
    const int64_t sample = M * T * C, pooled = Mo * T * C;

    // Phase 1: batch statistics of relu(y).
    std::vector<double> sum(static_cast<size_t>(B * C), 0.0), sq(static_cast<size_t>(B * C), 0.0);
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) SampleStats(Y + b * sample, M * T, C, &sum[b * C], &sq[b * C]);
    });
    const double n = static_cast<double>(B * M * T);
    const std::vector<double> s1 = SumOverSamples(sum, B, C), s2 = SumOverSamples(sq, B, C);
    std::vector<double> mean(C), var(C), invstd(C);
    for (int64_t c = 0; c < C; ++c) {
      mean[c] = s1[c] / n;
      var[c] = std::max(0.0, s2[c] / n - mean[c] * mean[c]);
      invstd[c] = 1.0 / std::sqrt(var[c] + eps);
    }

    const torch::Tensor mean_t = FloatVector(mean), invstd_t = FloatVector(invstd);

    // Phase 2: running statistics, as BatchNorm2d updates them (unbiased variance).
    {
      torch::NoGradGuard no_grad;
      const double unbias = n > 1 ? n / (n - 1) : 1.0;
      std::vector<double> var_unbiased(var);
      for (double& v : var_unbiased) v *= unbias;
      running_mean.mul_(1.0 - momentum).add_(mean_t, momentum);
      running_var.mul_(1.0 - momentum).add_(FloatVector(var_unbiased), momentum);
      num_batches_tracked.add_(1);
    }

    // Phase 3: pool, normalise (z = relu(y) * alpha + beta), drop.
    const torch::Tensor w = weight.detach().to(torch::kFloat).contiguous();
    const torch::Tensor bi = bias.detach().to(torch::kFloat).contiguous();
    std::vector<float> alpha(C), beta(C);
    for (int64_t c = 0; c < C; ++c) {
      const double wc = w.data_ptr<float>()[c];
      alpha[c] = static_cast<float>(wc * invstd[c]);
      beta[c] = static_cast<float>(bi.data_ptr<float>()[c] - mean[c] * wc * invstd[c]);
    }
    const auto cl = torch::MemoryFormat::ChannelsLast;
    torch::Tensor out = torch::empty({B, C, Mo, T}, y.options().memory_format(cl));
    torch::Tensor idx = torch::empty({B, C, Mo, T}, y.options().dtype(torch::kUInt8).memory_format(cl));
    torch::Tensor mask;
    if (p > 0.0) {
      mask = torch::empty({B, C, Mo, T}, y.options().memory_format(cl));
      FillDropoutMask(mask.data_ptr<float>(), mask.numel(), p, DrawDropoutSeed());
    }
    const float* mk = mask.defined() ? mask.data_ptr<float>() : nullptr;
    float* O = out.data_ptr<float>();
    uint8_t* I = idx.data_ptr<uint8_t>();
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        SamplePool(Y + b * sample, Mo, T, C, pool, alpha.data(), beta.data(), mk ? mk + b * pooled : nullptr,
                   O + b * pooled, I + b * pooled);
      }
    });

    ctx->save_for_backward({y, w, idx, mask, mean_t, invstd_t});
    ctx->saved_data["pool"] = pool;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& y = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor& idx = saved[2];
    const torch::Tensor& mask = saved[3];
    const float* mean = saved[4].data_ptr<float>();
    const float* invstd = saved[5].data_ptr<float>();
    const int64_t pool = ctx->saved_data["pool"].toInt();
    const int64_t B = y.size(0), C = y.size(1), M = y.size(2), T = y.size(3), Mo = M / pool;
    const int64_t sample = M * T * C, pooled = Mo * T * C;
    const torch::Tensor g = grads[0].to(torch::kFloat).contiguous(torch::MemoryFormat::ChannelsLast);
    const float* G = g.data_ptr<float>();
    const float* Y = y.data_ptr<float>();
    const uint8_t* I = idx.data_ptr<uint8_t>();
    const float* mk = mask.defined() ? mask.data_ptr<float>() : nullptr;

    // Phase 1: d bias and d weight (sums over the pooled gradients).
    std::vector<double> db(static_cast<size_t>(B * C), 0.0), dw(static_cast<size_t>(B * C), 0.0);
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        SampleGradSums(G + b * pooled, mk ? mk + b * pooled : nullptr, Y + b * sample, I + b * pooled, Mo, T, C, pool,
                       mean, invstd, &db[b * C], &dw[b * C]);
      }
    });
    const std::vector<double> dbias = SumOverSamples(db, B, C), dweight = SumOverSamples(dw, B, C);

    // Phase 2: the input's gradient in one pass.
    const double n = static_cast<double>(B * M * T);
    std::vector<float> k(C), a(C), bb(C);
    for (int64_t c = 0; c < C; ++c) {
      k[c] = w.data_ptr<float>()[c] * invstd[c];
      a[c] = static_cast<float>(dbias[c] / n);
      bb[c] = static_cast<float>(dweight[c] / n);
    }
    torch::Tensor dy = torch::empty_like(y, y.options().memory_format(torch::MemoryFormat::ChannelsLast));
    float* D = dy.data_ptr<float>();
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        SampleInputGrad(G + b * pooled, mk ? mk + b * pooled : nullptr, Y + b * sample, I + b * pooled, M, T, C, pool,
                        mean, invstd, k.data(), a.data(), bb.data(), D + b * sample);
      }
    });
    return {dy, FloatVector(dweight), FloatVector(dbias), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool FusedConvTailApplies(const torch::Tensor& y, const torch::nn::BatchNorm2d& bn, int64_t pool) {
  const auto& o = bn->options;
  return bn->is_training() && y.dim() == 4 && y.device().is_cpu() && y.scalar_type() == torch::kFloat &&
         y.is_contiguous(torch::MemoryFormat::ChannelsLast) && y.size(1) <= kMaxChannels && pool >= 1 && pool <= 255 && y.size(2) % pool == 0 &&
         o.affine() && o.track_running_stats() && o.momentum().has_value() && bn->weight.defined() &&
         bn->running_mean.defined();
}

torch::Tensor FusedConvTail(const torch::Tensor& y, torch::nn::BatchNorm2d& bn, int64_t pool, double dropout_p) {
  TORCH_CHECK(FusedConvTailApplies(y, bn, pool), "FusedConvTail: unsupported input ", y.sizes(), " (see FusedConvTailApplies)");
  return ConvTailFunction::apply(y, bn->weight, bn->bias, bn->running_mean, bn->running_var, bn->num_batches_tracked,
                                 *bn->options.momentum(), bn->options.eps(), pool, dropout_p);
}

}  // namespace ascnet
