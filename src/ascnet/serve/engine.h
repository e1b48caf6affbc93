// The models behind `ascnet serve` and what the HTTP/WebSocket front end asks of them. This
// header does not include LibTorch (engine.cpp is the serve stage's only LibTorch unit):
// recordings are classified by the infer stage's Recognizer (Classify, RecordingJson),
// streams by its StreamClassifier, explanations by its Explainer, and every network call of
// every request goes through one dynamic Batcher per model.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ascnet/serve/batcher.h"
#include "ascnet/serve/options.h"
#include "ascnet/serve/protocol.h"

namespace ascnet::serve {

/// One live stream (not thread-safe: one caller at a time).
class EngineStream {
 public:
  virtual ~EngineStream() = default;
  /// Decodes `n` PCM bytes that arrived at `arrival`; appends one JSON object per completed
  /// segment (what `ascnet stream` prints) to *events. AudioError for bytes that are not PCM.
  virtual void Accept(const void* data, size_t n, std::chrono::steady_clock::time_point arrival,
                      std::vector<nlohmann::json>* events) = 0;
  /// End of input: the padded last segment(s), then the summary line.
  virtual void Finish(std::vector<nlohmann::json>* events) = 0;
  virtual const std::vector<std::string>& labels() const = 0;
};

class Engine {
 public:
  /// Loads every model of `options` (IoError/FormatError/ConfigError naming the bundle).
  explicit Engine(const ServeOptions& options);
  ~Engine();

  const std::string& default_model() const;
  bool HasModel(const std::string& name) const;
  /// {"models": [{"name", "default", "path"-less facts: "arch", "labels", "features", "scorer",
  ///  "explain"}]} for GET /v1/models.
  nlohmann::json ModelsJson() const;
  std::vector<std::pair<std::string, std::string>> ModelArchs() const;  ///< name, arch

  /// Classifies `audio`, the bytes of an uploaded file (decoded in memory, never written to
  /// disk), with `model`: exactly what `ascnet classify [--segments]` prints, "file" set to
  /// `name`. AudioError naming `name` for anything not decodable.
  nlohmann::json Classify(const std::string& model, std::string_view audio, const std::string& name, bool segments);
  /// Whether `model` is an Att-CRNN (has an attention picture).
  bool CanExplain(const std::string& model) const;
  /// The PNG `ascnet explain` draws for the uploaded `audio`. ProtocolError 400 for a CNN.
  std::string ExplainPng(const std::string& model, std::string_view audio, const std::string& name);
  std::unique_ptr<EngineStream> OpenStream(const std::string& model, const StreamHeader& header);

  BatchStats batch_stats() const;  ///< summed over models
  /// Whether segments of different requests share network calls: only where a segment's
  /// results are the same bits in any batch (RowsIndependentOfBatch: with OpenBLAS, whatever
  /// its kernels), so that every answer is what `classify`/`stream` give alone. batching():
  /// that choice and its reason, in words.
  bool joins_requests() const { return join_requests_; }
  const std::string& batching() const { return batching_; }

 private:
  struct Model;
  Model& Get(const std::string& name) const;
  std::vector<std::unique_ptr<Model>> models_;
  bool join_requests_ = true;
  std::string batching_;
};

}  // namespace ascnet::serve
