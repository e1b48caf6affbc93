// `ascnet explain`: where an Att-CRNN listened. Per segment of a recording: the log
// spectrogram (channel 0), the spatio-temporal attention mask A = a_spa (outer) a_tem
// (2H x T, aligned in time with the spectrogram), the temporal attention a_tem, and the
// segment posteriors; rendered as one PNG.
#pragma once

#include <string>
#include <vector>

#include "ascnet/infer/png.h"
#include "ascnet/infer/recognizer.h"
#include "ascnet/model/classifier.h"

namespace ascnet {

struct ExplainedSegment {
  double start_seconds = 0;
  std::vector<float> spectrogram;  ///< channel 0, [bands x frames], row 0 = lowest band
  std::vector<float> a_spa;        ///< [2H]
  std::vector<float> a_tem;        ///< [T]
  std::vector<double> probs;       ///< segment posteriors (the recognizer's scorer)
};

struct Explanation {
  std::string file;
  std::string title;               ///< optional caption (e.g. "true class: park"); empty = none
  std::string arch, features, scorer;
  std::vector<std::string> labels;
  int bands = 0, frames = 0, hidden2 = 0;
  double frame_seconds = 0;        ///< frame shift
  int64_t total_segments = 0;      ///< segments in the recording (all scored and fused)
  RecordingScore score;            ///< fused decision over all segments
  std::vector<ExplainedSegment> segments;  ///< the first max_segments, in time order
};

class Explainer {
 public:
  /// ConfigError "explain needs an Att-CRNN model; this bundle is a CNN" for a CNN bundle.
  explicit Explainer(ModelBundle bundle, torch::Device device = torch::kCPU, ScoreKind kind = ScoreKind::kAuto);
  static Explainer Load(const std::string& path, torch::Device device = torch::kCPU,
                        ScoreKind kind = ScoreKind::kAuto);

  const Recognizer& recognizer() const { return recognizer_; }

  /// Decodes `path` (any format and rate, bounded memory), scores every segment, and keeps
  /// the spectrogram and attention of the first `max_segments` (>= 1). IoError/AudioError
  /// naming the file.
  Explanation Explain(const std::string& path, int max_segments = 8);
  /// The same for a file on disk or in memory (`source.name` becomes Explanation::file).
  Explanation Explain(const AudioSource& source, int max_segments = 8);

 private:
  Classifier classifier_;
  Recognizer recognizer_;
};

/// Draws the explanation: a header (file, model, fused decision), then one panel per kept
/// segment (up to `per_row` per row): spectrogram with a time axis, a_tem as bars (dashed
/// line: uniform attention 1/T), the attention mask A as a heat map, and posterior bars with
/// class names (the segment's top class highlighted).
Image RenderExplanation(const Explanation& e, int per_row = 4);

}  // namespace ascnet
