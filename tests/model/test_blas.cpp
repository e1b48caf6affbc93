// core/blas: with Debian's LibTorch (OpenBLAS), OpenBLAS runs the best kernels this CPU's
// instruction set allows once the library's entry points ran, and they compute correctly.
#include <gtest/gtest.h>

#include <string>

#include <ATen/ATen.h>

#include "ascnet/core/blas.h"
#include "ascnet/core/tuning.h"

namespace ascnet {
namespace {

TEST(Blas, AfterTuningOpenBlasDoesNotRunItsFallbackKernelsOnAModernCpu) {
  TuneProcess();
  const std::string core = OpenBlasCore();
  if (core.empty()) GTEST_SKIP() << "LibTorch does not use OpenBLAS here";
  EXPECT_EQ(UseBestOpenBlasKernels(), core);  // once per process: later calls change nothing
  __builtin_cpu_init();
  const bool modern = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (modern && !EnvFlagSet("OPENBLAS_CORETYPE") && !EnvFlagSet("ASCNET_BLAS_DEFAULTS")) {
    EXPECT_NE(core, "Prescott") << "OpenBLAS still runs its SSE3 fallback on an AVX2 CPU";
  }
  // The kernels in use compute: a float GEMM against the same product in double.
  at::manual_seed(0);
  const at::Tensor a = at::randn({67, 129}), b = at::randn({129, 45});
  const at::Tensor ref = at::mm(a.to(at::kDouble), b.to(at::kDouble));
  EXPECT_LT((at::mm(a, b).to(at::kDouble) - ref).abs().max().item<double>(), 1e-3) << "core " << core;
}

}  // namespace
}  // namespace ascnet
