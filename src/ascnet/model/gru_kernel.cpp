#include "ascnet/model/gru_kernel.h"

#include <algorithm>
#include <cstring>

#include "ascnet/core/simd.h"

// Bit-for-bit row independence rests on every float operation being a separate IEEE one:
// CMakeLists.txt compiles this file with -ffp-contract=off (GCC contracts a * b + c into a
// fused multiply-add in C++ by default, and its vector and scalar code paths need not agree
// on where). Nothing here may be reassociated (no -ffast-math).

namespace ascnet {
namespace {

#define ASCNET_INLINE inline __attribute__((always_inline))

ASCNET_INLINE float Tanh(float x) {
  // Eigen's rational approximation for float tanh (p odd of degree 13, q even of degree 6).
  constexpr float kClamp = 7.90531110763549805f;
  x = x < -kClamp ? -kClamp : (x > kClamp ? kClamp : x);
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * x;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return p / q;
}

ASCNET_INLINE float Sigmoid(float x) { return 0.5f + 0.5f * Tanh(0.5f * x); }

constexpr int64_t kRowBlock = 4;   // rows sharing one pass over a block of W's columns
constexpr int64_t kColBlock = 32;  // columns of W per pass: R x 32 sums stay in vector registers

// 8 floats as one value (GCC vector extension): one AVX register in the AVX2 and AVX-512
// versions, two SSE registers in the baseline one.
typedef float V8 __attribute__((vector_size(32)));
constexpr int kVecs = kColBlock / 8;

ASCNET_INLINE V8 LoadV8(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// acc[r][j0 + j] = sum over k = 0..H-1, in that order, of h[r][k] * w_t[k][j0 + j], for R rows
// and a full block of kColBlock columns; the R x kColBlock sums stay in registers over k.
template <int R>
ASCNET_INLINE void ProductBlock(const float* __restrict h, int64_t H, const float* __restrict w_t, int64_t N,
                                int64_t j0, float* __restrict acc) {
  V8 a[R][kVecs];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) a[r][v] = V8{};
  }
  for (int64_t k = 0; k < H; ++k) {
    const float* wk = w_t + k * N + j0;
    V8 w[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) w[v] = LoadV8(wk + 8 * v);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float hv = h[r * H + k];
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) a[r][v] = a[r][v] + hv * w[v];
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) std::memcpy(acc + r * N + j0 + 8 * v, &a[r][v], sizeof(V8));
  }
}

// The same for the last N % kColBlock columns (one row at a time).
ASCNET_INLINE void ProductTail(const float* __restrict h, int64_t H, const float* __restrict w_t, int64_t N,
                               int64_t j0, float* __restrict acc) {
  const int64_t nj = N - j0;
  float a[kColBlock];
  for (int64_t j = 0; j < nj; ++j) a[j] = 0.0f;
  for (int64_t k = 0; k < H; ++k) {
    const float hv = h[k];
    const float* __restrict wk = w_t + k * N + j0;
    for (int64_t j = 0; j < nj; ++j) a[j] = a[j] + hv * wk[j];
  }
  std::memcpy(acc + j0, a, static_cast<size_t>(nj) * sizeof(float));
}

// acc[r][j] = sum over k = 0..H-1, in that order, of h[r][k] * w_t[k][j] (N = 3H columns).
ASCNET_HOT_LOOP_V4
void RecurrentProducts(const float* __restrict h, int64_t rows, int64_t H, const float* __restrict w_t, int64_t N,
                       float* __restrict acc) {
  const int64_t full = N / kColBlock * kColBlock;
  for (int64_t r0 = 0; r0 < rows; r0 += kRowBlock) {
    const int64_t nr = std::min(kRowBlock, rows - r0);
    const float* hr = h + r0 * H;
    float* ar = acc + r0 * N;
    for (int64_t j0 = 0; j0 < full; j0 += kColBlock) {
      switch (nr) {
        case 4: ProductBlock<4>(hr, H, w_t, N, j0, ar); break;
        case 3: ProductBlock<3>(hr, H, w_t, N, j0, ar); break;
        case 2: ProductBlock<2>(hr, H, w_t, N, j0, ar); break;
        default: ProductBlock<1>(hr, H, w_t, N, j0, ar); break;
      }
    }
    if (full < N) {
      for (int64_t r = 0; r < nr; ++r) ProductTail(hr + r * H, H, w_t, N, full, ar + r * N);
    }
  }
}

// One unit of the GRU cell, torch's equations (gate order r, z, n), for inference and training
// alike: x_* are the input projections (b_ih included), g_* the hidden products (b_hh
// included), hp the unit's previous state.
struct GruUnit {
  float r, z, n, h;
};
ASCNET_INLINE GruUnit GruCell(float xr, float xz, float xn, float gr, float gz, float gn, float hp) {
  const float r = Sigmoid(xr + gr);
  const float z = Sigmoid(xz + gz);
  const float n = Tanh(xn + r * gn);
  return {r, z, n, (1.0f - z) * n + z * hp};
}

