// Mel (Slaney, librosa-compatible) and ERB Gammatone (Ellis fft2gammatonemx) filterbanks.
#pragma once

#include <cstdint>
#include <memory>
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
/// so Mel costs ~2 multiply-adds per bin. A bank whose rows are mostly non-zero (Gammatone)
/// is also stored in blocks of kBandBlock bands, bins-major, and applied as a small dense
/// matrix product (each output a sum over its bins in bin order, whatever the batch).
class Filterbank {
 public:
  static constexpr int kBandBlock = 32;

  Filterbank(const FrameOptions& frame, const FilterbankOptions& fb);
  /// The filterbank of (frame, fb), built once per process and shared (thread-safe): the
  /// Gammatone weights cost ~5 ms to compute, as much as the features of 5 s of audio.
  static std::shared_ptr<const Filterbank> Shared(const FrameOptions& frame, const FilterbankOptions& fb);
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
  void StoreBlocksIfDense();

  int num_bands_, num_bins_;
  std::vector<double> dense_;
  std::vector<int> first_, last_;   // inclusive bin range per band
  std::vector<float> weights_;      // concatenated rows
  std::vector<size_t> offset_;
  // Dense banks only (empty otherwise): block b holds bands [b * kBandBlock, ...) as
  // block_weights_[b][k - block_first_[b]][j] over bins block_first_[b]..block_last_[b].
  std::vector<float> block_weights_;
  std::vector<int> block_first_, block_last_;
  std::vector<size_t> block_offset_;
};

}  // namespace ascnet
