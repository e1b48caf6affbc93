// core/allocator: large blocks kept in the heap, once per process, unless the environment
// asks for glibc's defaults.
#include <gtest/gtest.h>

#include "ascnet/core/allocator.h"
#include "ascnet/core/tuning.h"

namespace ascnet {
namespace {

TEST(Allocator, KeepsLargeBlocksInTheHeapOnceUnlessTheEnvironmentSaysNo) {
  const bool opted_out = EnvFlagSet("ASCNET_MALLOC_DEFAULTS");
  const bool first = KeepLargeBlocksInHeap();
#if defined(__SANITIZE_ADDRESS__)
  (void)opted_out;
  EXPECT_FALSE(first);  // ASan's allocator replaces glibc's; its mallopt changes nothing
#elif defined(__GLIBC__)
  EXPECT_EQ(first, !opted_out);
#else
  EXPECT_FALSE(first);
#endif
  EXPECT_EQ(KeepLargeBlocksInHeap(), first);  // later calls change nothing
}

}  // namespace
}  // namespace ascnet
