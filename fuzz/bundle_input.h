// How fuzz_bundle turns a fuzz input into bundle bytes, shared with its regression replay in
// tests/reliability/. The first byte picks:
//   even  the input is the whole bundle file
//   odd   the input is "<JSON header>\n--8<--\n<tensor bytes>", wrapped into a container
//         with correct section lengths and CRC-32s, so that the header and tensor directory
//         checks are reached
#pragma once

#include <string>

#include "ascnet/core/binary_record.h"
#include "ascnet/model/bundle_info.h"
#include "fuzz_util.h"

namespace ascnet_fuzz {

/// The bundle bytes for a fuzz input (mode byte first); "" for an empty input.
inline std::string BundleBytes(const std::string& input) {
  if (input.empty()) return std::string();
  std::string in = input.substr(1);
  if (static_cast<unsigned char>(input[0]) % 2 == 0) return in;
  const std::vector<std::string> parts = SplitParts(in);
  ascnet::RecordWriter w(std::string_view(ascnet::kBundleMagic, 8));
  w.U32(ascnet::kBundleVersion);
  w.U32(2);  // sections
  w.Section("HEAD", parts[0]);
  w.Section("TENS", parts.size() > 1 ? parts[1] : std::string());
  return w.Take();
}

}  // namespace ascnet_fuzz
