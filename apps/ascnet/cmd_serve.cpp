// `ascnet serve`: classification over HTTP and WebSocket (flags -> ServeOptions -> RunServer).
#include <iostream>

#include "ascnet/serve/options.h"
#include "ascnet/serve/server.h"
#include "cli_common.h"
#include "commands.h"

namespace ascnet::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  serve::ServeOptions options;
};

int RunServe(ServeArgs& a) {
  a.options.models.clear();
  for (const std::string& m : a.models) a.options.models.push_back(serve::ParseModelSpec(m));
  return serve::RunServer(a.options, std::cerr);
}

}  // namespace

void RegisterServe(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  serve::ServeOptions& o = a->options;
  CLI::App* c = AddCommand(app, "serve",
                           "Serve models over HTTP and WebSocket: POST /v1/classify, WS /v1/stream, GET /v1/models, "
                           "/healthz, /metrics and a browser page at / (docs/serving.md)",
                           "ascnet serve --model runs/demo/splits/fold1/attcrnn-logmel/model.ascnet --port 8080 & sleep 5; "
                           "curl -s --data-binary @recording.wav -H 'Content-Type: audio/wav' "
                           "http://127.0.0.1:8080/v1/classify",
                           [a] { return RunServe(*a); });
  c->add_option("--model", a->models, "Model bundle, BUNDLE or NAME=BUNDLE (repeatable; the first is the default)")
      ->required();
  c->add_option("--scorer", o.scorer, "Posteriors from the calibrated SVM (svm), the network (softmax), or auto")
      ->check(CLI::IsMember({"auto", "softmax", "svm"}))
      ->capture_default_str();
  c->add_option("--host", o.host, "Address to bind (0.0.0.0 exposes the server to the network)")->capture_default_str();
  c->add_option("--port", o.port, "TCP port (0 = any free port, printed at start)")->capture_default_str();
  c->add_option("--threads", o.workers, "Classification workers (decoding and features run in parallel)")
      ->capture_default_str();
  c->add_option("--io-threads", o.io_threads, "Network I/O threads")->capture_default_str();
  c->add_option("--torch-threads", o.torch_threads, "LibTorch threads of the batched network calls")->capture_default_str();
  c->add_option("--queue", o.queue, "Jobs waiting for a worker before 503 + Retry-After")->capture_default_str();
  c->add_option("--max-batch", o.max_batch, "Segments per batched network call")->capture_default_str();
  c->add_option("--batch-wait-ms", o.batch_wait_ms, "Longest wait for other requests' segments (ms)")->capture_default_str();
  c->add_option("--max-body", o.max_body, "Request body limit (bytes) -> 413")->capture_default_str();
  c->add_option("--max-body-total", o.max_body_total,
                "Request bodies held at once over all connections (bytes; >= --max-body) -> 503 + Retry-After")
      ->capture_default_str();
  c->add_option("--request-timeout", o.request_timeout_s, "A request (header + body) must arrive within this (s) -> 408")
      ->capture_default_str();
  c->add_option("--idle-timeout", o.idle_timeout_s, "Keep-alive connection or stream without data is closed after (s)")
      ->capture_default_str();
  c->add_option("--max-stream-seconds", o.max_stream_seconds, "Audio per WebSocket stream (s) -> close 1009")
      ->capture_default_str();
  c->add_option("--max-frame-bytes", o.max_frame_bytes, "One WebSocket message (bytes) -> close 1009")->capture_default_str();
  c->add_option("--max-connections", o.max_connections, "Open connections before 503")->capture_default_str();
  c->add_option("--max-streams", o.max_streams, "Open WebSocket streams before close 1013")->capture_default_str();
  c->add_option("--drain-timeout", o.drain_timeout_s, "On SIGTERM/SIGINT: longest wait for in-flight work (s)")
      ->capture_default_str();
  c->add_option("--token-file", o.token_file, "File with a bearer token that clients must send (Authorization: Bearer)");
  c->add_option("--cors", o.cors_origin, "Allow this browser origin (Access-Control-Allow-Origin); off by default");
}

}  // namespace ascnet::cli
