#include "ascnet/experiment/experiment.h"
#include "ascnet/experiment/layout.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/fusion.h"
#include "ascnet/core/error.h"
#include "ascnet/core/file_lock.h"
#include "ascnet/core/version.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/text.h"
#include "ascnet/data/feature_cache.h"
#include "ascnet/eval/metrics.h"
#include "ascnet/model/classifier.h"
#include "ascnet/train/cache_source.h"
#include "ascnet/train/trainer.h"

namespace ascnet {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string ArchDisplay(const std::string& a) {
  const std::optional<ArchConfig::Kind> k = ArchConfig::FindKind(a);
  return k ? ArchConfig::KindDisplayName(*k) : a;
}
std::string FeatDisplay(const std::string& f) {
  return f == "logmel" ? "logMel" : f == "loggam" ? "logGam" : f;
}

void Print(const ExperimentOptions& o, const std::string& text) {
  if (!o.progress) return;
  if (o.print) {
    o.print(text);
  } else {
    std::cerr << text << std::endl;
  }
}

void Say(const ExperimentOptions& o, const std::string& line) { Print(o, "[experiment] " + line); }

SystemResult MakeSystemResult(SystemId id, std::optional<Metrics> segment, Metrics recording) {
  std::string name = SystemName(id);
  return {std::move(name), std::move(segment), std::move(recording), std::move(id)};
}

// Test-split outputs of one (arch, features) system on one split.
struct RunOutputs {
  std::vector<int> items;                      // test items that have segments
  std::vector<int> truth;                      // their labels
  std::vector<std::vector<double>> log_soft;   // per item: sum_n log max(p_softmax, 1e-7)
  std::vector<std::vector<double>> log_svm;    // per item: same with the calibrated SVM
  std::vector<int> seg_truth, seg_soft, seg_svm;
};

int Argmax(const double* p, int64_t n) { return static_cast<int>(std::max_element(p, p + n) - p); }

// Network outputs for a list of segments (any order), `chunk` at a time.
void ForwardSegments(Classifier& clf, const SegmentSource& src, const std::vector<int64_t>& segs,
                     const std::function<void(size_t, const NetOutput&)>& sink, int64_t chunk = 256) {
  const auto shape = src.segment_shape();
  const int64_t floats = src.segment_floats();
  std::vector<float> buf;
  for (size_t i = 0; i < segs.size(); i += static_cast<size_t>(chunk)) {
    const size_t n = std::min(segs.size() - i, static_cast<size_t>(chunk));
    buf.resize(n * static_cast<size_t>(floats));
    for (size_t k = 0; k < n; ++k) std::copy_n(src.segment(segs[i + k]), floats, buf.data() + k * floats);
    const torch::Tensor x = torch::from_blob(buf.data(), {static_cast<int64_t>(n), shape[0], shape[1], shape[2]});
    sink(i, clf.Forward(x));
  }
}

FloatMatrix ToMatrix(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kFloat).contiguous();
  const float* p = c.data_ptr<float>();
  return FloatMatrix(c.size(0), c.size(1), std::vector<float>(p, p + c.numel()));
}

DoubleMatrix Softmax(const torch::Tensor& logits) {
  const torch::Tensor p = torch::softmax(logits, 1).to(torch::kCPU, torch::kDouble).contiguous();
  const double* d = p.data_ptr<double>();
  return DoubleMatrix(p.size(0), p.size(1), std::vector<double>(d, d + p.numel()));
}

json MatrixJson(const DoubleMatrix& m) {
  json rows = json::array();
  for (int64_t r = 0; r < m.rows; ++r) {
    json row = json::array();
    for (int64_t c = 0; c < m.cols; ++c) row.push_back(std::round(m(r, c) * 1e6) / 1e6);
    rows.push_back(std::move(row));
  }
  return rows;
}