// One step's gates for one row: h (H floats) is updated in place and copied to out.
ASCNET_HOT_LOOP_V4
void GateStep(const float* __restrict x, const float* __restrict g, const float* __restrict b, int64_t H,
              float* __restrict h, float* __restrict out) {
  for (int64_t j = 0; j < H; ++j) {
    const GruUnit u =
        GruCell(x[j], x[H + j], x[2 * H + j], g[j] + b[j], g[H + j] + b[H + j], g[2 * H + j] + b[2 * H + j], h[j]);
    h[j] = u.h;
    out[j] = u.h;
  }
}

// Training forward gates of one row (see GruTrainGatesForward).
ASCNET_HOT_LOOP_V4
void TrainGatesRow(const float* __restrict x, const float* __restrict g, const float* __restrict hp, int64_t H,
                   float* __restrict gates, float* __restrict h, float* __restrict out) {
  for (int64_t j = 0; j < H; ++j) {
    const GruUnit u = GruCell(x[j], x[H + j], x[2 * H + j], g[j], g[H + j], g[2 * H + j], hp[j]);
    gates[j] = u.r;
    gates[H + j] = u.z;
    gates[2 * H + j] = u.n;
    gates[3 * H + j] = g[2 * H + j];
    h[j] = u.h;
    out[j] = u.h;
  }
}

// Training backward gates of one row (see GruTrainGatesBackward).
ASCNET_HOT_LOOP_V4
void TrainGatesBackwardRow(const float* __restrict dout, const float* __restrict gates, const float* __restrict hp,
                           int64_t H, float* __restrict dh, float* __restrict dx, float* __restrict dg) {
  for (int64_t j = 0; j < H; ++j) {
    const float r = gates[j], z = gates[H + j], n = gates[2 * H + j], gn = gates[3 * H + j];
    const float d = dh[j] + dout[j];
    // h = (1 - z) n + z h_prev
    const float dn = d * (1.0f - z);
    const float dz = d * (hp[j] - n);
    // n = tanh(a_n), a_n = x_n + r g_n
    const float dan = dn * (1.0f - n * n);
    const float dr = dan * gn;
    // r = sigmoid(a_r), z = sigmoid(a_z)
    const float dar = dr * (r * (1.0f - r));
    const float daz = dz * (z * (1.0f - z));
    dx[j] = dar;
    dx[H + j] = daz;
    dx[2 * H + j] = dan;
    dg[j] = dar;
    dg[H + j] = daz;
    dg[2 * H + j] = dan * r;
    dh[j] = d * z;
  }
}

}  // namespace

void GruTrainGatesForward(const float* x, int64_t x_stride, const float* g, const float* h_prev, int64_t rows,
                          int64_t hidden, float* gates, float* h, float* out, int64_t out_stride) {
  const int64_t H = hidden;
  for (int64_t i = 0; i < rows; ++i) {
    TrainGatesRow(x + i * x_stride, g + i * 3 * H, h_prev + i * H, H, gates + i * 4 * H, h + i * H,
                  out + i * out_stride);
  }
}

void GruTrainGatesBackward(const float* dout, int64_t dout_stride, const float* gates, const float* h_prev,
                           int64_t rows, int64_t hidden, float* dh, float* dx, int64_t dx_stride, float* dg) {
  const int64_t H = hidden;
  for (int64_t i = 0; i < rows; ++i) {
    TrainGatesBackwardRow(dout + i * dout_stride, gates + i * 4 * H, h_prev + i * H, H, dh + i * H,
                          dx + i * dx_stride, dg + i * 3 * H);
  }
}

GruRecurrentWeights GruRecurrentWeights::FromTorchLayout(const float* weight_hh, const float* bias_hh, int64_t hidden) {
  const int64_t N = 3 * hidden;
  GruRecurrentWeights w;
  w.hidden = hidden;
  w.w_t.resize(static_cast<size_t>(hidden * N));
  for (int64_t j = 0; j < N; ++j) {
    for (int64_t k = 0; k < hidden; ++k) w.w_t[static_cast<size_t>(k * N + j)] = weight_hh[j * hidden + k];
  }
  w.bias.assign(bias_hh, bias_hh + N);
  return w;
}

float GruTanh(float x) { return Tanh(x); }
float GruSigmoid(float x) { return Sigmoid(x); }

void GruRecurrence(const GruRecurrentWeights& w, const float* x, int64_t x_row_stride, int64_t x_step_stride,
                   int64_t rows, int64_t steps, bool reverse, float* out, int64_t out_row_stride,
                   int64_t out_step_stride) {
  const int64_t H = w.hidden, N = 3 * H;
  if (rows <= 0 || steps <= 0 || H <= 0) return;
  std::vector<float> h(static_cast<size_t>(rows * H), 0.0f), acc(static_cast<size_t>(rows * N));
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    RecurrentProducts(h.data(), rows, H, w.w_t.data(), N, acc.data());
    for (int64_t r = 0; r < rows; ++r) {
      GateStep(x + r * x_row_stride + t * x_step_stride, acc.data() + r * N, w.bias.data(), H, h.data() + r * H,
               out + r * out_row_stride + t * out_step_stride);
    }
  }
}

}  // namespace ascnet
