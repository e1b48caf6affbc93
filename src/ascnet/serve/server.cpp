#include "ascnet/serve/server.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/text.h"
#include "ascnet/serve/engine.h"
#include "ascnet/serve/metrics.h"
#include "ascnet/serve/pool.h"
#include "ascnet/serve/protocol.h"

namespace ascnet::serve {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Ms(double seconds) { return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)); }

// Constant-time comparison of the bearer token.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

class Session {
 public:
  virtual ~Session() = default;
  virtual void PostDrain() = 0;  // runs Drain() on the session's own strand
};

}  // namespace

struct Server::Impl {
  explicit Impl(const ServeOptions& o)
      : options(o), engine(o), pool(o.workers, o.queue), acceptor(ioc), signals(ioc) {
    if (!o.token_file.empty()) {
      std::ifstream in(o.token_file);
      if (!in) throw IoError(WithPath(o.token_file, "cannot read the token file"));
      std::string t((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      token = Trim(t);
      if (token.empty()) throw ConfigError(WithPath(o.token_file, "the token file is empty"));
    }
    beast::error_code ec;
    const auto address = net::ip::make_address(o.host, ec);
    if (ec) throw ConfigError("serve option host = " + o.host + " (expected an IP address such as 127.0.0.1: " + ec.message() + ")");
    const tcp::endpoint ep(address, static_cast<unsigned short>(o.port));
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw IoError("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (" + ec.message() + ")");
    port = acceptor.local_endpoint().port();
  }

  void Accept();
  void BeginDrain();
  void Register(const std::shared_ptr<Session>& s) {
    std::lock_guard<std::mutex> lock(sessions_mu);
    for (auto it = sessions.begin(); it != sessions.end();) it = it->expired() ? sessions.erase(it) : std::next(it);
    sessions.push_back(s);
  }
  Metrics::Gauges Gauges() const {
    Metrics::Gauges g;
    g.open_streams = streams.load();
    g.open_connections = connections.load();
    g.queue_depth = pool.queued();
    g.busy_workers = pool.busy();
    g.body_bytes_reserved = body_bytes.load();
    const BatchStats b = engine.batch_stats();
    g.batch_calls = b.calls;
    g.batch_segments = b.segments;
    g.models = engine.ModelArchs();
    return g;
  }

  ServeOptions options;
  Engine engine;
  WorkerPool pool;
  Metrics metrics;
  std::string token;
  int port = 0;
  std::atomic<int> connections{0}, streams{0};
  std::atomic<int64_t> body_bytes{0};  // reserved by requests whose bodies are being read or handled
  std::atomic<bool> draining{false};
  std::mutex sessions_mu;
  std::list<std::weak_ptr<Session>> sessions;
  // Last: destroyed first, with the handlers (and sessions) they still hold.
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
};

namespace {

using Response = http::response<http::string_body>;

/// Bytes of a request body read per read call at most (the session's buffer is grown to this
/// while a body is read, and shrunk afterwards).
constexpr int64_t kBodyReadBytes = 256 * 1024;

// ---------------------------------------------------------------------------------------
// WebSocket /v1/stream
class WsSession : public Session, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Server::Impl& s, tcp::socket&& socket)
      : s_(s), ws_(std::move(socket)), proto_(s.options.max_stream_seconds) {
    ++s_.connections;
  }
  ~WsSession() override {
    --s_.connections;
    if (counted_) --s_.streams;
  }

  void Run(http::request<http::string_body> req) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = Ms(10);
    t.idle_timeout = Ms(s_.options.idle_timeout_s);
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.read_message_max(static_cast<size_t>(s_.options.max_frame_bytes));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "ascnet-serve");
    }));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) { self->OnAccept(ec); });
  }

  void PostDrain() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->Drain(); });
  }

 private:
  void Drain() {
    drain_ = true;
    if (reading_) Close(kCloseGoingAway, "server shutting down");
  }

  void OnAccept(beast::error_code ec) {
    if (ec) return;
    counted_ = true;
    if (++s_.streams > s_.options.max_streams) {
      Close(kCloseTryLater, "too many open streams (--max-streams " + std::to_string(s_.options.max_streams) + ")");
      return;
    }
    if (s_.draining) {
      Close(kCloseGoingAway, "server shutting down");
      return;
    }
    Read();
  }

  void Read() {
    if (drain_) {
      Close(kCloseGoingAway, "server shutting down");
      return;
    }
    reading_ = true;
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    reading_ = false;
    const Clock::time_point arrival = Clock::now();
    if (closing_) return;
    if (ec) {
      // Closed by the client, timed out, or a frame Beast rejected (too big: it closes 1009).
      int code = kCloseGoingAway;
      if (ec == websocket::error::closed) code = ws_.reason().code;
      else if (ec == websocket::error::message_too_big) code = kCloseTooBig;
      else if (ec == beast::error::timeout) code = kClosePolicy;
      s_.metrics.StreamClosed(code);
      return;
    }
    const bool text = ws_.got_text();
    auto data = std::make_shared<std::string>(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    StreamProtocol::Event ev;
    try {
      ev = proto_.OnMessage(text, *data);
    } catch (const ProtocolError& e) {
      Close(e.code(), e.what());
      return;
    }
    if (ev == StreamProtocol::Event::kHeader) {
      const StreamHeader& h = proto_.header();
      if (!h.model.empty() && !s_.engine.HasModel(h.model)) {
        Close(kClosePolicy, "unknown model '" + h.model + "'");
        return;
      }
      const std::string model = h.model.empty() ? s_.engine.default_model() : h.model;
      try {
        stream_ = s_.engine.OpenStream(model, h);
      } catch (const std::exception& e) {
        Close(kClosePolicy, e.what());
        return;
      }
      nlohmann::json ready{{"type", "ready"},          {"model", model},
                           {"labels", stream_->labels()}, {"sample_rate", h.sample_rate},
                           {"channels", h.channels},      {"format", PcmFormatName(h.format)}};
      Send(ready.dump());
      Read();
      return;
    }
    if (ev == StreamProtocol::Event::kAudio) s_.metrics.BytesDecoded(static_cast<int64_t>(data->size()));
    const bool end = ev == StreamProtocol::Event::kEnd;
    auto self = shared_from_this();
    const bool queued = s_.pool.TrySubmitWithReply([self, data, arrival, end]() -> std::function<void()> {
      auto events = std::make_shared<std::vector<nlohmann::json>>();
      std::string error;
      try {
        if (end) {
          self->stream_->Finish(events.get());
        } else {
          self->stream_->Accept(data->data(), data->size(), arrival, events.get());
        }
      } catch (const std::exception& e) {
        error = e.what();
      }
      return [self, events, error, end] {
        net::post(self->ws_.get_executor(), [self, events, error, end] { self->OnProcessed(*events, error, end); });
      };
    });
    if (!queued) Close(kCloseTryLater, "server busy (worker queue full); try again later");
  }

  void OnProcessed(const std::vector<nlohmann::json>& events, const std::string& error, bool end) {
    for (const nlohmann::json& e : events) {
      if (e.contains("latency_ms")) {
        if (e["latency_ms"].is_number()) s_.metrics.Segment(e["latency_ms"].get<double>() / 1000);
      }
      Send(e.dump());
    }
    if (!error.empty()) {
      Close(kCloseBadPayload, error);
    } else if (end) {
      Close(kCloseNormal, "end of stream");
    } else {
      Read();
    }
  }

  void Send(std::string text) {
    if (closing_) return;
    out_.push_back(std::move(text));
    if (!writing_) Write();
  }

  void Write() {
    if (out_.empty()) {
      writing_ = false;
      if (close_pending_) DoClose();
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->out_.pop_front();
      if (ec) {
        self->out_.clear();
        self->writing_ = false;
        return;
      }
      self->Write();
    });
  }

  void Close(int code, std::string reason) {
    if (close_pending_ || closing_) return;
    if (reason.size() > 123) reason = reason.substr(0, 120) + "...";  // RFC 6455: 123 bytes at most
    close_pending_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    if (!writing_) DoClose();
  }

  void DoClose() {
    if (closing_) return;
    closing_ = true;
    s_.metrics.StreamClosed(close_code_);
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_reason_),
                    [self = shared_from_this()](beast::error_code) {});
  }

  Server::Impl& s_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  StreamProtocol proto_;
  std::unique_ptr<EngineStream> stream_;
  std::deque<std::string> out_;
  bool writing_ = false, reading_ = false, counted_ = false, drain_ = false;
  bool close_pending_ = false, closing_ = false;
  int close_code_ = kCloseNormal;
  std::string close_reason_;
};

