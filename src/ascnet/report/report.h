// `ascnet report`: an experiment folder (src/ascnet/experiment/experiment.h) as ONE
// self-contained HTML page: no external assets, inline CSS, inline SVG charts, PNGs as
// base64 data URIs, no JavaScript. Sections: settings, results table (results.json),
// per-class precision/recall/F1 and confusion-matrix heat maps per system (summed over
// splits), per-epoch test-accuracy curves of every run (log.json; the paper's Figure 2),
// reliability diagrams of the calibrated SVM segment posteriors (predictions.json), and
// example attention maps of Att-CRNN runs (the explain renderer on test recordings found
// through the dataset in experiment.json; skipped with a note when the audio is missing).
#pragma once

#include <string>
#include <vector>

namespace ascnet {

struct ReportOptions {
  int attention_examples = 2;  ///< test recordings explained per report (0 = none)
  int max_segments = 4;        ///< segments drawn per attention example (>= 1)
  int reliability_bins = 10;   ///< confidence bins of the reliability diagrams (2..50)
  void Validate() const;       ///< ConfigError naming the field
};

struct Report {
  std::string html;
  std::vector<std::string> notes;  ///< what was skipped and why (also shown in the page)
};

/// Builds the page for experiment folder `dir`. IoError/FormatError naming the file if `dir`
/// is not an experiment folder (needs results.json or splits/*/result.json) or a results
/// file is malformed; optional parts (logs, predictions, audio) that are missing or bad
/// become notes.
Report BuildReport(const std::string& dir, const ReportOptions& options = {});

/// Base64 (RFC 4648, with padding).
std::string Base64(const std::string& bytes);
/// Escapes &, <, >, " and '.
std::string HtmlEscape(const std::string& s);

}  // namespace ascnet
