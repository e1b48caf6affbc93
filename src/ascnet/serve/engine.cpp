#include "ascnet/serve/engine.h"

#include <mutex>

#include "ascnet/core/error.h"
#include "ascnet/infer/explain.h"
#include "ascnet/infer/png.h"
#include "ascnet/infer/recognizer.h"
#include "ascnet/infer/stream.h"
#include "ascnet/model/inference.h"

namespace ascnet::serve {

struct Engine::Model {
  ModelSpec spec;
  std::unique_ptr<Recognizer> recognizer;
  std::unique_ptr<Batcher> batcher;
  std::string scorer;
  std::mutex explain_mu;
  std::unique_ptr<Explainer> explainer;  // loaded on first use (Att-CRNN only)

  SegmentScorer Scorer() {
    return [this](const float* s, int64_t n) { return batcher->Score(s, n); };
  }
};

namespace {
// An upload that cannot be read is not decodable audio, whatever the decoder called it (the
// messages name the client's file name: the bytes are decoded in memory).
template <class F>
auto AsUploadErrors(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const IoError& e) {
    throw AudioError(e.what());
  } catch (const FormatError& e) {
    throw AudioError(e.what());
  }
}

AudioSource Upload(std::string_view audio, const std::string& name) {
  return AudioSource::Memory(audio.data(), audio.size(), name);
}

class Stream : public EngineStream {
 public:
  Stream(Recognizer& rec, const StreamOptions& o, SegmentScorer scorer)
      : labels_(rec.labels()), core_(rec, o, std::move(scorer)) {}
  void Accept(const void* data, size_t n, std::chrono::steady_clock::time_point arrival,
              std::vector<nlohmann::json>* events) override {
    core_.Accept(data, n, arrival, [&](const StreamSegment& s) { events->push_back(StreamSegmentJson(s, labels_)); });
  }
  void Finish(std::vector<nlohmann::json>* events) override {
    const StreamSummary s =
        core_.Finish([&](const StreamSegment& seg) { events->push_back(StreamSegmentJson(seg, labels_)); });
    events->push_back(StreamSummaryJson(s, labels_));
  }
  const std::vector<std::string>& labels() const override { return labels_; }

 private:
  std::vector<std::string> labels_;
  StreamClassifier core_;
};
}  // namespace

Engine::Engine(const ServeOptions& o) {
  o.Validate();
  torch::set_num_threads(o.torch_threads);
  std::string kernels;
  join_requests_ = RowsIndependentOfBatch(&kernels);
  batching_ = join_requests_ ? "across requests (" + kernels + ": a segment's result does not depend on its batch)"
                             : "per request (" + kernels + ")";
  for (const ModelSpec& spec : o.models) {
    auto m = std::make_unique<Model>();
    m->spec = spec;
    m->recognizer = std::make_unique<Recognizer>(LoadBundle(spec.path, torch::kCPU), torch::kCPU, ParseScoreKind(o.scorer));
    m->scorer = ScoreKindName(m->recognizer->score_kind());
    const ArchConfig& a = m->recognizer->bundle().arch;
    Recognizer* rec = m->recognizer.get();
    m->batcher = std::make_unique<Batcher>([rec](const float* s, int64_t n) { return rec->Posteriors(s, n); },
                                           static_cast<int64_t>(a.channels) * a.bands * a.frames,
                                           BatchOptions{o.max_batch, o.batch_wait_ms, join_requests_},
                                           // The first live segments would otherwise wait
                                           // for oneDNN's and the threads' set-up.
                                           [rec] { rec->WarmUp(); });
    models_.push_back(std::move(m));
  }
}

Engine::~Engine() = default;

const std::string& Engine::default_model() const { return models_.front()->spec.name; }

bool Engine::HasModel(const std::string& name) const {
  for (const auto& m : models_) {
    if (m->spec.name == name) return true;
  }
  return false;
}

Engine::Model& Engine::Get(const std::string& name) const {
  const std::string& n = name.empty() ? default_model() : name;
  for (const auto& m : models_) {
    if (m->spec.name == n) return *m;
  }
  throw ProtocolError(404, "unknown model '" + n + "' (GET /v1/models lists the loaded models)");
}

nlohmann::json Engine::ModelsJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : models_) {
    const ModelBundle& b = m->recognizer->bundle();
    list.push_back({{"name", m->spec.name},
                    {"default", m->spec.name == default_model()},
                    {"arch", b.arch},
                    {"labels", b.labels},
                    {"features", b.features},
                    {"scorer", m->scorer},
                    {"calibrated", b.HasCalibration()},
                    {"explain", b.arch.IsAttCrnn()},
                    {"sample_rate", b.features.frame.sample_rate}});
  }
  return {{"models", list}};
}

std::vector<std::pair<std::string, std::string>> Engine::ModelArchs() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& m : models_) out.emplace_back(m->spec.name, m->recognizer->bundle().arch.Name());
  return out;
}

nlohmann::json Engine::Classify(const std::string& model, std::string_view audio, const std::string& name,
                                bool segments) {
  Model& m = Get(model);
  return AsUploadErrors([&] {
    const RecordingScore r = m.recognizer->Classify(Upload(audio, name), segments, 64, m.Scorer());
    return RecordingJson(r, m.recognizer->labels(), segments);
  });
}

bool Engine::CanExplain(const std::string& model) const { return Get(model).recognizer->bundle().arch.IsAttCrnn(); }

std::string Engine::ExplainPng(const std::string& model, std::string_view audio, const std::string& name) {
  Model& m = Get(model);
  if (!m.recognizer->bundle().arch.IsAttCrnn()) {
    throw ProtocolError(400, "model '" + m.spec.name + "' is a " + m.recognizer->bundle().arch.Name() +
                                 ": the attention picture needs an Att-CRNN");
  }
  std::lock_guard<std::mutex> lock(m.explain_mu);
  if (!m.explainer) m.explainer = std::make_unique<Explainer>(LoadBundle(m.spec.path, torch::kCPU), torch::kCPU, m.recognizer->score_kind());
  return AsUploadErrors([&] { return EncodePng(RenderExplanation(m.explainer->Explain(Upload(audio, name), 8))); });
}

std::unique_ptr<EngineStream> Engine::OpenStream(const std::string& model, const StreamHeader& header) {
  Model& m = Get(model);
  StreamOptions o;
  o.rate = header.sample_rate;
  o.channels = header.channels;
  o.format = PcmFormatName(header.format);
  return std::make_unique<Stream>(*m.recognizer, o, m.Scorer());
}

BatchStats Engine::batch_stats() const {
  BatchStats t;
  for (const auto& m : models_) {
    const BatchStats s = m->batcher->stats();
    t.calls += s.calls;
    t.segments += s.segments;
    t.requests += s.requests;
    t.max_batch_seen = std::max(t.max_batch_seen, s.max_batch_seen);
  }
  return t;
}

}  // namespace ascnet::serve
