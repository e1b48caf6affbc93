#include "ascnet/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/data/dataset.h"
#include "ascnet/eval/results.h"
#include "ascnet/experiment/layout.h"
#include "ascnet/infer/explain.h"
#include "ascnet/infer/png.h"
#include "ascnet/model/arch.h"
#include "ascnet/report/charts.h"
#include "ascnet/train/run_files.h"

namespace ascnet {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// One training/evaluation run: a system folder of the experiment (experiment/layout.h).
using Run = SystemFolder;

json ReadJsonFile(const std::string& path) {
  const std::string text = ReadFile(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw FormatError(WithPath(path, std::string("not valid JSON (") + e.what() + ")"));
  }
}

ExperimentResults LoadResults(const std::string& dir, std::vector<std::string>* notes) {
  const ExperimentLayout layout(dir);
  if (fs::exists(layout.Results())) return ReadResults(layout.Results());
  std::vector<ExperimentResults> parts;
  std::error_code ec;
  for (const std::string& f : layout.FinishedSplitResults()) parts.push_back(ReadResults(f));
  if (parts.empty()) {
    if (!fs::is_directory(dir, ec)) throw IoError(WithPath(dir, "no such folder"));
    throw IoError(WithPath(dir, "not an experiment folder (expected results.json or splits/<split>/result.json)"));
  }
  notes->push_back("results.json is missing: merged " + std::to_string(parts.size()) + " splits/*/result.json file(s)");
  return MergeResults(parts);
}

const char* kCss = R"CSS(
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1150px;
       color: #222; line-height: 1.4; padding: 0 16px; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; } th { background: #f0f0f0; }
table.num td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
tr.avg td { font-weight: bold; background: #f7f7f7; }
details { margin: 6px 0; border: 1px solid #e0e0e0; border-radius: 4px; padding: 4px 10px; }
summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
svg text { font-size: 11px; fill: #333; font-family: Helvetica, Arial, sans-serif; }
svg text.n { font-size: 10px; } svg text.t { font-size: 13px; font-weight: bold; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; margin: 6px 0; font-size: 14px; }
.muted { color: #666; font-size: 13px; }
img.attention { max-width: 100%; border: 1px solid #ddd; image-rendering: pixelated; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
)CSS";

}  // namespace

void ReportOptions::Validate() const {
  if (attention_examples < 0 || attention_examples > 20) {
    throw ConfigError("report option attention_examples = " + std::to_string(attention_examples) + " (expected 0..20)");
  }
  if (max_segments < 1 || max_segments > 64) {
    throw ConfigError("report option max_segments = " + std::to_string(max_segments) + " (expected 1..64)");
  }
  if (reliability_bins < 2 || reliability_bins > 50) {
    throw ConfigError("report option reliability_bins = " + std::to_string(reliability_bins) + " (expected 2..50)");
  }
}


namespace {

// What the sections of a report read: the results, the runs, class names, predictions and
// settings; problems go to `notes`.
struct ReportInputs {
  ExperimentResults results;
  std::vector<Run> runs;
  std::vector<std::string> labels;          // class names ("class N" when unknown)
  int num_classes = 0;
  std::map<std::string, json> predictions;  // run dir -> predictions.json
  json settings;                            // experiment.json (null when missing)
};

ReportInputs ReadInputs(const std::string& dir, std::vector<std::string>& notes) {
  ReportInputs in;
  in.results = LoadResults(dir, &notes);
  in.runs = ExperimentLayout(dir).SystemFolders();
  // Class names: from any predictions.json.
  for (const Run& r : in.runs) {
    const std::string p = ExperimentLayout::Predictions(r.dir);
    if (!fs::exists(p)) continue;
    try {
      json j = ReadJsonFile(p);
      if (in.labels.empty() && j.contains("labels")) in.labels = j["labels"].get<std::vector<std::string>>();
      in.predictions[r.dir] = std::move(j);
    } catch (const std::exception& e) {
      notes.push_back(std::string("skipped ") + p + ": " + e.what());
    }
  }
  for (const auto& s : in.results.splits) {
    for (const auto& sys : s.systems) in.num_classes = std::max(in.num_classes, sys.recording.num_classes);
  }
  if (static_cast<int>(in.labels.size()) != in.num_classes) {
    if (!in.labels.empty()) notes.push_back("predictions.json class names do not match the results; using class numbers");
    in.labels.clear();
    for (int c = 0; c < in.num_classes; ++c) in.labels.push_back("class " + std::to_string(c));
  }
  // Settings: experiment.json.
  const std::string settings_path = ExperimentLayout(dir).Settings();
  if (fs::exists(settings_path)) {
    try {
      in.settings = ReadJsonFile(settings_path);
    } catch (const std::exception& e) {
      notes.push_back(e.what());
    }
  } else {
    notes.push_back("experiment.json is missing: settings and attention examples are not available");
  }

  return in;
}

void ResultsSection(const ReportInputs& in, std::ostringstream& body) {
  // ---- Results table.
  body << "<h2 id=\"results\">Results</h2>";
  const std::vector<TableRow> rows = AggregateSplits(in.results.splits);
  body << "<p class=\"muted\">Mean &plusmn; standard deviation over " << in.results.splits.size()
       << " split(s); F1 and precision are macro averages over recordings.</p>";
  body << "<table class=\"num results\"><tr><th>System</th><th>Splits</th><th>2 s accuracy (%)</th>"
          "<th>Recording accuracy (%)</th><th>F1 (%)</th><th>Precision (%)</th></tr>";
  for (const TableRow& r : rows) {
    body << "<tr><td>" << HtmlEscape(r.system) << "</td><td>" << r.num_splits << "</td><td>" << Pct(r.segment_accuracy)
         << "</td><td>" << Pct(r.recording_accuracy) << "</td><td>" << Pct(r.f1) << "</td><td>" << Pct(r.precision)
         << "</td></tr>";
  }
  body << "</table>";

}

// Returns the number of systems.
size_t PerClassSections(const ReportInputs& in, std::ostringstream& body) {
  // ---- Per-class metrics and confusion matrices (recording level, summed over splits).
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::vector<int64_t>>> confusion;
  for (const auto& s : in.results.splits) {
    for (const auto& sys : s.systems) {
      auto& cm = confusion[sys.system];
      if (cm.empty()) {
        order.push_back(sys.system);
        cm.assign(static_cast<size_t>(in.num_classes), std::vector<int64_t>(static_cast<size_t>(in.num_classes), 0));
      }
      const auto& c = sys.recording.confusion;
      for (size_t i = 0; i < c.size() && i < cm.size(); ++i) {
        for (size_t j = 0; j < c[i].size() && j < cm.size(); ++j) cm[i][j] += c[i][j];
      }
    }
  }
  body << "<h2 id=\"per-class\">Per-class precision, recall and F1</h2>"
          "<p class=\"muted\">Recording-level decisions, confusion matrices summed over all splits.</p>";
  std::ostringstream conf;
  conf << "<h2 id=\"confusion\">Confusion matrices</h2>";
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& cm = confusion[order[i]];
    int64_t total = 0;
    for (const auto& r : cm) {
      for (int64_t v : r) total += v;
    }
    const std::string open = i == 0 ? " open" : "";
    if (total == 0) continue;
    const Metrics m = MetricsFromConfusion(cm);
    body << "<details class=\"per-class\"" << open << "><summary>" << HtmlEscape(order[i]) << " &mdash; accuracy "
         << Fmt(100 * m.accuracy, 1) << "%, macro F1 " << Fmt(100 * m.macro_f1, 1) << "%</summary>"
         << MetricsTable(m, in.labels) << "</details>";
    conf << "<details class=\"confusion\"" << (i < 2 ? " open" : "") << "><summary>" << HtmlEscape(order[i])
         << "</summary>" << ConfusionSvg(cm, in.labels) << "</details>";
  }
  body << conf.str();

  return order.size();
}

void CurvesSection(const ReportInputs& in, std::ostringstream& body, std::vector<std::string>& notes) {
  // ---- Training curves.
  body << "<h2 id=\"curves\">Test accuracy per epoch</h2>"
          "<p class=\"muted\">Segment-level test accuracy of the network (softmax) after every epoch, one line per "
          "run (the paper's Figure 2).</p>";
  std::vector<Series> series;
  std::vector<std::string> series_run;  // the run name (system folder) of each series
  std::map<std::string, size_t> colour_of;
  for (const Run& r : in.runs) {
    const std::string p = LogJsonPath(r.dir);
    if (!fs::exists(p)) continue;
    try {
      const json log = ReadJsonFile(p);
      if (!log.is_array()) throw FormatError(WithPath(p, "expected a JSON array of epochs"));
      Series s;
      if (!colour_of.count(r.name)) colour_of.emplace(r.name, colour_of.size());
      s.color = kPalette[colour_of[r.name] % 8];
      s.name = r.name + " (" + r.split + ")";
      for (const auto& e : log) {
        if (!e.contains("epoch") || !e.contains("test_accuracy") || e["test_accuracy"].is_null()) continue;
        s.x.push_back(e["epoch"].get<double>());
        s.y.push_back(e["test_accuracy"].get<double>());
      }
      if (!s.x.empty()) {
        series.push_back(std::move(s));
        series_run.push_back(r.name);
      }
    } catch (const std::exception& e) {
      notes.push_back(std::string("skipped training log: ") + e.what());
    }
  }
  if (series.empty()) {
    body << "<p class=\"note\">No training logs (splits/*/*/log.json) with test accuracy.</p>";
  } else {
    if (series.size() > 12) {
      // Too many lines for a legend: one line per run name, the mean over splits.
      std::map<std::string, std::map<double, std::pair<double, int>>> acc;
      for (size_t k = 0; k < series.size(); ++k) {
        const Series& s = series[k];
        const std::string& name = series_run[k];
        for (size_t i = 0; i < s.x.size(); ++i) {
          auto& a = acc[name][s.x[i]];
          a.first += s.y[i];
          ++a.second;
        }
      }
      std::vector<Series> mean;
      for (const auto& [name, points] : acc) {
        Series s;
        s.name = name + " (mean)";
        s.color = kPalette[colour_of[name] % 8];
        for (const auto& [x, a] : points) {
          s.x.push_back(x);
          s.y.push_back(a.first / a.second);
        }
        mean.push_back(std::move(s));
      }
      series = std::move(mean);
    }
    body << LineChart(series, "epoch", "test accuracy (%)");
  }

}

void ReliabilitySection(const ReportInputs& in, const ReportOptions& options, std::ostringstream& body,
                        std::vector<std::string>& notes) {
  // ---- Reliability diagrams of the calibrated SVM posteriors (segment level).
  body << "<h2 id=\"reliability\">Reliability of the calibrated posteriors</h2>"
          "<p class=\"muted\">Segment-level SVM + Platt posteriors from predictions.json, pooled over splits: bars = "
          "accuracy of the segments whose top posterior falls in each confidence bin, red = gap to the bin's mean "
          "confidence, dashed = perfect calibration.</p><div class=\"row\">";
  std::vector<std::string> rel_order;
  std::map<std::string, Reliability> rel;
  for (const Run& r : in.runs) {
    auto it = in.predictions.find(r.dir);
    if (it == in.predictions.end()) continue;
    const json& j = it->second;
    const std::string system = j.value("system", r.name);
    if (!rel.count(system)) {
      rel.emplace(system, Reliability(options.reliability_bins));
      rel_order.push_back(system);
    }
    Reliability& acc = rel.at(system);
    try {
      for (const auto& item : j.at("items")) {
        const int truth = item.at("truth").get<int>();
        for (const auto& row : item.at("svm")) {
          const std::vector<double> p = row.get<std::vector<double>>();
          if (p.empty()) continue;
          const size_t best = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
          acc.Add(p[best], static_cast<int>(best) == truth);
        }
      }
    } catch (const json::exception& e) {
      notes.push_back(r.dir + "/predictions.json: unexpected layout (" + e.what() + ")");
    }
  }
  int drawn = 0;
  for (const auto& name : rel_order) {
    if (rel.at(name).total == 0) continue;
    body << ReliabilitySvg(rel.at(name), name + ", SVM");
    ++drawn;
  }
  body << "</div>";
  if (drawn == 0) body << "<p class=\"note\">No predictions (splits/*/*/predictions.json) to draw.</p>";

}

void AttentionSection(const ReportInputs& in, const ReportOptions& options, std::ostringstream& body,
                      std::vector<std::string>& notes) {
  // ---- Attention examples.
  body << "<h2 id=\"attention\">Where the Att-CRNN listened</h2>";
  std::vector<std::string> attention_notes;
  int examples = 0;
  const Run* att_run = nullptr;
  for (const Run& r : in.runs) {
    const bool att_crnn = ArchConfig::FindKind(r.arch) == ArchConfig::Kind::kAttCrnn;
    if (att_crnn && fs::exists(BundlePath(r.dir)) && in.predictions.count(r.dir)) {
      att_run = &r;
      break;
    }
  }
  if (options.attention_examples == 0) {
    attention_notes.push_back("attention examples were not requested");
  } else if (!att_run) {
    attention_notes.push_back("no Att-CRNN run with model.ascnet and predictions.json in this folder");
  } else if (!in.settings.contains("dataset")) {
    attention_notes.push_back("the dataset is unknown (experiment.json with \"dataset\" is missing)");
  } else {
    try {
      DatasetOptions dopt;
      dopt.check_files = false;
      dopt.litis_self_test = false;
      const Dataset ds = LoadDataset(in.settings["dataset"].get<std::string>(), dopt);
      std::map<std::string, const DatasetItem*> by_id;
      for (const auto& it : ds.items) by_id[it.id] = &it;
      Explainer explainer = Explainer::Load(BundlePath(att_run->dir));
      std::vector<int> shown_truths;
      for (const auto& item : in.predictions.at(att_run->dir).at("items")) {
        if (examples >= options.attention_examples) break;
        const std::string id = item.at("id").get<std::string>();
        const int truth = item.at("truth").get<int>();
        if (std::find(shown_truths.begin(), shown_truths.end(), truth) != shown_truths.end()) continue;
        auto found = by_id.find(id);
        if (found == by_id.end() || !fs::exists(found->second->path)) {
          attention_notes.push_back("audio of test item " + id + " is not reachable" +
                                    (found == by_id.end() ? "" : " (" + found->second->path + ")"));
          continue;
        }
        Explanation e = explainer.Explain(found->second->path, options.max_segments);
        const std::string truth_name = truth >= 0 && truth < static_cast<int>(in.labels.size()) ? in.labels[static_cast<size_t>(truth)] : "?";
        e.title = "true class: " + truth_name + "   (" + att_run->name + ", split " + att_run->split + ", test item " + id + ")";
        const Image img = RenderExplanation(e, 2);  // 2 panels per row: fits the page unscaled
        body << "<figure><img class=\"attention\" alt=\"attention map of " << HtmlEscape(id)
             << "\" src=\"data:image/png;base64," << Base64(EncodePng(img)) << "\"><figcaption class=\"muted\">"
             << HtmlEscape(id) << ": true class " << HtmlEscape(truth_name) << ", decided "
             << HtmlEscape(e.labels[static_cast<size_t>(e.score.label)]) << ".</figcaption></figure>";
        shown_truths.push_back(truth);
        ++examples;
      }
    } catch (const std::exception& e) {
      attention_notes.push_back(std::string("attention examples skipped: ") + e.what());
    }
  }
  if (examples == 0 && attention_notes.empty()) attention_notes.push_back("no test recordings to explain");
  for (const auto& n : attention_notes) {
    body << "<p class=\"note\">" << HtmlEscape(n) << "</p>";
    notes.push_back(n);
  }

}

std::string Page(const std::string& dir, const ReportInputs& in, size_t systems, const std::ostringstream& body,
                 const std::vector<std::string>& notes) {
  // ---- Page.
  std::ostringstream page;
  const std::string title = "ascnet experiment report: " + fs::path(dir).lexically_normal().filename().string();
  page << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << HtmlEscape(title)
       << "</title><style>" << kCss << "</style></head><body>";
  page << "<h1>" << HtmlEscape(title) << "</h1><p class=\"muted\">Folder " << HtmlEscape(dir) << "; "
       << in.results.splits.size() << " split(s), " << systems << " system(s), " << in.runs.size() << " run(s).</p>";
  if (!in.settings.is_null()) {
    page << "<details id=\"settings\"><summary>Settings (experiment.json)</summary><pre>"
         << HtmlEscape(in.settings.dump(2)) << "</pre></details>";
  }
  page << "<nav><a href=\"#results\">results</a> &middot; <a href=\"#per-class\">per class</a> &middot; "
          "<a href=\"#confusion\">confusion</a> &middot; <a href=\"#curves\">training curves</a> &middot; "
          "<a href=\"#reliability\">reliability</a> &middot; <a href=\"#attention\">attention</a></nav>";
  page << body.str();
  if (!notes.empty()) {
    page << "<h2 id=\"notes\">Notes</h2><ul>";
    for (const auto& n : notes) page << "<li>" << HtmlEscape(n) << "</li>";
    page << "</ul>";
  }
  page << "<p class=\"muted\">Generated by ascnet report.</p></body></html>\n";
  return page.str();
}

}  // namespace

Report BuildReport(const std::string& dir, const ReportOptions& options) {
  options.Validate();
  Report rep;
  const ReportInputs in = ReadInputs(dir, rep.notes);
  std::ostringstream body;
  ResultsSection(in, body);
  const size_t systems = PerClassSections(in, body);
  CurvesSection(in, body, rep.notes);
  ReliabilitySection(in, options, body, rep.notes);
  AttentionSection(in, options, body, rep.notes);
  rep.html = Page(dir, in, systems, body, rep.notes);
  return rep;
}

}  // namespace ascnet
