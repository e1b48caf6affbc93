// core/blas: with Debian's LibTorch (OpenBLAS), OpenBLAS runs the best kernels this CPU's
// instruction set allows once the library's entry points ran, and they compute correctly.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

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

// ATen's at::parallel_for is inline code: it only splits work over the intra-op threads when
// the caller is compiled with OpenMP (every LibTorch target is: ascnet_use_torch_pch). This
// test is compiled like the library's LibTorch code, so it fails if that flag goes missing.
TEST(Blas, AtenParallelForInOurCodeUsesTheIntraOpThreads) {
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  std::mutex mu;
  std::set<std::thread::id> ids;
  at::parallel_for(0, 64, 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mu);
    ids.insert(std::this_thread::get_id());
  });
  at::set_num_threads(threads);
  EXPECT_EQ(ids.size(), 2u) << "at::parallel_for ran on one thread: compiled without OpenMP?";
}

}  // namespace
}  // namespace ascnet