// ---------------------------------------------------------------------------------------
// HTTP
class HttpSession : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Server::Impl& s, tcp::socket&& socket, bool overloaded)
      : s_(s), stream_(std::move(socket)), deadline_(stream_.get_executor()), overloaded_(overloaded) {
    ++s_.connections;
  }
  ~HttpSession() override {
    ReleaseBody();
    --s_.connections;
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  void PostDrain() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Drain(); });
  }

 private:
  void Drain() {
    if (state_ == State::kReading && !got_bytes_) {
      drained_ = true;
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
  }

 private:
  enum class State { kReading, kBusy, kWriting, kClosed };

  // The global body budget (--max-body-total): `bytes` reserved for this request until the
  // next request on the connection or its end.
  bool ReserveBody(int64_t bytes) {
    int64_t cur = s_.body_bytes.load();
    do {
      if (cur + bytes > s_.options.max_body_total) return false;
    } while (!s_.body_bytes.compare_exchange_weak(cur, cur + bytes));
    body_reserved_ = bytes;
    return true;
  }
  void ReleaseBody() {
    s_.body_bytes -= body_reserved_;
    body_reserved_ = 0;
  }

  void Read() {
    ReleaseBody();
    state_ = State::kReading;
    timed_out_ = false;
    got_bytes_ = buffer_.size() > 0;
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(s_.options.max_body));
    parser_->header_limit(16 * 1024);
    deadline_.expires_after(Ms(first_ ? s_.options.request_timeout_s : s_.options.idle_timeout_s));
    deadline_.async_wait([w = weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = w.lock()) self->OnDeadline();
    });
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnDeadline() {
    if (state_ != State::kReading) return;
    timed_out_ = true;
    beast::error_code ec;
    stream_.socket().cancel(ec);
  }

  void OnHeader(beast::error_code ec) {
    if (!ec) {
      got_bytes_ = true;
      start_ = Clock::now();
      if (!first_) {
        // The idle wait is over: the rest of the request gets the request timeout.
        deadline_.expires_after(Ms(s_.options.request_timeout_s));
        deadline_.async_wait([w = weak_from_this()](beast::error_code e) {
          if (e) return;
          if (auto self = w.lock()) self->OnDeadline();
        });
      }
      const auto& req = parser_->get();
      if (websocket::is_upgrade(req)) {
        OnRead(ec);  // no body
        return;
      }
      // Refuse an oversized body before reading it (Content-Length known).
      if (parser_->content_length() && *parser_->content_length() > static_cast<uint64_t>(s_.options.max_body)) {
        OnRead(http::error::body_limit);
        return;
      }
      const int64_t body = parser_->content_length() ? static_cast<int64_t>(*parser_->content_length())
                                                     : (parser_->chunked() ? s_.options.max_body : 0);
      if (body > 0 && !ReserveBody(body)) {
        deadline_.cancel();
        first_ = false;
        SendError(503,
                  "server busy: request bodies of " + std::to_string(s_.body_bytes.load()) +
                      " bytes are held, this one would pass --max-body-total " +
                      std::to_string(s_.options.max_body_total) + " bytes",
                  "other", true, "1");
        return;
      }
      // Beast reads at most the buffer's free capacity per read: with the few KB left by the
      // header, a 5 MB upload took ~1000 reads whose completions (executor and timer
      // bookkeeping) cost ~20 ms. Larger reads for the body; the buffer shrinks back after it.
      if (body > 0) buffer_.reserve(buffer_.size() + static_cast<size_t>(std::min<int64_t>(body, kBodyReadBytes)));
      // A client that asks (curl does for bodies over 1 MB) waits for "100 Continue".
      if (beast::iequals(req[http::field::expect], "100-continue")) {
        auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
        http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, size_t) {
          if (e) {
            self->OnRead(e);
            return;
          }
          http::async_read(self->stream_, self->buffer_, *self->parser_,
                           [self](beast::error_code e2, size_t) { self->OnRead(e2); });
        });
        return;
      }
      http::async_read(stream_, buffer_, *parser_,
                       [self = shared_from_this()](beast::error_code e, size_t) { self->OnRead(e); });
      return;
    }
    OnRead(ec);
  }

  void OnRead(beast::error_code ec) {
    deadline_.cancel();
    first_ = false;
    if (start_ == Clock::time_point{}) start_ = Clock::now();
    if (timed_out_) {
      if (got_bytes_ || buffer_.size() > 0) {
        SendError(408, "request not received within " + ShortNumber(s_.options.request_timeout_s) +
                           " s (--request-timeout); the client sent too slowly or stopped mid-request",
                  "other", true);
      } else {
        Close();
      }
      return;
    }
    if (drained_ || ec == http::error::end_of_stream || ec == net::error::operation_aborted) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      SendError(413, "request body over --max-body " + std::to_string(s_.options.max_body) + " bytes", "other", true);
      return;
    }
    if (ec == http::error::header_limit) {
      SendError(431, "request header over 16384 bytes", "other", true);
      return;
    }
    if (ec == http::error::partial_message || ec == net::error::eof || ec == net::error::connection_reset) {
      Close();  // the client went away mid-request
      return;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        SendError(400, "malformed HTTP request (" + ec.message() + ")", "other", true);
      } else {
        Close();
      }
      return;
    }
    // An idle connection keeps no body-sized buffer (small buffers stay for the next header).
    if (buffer_.capacity() > static_cast<size_t>(kBodyReadBytes) / 4) buffer_.shrink_to_fit();
    Handle(parser_->release());
  }

  Response MakeResponse(int status, const std::string& content_type, std::string body) {
    Response res{static_cast<http::status>(status), version_};
    res.set(http::field::server, "ascnet-serve");
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    if (!s_.options.cors_origin.empty()) {
      res.set(http::field::access_control_allow_origin, s_.options.cors_origin);
      res.set(http::field::vary, "Origin");
    }
    res.body() = std::move(body);
    return res;
  }

  void SendError(int status, const std::string& message, const std::string& endpoint, bool close,
                 const std::string& retry_after = "") {
    nlohmann::json j{{"error", message}, {"status", status}};
    Response res = MakeResponse(status, "application/json", j.dump() + "\n");
    if (!retry_after.empty()) res.set(http::field::retry_after, retry_after);
    if (status == 401) res.set(http::field::www_authenticate, "Bearer");
    Send(std::move(res), endpoint, close);
  }

  void Handle(http::request<http::string_body> req) {
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    const std::string target(req.target());
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    std::map<std::string, std::string> query;
    const bool is_ws = websocket::is_upgrade(req);
    std::string endpoint = "other";
    for (const char* e : {"/", "/healthz", "/metrics", "/v1/models", "/v1/classify", "/v1/explain", "/v1/stream"}) {
      if (path == e) endpoint = e;
    }
    try {
      if (q != std::string::npos) query = ParseQuery(std::string_view(target).substr(q + 1));
    } catch (const ProtocolError& e) {
      SendError(e.code(), e.what(), endpoint, false);
      return;
    }
    if (overloaded_) {
      SendError(503, "too many open connections (--max-connections " + std::to_string(s_.options.max_connections) + ")",
                endpoint, true, "1");
      return;
    }
    if (s_.draining) {
      SendError(503, "server shutting down", endpoint, true, "5");
      return;
    }
    const auto method = req.method();
    if (method == http::verb::options && !s_.options.cors_origin.empty()) {
      Response res = MakeResponse(204, "text/plain", "");
      res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
      res.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
      res.set(http::field::access_control_max_age, "600");
      Send(std::move(res), endpoint, false);
      return;
    }
    // Authorisation: everything but the page and the health check needs the token when set.
    if (!s_.token.empty() && endpoint != "/" && endpoint != "/healthz") {
      std::string given;
      const auto auth = req[http::field::authorization];
      if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
        given = Trim(std::string(auth.substr(7)));
      } else if (is_ws && query.count("token")) {
        given = query["token"];  // browsers cannot set headers on a WebSocket
      }
      if (!SameToken(given, s_.token)) {
        SendError(401, given.empty() ? "missing bearer token (Authorization: Bearer TOKEN)" : "bad bearer token",
                  endpoint, false);
        return;
      }
    }
    if (is_ws) {
      if (endpoint != "/v1/stream") {
        SendError(404, "no WebSocket endpoint " + path + " (the stream endpoint is /v1/stream)", endpoint, true);
        return;
      }
      s_.metrics.Request(endpoint, 101, 0);
      state_ = State::kClosed;
      deadline_.cancel();
      auto ws = std::make_shared<WsSession>(s_, stream_.release_socket());
      s_.Register(ws);
      ws->Run(std::move(req));
      return;
    }
    auto allow = [&](http::verb v) {
      if (method == v) return true;
      SendError(405, "method " + std::string(req.method_string()) + " not allowed on " + path + " (expected " +
                         std::string(http::to_string(v)) + ")",
                endpoint, false);
      return false;
    };
    if (endpoint == "/") {
      if (allow(http::verb::get)) Send(MakeResponse(200, "text/html; charset=utf-8", PageHtml()), endpoint, false);
    } else if (endpoint == "/healthz") {
      if (allow(http::verb::get)) {
        nlohmann::json j{{"status", "ok"}, {"models", s_.engine.ModelsJson()["models"].size()}};
        Send(MakeResponse(200, "application/json", j.dump() + "\n"), endpoint, false);
      }
    } else if (endpoint == "/metrics") {
      if (allow(http::verb::get)) {
        Send(MakeResponse(200, "text/plain; version=0.0.4; charset=utf-8", s_.metrics.Render(s_.Gauges())), endpoint,
             false);
      }
    } else if (endpoint == "/v1/models") {
      if (allow(http::verb::get)) Send(MakeResponse(200, "application/json", s_.engine.ModelsJson().dump() + "\n"), endpoint, false);
    } else if (endpoint == "/v1/classify" || endpoint == "/v1/explain") {
      if (allow(http::verb::post)) Upload(std::move(req), query, endpoint);
    } else if (endpoint == "/v1/stream") {
      SendError(426, "/v1/stream is a WebSocket endpoint (send an Upgrade: websocket request)", endpoint, false);
    } else {
      SendError(404, "no such endpoint: " + path + " (see GET / and docs/serving.md)", endpoint, false);
    }
  }

  void Upload(http::request<http::string_body> req, std::map<std::string, std::string>& query,
              const std::string& endpoint) {
    const bool explain = endpoint == "/v1/explain";
    std::string model, name = "upload";
    bool segments = false;
    auto body = std::make_shared<std::string>(std::move(req.body()));
    size_t offset = 0, length = body->size();
    try {
      for (const auto& [k, v] : query) {
        if (k == "model") model = v;
        else if (k == "segments" && !explain) segments = ParseBool(k, v);
        else throw ProtocolError(400, "unknown query parameter '" + k + "' (expected model" + (explain ? "" : ", segments") + ")");
      }
      if (!model.empty() && !s_.engine.HasModel(model)) {
        throw ProtocolError(404, "unknown model '" + model + "' (GET /v1/models lists the loaded models)");
      }
      if (model.empty()) model = s_.engine.default_model();
      if (explain && !s_.engine.CanExplain(model)) {
        throw ProtocolError(400, "model '" + model + "' is not an Att-CRNN: no attention picture");
      }
      std::string ct(req[http::field::content_type]);
      const std::string type = ct.substr(0, ct.find(';'));
      std::string lower = Trim(type);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "multipart/form-data") {
        const MultipartFile f = ParseMultipart(*body, MultipartBoundary(ct));
        offset = static_cast<size_t>(f.data.data() - body->data());
        length = f.data.size();
        if (!f.filename.empty()) name = f.filename;
      } else if (lower.rfind("audio/", 0) != 0 && lower != "application/octet-stream") {
        throw ProtocolError(415, "unsupported Content-Type '" + ct +
                                     "' (expected audio/*, application/octet-stream or multipart/form-data)");
      }
      if (length == 0) throw ProtocolError(400, "empty audio (the request body holds no bytes)");
    } catch (const ProtocolError& e) {
      SendError(e.code(), e.what(), endpoint, false);
      return;
    }
    s_.metrics.BytesDecoded(static_cast<int64_t>(length));
    state_ = State::kBusy;
    auto self = shared_from_this();
    const bool queued = s_.pool.TrySubmitWithReply([self, body, offset, length, model, name, segments, explain,
                                                    endpoint]() -> std::function<void()> {
      int status = 200;
      std::string out, type = "application/json";
      const std::string_view audio(body->data() + offset, length);
      try {
        if (explain) {
          out = self->s_.engine.ExplainPng(model, audio, name);
          type = "image/png";
        } else {
          const nlohmann::json j = self->s_.engine.Classify(model, audio, name, segments);
          self->s_.metrics.Classified(j.value("num_segments", int64_t{0}));
          out = j.dump() + "\n";
        }
      } catch (const ProtocolError& e) {
        status = e.code();
        out = e.what();
      } catch (const AudioError& e) {
        status = 415;
        out = std::string("not decodable audio: ") + e.what();
      } catch (const std::exception& e) {
        status = 500;
        out = e.what();
      }
      body->clear();
      body->shrink_to_fit();
      return [self, status, out, type, endpoint] {
        net::post(self->stream_.get_executor(), [self, status, out, type, endpoint] {
          if (status == 200) {
            self->Send(self->MakeResponse(200, type, out), endpoint, false);
          } else {
            self->SendError(status, out, endpoint, false);
          }
        });
      };
    });
    if (!queued) {
      state_ = State::kReading;
      SendError(503, "server busy: " + std::to_string(s_.options.queue) + " request(s) already waiting (--queue)",
                endpoint, false, "1");
    }
  }

  void Send(Response res, const std::string& endpoint, bool close) {
    const bool keep = keep_alive_ && !close && !s_.draining;
    res.keep_alive(keep);
    res.prepare_payload();
    s_.metrics.Request(endpoint, res.result_int(),
                       std::chrono::duration<double>(Clock::now() - (start_ == Clock::time_point{} ? Clock::now() : start_)).count());
    start_ = Clock::time_point{};
    state_ = State::kWriting;
    auto sp = std::make_shared<Response>(std::move(res));
    stream_.expires_after(Ms(s_.options.request_timeout_s));
    http::async_write(stream_, *sp, [self = shared_from_this(), sp, keep](beast::error_code ec, size_t) {
      self->stream_.expires_never();
      if (ec) {
        self->Close();
        return;
      }
      if (keep) {
        self->Read();
      } else {
        self->Linger();
      }
    });
  }

  // After an answer that ends the connection: stop sending, then read and discard what the
  // client is still sending (for a while) so that it sees the answer instead of a reset.
  void Linger() {
    state_ = State::kClosed;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    linger_until_ = Clock::now() + std::chrono::seconds(2);
    LingerRead();
  }

  void LingerRead() {
    if (Clock::now() > linger_until_) {
      Close();
      return;
    }
    stream_.expires_at(linger_until_);
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->Close();
        return;
      }
      self->LingerRead();
    });
  }

  void Close() {
    state_ = State::kClosed;
    deadline_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  Server::Impl& s_;
  beast::tcp_stream stream_;
  net::steady_timer deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  State state_ = State::kReading;
  bool overloaded_ = false, timed_out_ = false, got_bytes_ = false, drained_ = false, first_ = true;
  bool keep_alive_ = true;
  int64_t body_reserved_ = 0;  // of --max-body-total, held by the current request
  unsigned version_ = 11;
  Clock::time_point start_{}, linger_until_{};
  char scratch_[16384];
};

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      Accept();
      return;
    }
    const bool overloaded = connections.load() >= options.max_connections;
    auto session = std::make_shared<HttpSession>(*this, std::move(socket), overloaded);
    Register(session);
    session->Start();
    Accept();
  });
}

