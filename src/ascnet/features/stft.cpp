#include "ascnet/features/stft.h"

#include <fftw3.h>

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>

#include "ascnet/core/error.h"

namespace ascnet {
namespace {

// FFTW's planner is not thread-safe, but executing a plan with the new-array interface is.
// Plans are made once per FFT size (FFTW_ESTIMATE: deterministic, so results are the
// same on every run) and kept for the life of the process.
fftwf_plan SharedPlan(int n) {
  // Plans live as long as the process: the cache is never destroyed, so it stays reachable
  // (no leak report at exit) and is safe to use from threads still running during exit.
  static std::mutex* mu = new std::mutex;
  static std::map<int, fftwf_plan>& plans = *new std::map<int, fftwf_plan>;
  std::lock_guard<std::mutex> lock(*mu);
  auto it = plans.find(n);
  if (it != plans.end()) return it->second;
  float* in = fftwf_alloc_real(static_cast<size_t>(n));
  fftwf_complex* out = fftwf_alloc_complex(static_cast<size_t>(n / 2 + 1));
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  fftwf_free(in);
  fftwf_free(out);
  if (!plan) throw ConfigError("FFTW could not plan a real FFT of size " + std::to_string(n));
  plans.emplace(n, plan);
  return plan;
}

}  // namespace

int64_t NumFrames(int64_t num_samples, const FrameOptions& opts) {
  if (num_samples <= 0) return 0;
  const int64_t n = num_samples / opts.frame_shift;
  return n > 0 ? n : 1;
}

std::vector<float> PeriodicHann(int n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) w[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * i / n));
  return w;
}

Stft::Stft(const FrameOptions& opts) : opts_(opts), window_(PeriodicHann(opts.frame_length)) {
  opts_.Validate();
  plan_ = SharedPlan(opts_.fft_size);
  in_ = fftwf_alloc_real(static_cast<size_t>(opts_.fft_size));
  out_ = fftwf_alloc_complex(static_cast<size_t>(opts_.NumBins()));
  std::memset(in_, 0, sizeof(float) * opts_.fft_size);
}

Stft::~Stft() {
  fftwf_free(in_);
  fftwf_free(out_);
}

void Stft::PowerSpectrum(const float* frame, float* power) {
  const int w = opts_.frame_length;
  for (int i = 0; i < w; ++i) in_[i] = frame[i] * window_[i];
  // in_[w..fft_size) stays zero.
  auto* out = static_cast<fftwf_complex*>(out_);
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan_), in_, out);
  const int bins = opts_.NumBins();
  for (int k = 0; k < bins; ++k) power[k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
}

std::vector<float> Stft::PowerSpectrogram(const float* x, int64_t n) {
  const int64_t frames = NumFrames(n, opts_);
  const int bins = NumBins();
  const int w = opts_.frame_length;
  std::vector<float> out(static_cast<size_t>(frames * bins));
  std::vector<float> frame(static_cast<size_t>(w));
  for (int64_t k = 0; k < frames; ++k) {
    const int64_t start = k * opts_.frame_shift;
    const int64_t avail = std::max<int64_t>(0, std::min<int64_t>(w, n - start));
    std::memcpy(frame.data(), x + start, sizeof(float) * avail);
    std::fill(frame.begin() + avail, frame.end(), 0.f);
    PowerSpectrum(frame.data(), out.data() + k * bins);
  }
  return out;
}

}  // namespace ascnet
