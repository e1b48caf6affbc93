#include "ascnet/train/mixstyle.h"

#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "ascnet/train/random.h"

namespace ascnet {

torch::Tensor FreqMixStyle(const torch::Tensor& x, double p, double alpha, std::mt19937_64& rng) {
  TORCH_CHECK(x.dim() == 4, "FreqMixStyle: images must be [B, C, M, T], got ", x.sizes());
  TORCH_CHECK(p >= 0 && p <= 1 && alpha > 0, "FreqMixStyle: p in [0, 1] and alpha > 0, got p=", p, " alpha=", alpha);
  if (p == 0 || UniformUnit(rng) >= p) return x;
  const int64_t batch = x.size(0);
  const std::vector<int64_t> perm = RandomPermutation(rng, batch);
  std::vector<float> lam(static_cast<size_t>(batch));
  for (float& l : lam) l = static_cast<float>(BetaDraw(rng, alpha, alpha));

  const at::Tensor mean = x.mean({3}, /*keepdim=*/true);
  const at::Tensor sigma = (x.var({3}, /*unbiased=*/false, /*keepdim=*/true) + 1e-6).sqrt();
  const at::Tensor lam_t = at::tensor(lam, at::TensorOptions().dtype(at::kFloat)).to(x.options()).view({batch, 1, 1, 1});
  const at::Tensor index = at::tensor(perm, at::TensorOptions().dtype(at::kLong)).to(x.device());
  const at::Tensor mixed_mean = lam_t * mean + (1 - lam_t) * mean.index_select(0, index);
  const at::Tensor mixed_sigma = lam_t * sigma + (1 - lam_t) * sigma.index_select(0, index);
  return (x - mean) / sigma * mixed_sigma + mixed_mean;
}

}  // namespace ascnet
