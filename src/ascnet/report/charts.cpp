#include "ascnet/report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ascnet {

const char* const kPalette[8] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string Fmt(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Pct(const MeanStd& m) {
  if (m.count == 0) return "&ndash;";
  return Fmt(100 * m.mean, 1) + " &plusmn; " + Fmt(100 * m.std, 1);
}

std::string HtmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Base64(const std::string& bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// A line chart with y in [0, 1] (shown in %), x from the data.
std::string LineChart(const std::vector<Series>& series, const std::string& xlabel, const std::string& ylabel) {
  const int W = 760, H = 340, L = 56, R = 200, T = 16, B = 44;
  const int pw = W - L - R, ph = H - T - B;
  double xmin = 1e300, xmax = -1e300;
  for (const auto& s : series) {
    for (double v : s.x) {
      xmin = std::min(xmin, v);
      xmax = std::max(xmax, v);
    }
  }
  if (!(xmax > xmin)) {
    xmin -= 0.5;
    xmax += 0.5;
  }
  auto X = [&](double v) { return L + (v - xmin) / (xmax - xmin) * pw; };
  auto Y = [&](double v) { return T + (1 - v) * ph; };
  std::ostringstream o;
  o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" viewBox=\"0 0 " << W << " " << H << "\">";
  o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"#fafafa\" stroke=\"#999\"/>";
  for (int k = 0; k <= 10; k += 2) {
    const double yy = Y(k / 10.0);
    o << "<line x1=\"" << L << "\" x2=\"" << L + pw << "\" y1=\"" << yy << "\" y2=\"" << yy
      << "\" stroke=\"#e3e3e3\"/><text x=\"" << L - 6 << "\" y=\"" << yy + 4 << "\" text-anchor=\"end\">" << k * 10
      << "</text>";
  }
  const int ticks = 6;
  for (int k = 0; k <= ticks; ++k) {
    const double v = xmin + (xmax - xmin) * k / ticks;
    o << "<text x=\"" << X(v) << "\" y=\"" << T + ph + 16 << "\" text-anchor=\"middle\">"
      << Fmt(v, (xmax - xmin) >= ticks ? 0 : 1) << "</text>";
  }
  o << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\">" << HtmlEscape(xlabel) << "</text>";
  o << "<text transform=\"translate(14," << T + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << HtmlEscape(ylabel)
    << "</text>";
  int legend = 0;
  for (const auto& s : series) {
    if (s.x.empty()) continue;
    o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.8\""
      << (s.dashed ? " stroke-dasharray=\"5,3\"" : "") << " points=\"";
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.y[i])) o << Fmt(X(s.x[i]), 1) << "," << Fmt(Y(s.y[i]), 1) << " ";
    }
    o << "\"><title>" << HtmlEscape(s.name) << "</title></polyline>";
    for (size_t i = 0; i < s.x.size(); ++i) {  // markers: a run of one epoch is still visible
      if (std::isfinite(s.y[i])) {
        o << "<circle cx=\"" << Fmt(X(s.x[i]), 1) << "\" cy=\"" << Fmt(Y(s.y[i]), 1) << "\" r=\"2.5\" fill=\"" << s.color
          << "\"/>";
      }
    }
    const int ly = T + 10 + 16 * legend++;
    o << "<line x1=\"" << L + pw + 12 << "\" x2=\"" << L + pw + 32 << "\" y1=\"" << ly << "\" y2=\"" << ly
      << "\" stroke=\"" << s.color << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"5,3\"" : "")
      << "/><text x=\"" << L + pw + 36 << "\" y=\"" << ly + 4 << "\">" << HtmlEscape(s.name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

std::string ConfusionSvg(const std::vector<std::vector<int64_t>>& cm, const std::vector<std::string>& labels) {
  const int k = static_cast<int>(cm.size());
  const int cell = k <= 10 ? 34 : (k <= 20 ? 24 : 14);
  size_t longest = 0;
  for (const auto& l : labels) longest = std::max(longest, l.size());
  const int L = 12 + static_cast<int>(std::min<size_t>(longest, 24)) * 7, T = L;
  const int W = L + k * cell + 10, H = T + k * cell + 30;
  std::ostringstream o;
  o << "<svg class=\"confusion\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" viewBox=\"0 0 " << W << " " << H << "\">";
  for (int i = 0; i < k; ++i) {
    int64_t row = 0;
    for (int j = 0; j < k; ++j) row += cm[static_cast<size_t>(i)][static_cast<size_t>(j)];
    const std::string name = HtmlEscape(labels[static_cast<size_t>(i)].substr(0, 24));
    o << "<text x=\"" << L - 4 << "\" y=\"" << T + i * cell + cell / 2 + 4 << "\" text-anchor=\"end\">" << name << "</text>";
    o << "<text transform=\"translate(" << L + i * cell + cell / 2 + 4 << "," << T - 4
      << ") rotate(-90)\" text-anchor=\"start\">" << name << "</text>";
    for (int j = 0; j < k; ++j) {
      const int64_t v = cm[static_cast<size_t>(i)][static_cast<size_t>(j)];
      const double f = row > 0 ? static_cast<double>(v) / row : 0;
      const int shade = static_cast<int>(std::lround(255 - 200 * f));
      const std::string fill = i == j ? "rgb(" + std::to_string(shade) + "," + std::to_string(std::min(255, shade + 40)) + ",255)"
                                      : "rgb(255," + std::to_string(shade) + "," + std::to_string(shade) + ")";
      o << "<rect x=\"" << L + j * cell << "\" y=\"" << T + i * cell << "\" width=\"" << cell << "\" height=\"" << cell
        << "\" fill=\"" << fill << "\" stroke=\"#ddd\"><title>true " << name << ", predicted "
        << HtmlEscape(labels[static_cast<size_t>(j)]) << ": " << v << " (" << Fmt(100 * f, 1) << "% of row)</title></rect>";
      if (v > 0 && cell >= 20) {
        o << "<text x=\"" << L + j * cell + cell / 2 << "\" y=\"" << T + i * cell + cell / 2 + 4
          << "\" text-anchor=\"middle\" class=\"n\">" << v << "</text>";
      }
    }
  }
  o << "<text x=\"" << L + k * cell / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\">rows: true class, columns: "
       "predicted (colour: share of the row)</text>";
  o << "</svg>";
  return o.str();
}

std::string ReliabilitySvg(const Reliability& r, const std::string& title) {
  const int W = 300, H = 320, L = 44, T = 26, P = 220;
  const int bins = static_cast<int>(r.count.size());
  std::ostringstream o;
  o << "<svg class=\"reliability\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" viewBox=\"0 0 " << W << " " << H << "\">";
  o << "<text x=\"" << L << "\" y=\"16\" class=\"t\">" << HtmlEscape(title) << "</text>";
  o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << P << "\" height=\"" << P << "\" fill=\"#fafafa\" stroke=\"#999\"/>";
  for (int b = 0; b < bins; ++b) {
    if (!r.count[static_cast<size_t>(b)]) continue;
    const double acc = r.correct[static_cast<size_t>(b)] / r.count[static_cast<size_t>(b)];
    const double conf = r.conf_sum[static_cast<size_t>(b)] / r.count[static_cast<size_t>(b)];
    const double bw = static_cast<double>(P) / bins;
    o << "<rect x=\"" << Fmt(L + b * bw + 1, 1) << "\" y=\"" << Fmt(T + (1 - acc) * P, 1) << "\" width=\"" << Fmt(bw - 2, 1)
      << "\" height=\"" << Fmt(acc * P, 1) << "\" fill=\"#4c78a8\"><title>confidence " << Fmt(conf, 3) << ", accuracy "
      << Fmt(acc, 3) << ", " << r.count[static_cast<size_t>(b)] << " segment(s)</title></rect>";
    // Gap to the mean confidence of the bin.
    o << "<rect x=\"" << Fmt(L + b * bw + 1, 1) << "\" y=\"" << Fmt(T + (1 - std::max(acc, conf)) * P, 1)
      << "\" width=\"" << Fmt(bw - 2, 1) << "\" height=\"" << Fmt(std::abs(acc - conf) * P, 1)
      << "\" fill=\"#e45756\" fill-opacity=\"0.35\"/>";
  }
  o << "<line x1=\"" << L << "\" y1=\"" << T + P << "\" x2=\"" << L + P << "\" y2=\"" << T
    << "\" stroke=\"#333\" stroke-dasharray=\"4,3\"/>";
  for (int k = 0; k <= 4; ++k) {
    const double v = k / 4.0;
    o << "<text x=\"" << L - 4 << "\" y=\"" << Fmt(T + (1 - v) * P + 4, 1) << "\" text-anchor=\"end\">" << Fmt(v, 2) << "</text>";
    o << "<text x=\"" << Fmt(L + v * P, 1) << "\" y=\"" << T + P + 14 << "\" text-anchor=\"middle\">" << Fmt(v, 2) << "</text>";
  }
  o << "<text x=\"" << L + P / 2 << "\" y=\"" << T + P + 30 << "\" text-anchor=\"middle\">confidence (max posterior)</text>";
  o << "<text transform=\"translate(12," << T + P / 2 << ") rotate(-90)\" text-anchor=\"middle\">accuracy</text>";
  o << "<text x=\"" << L << "\" y=\"" << T + P + 48 << "\">ECE " << Fmt(100 * r.Ece(), 1) << "% over " << r.total
    << " segments</text>";
  o << "</svg>";
  return o.str();
}

std::string MetricsTable(const Metrics& m, const std::vector<std::string>& labels) {
  std::ostringstream o;
  o << "<table class=\"num\"><tr><th>Class</th><th>Precision (%)</th><th>Recall (%)</th><th>F1 (%)</th><th>Support</th></tr>";
  for (size_t c = 0; c < m.per_class.size(); ++c) {
    const ClassMetrics& k = m.per_class[c];
    o << "<tr><td>" << HtmlEscape(labels[c]) << "</td><td>" << Fmt(100 * k.precision, 1) << "</td><td>"
      << Fmt(100 * k.recall, 1) << "</td><td>" << Fmt(100 * k.f1, 1) << "</td><td>" << k.support << "</td></tr>";
  }
  o << "<tr class=\"avg\"><td>macro average</td><td>" << Fmt(100 * m.macro_precision, 1) << "</td><td>"
    << Fmt(100 * m.macro_recall, 1) << "</td><td>" << Fmt(100 * m.macro_f1, 1) << "</td><td>" << m.count << "</td></tr>";
  o << "</table>";
  return o.str();
}

}  // namespace ascnet
