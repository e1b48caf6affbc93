// Mel (Slaney, librosa-compatible) and ERB Gammatone (Ellis fft2gammatonemx) filterbanks.
#pragma once

#include <cstdint>
#include <vector>

#include "ascnet/features/options.h"

namespace ascnet {

double HzToMelSlaney(double hz);
double MelToHzSlaney(double mel);

/// Band edges/centres mel_f (num_bands + 2 values), as librosa.mel_frequencies.
std::vector<double> MelFrequencies(int num_bands, double fmin, double fmax);
/// ERB-spaced centre frequencies, low to high (fmin included, fmax excluded).
std::vector<double> ErbSpace(int num_bands, double fmin, double fmax);

/// Dense weights [num_bands x NumBins], row-major, computed in double.
std::vector<double> MelWeights(const FrameOptions& frame, const FilterbankOptions& fb);
std::vector<double> GammatoneWeights(const FrameOptions& frame, const FilterbankOptions& fb);
/// Mel or Gammatone according to fb.type.
std::vector<double> FilterbankWeights(const FrameOptions& frame, const FilterbankOptions& fb);

/// A filterbank applied to spectra. Rows are stored sparsely (first/last non-negligible bin),
/// so Mel costs ~2 multiply-adds per bin.
class Filterbank {
 public:
  Filterbank(const FrameOptions& frame, const FilterbankOptions& fb);
  int num_bands() const { return num_bands_; }
  int num_bins() const { return num_bins_; }
  /// spectrum[num_bins] -> bands[num_bands]
  void Apply(const float* spectrum, float* bands) const;
  /// spectra[frames][num_bins] -> bands[frames][num_bands]
  void ApplyBatch(const float* spectra, int64_t frames, float* bands) const;
  const std::vector<double>& dense() const { return dense_; }
  /// Multiply-adds of one Apply: the stored (non-negligible) weights of every band.
  int64_t NonZeros() const { return static_cast<int64_t>(weights_.size()); }

 private:
  int num_bands_, num_bins_;
  std::vector<double> dense_;
  std::vector<int> first_, last_;   // inclusive bin range per band
  std::vector<float> weights_;      // concatenated rows
  std::vector<size_t> offset_;
};

}  // namespace ascnet