// Recording-level predictions in DCASE's output format: a header "filename scene_label
// <class>..." and one row per recording with the decision and the fused posterior
// (softmax of the summed log posteriors), tab-separated.
void WriteDcaseTsv(const std::string& path, const Dataset& ds, const std::vector<int>& items,
                   const std::vector<std::vector<double>>& log_scores) {
  std::ostringstream os;
  os << "filename\tscene_label";
  for (const auto& c : ds.classes) os << "\t" << c;
  os << "\n";
  char buf[32];
  for (size_t i = 0; i < items.size(); ++i) {
    const std::vector<double> p = FusedPosterior(log_scores[i]);
    os << ds.items[static_cast<size_t>(items[i])].id << "\t" << ds.classes[static_cast<size_t>(DecideLogScore(log_scores[i]))];
    for (double v : p) {
      std::snprintf(buf, sizeof buf, "\t%.6f", v);
      os << buf;
    }
    os << "\n";
  }
  const std::string text = os.str();
  WriteFileAtomically(path, [&](std::ostream& out) { out << text; });
}

// Train (or resume, or reuse) one system on one split, calibrate it, and evaluate it.
RunOutputs RunSystem(const ExperimentOptions& o, const Dataset& ds, const Split& split, const FeatureCache& cache,
                     const std::string& arch_name, const std::string& feat, const std::string& dir) {
  const CacheSegmentSource source(cache);
  const SplitSegments segs = CollectSegments(source, ds, split);
  const std::string bundle_path = BundlePath(dir);
  ModelBundle bundle;
  bool trained = false;
  if (PathExists(bundle_path)) {
    try {
      bundle = LoadBundle(bundle_path);
      trained = true;
    } catch (const Error& e) {
      Say(o, "retraining: " + std::string(e.what()));
    }
  }
  if (!trained) {
    ArchConfig arch = ArchConfig::Preset(arch_name, static_cast<int>(ds.classes.size()));
    if (auto it = o.arch_configs.find(arch_name); it != o.arch_configs.end()) {
      arch = it->second;
      arch.classes = static_cast<int>(ds.classes.size());
    }
    arch = WithRecipeArch(arch, o.train, o.attention_scale);
    TrainOptions t = o.train;
    t.out_dir = dir;
    t.resume = PathExists(CheckpointPath(dir));
    t.progress = o.progress;
    if (t.threads == 0) t.threads = o.threads;
    Say(o, split.name + " " + arch_name + "-" + feat + ": " + (t.resume ? "resuming training" : "training"));
    TrainHooks hooks;
    hooks.print = o.print;
    bundle = TrainModel(cache, ds, split, arch, t, hooks).bundle;
  }
  if (!bundle.HasCalibration()) {
    // Calibration: pooled features of the original (unmixed) training segments.
    Say(o, split.name + " " + arch_name + "-" + feat + ": calibrating the linear SVM on " +
               std::to_string(segs.train.size()) + " training segments");
    Classifier clf(bundle);
    std::vector<float> feats;
    int64_t dim = 0;
    ForwardSegments(clf, source, segs.train, [&](size_t, const NetOutput& out) {
      const FloatMatrix m = ToMatrix(out.pooled);
      dim = m.cols;
      feats.insert(feats.end(), m.data.begin(), m.data.end());
    });
    CalibrationOptions co = o.calibration;
    co.num_classes = static_cast<int>(ds.classes.size());
    Calibrator cal;
    cal.Fit(FloatMatrix(static_cast<int64_t>(segs.train.size()), dim, std::move(feats)), segs.train_labels, co);
    bundle.calibration = cal;
    SaveBundle(bundle_path, bundle);
  }

  // Evaluation on the test split, item by item (an item's segments are contiguous).
  Classifier clf(bundle);
  const Calibrator cal = bundle.calibration.get<Calibrator>();
  RunOutputs out;
  json pred_items = json::array();
  for (int item : split.test) {
    const int64_t n = source.item_segments(item);
    if (n == 0) continue;  // failed to decode: reported by the cache
    std::vector<int64_t> s(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) s[static_cast<size_t>(k)] = source.first_segment(item) + k;
    DoubleMatrix soft, svm;
    ForwardSegments(clf, source, s, [&](size_t, const NetOutput& net) {
      soft = Softmax(net.logits);
      svm = cal.Predict(ToMatrix(net.pooled));
    }, n);
    const int truth = ds.items[static_cast<size_t>(item)].label;
    out.items.push_back(item);
    out.truth.push_back(truth);
    out.log_soft.push_back(SumLogPosteriors(soft));
    out.log_svm.push_back(SumLogPosteriors(svm));
    for (int64_t k = 0; k < n; ++k) {
      out.seg_truth.push_back(truth);
      out.seg_soft.push_back(Argmax(soft.Row(k), soft.cols));
      out.seg_svm.push_back(Argmax(svm.Row(k), svm.cols));
    }
    pred_items.push_back({{"id", ds.items[static_cast<size_t>(item)].id}, {"truth", truth},
                          {"softmax", MatrixJson(soft)}, {"svm", MatrixJson(svm)}});
  }
  const json predictions = {{"format", "ascnet.predictions"}, {"version", 1}, {"labels", ds.classes},
                            {"split", split.name}, {"system", SystemName({arch_name, feat, "svm"})}, {"arch", arch_name}, {"features", feat},
                            {"items", pred_items}};
  WriteFileAtomically(ExperimentLayout::Predictions(dir), [&](std::ostream& os) { os << predictions.dump() << "\n"; });
  WriteDcaseTsv(ExperimentLayout::PredictionsTsv(dir, false), ds, out.items, out.log_svm);
  WriteDcaseTsv(ExperimentLayout::PredictionsTsv(dir, true), ds, out.items, out.log_soft);
  return out;
}

