#include "ascnet/infer/explain.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <torch/types.h>

#include "ascnet/audio/decode.h"
#include "ascnet/core/error.h"
#include "ascnet/features/extractor.h"

namespace ascnet {
namespace {

const ModelBundle& RequireAttCrnn(const ModelBundle& b) {
  if (!b.arch.IsAttCrnn()) {
    throw ConfigError("explain needs an Att-CRNN model; this bundle is a " +
                      std::string(b.arch.IsAttCrnn() ? b.arch.Name() : "CNN") + " (it has no attention to show)");
  }
  return b;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

/// Shortens `s` to at most `max_chars` characters ("..." at the end).
std::string Clip(const std::string& s, int max_chars) {
  if (max_chars <= 3 || static_cast<int>(s.size()) <= max_chars) return s;
  return s.substr(0, static_cast<size_t>(max_chars - 2)) + "..";
}

}  // namespace

Explainer::Explainer(ModelBundle bundle, torch::Device device, ScoreKind kind)
    : classifier_(RequireAttCrnn(bundle), device), recognizer_(std::move(bundle), device, kind) {}

Explainer Explainer::Load(const std::string& path, torch::Device device, ScoreKind kind) {
  return Explainer(LoadBundle(path, torch::kCPU), device, kind);
}

Explanation Explainer::Explain(const std::string& path, int max_segments) {
  return Explain(AudioSource::File(path), max_segments);
}

Explanation Explainer::Explain(const AudioSource& source, int max_segments) {
  const std::string& path = source.name;
  if (max_segments < 1) throw ConfigError("explain: max_segments must be >= 1, got " + std::to_string(max_segments));
  const ModelBundle& b = recognizer_.bundle();
  const FeatureConfig& cfg = b.features;
  Explanation e;
  e.file = path;
  e.arch = b.arch.Name();
  e.features = cfg.name;
  e.scorer = ScoreKindName(recognizer_.score_kind());
  e.labels = b.labels;
  e.bands = b.arch.bands;
  e.frames = b.arch.frames;
  e.hidden2 = 2 * b.arch.hidden;
  e.frame_seconds = cfg.frame.FrameShiftSeconds();
  e.score.file = path;

  AudioOptions audio;
  audio.target_rate = cfg.frame.sample_rate;
  FeatureExtractor extractor(cfg);
  SegmentImages pending;
  auto consume = [&] {
    if (pending.num_segments == 0) return;
    const DoubleMatrix p = recognizer_.Posteriors(pending.data.data(), pending.num_segments);
    Recognizer::Accumulate(p, &e.score);
    const int64_t keep =
        std::min<int64_t>(pending.num_segments, max_segments - static_cast<int64_t>(e.segments.size()));
    if (keep > 0) {
      const torch::Tensor x = torch::from_blob(pending.data.data(), {keep, pending.channels, pending.bands, pending.frames},
                                               torch::kFloat);
      const NetOutput out = classifier_.Forward(x);
      const torch::Tensor spa = out.a_spa.to(torch::kCPU, torch::kFloat).contiguous();
      const torch::Tensor tem = out.a_tem.to(torch::kCPU, torch::kFloat).contiguous();
      for (int64_t s = 0; s < keep; ++s) {
        ExplainedSegment seg;
        seg.start_seconds = pending.start_seconds[static_cast<size_t>(s)];
        const float* ch0 = pending.Segment(s);  // channel 0 comes first
        seg.spectrogram.assign(ch0, ch0 + static_cast<int64_t>(pending.bands) * pending.frames);
        seg.a_spa.assign(spa[s].data_ptr<float>(), spa[s].data_ptr<float>() + spa.size(1));
        seg.a_tem.assign(tem[s].data_ptr<float>(), tem[s].data_ptr<float>() + tem.size(1));
        seg.probs.assign(p.Row(s), p.Row(s) + p.cols);
        e.segments.push_back(std::move(seg));
      }
    }
    pending = SegmentImages{};
  };
  try {
    AudioReader reader(source, audio);
    std::vector<float> block;
    while (reader.Read(&block)) {
      extractor.AcceptWaveform(block.data(), static_cast<int64_t>(block.size()));
      extractor.PopSegments(&pending);
      if (pending.num_segments >= 32) consume();
    }
    extractor.InputFinished();
  } catch (const Error& err) {
    const std::string what = err.what();
    if (what.find(path) != std::string::npos) throw;
    throw AudioError(WithPath(path, what));
  }
  extractor.PopSegments(&pending);
  consume();
  e.total_segments = e.score.num_segments;
  Recognizer::Decide(&e.score);
  return e;
}

namespace {

const Rgb kInk{20, 20, 20}, kGrey{110, 110, 110}, kLight{225, 225, 225}, kBar{70, 110, 170}, kTop{230, 120, 20};

// Pixel geometry of the picture: a header, then one panel per segment, `per_row` per row; each
// panel is title, spectrogram, time axis, a_tem strip, attention map A, posterior bars.
struct Layout {
  int n = 0, per_row = 1, classes = 0, T = 0, M = 0, S = 0;
  int px = 0, panel_w = 0, spec_h = 0, att_h = 0, post_h = 0, panel_h = 0, rows = 0, width = 0, height = 0;
  static constexpr int tem_h = 44, row_h = 11, gutter = 96, margin = 14, gap = 18, title_h = 14, axis_h = 14,
                       inner_gap = 6, header_h = 58;
};

Layout ComputeLayout(const Explanation& e, int per_row) {
  Layout L;
  L.n = static_cast<int>(e.segments.size());
  if (L.n == 0) throw ConfigError("explain: nothing to draw (no segments)");
  L.per_row = std::max(1, std::min(per_row, L.n));
  L.classes = static_cast<int>(e.labels.size());
  L.T = e.frames, L.M = e.bands, L.S = e.hidden2;
  L.px = std::max(2, 320 / std::max(1, L.T));  // per frame
  L.panel_w = L.px * L.T;
  L.spec_h = std::max(96, std::min(256, 3 * L.M));
  L.att_h = std::max(96, std::min(256, L.S));
  L.post_h = L.classes * Layout::row_h;
  L.panel_h = Layout::title_h + L.spec_h + Layout::axis_h + Layout::tem_h + Layout::inner_gap + L.att_h +
              Layout::inner_gap + 12 + L.post_h;
  L.rows = (L.n + L.per_row - 1) / L.per_row;
  L.width = Layout::margin + Layout::gutter + L.per_row * L.panel_w + (L.per_row - 1) * Layout::gap + Layout::margin;
  L.height = Layout::header_h + L.rows * (L.panel_h + Layout::gap) + Layout::margin;
  return L;
}

// Colour scales shared by every panel: the spectrogram range over all shown segments (2nd to
// 99.5th percentile); a_tem bars against the largest a_tem shown, at least 2.5/T, so that
// uniform attention (1/T) sits at 40 % of the strip.
struct Scales {
  double lo = 0, hi = 0;
  float tem_max = 0;
};

Scales SharedScales(const Explanation& e) {
  Scales sc;
  std::vector<float> all;
  sc.tem_max = 2.5f / static_cast<float>(std::max(1, e.frames));
  for (const auto& s : e.segments) {
    all.insert(all.end(), s.spectrogram.begin(), s.spectrogram.end());
    for (float v : s.a_tem) sc.tem_max = std::max(sc.tem_max, v);
  }
  std::sort(all.begin(), all.end());
  sc.lo = all[static_cast<size_t>(0.02 * (all.size() - 1))];
  sc.hi = all[static_cast<size_t>(0.995 * (all.size() - 1))];
  return sc;
}

void DrawHeader(Image* img, const Explanation& e, const Layout& L) {
  const int margin = Layout::margin, width = L.width;
  const std::string name = std::filesystem::path(e.file).filename().string();
  DrawText(img, margin, 10, "ascnet explain: " + Clip(name, (width - 2 * margin) / 12 - 16), kInk, 2);
  std::string decision = "decision: ";
  if (e.score.label >= 0 && e.score.label < L.classes) {
    decision += e.labels[static_cast<size_t>(e.score.label)] + " (p=" +
                Fixed(e.score.probs[static_cast<size_t>(e.score.label)], 2) + ")";
  }
  decision += "   " + e.arch + "/" + e.features + ", " + e.scorer + " posteriors, " + std::to_string(e.total_segments) +
              " segment(s)" + (e.total_segments > L.n ? ", first " + std::to_string(L.n) + " shown" : "");
  DrawText(img, margin, 32, Clip(decision, (width - 2 * margin) / 6), kInk, 1);
  if (!e.title.empty()) DrawText(img, margin, 44, Clip(e.title, (width - 2 * margin) / 6), kGrey, 1);
}

// Where one panel is drawn: its left edge, the running top of its next part, and whether it
// is in the first column (which carries the part names in the gutter).
struct Panel {
  int x0, y;
  bool first_col;
};

size_t TopClass(const ExplainedSegment& s) {
  size_t best = 0;
  for (size_t c = 1; c < s.probs.size(); ++c) best = s.probs[c] > s.probs[best] ? c : best;
  return best;
}

// Title: segment index, time span and its top class.
void DrawPanelTitle(Image* img, const Explanation& e, const Layout& L, int i, Panel* p) {
  const ExplainedSegment& s = e.segments[static_cast<size_t>(i)];
  const size_t best = TopClass(s);
  const double seg_seconds = L.T * e.frame_seconds;
  const std::string t = "#" + std::to_string(i) + "  " + Fixed(s.start_seconds, 2) + "-" +
                        Fixed(s.start_seconds + seg_seconds, 2) + " s: " + e.labels[best] + " " + Fixed(s.probs[best], 2);
  DrawText(img, p->x0, p->y + 2, Clip(t, L.panel_w / 6), kInk, 1);
  p->y += Layout::title_h;
}

// Spectrogram (channel 0), low bands at the bottom.
void DrawSpectrogram(Image* img, const Explanation& e, const Layout& L, const Scales& sc, const ExplainedSegment& s,
                     Panel* p) {
  const int M = L.M, T = L.T, margin = Layout::margin;
  std::vector<float> flipped(static_cast<size_t>(M) * T);
  for (int m = 0; m < M; ++m) {
    std::copy(s.spectrogram.begin() + static_cast<int64_t>(m) * T, s.spectrogram.begin() + static_cast<int64_t>(m + 1) * T,
              flipped.begin() + static_cast<int64_t>(M - 1 - m) * T);
  }
  DrawHeatMap(img, p->x0, p->y, L.panel_w, L.spec_h, flipped.data(), M, T, sc.lo, sc.hi, Viridis);
  DrawRectOutline(img, p->x0 - 1, p->y - 1, L.panel_w + 2, L.spec_h + 2, kGrey);
  if (p->first_col) {
    DrawText(img, margin, p->y + 2, "log " + std::string(e.features == "loggam" ? "gammatone" : "mel"), kInk);
    DrawText(img, margin, p->y + 12, "(channel 0)", kGrey);
    DrawText(img, margin, p->y + L.spec_h - 8, "low bands", kGrey);
    DrawText(img, margin, p->y + 24, "high bands", kGrey);
  }
  p->y += L.spec_h;
}

// Time axis: ticks every 0.5 s of absolute time.
void DrawTimeAxis(Image* img, const Explanation& e, const Layout& L, const ExplainedSegment& s, Panel* p) {
  const double seg_seconds = L.T * e.frame_seconds;
  for (double tt = std::ceil(s.start_seconds * 2) / 2; tt <= s.start_seconds + seg_seconds + 1e-9; tt += 0.5) {
    const int tx = p->x0 + static_cast<int>(std::lround((tt - s.start_seconds) / e.frame_seconds * L.px));
    if (tx > p->x0 + L.panel_w) break;
    FillRect(img, tx, p->y + 1, 1, 3, kInk);
    const std::string lab = Fixed(tt, 1) + "s";
    const int lx = std::min(std::max(p->x0, tx - TextWidth(lab) / 2), p->x0 + L.panel_w - TextWidth(lab));
    DrawText(img, lx, p->y + 5, lab, kGrey);
  }
  p->y += Layout::axis_h;
}

// Temporal attention a_tem: one bar per frame; dashed line at uniform 1/T.
void DrawTemporalAttention(Image* img, const Layout& L, const Scales& sc, const ExplainedSegment& s, Panel* p) {
  const int T = L.T, tem_h = Layout::tem_h, margin = Layout::margin;
  FillRect(img, p->x0, p->y, L.panel_w, tem_h, {246, 246, 246});
  for (int f = 0; f < T; ++f) {
    const int bh = static_cast<int>(std::lround(s.a_tem[static_cast<size_t>(f)] / sc.tem_max * (tem_h - 2)));
    FillRect(img, p->x0 + f * L.px, p->y + tem_h - bh, std::max(1, L.px - (L.px > 2 ? 1 : 0)), bh, kTop);
  }
  const int uy = p->y + tem_h - static_cast<int>(std::lround(1.0 / T / sc.tem_max * (tem_h - 2)));
  for (int xx = p->x0; xx < p->x0 + L.panel_w; xx += 6) FillRect(img, xx, uy, 3, 1, kInk);
  if (p->first_col) {
    DrawText(img, margin, p->y + 4, "a_tem", kInk);
    DrawText(img, margin, p->y + 14, "(time attn.)", kGrey);
    DrawText(img, margin, p->y + 26, "--- uniform", kGrey);
  }
  p->y += tem_h + Layout::inner_gap;
}

// A = a_spa (outer) a_tem, 2H x T, colours spanning this segment's [min, max].
void DrawAttentionMap(Image* img, const Layout& L, const ExplainedSegment& s, Panel* p) {
  const int S = L.S, T = L.T, margin = Layout::margin;
  std::vector<float> a(static_cast<size_t>(S) * T);
  float amax = 0, amin = 1e30f;
  for (int r = 0; r < S; ++r) {
    for (int f = 0; f < T; ++f) {
      const float v = s.a_spa[static_cast<size_t>(r)] * s.a_tem[static_cast<size_t>(f)];
      a[static_cast<size_t>(r) * T + f] = v;
      amax = std::max(amax, v);
      amin = std::min(amin, v);
    }
  }
  DrawHeatMap(img, p->x0, p->y, L.panel_w, L.att_h, a.data(), S, T, amin, amax, Magma);
  DrawRectOutline(img, p->x0 - 1, p->y - 1, L.panel_w + 2, L.att_h + 2, kGrey);
  if (p->first_col) {
    DrawText(img, margin, p->y + 2, "attention A", kInk);
    DrawText(img, margin, p->y + 12, "a_spa x a_tem", kGrey);
    DrawText(img, margin, p->y + 22, "(" + std::to_string(S) + " x " + std::to_string(T) + ")", kGrey);
    for (int k = 0; k < 60; ++k) FillRect(img, margin + k, p->y + 36, 1, 8, Magma(k / 59.0));  // colour bar
    DrawText(img, margin, p->y + 47, "min", kGrey);
    DrawText(img, margin + 60 - TextWidth("max"), p->y + 47, "max", kGrey);
  }
  p->y += L.att_h + Layout::inner_gap;
}

// Posterior bars, the top class highlighted.
void DrawPosteriors(Image* img, const Explanation& e, const Layout& L, const ExplainedSegment& s, Panel* p) {
  if (p->first_col) DrawText(img, Layout::margin, p->y + 2, "posteriors", kInk);
  p->y += 12;
  const size_t best = TopClass(s);
  int label_chars = 0;
  for (const auto& l : e.labels) label_chars = std::max(label_chars, static_cast<int>(l.size()));
  label_chars = std::min(label_chars, std::max(4, L.panel_w / 6 / 3));
  const int bar_x = p->x0 + label_chars * 6 + 4;
  const int bar_w = p->x0 + L.panel_w - bar_x - 30;
  for (int c = 0; c < L.classes; ++c) {
    const int ry = p->y + c * Layout::row_h;
    DrawText(img, p->x0, ry + 2, Clip(e.labels[static_cast<size_t>(c)], label_chars), kInk);
    FillRect(img, bar_x, ry + 1, bar_w, Layout::row_h - 2, kLight);
    const double prob = s.probs[static_cast<size_t>(c)];
    FillRect(img, bar_x, ry + 1, static_cast<int>(std::lround(prob * bar_w)), Layout::row_h - 2,
             static_cast<size_t>(c) == best ? kTop : kBar);
    DrawText(img, bar_x + bar_w + 3, ry + 2, Fixed(prob, 2), kGrey);
  }
}

}  // namespace

Image RenderExplanation(const Explanation& e, int per_row) {
  const Layout L = ComputeLayout(e, per_row);
  Image img(L.width, L.height, {255, 255, 255});
  DrawHeader(&img, e, L);
  const Scales sc = SharedScales(e);
  for (int i = 0; i < L.n; ++i) {
    const ExplainedSegment& s = e.segments[static_cast<size_t>(i)];
    Panel p{Layout::margin + Layout::gutter + (i % L.per_row) * (L.panel_w + Layout::gap),
            Layout::header_h + (i / L.per_row) * (L.panel_h + Layout::gap), i % L.per_row == 0};
    DrawPanelTitle(&img, e, L, i, &p);
    DrawSpectrogram(&img, e, L, sc, s, &p);
    DrawTimeAxis(&img, e, L, s, &p);
    DrawTemporalAttention(&img, L, sc, s, &p);
    DrawAttentionMap(&img, L, s, &p);
    DrawPosteriors(&img, e, L, s, &p);
  }
  return img;
}

}  // namespace ascnet
