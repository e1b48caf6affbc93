// Augmentation of training images (no LibTorch): a random gain that shifts both channels'
// log images alike, and SpecAugment time and frequency masks (Park et al. 2019). Applied to
// the raw log images of one training window before normalisation and between-class mixing.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ascnet/features/options.h"
#include "ascnet/train/options.h"

namespace ascnet {

/// Log-image shift per dB of gain: ln(10)/10 for power filterbanks (Mel), ln(10)/20 for
/// magnitude ones (Gammatone). The background channel P_fg = max(P - aN, bN) scales like P,
/// so the same shift applies to both channels.
double LogShiftPerDb(const FeatureConfig& features);

/// A random-crop offset: uniform over the T-frame windows of an image of `frames` frames,
/// [0, frames - T] (frames >= T).
int64_t RandomWindowOffset(std::mt19937_64& rng, int64_t frames, int64_t T);

class Augmenter {
 public:
  /// `fill`: per (channel, band) the value a masked cell takes (the training mean, so that
  /// it is 0 after normalisation), channels * bands values. Image shape {C, M, T}.
  Augmenter(const TrainOptions& options, const FeatureConfig& features, std::vector<float> fill,
            std::vector<int64_t> shape);

  /// True when any augmentation is on (else Apply draws nothing and changes nothing).
  bool enabled() const;

  /// In place on one [C][M][T] image, drawing from `rng` in this order (each only when on):
  /// the gain (uniform in [-level_shift_db, level_shift_db] dB), the tilt (band m of M gains
  /// u (2m / (M - 1) - 1) dB, u uniform in [-tilt_db, tilt_db]), the band shift (s uniform in
  /// [-freq_shift_bands, freq_shift_bands]: band m takes band clamp(m - s, 0, M - 1)), then each
  /// time mask (width uniform in [0, time_mask_frames], start uniform over the positions that
  /// fit), then each frequency mask. Every step treats all channels alike.
  void Apply(float* image, std::mt19937_64& rng) const;

 private:
  void ShiftBands(float* image, int64_t shift) const;

  double max_shift_ = 0;  // log units
  double max_tilt_ = 0;   // log units at the edge bands
  int max_band_shift_ = 0;
  int time_masks_, time_width_, freq_masks_, freq_width_;
  std::vector<float> fill_;
  int64_t channels_, bands_, frames_;
};

}  // namespace ascnet