std::vector<int> RecordingDecisions(const std::vector<std::vector<double>>& scores) {
  std::vector<int> d;
  for (const auto& s : scores) d.push_back(DecideLogScore(s));
  return d;
}

// Appends (finished = false) or completes (finished = true) this attempt's record in
// the split's runs.json; a damaged file is replaced (it is a trace, not a result).
void TraceRun(const ExperimentOptions& o, const std::string& split, bool finished) {
  const std::string path = ExperimentLayout(o.out_dir).SplitRuns(split);
  json doc = {{"runs", json::array()}};
  if (PathExists(path)) {
    try {
      json old = json::parse(ReadFile(path));
      if (old.contains("runs") && old["runs"].is_array()) doc = std::move(old);
    } catch (const std::exception&) {
    }
  }
  json& runs = doc["runs"];
  if (!finished || runs.empty()) runs.push_back(RunTraceJson(o));
  runs.back()[finished ? "finished" : "started"] = LockOwner::Self().since;
  WriteFileAtomically(path, [&](std::ostream& os) { os << doc.dump(1) << "\n"; });
}

ExperimentResults CollectFinished(const std::string& dir) {
  std::vector<ExperimentResults> parts;
  for (const std::string& f : ExperimentLayout(dir).FinishedSplitResults()) parts.push_back(ReadResults(f));
  return parts.empty() ? ExperimentResults{} : MergeResults(parts);
}

void WriteSummary(const std::string& out_dir, const ExperimentResults& r) {
  const ExperimentLayout layout(out_dir);
  WriteResults(layout.Results(), r);
  const std::string md = ResultsMarkdown(r);
  WriteFileAtomically(layout.ResultsMarkdown(), [&](std::ostream& os) { os << md; });
}

}  // namespace

std::string SystemName(const SystemId& id) {
  return ArchDisplay(id.arch) + " (" + FeatDisplay(id.features) + (id.scorer == "softmax" ? ", softmax" : "") + ")";
}

