#include "ascnet/eval/metrics.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/json_fields.h"
#include "ascnet/core/error.h"

namespace ascnet {

Metrics MetricsFromConfusion(const std::vector<std::vector<int64_t>>& confusion) {
  const size_t k = confusion.size();
  if (k < 1) throw ConfigError("metrics: empty confusion matrix (expected K x K with K >= 1)");
  int64_t total = 0, correct = 0;
  for (size_t t = 0; t < k; ++t) {
    if (confusion[t].size() != k) {
      throw ConfigError("metrics: confusion row " + std::to_string(t) + " has " + std::to_string(confusion[t].size()) +
                        " entries (expected " + std::to_string(k) + ")");
    }
    for (size_t p = 0; p < k; ++p) {
      if (confusion[t][p] < 0) throw ConfigError("metrics: negative confusion count (expected >= 0)");
      total += confusion[t][p];
    }
    correct += confusion[t][t];
  }
  if (total == 0) throw ConfigError("metrics: no samples (expected at least 1)");
  Metrics m;
  m.num_classes = static_cast<int>(k);
  m.count = total;
  m.confusion = confusion;
  m.accuracy = static_cast<double>(correct) / static_cast<double>(total);
  m.per_class.resize(k);
  for (size_t c = 0; c < k; ++c) {
    ClassMetrics& cm = m.per_class[c];
    for (size_t o = 0; o < k; ++o) {
      cm.support += confusion[c][o];
      cm.predicted += confusion[o][c];
    }
    const double tp = static_cast<double>(confusion[c][c]);
    cm.precision = cm.predicted > 0 ? tp / static_cast<double>(cm.predicted) : 0.0;
    cm.recall = cm.support > 0 ? tp / static_cast<double>(cm.support) : 0.0;
    cm.f1 = (cm.precision + cm.recall) > 0 ? 2 * cm.precision * cm.recall / (cm.precision + cm.recall) : 0.0;
    m.macro_precision += cm.precision;
    m.macro_recall += cm.recall;
    m.macro_f1 += cm.f1;
  }
  m.macro_precision /= static_cast<double>(k);
  m.macro_recall /= static_cast<double>(k);
  m.macro_f1 /= static_cast<double>(k);
  return m;
}

Metrics ComputeMetrics(const std::vector<int>& truth, const std::vector<int>& predicted, int num_classes) {
  if (truth.size() != predicted.size()) {
    throw ConfigError("metrics: " + std::to_string(truth.size()) + " true labels but " +
                      std::to_string(predicted.size()) + " predictions (expected equal counts)");
  }
  if (truth.empty()) throw ConfigError("metrics: no samples (expected at least 1)");
  if (num_classes < 1) throw ConfigError("metrics: num_classes = " + std::to_string(num_classes) + " (expected >= 1)");
  std::vector<std::vector<int64_t>> conf(static_cast<size_t>(num_classes),
                                         std::vector<int64_t>(static_cast<size_t>(num_classes), 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= num_classes) {
      throw ConfigError("metrics: true label[" + std::to_string(i) + "] = " + std::to_string(truth[i]) +
                        " (expected 0.." + std::to_string(num_classes - 1) + ")");
    }
    if (predicted[i] < 0 || predicted[i] >= num_classes) {
      throw ConfigError("metrics: predicted label[" + std::to_string(i) + "] = " + std::to_string(predicted[i]) +
                        " (expected 0.." + std::to_string(num_classes - 1) + ")");
    }
    ++conf[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
  }
  return MetricsFromConfusion(conf);
}

std::vector<double> ClassAccuracy(const Metrics& m) {
  std::vector<double> a;
  for (const auto& c : m.per_class) a.push_back(c.recall);
  return a;
}

void to_json(nlohmann::json& j, const Metrics& m) {
  nlohmann::json pc = nlohmann::json::array();
  for (const auto& c : m.per_class) {
    pc.push_back({{"precision", c.precision},
                  {"recall", c.recall},
                  {"f1", c.f1},
                  {"support", c.support},
                  {"predicted", c.predicted}});
  }
  j = nlohmann::json{{"num_classes", m.num_classes},
                     {"count", m.count},
                     {"accuracy", m.accuracy},
                     {"macro_precision", m.macro_precision},
                     {"macro_recall", m.macro_recall},
                     {"macro_f1", m.macro_f1},
                     {"per_class", std::move(pc)},
                     {"class_accuracy", ClassAccuracy(m)},
                     {"confusion", m.confusion}};
}

void from_json(const nlohmann::json& j, Metrics& m) {
  const std::string ctx = "metrics";
  const int64_t k = jsonf::GetInt(j, "num_classes", ctx);
  if (k < 1 || k > 100000) jsonf::Fail(ctx + ".num_classes", "expected 1..100000, got " + std::to_string(k));
  const auto& cj = jsonf::GetArray(j, "confusion", ctx, k);
  std::vector<std::vector<int64_t>> conf;
  for (size_t t = 0; t < cj.size(); ++t) {
    const std::string where = ctx + ".confusion[" + std::to_string(t) + "]";
    if (!cj[t].is_array() || static_cast<int64_t>(cj[t].size()) != k) {
      jsonf::Fail(where, "expected an array of " + std::to_string(k) + " counts");
    }
    std::vector<int64_t> row;
    for (const auto& v : cj[t]) {
      if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
        jsonf::Fail(where, "expected integer counts >= 0, got " + v.dump());
      }
      row.push_back(v.get<int64_t>());
    }
    conf.push_back(std::move(row));
  }
  Metrics r;
  try {
    r = MetricsFromConfusion(conf);
  } catch (const ConfigError& e) {
    jsonf::Fail(ctx + ".confusion", e.what());
  }
  auto check = [&](const std::string& field, double stored, double computed) {
    if (!(std::fabs(stored - computed) <= 1e-9)) {
      jsonf::Fail(ctx + "." + field, "stored " + std::to_string(stored) + " disagrees with " +
                                         std::to_string(computed) + " computed from the confusion matrix");
    }
  };
  const int64_t count = jsonf::GetInt(j, "count", ctx);
  if (count != r.count) {
    jsonf::Fail(ctx + ".count", std::to_string(count) + " disagrees with the confusion total " + std::to_string(r.count));
  }
  check("accuracy", jsonf::GetDouble(j, "accuracy", ctx), r.accuracy);
  check("macro_precision", jsonf::GetDouble(j, "macro_precision", ctx), r.macro_precision);
  check("macro_recall", jsonf::GetDouble(j, "macro_recall", ctx), r.macro_recall);
  check("macro_f1", jsonf::GetDouble(j, "macro_f1", ctx), r.macro_f1);
  if (j.contains("class_accuracy")) {  // derived; absent in files written before it existed
    const auto& aj = jsonf::GetArray(j, "class_accuracy", ctx, k);
    const std::vector<double> acc = ClassAccuracy(r);
    for (size_t c = 0; c < aj.size(); ++c) {
      if (!aj[c].is_number()) jsonf::Fail(ctx + ".class_accuracy", "expected numbers, got " + aj[c].dump());
      check("class_accuracy[" + std::to_string(c) + "]", aj[c].get<double>(), acc[c]);
    }
  }
  const auto& pj = jsonf::GetArray(j, "per_class", ctx, k);
  for (size_t c = 0; c < pj.size(); ++c) {
    const std::string pctx = ctx + ".per_class[" + std::to_string(c) + "]";
    const ClassMetrics& cm = r.per_class[c];
    auto pcheck = [&](const std::string& field, double stored, double computed) {
      if (!(std::fabs(stored - computed) <= 1e-9)) {
        jsonf::Fail(pctx + "." + field, "stored " + std::to_string(stored) + " disagrees with " +
                                            std::to_string(computed) + " computed from the confusion matrix");
      }
    };
    pcheck("precision", jsonf::GetDouble(pj[c], "precision", pctx), cm.precision);
    pcheck("recall", jsonf::GetDouble(pj[c], "recall", pctx), cm.recall);
    pcheck("f1", jsonf::GetDouble(pj[c], "f1", pctx), cm.f1);
    pcheck("support", static_cast<double>(jsonf::GetInt(pj[c], "support", pctx)), static_cast<double>(cm.support));
    pcheck("predicted", static_cast<double>(jsonf::GetInt(pj[c], "predicted", pctx)),
           static_cast<double>(cm.predicted));
  }
  m = r;
}

}  // namespace ascnet
