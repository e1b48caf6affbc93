// Minimum-statistics noise PSD tracking (Martin 2001), a transcription of VOICEBOX
// v_estnoisem (algorithms.md §1.1). Causal, stateful, one frame at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "ascnet/features/options.h"

namespace ascnet {

/// Martin's bias-compensation table (mhvals): returns {M(d), H(d)} for window length d frames.
std::pair<double, double> MinStatMh(int d);

class NoiseTracker {
 public:
  /// num_bins: spectrum length; tinc: frame hop in seconds.
  NoiseTracker(const NoiseOptions& opts, int num_bins, double tinc);

  /// Consumes one power-spectrum frame y[num_bins] (values >= 0; tiny floors are applied
  /// internally against division by zero) and writes the noise PSD estimate to x[num_bins].
  void Process(const double* y, double* x);

  int nv() const { return nv_; }
  int nu() const { return nu_; }
  int nd() const { return nv_ * nu_; }

 private:
  int nrf_;
  // constants
  double aca_, amax_, aminh_, bmax_, snrexp_, qeqimax_, qeqimin_, av_;
  int nv_, nu_;
  double md_, hd_, mv_, hv_;
  std::vector<double> nsms_;
  // state
  bool started_ = false;
  long t_ = 0;
  double ac_ = 1.0;
  int subwc_ = 0, ibuf_ = 0;
  std::vector<double> p_, sn2_, pb_, pb2_, pminu_, actmin_, actminsub_, actbuf_;
  std::vector<int64_t> lminflag_;
  std::vector<double> yfloor_, qeqi_;  // scratch
  std::vector<int64_t> kmod_, lmin_;
};

/// Whole-signal convenience: power [frames x bins] (row-major) -> noise PSD, same shape.
std::vector<double> EstimateNoise(const std::vector<double>& power, int frames, int bins, const NoiseOptions& opts,
                                  double tinc);

}  // namespace ascnet
