// Feature cache files (pack, JSON index, item files) on arbitrary bytes: see
// feature_cache_check.h.
#include <cstddef>
#include <cstdint>
#include <string>

#include "feature_cache_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ascnet_fuzz::CheckFeatureCache(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
