// Recognizer: a model bundle applied to recordings. Segment posteriors come from the
// calibrated linear SVM when the bundle holds one (the paper's system) or from the
// network's softmax; a recording's decision is the multiplicative fusion of its segments'
// posteriors: argmax_c sum_n log max(p(c|n), 1e-7).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ascnet/audio/decode.h"
#include "ascnet/calibration/calibrator.h"
#include "ascnet/model/classifier.h"

namespace ascnet {

enum class ScoreKind { kAuto, kSoftmax, kSvm };
/// "auto" (SVM if the bundle is calibrated, else softmax), "softmax" or "svm".
ScoreKind ParseScoreKind(const std::string& name);
std::string ScoreKindName(ScoreKind kind);

struct SegmentScore {
  double start_seconds = 0;
  std::vector<double> probs;  ///< one per class, sum 1
};

struct RecordingScore {
  std::string file;
  int label = -1;             ///< fused decision
  std::vector<double> probs;  ///< normalised fused posterior: softmax_c(sum_n log max(p, 1e-7))
  std::vector<double> log_score;  ///< sum_n log max(p(c|n), 1e-7) (what feature fusion adds up)
  int64_t num_segments = 0;
  double seconds = 0;         ///< decoded duration
  std::vector<SegmentScore> segments;  ///< filled when asked for
};

/// Scores `count` segments laid out [count, C, M, T]: posteriors [count x classes]. The
/// default is Recognizer::Posteriors; `ascnet serve` passes its dynamic batcher.
using SegmentScorer = std::function<DoubleMatrix(const float* segments, int64_t count)>;

class Recognizer {
 public:
  Recognizer(ModelBundle bundle, torch::Device device = torch::kCPU, ScoreKind kind = ScoreKind::kAuto);
  static Recognizer Load(const std::string& path, torch::Device device = torch::kCPU, ScoreKind kind = ScoreKind::kAuto);

  const std::vector<std::string>& labels() const { return classifier_.labels(); }
  const FeatureConfig& features() const { return classifier_.bundle().features; }
  const ModelBundle& bundle() const { return classifier_.bundle(); }
  ScoreKind score_kind() const { return kind_; }  ///< resolved (never kAuto)

  /// Posteriors [count x classes] of `count` segments laid out [count, C, M, T]. Thread-safe.
  DoubleMatrix Posteriors(const float* segments, int64_t count);
  /// Prepares the network's fast path before the first segment (Classifier::WarmUp), so
  /// that a service's first live answers do not wait for it.
  void WarmUp();
  /// The network's pooled features [count x arch.PooledSize()] of `count` segments laid out
  /// [count, C, M, T]: what the calibrated SVM scores (the embedding). Thread-safe.
  FloatMatrix Embed(const float* segments, int64_t count);

  /// Decodes `path` block by block (bounded memory, any length), extracts segments as they
  /// complete and scores them in batches of `batch`. Thread-safe (feature extraction runs in
  /// the caller's thread, the network under a lock). Throws IoError/AudioError naming the file.
  RecordingScore ClassifyFile(const std::string& path, bool keep_segments = false, int64_t batch = 64);
  /// The same with the segments scored by `scorer` (null: Posteriors).
  RecordingScore ClassifyFile(const std::string& path, bool keep_segments, int64_t batch, const SegmentScorer& scorer);
  /// The same for a file on disk or in memory (`source.name` becomes RecordingScore::file and
  /// is what error messages name).
  RecordingScore Classify(const AudioSource& source, bool keep_segments, int64_t batch, const SegmentScorer& scorer);
  /// The same for a mono signal already in memory, `n` samples at `sample_rate` Hz
  /// (resampled to the features' rate when it differs). `name` becomes RecordingScore::file.
  /// AudioError for an empty or non-finite signal, ConfigError for a rate <= 0. Thread-safe.
  RecordingScore ClassifySamples(const float* samples, int64_t n, int sample_rate, bool keep_segments = false,
                                 int64_t batch = 64, const std::string& name = "");

  /// Adds segment posteriors to a running fused score (used by ClassifyFile and streaming),
  /// row by row in order, so the score does not depend on how the segments were grouped
  /// (`classify` scores a long recording in blocks, `stream` one segment at a time).
  static void Accumulate(const DoubleMatrix& posteriors, RecordingScore* score);
  /// Sets label and probs from log_score.
  static void Decide(RecordingScore* score);

 private:
  // One forward pass of `count` segments [count, C, M, T] under the network lock: the logits
  // [count, classes] (on the network's device) or the pooled features [count, P] (float32,
  // CPU, contiguous).
  torch::Tensor NetworkOutput(const float* segments, int64_t count, bool pooled);
  // Feature extraction and scoring of the blocks `next_block` yields (mono, features' rate).
  RecordingScore Score(const std::function<bool(std::vector<float>*)>& next_block, const std::string& name,
                       bool keep_segments, int64_t batch, const SegmentScorer& scorer = nullptr);

  Classifier classifier_;
  std::optional<Calibrator> calibrator_;
  ScoreKind kind_;
  std::mutex net_mu_;
};

/// One recording's result as `ascnet classify` prints it (one JSON line; the Python
/// package returns the same object): {"file", "label", "probabilities": {label: p},
/// "num_segments", "duration_s"} and, with `segments`, "segments": [{"start_s",
/// "probabilities"}].
nlohmann::json RecordingJson(const RecordingScore& score, const std::vector<std::string>& labels, bool segments);

}  // namespace ascnet
