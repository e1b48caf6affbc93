// The GRU recurrence kernels: the eval-mode recurrence of the fast inference path
// (model/inference.h) and the element-wise gates of a training step (model/gru_train.h).
// GruRecurrence, in plain C++:
// one direction of one layer over a batch of sequences, with the input projections computed
// by the caller. Written for two properties that torch::nn::GRU on a BLAS does not have:
//  - a row's result depends on that row's inputs only, bit for bit, whatever the number of
//    rows and wherever the row sits among them (every product and sum is one IEEE float
//    operation in a fixed order: this file is compiled without fused multiply-add contraction
//    and nothing is reassociated, so the vector and scalar code paths agree too). That is
//    what lets `ascnet serve` batch the segments of concurrent requests without changing any
//    answer, on every BLAS;
//  - no per-step framework overhead: a lone segment's 2 layers x 2 directions x T steps are
//    plain loops, not ~10 tensor operations each.
#pragma once

#include <cstdint>
#include <vector>

namespace ascnet {

/// The recurrent half of one direction of one GRU layer (torch::nn::GRU's equations, gate
/// order r, z, n; x_* = W_i* x_t + b_i* precomputed by the caller):
///   r = sigmoid(x_r + W_hr h + b_hr), z = sigmoid(x_z + W_hz h + b_hz),
///   n = tanh(x_n + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
struct GruRecurrentWeights {
  int64_t hidden = 0;       ///< H
  std::vector<float> w_t;   ///< [H, 3H]: W_hh transposed (row k holds column k of W_hh)
  std::vector<float> bias;  ///< [3H]: b_hh

  /// From torch::nn::GRU's weight_hh [3H, H] (row-major, contiguous) and bias_hh [3H].
  static GruRecurrentWeights FromTorchLayout(const float* weight_hh, const float* bias_hh, int64_t hidden);
};

/// Runs the recurrence from h_0 = 0 over `rows` sequences of `steps` steps (backwards in time
/// when `reverse`). Row r's input projections for step t (3H floats, gate order r, z, n) start
/// at x + r * x_row_stride + t * x_step_stride; its h_t (H floats) is written to
/// out + r * out_row_stride + t * out_step_stride.
void GruRecurrence(const GruRecurrentWeights& w, const float* x, int64_t x_row_stride, int64_t x_step_stride,
                   int64_t rows, int64_t steps, bool reverse, float* out, int64_t out_row_stride,
                   int64_t out_step_stride);

/// The element-wise half of one step of one GRU direction in a training step, for `rows`
/// rows (model/gru_train.h runs the products around it). Same gate functions as
/// GruRecurrence.
/// Forward: row i's input projections x + i * x_stride (3H, b_ih included), its hidden
/// products g + i * 3H (W_hh h_prev + b_hh) and its h_prev + i * H give its new state, written
/// to h + i * H and out + i * out_stride, and the gates saved for the backward pass,
/// gates + i * 4H = [r, z, n, W_hn h_prev + b_hn].
void GruTrainGatesForward(const float* x, int64_t x_stride, const float* g, const float* h_prev, int64_t rows,
                          int64_t hidden, float* gates, float* h, float* out, int64_t out_stride);

/// Backward of GruTrainGatesForward: dh + i * H holds the gradient reaching h_t through the
/// recurrence and dout + i * dout_stride the one from the layer's output. Writes the input
/// projections' gradient (3H) to dx + i * dx_stride, the hidden products' gradient (3H) to
/// dg + i * 3H, and replaces dh by the part of h_{t-1}'s gradient that does not go through
/// the hidden products (dh_total * z; the caller adds dg W_hh).
void GruTrainGatesBackward(const float* dout, int64_t dout_stride, const float* gates, const float* h_prev,
                           int64_t rows, int64_t hidden, float* dh, float* dx, int64_t dx_stride, float* dg);

/// tanh by the rational approximation GruRecurrence uses (Eigen's single-precision
/// coefficients, clamped at +-7.9053; absolute error below 5e-7); sigmoid(x) is
/// 0.5 + 0.5 * tanh(x / 2). Exposed for tests.
float GruTanh(float x);
float GruSigmoid(float x);

}  // namespace ascnet
