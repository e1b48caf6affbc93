#include "ascnet/infer/stream.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
  if (format != "s16le" && format != "f32le") {
    throw ConfigError("stream option format = " + format + " (expected s16le or f32le)");
  }
  if (read_bytes < 64) throw ConfigError("stream option read_bytes = " + std::to_string(read_bytes) + " (expected >= 64)");
}

struct StreamClassifier::Impl {
  Impl(Recognizer& r, const StreamOptions& o, SegmentScorer s)
      : rec(r),
        options(o),
        scorer(std::move(s)),
        decoder(ParsePcmFormat(o.format), o.channels),
        resampler(o.rate, r.features().frame.sample_rate),
        extractor(r.features()) {}

  void Emit(Clock::time_point arrival, bool final, const SegmentCallback& on_segment) {
    if (pending.num_segments == 0) return;
    const DoubleMatrix p = scorer ? scorer(pending.data.data(), pending.num_segments)
                                  : rec.Posteriors(pending.data.data(), pending.num_segments);
    for (int64_t s = 0; s < p.rows; ++s) {
      Recognizer::Accumulate(DoubleMatrix(1, p.cols, std::vector<double>(p.Row(s), p.Row(s) + p.cols)), &running);
      Recognizer::Decide(&running);
      StreamSegment seg;
      seg.index = summary.segments++;
      seg.start_seconds = pending.start_seconds[static_cast<size_t>(s)];
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
    pending = SegmentImages{};
  }

  void Feed(const std::vector<float>& samples) {
    if (samples.empty()) return;
    model_samples += static_cast<int64_t>(samples.size());
    extractor.AcceptWaveform(samples.data(), static_cast<int64_t>(samples.size()));
  }

  Recognizer& rec;
  StreamOptions options;
  SegmentScorer scorer;
  PcmDecoder decoder;
  Resampler resampler;
  FeatureExtractor extractor;
  StreamSummary summary;
  RecordingScore running;
  SegmentImages pending;
  std::vector<float> mono, resampled;
  int64_t model_samples = 0;
  double latency_sum = 0;
  bool finished = false;
};

StreamClassifier::StreamClassifier(Recognizer& recognizer, const StreamOptions& options, SegmentScorer scorer) {
  options.Validate();
  impl_ = std::make_unique<Impl>(recognizer, options, std::move(scorer));
}

StreamClassifier::~StreamClassifier() = default;

void StreamClassifier::Accept(const void* bytes, size_t n, Clock::time_point arrival, const SegmentCallback& on_segment) {
  Impl& m = *impl_;
  if (m.finished) throw ConfigError("StreamClassifier::Accept after Finish");
  m.mono.clear();
  m.decoder.Decode(bytes, n, &m.mono);
  m.resampled.clear();
  m.resampler.Process(m.mono.data(), m.mono.size(), &m.resampled);
  m.Feed(m.resampled);
  m.extractor.PopSegments(&m.pending);
  m.Emit(arrival, false, on_segment);
}

StreamSummary StreamClassifier::Finish(const SegmentCallback& on_segment) {
  Impl& m = *impl_;
  if (m.finished) throw ConfigError("StreamClassifier::Finish called twice");
  m.finished = true;
  const Clock::time_point end = Clock::now();
  m.summary.truncated_bytes = static_cast<int64_t>(m.decoder.carry());
  m.summary.seconds = input_seconds();
  m.resampled.clear();
  m.resampler.Flush(&m.resampled);
  m.Feed(m.resampled);
  if (m.model_samples > 0) {
    m.extractor.InputFinished();
    m.extractor.PopSegments(&m.pending);
    m.Emit(end, true, on_segment);
  }
  m.summary.score = m.running;
  m.summary.score.file = "-";
  m.summary.score.seconds = m.summary.seconds;
  if (m.summary.segments > 0) m.summary.mean_latency_ms = m.latency_sum / static_cast<double>(m.summary.segments);
  return m.summary;
}

int64_t StreamClassifier::input_frames() const { return impl_->decoder.frames(); }

double StreamClassifier::input_seconds() const {
  return static_cast<double>(impl_->decoder.frames()) / impl_->options.rate;
}

StreamSummary ClassifyStream(Recognizer& rec, int fd, const StreamOptions& o, const SegmentCallback& on_segment,
                             const std::function<void(const std::string&)>& on_warning) {
  StreamClassifier stream(rec, o);
  std::vector<char> buf(static_cast<size_t>(o.read_bytes));
  while (true) {
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError("standard input: read failed (" + std::string(std::strerror(errno)) + ")");
    }
    if (got == 0) break;
    stream.Accept(buf.data(), static_cast<size_t>(got), StreamClassifier::Clock::now(), on_segment);
  }
  const StreamSummary summary = stream.Finish(on_segment);
  if (summary.truncated_bytes && on_warning) {
    on_warning("input ended inside a sample frame: the last " + std::to_string(summary.truncated_bytes) + " byte(s) of a " +
               std::to_string(o.BytesPerFrame()) + "-byte frame (" + std::to_string(o.channels) + " channel(s) x " +
               std::to_string(8 * PcmSampleBytes(ParsePcmFormat(o.format))) + " bit) were ignored");
  }
  return summary;
}

namespace {
nlohmann::json Probs(const std::vector<std::string>& labels, const std::vector<double>& p) {
  nlohmann::json o = nlohmann::json::object();
  for (size_t c = 0; c < labels.size() && c < p.size(); ++c) o[labels[c]] = p[c];
  return o;
}
std::string Label(const std::vector<std::string>& labels, int i) {
  return i >= 0 && static_cast<size_t>(i) < labels.size() ? labels[static_cast<size_t>(i)] : "";
}
}  // namespace

nlohmann::json StreamSegmentJson(const StreamSegment& s, const std::vector<std::string>& labels) {
  return {{"segment", s.index},
          {"start_s", s.start_seconds},
          {"label", Label(labels, s.label)},
          {"probabilities", Probs(labels, s.probs)},
          {"running", {{"label", Label(labels, s.running.label)}, {"probabilities", Probs(labels, s.running.probs)},
                       {"segments", s.running.num_segments}}},
          {"latency_ms", s.latency_ms},
          {"final", s.final}};
}

nlohmann::json StreamSummaryJson(const StreamSummary& s, const std::vector<std::string>& labels) {
  return {{"summary", true},
          {"segments", s.segments},
          {"duration_s", s.seconds},
          {"label", Label(labels, s.score.label)},
          {"probabilities", Probs(labels, s.score.probs)},
          {"latency_ms", {{"mean", s.mean_latency_ms}, {"max", s.max_latency_ms}}},
          {"truncated_bytes", s.truncated_bytes}};
}

}  // namespace ascnet
