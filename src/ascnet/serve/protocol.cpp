#include "ascnet/serve/protocol.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "ascnet/core/text.h"

namespace ascnet::serve {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of parameter `name` in a header such as `form-data; name="file"; filename="a.wav"`.
std::string Param(std::string_view header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t semi = pos;
    bool quoted = false;
    while (semi < header.size() && (quoted || header[semi] != ';')) {
      if (header[semi] == '"') quoted = !quoted;
      else if (quoted && header[semi] == '\\') ++semi;
      ++semi;
    }
    const std::string_view item = Trim(header.substr(pos, std::min(semi, header.size()) - pos));
    pos = semi + 1;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || Lower(Trim(item.substr(0, eq))) != name) continue;
    std::string_view v = Trim(item.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      v = v.substr(1, v.size() - 2);
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        out += v[i];
      }
      return out;
    }
    return std::string(v);
  }
  return "";
}

// Calls f(piece) for each piece of `s` between occurrences of `sep` (the last piece runs to
// the end; an empty `s` has none).
template <class F>
void ForEachPiece(std::string_view s, std::string_view sep, F&& f) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    f(s.substr(pos, end - pos));
    pos = end + sep.size();
  }
}

}  // namespace

std::string ShortNumber(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string_view v) {
    std::string o;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '+') {
        o += ' ';
      } else if (v[i] == '%') {
        auto hex = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        const int hi = i + 2 < v.size() ? hex(v[i + 1]) : -1, lo = i + 2 < v.size() ? hex(v[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw ProtocolError(400, "bad %-escape in the query string");
        o += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        o += v[i];
      }
    }
    return o;
  };
  ForEachPiece(query, "&", [&](std::string_view item) {
    if (item.empty()) return;
    const size_t eq = item.find('=');
    out[decode(item.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(item.substr(eq + 1));
    if (out.size() > 32) throw ProtocolError(400, "more than 32 query parameters");
  });
  return out;
}

bool ParseBool(const std::string& name, const std::string& value) {
  const std::string v = Lower(value);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no" || v.empty()) return false;
  throw ProtocolError(400, "query parameter " + name + "=" + value + " (expected true or false)");
}

std::string MultipartBoundary(std::string_view content_type) {
  const std::string b = Param(content_type, "boundary");
  if (b.empty()) throw ProtocolError(400, "multipart/form-data without a boundary parameter");
  if (b.size() > 200) throw ProtocolError(400, "multipart boundary longer than 200 characters");
  return b;
}

MultipartFile ParseMultipart(std::string_view body, const std::string& boundary) {
  const std::string delim = "--" + boundary;
  // The first delimiter may be at the very start or after a preamble ending in CRLF.
  size_t pos;
  if (body.substr(0, delim.size()) == delim) {
    pos = delim.size();
  } else {
    pos = body.find("\r\n" + delim);
    if (pos == std::string_view::npos) throw ProtocolError(400, "malformed multipart body: no boundary line '" + delim + "'");
    pos += 2 + delim.size();
  }
  const std::string next = "\r\n" + delim;
  MultipartFile chosen;
  bool have = false, chosen_named = false;
  while (true) {
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    // Skip transport padding, then the CRLF ending the delimiter line.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") throw ProtocolError(400, "malformed multipart body: boundary line not ended by CRLF");
    pos += 2;
    const size_t head_end = body.find("\r\n\r\n", pos);
    // A part with no headers starts with the blank line itself.
    size_t data_start;
    std::string_view head;
    if (body.substr(pos, 2) == "\r\n") {
      head = {};
      data_start = pos + 2;
    } else {
      if (head_end == std::string_view::npos) throw ProtocolError(400, "malformed multipart body: part headers not ended by a blank line");
      head = body.substr(pos, head_end - pos);
      data_start = head_end + 4;
    }
    const size_t data_end = body.find(next, data_start);
    if (data_end == std::string_view::npos) {
      throw ProtocolError(400, "malformed multipart body: truncated (no closing boundary '" + delim + "--')");
    }
    MultipartFile part;
    part.data = body.substr(data_start, data_end - data_start);
    ForEachPiece(head, "\r\n", [&](std::string_view line) {
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) throw ProtocolError(400, "malformed multipart body: part header line without ':'");
      const std::string key = Lower(Trim(line.substr(0, colon)));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (key == "content-disposition") {
        part.field = Param(value, "name");
        part.filename = Param(value, "filename");
      } else if (key == "content-type") {
        part.content_type = std::string(value);
      }
    });
    const bool named = part.field == "file" || part.field == "audio";
    if (named && !chosen_named) {
      chosen = part;
      have = chosen_named = true;
    } else if (!have && !part.filename.empty()) {
      chosen = part;
      have = true;
    }
    pos = data_end + next.size();
    if (pos > body.size()) break;
  }
  if (!have) throw ProtocolError(400, "multipart body has no audio part (expected a field named 'file' or 'audio', or a part with a filename)");
  return chosen;
}

