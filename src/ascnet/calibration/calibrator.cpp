#include "ascnet/calibration/calibrator.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/json_fields.h"
#include "ascnet/core/error.h"
#include "ascnet/core/text.h"

namespace ascnet {
namespace {

constexpr const char* kFormat = "ascnet.calibrator";
constexpr int kVersion = 1;

template <typename T>
[[noreturn]] void Bad(const std::string& field, const std::string& expected, T got) {
  BadOption("calibration", field, expected, Str(got));
}

// Unbiased draw in [0, n) from a 64-bit engine (rejection sampling).
uint64_t Below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do {
    v = rng();
  } while (v >= limit);
  return v % n;
}

DoubleMatrix SelectRows(const DoubleMatrix& x, const std::vector<int64_t>& idx) {
  DoubleMatrix out(static_cast<int64_t>(idx.size()), x.cols);
  for (size_t i = 0; i < idx.size(); ++i) {
    std::copy(x.Row(idx[i]), x.Row(idx[i]) + x.cols, out.Row(static_cast<int64_t>(i)));
  }
  return out;
}

}  // namespace

void CalibrationOptions::Validate() const {
  if (!(C > 0 && std::isfinite(C))) Bad("C", "a finite value > 0", C);
  if (!(eps > 0 && std::isfinite(eps))) Bad("eps", "a finite value > 0", eps);
  if (!(bias > 0 && std::isfinite(bias))) Bad("bias", "a finite value > 0", bias);
  if (cv_folds < 2 || cv_folds > 100) Bad("cv_folds", "2..100", cv_folds);
  if (num_classes != 0 && (num_classes < 2 || num_classes > 100000)) {
    Bad("num_classes", "0 (from the labels) or 2..100000", num_classes);
  }
}

std::string CalibrationOptions::ToString() const {
  std::ostringstream os;
  os << "CalibrationOptions(scaler=[-1,1]" << (clip_features ? " clipped" : "")
     << ", svm=liblinear L2R_L2LOSS_SVC_DUAL one-vs-rest, C=" << C << ", eps=" << eps << ", bias=" << bias
     << ", platt cv_folds=" << cv_folds << " stratified, seed=" << seed
     << ", num_classes=" << (num_classes == 0 ? std::string("from labels") : std::to_string(num_classes)) << ")";
  return os.str();
}

LinearSvmOptions CalibrationOptions::Svm(uint64_t seed_offset) const {
  LinearSvmOptions o;
  o.C = C;
  o.eps = eps;
  o.bias = bias;
  o.seed = seed + seed_offset;
  return o;
}

void to_json(nlohmann::json& j, const CalibrationOptions& o) {
  j = nlohmann::json{{"C", o.C},
                     {"eps", o.eps},
                     {"bias", o.bias},
                     {"cv_folds", o.cv_folds},
                     {"seed", o.seed},
                     {"clip_features", o.clip_features},
                     {"num_classes", o.num_classes}};
}

void from_json(const nlohmann::json& j, CalibrationOptions& o) {
  const std::string ctx = "calibration options";
  CalibrationOptions r;
  r.C = jsonf::GetDouble(j, "C", ctx);
  r.eps = jsonf::GetDouble(j, "eps", ctx);
  r.bias = jsonf::GetDouble(j, "bias", ctx);
  const int64_t folds = jsonf::GetInt(j, "cv_folds", ctx);
  const int64_t k = jsonf::GetInt(j, "num_classes", ctx);
  if (folds < INT32_MIN || folds > INT32_MAX) jsonf::Fail(ctx + ".cv_folds", "out of range");
  if (k < INT32_MIN || k > INT32_MAX) jsonf::Fail(ctx + ".num_classes", "out of range");
  r.cv_folds = static_cast<int>(folds);
  r.num_classes = static_cast<int>(k);
  r.seed = jsonf::GetUint(j, "seed", ctx);
  r.clip_features = jsonf::GetBool(j, "clip_features", ctx);
  try {
    r.Validate();
  } catch (const ConfigError& e) {
    throw FormatError(ctx + ": " + e.what());
  }
  o = r;
}

std::vector<int> StratifiedFolds(const std::vector<int>& labels, int num_classes, int num_folds, uint64_t seed) {
  if (num_folds < 1) throw ConfigError("StratifiedFolds: num_folds = " + std::to_string(num_folds) + " (expected >= 1)");
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw ConfigError("StratifiedFolds: label[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                        " (expected 0.." + std::to_string(num_classes - 1) + ")");
    }
    by_class[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  std::mt19937_64 rng(seed);
  std::vector<int> fold(labels.size(), 0);
  uint64_t pos = 0;
  for (auto& idx : by_class) {
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[Below(rng, i)]);
    for (int64_t s : idx) fold[static_cast<size_t>(s)] = static_cast<int>(pos++ % static_cast<uint64_t>(num_folds));
  }
  return fold;
}

