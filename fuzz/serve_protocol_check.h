// The checks of fuzz_serve_protocol, shared with its regression replay in tests/reliability/:
// `ascnet serve`'s wire formats on arbitrary bytes. The first byte picks the format:
//   0  a WebSocket stream: parts split at "\n--8<--\n", each 't' (text) or 'b' (binary) +
//      payload, through StreamProtocol and, after the header, PcmDecoder (as the server does)
//   1  a multipart/form-data upload: part 1 the Content-Type, part 2 the body
//   2  a query string
// Only ProtocolError (and AudioError for float PCM that is not PCM) may come out; accepted
// input must be consistent (views inside the body, every whole frame decoded once).
#pragma once

#include <string>
#include <vector>

#include "ascnet/audio/pcm.h"
#include "ascnet/serve/protocol.h"
#include "fuzz_util.h"

namespace ascnet_fuzz {

inline void CheckServeProtocol(const std::string& input) {
  using namespace ascnet;
  using namespace ascnet::serve;
  if (input.empty()) return;
  const char mode = input[0];
  const std::string rest = input.substr(1);
  try {
    if (mode == 0) {
      StreamProtocol proto(2.0);  // 2 s: long inputs reach the length limit
      std::unique_ptr<PcmDecoder> decoder;
      std::vector<float> mono;
      for (const std::string& part : SplitParts(rest)) {
        if (part.empty()) continue;
        const bool text = part[0] == 't';
        const std::string payload = part.substr(1);
        const StreamProtocol::Event ev = proto.OnMessage(text, payload);
        if (ev == StreamProtocol::Event::kHeader) {
          decoder = std::make_unique<PcmDecoder>(proto.header().format, proto.header().channels);
        } else if (ev == StreamProtocol::Event::kAudio) {
          if (!decoder) __builtin_trap();  // audio accepted before a header
          decoder->Decode(payload.data(), payload.size(), &mono);
          const int64_t fb = decoder->frame_bytes();
          if (decoder->frames() != proto.audio_bytes() / fb || static_cast<int64_t>(mono.size()) != decoder->frames() ||
              static_cast<int64_t>(decoder->carry()) != proto.audio_bytes() % fb || proto.seconds() > 2.0) {
            __builtin_trap();
          }
        }
      }
    } else if (mode == 1) {
      const std::vector<std::string> parts = SplitParts(rest);
      if (parts.size() < 2) return;
      const std::string& body = parts[1];
      const MultipartFile f = ParseMultipart(body, MultipartBoundary(parts[0]));
      if (f.data.data() < body.data() || f.data.data() + f.data.size() > body.data() + body.size()) __builtin_trap();
    } else if (mode == 2) {
      const auto q = ParseQuery(rest);
      if (q.size() > 32) __builtin_trap();
    }
  } catch (const ProtocolError& e) {
    if (e.code() < 400 || (e.code() >= 600 && e.code() < 1000) || e.code() > 1015) __builtin_trap();
  } catch (const AudioError&) {
  }
}

}  // namespace ascnet_fuzz
