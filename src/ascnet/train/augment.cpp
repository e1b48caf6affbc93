#include "ascnet/train/augment.h"

#include <algorithm>
#include <cmath>

#include "ascnet/core/error.h"
#include "ascnet/train/random.h"

namespace ascnet {

double LogShiftPerDb(const FeatureConfig& features) {
  const double per_db_power = std::log(10.0) / 10.0;
  return features.filterbank.type == FilterbankOptions::Type::kGammatone ? per_db_power / 2 : per_db_power;
}

int64_t RandomWindowOffset(std::mt19937_64& rng, int64_t frames, int64_t T) {
  if (frames < T) throw ConfigError("random crop: an image of " + std::to_string(frames) + " frames has no " +
                                    std::to_string(T) + "-frame window");
  return UniformIndex(rng, frames - T + 1);
}

Augmenter::Augmenter(const TrainOptions& o, const FeatureConfig& features, std::vector<float> fill,
                     std::vector<int64_t> shape)
    : max_shift_(o.level_shift_db * LogShiftPerDb(features)),
      max_tilt_(o.tilt_db * LogShiftPerDb(features)),
      max_band_shift_(o.freq_shift_bands),
      time_masks_(o.time_masks),
      time_width_(o.time_mask_frames),
      freq_masks_(o.freq_masks),
      freq_width_(o.freq_mask_bands),
      fill_(std::move(fill)) {
  if (shape.size() != 3) throw ConfigError("Augmenter: image shape must be {channels, bands, frames}");
  channels_ = shape[0];
  bands_ = shape[1];
  frames_ = shape[2];
  if (static_cast<int64_t>(fill_.size()) != channels_ * bands_) {
    throw ConfigError("Augmenter: " + std::to_string(fill_.size()) + " fill values for " +
                      std::to_string(channels_ * bands_) + " (channel, band) rows");
  }
  if (time_width_ > frames_) time_width_ = static_cast<int>(frames_);
  if (freq_width_ > bands_) freq_width_ = static_cast<int>(bands_);
  if (max_band_shift_ >= bands_) max_band_shift_ = static_cast<int>(bands_ - 1);
}

bool Augmenter::enabled() const {
  return max_shift_ > 0 || max_tilt_ > 0 || max_band_shift_ > 0 || (time_masks_ > 0 && time_width_ > 0) || (freq_masks_ > 0 && freq_width_ > 0);
}

void Augmenter::ShiftBands(float* image, int64_t shift) const {
  if (shift == 0) return;
  std::vector<float> channel(static_cast<size_t>(bands_ * frames_));
  for (int64_t c = 0; c < channels_; ++c) {
    float* img = image + c * bands_ * frames_;
    std::copy_n(img, bands_ * frames_, channel.data());
    for (int64_t m = 0; m < bands_; ++m) {
      const int64_t from = std::clamp<int64_t>(m - shift, 0, bands_ - 1);
      std::copy_n(channel.data() + from * frames_, frames_, img + m * frames_);
    }
  }
}

void Augmenter::Apply(float* image, std::mt19937_64& rng) const {
  const int64_t rows = channels_ * bands_;
  if (max_shift_ > 0 || max_tilt_ > 0) {
    // The gain and the tilt are one gain per band, added to every channel in one pass.
    std::vector<float> gain(static_cast<size_t>(bands_), 0.f);
    if (max_shift_ > 0) {
      const float shift = static_cast<float>((2 * UniformUnit(rng) - 1) * max_shift_);
      for (float& g : gain) g += shift;
    }
    if (max_tilt_ > 0) {
      const double u = (2 * UniformUnit(rng) - 1) * max_tilt_;
      for (int64_t m = 0; m < bands_ && bands_ > 1; ++m) {
        gain[static_cast<size_t>(m)] +=
            static_cast<float>(u * (2.0 * static_cast<double>(m) / static_cast<double>(bands_ - 1) - 1));
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float g = gain[static_cast<size_t>(r % bands_)];
      float* row = image + r * frames_;
      for (int64_t t = 0; t < frames_; ++t) row[t] += g;
    }
  }
  if (max_band_shift_ > 0) {
    ShiftBands(image, UniformIndex(rng, 2 * max_band_shift_ + 1) - max_band_shift_);
  }
  if (time_width_ > 0) {
    for (int k = 0; k < time_masks_; ++k) {
      const int64_t w = UniformIndex(rng, time_width_ + 1);
      const int64_t t0 = UniformIndex(rng, frames_ - w + 1);
      for (int64_t r = 0; r < rows; ++r) std::fill_n(image + r * frames_ + t0, w, fill_[static_cast<size_t>(r)]);
    }
  }
  if (freq_width_ > 0) {
    for (int k = 0; k < freq_masks_; ++k) {
      const int64_t w = UniformIndex(rng, freq_width_ + 1);
      const int64_t m0 = UniformIndex(rng, bands_ - w + 1);
      for (int64_t c = 0; c < channels_; ++c) {
        for (int64_t m = m0; m < m0 + w; ++m) {
          const int64_t r = c * bands_ + m;
          std::fill_n(image + r * frames_, frames_, fill_[static_cast<size_t>(r)]);
        }
      }
    }
  }
}

}  // namespace ascnet
