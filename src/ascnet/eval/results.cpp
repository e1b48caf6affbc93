#include "ascnet/eval/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/json_fields.h"
#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"

namespace ascnet {
namespace {

constexpr const char* kFormat = "ascnet.results";
constexpr int kVersion = 1;

std::vector<const SplitResult*> SortedByName(const std::vector<SplitResult>& splits) {
  std::vector<const SplitResult*> out;
  std::set<std::string> names;
  for (const auto& s : splits) {
    if (!names.insert(s.split).second) {
      throw ConfigError("results: split '" + s.split + "' appears more than once (expected unique split names)");
    }
    out.push_back(&s);
  }
  std::stable_sort(out.begin(), out.end(), [](const SplitResult* a, const SplitResult* b) { return a->split < b->split; });
  return out;
}

std::string Cell(const MeanStd& v, int decimals) {
  if (v.count == 0) return "–";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f ± %.*f", decimals, 100.0 * v.mean, decimals, 100.0 * v.std);
  return buf;
}

}  // namespace

MeanStd ComputeMeanStd(const std::vector<double>& values) {
  if (values.empty()) throw ConfigError("ComputeMeanStd: no values (expected at least 1)");
  double sum = 0;
  for (double v : values) {
    if (!std::isfinite(v)) throw ConfigError("ComputeMeanStd: non-finite value (expected finite values)");
    sum += v;
  }
  MeanStd r;
  r.count = static_cast<int>(values.size());
  r.mean = sum / static_cast<double>(values.size());
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / static_cast<double>(values.size()));
  return r;
}

void TableOptions::Validate() const {
  if (decimals < 0 || decimals > 6) {
    throw ConfigError("invalid table option decimals = " + std::to_string(decimals) + " (expected 0..6)");
  }
}

std::vector<TableRow> AggregateSplits(const std::vector<SplitResult>& splits, const TableOptions& options) {
  options.Validate();
  if (splits.empty()) throw ConfigError("AggregateSplits: no splits (expected at least 1)");
  struct Acc {
    std::vector<double> seg, rec, f1, prec;
    int n = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, Acc> acc;
  for (const SplitResult* s : SortedByName(splits)) {
    std::set<std::string> seen;
    for (const auto& sys : s->systems) {
      if (!seen.insert(sys.system).second) {
        throw ConfigError("AggregateSplits: system '" + sys.system + "' appears twice in split '" + s->split + "'");
      }
      auto it = acc.find(sys.system);
      if (it == acc.end()) {
        order.push_back(sys.system);
        it = acc.emplace(sys.system, Acc{}).first;
      }
      Acc& a = it->second;
      ++a.n;
      if (sys.segment) a.seg.push_back(sys.segment->accuracy);
      a.rec.push_back(sys.recording.accuracy);
      const Metrics* scores = &sys.recording;
      if (options.scores_on_segments) {
        if (!sys.segment) {
          throw ConfigError("AggregateSplits: scores_on_segments is set but system '" + sys.system + "' in split '" +
                            s->split + "' has no segment metrics");
        }
        scores = &*sys.segment;
      }
      a.f1.push_back(scores->macro_f1);
      a.prec.push_back(scores->macro_precision);
    }
  }
  std::vector<TableRow> rows;
  for (const auto& name : order) {
    const Acc& a = acc.at(name);
    TableRow r;
    r.system = name;
    r.num_splits = a.n;
    if (!a.seg.empty()) r.segment_accuracy = ComputeMeanStd(a.seg);
    r.recording_accuracy = ComputeMeanStd(a.rec);
    r.f1 = ComputeMeanStd(a.f1);
    r.precision = ComputeMeanStd(a.prec);
    rows.push_back(r);
  }
  return rows;
}

std::string RenderMarkdownTable(const std::vector<TableRow>& rows, const TableOptions& options) {
  options.Validate();
  int max_splits = 0;
  for (const auto& r : rows) max_splits = std::max(max_splits, r.num_splits);
  std::ostringstream os;
  os << "| System | 2 s accuracy (%) | Recording accuracy (%) | F1 (%) | Precision (%) |\n";
  os << "|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    std::string name = r.system;
    for (char& ch : name) {
      if (ch == '|' || ch == '\n') ch = ' ';
    }
    if (r.num_splits < max_splits) name += " (n = " + std::to_string(r.num_splits) + " splits)";
    os << "| " << name << " | " << Cell(r.segment_accuracy, options.decimals) << " | "
       << Cell(r.recording_accuracy, options.decimals) << " | " << Cell(r.f1, options.decimals) << " | "
       << Cell(r.precision, options.decimals) << " |\n";
  }
  return os.str();
}

std::string RenderMarkdownTable(const ExperimentResults& results, const TableOptions& options) {
  return RenderMarkdownTable(AggregateSplits(results.splits, options), options);
}

