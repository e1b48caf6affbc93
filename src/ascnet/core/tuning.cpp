#include "ascnet/core/tuning.h"

#include "ascnet/core/allocator.h"
#include "ascnet/core/blas.h"

namespace ascnet {

void TuneProcess() {
  KeepLargeBlocksInHeap();
  UseBestOpenBlasKernels();
}

}  // namespace ascnet
