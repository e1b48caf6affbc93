#include "ascnet/train/bc.h"

#include <limits>

#include <torch/types.h>

namespace ascnet {

BcPairs DrawBcPairs(const std::vector<int>& labels, const std::vector<int64_t>& first, std::mt19937_64& rng,
                    const WeightedIndex* weights) {
  const int64_t n = static_cast<int64_t>(labels.size());
  TORCH_CHECK(!weights || weights->size() == n, "DrawBcPairs: ", weights ? weights->size() : 0, " weights for ", n,
              " positions");
  // Two classes that can be drawn, or the rejection below would never end.
  auto drawable = [&](int64_t i) { return !weights || weights->Positive(i); };
  int64_t one = 0;
  while (one < n && !drawable(one)) ++one;
  bool two = false;
  for (int64_t i = one + 1; i < n && !two; ++i) two = drawable(i) && labels[i] != labels[one];
  TORCH_CHECK(two, "between-class mixing needs training segments of at least two classes",
              weights ? " of positive weight" : "");
  BcPairs p;
  p.first = first;
  p.second.reserve(first.size());
  p.ratio.reserve(first.size());
  for (int64_t a : first) {
    TORCH_CHECK(a >= 0 && a < n, "DrawBcPairs: position ", a, " out of range [0, ", n, ")");
    int64_t b;
    do {
      b = weights ? (*weights)(rng) : UniformIndex(rng, n);
    } while (labels[b] == labels[a]);
    p.second.push_back(b);
    p.ratio.push_back(UniformUnit(rng));
  }
  return p;
}

torch::Tensor BcMixImages(const torch::Tensor& x1, const torch::Tensor& x2, const torch::Tensor& r) {
  TORCH_CHECK(x1.sizes() == x2.sizes(), "BcMixImages: x1 ", x1.sizes(), " and x2 ", x2.sizes(), " differ");
  TORCH_CHECK(r.dim() == 1 && r.size(0) == x1.size(0), "BcMixImages: r must be [B] with B = ", x1.size(0));
  std::vector<int64_t> shape(x1.dim(), 1);
  shape[0] = x1.size(0);
  const torch::Tensor rr = r.to(x1.scalar_type()).view(shape);
  const torch::Tensor q = 1 - rr;
  return (rr * x1 + q * x2) / torch::sqrt(rr * rr + q * q);
}

torch::Tensor BcMixLabels(const torch::Tensor& y1, const torch::Tensor& y2, const torch::Tensor& r, int64_t classes) {
  TORCH_CHECK(y1.dim() == 1 && y1.sizes() == y2.sizes() && r.sizes() == y1.sizes(),
              "BcMixLabels: y1, y2 and r must all be [B]");
  const torch::Tensor rr = r.to(torch::kFloat).unsqueeze(1);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat).device(y1.device());
  torch::Tensor t = torch::zeros({y1.size(0), classes}, opts);
  t.scatter_add_(1, y1.unsqueeze(1), rr);
  t.scatter_add_(1, y2.unsqueeze(1), 1 - rr);
  return t;
}

BcBatch MakeBcBatch(const std::vector<int>& labels, const std::vector<int64_t>& first, std::mt19937_64& rng,
                    int64_t classes, const std::function<torch::Tensor(const std::vector<int64_t>&)>& images,
                    const WeightedIndex* weights) {
  const BcPairs pairs = DrawBcPairs(labels, first, rng, weights);
  const torch::Tensor x1 = images(first), x2 = images(pairs.second);
  const torch::Device device = x1.device();
  std::vector<int64_t> l1(first.size()), l2(first.size());
  for (size_t i = 0; i < first.size(); ++i) l1[i] = labels[first[i]], l2[i] = labels[pairs.second[i]];
  const torch::Tensor r = torch::tensor(pairs.ratio, torch::kDouble).to(device);
  return {BcMixImages(x1, x2, r), BcMixLabels(torch::tensor(l1, torch::kLong).to(device),
                                              torch::tensor(l2, torch::kLong).to(device), r, classes)};
}

torch::Tensor KlDivLoss(const torch::Tensor& logits, const torch::Tensor& target) {
  TORCH_CHECK(logits.dim() == 2 && logits.sizes() == target.sizes(), "KlDivLoss: logits ", logits.sizes(),
              " and target ", target.sizes(), " must both be [B, C]");
  const torch::Tensor t = target.to(logits.scalar_type());
  const torch::Tensor logp = torch::log_softmax(logits, 1);
  const torch::Tensor tlogt = torch::xlogy(t, t);  // 0 where t == 0
  const torch::Tensor cross = torch::where(t > 0, t * logp, torch::zeros_like(logp));
  return (tlogt - cross).sum(1).mean();
}

}  // namespace ascnet
