#include "ascnet/calibration/fusion.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

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

void AddLogRow(const double* row, int64_t k, double floor, std::vector<double>& score) {
  for (int64_t c = 0; c < k; ++c) score[static_cast<size_t>(c)] += std::log(std::max(row[c], floor));
}

int ArgMax(const std::vector<double>& v) {
  int best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace

std::vector<double> SumLogPosteriors(const DoubleMatrix& posteriors, double floor) {
  CheckFloor(floor);
  CheckPosteriors(posteriors, "SumLogPosteriors");
  std::vector<double> score(static_cast<size_t>(posteriors.cols), 0.0);
  for (int64_t r = 0; r < posteriors.rows; ++r) AddLogRow(posteriors.Row(r), posteriors.cols, floor, score);
  return score;
}

int FuseLogPosteriors(const DoubleMatrix& posteriors, double floor) {
  return ArgMax(SumLogPosteriors(posteriors, floor));
}

int FuseLogPosteriors(const std::vector<DoubleMatrix>& systems, double floor) {
  if (systems.empty()) throw ConfigError("FuseLogPosteriors: no systems (expected at least 1)");
  std::vector<double> total;
  for (size_t s = 0; s < systems.size(); ++s) {
    const auto score = SumLogPosteriors(systems[s], floor);
    if (s == 0) {
      total = score;
    } else if (score.size() != total.size()) {
      throw ConfigError("FuseLogPosteriors: system " + std::to_string(s) + " has " + std::to_string(score.size()) +
                        " classes, system 0 has " + std::to_string(total.size()) + " (expected equal)");
    } else {
      for (size_t c = 0; c < total.size(); ++c) total[c] += score[c];
    }
  }
  return ArgMax(total);
}

std::vector<RecordingDecision> FuseByRecording(const SegmentPosteriors& system, double floor) {
  return FuseByRecording(std::vector<SegmentPosteriors>{system}, floor);
}

std::vector<RecordingDecision> FuseByRecording(const std::vector<SegmentPosteriors>& systems, double floor) {
  CheckFloor(floor);
  if (systems.empty()) throw ConfigError("FuseByRecording: no systems (expected at least 1)");
  std::vector<RecordingDecision> out;
  std::unordered_map<std::string, size_t> index;
  const int64_t k = systems[0].posteriors.cols;
  for (size_t s = 0; s < systems.size(); ++s) {
    const auto& sys = systems[s];
    const std::string what = "FuseByRecording (system " + std::to_string(s) + ")";
    CheckPosteriors(sys.posteriors, what);
    if (static_cast<int64_t>(sys.recording_ids.size()) != sys.posteriors.rows) {
      throw ConfigError(what + ": " + std::to_string(sys.recording_ids.size()) + " recording ids for " +
                        std::to_string(sys.posteriors.rows) + " segments (expected equal)");
    }
    if (sys.posteriors.cols != k) {
      throw ConfigError(what + ": " + std::to_string(sys.posteriors.cols) + " classes, system 0 has " +
                        std::to_string(k) + " (expected equal)");
    }
    std::vector<char> seen(out.size(), 0);
    for (int64_t r = 0; r < sys.posteriors.rows; ++r) {
      const std::string& id = sys.recording_ids[static_cast<size_t>(r)];
      auto it = index.find(id);
      size_t at;
      if (it == index.end()) {
        if (s > 0) {
          throw ConfigError(what + ": recording '" + id + "' has no segments in system 0 (expected every system to cover the same recordings)");
        }
        at = out.size();
        index.emplace(id, at);
        RecordingDecision d;
        d.recording_id = id;
        d.score.assign(static_cast<size_t>(k), 0.0);
        out.push_back(std::move(d));
        seen.push_back(0);
      } else {
        at = it->second;
      }
      seen[at] = 1;
      AddLogRow(sys.posteriors.Row(r), k, floor, out[at].score);
      ++out[at].num_segments;
    }
    for (size_t i = 0; i < seen.size(); ++i) {
      if (!seen[i]) {
        throw ConfigError(what + ": recording '" + out[i].recording_id +
                          "' has no segments in this system (expected every system to cover the same recordings)");
      }
    }
  }
  for (auto& d : out) d.label = ArgMax(d.score);
  return out;
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