std::string ClassAccuracyMarkdown(const ExperimentResults& results) {
  // Systems in order of first appearance; per class, the mean over splits of the recording
  // accuracy of that class (splits without recordings of the class do not count).
  std::vector<std::string> systems;
  std::map<std::string, std::vector<std::vector<double>>> per_class;  // system -> class -> values
  const size_t k = results.labels.size();
  for (const auto& split : results.splits) {
    for (const auto& sys : split.systems) {
      if (!per_class.count(sys.system)) systems.push_back(sys.system);
      auto& v = per_class[sys.system];
      v.resize(k);
      const std::vector<double> acc = ClassAccuracy(sys.recording);
      for (size_t c = 0; c < k && c < acc.size(); ++c) {
        if (sys.recording.per_class[c].support > 0) v[c].push_back(acc[c]);
      }
    }
  }
  std::ostringstream os;
  os << "Class-wise recording accuracy (%), mean over splits:\n\n| System |";
  for (const auto& l : results.labels) os << " " << l << " |";
  os << "\n|---|";
  for (size_t c = 0; c < k; ++c) os << "---|";
  os << "\n";
  char buf[32];
  for (const auto& name : systems) {
    os << "| " << name << " |";
    for (const auto& v : per_class[name]) {
      if (v.empty()) {
        os << " – |";
        continue;
      }
      double m = 0;
      for (double x : v) m += x;
      std::snprintf(buf, sizeof buf, " %.1f |", 100 * m / static_cast<double>(v.size()));
      os << buf;
    }
    os << "\n";
  }
  return os.str();
}

std::string ResultsMarkdown(const ExperimentResults& results) {
  std::ostringstream os;
  os << "# Results\n\n" << results.splits.size() << " split(s):";
  for (const auto& s : results.splits) os << " " << s.split;
  os << "\n\nAccuracy of 2 s segments and of whole recordings (multiplicative fusion of segment posteriors), "
        "macro F1 and macro precision of recordings, in %, mean ± std over splits. Systems without \"softmax\" "
        "use the calibrated linear SVM; \"fusion\" sums the log posteriors of the logMel and logGam systems.\n\n";
  if (!results.splits.empty()) os << RenderMarkdownTable(results);
  if (!results.splits.empty() && !results.labels.empty()) os << "\n" << ClassAccuracyMarkdown(results);
  return os.str();
}

void ExperimentOptions::Validate() const {
  if (dataset.empty()) throw ConfigError("experiment: --dataset is required (e.g. csv:meta.csv)");
  if (out_dir.empty()) throw ConfigError("experiment: --out is required");
  const std::vector<std::string> kinds = ArchConfig::KindNames();
  if (archs.empty()) {
    throw ConfigError("experiment: --arch lists no architecture (expected " + JoinWords(kinds, " and/or ") + ")");
  }
  for (const auto& a : archs) {
    if (!ArchConfig::FindKind(a)) {
      throw ConfigError("experiment: unknown architecture '" + a + "' (expected " + JoinWords(kinds, " or ") + ")");
    }
  }
  if (features.empty()) throw ConfigError("experiment: --features lists no feature preset (expected logmel and/or loggam)");
  for (const auto& f : features) FeatureConfig::Preset(f);
  if (!attention_scale.empty()) ArchConfig::ParseScale(attention_scale);
  if (threads < 1) throw ConfigError("experiment: --threads = " + std::to_string(threads) + " (expected >= 1)");
  train.Validate();
  calibration.Validate();
}

std::string ExperimentOptions::ToString() const {
  std::ostringstream os;
  os << "ExperimentOptions(dataset=" << dataset << ", archs=" << Join(archs, ",") << ", features=" << Join(features, ",")
     << ", splits=" << splits << ", out=" << out_dir << ", cache=" << (cache_dir.empty() ? ExperimentLayout(out_dir).DefaultCache() : cache_dir)
     << ", attention_scale=" << (attention_scale.empty() ? "preset default" : attention_scale) << ", threads=" << threads
     << ")\n  " << train.ToString() << "\n  " << calibration.ToString();
  return os.str();
}