StreamHeader ParseStreamHeader(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw ProtocolError(kClosePolicy, std::string("stream header is not JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw ProtocolError(kClosePolicy, "stream header must be a JSON object");
  StreamHeader h;
  for (const auto& [key, v] : j.items()) {
    if (key == "model") {
      if (!v.is_string()) throw ProtocolError(kClosePolicy, "stream header field model must be a string");
      h.model = v.get<std::string>();
    } else if (key == "sample_rate") {
      if (!v.is_number_integer()) throw ProtocolError(kClosePolicy, "stream header field sample_rate must be an integer (Hz)");
      const int64_t r = v.get<int64_t>();
      if (r < 1000 || r > 768000) throw ProtocolError(kClosePolicy, "stream header field sample_rate = " + std::to_string(r) + " (expected 1000..768000 Hz)");
      h.sample_rate = static_cast<int>(r);
    } else if (key == "channels") {
      if (!v.is_number_integer()) throw ProtocolError(kClosePolicy, "stream header field channels must be an integer");
      const int64_t c = v.get<int64_t>();
      if (c < 1 || c > 64) throw ProtocolError(kClosePolicy, "stream header field channels = " + std::to_string(c) + " (expected 1..64)");
      h.channels = static_cast<int>(c);
    } else if (key == "format") {
      if (!v.is_string()) throw ProtocolError(kClosePolicy, "stream header field format must be a string");
      try {
        h.format = ParsePcmFormat(v.get<std::string>());
      } catch (const ConfigError&) {
        throw ProtocolError(kClosePolicy, "stream header field format = '" + v.get<std::string>() + "' (expected int16 or float32)");
      }
    } else if (key != "type") {
      throw ProtocolError(kClosePolicy, "stream header has an unknown field '" + key + "' (expected model, sample_rate, channels, format)");
    }
  }
  if (h.sample_rate == 0) throw ProtocolError(kClosePolicy, "stream header lacks sample_rate (Hz)");
  return h;
}

double StreamProtocol::seconds() const {
  if (!started_) return 0;
  const int64_t fb = PcmSampleBytes(header_.format) * header_.channels;
  return static_cast<double>(audio_bytes_ / fb) / header_.sample_rate;
}

StreamProtocol::Event StreamProtocol::OnMessage(bool text, std::string_view data) {
  if (!started_) {
    if (!text) throw ProtocolError(kClosePolicy, "binary audio before the stream header (send a JSON text message first)");
    header_ = ParseStreamHeader(data);
    started_ = true;
    return Event::kHeader;
  }
  if (ended_) throw ProtocolError(kClosePolicy, "message after the end of the stream");
  if (text) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(data);
    } catch (const std::exception&) {
      throw ProtocolError(kCloseUnsupported, "text message during the stream is not JSON (audio must be sent as binary messages)");
    }
    if (j.is_object() && j.size() == 1 && j.contains("type") && j["type"] == "end") {
      ended_ = true;
      return Event::kEnd;
    }
    throw ProtocolError(kCloseUnsupported, "unexpected text message during the stream (expected binary PCM or {\"type\":\"end\"})");
  }
  audio_bytes_ += static_cast<int64_t>(data.size());
  if (seconds() > max_seconds_) {
    throw ProtocolError(kCloseTooBig, "stream longer than --max-stream-seconds " + ShortNumber(max_seconds_) + " s");
  }
  return Event::kAudio;
}

}  // namespace ascnet::serve
