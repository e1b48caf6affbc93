#include "ascnet/infer/stream.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "ascnet/audio/resample.h"
#include "ascnet/core/error.h"
#include "ascnet/features/extractor.h"

namespace ascnet {

void StreamOptions::Validate() const {
  if (rate < 1000 || rate > 768000) {
    throw ConfigError("stream option rate = " + std::to_string(rate) + " (expected the input rate in Hz, 1000..768000)");
  }
  if (channels < 1 || channels > 64) {
    throw ConfigError("stream option channels = " + std::to_string(channels) + " (expected 1..64)");
  }
  if (format != "s16le") throw ConfigError("stream option format = " + format + " (expected s16le)");
  if (read_bytes < 64) throw ConfigError("stream option read_bytes = " + std::to_string(read_bytes) + " (expected >= 64)");
}

StreamSummary ClassifyStream(Recognizer& rec, int fd, const StreamOptions& o,
                             const std::function<void(const StreamSegment&)>& on_segment,
                             const std::function<void(const std::string&)>& on_warning) {
  o.Validate();
  using Clock = std::chrono::steady_clock;
  const FeatureConfig& cfg = rec.features();
  Resampler resampler(o.rate, cfg.frame.sample_rate);
  FeatureExtractor extractor(cfg);
  StreamSummary summary;
  RecordingScore running;
  const int frame_bytes = o.BytesPerFrame();
  std::vector<char> buf(static_cast<size_t>(o.read_bytes) + frame_bytes);
  size_t carry = 0;  // bytes of an incomplete frame kept from the previous read
  int64_t frames_in = 0, model_samples = 0;
  std::vector<float> mono, resampled;
  double latency_sum = 0;

  auto emit = [&](SegmentImages* pending, Clock::time_point arrival, bool final) {
    if (pending->num_segments == 0) return;
    const DoubleMatrix p = rec.Posteriors(pending->data.data(), pending->num_segments);
    for (int64_t s = 0; s < p.rows; ++s) {
      Recognizer::Accumulate(DoubleMatrix(1, p.cols, std::vector<double>(p.Row(s), p.Row(s) + p.cols)), &running);
      Recognizer::Decide(&running);
      StreamSegment seg;
      seg.index = summary.segments++;
      seg.start_seconds = pending->start_seconds[static_cast<size_t>(s)];
      seg.probs.assign(p.Row(s), p.Row(s) + p.cols);
      seg.label = 0;
      for (size_t c = 1; c < seg.probs.size(); ++c) seg.label = seg.probs[c] > seg.probs[seg.label] ? static_cast<int>(c) : seg.label;
      seg.running = running;
      seg.final = final;
      seg.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - arrival).count();
      latency_sum += seg.latency_ms;
      summary.max_latency_ms = std::max(summary.max_latency_ms, seg.latency_ms);
      on_segment(seg);
    }
    *pending = SegmentImages{};
  };

  auto feed = [&](const std::vector<float>& samples) {
    if (samples.empty()) return;
    model_samples += static_cast<int64_t>(samples.size());
    extractor.AcceptWaveform(samples.data(), static_cast<int64_t>(samples.size()));
  };

  SegmentImages pending;
  while (true) {
    const ssize_t got = ::read(fd, buf.data() + carry, static_cast<size_t>(o.read_bytes));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError("standard input: read failed (" + std::string(std::strerror(errno)) + ")");
    }
    if (got == 0) break;
    const Clock::time_point arrival = Clock::now();
    const size_t have = carry + static_cast<size_t>(got);
    const size_t frames = have / static_cast<size_t>(frame_bytes);
    mono.assign(frames, 0.f);
    const auto* bytes = reinterpret_cast<const unsigned char*>(buf.data());
    for (size_t f = 0; f < frames; ++f) {
      float sum = 0;
      for (int c = 0; c < o.channels; ++c) {
        const size_t i = (f * o.channels + c) * 2;
        sum += static_cast<float>(static_cast<int16_t>(static_cast<uint16_t>(bytes[i] | (bytes[i + 1] << 8))));
      }
      mono[f] = sum / (32768.f * o.channels);
    }
    carry = have - frames * frame_bytes;
    if (carry) std::memmove(buf.data(), buf.data() + frames * frame_bytes, carry);
    frames_in += static_cast<int64_t>(frames);
    resampled.clear();
    resampler.Process(mono.data(), mono.size(), &resampled);
    feed(resampled);
    extractor.PopSegments(&pending);
    emit(&pending, arrival, false);
  }
  const Clock::time_point end = Clock::now();
  if (carry) {
    summary.truncated_bytes = static_cast<int64_t>(carry);
    if (on_warning) {
      on_warning("input ended inside a sample frame: the last " + std::to_string(carry) + " byte(s) of a " +
                 std::to_string(frame_bytes) + "-byte frame (" + std::to_string(o.channels) +
                 " channel(s) x 16 bit) were ignored");
    }
  }
  summary.seconds = static_cast<double>(frames_in) / o.rate;
  resampled.clear();
  resampler.Flush(&resampled);
  feed(resampled);
  if (model_samples > 0) {
    extractor.InputFinished();
    extractor.PopSegments(&pending);
    emit(&pending, end, true);
  }
  summary.score = running;
  summary.score.file = "-";
  summary.score.seconds = summary.seconds;
  if (summary.segments > 0) summary.mean_latency_ms = latency_sum / static_cast<double>(summary.segments);
  return summary;
}

}  // namespace ascnet
