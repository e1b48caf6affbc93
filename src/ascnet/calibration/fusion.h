// Recording-level decisions from segment posteriors: probabilistic multiplicative fusion
// (shared spec system.md; algorithms.md §4).
#pragma once

#include <vector>

#include "ascnet/calibration/matrix.h"

namespace ascnet {

/// LIBSVM's min_prob: posteriors are clamped to >= this before the log.
constexpr double kPosteriorFloor = 1e-7;

/// score_c = sum_n log(max(p(c | segment n), floor)) over the rows of `posteriors` [N x K].
/// ConfigError if the matrix is empty or malformed, a posterior is negative or not finite,
/// or floor is not in (0, 1].
std::vector<double> SumLogPosteriors(const DoubleMatrix& posteriors, double floor = kPosteriorFloor);

/// Adds each row's log(max(p, floor)) to a running total [K], row by row in order: the same
/// bits however a recording's segments were split into blocks (an empty total starts at 0).
/// ConfigError as SumLogPosteriors, or if the class counts differ.
void AddLogPosteriors(const DoubleMatrix& posteriors, std::vector<double>* total, double floor = kPosteriorFloor);

/// Adds one fused log score to a running total, class by class: the segments of one
/// recording read in blocks, or the systems of a feature fusion (Mel + Gammatone). An empty
/// total takes `score` as it is. ConfigError if the class counts differ.
void AddLogScore(const std::vector<double>& score, std::vector<double>* total);

/// The decision of a fused log score: argmax_c (lowest class index on ties); -1 if empty.
int DecideLogScore(const std::vector<double>& log_score);

/// The recording's posterior from a fused log score: softmax_c(score_c) (what classify prints
/// as "probabilities" and the experiment's DCASE-style TSV holds). Empty in, empty out.
std::vector<double> FusedPosterior(const std::vector<double>& log_score);

}  // namespace ascnet
