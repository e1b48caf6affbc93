// Live classification of raw PCM from a file descriptor (e.g. standard input fed by
// `arecord -f S16_LE` or `sox ... -t raw -`): interleaved 16-bit little-endian samples are
// mixed to mono, resampled to the model's rate (streaming soxr), fed to the streaming
// FeatureExtractor, and every completed segment is scored at once and reported with a
// running fused decision and its latency.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ascnet/infer/recognizer.h"

namespace ascnet {

struct StreamOptions {
  int rate = 0;                   ///< input sample rate, Hz (1000..768000)
  int channels = 1;               ///< interleaved channels (1..64), mixed to mono by averaging
  std::string format = "s16le";   ///< sample format; only "s16le" (signed 16-bit little-endian)
  int64_t read_bytes = 8192;      ///< bytes asked of each read() (>= 64); smaller = lower latency

  void Validate() const;          ///< ConfigError naming the field and the expected range
  int BytesPerFrame() const { return 2 * channels; }
};

/// One completed segment.
struct StreamSegment {
  int64_t index = 0;
  double start_seconds = 0;       ///< in the model's time line (input time, resampled)
  int label = -1;                 ///< the segment's top class
  std::vector<double> probs;      ///< segment posteriors
  RecordingScore running;         ///< fused decision over segments 0..index
  double latency_ms = 0;          ///< from the arrival of the read that completed the segment to now
  bool final = false;             ///< produced by the end-of-input flush (padded)
};

struct StreamSummary {
  int64_t segments = 0;
  double seconds = 0;             ///< input duration (whole sample frames / rate)
  RecordingScore score;           ///< fused decision over every segment
  int64_t truncated_bytes = 0;    ///< bytes of an incomplete last sample frame (ignored)
  double mean_latency_ms = 0, max_latency_ms = 0;
};

/// Reads `fd` until end of input. `on_segment` is called for every segment as soon as it is
/// scored (its latency measured just before the call); `on_warning` for recoverable
/// problems (a truncated last frame). IoError if reading fails.
StreamSummary ClassifyStream(Recognizer& recognizer, int fd, const StreamOptions& options,
                             const std::function<void(const StreamSegment&)>& on_segment,
                             const std::function<void(const std::string&)>& on_warning = nullptr);

}  // namespace ascnet
