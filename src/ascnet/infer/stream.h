// Live classification of raw PCM: interleaved 16-bit little-endian (or 32-bit float) samples
// are mixed to mono, resampled to the model's rate (streaming soxr), fed to the streaming
// FeatureExtractor, and every completed segment is scored at once and reported with a
// running fused decision and its latency. StreamClassifier is the core (PCM bytes in,
// segments out) shared by `ascnet stream` (standard input) and `ascnet serve` (WebSocket).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ascnet/audio/pcm.h"
#include "ascnet/infer/recognizer.h"

namespace ascnet {

struct StreamOptions {
  int rate = 0;                   ///< input sample rate, Hz (1000..768000)
  int channels = 1;               ///< interleaved channels (1..64), mixed to mono by averaging
  std::string format = "s16le";   ///< sample format: "s16le" (signed 16-bit LE) or "f32le" (float LE)
  int64_t read_bytes = 8192;      ///< bytes asked of each read() (>= 64); smaller = lower latency

  void Validate() const;          ///< ConfigError naming the field and the expected range
  int BytesPerFrame() const { return PcmSampleBytes(ParsePcmFormat(format)) * channels; }
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

using SegmentCallback = std::function<void(const StreamSegment&)>;

/// The streaming core: PCM bytes in (chunks of any size), scored segments out. Segments are
/// scored by `scorer` (default: the recognizer's Posteriors). Not thread-safe (one per stream).
class StreamClassifier {
 public:
  using Clock = std::chrono::steady_clock;
  StreamClassifier(Recognizer& recognizer, const StreamOptions& options, SegmentScorer scorer = nullptr);
  ~StreamClassifier();

  /// Decodes `n` bytes that arrived at `arrival`; every segment they complete is scored and
  /// passed to `on_segment` (latency measured from `arrival`). AudioError for non-finite
  /// float samples.
  void Accept(const void* bytes, size_t n, Clock::time_point arrival, const SegmentCallback& on_segment);
  /// End of input: scores the padded tail and returns the summary. Call once.
  StreamSummary Finish(const SegmentCallback& on_segment);

  int64_t input_frames() const;   ///< complete sample frames accepted so far
  double input_seconds() const;   ///< input_frames() / rate

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads `fd` until end of input. `on_segment` is called for every segment as soon as it is
/// scored (its latency measured just before the call); `on_warning` for recoverable
/// problems (a truncated last frame). IoError if reading fails.
StreamSummary ClassifyStream(Recognizer& recognizer, int fd, const StreamOptions& options,
                             const SegmentCallback& on_segment,
                             const std::function<void(const std::string&)>& on_warning = nullptr);

/// The JSON line `ascnet stream` prints for a segment: {"segment", "start_s", "label",
/// "probabilities", "running": {"label", "probabilities", "segments"}, "latency_ms", "final"}.
nlohmann::json StreamSegmentJson(const StreamSegment& segment, const std::vector<std::string>& labels);
/// The summary line: {"summary": true, "segments", "duration_s", "label", "probabilities",
/// "latency_ms": {"mean", "max"}, "truncated_bytes"}.
nlohmann::json StreamSummaryJson(const StreamSummary& summary, const std::vector<std::string>& labels);

}  // namespace ascnet
