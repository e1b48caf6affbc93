#include "ascnet/core/tuning.h"

#include <cstdlib>
#include <cstring>

#include "ascnet/core/allocator.h"
#include "ascnet/core/blas.h"

namespace ascnet {

void TuneProcess() {
  KeepLargeBlocksInHeap();
  UseBestOpenBlasKernels();
}

bool EnvFlagSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace ascnet
