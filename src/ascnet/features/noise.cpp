#include "ascnet/features/noise.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "ascnet/core/error.h"
#include "ascnet/core/simd.h"

namespace ascnet {

std::pair<double, double> MinStatMh(int d) {
  // Table 5 of Martin (2006): rows (D, M, H).
  static const double kTable[][3] = {{1, 0, 0},        {2, .26, .15},    {5, .48, .48},    {8, .58, .78},
                                     {10, .61, .98},   {15, .668, 1.55}, {20, .705, 2},    {30, .762, 2.3},
                                     {40, .8, 2.52},   {60, .841, 3.1},  {80, .865, 3.38}, {120, .89, 4.15},
                                     {140, .9, 4.35},  {160, .91, 4.25}, {180, .92, 3.9},  {220, .93, 4.1},
                                     {260, .935, 4.7}, {300, .94, 5}};
  const int rows = static_cast<int>(sizeof(kTable) / sizeof(kTable[0]));
  int i = 0;
  while (i < rows && !(d <= kTable[i][0])) ++i;
  int j;
  if (i == rows) {
    i = rows - 1;
    j = i;
  } else {
    j = i - 1;
  }
  if (d == kTable[i][0]) return {kTable[i][1], kTable[i][2]};
  // MATLAB's v_estnoisem interpolates with row i-1 for qj even when j == i.
  const double qj = std::sqrt(kTable[i - 1][0]);
  const double qi = std::sqrt(kTable[i][0]);
  const double q = std::sqrt(static_cast<double>(d));
  const double h = kTable[i][2] + (q - qi) * (kTable[j][2] - kTable[i][2]) / (qj - qi);
  const double m = kTable[i][1] + (qi * qj / q - qj) * (kTable[j][1] - kTable[i][1]) / (qi - qj);
  return {m, h};
}

NoiseTracker::NoiseTracker(const NoiseOptions& opts, int num_bins, double tinc) : nrf_(num_bins) {
  opts.Validate();
  if (num_bins < 1) throw ConfigError("noise tracker: num_bins must be >= 1");
  if (!(tinc > 0)) throw ConfigError("noise tracker: frame hop tinc must be > 0 seconds");
  aca_ = std::exp(-tinc / opts.taca);
  amax_ = std::exp(-tinc / opts.tamax);
  aminh_ = std::exp(-tinc / opts.taminh);
  bmax_ = std::exp(-tinc / opts.tbmax);
  snrexp_ = -tinc / opts.tpfall;
  nu_ = opts.nu;
  nv_ = static_cast<int>(std::round(opts.td / (tinc * nu_)));
  if (nv_ < 4) {
    nv_ = 4;
    nu_ = std::max(static_cast<int>(std::round(opts.td / (tinc * nv_))), 1);
  }
  const int nd = nu_ * nv_;
  std::tie(md_, hd_) = MinStatMh(nd);
  std::tie(mv_, hv_) = MinStatMh(nv_);
  const double nsmdb[4] = {47, 31.4, 15.7, 4.1};
  for (double db : nsmdb) nsms_.push_back(std::pow(10.0, db * nv_ * tinc / 10.0));
  qeqimax_ = 1.0 / opts.qeqmin;
  qeqimin_ = 1.0 / opts.qeqmax;
  av_ = opts.av;
  const size_t n = static_cast<size_t>(nrf_);
  for (auto* v : {&p_, &sn2_, &pb_, &pb2_, &pminu_, &actmin_, &actminsub_, &yfloor_, &qeqi_}) {
    v->assign(n, 0.0);
  }
  actbuf_.assign(n * nu_, 0.0);
  lminflag_.assign(n, 0);
  kmod_.assign(n, 0);
  lmin_.assign(n, 0);
}

namespace {

// Per-bin smoothing and variance update (eqs. 3, 11, 12, 20, 21, 23); returns nothing, fills
// p, pb, pb2 and qeqi. Written branch-free so it vectorises.
ASCNET_HOT_LOOP_V4
void SmoothBins(int K, const double* __restrict y, double* __restrict p, const double* __restrict sn2,
                double* __restrict pb, double* __restrict pb2, double* __restrict qeqi, double amax_ac, double ahmin,
                double bmax, double qeqimax, double qeqimin_t) {
  for (int k = 0; k < K; ++k) {
    const double inv_sn2 = 1.0 / sn2[k];  // one division serves (11) and (23)
    const double d = p[k] * inv_sn2 - 1.0;
    double ah = amax_ac / (1.0 + d * d);
    ah = ah > ahmin ? ah : ahmin;
    const double pk = ah * p[k] + (1.0 - ah) * y[k];
    double b = ah * ah;
    b = b < bmax ? b : bmax;
    const double pbk = b * pb[k] + (1.0 - b) * pk;
    const double pb2k = b * pb2[k] + (1.0 - b) * pk * pk;
    double q = (pb2k - pbk * pbk) * (0.5 * inv_sn2 * inv_sn2);
    q = q < qeqimax ? q : qeqimax;
    q = q > qeqimin_t ? q : qeqimin_t;
    p[k] = pk;
    pb[k] = pbk;
    pb2[k] = pb2k;
    qeqi[k] = q;
  }
}

// Bias-compensated minimum tracking (eq. 17 in the form 1 + c*q/(1 - 2*m*q), which equals
// 1 + c/(1/q - 2m)); kmod marks the bins whose minimum moved.
ASCNET_HOT_LOOP_V4
void TrackMinimum(int K, const double* __restrict p, const double* __restrict qeqi, double* __restrict actmin,
                  double* __restrict actminsub, int64_t* __restrict kmod, double bc, double cd, double md2, double cv,
                  double mv2) {
  for (int k = 0; k < K; ++k) {
    const double q = qeqi[k];
    // Both bias factors from one division: q <= 1/qeqmin and m < 1 keep the denominators
    // in (0, 1].
    const double dd = 1.0 - md2 * q, dv = 1.0 - mv2 * q;
    const double r = 1.0 / (dd * dv);
    const double bmind = 1.0 + cd * q * dv * r;
    const double bminv = 1.0 + cv * q * dd * r;
    const double cand = bc * p[k] * bmind;
    const bool m = cand < actmin[k];
    kmod[k] = m ? 1 : 0;
    actmin[k] = m ? cand : actmin[k];
    actminsub[k] = m ? bc * p[k] * bminv : actminsub[k];
  }
}

// Sums in a fixed order: four partial sums (lanes), lane j adding v[j], v[j + 4], ..., the
// remainder added to lane 0, then (l0 + l1) + (l2 + l3). Deterministic on every CPU and ~4x
// faster than one dependency chain. The lanes are one GCC vector (element-wise adds, the same
// bits in every version; GCC does not find this form by itself).
typedef double Lanes __attribute__((vector_size(4 * sizeof(double))));

inline Lanes LoadLanes(const double* v) {
  Lanes x;
  std::memcpy(&x, v, sizeof(x));
  return x;
}

inline double Finish(Lanes a, const double* v, int k, int n) {
  double lane0 = a[0];
  for (; k < n; ++k) lane0 += v[k];
  return (lane0 + a[1]) + (a[2] + a[3]);
}

ASCNET_HOT_LOOP
double Sum(const double* v, int n) {
  Lanes a = {0, 0, 0, 0};
  int k = 0;
  for (; k + 4 <= n; k += 4) a += LoadLanes(v + k);
  return Finish(a, v, k, n);
}

// Sum of u, v and w in one pass (the same bits as three calls of Sum; three independent
// chains keep the adder busy).
ASCNET_HOT_LOOP
void Sum3(const double* __restrict u, const double* __restrict v, const double* __restrict w, int n, double* su,
          double* sv, double* sw) {
  Lanes a = {0, 0, 0, 0}, b = {0, 0, 0, 0}, c = {0, 0, 0, 0};
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    a += LoadLanes(u + k);
    b += LoadLanes(v + k);
    c += LoadLanes(w + k);
  }
  *su = Finish(a, u, k, n);
  *sv = Finish(b, v, k, n);
  *sw = Finish(c, w, k, n);
}

// y = max(yin, 1e-20): the floor against division by zero on digital silence.
ASCNET_HOT_LOOP
void FloorSpectrum(int K, const double* __restrict yin, double* __restrict y) {
  for (int k = 0; k < K; ++k) y[k] = yin[k] > 1e-20 ? yin[k] : 1e-20;
}

// Inside a subwindow: remember which minima moved and follow the subwindow's minimum.
ASCNET_HOT_LOOP
void FollowSubwindow(int K, const int64_t* __restrict kmod, const double* __restrict actminsub,
                     int64_t* __restrict lminflag, double* __restrict pminu, double* __restrict sn2) {
  for (int k = 0; k < K; ++k) {
    lminflag[k] = lminflag[k] | kmod[k];
    pminu[k] = std::min(actminsub[k], pminu[k]);
    sn2[k] = pminu[k];
  }
}

// out[k] = min over the `rows` rows of buf [rows x K] of column k, the rows taken in order
// (row by row, so the loop runs along memory and vectorises; the same values as a
// column-by-column scan: min is exact).
ASCNET_HOT_LOOP
void ColumnMin(int K, int rows, const double* __restrict buf, double* __restrict out) {
  for (int k = 0; k < K; ++k) out[k] = std::numeric_limits<double>::infinity();
  for (int u = 0; u < rows; ++u) {
    const double* row = buf + static_cast<size_t>(u) * K;
    for (int k = 0; k < K; ++k) out[k] = std::min(out[k], row[k]);
  }
}

// At the end of a subwindow (pminu holding the minimum over the last nu subwindows): where a
// bin's minimum has stopped moving and the subwindow's minimum lies within (pminu, nsm * pminu),
// take the subwindow's minimum (a local minimum, Martin's noise-slope test); lmin marks those
// bins. Resets the subwindow's flags and minimum.
ASCNET_HOT_LOOP
void LocalMinimum(int K, double nsm, const int64_t* __restrict kmod, const double* __restrict actminsub,
                  int64_t* __restrict lminflag, double* __restrict pminu, double* __restrict actmin,
                  int64_t* __restrict lmin) {
  for (int k = 0; k < K; ++k) {
    const double m = pminu[k];
    const bool l = lminflag[k] && !kmod[k] && actminsub[k] < nsm * m && actminsub[k] > m;
    lmin[k] = l ? 1 : 0;
    pminu[k] = l ? actminsub[k] : m;
    lminflag[k] = 0;
    actmin[k] = std::numeric_limits<double>::infinity();
  }
}

// Every row of buf [rows x K]: row[k] = value[k] where mask[k].
ASCNET_HOT_LOOP
void ReplaceWhere(int K, int rows, const int64_t* __restrict mask, const double* __restrict value,
                  double* __restrict buf) {
  for (int u = 0; u < rows; ++u) {
    double* row = buf + static_cast<size_t>(u) * K;
    for (int k = 0; k < K; ++k) row[k] = mask[k] ? value[k] : row[k];
  }
}

}  // namespace

