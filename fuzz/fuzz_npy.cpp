// DecodeNpy on arbitrary bytes; anything it accepts must survive an EncodeNpy round trip
// bit for bit.
#include <cstring>
#include <string>

#include "ascnet/core/error.h"
#include "ascnet/core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  ascnet::NpyArray a;
  try {
    a = ascnet::DecodeNpy(bytes, "fuzz.npy");
  } catch (const ascnet::FormatError&) {
    return 0;
  }
  if (static_cast<int64_t>(a.data.size()) != a.NumElements()) __builtin_trap();
  const ascnet::NpyArray b = ascnet::DecodeNpy(ascnet::EncodeNpy(a.data.data(), a.shape), "roundtrip.npy");
  if (b.shape != a.shape || b.data.size() != a.data.size()) __builtin_trap();
  if (!a.data.empty() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) != 0) __builtin_trap();
  return 0;
}
