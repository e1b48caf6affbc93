#include "ascnet/calibration/linear_svm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>

#include <linear.h>
#include <nlohmann/json.hpp>

#include "ascnet/calibration/json_fields.h"
#include "ascnet/calibration/scaler.h"
#include "ascnet/core/error.h"

namespace ascnet {
namespace {

std::mutex& LiblinearMutex() {
  static std::mutex m;
  return m;
}

void SilentPrint(const char*) {}

struct ModelDeleter {
  void operator()(model* m) const {
    if (m != nullptr) free_and_destroy_model(&m);
  }
};

}  // namespace

void LinearSvmOptions::Validate() const {
  auto bad = [](const std::string& field, const std::string& expected, double got) {
    std::ostringstream os;
    os << "invalid linear SVM option " << field << " = " << got << " (expected " << expected << ")";
    throw ConfigError(os.str());
  };
  if (!(C > 0 && std::isfinite(C))) bad("C", "a finite value > 0", C);
  if (!(eps > 0 && std::isfinite(eps))) bad("eps", "a finite value > 0", eps);
  if (!(bias > 0 && std::isfinite(bias))) bad("bias", "a finite value > 0", bias);
}

std::string LinearSvmOptions::ToString() const {
  std::ostringstream os;
  os << "LinearSvmOptions(solver=L2R_L2LOSS_SVC_DUAL, one-vs-rest, C=" << C << ", eps=" << eps
     << ", bias=" << bias << ", seed=" << seed << ")";
  return os.str();
}

void LinearSvm::Train(const DoubleMatrix& x, const std::vector<int>& labels, int num_classes,
                      const LinearSvmOptions& options) {
  if (!x.ShapeOk()) throw ConfigError("LinearSvm::Train: inconsistent feature matrix " + x.ShapeString());
  if (x.rows < 1) throw ConfigError("LinearSvm::Train: empty training data (0 rows), expected at least 2 samples");
  if (static_cast<int64_t>(labels.size()) != x.rows) {
    throw ConfigError("LinearSvm::Train: " + std::to_string(labels.size()) + " labels for " +
                      std::to_string(x.rows) + " feature rows (expected equal counts)");
  }
  if (num_classes < 2) {
    throw ConfigError("LinearSvm::Train: num_classes = " + std::to_string(num_classes) + " (expected >= 2)");
  }
  CheckFeatureMatrix(x, "LinearSvm::Train");
  if (x.cols >= INT32_MAX - 1) throw ConfigError("LinearSvm::Train: too many feature columns for liblinear");
  std::vector<int64_t> count(static_cast<size_t>(num_classes), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw ConfigError("LinearSvm::Train: label[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                        " (expected 0.." + std::to_string(num_classes - 1) + ")");
    }
    ++count[static_cast<size_t>(labels[i])];
  }
  int distinct = 0;
  for (int64_t c : count) distinct += c > 0 ? 1 : 0;
  if (distinct < 2) {
    throw ConfigError("LinearSvm::Train: training data holds a single class (label " + std::to_string(labels[0]) +
                      "); expected at least 2 distinct classes");
  }

  // Sparse rows: nonzero features (1-based indices), the bias node, the -1 terminator.
  const int n_feat = static_cast<int>(x.cols);
  std::vector<feature_node> nodes;
  std::vector<size_t> row_start(static_cast<size_t>(x.rows));
  for (int64_t r = 0; r < x.rows; ++r) {
    row_start[static_cast<size_t>(r)] = nodes.size();
    const double* row = x.Row(r);
    for (int c = 0; c < n_feat; ++c) {
      if (row[c] != 0.0) nodes.push_back({c + 1, row[c]});
    }
    nodes.push_back({n_feat + 1, options.bias});
    nodes.push_back({-1, 0.0});
  }
  std::vector<feature_node*> rows(static_cast<size_t>(x.rows));
  for (size_t r = 0; r < rows.size(); ++r) rows[r] = nodes.data() + row_start[r];
  std::vector<double> y(static_cast<size_t>(x.rows));

  problem prob{};
  prob.l = static_cast<int>(x.rows);
  prob.n = n_feat + 1;
  prob.y = y.data();
  prob.x = rows.data();
  prob.bias = options.bias;

  parameter param{};
  param.solver_type = L2R_L2LOSS_SVC_DUAL;
  param.eps = options.eps;
  param.C = options.C;
  param.nr_weight = 0;
  param.weight_label = nullptr;
  param.weight = nullptr;
  param.p = 0.1;
  param.init_sol = nullptr;

  {
    std::lock_guard<std::mutex> lock(LiblinearMutex());
    if (const char* msg = check_parameter(&prob, &param)) {
      throw ConfigError(std::string("liblinear: ") + msg);
    }
  }
  // liblinear's own parameter check does not cover bias; ours does.
  options.Validate();

  DoubleMatrix w(num_classes, x.cols);
  std::vector<double> b(static_cast<size_t>(num_classes), 0.0);
  for (int k = 0; k < num_classes; ++k) {
    if (count[static_cast<size_t>(k)] == 0) {
      b[static_cast<size_t>(k)] = -1.0;  // never seen: constant "rest" decision
      continue;
    }
    for (size_t i = 0; i < y.size(); ++i) y[i] = labels[i] == k ? +1.0 : -1.0;
    std::unique_ptr<model, ModelDeleter> m;
    {
      std::lock_guard<std::mutex> lock(LiblinearMutex());
      set_print_string_function(&SilentPrint);
      std::srand(static_cast<unsigned>(options.seed + static_cast<uint64_t>(k)));
      m.reset(train(&prob, &param));
    }
    if (!m) throw Error("liblinear: train() returned no model for class " + std::to_string(k));
    if (m->nr_class != 2 || m->nr_feature != n_feat) {
      throw Error("liblinear: unexpected model for class " + std::to_string(k) + " (nr_class " +
                  std::to_string(m->nr_class) + ", nr_feature " + std::to_string(m->nr_feature) + ")");
    }
    // For two classes liblinear stores one vector, positive for label[0].
    const double sign = m->label[0] == 1 ? 1.0 : -1.0;
    for (int c = 0; c < n_feat; ++c) w(k, c) = sign * m->w[c];
    b[static_cast<size_t>(k)] = sign * m->w[n_feat] * options.bias;
    for (int c = 0; c <= n_feat; ++c) {
      if (!std::isfinite(m->w[c])) {
        throw Error("liblinear: non-finite weight for class " + std::to_string(k) + " (check the feature scale)");
      }
    }
  }
  num_classes_ = num_classes;
  num_features_ = x.cols;
  weights_ = std::move(w);
  intercepts_ = std::move(b);
}

DoubleMatrix LinearSvm::DecisionValues(const DoubleMatrix& x) const {
  if (!trained()) throw ConfigError("LinearSvm::DecisionValues: model is not trained");
  CheckFeatureMatrix(x, "LinearSvm::DecisionValues");
  if (x.cols != num_features_) {
    throw ConfigError("LinearSvm::DecisionValues: features have " + std::to_string(x.cols) +
                      " columns, expected " + std::to_string(num_features_));
  }
  DoubleMatrix out(x.rows, num_classes_);
  for (int64_t r = 0; r < x.rows; ++r) {
    const double* row = x.Row(r);
    for (int k = 0; k < num_classes_; ++k) {
      const double* wk = weights_.Row(k);
      double s = intercepts_[static_cast<size_t>(k)];
      for (int64_t c = 0; c < num_features_; ++c) s += wk[c] * row[c];
      out(r, k) = s;
    }
  }
  return out;
}

LinearSvm LinearSvm::FromWeights(DoubleMatrix weights, std::vector<double> intercepts) {
  if (!weights.ShapeOk()) throw FormatError("svm: inconsistent weight matrix " + weights.ShapeString());
  if (weights.rows < 2) {
    throw FormatError("svm: " + std::to_string(weights.rows) + " classes (expected >= 2)");
  }
  if (weights.cols < 1) throw FormatError("svm: 0 features (expected >= 1)");
  if (static_cast<int64_t>(intercepts.size()) != weights.rows) {
    throw FormatError("svm: " + std::to_string(intercepts.size()) + " intercepts for " +
                      std::to_string(weights.rows) + " classes (expected equal)");
  }
  for (double v : weights.data) {
    if (!std::isfinite(v)) throw FormatError("svm: non-finite weight (expected finite values)");
  }
  for (double v : intercepts) {
    if (!std::isfinite(v)) throw FormatError("svm: non-finite intercept (expected finite values)");
  }
  LinearSvm s;
  s.num_classes_ = static_cast<int>(weights.rows);
  s.num_features_ = weights.cols;
  s.weights_ = std::move(weights);
  s.intercepts_ = std::move(intercepts);
  return s;
}

void to_json(nlohmann::json& j, const LinearSvm& svm) {
  nlohmann::json w = nlohmann::json::array();
  for (int k = 0; k < svm.num_classes(); ++k) {
    const double* row = svm.weights().Row(k);
    w.push_back(std::vector<double>(row, row + svm.num_features()));
  }
  j = nlohmann::json{{"num_classes", svm.num_classes()},
                     {"num_features", svm.num_features()},
                     {"weights", std::move(w)},
                     {"intercepts", svm.intercepts()}};
}

void from_json(const nlohmann::json& j, LinearSvm& svm) {
  const std::string ctx = "svm";
  const int64_t k = jsonf::GetInt(j, "num_classes", ctx);
  const int64_t d = jsonf::GetInt(j, "num_features", ctx);
  if (k < 2 || k > 1000000) jsonf::Fail(ctx + ".num_classes", "expected >= 2, got " + std::to_string(k));
  if (d < 1 || d > 100000000) jsonf::Fail(ctx + ".num_features", "expected >= 1, got " + std::to_string(d));
  const auto& rows = jsonf::GetArray(j, "weights", ctx, k);
  DoubleMatrix w(k, d);
  for (int64_t r = 0; r < k; ++r) {
    const auto v = jsonf::ToDoubleArray(rows[static_cast<size_t>(r)], ctx + ".weights[" + std::to_string(r) + "]", d);
    std::copy(v.begin(), v.end(), w.Row(r));
  }
  auto b = jsonf::GetDoubleArray(j, "intercepts", ctx, k);
  svm = LinearSvm::FromWeights(std::move(w), std::move(b));
}

}  // namespace ascnet
