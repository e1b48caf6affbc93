// Model bundle loading (DecodeBundle, LibTorch) on arbitrary bytes, framed by
// bundle_input.h (first byte even: the whole bundle file; odd: header JSON + tensor bytes
// wrapped with correct section lengths and CRC-32s, so that the header and tensor directory
// checks are reached).
// Only BundleError (a FormatError naming the file and part) may come out; an accepted
// bundle must validate and re-encode to the same bytes.
#include <cstdlib>
#include <cstring>
#include <string>

#include "ascnet/core/error.h"
#include "ascnet/model/bundle.h"
#include "bundle_input.h"
#include "fuzz_util.h"

// ASCNET_FUZZ_DUMP_SEED=DIR: writes seed bundles (a tiny valid CNN bundle, raw and split) into DIR.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("ASCNET_FUZZ_DUMP_SEED");
  if (dir == nullptr) return 0;
  ascnet::ArchConfig arch;
  arch.arch = ascnet::ArchConfig::Kind::kCnn;
  arch.channels = 1;
  arch.bands = 4;
  arch.frames = 4;
  arch.filters = {2};
  arch.kernels = {3};
  arch.pool = 4;
  arch.classes = 2;
  ascnet::FeatureConfig features;
  features.filterbank.num_bands = 4;
  features.segment.frames = 4;
  features.segment.hop = 4;
  features.background_channel = false;
  const std::string bytes = ascnet::EncodeBundle(ascnet::MakeBundle(arch, features, {"a", "b"}));
  ascnet_fuzz::WriteBytes(std::string(dir) + "/valid_raw", std::string(1, '\0') + bytes);
  // Split form: the HEAD payload starts at 8+4+4+4+8+4 = 32.
  uint64_t head_len;
  std::memcpy(&head_len, bytes.data() + 20, 8);
  const std::string head = bytes.substr(32, head_len);
  const std::string tens = bytes.substr(32 + head_len + 16);
  ascnet_fuzz::WriteBytes(std::string(dir) + "/valid_split", std::string(1, '\1') + head + "\n--8<--\n" + tens);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string bytes = ascnet_fuzz::BundleBytes(std::string(reinterpret_cast<const char*>(data), size));
  try {
    ascnet::ModelBundle b = ascnet::DecodeBundle(bytes, "fuzz.ascnet");
    b.Validate("fuzz.ascnet");
    const ascnet::ModelBundle c = ascnet::DecodeBundle(ascnet::EncodeBundle(b), "roundtrip.ascnet");
    if (c.labels != b.labels) __builtin_trap();
  } catch (const ascnet::FormatError&) {
  }
  return 0;
}
