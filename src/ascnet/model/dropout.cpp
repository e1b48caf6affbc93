#include "ascnet/model/dropout.h"

#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>

#include "ascnet/core/simd.h"

namespace ascnet {
namespace {

// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective 64-bit mix whose
// outputs over consecutive counters pass BigCrush.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

ASCNET_HOT_LOOP_V4
void FillRange(float* out, int64_t begin, int64_t end, uint64_t key, uint32_t keep_below, float scale) {
  for (int64_t i = begin; i < end; ++i) {
    const uint64_t h = Mix64(key + static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
    out[i] = static_cast<uint32_t>(h >> 32) < keep_below ? scale : 0.0f;
  }
}

}  // namespace

uint64_t DrawDropoutSeed() {
  auto* gen = at::check_generator<at::CPUGeneratorImpl>(at::detail::getDefaultCPUGenerator());
  std::lock_guard<std::mutex> lock(gen->mutex_);
  return gen->random64();
}

void FillDropoutMask(float* out, int64_t n, double p, uint64_t seed) {
  // keep with probability (1 - p): the top 32 bits of the hash below (1 - p) * 2^32.
  const double keep = 1.0 - p;
  const uint32_t keep_below = keep >= 1.0 ? UINT32_MAX : static_cast<uint32_t>(keep * 4294967296.0);
  const float scale = static_cast<float>(1.0 / keep);
  const uint64_t key = Mix64(seed);
  constexpr int64_t kGrain = 1 << 16;
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) { FillRange(out, begin, end, key, keep_below, scale); });
}

at::Tensor Dropout(const at::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) return x;
  if (!x.device().is_cpu() || x.scalar_type() != at::kFloat) return at::dropout(x, p, training);
  if (p >= 1.0) return x * at::zeros_like(x);
  at::Tensor mask = at::empty_like(x);  // same layout: filled in memory order
  FillDropoutMask(mask.data_ptr<float>(), mask.numel(), p, DrawDropoutSeed());
  return x * mask;
}

}  // namespace ascnet
