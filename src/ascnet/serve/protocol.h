// The wire formats `ascnet serve` parses itself (no network, no LibTorch; fuzzed by
// fuzz/fuzz_serve_protocol.cpp): multipart/form-data bodies of POST /v1/classify, and the
// WebSocket stream protocol of /v1/stream:
//   1. the client sends one text message, the header:
//        {"model": "NAME" (optional), "sample_rate": 16000, "channels": 1 (optional),
//         "format": "int16" | "float32" (or s16le | f32le; optional, default int16)}
//   2. then binary messages of interleaved little-endian PCM, any size (frames may be split);
//   3. optionally the text message {"type": "end"}: the server flushes the last (padded)
//      segment, sends the summary and closes normally.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ascnet/audio/pcm.h"
#include "ascnet/core/error.h"

namespace ascnet::serve {

/// A client's request is wrong. `code` is the HTTP status (4xx) or the WebSocket close code.
class ProtocolError : public Error {
 public:
  ProtocolError(int code, const std::string& message) : Error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// WebSocket close codes (RFC 6455).
enum CloseCode : int {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseProtocol = 1002,
  kCloseUnsupported = 1003,
  kCloseBadPayload = 1007,
  kClosePolicy = 1008,
  kCloseTooBig = 1009,
  kCloseInternal = 1011,
  kCloseTryLater = 1013,
};

/// A number without trailing zeros ("2.5", "30"), for messages naming a limit.
std::string ShortNumber(double v);

/// Splits "a=1&b=x%20y" (the part of a target after '?') into decoded pairs; a repeated key
/// keeps its last value. ProtocolError(400) for bad %-escapes or more than 32 parameters.
std::map<std::string, std::string> ParseQuery(std::string_view query);
/// "true"/"1"/"yes" or "false"/"0"/"no"/"" -> bool; ProtocolError(400) naming `name` otherwise.
bool ParseBool(const std::string& name, const std::string& value);

struct MultipartFile {
  std::string field;          ///< form field name
  std::string filename;       ///< as the client named it (only reported, never opened)
  std::string content_type;   ///< the part's Content-Type ("" when absent)
  std::string_view data;      ///< the part's bytes (a view into the body)
};

/// The boundary of a multipart/form-data Content-Type; ProtocolError(400) if absent or bad.
std::string MultipartBoundary(std::string_view content_type);
/// The audio part of a multipart/form-data body: the field named "file" or "audio", else the
/// first part with a filename. ProtocolError(400) naming the problem for a malformed body or
/// no such part.
MultipartFile ParseMultipart(std::string_view body, const std::string& boundary);

struct StreamHeader {
  std::string model;          ///< "" = the server's default model
  int sample_rate = 0;        ///< Hz, 1000..768000
  int channels = 1;           ///< 1..64
  PcmFormat format = PcmFormat::kS16le;
};

/// Parses the first text message. ProtocolError(kClosePolicy) naming the field.
StreamHeader ParseStreamHeader(std::string_view text);

/// The state of one stream: header first, then audio, then optionally "end". Checks the
/// order of messages and the stream's length; the PCM itself is decoded by the caller.
class StreamProtocol {
 public:
  enum class Event { kHeader, kAudio, kEnd };
  explicit StreamProtocol(double max_stream_seconds) : max_seconds_(max_stream_seconds) {}

  /// One WebSocket message. ProtocolError with a close code when it does not fit the state
  /// (binary before the header, a second header, text other than {"type":"end"}, audio
  /// after "end", or audio beyond max_stream_seconds).
  Event OnMessage(bool text, std::string_view data);
  const StreamHeader& header() const { return header_; }
  bool started() const { return started_; }
  bool ended() const { return ended_; }
  int64_t audio_bytes() const { return audio_bytes_; }
  double seconds() const;     ///< audio received so far (whole frames / rate)

 private:
  double max_seconds_;
  StreamHeader header_;
  bool started_ = false, ended_ = false;
  int64_t audio_bytes_ = 0;
};

}  // namespace ascnet::serve
