#include "ascnet/infer/explain.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "ascnet/audio/decode.h"
#include "ascnet/core/error.h"
#include "ascnet/features/extractor.h"

namespace ascnet {
namespace {

const ModelBundle& RequireAttCrnn(const ModelBundle& b) {
  if (!b.arch.IsAttCrnn()) {
    throw ConfigError("explain needs an Att-CRNN model; this bundle is a " +
                      std::string(b.arch.arch == "cnn" ? "CNN" : b.arch.arch) + " (it has no attention to show)");
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
  if (max_segments < 1) throw ConfigError("explain: max_segments must be >= 1, got " + std::to_string(max_segments));
  const ModelBundle& b = recognizer_.bundle();
  const FeatureConfig& cfg = b.features;
  Explanation e;
  e.file = path;
  e.arch = b.arch.arch;
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
    AudioReader reader(path, audio);
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

Image RenderExplanation(const Explanation& e, int per_row) {
  const Rgb kInk{20, 20, 20}, kGrey{110, 110, 110}, kLight{225, 225, 225}, kBar{70, 110, 170}, kTop{230, 120, 20};
  const int n = static_cast<int>(e.segments.size());
  if (n == 0) throw ConfigError("explain: nothing to draw (no segments)");
  per_row = std::max(1, std::min(per_row, n));
  const int classes = static_cast<int>(e.labels.size());
  const int T = e.frames, M = e.bands, S = e.hidden2;

  // Geometry (pixels).
  const int px = std::max(2, 320 / std::max(1, T));        // per frame
  const int panel_w = px * T;
  const int spec_h = std::max(96, std::min(256, 3 * M));
  const int tem_h = 44;
  const int att_h = std::max(96, std::min(256, S));
  const int row_h = 11;                                     // posterior bar rows
  const int post_h = classes * row_h;
  const int gutter = 96, margin = 14, gap = 18;
  const int title_h = 14, axis_h = 14, inner_gap = 6;
  const int panel_h = title_h + spec_h + axis_h + tem_h + inner_gap + att_h + inner_gap + 12 + post_h;
  const int header_h = 58;
  const int rows = (n + per_row - 1) / per_row;
  const int width = margin + gutter + per_row * panel_w + (per_row - 1) * gap + margin;
  const int height = header_h + rows * (panel_h + gap) + margin;
  Image img(width, height, {255, 255, 255});

  // Header.
  const std::string name = std::filesystem::path(e.file).filename().string();
  DrawText(&img, margin, 10, "ascnet explain: " + Clip(name, (width - 2 * margin) / 12 - 16), kInk, 2);
  std::string decision = "decision: ";
  if (e.score.label >= 0 && e.score.label < classes) {
    decision += e.labels[static_cast<size_t>(e.score.label)] + " (p=" +
                Fixed(e.score.probs[static_cast<size_t>(e.score.label)], 2) + ")";
  }
  decision += "   " + e.arch + "/" + e.features + ", " + e.scorer + " posteriors, " + std::to_string(e.total_segments) +
              " segment(s)" + (e.total_segments > n ? ", first " + std::to_string(n) + " shown" : "");
  DrawText(&img, margin, 32, Clip(decision, (width - 2 * margin) / 6), kInk, 1);
  if (!e.title.empty()) DrawText(&img, margin, 44, Clip(e.title, (width - 2 * margin) / 6), kGrey, 1);

  // Shared scales: spectrogram range over all shown segments (2nd..99.5th percentile),
  // a_tem bars against the largest a_tem shown (at least 2.5/T).
  std::vector<float> all;
  // Bars are scaled so that uniform attention (1/T) sits at 40 % of the strip.
  float tem_max = 2.5f / static_cast<float>(std::max(1, T));
  for (const auto& s : e.segments) {
    all.insert(all.end(), s.spectrogram.begin(), s.spectrogram.end());
    for (float v : s.a_tem) tem_max = std::max(tem_max, v);
  }
  std::sort(all.begin(), all.end());
  const double lo = all[static_cast<size_t>(0.02 * (all.size() - 1))];
  const double hi = all[static_cast<size_t>(0.995 * (all.size() - 1))];

  for (int i = 0; i < n; ++i) {
    const ExplainedSegment& s = e.segments[static_cast<size_t>(i)];
    const int x0 = margin + gutter + (i % per_row) * (panel_w + gap);
    int y = header_h + (i / per_row) * (panel_h + gap);
    const bool first_col = i % per_row == 0;
    const double seg_seconds = T * e.frame_seconds;

    // Title: segment index, time span and its top class.
    size_t best = 0;
    for (size_t c = 1; c < s.probs.size(); ++c) best = s.probs[c] > s.probs[best] ? c : best;
    const std::string t = "#" + std::to_string(i) + "  " + Fixed(s.start_seconds, 2) + "-" +
                          Fixed(s.start_seconds + seg_seconds, 2) + " s: " + e.labels[best] + " " +
                          Fixed(s.probs[best], 2);
    DrawText(&img, x0, y + 2, Clip(t, panel_w / 6), kInk, 1);
    y += title_h;

    // Spectrogram, low bands at the bottom.
    std::vector<float> flipped(static_cast<size_t>(M) * T);
    for (int m = 0; m < M; ++m) {
      std::copy(s.spectrogram.begin() + static_cast<int64_t>(m) * T, s.spectrogram.begin() + static_cast<int64_t>(m + 1) * T,
                flipped.begin() + static_cast<int64_t>(M - 1 - m) * T);
    }
    DrawHeatMap(&img, x0, y, panel_w, spec_h, flipped.data(), M, T, lo, hi, Viridis);
    DrawRectOutline(&img, x0 - 1, y - 1, panel_w + 2, spec_h + 2, kGrey);
    if (first_col) {
      DrawText(&img, margin, y + 2, "log " + std::string(e.features == "loggam" ? "gammatone" : "mel"), kInk);
      DrawText(&img, margin, y + 12, "(channel 0)", kGrey);
      DrawText(&img, margin, y + spec_h - 8, "low bands", kGrey);
      DrawText(&img, margin, y + 24, "high bands", kGrey);
    }
    y += spec_h;
    // Time axis: ticks every 0.5 s of absolute time.
    for (double tt = std::ceil(s.start_seconds * 2) / 2; tt <= s.start_seconds + seg_seconds + 1e-9; tt += 0.5) {
      const int tx = x0 + static_cast<int>(std::lround((tt - s.start_seconds) / e.frame_seconds * px));
      if (tx > x0 + panel_w) break;
      FillRect(&img, tx, y + 1, 1, 3, kInk);
      const std::string lab = Fixed(tt, 1) + "s";
      const int lx = std::min(std::max(x0, tx - TextWidth(lab) / 2), x0 + panel_w - TextWidth(lab));
      DrawText(&img, lx, y + 5, lab, kGrey);
    }
    y += axis_h;

    // Temporal attention a_tem: one bar per frame; dashed line at uniform 1/T.
    FillRect(&img, x0, y, panel_w, tem_h, {246, 246, 246});
    for (int f = 0; f < T; ++f) {
      const int bh = static_cast<int>(std::lround(s.a_tem[static_cast<size_t>(f)] / tem_max * (tem_h - 2)));
      FillRect(&img, x0 + f * px, y + tem_h - bh, std::max(1, px - (px > 2 ? 1 : 0)), bh, kTop);
    }
    const int uy = y + tem_h - static_cast<int>(std::lround(1.0 / T / tem_max * (tem_h - 2)));
    for (int xx = x0; xx < x0 + panel_w; xx += 6) FillRect(&img, xx, uy, 3, 1, kInk);
    if (first_col) {
      DrawText(&img, margin, y + 4, "a_tem", kInk);
      DrawText(&img, margin, y + 14, "(time attn.)", kGrey);
      DrawText(&img, margin, y + 26, "--- uniform", kGrey);
    }
    y += tem_h + inner_gap;

    // A = a_spa (outer) a_tem, 2H x T, colours spanning this segment's [min, max].
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
    DrawHeatMap(&img, x0, y, panel_w, att_h, a.data(), S, T, amin, amax, Magma);
    DrawRectOutline(&img, x0 - 1, y - 1, panel_w + 2, att_h + 2, kGrey);
    if (first_col) {
      DrawText(&img, margin, y + 2, "attention A", kInk);
      DrawText(&img, margin, y + 12, "a_spa x a_tem", kGrey);
      DrawText(&img, margin, y + 22, "(" + std::to_string(S) + " x " + std::to_string(T) + ")", kGrey);
      // Colour bar.
      for (int k = 0; k < 60; ++k) FillRect(&img, margin + k, y + 36, 1, 8, Magma(k / 59.0));
      DrawText(&img, margin, y + 47, "min", kGrey);
      DrawText(&img, margin + 60 - TextWidth("max"), y + 47, "max", kGrey);
    }
    y += att_h + inner_gap;

    // Posterior bars.
    if (first_col) DrawText(&img, margin, y + 2, "posteriors", kInk);
    y += 12;
    int label_chars = 0;
    for (const auto& l : e.labels) label_chars = std::max(label_chars, static_cast<int>(l.size()));
    label_chars = std::min(label_chars, std::max(4, panel_w / 6 / 3));
    const int bar_x = x0 + label_chars * 6 + 4;
    const int bar_w = x0 + panel_w - bar_x - 30;
    for (int c = 0; c < classes; ++c) {
      const int ry = y + c * row_h;
      DrawText(&img, x0, ry + 2, Clip(e.labels[static_cast<size_t>(c)], label_chars), kInk);
      FillRect(&img, bar_x, ry + 1, bar_w, row_h - 2, kLight);
      const double p = s.probs[static_cast<size_t>(c)];
      FillRect(&img, bar_x, ry + 1, static_cast<int>(std::lround(p * bar_w)), row_h - 2,
               static_cast<size_t>(c) == best ? kTop : kBar);
      DrawText(&img, bar_x + bar_w + 3, ry + 2, Fixed(p, 2), kGrey);
    }
  }
  return img;
}

}  // namespace ascnet
