#include "ascnet/core/allocator.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ascnet {

bool KeepLargeBlocksInHeap() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    const char* keep_defaults = std::getenv("ASCNET_MALLOC_DEFAULTS");
    if (keep_defaults != nullptr && *keep_defaults != '\0' && std::strcmp(keep_defaults, "0") != 0) return;
#if defined(__GLIBC__)
    ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapBlockLimit)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapKeepLimit)) == 1;
#endif
  });
  return ok;
}

}  // namespace ascnet
