#include "ascnet/calibration/fusion.h"

#include <algorithm>
#include <cmath>

#include "ascnet/core/error.h"

namespace ascnet {
namespace {

void CheckFloor(double floor) {
  if (!(floor > 0 && floor <= 1)) {
    throw ConfigError("posterior floor = " + std::to_string(floor) + " (expected 0 < floor <= 1)");
  }
}

void CheckPosteriors(const DoubleMatrix& p, const std::string& what) {
  if (!p.ShapeOk()) throw ConfigError(what + ": inconsistent posterior matrix " + p.ShapeString());
  if (p.rows < 1) throw ConfigError(what + ": no segments (expected at least 1 row)");
  if (p.cols < 1) throw ConfigError(what + ": no classes (expected at least 1 column)");
  for (int64_t r = 0; r < p.rows; ++r) {
    for (int64_t c = 0; c < p.cols; ++c) {
      const double v = p(r, c);
      if (!std::isfinite(v) || v < 0) {
        throw ConfigError(what + ": posterior at segment " + std::to_string(r) + ", class " + std::to_string(c) + " = " +
                          std::to_string(v) + " (expected a finite value >= 0)");
      }
    }
  }
}

// What is added to a running log score must have its number of classes.
void CheckSameClasses(const std::string& what, size_t classes, size_t total_classes) {
  if (classes != total_classes) {
    throw ConfigError("fusion: " + what + " of " + std::to_string(classes) + " classes added to a log score of " +
                      std::to_string(total_classes) + " (expected equal class counts)");
  }
}

void AddLogRow(const double* row, int64_t k, double floor, std::vector<double>& score) {
  for (int64_t c = 0; c < k; ++c) score[static_cast<size_t>(c)] += std::log(std::max(row[c], floor));
}

}  // namespace

std::vector<double> SumLogPosteriors(const DoubleMatrix& posteriors, double floor) {
  std::vector<double> score;
  AddLogPosteriors(posteriors, &score, floor);
  return score;
}

void AddLogPosteriors(const DoubleMatrix& posteriors, std::vector<double>* total, double floor) {
  CheckFloor(floor);
  CheckPosteriors(posteriors, "SumLogPosteriors");
  if (total->empty()) total->assign(static_cast<size_t>(posteriors.cols), 0.0);
  CheckSameClasses("posteriors", static_cast<size_t>(posteriors.cols), total->size());
  for (int64_t r = 0; r < posteriors.rows; ++r) AddLogRow(posteriors.Row(r), posteriors.cols, floor, *total);
}

void AddLogScore(const std::vector<double>& score, std::vector<double>* total) {
  if (total->empty()) {
    *total = score;
    return;
  }
  CheckSameClasses("a log score", score.size(), total->size());
  for (size_t c = 0; c < score.size(); ++c) (*total)[c] += score[c];
}

int DecideLogScore(const std::vector<double>& log_score) {
  if (log_score.empty()) return -1;
  return static_cast<int>(std::max_element(log_score.begin(), log_score.end()) - log_score.begin());
}

std::vector<double> FusedPosterior(const std::vector<double>& log_score) {
  std::vector<double> p(log_score.size(), 0.0);
  if (log_score.empty()) return p;
  const double top = *std::max_element(log_score.begin(), log_score.end());
  double z = 0;
  for (size_t c = 0; c < p.size(); ++c) z += (p[c] = std::exp(log_score[c] - top));
  for (double& v : p) v /= z;
  return p;
}

}  // namespace ascnet