void Calibrator::Fit(const FloatMatrix& features, const std::vector<int>& labels, const CalibrationOptions& options) {
  options.Validate();
  CheckFeatureMatrix(features, "Calibrator::Fit");
  if (static_cast<int64_t>(labels.size()) != features.rows) {
    throw ConfigError("Calibrator::Fit: " + std::to_string(labels.size()) + " labels for " +
                      std::to_string(features.rows) + " feature rows (expected equal counts)");
  }
  int k = options.num_classes;
  if (k == 0) {
    for (int y : labels) k = std::max(k, y + 1);
  }
  if (k < 2) {
    throw ConfigError("Calibrator::Fit: " + std::to_string(k) + " class(es) in the labels (expected >= 2)");
  }
  std::vector<int64_t> count(static_cast<size_t>(k), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= k) {
      throw ConfigError("Calibrator::Fit: label[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                        " (expected 0.." + std::to_string(k - 1) + ")");
    }
    ++count[static_cast<size_t>(labels[i])];
  }
  for (int c = 0; c < k; ++c) {
    if (count[static_cast<size_t>(c)] == 0) {
      throw ConfigError("Calibrator::Fit: class " + std::to_string(c) + " has no training samples (expected >= 1 per class 0.." +
                        std::to_string(k - 1) + ")");
    }
  }
  if (features.rows < options.cv_folds) {
    throw ConfigError("Calibrator::Fit: " + std::to_string(features.rows) + " samples for cv_folds = " +
                      std::to_string(options.cv_folds) + " (expected at least one sample per fold)");
  }

  MinMaxScaler scaler(options.clip_features);
  scaler.Fit(features);
  const DoubleMatrix x = scaler.Transform(features);

  // Out-of-fold decision values.
  const std::vector<int> fold = StratifiedFolds(labels, k, options.cv_folds, options.seed);
  DoubleMatrix oof(x.rows, k);
  for (int f = 0; f < options.cv_folds; ++f) {
    std::vector<int64_t> train_idx, test_idx;
    for (int64_t i = 0; i < x.rows; ++i) (fold[static_cast<size_t>(i)] == f ? test_idx : train_idx).push_back(i);
    if (test_idx.empty()) continue;
    std::vector<int> train_y;
    train_y.reserve(train_idx.size());
    for (int64_t i : train_idx) train_y.push_back(labels[static_cast<size_t>(i)]);
    int first = train_y.empty() ? -1 : train_y[0];
    bool single = true;
    for (int y : train_y) single = single && y == first;
    if (single) {
      for (int64_t i : test_idx) {
        for (int c = 0; c < k; ++c) oof(i, c) = (c == first) ? 1.0 : -1.0;
      }
      continue;
    }
    LinearSvm svm;
    svm.Train(SelectRows(x, train_idx), train_y, k, options.Svm(1000003ULL * static_cast<uint64_t>(f + 1)));
    const DoubleMatrix d = svm.DecisionValues(SelectRows(x, test_idx));
    for (size_t t = 0; t < test_idx.size(); ++t) {
      for (int c = 0; c < k; ++c) oof(test_idx[t], c) = d(static_cast<int64_t>(t), c);
    }
  }

  std::vector<PlattParams> platt(static_cast<size_t>(k));
  std::vector<double> f(static_cast<size_t>(x.rows));
  std::vector<int> y(static_cast<size_t>(x.rows));
  for (int c = 0; c < k; ++c) {
    for (int64_t i = 0; i < x.rows; ++i) {
      f[static_cast<size_t>(i)] = oof(i, c);
      y[static_cast<size_t>(i)] = labels[static_cast<size_t>(i)] == c ? 1 : -1;
    }
    platt[static_cast<size_t>(c)] = SigmoidTrain(f, y);
  }

  LinearSvm svm;
  svm.Train(x, labels, k, options.Svm(0));

  options_ = options;
  options_.num_classes = k;
  scaler_ = std::move(scaler);
  svm_ = std::move(svm);
  platt_ = std::move(platt);
}

DoubleMatrix Calibrator::DecisionValues(const FloatMatrix& features) const {
  if (!fitted()) throw ConfigError("Calibrator: not fitted");
  return svm_.DecisionValues(scaler_.Transform(features));
}

DoubleMatrix Calibrator::ProbabilitiesFromDecisions(const DoubleMatrix& d) const {
  if (!fitted()) throw ConfigError("Calibrator: not fitted");
  if (!d.ShapeOk() || d.cols != num_classes()) {
    throw ConfigError("Calibrator: decision values " + d.ShapeString() + ", expected " +
                      std::to_string(num_classes()) + " columns");
  }
  const int k = num_classes();
  DoubleMatrix p(d.rows, k);
  for (int64_t r = 0; r < d.rows; ++r) {
    double sum = 0;
    for (int c = 0; c < k; ++c) {
      if (!std::isfinite(d(r, c))) {
        throw ConfigError("Calibrator: non-finite decision value at row " + std::to_string(r));
      }
      p(r, c) = SigmoidPredict(d(r, c), platt_[static_cast<size_t>(c)]);
      sum += p(r, c);
    }
    for (int c = 0; c < k; ++c) p(r, c) = sum > 0 ? p(r, c) / sum : 1.0 / k;
  }
  return p;
}

