// Process-wide settings of OpenBLAS, the BLAS behind Debian's LibTorch (official LibTorch
// builds use MKL; then these find no OpenBLAS and do nothing). Found at run time (dlsym), so
// the library neither links OpenBLAS nor needs its headers.
#pragma once

#include <string>

namespace ascnet {

/// Limits OpenBLAS's own thread pool to `n` threads: OpenBLAS threads spinning next to ATen's
/// OpenMP threads oversubscribe the cores. Returns false if OpenBLAS is not loaded.
bool LimitOpenBlasThreads(int n);

/// OpenBLAS's kernel set in use (e.g. "SkylakeX", "Haswell", "Prescott"); empty without
/// OpenBLAS.
std::string OpenBlasCore();

/// OpenBLAS picks its kernels from the CPU model at load time, and a version older than the
/// CPU does not know it: Debian 12's OpenBLAS 0.3.21 falls back to "Prescott" (SSE3 kernels)
/// on e.g. Intel Xeon of the Sapphire/Emerald Rapids generations, and every GEMM runs 2-5x
/// slower (measured on an Emerald Rapids VM: a 1024^3 SGEMM 67 ms -> 14 ms on one thread, an
/// Att-CRNN training step 2.2 s -> 1.2 s). When OpenBLAS fell back to Prescott, the user did
/// not choose a core (OPENBLAS_CORETYPE unset) and did not opt out (ASCNET_BLAS_DEFAULTS unset
/// or 0), this selects the kernels the CPU's instruction set allows ("SkylakeX" with
/// AVX-512 F/BW/DQ/VL, "Haswell" with AVX2 + FMA) through OpenBLAS's own mechanism (it sets
/// OPENBLAS_CORETYPE, inherited by child processes, and re-runs OpenBLAS's core selection).
/// Once per process, thread-safe among its callers; it must not run while another thread is
/// inside a BLAS call (for a few microseconds OpenBLAS has no kernel table): the library
/// calls it from its entry points (model loading, inference, training) before their first
/// product. Returns the core in use afterwards (empty without OpenBLAS).
std::string UseBestOpenBlasKernels();

}  // namespace ascnet