void Server::Impl::BeginDrain() {
  if (draining.exchange(true)) return;
  net::post(ioc, [this] {
    beast::error_code ec;
    acceptor.close(ec);
    std::lock_guard<std::mutex> lock(sessions_mu);
    for (auto& w : sessions) {
      if (auto s = w.lock()) s->PostDrain();
    }
  });
}

Server::Server(const ServeOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Server::~Server() = default;

int Server::port() const { return impl_->port; }
const std::string& Server::batching() const { return impl_->engine.batching(); }

void Server::Stop() { impl_->BeginDrain(); }

void Server::Run(bool handle_signals) {
  Impl& s = *impl_;
  if (handle_signals) {
    s.signals.add(SIGTERM);
    s.signals.add(SIGINT);
    s.signals.async_wait([&s](beast::error_code ec, int) {
      if (!ec) s.BeginDrain();
    });
  }
  s.Accept();
  // A watchdog on the io_context: once draining, stop when every connection has ended and no
  // job is left, or when the drain timeout has passed.
  net::steady_timer watch(s.ioc);
  std::optional<Clock::time_point> drain_deadline;
  std::function<void()> tick = [&] {
    watch.expires_after(std::chrono::milliseconds(50));
    watch.async_wait([&](beast::error_code ec) {
      if (ec) return;
      if (s.draining) {
        if (!drain_deadline) drain_deadline = Clock::now() + Ms(s.options.drain_timeout_s);
        const bool idle = s.connections.load() == 0 && s.pool.queued() == 0 && s.pool.busy() == 0;
        if (idle || Clock::now() > *drain_deadline) {
          s.signals.cancel();
          s.ioc.stop();
          return;
        }
      }
      tick();
    });
  };
  tick();
  std::vector<std::thread> threads;
  for (int i = 1; i < s.options.io_threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (std::thread& t : threads) t.join();
  // Jobs still queued after the drain timeout are dropped (their connections are gone); the
  // running ones finish (one recording each at most).
  s.pool.Shutdown(/*drop_queued=*/true);
}

int RunServer(const ServeOptions& options, std::ostream& log) {
  options.Validate();
  Server server(options);
  log << "ascnet serve: " << options.ToString() << "\n";
  log << "ascnet serve: batching " << server.batching() << "\n";
  log << "ascnet serve: listening on http://" << options.host << ":" << server.port() << "/ (page), "
      << "ws://" << options.host << ":" << server.port() << "/v1/stream" << std::endl;
  server.Run(true);
  log << "ascnet serve: stopped" << std::endl;
  return 0;
}

}  // namespace ascnet::serve