void NoiseTracker::Process(const double* yin, double* x) {
  const int K = nrf_;
  const double inf = std::numeric_limits<double>::infinity();
  // Floor against division by zero on digital silence (algorithms.md §1.1, practical notes).
  double* y = yfloor_.data();
  FloorSpectrum(K, yin, y);

  if (!started_) {
    for (int k = 0; k < K; ++k) {
      p_[k] = y[k];
      sn2_[k] = y[k];
      pb_[k] = y[k];
      pb2_[k] = y[k] * y[k];
      pminu_[k] = y[k];
      actmin_[k] = inf;
      actminsub_[k] = inf;
    }
    std::fill(actbuf_.begin(), actbuf_.end(), inf);
    std::fill(lminflag_.begin(), lminflag_.end(), 0);
    ac_ = 1.0;
    subwc_ = nv_;
    ibuf_ = 0;
    t_ = 0;
    started_ = true;
  }
  ++t_;

  double sum_p, sum_y, sum_sn2;
  Sum3(p_.data(), y, sn2_.data(), K, &sum_p, &sum_y, &sum_sn2);
  const double r = sum_p / sum_y - 1.0;
  const double acb = 1.0 / (1.0 + r * r);                                   // (9)
  ac_ = aca_ * ac_ + (1.0 - aca_) * std::max(acb, aca_);                    // (10), acmax = aca
  const double snr = sum_p / sum_sn2;
  const double ahmin = std::min(aminh_, std::pow(snr, snrexp_));             // (12)
  SmoothBins(K, y, p_.data(), sn2_.data(), pb_.data(), pb2_.data(), qeqi_.data(), amax_ * ac_, ahmin, bmax_, qeqimax_,
             qeqimin_ / static_cast<double>(t_));
  const double qiav = Sum(qeqi_.data(), K) / K;
  const double bc = 1.0 + av_ * std::sqrt(qiav);
  const int nd = nu_ * nv_;
  TrackMinimum(K, p_.data(), qeqi_.data(), actmin_.data(), actminsub_.data(), kmod_.data(), bc,
               2.0 * (nd - 1) * (1.0 - md_), 2.0 * md_, 2.0 * (nv_ - 1) * (1.0 - mv_), 2.0 * mv_);
  if (subwc_ > 1 && subwc_ < nv_) {
    FollowSubwindow(K, kmod_.data(), actminsub_.data(), lminflag_.data(), pminu_.data(), sn2_.data());
  } else if (subwc_ >= nv_) {
    ibuf_ = 1 + (ibuf_ % nu_);  // 1-based ring index
    double* row = &actbuf_[static_cast<size_t>(ibuf_ - 1) * K];
    std::copy(actmin_.begin(), actmin_.end(), row);
    const double qith[4] = {0.03, 0.05, 0.06, inf};
    int i = 0;
    while (i < 3 && !(qiav < qith[i])) ++i;
    const double nsm = nsms_[i];
    ColumnMin(K, nu_, actbuf_.data(), pminu_.data());
    LocalMinimum(K, nsm, kmod_.data(), actminsub_.data(), lminflag_.data(), pminu_.data(), actmin_.data(),
                 lmin_.data());
    ReplaceWhere(K, nu_, lmin_.data(), pminu_.data(), actbuf_.data());
    subwc_ = 0;
  }
  ++subwc_;
  std::copy(sn2_.begin(), sn2_.end(), x);
}

std::vector<double> EstimateNoise(const std::vector<double>& power, int frames, int bins, const NoiseOptions& opts,
                                  double tinc) {
  if (power.size() != static_cast<size_t>(frames) * bins) {
    throw ConfigError("EstimateNoise: power has " + std::to_string(power.size()) + " values, expected frames*bins = " +
                      std::to_string(static_cast<size_t>(frames) * bins));
  }
  NoiseTracker tracker(opts, bins, tinc);
  std::vector<double> out(power.size());
  for (int t = 0; t < frames; ++t) tracker.Process(&power[static_cast<size_t>(t) * bins], &out[static_cast<size_t>(t) * bins]);
  return out;
}

}  // namespace ascnet
