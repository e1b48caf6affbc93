// Dataset metadata parsers on arbitrary bytes, built once per layout family
// (-DASCNET_FUZZ_LAYOUT=1 csv, 2 litis, 3 tut, 4 esc50): see dataset_check.h.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dataset_check.h"

#ifndef ASCNET_FUZZ_LAYOUT
#error "define ASCNET_FUZZ_LAYOUT"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ascnet_fuzz::CheckDatasetInput(ASCNET_FUZZ_LAYOUT, std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