DoubleMatrix Calibrator::Predict(const FloatMatrix& features) const {
  return ProbabilitiesFromDecisions(DecisionValues(features));
}

Calibrator Calibrator::FromParts(CalibrationOptions options, MinMaxScaler scaler, LinearSvm svm,
                                 std::vector<PlattParams> platt) {
  if (!svm.trained()) throw FormatError("calibrator: SVM has no weights");
  if (scaler.NumFeatures() != svm.num_features()) {
    throw FormatError("calibrator: scaler has " + std::to_string(scaler.NumFeatures()) + " features but the SVM has " +
                      std::to_string(svm.num_features()) + " (expected equal)");
  }
  if (static_cast<int>(platt.size()) != svm.num_classes()) {
    throw FormatError("calibrator: " + std::to_string(platt.size()) + " Platt sigmoids for " +
                      std::to_string(svm.num_classes()) + " classes (expected one per class)");
  }
  for (size_t c = 0; c < platt.size(); ++c) {
    if (!std::isfinite(platt[c].A) || !std::isfinite(platt[c].B)) {
      throw FormatError("calibrator: Platt parameters of class " + std::to_string(c) + " are not finite");
    }
  }
  if (options.num_classes != svm.num_classes()) {
    throw FormatError("calibrator: options.num_classes = " + std::to_string(options.num_classes) +
                      " but the SVM has " + std::to_string(svm.num_classes()) + " classes");
  }
  if (options.clip_features != scaler.clip()) {
    throw FormatError("calibrator: options.clip_features disagrees with scaler.clip");
  }
  Calibrator c;
  c.options_ = options;
  c.scaler_ = std::move(scaler);
  c.svm_ = std::move(svm);
  c.platt_ = std::move(platt);
  return c;
}

void to_json(nlohmann::json& j, const Calibrator& c) {
  if (!c.fitted()) throw ConfigError("Calibrator: cannot serialise an unfitted calibrator");
  nlohmann::json platt = nlohmann::json::array();
  for (const auto& p : c.platt()) platt.push_back({{"A", p.A}, {"B", p.B}});
  j = nlohmann::json{{"format", kFormat},
                     {"version", kVersion},
                     {"num_classes", c.num_classes()},
                     {"num_features", c.num_features()},
                     {"options", c.options()},
                     {"scaler", c.scaler()},
                     {"svm", c.svm()},
                     {"platt", std::move(platt)}};
}

void from_json(const nlohmann::json& j, Calibrator& c) {
  const std::string ctx = "calibrator";
  const std::string format = jsonf::GetString(j, "format", ctx);
  if (format != kFormat) jsonf::Fail(ctx + ".format", "expected \"" + std::string(kFormat) + "\", got \"" + format + "\"");
  const int64_t version = jsonf::GetInt(j, "version", ctx);
  if (version != kVersion) jsonf::Fail(ctx + ".version", "expected " + std::to_string(kVersion) + ", got " + std::to_string(version));
  const int64_t k = jsonf::GetInt(j, "num_classes", ctx);
  const int64_t d = jsonf::GetInt(j, "num_features", ctx);
  CalibrationOptions options = jsonf::Field(j, "options", ctx).get<CalibrationOptions>();
  MinMaxScaler scaler = jsonf::Field(j, "scaler", ctx).get<MinMaxScaler>();
  LinearSvm svm = jsonf::Field(j, "svm", ctx).get<LinearSvm>();
  if (svm.num_classes() != k) {
    jsonf::Fail(ctx + ".num_classes", std::to_string(k) + " disagrees with svm.num_classes " + std::to_string(svm.num_classes()));
  }
  if (svm.num_features() != d || scaler.NumFeatures() != d) {
    jsonf::Fail(ctx + ".num_features", std::to_string(d) + " disagrees with svm (" + std::to_string(svm.num_features()) +
                                           ") or scaler (" + std::to_string(scaler.NumFeatures()) + ")");
  }
  const auto& pj = jsonf::GetArray(j, "platt", ctx, k);
  std::vector<PlattParams> platt;
  for (size_t i = 0; i < pj.size(); ++i) {
    const std::string pctx = ctx + ".platt[" + std::to_string(i) + "]";
    platt.push_back(PlattParams{jsonf::GetDouble(pj[i], "A", pctx), jsonf::GetDouble(pj[i], "B", pctx)});
  }
  c = Calibrator::FromParts(options, std::move(scaler), std::move(svm), std::move(platt));
}

}  // namespace ascnet