json ExperimentSettingsJson(const ExperimentOptions& o) {
  TrainOptions t = o.train;
  t.out_dir.clear();
  t.resume = false;
  t.progress = true;
  return {{"dataset", o.dataset}, {"archs", o.archs}, {"features", o.features}, {"train", t},
          {"attention_scale", o.attention_scale}, {"calibration", o.calibration}};
}

void ApplyExperimentSettings(const json& settings, const std::string& source, ExperimentOptions* o) {
  auto field = [&](const char* key) -> const json& {
    if (!settings.is_object() || !settings.contains(key)) {
      throw ConfigError(WithPath(source, std::string("experiment settings: missing field ") + key));
    }
    return settings.at(key);
  };
  try {
    o->dataset = field("dataset").get<std::string>();
    o->archs = field("archs").get<std::vector<std::string>>();
    o->features = field("features").get<std::vector<std::string>>();
    o->attention_scale = field("attention_scale").get<std::string>();
  } catch (const json::exception& e) {
    throw ConfigError(WithPath(source, std::string("experiment settings: ") + e.what()));
  }
  try {
    o->train = field("train").get<TrainOptions>();
    o->calibration = field("calibration").get<CalibrationOptions>();
  } catch (const Error& e) {
    throw ConfigError(WithPath(source, std::string("experiment settings: ") + e.what()));
  }
}

void LoadExperimentSettings(const std::string& path, ExperimentOptions* o) {
  json j;
  try {
    j = json::parse(ReadFile(path));
  } catch (const json::exception& e) {
    throw FormatError(WithPath(path, std::string("not an experiment.json (") + e.what() + ")"));
  }
  ApplyExperimentSettings(j, path, o);
}

void PrepareExperimentFolder(const ExperimentOptions& o) {
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw IoError(WithPath(o.out_dir, "cannot create the experiment folder (" + ec.message() + ")"));
  const std::string settings_path = ExperimentLayout(o.out_dir).Settings();
  const json settings = ExperimentSettingsJson(o);
  if (!PathExists(settings_path)) {
    WriteFileAtomically(settings_path, [&](std::ostream& os) { os << settings.dump(2) << "\n"; });
    return;
  }
  json old;
  try {
    old = json::parse(ReadFile(settings_path));
  } catch (const json::exception& e) {
    throw FormatError(WithPath(settings_path, std::string("unreadable (") + e.what() + "); remove it to start over"));
  }
  // Compared as settings, not as text: a file written before a field existed reads with
  // that field's default, so upgrading ascnet does not orphan an experiment folder.
  try {
    ExperimentOptions read_back = o;
    ApplyExperimentSettings(old, settings_path, &read_back);
    old = ExperimentSettingsJson(read_back);
  } catch (const Error&) {
    // Not readable as settings of this version: compared as it is, reported below.
  }
  if (old != settings) {
    std::string diff;
    for (auto it = settings.begin(); it != settings.end(); ++it) {
      if (!old.contains(it.key()) || old[it.key()] != it.value()) diff += (diff.empty() ? "" : ", ") + it.key();
    }
    throw ConfigError(WithPath(settings_path, "this experiment folder was made with other settings (" + diff +
                                                  " differ); use another --out, or the same settings to resume"));
  }
}

CacheOptions ExperimentCacheOptions(const ExperimentOptions& o) {
  CacheOptions co;
  co.root = o.cache_dir.empty() ? ExperimentLayout(o.out_dir).DefaultCache() : o.cache_dir;
  co.threads = o.threads;
  co.progress = o.progress;
  return co;
}

json RunTraceJson(const ExperimentOptions& o) {
  const LockOwner self = LockOwner::Self();
  json j = {{"host", self.host}, {"pid", self.pid}, {"device", o.train.device},
            {"threads", o.train.threads > 0 ? o.train.threads : o.threads}, {"version", AscnetVersion()}};
  json slurm = json::object();
  for (const char* var : {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT",
                          "SLURM_CLUSTER_NAME", "SLURMD_NODENAME", "SLURM_JOB_PARTITION"}) {
    if (const char* v = std::getenv(var)) slurm[std::string(var).substr(std::string(var).find('_') + 1)] = v;
  }
  if (!slurm.empty()) j["slurm"] = slurm;
  return j;
}

