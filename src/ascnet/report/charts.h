// The pieces of the report page that are plain text: number formatting, HTML escaping and
// base64 (report.h), and the inline SVG charts (training curves, confusion matrices,
// reliability diagrams) and metric tables. No LibTorch here.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ascnet/eval/metrics.h"
#include "ascnet/eval/results.h"
#include "ascnet/report/report.h"  // Base64, HtmlEscape

namespace ascnet {

/// Line colours of the charts, one per run (cycled).
extern const char* const kPalette[8];

/// `v` with `digits` after the point.
std::string Fmt(double v, int digits);
/// "mean &plusmn; std" in %, "&ndash;" when there are no values.
std::string Pct(const MeanStd& m);

/// One line of a chart.
struct Series {
  std::string name, color;
  std::vector<double> x, y;
  bool dashed = false;
};

/// A line chart with y in [0, 1] (shown in %), x from the data; one legend entry per series.
std::string LineChart(const std::vector<Series>& series, const std::string& xlabel, const std::string& ylabel);

/// A confusion matrix (rows = truth) as a heat map with counts, class names on both axes.
std::string ConfusionSvg(const std::vector<std::vector<int64_t>>& cm, const std::vector<std::string>& labels);

/// Confidence bins of the top posterior: accuracy vs mean confidence per bin, and the
/// expected calibration error.
struct Reliability {
  std::vector<double> conf_sum, correct;
  std::vector<int64_t> count;
  int64_t total = 0;
  explicit Reliability(int bins) : conf_sum(bins), correct(bins), count(bins) {}
  void Add(double confidence, bool ok) {
    const int bins = static_cast<int>(count.size());
    const int b = std::min(bins - 1, std::max(0, static_cast<int>(confidence * bins)));
    conf_sum[b] += confidence;
    correct[b] += ok;
    ++count[b];
    ++total;
  }
  double Ece() const {
    double e = 0;
    for (size_t b = 0; b < count.size(); ++b) {
      if (count[b]) e += static_cast<double>(count[b]) / total * std::abs(correct[b] / count[b] - conf_sum[b] / count[b]);
    }
    return e;
  }
};

/// The reliability diagram of `r` (bars = accuracy per bin, gap to the bin's confidence,
/// the diagonal), with its ECE in the title.
std::string ReliabilitySvg(const Reliability& r, const std::string& title);

/// Per-class precision, recall, F1 and support, and the macro averages, as an HTML table.
std::string MetricsTable(const Metrics& m, const std::vector<std::string>& labels);

}  // namespace ascnet
