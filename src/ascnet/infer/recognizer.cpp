#include "ascnet/infer/recognizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ascnet/audio/decode.h"
#include "ascnet/audio/resample.h"
#include "ascnet/calibration/fusion.h"
#include "ascnet/core/error.h"
#include "ascnet/features/extractor.h"

namespace ascnet {

ScoreKind ParseScoreKind(const std::string& name) {
  if (name == "auto") return ScoreKind::kAuto;
  if (name == "softmax") return ScoreKind::kSoftmax;
  if (name == "svm") return ScoreKind::kSvm;
  throw ConfigError("unknown scorer '" + name + "' (expected auto, softmax or svm)");
}

std::string ScoreKindName(ScoreKind kind) {
  switch (kind) {
    case ScoreKind::kAuto: return "auto";
    case ScoreKind::kSoftmax: return "softmax";
    case ScoreKind::kSvm: return "svm";
  }
  return "?";
}

Recognizer::Recognizer(ModelBundle bundle, torch::Device device, ScoreKind kind)
    : classifier_(std::move(bundle), device), kind_(kind) {
  const ModelBundle& b = classifier_.bundle();
  if (kind_ == ScoreKind::kAuto) kind_ = b.HasCalibration() ? ScoreKind::kSvm : ScoreKind::kSoftmax;
  if (kind_ == ScoreKind::kSvm) {
    if (!b.HasCalibration()) {
      throw ConfigError("the model bundle has no calibration (SVM); use the softmax scorer or calibrate it first");
    }
    calibrator_ = b.calibration.get<Calibrator>();
  }
}

Recognizer Recognizer::Load(const std::string& path, torch::Device device, ScoreKind kind) {
  return Recognizer(LoadBundle(path, torch::kCPU), device, kind);
}

torch::Tensor Recognizer::NetworkOutput(const float* segments, int64_t count, bool pooled) {
  const ArchConfig& a = classifier_.arch();
  // On the CPU a segment's scores do not depend on how many segments share its call
  // (RowsIndependentOfBatch; checked bit for bit in tests/serve), which lets `ascnet serve`
  // batch concurrent requests; on other devices the batch is padded with zero segments to
  // BatchRowMultiple (not measured there).
  const int64_t multiple = BatchRowMultiple(classifier_.device());
  const int64_t padded = (count + multiple - 1) / multiple * multiple;
  torch::Tensor x;
  if (padded == count) {
    x = torch::from_blob(const_cast<float*>(segments), {count, a.channels, a.bands, a.frames}, torch::kFloat);
  } else {
    x = torch::zeros({padded, a.channels, a.bands, a.frames}, torch::kFloat);
    std::memcpy(x.data_ptr<float>(), segments, static_cast<size_t>(count * a.channels * a.bands * a.frames) * sizeof(float));
  }
  std::lock_guard<std::mutex> lock(net_mu_);
  const NetOutput out = classifier_.Forward(x);
  torch::InferenceMode guard;
  return pooled ? out.pooled.narrow(0, 0, count).to(torch::kCPU, torch::kFloat).contiguous()
                : out.logits.narrow(0, 0, count);
}

void Recognizer::WarmUp() {
  std::lock_guard<std::mutex> lock(net_mu_);
  classifier_.WarmUp();
}

DoubleMatrix Recognizer::Posteriors(const float* segments, int64_t count) {
  if (kind_ == ScoreKind::kSoftmax) {
    const torch::Tensor logits = NetworkOutput(segments, count, /*pooled=*/false);
    torch::InferenceMode guard;
    const torch::Tensor probs = torch::softmax(logits, 1).to(torch::kCPU, torch::kDouble).contiguous();
    const double* p = probs.data_ptr<double>();
    return DoubleMatrix(probs.size(0), probs.size(1), std::vector<double>(p, p + probs.numel()));
  }
  return calibrator_->Predict(Embed(segments, count));
}

FloatMatrix Recognizer::Embed(const float* segments, int64_t count) {
  const torch::Tensor pooled = NetworkOutput(segments, count, /*pooled=*/true);
  const float* f = pooled.data_ptr<float>();
  return FloatMatrix(pooled.size(0), pooled.size(1), std::vector<float>(f, f + pooled.numel()));
}

void Recognizer::Accumulate(const DoubleMatrix& posteriors, RecordingScore* score) {
  if (posteriors.rows == 0) return;
  AddLogPosteriors(posteriors, &score->log_score);
  score->num_segments += posteriors.rows;
}

void Recognizer::Decide(RecordingScore* score) {
  const std::vector<double>& s = score->log_score;
  if (s.empty()) return;
  score->label = DecideLogScore(s);
  score->probs = FusedPosterior(s);
}

RecordingScore Recognizer::Score(const std::function<bool(std::vector<float>*)>& next_block, const std::string& name,
                                 bool keep_segments, int64_t batch, const SegmentScorer& scorer) {
  const FeatureConfig& cfg = features();
  FeatureExtractor extractor(cfg);
  RecordingScore score;
  score.file = name;
  SegmentImages pending;
  int64_t samples = 0;
  auto flush = [&](bool all) {
    if (pending.num_segments == 0 || (!all && pending.num_segments < batch)) return;
    const DoubleMatrix p = scorer ? scorer(pending.data.data(), pending.num_segments)
                                  : Posteriors(pending.data.data(), pending.num_segments);
    Accumulate(p, &score);
    if (keep_segments) {
      for (int64_t s = 0; s < p.rows; ++s) {
        score.segments.push_back({pending.start_seconds[static_cast<size_t>(s)], std::vector<double>(p.Row(s), p.Row(s) + p.cols)});
      }
    }
    pending = SegmentImages{};
  };
  std::vector<float> block;
  try {
    while (next_block(&block)) {
      samples += static_cast<int64_t>(block.size());
      extractor.AcceptWaveform(block.data(), static_cast<int64_t>(block.size()));
      extractor.PopSegments(&pending);
      flush(false);
    }
    extractor.InputFinished();
  } catch (const AudioError& e) {
    const std::string what = e.what();
    if (name.empty() || what.rfind(name, 0) == 0) throw;
    throw AudioError(WithPath(name, what));
  }
  extractor.PopSegments(&pending);
  flush(true);
  score.seconds = static_cast<double>(samples) / cfg.frame.sample_rate;
  Decide(&score);
  return score;
}

RecordingScore Recognizer::ClassifyFile(const std::string& path, bool keep_segments, int64_t batch) {
  return ClassifyFile(path, keep_segments, batch, nullptr);
}

RecordingScore Recognizer::ClassifyFile(const std::string& path, bool keep_segments, int64_t batch,
                                        const SegmentScorer& scorer) {
  return Classify(AudioSource::File(path), keep_segments, batch, scorer);
}

RecordingScore Recognizer::Classify(const AudioSource& source, bool keep_segments, int64_t batch,
                                    const SegmentScorer& scorer) {
  AudioOptions audio;
  audio.target_rate = features().frame.sample_rate;
  AudioReader reader(source, audio);
  return Score([&](std::vector<float>* block) { return reader.Read(block); }, source.name, keep_segments, batch,
               scorer);
}

RecordingScore Recognizer::ClassifySamples(const float* samples, int64_t n, int sample_rate, bool keep_segments,
                                           int64_t batch, const std::string& name) {
  if (sample_rate <= 0) throw ConfigError("sample rate = " + std::to_string(sample_rate) + " Hz (expected > 0)");
  if (n <= 0) throw AudioError(WithPath(name, "empty signal (0 samples)"));
  const int rate = features().frame.sample_rate;
  constexpr int64_t kBlock = 65536;
  int64_t pos = 0;
  std::optional<Resampler> resampler;
  if (sample_rate != rate) resampler.emplace(sample_rate, rate);
  bool flushed = false;
  return Score(
      [&](std::vector<float>* block) {
        block->clear();
        while (block->empty()) {
          if (pos >= n) {
            if (!resampler || flushed) return false;
            resampler->Flush(block);
            flushed = true;
            return !block->empty();
          }
          const int64_t m = std::min(kBlock, n - pos);
          if (resampler) {
            resampler->Process(samples + pos, static_cast<size_t>(m), block);
          } else {
            block->assign(samples + pos, samples + pos + m);
          }
          pos += m;
        }
        return true;
      },
      name, keep_segments, batch);
}

nlohmann::json RecordingJson(const RecordingScore& r, const std::vector<std::string>& labels, bool segments) {
  auto probs = [&](const std::vector<double>& p) {
    nlohmann::json o = nlohmann::json::object();
    for (size_t c = 0; c < labels.size() && c < p.size(); ++c) o[labels[c]] = p[c];
    return o;
  };
  nlohmann::json j;
  j["file"] = r.file;
  j["label"] = r.label >= 0 && static_cast<size_t>(r.label) < labels.size() ? labels[static_cast<size_t>(r.label)] : "";
  j["probabilities"] = probs(r.probs);
  j["num_segments"] = r.num_segments;
  j["duration_s"] = r.seconds;
  if (segments) {
    j["segments"] = nlohmann::json::array();
    for (const SegmentScore& s : r.segments) j["segments"].push_back({{"start_s", s.start_seconds}, {"probabilities", probs(s.probs)}});
  }
  return j;
}

}  // namespace ascnet