namespace {

/// Feature caches, built lazily once per feature preset and shared by every split.
class LazyCaches {
 public:
  LazyCaches(const ExperimentOptions& o, const Dataset& ds) : o_(o), ds_(ds) {}
  const FeatureCache& For(const std::string& f) {
    auto it = caches_.find(f);
    if (it != caches_.end()) return it->second;
    FeatureCache c = FeatureCache::Build(ds_, o_.train.Features(f), ExperimentCacheOptions(o_));
    Say(o_, "feature cache " + f + ": " + std::to_string(c.num_items()) + " items, " + std::to_string(c.extracted()) +
                " extracted now, " + std::to_string(c.from_item_files()) + " from shards, " +
                std::to_string(c.num_items() - c.extracted() - c.from_item_files()) + " already cached (" +
                c.pack_path() + ")");
    for (const CacheFailure& fail : c.failures()) {
      std::cerr << "[experiment] warning: skipped (cannot be decoded): " << fail.error << std::endl;
    }
    return caches_.emplace(f, std::move(c)).first->second;
  }

 private:
  const ExperimentOptions& o_;
  const Dataset& ds_;
  std::map<std::string, FeatureCache> caches_;
};

/// True when the split's result file exists and reads back (a damaged one is recomputed).
bool SplitAlreadyFinished(const ExperimentOptions& o, const std::string& result_path, const std::string& split,
                          const std::string& position) {
  if (!PathExists(result_path)) return false;
  try {
    ReadResults(result_path);
    Say(o, "split " + split + " (" + position + "): already finished, reused");
    return true;
  } catch (const Error& e) {
    Say(o, "split " + split + ": recomputing, its result is damaged: " + e.what());
    return false;
  }
}

/// The feature-fusion systems of one architecture: per recording, the sum of the log
/// posteriors of every feature system (SVM and softmax), with their DCASE-style TSVs.
void AddFeatureFusion(const ExperimentLayout& layout, const Dataset& ds, const Split& split, const std::string& arch,
                      const std::vector<RunOutputs>& per_feature, int k, SplitResult* result) {
  for (bool softmax : {false, true}) {
    std::vector<std::vector<double>> fused(per_feature[0].items.size());
    for (const RunOutputs& r : per_feature) {
      if (r.items != per_feature[0].items) {
        throw FormatError("split " + split.name + ": the feature systems scored different test items");
      }
      const auto& scores = softmax ? r.log_soft : r.log_svm;
      for (size_t i = 0; i < fused.size(); ++i) AddLogScore(scores[i], &fused[i]);
    }
    result->systems.push_back(MakeSystemResult({arch, "fusion", softmax ? "softmax" : "svm"}, std::nullopt,
                                               ComputeMetrics(per_feature[0].truth, RecordingDecisions(fused), k)));
    WriteDcaseTsv(layout.FusionTsv(split.name, arch, softmax), ds, per_feature[0].items, fused);
  }
}

/// Paper order: per architecture, fusion first, then the single-feature systems.
void SortPaperOrder(const std::vector<std::string>& archs, SplitResult* result) {
  std::stable_sort(result->systems.begin(), result->systems.end(), [&](const SystemResult& a, const SystemResult& b) {
    auto rank = [&](const SystemId& id) {
      const size_t arch = static_cast<size_t>(std::find(archs.begin(), archs.end(), id.arch) - archs.begin());
      return arch * 4 + (id.scorer == "softmax" ? 2 : 0) + (id.features == "fusion" ? 0 : 1);
    };
    return rank(a.id) < rank(b.id);
  });
}

/// Trains, calibrates and tests every (architecture, features) system of one split.
SplitResult RunSplit(const ExperimentOptions& o, const Dataset& ds, const Split& split, LazyCaches& caches) {
  const ExperimentLayout layout(o.out_dir);
  const int k = static_cast<int>(ds.classes.size());
  std::error_code ec;
  SplitResult result;
  result.split = split.name;
  for (const std::string& arch : o.archs) {
    std::vector<RunOutputs> per_feature;
    for (const std::string& feat : o.features) {
      const std::string dir = layout.SystemDir(split.name, arch, feat);
      fs::create_directories(dir, ec);
      per_feature.push_back(RunSystem(o, ds, split, caches.For(feat), arch, feat, dir));
      const RunOutputs& r = per_feature.back();
      result.systems.push_back(MakeSystemResult({arch, feat, "svm"}, ComputeMetrics(r.seg_truth, r.seg_svm, k),
                                                ComputeMetrics(r.truth, RecordingDecisions(r.log_svm), k)));
      result.systems.push_back(MakeSystemResult({arch, feat, "softmax"}, ComputeMetrics(r.seg_truth, r.seg_soft, k),
                                                ComputeMetrics(r.truth, RecordingDecisions(r.log_soft), k)));
    }
    if (per_feature.size() > 1) AddFeatureFusion(layout, ds, split, arch, per_feature, k, &result);
  }
  SortPaperOrder(o.archs, &result);
  return result;
}

}  // namespace

