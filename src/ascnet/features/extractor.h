// The front end: a mono signal at the configured rate -> 2-channel log images, cut into
// segments [S, C, M, T] (C = 2 channels: signal, background-subtracted; M bands; T frames).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ascnet/features/options.h"

namespace ascnet {

/// Segment images, C-order [num_segments, channels, bands, frames], float32.
struct SegmentImages {
  int64_t num_segments = 0;
  int channels = 0, bands = 0, frames = 0;
  std::vector<float> data;
  std::vector<double> start_seconds;  ///< start time of each segment

  std::vector<int64_t> Shape() const { return {num_segments, channels, bands, frames}; }
  int64_t SegmentSize() const { return static_cast<int64_t>(channels) * bands * frames; }
  const float* Segment(int64_t i) const { return data.data() + i * SegmentSize(); }
};

/// Number of segments for a recording of `num_frames` frames: non-overlapping blocks of T
/// (or hop-spaced), a trailing partial block dropped, but at least 1 (zero-padded) for a
/// recording shorter than one block.
int64_t NumSegments(int64_t num_frames, const SegmentOptions& opts);

/// Streaming feature extractor (Kaldi "online" style): feed samples as they arrive,
/// collect segments as soon as they are complete. The noise tracker runs over the whole
/// recording with continuous state. Not thread-safe; use one per thread.
class FeatureExtractor {
 public:
  explicit FeatureExtractor(const FeatureConfig& config);
  ~FeatureExtractor();

  const FeatureConfig& config() const;

  /// Appends samples (mono, config.frame.sample_rate). Throws AudioError on non-finite values.
  void AcceptWaveform(const float* samples, int64_t n);
  /// Marks the end of the signal: pads the tail and completes the last (or only) segment.
  void InputFinished();
  /// Moves the segments completed so far into *out (appending); returns how many were added.
  int64_t PopSegments(SegmentImages* out);

  int64_t frames_processed() const;

  /// Whole-signal convenience. AudioError if the signal is empty.
  static SegmentImages Compute(const FeatureConfig& config, const std::vector<float>& samples);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Arithmetic cost of the front end per frame (frames every FrameShiftSeconds()), counting
/// one multiply, add or divide as one MAC — the unit DCASE's low-complexity task ranks by:
///   window     frame_length                  (Hann window)
///   fft        fft_size * log2(fft_size)     (real FFT, the usual N log2 N count)
///   power      2 * bins                      (|X|^2)
///   noise      41 * bins                     (minimum statistics, counted from noise.cpp:
///                                             smoothing 21, bias-compensated minimum 14,
///                                             sums 4, background subtraction 2; 2-channel only)
///   filterbank channels * non-zero weights   (the sparse rows, per channel)
///   log        channels * bands
struct FrontEndCost {
  int64_t window = 0, fft = 0, power = 0, noise = 0, filterbank = 0, log = 0;
  int64_t PerFrame() const { return window + fft + power + noise + filterbank + log; }
};
FrontEndCost FrontEndMacsPerFrame(const FeatureConfig& config);

}  // namespace ascnet
