#include "ascnet/features/extractor.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/core/finite.h"
#include "ascnet/features/filterbank.h"
#include "ascnet/features/noise.h"
#include "ascnet/features/stft.h"

namespace ascnet {

int64_t NumSegments(int64_t num_frames, const SegmentOptions& opts) {
  return static_cast<int64_t>(opts.WindowStarts(num_frames).size());
}

struct FeatureExtractor::Impl {
  FeatureConfig config;
  Stft stft;
  NoiseTracker noise;
  std::shared_ptr<const Filterbank> filterbank;
  bool magnitude;        // Gammatone: filterbank on |X| / fft_size (Ellis); Mel: on |X|^2.
  int bins, bands, channels, seg_frames, seg_hop;

  std::vector<float> pending;  // samples not yet consumed; pending[0] is sample `pending_start`
  int64_t pending_start = 0;
  int64_t samples_received = 0;
  int64_t frames_framed = 0;   // frames whose spectra are computed
  int64_t frames_done = 0;     // frames whose log images are computed
  int64_t first_kept_frame = 0;
  std::deque<std::vector<float>> frame_images;  // per frame: [channels][bands] log values
  int64_t segments_emitted = 0;
  int64_t last_start = -1;      // start frame of the last window emitted
  bool finished = false;
  std::vector<SegmentImages> ready;

  // Spectra of up to kBatch frames wait here so the filterbank runs on a block of frames.
  static constexpr int kBatch = 64;
  int batch_count = 0;
  std::vector<float> batch_power, batch_fg, batch_bands;
  std::vector<double> powerd, noised;

  explicit Impl(const FeatureConfig& c)
      : config((c.Validate(), c)),
        stft(c.frame),
        noise(c.noise, c.frame.NumBins(), c.frame.FrameShiftSeconds()),
        filterbank(Filterbank::Shared(c.frame, c.filterbank)),
        magnitude(c.filterbank.type == FilterbankOptions::Type::kGammatone),
        bins(c.frame.NumBins()),
        bands(c.filterbank.num_bands),
        channels(c.NumChannels()),
        seg_frames(c.segment.frames),
        seg_hop(c.segment.hop),
        batch_power(static_cast<size_t>(kBatch) * bins),
        batch_fg(static_cast<size_t>(kBatch) * bins),
        batch_bands(static_cast<size_t>(kBatch) * c.filterbank.num_bands),
        powerd(static_cast<size_t>(bins)),
        noised(static_cast<size_t>(bins)) {}

  // Filterbank + log of `n` spectra (rows of `spectra`, modified in place for Gammatone),
  // written into channel `channel` of the last `n` frame images.
  void LogBands(float* spectra, int n, int channel) {
    if (magnitude) {
      const float scale = 1.0f / static_cast<float>(config.frame.fft_size);
      const size_t total = static_cast<size_t>(n) * bins;
      for (size_t k = 0; k < total; ++k) spectra[k] = std::sqrt(spectra[k]) * scale;
    }
    filterbank->ApplyBatch(spectra, n, batch_bands.data());
    const float floor = static_cast<float>(config.log_floor);
    const size_t first = frame_images.size() - static_cast<size_t>(n);
    for (int f = 0; f < n; ++f) {
      float* out = frame_images[first + f].data() + static_cast<size_t>(channel) * bands;
      const float* in = batch_bands.data() + static_cast<size_t>(f) * bands;
      for (int i = 0; i < bands; ++i) out[i] = std::log(std::max(in[i], floor));
    }
  }

  // Power spectrum (and background-subtracted spectrum) of one frame of frame_length samples.
  void ComputeFrame(const float* frame) {
    float* power = batch_power.data() + static_cast<size_t>(batch_count) * bins;
    stft.PowerSpectrum(frame, power);
    if (channels == 2) {
      for (int k = 0; k < bins; ++k) powerd[k] = power[k];
      noise.Process(powerd.data(), noised.data());
      const double a = config.noise.alpha, b = config.noise.beta;
      float* fg = batch_fg.data() + static_cast<size_t>(batch_count) * bins;
      for (int k = 0; k < bins; ++k) fg[k] = static_cast<float>(std::max(powerd[k] - a * noised[k], b * noised[k]));
    }
    ++frames_framed;
    if (++batch_count == kBatch) Flush();
  }

  void Flush() {
    if (batch_count == 0) return;
    for (int f = 0; f < batch_count; ++f) frame_images.emplace_back(static_cast<size_t>(channels) * bands);
    LogBands(batch_power.data(), batch_count, 0);
    if (channels == 2) LogBands(batch_fg.data(), batch_count, 1);
    frames_done += batch_count;
    batch_count = 0;
    EmitReadySegments();
  }

  // Copies frames [start, start + T) (all computed and kept) into a new ready segment.
  void EmitWindow(int64_t start) {
    SegmentImages seg;
    seg.num_segments = 1;
    seg.channels = channels;
    seg.bands = bands;
    seg.frames = seg_frames;
    seg.data.resize(static_cast<size_t>(channels) * bands * seg_frames);
    for (int t = 0; t < seg_frames; ++t) {
      const std::vector<float>& img = frame_images[static_cast<size_t>(start + t - first_kept_frame)];
      for (int c = 0; c < channels; ++c) {
        for (int m = 0; m < bands; ++m) {
          seg.data[(static_cast<size_t>(c) * bands + m) * seg_frames + t] = img[static_cast<size_t>(c) * bands + m];
        }
      }
    }
    seg.start_seconds.push_back(static_cast<double>(start) * config.frame.frame_shift / config.frame.sample_rate);
    ready.push_back(std::move(seg));
    last_start = start;
  }

