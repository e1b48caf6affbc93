#include "ascnet/serve/options.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "ascnet/core/error.h"

namespace ascnet::serve {
namespace {

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

template <class T>
void Range(const char* field, T v, T lo, T hi, const std::string& unit = "") {
  if (v < lo || v > hi) {
    std::ostringstream os;
    os << "serve option " << field << " = " << v << " (expected " << lo << ".." << hi << unit << ")";
    throw ConfigError(os.str());
  }
}

}  // namespace

ModelSpec ParseModelSpec(const std::string& text) {
  ModelSpec m;
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    m.path = text;
    m.name = std::filesystem::path(text).stem().string();
  } else {
    m.name = text.substr(0, eq);
    m.path = text.substr(eq + 1);
  }
  if (!ValidName(m.name)) {
    throw ConfigError("--model " + text + ": model name '" + m.name + "' (expected 1-64 characters of A-Z a-z 0-9 . _ -)");
  }
  if (m.path.empty()) throw ConfigError("--model " + text + ": empty bundle path");
  return m;
}

void ServeOptions::Validate() const {
  if (models.empty()) throw ConfigError("serve option models: none (expected at least one --model BUNDLE)");
  std::set<std::string> names;
  for (const ModelSpec& m : models) {
    if (!ValidName(m.name)) throw ConfigError("serve option models: name '" + m.name + "' (expected [A-Za-z0-9._-]{1,64})");
    if (!names.insert(m.name).second) throw ConfigError("serve option models: name '" + m.name + "' given twice");
  }
  if (scorer != "auto" && scorer != "softmax" && scorer != "svm") {
    throw ConfigError("serve option scorer = " + scorer + " (expected auto, softmax or svm)");
  }
  if (host.empty()) throw ConfigError("serve option host: empty (expected an address such as 127.0.0.1)");
  Range("port", port, 0, 65535);
  Range("io_threads", io_threads, 1, 64);
  Range("workers", workers, 1, 256);
  Range("queue", queue, 0, 100000);
  Range("torch_threads", torch_threads, 1, 256);
  Range<int64_t>("max_batch", max_batch, 1, 4096, " segments");
  Range("batch_wait_ms", batch_wait_ms, 0.0, 1000.0, " ms");
  Range<int64_t>("max_body", max_body, 1024, 4ll << 30, " bytes");
  Range<int64_t>("max_body_total", max_body_total, max_body, 1ll << 40, " bytes (at least max_body)");
  Range("request_timeout_s", request_timeout_s, 0.01, 86400.0, " s");
  Range("idle_timeout_s", idle_timeout_s, 0.01, 86400.0, " s");
  Range("max_stream_seconds", max_stream_seconds, 0.001, 1e7, " s");
  Range<int64_t>("max_frame_bytes", max_frame_bytes, 64, 64ll << 20, " bytes");
  Range("max_connections", max_connections, 1, 100000);
  Range("max_streams", max_streams, 0, 100000);
  Range("drain_timeout_s", drain_timeout_s, 0.0, 3600.0, " s");
  if (cors_origin.find_first_of("\r\n") != std::string::npos) {
    throw ConfigError("serve option cors_origin contains a line break (expected an origin such as https://example.org)");
  }
}

std::string ServeOptions::ToString() const {
  std::ostringstream os;
  os << "ServeOptions{models=[";
  for (size_t i = 0; i < models.size(); ++i) os << (i ? ", " : "") << models[i].name << "=" << models[i].path;
  os << "], scorer=" << scorer << ", host=" << host << ", port=" << port << ", io_threads=" << io_threads
     << ", workers=" << workers << ", queue=" << queue << ", torch_threads=" << torch_threads
     << ", max_batch=" << max_batch << " segments, batch_wait_ms=" << batch_wait_ms << " ms, max_body=" << max_body
     << " bytes, request_timeout_s=" << request_timeout_s << " s, idle_timeout_s=" << idle_timeout_s
     << " s, max_stream_seconds=" << max_stream_seconds << " s, max_frame_bytes=" << max_frame_bytes
     << " bytes, max_connections=" << max_connections << ", max_streams=" << max_streams
     << ", drain_timeout_s=" << drain_timeout_s << " s, token=" << (token_file.empty() ? "off" : "from " + token_file)
     << ", cors=" << (cors_origin.empty() ? "off" : cors_origin) << "}";
  return os.str();
}

}  // namespace ascnet::serve
