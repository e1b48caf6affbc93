// Recording-level decisions from segment posteriors: probabilistic multiplicative fusion
// (shared spec system.md; algorithms.md §4).
#pragma once

#include <string>
#include <vector>

#include "ascnet/calibration/matrix.h"

namespace ascnet {

/// LIBSVM's min_prob: posteriors are clamped to >= this before the log.
constexpr double kPosteriorFloor = 1e-7;

/// score_c = sum_n log(max(p(c | segment n), floor)) over the rows of `posteriors` [N x K].
/// ConfigError if the matrix is empty or malformed, a posterior is negative or not finite,
/// or floor is not in (0, 1].
std::vector<double> SumLogPosteriors(const DoubleMatrix& posteriors, double floor = kPosteriorFloor);

/// The recording's posterior from a fused log score: softmax_c(score_c) (what classify prints
/// as "probabilities" and the experiment's DCASE-style TSV holds). Empty in, empty out.
std::vector<double> FusedPosterior(const std::vector<double>& log_score);

/// argmax_c of SumLogPosteriors (lowest class index on ties).
int FuseLogPosteriors(const DoubleMatrix& posteriors, double floor = kPosteriorFloor);

/// Feature fusion: the log posteriors of every segment of every system are summed (all
/// systems must have the same K); argmax, lowest index on ties.
int FuseLogPosteriors(const std::vector<DoubleMatrix>& systems, double floor = kPosteriorFloor);

/// One system's segment posteriors with the recording each segment came from.
struct SegmentPosteriors {
  std::vector<std::string> recording_ids;  ///< one per row of posteriors
  DoubleMatrix posteriors;                 ///< [N x K]
};

struct RecordingDecision {
  std::string recording_id;
  int label = -1;                 ///< argmax of score
  int num_segments = 0;           ///< segments summed, over all systems
  std::vector<double> score;      ///< sum of floored log posteriors per class
};

/// Groups the segments of one system by recording id and fuses each recording.
/// Recordings come out in order of first appearance.
std::vector<RecordingDecision> FuseByRecording(const SegmentPosteriors& system, double floor = kPosteriorFloor);

/// Feature fusion by recording: for each recording, sums the log posteriors of its
/// segments in every system. Every recording must appear in every system (ConfigError
/// naming the recording otherwise) and K must agree. Order: first appearance in systems[0].
std::vector<RecordingDecision> FuseByRecording(const std::vector<SegmentPosteriors>& systems,
                                               double floor = kPosteriorFloor);

}  // namespace ascnet