  // Grid windows as soon as their frames are complete.
  void EmitReadySegments() {
    while (true) {
      const int64_t start = segments_emitted * seg_hop;
      if (frames_done < start + seg_frames) break;
      EmitWindow(start);
      ++segments_emitted;
      // Drop frames no later window needs (with cover_end, the end window needs the last T).
      int64_t keep_from = segments_emitted * seg_hop;
      if (config.segment.cover_end) keep_from = std::min(keep_from, frames_done - seg_frames);
      while (first_kept_frame < keep_from && !frame_images.empty()) {
        frame_images.pop_front();
        ++first_kept_frame;
      }
    }
  }

  // After the last frame: the end-aligned window (cover_end) when the grid stopped short.
  void EmitEndWindow() {
    if (!config.segment.cover_end || segments_emitted == 0) return;
    const int64_t start = frames_done - seg_frames;
    if (last_start + seg_frames < frames_done) EmitWindow(start);
  }

  void ConsumeFullFrames() {
    const int W = config.frame.frame_length, H = config.frame.frame_shift;
    while (true) {
      const int64_t fstart = frames_framed * H;
      const int64_t off = fstart - pending_start;
      if (off + W > static_cast<int64_t>(pending.size())) break;
      ComputeFrame(pending.data() + off);
    }
    Flush();
    const int64_t keep_from = frames_framed * H - pending_start;
    if (keep_from > 0) {
      const int64_t drop = std::min<int64_t>(keep_from, static_cast<int64_t>(pending.size()));
      pending.erase(pending.begin(), pending.begin() + drop);
      pending_start += drop;
    }
  }
};

FeatureExtractor::FeatureExtractor(const FeatureConfig& config) : impl_(std::make_unique<Impl>(config)) {}
FeatureExtractor::~FeatureExtractor() = default;

const FeatureConfig& FeatureExtractor::config() const { return impl_->config; }
int64_t FeatureExtractor::frames_processed() const { return impl_->frames_done; }

void FeatureExtractor::AcceptWaveform(const float* samples, int64_t n) {
  Impl& s = *impl_;
  if (s.finished) throw ConfigError("FeatureExtractor: AcceptWaveform called after InputFinished");
  if (n < 0) throw ConfigError("FeatureExtractor: AcceptWaveform with n = " + std::to_string(n) + " samples (expected >= 0)");
  const int64_t i = static_cast<int64_t>(FirstOutside(samples, static_cast<size_t>(n)));
  if (i < n) {
    std::ostringstream os;
    os << "non-finite sample (" << samples[i] << ") at t = "
       << static_cast<double>(s.samples_received + i) / s.config.frame.sample_rate << " s";
    throw AudioError(os.str());
  }
  s.pending.insert(s.pending.end(), samples, samples + n);
  s.samples_received += n;
  s.ConsumeFullFrames();
}

void FeatureExtractor::InputFinished() {
  Impl& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  if (s.samples_received == 0) throw AudioError("the signal contains no samples");
  const int W = s.config.frame.frame_length, H = s.config.frame.frame_shift;
  // floor(n / H) frames over the zero-padded tail; a recording shorter than one segment is
  // zero-padded to exactly one segment.
  int64_t total = NumFrames(s.samples_received, s.config.frame);
  if (total < s.seg_frames) total = s.seg_frames;
  std::vector<float> frame(static_cast<size_t>(W));
  while (s.frames_framed < total) {
    const int64_t off = s.frames_framed * H - s.pending_start;
    for (int i = 0; i < W; ++i) {
      const int64_t j = off + i;
      frame[i] = (j >= 0 && j < static_cast<int64_t>(s.pending.size())) ? s.pending[static_cast<size_t>(j)] : 0.f;
    }
    s.ComputeFrame(frame.data());
  }
  s.Flush();
  s.EmitEndWindow();
  s.pending.clear();
}

int64_t FeatureExtractor::PopSegments(SegmentImages* out) {
  Impl& s = *impl_;
  int64_t added = 0;
  for (SegmentImages& seg : s.ready) {
    if (out->num_segments == 0) {
      out->channels = seg.channels;
      out->bands = seg.bands;
      out->frames = seg.frames;
    }
    out->data.insert(out->data.end(), seg.data.begin(), seg.data.end());
    out->start_seconds.push_back(seg.start_seconds[0]);
    ++out->num_segments;
    ++added;
  }
  s.ready.clear();
  return added;
}

SegmentImages FeatureExtractor::Compute(const FeatureConfig& config, const std::vector<float>& samples) {
  if (samples.empty()) throw AudioError("the signal contains no samples");
  FeatureExtractor ex(config);
  SegmentImages out;
  const int64_t expected_segments = NumSegments(
      std::max<int64_t>(NumFrames(static_cast<int64_t>(samples.size()), config.frame), 1), config.segment);
  out.data.reserve(static_cast<size_t>(expected_segments) * config.NumChannels() * config.filterbank.num_bands *
                   config.segment.frames);
  ex.AcceptWaveform(samples.data(), static_cast<int64_t>(samples.size()));
  ex.InputFinished();
  ex.PopSegments(&out);
  return out;
}

FrontEndCost FrontEndMacsPerFrame(const FeatureConfig& config) {
  config.Validate();
  const int64_t bins = config.frame.NumBins(), n = config.frame.fft_size, channels = config.NumChannels();
  FrontEndCost c;
  c.window = config.frame.frame_length;
  c.fft = static_cast<int64_t>(std::llround(static_cast<double>(n) * std::log2(static_cast<double>(n))));
  c.power = 2 * bins;
  c.noise = channels == 2 ? 41 * bins : 0;
  c.filterbank = channels * Filterbank::Shared(config.frame, config.filterbank)->NonZeros();
  c.log = channels * config.filterbank.num_bands;
  return c;
}

}  // namespace ascnet