ExperimentResults MergeResults(const std::vector<ExperimentResults>& parts) {
  ExperimentResults out;
  std::map<std::string, size_t> where;
  for (size_t p = 0; p < parts.size(); ++p) {
    for (const auto& s : parts[p].splits) {
      auto ins = where.emplace(s.split, p);
      if (!ins.second) {
        throw ConfigError("MergeResults: split '" + s.split + "' occurs in result sets " +
                          std::to_string(ins.first->second) + " and " + std::to_string(p) +
                          " (expected each split once)");
      }
      out.splits.push_back(s);
    }
    if (!parts[p].labels.empty()) {
      if (!out.labels.empty() && out.labels != parts[p].labels) {
        throw ConfigError("MergeResults: result set " + std::to_string(p) + " names other class labels than the ones before");
      }
      out.labels = parts[p].labels;
    }
  }
  std::stable_sort(out.splits.begin(), out.splits.end(),
                   [](const SplitResult& a, const SplitResult& b) { return a.split < b.split; });
  return out;
}

void to_json(nlohmann::json& j, const SystemResult& r) {
  j = nlohmann::json{{"system", r.system}};
  if (!r.id.arch.empty()) j["arch"] = r.id.arch;
  if (!r.id.features.empty()) j["features"] = r.id.features;
  if (!r.id.scorer.empty()) j["scorer"] = r.id.scorer;
  j["segment"] = r.segment ? nlohmann::json(*r.segment) : nlohmann::json(nullptr);
  j["recording"] = r.recording;
}

void from_json(const nlohmann::json& j, SystemResult& r) {
  const std::string ctx = "system result";
  SystemResult out;
  out.system = jsonf::GetString(j, "system", ctx);
  const std::string sctx = "system '" + out.system + "'";
  for (auto [key, field] : {std::pair{"arch", &out.id.arch}, {"features", &out.id.features}, {"scorer", &out.id.scorer}}) {
    if (j.contains(key)) *field = jsonf::GetString(j, key, sctx);
  }
  const auto& seg = jsonf::Field(j, "segment", sctx);
  if (!seg.is_null()) out.segment = seg.get<Metrics>();
  out.recording = jsonf::Field(j, "recording", sctx).get<Metrics>();
  if (out.segment && out.segment->num_classes != out.recording.num_classes) {
    jsonf::Fail(sctx, "segment metrics have " + std::to_string(out.segment->num_classes) +
                          " classes, recording metrics " + std::to_string(out.recording.num_classes) +
                          " (expected equal)");
  }
  r = std::move(out);
}

void to_json(nlohmann::json& j, const SplitResult& r) {
  j = nlohmann::json{{"split", r.split}, {"systems", r.systems}};
}

void from_json(const nlohmann::json& j, SplitResult& r) {
  SplitResult out;
  out.split = jsonf::GetString(j, "split", "split result");
  const std::string ctx = "split '" + out.split + "'";
  const auto& systems = jsonf::GetArray(j, "systems", ctx);
  std::set<std::string> names;
  for (const auto& s : systems) {
    out.systems.push_back(s.get<SystemResult>());
    if (!names.insert(out.systems.back().system).second) {
      jsonf::Fail(ctx, "system '" + out.systems.back().system + "' appears twice");
    }
  }
  r = std::move(out);
}

void to_json(nlohmann::json& j, const ExperimentResults& r) {
  j = nlohmann::json{{"format", kFormat}, {"version", kVersion}, {"splits", r.splits}};
  if (!r.labels.empty()) j["labels"] = r.labels;
}

void from_json(const nlohmann::json& j, ExperimentResults& r) {
  const std::string ctx = "results";
  const std::string format = jsonf::GetString(j, "format", ctx);
  if (format != kFormat) jsonf::Fail(ctx + ".format", "expected \"" + std::string(kFormat) + "\", got \"" + format + "\"");
  const int64_t version = jsonf::GetInt(j, "version", ctx);
  if (version != kVersion) jsonf::Fail(ctx + ".version", "expected " + std::to_string(kVersion) + ", got " + std::to_string(version));
  ExperimentResults out;
  if (j.contains("labels")) {
    for (const auto& l : jsonf::GetArray(j, "labels", ctx)) {
      if (!l.is_string()) jsonf::Fail(ctx + ".labels", "expected class names (strings), got " + l.dump());
      out.labels.push_back(l.get<std::string>());
    }
  }
  std::set<std::string> names;
  for (const auto& s : jsonf::GetArray(j, "splits", ctx)) {
    out.splits.push_back(s.get<SplitResult>());
    if (!names.insert(out.splits.back().split).second) {
      jsonf::Fail(ctx + ".splits", "split '" + out.splits.back().split + "' appears twice");
    }
  }
  r = std::move(out);
}

void WriteResults(const std::string& path, const ExperimentResults& results) {
  const std::string text = nlohmann::json(results).dump(2) + "\n";
  WriteFileAtomically(path, [&](std::ostream& os) { os << text; });
}

ExperimentResults ReadResults(const std::string& path) {
  const std::string text = ReadFile(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(WithPath(path, std::string("not valid JSON: ") + e.what()));
  }
  try {
    return j.get<ExperimentResults>();
  } catch (const FormatError& e) {
    throw FormatError(WithPath(path, e.what()));
  }
}

}  // namespace ascnet
