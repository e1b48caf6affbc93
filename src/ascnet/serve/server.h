// `ascnet serve`: HTTP and WebSocket front end over an Engine (Boost.Beast/Asio).
//   POST /v1/classify[?model=NAME&segments=true]  audio (raw body or multipart) -> the JSON
//                                                 object `ascnet classify` prints
//   POST /v1/explain[?model=NAME]                 audio -> the PNG `ascnet explain` draws
//   GET  /v1/models, /healthz, /metrics (Prometheus), / (the browser page)
//   WS   /v1/stream                               live PCM -> one JSON per segment + summary
// Classification runs on a bounded worker pool (503 + Retry-After when its queue is full);
// network I/O on its own threads. A client's bad input ends that client's request or stream
// only. SIGTERM/SIGINT: stop accepting, finish in-flight work (up to drain_timeout_s), return.
#pragma once

#include <functional>
#include <memory>
#include <ostream>

#include "ascnet/serve/options.h"

namespace ascnet::serve {

class Engine;

class Server {
 public:
  /// Loads the models and binds the listening socket (IoError naming the address if it
  /// cannot). Reads the token file (IoError/ConfigError). Prints nothing.
  explicit Server(const ServeOptions& options);
  ~Server();

  int port() const;  ///< the bound port (useful with port 0)
  /// How network calls are batched, in words (Engine::batching(): across requests, or per
  /// request where the BLAS kernels make a row's result depend on its batch).
  const std::string& batching() const;
  /// Serves until Stop() or, with `handle_signals`, SIGTERM/SIGINT; then drains and returns.
  void Run(bool handle_signals = true);
  /// Starts the graceful stop (thread-safe).
  void Stop();

  struct Impl;  ///< server.cpp (public only so that its sessions can name it)

 private:
  std::unique_ptr<Impl> impl_;
};

/// Prints the effective configuration and the address to `log`, serves until SIGTERM/SIGINT,
/// drains, and returns 0 (what `ascnet serve` runs).
int RunServer(const ServeOptions& options, std::ostream& log);

/// The self-contained browser page served at GET / (page.cpp).
const std::string& PageHtml();

}  // namespace ascnet::serve
