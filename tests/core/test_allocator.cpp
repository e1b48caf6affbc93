// core/allocator: large blocks kept in the heap, once per process, unless the environment
// asks for glibc's defaults.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "ascnet/core/allocator.h"

namespace ascnet {
namespace {

TEST(Allocator, KeepsLargeBlocksInTheHeapOnceUnlessTheEnvironmentSaysNo) {
  const char* env = std::getenv("ASCNET_MALLOC_DEFAULTS");
  const bool opted_out = env != nullptr && *env != '\0' && std::string(env) != "0";
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
