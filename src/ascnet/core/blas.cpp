#include "ascnet/core/blas.h"

#include "ascnet/core/tuning.h"

#include <dlfcn.h>
#include <strings.h>

#include <cstdlib>
#include <mutex>

namespace ascnet {

namespace {

template <class Fn>
Fn OpenBlasSymbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

/// The best OpenBLAS kernel set this CPU's instruction set allows, by OpenBLAS's names.
const char* CoreForThisCpu() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

}  // namespace

bool LimitOpenBlasThreads(int n) {
  auto fn = OpenBlasSymbol<void (*)(int)>("openblas_set_num_threads");
  if (fn == nullptr) return false;
  fn(n);
  return true;
}

std::string OpenBlasCore() {
  auto fn = OpenBlasSymbol<char* (*)()>("openblas_get_corename");
  return fn == nullptr ? std::string() : std::string(fn());
}

std::string UseBestOpenBlasKernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (EnvFlagSet("ASCNET_BLAS_DEFAULTS") || EnvFlagSet("OPENBLAS_CORETYPE")) return;
    if (strcasecmp(OpenBlasCore().c_str(), "Prescott") != 0) return;  // OpenBLAS knows this CPU
    const char* core = CoreForThisCpu();
    // OpenBLAS's dynamic-architecture entry points: `gotoblas` is the kernel table in use,
    // gotoblas_dynamic_init() chooses one (honouring OPENBLAS_CORETYPE) unless one is set.
    auto table = OpenBlasSymbol<void**>("gotoblas");
    auto init = OpenBlasSymbol<void (*)()>("gotoblas_dynamic_init");
    if (core == nullptr || table == nullptr || init == nullptr) return;
    setenv("OPENBLAS_CORETYPE", core, 1);  // unset or empty (checked above)
    void* fallback = *table;
    *table = nullptr;
    init();
    if (*table == nullptr) *table = fallback;  // cannot happen (it falls back itself); stay usable
  });
  return OpenBlasCore();
}

}  // namespace ascnet
