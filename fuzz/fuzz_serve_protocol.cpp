// `ascnet serve`'s wire formats (WebSocket stream protocol and PCM frames, multipart bodies,
// query strings) on arbitrary bytes: see serve_protocol_check.h.
#include <cstddef>
#include <cstdint>
#include <string>

#include "serve_protocol_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ascnet_fuzz::CheckServeProtocol(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
