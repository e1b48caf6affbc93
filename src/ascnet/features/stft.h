// Framing and power spectrum (FFTW3, single precision).
#pragma once

#include <cstdint>
#include <vector>

#include "ascnet/features/options.h"

namespace ascnet {

/// Number of frames for a recording of `num_samples` samples: floor(n / shift), with the
/// tail zero-padded so the last frame exists (661500 samples -> 1200 frames); at least 1
/// for a non-empty signal.
int64_t NumFrames(int64_t num_samples, const FrameOptions& opts);

/// Periodic Hann window of length `n` (librosa/scipy 'hann', fftbins=True).
std::vector<float> PeriodicHann(int n);

/// Power spectrum |FFT(window .* frame)|^2 of single frames. The FFTW plan is made once per
/// FFT size (process-wide, under a lock) and shared: Stft objects may be used from many
/// threads, one object per thread.
class Stft {
 public:
  explicit Stft(const FrameOptions& opts);
  ~Stft();
  Stft(const Stft&) = delete;
  Stft& operator=(const Stft&) = delete;

  const FrameOptions& options() const { return opts_; }
  int NumBins() const { return opts_.NumBins(); }

  /// frame: frame_length samples (unwindowed); power: NumBins() values.
  void PowerSpectrum(const float* frame, float* power);

  /// Frames the whole signal (zero tail padding) and returns [NumFrames x NumBins] row-major.
  std::vector<float> PowerSpectrogram(const float* x, int64_t n);

 private:
  FrameOptions opts_;
  std::vector<float> window_;
  float* in_ = nullptr;   // fftwf_malloc'd, fft_size
  void* out_ = nullptr;   // fftwf_complex[NumBins]
  void* plan_ = nullptr;  // shared fftwf_plan
};

}  // namespace ascnet
