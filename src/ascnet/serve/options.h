// Options of `ascnet serve` (Kaldi/sherpa-onnx style: defaults, units, Validate, ToString).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ascnet::serve {

/// A model the server loads: clients select it by `name` (?model=NAME, the stream header).
struct ModelSpec {
  std::string name;   ///< [A-Za-z0-9._-]{1,64}
  std::string path;   ///< model bundle (.ascnet) on the server's disk (never a client's path)
};

struct ServeOptions {
  std::vector<ModelSpec> models;      ///< >= 1; the first is the default model
  std::string scorer = "auto";        ///< auto, softmax or svm (for every model)
  std::string host = "127.0.0.1";     ///< address to bind; 0.0.0.0 only when asked
  int port = 8080;                    ///< TCP port (0 = any free port, printed at start)
  int io_threads = 2;                 ///< threads running the network I/O (1..64)
  int workers = 2;                    ///< classification workers: decode + features (1..256)
  int queue = 64;                     ///< jobs waiting for a worker before 503 (0..100000)
  int torch_threads = 1;              ///< LibTorch intra-op threads for the batched network calls
  int64_t max_batch = 64;             ///< segments per batched network call (1..4096)
  double batch_wait_ms = 2;           ///< longest wait for other requests' segments (0..1000 ms)
  int64_t max_body = 64ll << 20;      ///< request body limit, bytes (1 KiB..4 GiB) -> 413
  int64_t max_body_total = 512ll << 20;  ///< bodies held at once over all connections, bytes
                                         ///< (>= max_body; a request's Content-Length, or max_body
                                         ///< when unknown, is reserved before its body is read) -> 503
  double request_timeout_s = 30;      ///< a whole request (header + body) must arrive within it, s
  double idle_timeout_s = 30;         ///< keep-alive connection / stream without data, s
  double max_stream_seconds = 3600;   ///< audio seconds per WebSocket stream (> 0)
  int64_t max_frame_bytes = 1 << 20;  ///< one WebSocket message, bytes (64..64 MiB)
  int max_connections = 256;          ///< open connections (HTTP + streams) before refusing (1..100000)
  int max_streams = 64;               ///< open WebSocket streams (0..100000)
  double drain_timeout_s = 10;        ///< on SIGTERM/SIGINT: longest wait for in-flight work, s
  std::string token_file;             ///< file holding the bearer token ("" = no auth)
  std::string cors_origin;            ///< Access-Control-Allow-Origin value ("" = CORS off)

  void Validate() const;  ///< ConfigError naming the field and the expected value
  std::string ToString() const;
};

/// "NAME=PATH" or "PATH" (name = the file's stem). ConfigError for a bad name.
ModelSpec ParseModelSpec(const std::string& text);

}  // namespace ascnet::serve
