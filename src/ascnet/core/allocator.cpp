#include "ascnet/core/allocator.h"

#include "ascnet/core/tuning.h"

#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ascnet {

bool KeepLargeBlocksInHeap() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    if (EnvFlagSet("ASCNET_MALLOC_DEFAULTS")) return;
#if defined(__GLIBC__)
    ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapBlockLimit)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapKeepLimit)) == 1;
#endif
  });
  return ok;
}

}  // namespace ascnet
