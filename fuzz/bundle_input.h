// How fuzz_bundle turns a fuzz input into bundle bytes, shared with its regression replay in
// tests/reliability/. The first byte picks:
//   even  the input is the whole bundle file
//   odd   the input is "<JSON header>\n--8<--\n<tensor bytes>", wrapped into a container
//         with correct section lengths and CRC-32s, so that the header and tensor directory
//         checks are reached
#pragma once

#include <string>

#include "ascnet/core/binary_record.h"
#include "fuzz_util.h"

namespace ascnet_fuzz {

/// One bundle section: 4-byte tag, u64 payload length, CRC-32 of the payload, the payload.
inline void PutBundleSection(std::string& out, const char* tag, const std::string& payload) {
  out.append(tag, 4);
  ascnet::PutU64(out, payload.size());
  ascnet::PutU32(out, ascnet::Crc32(payload));
  out += payload;
}

/// The bundle bytes for a fuzz input (mode byte first); "" for an empty input.
inline std::string BundleBytes(const std::string& input) {
  if (input.empty()) return std::string();
  std::string in = input.substr(1);
  if (static_cast<unsigned char>(input[0]) % 2 == 0) return in;
  const std::vector<std::string> parts = SplitParts(in);
  std::string bytes("ASCNETB1", 8);
  ascnet::PutU32(bytes, 1);
  ascnet::PutU32(bytes, 2);
  PutBundleSection(bytes, "HEAD", parts[0]);
  PutBundleSection(bytes, "TENS", parts.size() > 1 ? parts[1] : std::string());
  return bytes;
}

}  // namespace ascnet_fuzz