ExperimentResults RunExperiment(const ExperimentOptions& o) {
  o.Validate();
  // The dataset first: a bad dataset leaves no experiment folder behind.
  const Dataset ds = LoadDataset(o.dataset);
  PrepareExperimentFolder(o);
  Print(o, o.ToString());

  const std::vector<int> selected = SelectSplits(ds, o.splits);
  Say(o, ds.spec + ": " + std::to_string(ds.items.size()) + " items, " + std::to_string(ds.classes.size()) +
             " classes, " + std::to_string(selected.size()) + " split(s) selected");
  // The recipe's threads when it fixes them (the same as training uses), so that a split
  // gives the same numbers whichever process or job runs it.
  torch::set_num_threads(o.train.threads > 0 ? o.train.threads : o.threads);

  LazyCaches caches(o, ds);
  const ExperimentLayout layout(o.out_dir);
  for (size_t n = 0; n < selected.size(); ++n) {
    const Split& split = ds.splits[static_cast<size_t>(selected[n])];
    const std::string result_path = layout.SplitResult(split.name);
    const std::string position = std::to_string(n + 1) + "/" + std::to_string(selected.size());
    if (SplitAlreadyFinished(o, result_path, split.name, position)) continue;
    Say(o, "split " + split.name + " (" + position + ")");
    std::error_code ec;
    fs::create_directories(layout.SplitDir(split.name), ec);
    TraceRun(o, split.name, false);
    ExperimentResults one;
    one.splits.push_back(RunSplit(o, ds, split, caches));
    one.labels = ds.classes;
    WriteResults(result_path, one);
    TraceRun(o, split.name, true);
    Say(o, "split " + split.name + " done");
  }
  const ExperimentResults all = CollectFinished(o.out_dir);
  WriteSummary(o.out_dir, all);
  Say(o, "results: " + layout.ResultsMarkdown());
  return all;
}

ExperimentResults MergeExperiments(const std::vector<std::string>& dirs, const std::string& out_dir) {
  if (dirs.empty()) throw ConfigError("experiment merge: no experiment folders given");
  std::vector<ExperimentResults> parts;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(d, ec)) {
      parts.push_back(ReadResults(d));
    } else if (fs::is_directory(d, ec)) {
      ExperimentResults r = CollectFinished(d);
      if (r.splits.empty()) throw FormatError(WithPath(d, "no finished split (splits/*/result.json) in this folder"));
      parts.push_back(std::move(r));
    } else {
      throw IoError(WithPath(d, "no such experiment folder or results file"));
    }
  }
  const ExperimentResults merged = MergeResults(parts);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  WriteSummary(out_dir, merged);
  return merged;
}

}  // namespace ascnet
