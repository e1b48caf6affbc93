// Between-class mixing, KL loss, normalisation statistics, schedules, options.
#include <cmath>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "ascnet/core/error.h"
#include "ascnet/train/bc.h"
#include "ascnet/train/options.h"
#include "ascnet/train/segments.h"
#include "synthetic.h"

namespace ascnet {
namespace {

TEST(BcPairs, PartnersAreOfAnotherClassAndRatiosInUnitInterval) {
  std::vector<int> labels;
  for (int i = 0; i < 60; ++i) labels.push_back(i % 3 == 0 ? 0 : (i % 7 == 0 ? 2 : 1));
  std::vector<int64_t> first;
  for (int64_t i = 0; i < 60; ++i) first.push_back(i);
  std::mt19937_64 rng(42);
  std::set<int64_t> partners;
  for (int rep = 0; rep < 20; ++rep) {
    const BcPairs p = DrawBcPairs(labels, first, rng);
    ASSERT_EQ(p.second.size(), first.size());
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_NE(labels[p.first[i]], labels[p.second[i]]);
      EXPECT_GE(p.ratio[i], 0.0);
      EXPECT_LT(p.ratio[i], 1.0);
      partners.insert(p.second[i]);
    }
  }
  EXPECT_GT(partners.size(), 40u);  // partners spread over the data
  // Same seed, same draws.
  std::mt19937_64 a(5), b(5);
  const BcPairs pa = DrawBcPairs(labels, first, a), pb = DrawBcPairs(labels, first, b);
  EXPECT_EQ(pa.second, pb.second);
  EXPECT_EQ(pa.ratio, pb.ratio);
}

TEST(BcPairs, RatiosAreUniformOnTheUnitInterval) {
  const std::vector<int> labels = {0, 1, 2, 0, 1, 2};
  const std::vector<int64_t> first = {0, 1, 2, 3, 4, 5};
  std::mt19937_64 rng(7);
  std::vector<int> bins(10, 0);
  double sum = 0;
  int n = 0;
  for (int rep = 0; rep < 5000; ++rep) {
    for (double r : DrawBcPairs(labels, first, rng).ratio) {
      ++bins[static_cast<int>(r * 10)];
      sum += r;
      ++n;
    }
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
  for (int b = 0; b < 10; ++b) EXPECT_NEAR(bins[b] / static_cast<double>(n), 0.1, 0.01) << "decile " << b;
}

TEST(BcPairs, NeedsTwoClasses) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(DrawBcPairs({1, 1, 1}, {0, 1}, rng), c10::Error);
}

TEST(BcMix, ImagesFollowTheFormula) {
  torch::manual_seed(3);
  const torch::Tensor x1 = torch::randn({4, 2, 3, 5}), x2 = torch::randn({4, 2, 3, 5});
  const std::vector<double> rs = {0.0, 0.25, 0.5, 0.9};
  const torch::Tensor r = torch::tensor(rs, torch::kDouble);
  const torch::Tensor s = BcMixImages(x1, x2, r);
  ASSERT_EQ(s.sizes(), x1.sizes());
  auto a1 = x1.accessor<float, 4>(), a2 = x2.accessor<float, 4>(), as = s.accessor<float, 4>();
  for (int b = 0; b < 4; ++b) {
    const double rr = rs[b], q = 1 - rr, norm = std::sqrt(rr * rr + q * q);
    for (int c = 0; c < 2; ++c)
      for (int m = 0; m < 3; ++m)
        for (int t = 0; t < 5; ++t) {
          EXPECT_NEAR(as[b][c][m][t], (rr * a1[b][c][m][t] + q * a2[b][c][m][t]) / norm, 1e-5);
        }
  }
  // r = 0 gives S2 exactly (up to rounding), r = 0.5 gives (S1 + S2) / sqrt(2).
  EXPECT_TRUE(torch::allclose(s[0], x2[0], 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(s[2], (x1[2] + x2[2]) / std::sqrt(2.0), 1e-5, 1e-6));
}

TEST(BcMix, LabelsSumToOneWithRatioOnFirstClass) {
  const torch::Tensor y1 = torch::tensor(std::vector<int64_t>{0, 2, 1}, torch::kLong);
  const torch::Tensor y2 = torch::tensor(std::vector<int64_t>{1, 0, 3}, torch::kLong);
  const torch::Tensor r = torch::tensor(std::vector<double>{0.3, 0.8, 0.5}, torch::kDouble);
  const torch::Tensor y = BcMixLabels(y1, y2, r, 4);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{3, 4}));
  EXPECT_TRUE(torch::allclose(y.sum(1), torch::ones({3})));
  EXPECT_NEAR(y[0][0].item<float>(), 0.3, 1e-6);
  EXPECT_NEAR(y[0][1].item<float>(), 0.7, 1e-6);
  EXPECT_NEAR(y[1][2].item<float>(), 0.8, 1e-6);
  EXPECT_NEAR(y[1][0].item<float>(), 0.2, 1e-6);
  EXPECT_NEAR(y[2][1].item<float>(), 0.5, 1e-6);
  EXPECT_NEAR(y[2][3].item<float>(), 0.5, 1e-6);
  EXPECT_EQ(y[0][2].item<float>(), 0.0f);
}

TEST(KlDivLoss, EqualsHandComputation) {
  const std::vector<std::vector<double>> logits = {{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}};
  const std::vector<std::vector<double>> target = {{0.25, 0.0, 0.75}, {0.0, 1.0, 0.0}};
  double want = 0;
  for (int b = 0; b < 2; ++b) {
    double z = 0;
    for (double l : logits[b]) z += std::exp(l);
    for (int c = 0; c < 3; ++c) {
      const double t = target[b][c];
      if (t > 0) want += t * (std::log(t) - (logits[b][c] - std::log(z)));
    }
  }
  want /= 2;
  auto T = [](const std::vector<std::vector<double>>& v) {
    return torch::tensor({v[0][0], v[0][1], v[0][2], v[1][0], v[1][1], v[1][2]}, torch::kDouble).view({2, 3});
  };
  const torch::Tensor loss = KlDivLoss(T(logits), T(target));
  EXPECT_NEAR(loss.item<double>(), want, 1e-12);
  // One-hot targets: the KL divergence is the cross-entropy.
  const torch::Tensor l = torch::randn({5, 4});
  const torch::Tensor y = torch::tensor(std::vector<int64_t>{0, 3, 1, 1, 2}, torch::kLong);
  const torch::Tensor ce = torch::nll_loss(torch::log_softmax(l, 1), y);
  EXPECT_NEAR(KlDivLoss(l, torch::one_hot(y, 4).to(torch::kFloat)).item<float>(), ce.item<float>(), 1e-5);
  // Zero when the prediction equals the target; the gradient is softmax - t (over B).
  const torch::Tensor t = torch::softmax(l, 1);
  EXPECT_NEAR(KlDivLoss(l, t).item<float>(), 0.0, 1e-5);
  const torch::Tensor lg = l.clone().requires_grad_(true);
  const torch::Tensor tt = torch::one_hot(y, 4).to(torch::kFloat);
  KlDivLoss(lg, tt).backward();
  EXPECT_TRUE(torch::allclose(lg.grad(), (torch::softmax(l, 1) - tt) / 5, 1e-5, 1e-6));
}

TEST(Normalisation, UsesOnlyTheGivenTrainingSegments) {
  testing::TinyData d;
  testing::MakeTinyData(d, 4, /*test_offset=*/1000.0f);
  const SplitSegments segs = CollectSegments(d.source, d.dataset, d.dataset.splits[0]);
  ASSERT_EQ(segs.train.size(), 24u);
  ASSERT_EQ(segs.test.size(), 12u);
  const Normalisation n = ComputeNormalisation(d.source, segs.train);
  ASSERT_EQ(n.channels, 2);
  ASSERT_EQ(n.bands, 8);
  // Hand computation over the training segments only.
  for (int ch = 0; ch < 2; ++ch) {
    for (int m = 0; m < 8; ++m) {
      double s = 0, s2 = 0, cnt = 0;
      for (int64_t seg : segs.train) {
        const float* p = d.source.segment(seg);
        for (int t = 0; t < 8; ++t) {
          const double v = p[(ch * 8 + m) * 8 + t];
          s += v;
          s2 += v * v;
          ++cnt;
        }
      }
      const double mean = s / cnt, sd = std::sqrt(s2 / cnt - mean * mean);
      EXPECT_NEAR(n.mean[ch * 8 + m], mean, 1e-4);
      EXPECT_NEAR(n.std[ch * 8 + m], sd, 1e-4);
      EXPECT_LT(std::abs(n.mean[ch * 8 + m]), 10.0f);  // the +1000 test segments never entered
    }
  }
  EXPECT_THROW(ComputeNormalisation(d.source, {}), ConfigError);
}

TEST(Schedule, ConstantAndWarmupCosine) {
  TrainOptions paper = TrainOptions::Preset("paper");
  const LrSchedule c = paper.Schedule(5000);
  EXPECT_EQ(c.At(0), 1e-4);
  EXPECT_EQ(c.At(4999), 1e-4);

  TrainOptions fast = TrainOptions::Preset("fast");
  EXPECT_EQ(fast.steps, 300);
  EXPECT_EQ(fast.batch_size, 100);
  // The default's length and batch, chosen by cross-validation (docs/results.md, "Schedule length").
  EXPECT_EQ(TrainOptions::Preset("default").steps, 600);
  EXPECT_EQ(TrainOptions::Preset("default").batch_size, 50);
  const LrSchedule s = fast.Schedule(1000);  // warm-up 100 steps, peak 2e-3, final 2e-5
  EXPECT_EQ(s.warmup_steps, 100);
  EXPECT_NEAR(s.At(0), 2e-3 / 100, 1e-15);
  EXPECT_NEAR(s.At(49), 2e-3 * 50 / 100, 1e-15);
  EXPECT_NEAR(s.At(99), 2e-3, 1e-15);  // end of warm-up: the peak
  EXPECT_NEAR(s.At(100), 2e-3, 1e-15);
  EXPECT_NEAR(s.At(550), 2e-3 * (0.01 + 0.99 * 0.5), 1e-12);  // half-way through the decay
  EXPECT_NEAR(s.At(1000), 2e-5, 1e-15);                       // the end: final fraction
  EXPECT_NEAR(s.At(5000), 2e-5, 1e-15);                       // clamped after the end
  for (int64_t i = 100; i < 1000; ++i) EXPECT_LE(s.At(i + 1), s.At(i));
  for (int64_t i = 0; i < 99; ++i) EXPECT_LT(s.At(i), s.At(i + 1));
}

TEST(Options, PresetsStepsAndValidation) {
  TrainOptions o = TrainOptions::Preset("paper");
  EXPECT_EQ(o.epochs, 500);
  EXPECT_EQ(o.batch_size, 100);
  EXPECT_EQ(o.lr, 1e-4);
  EXPECT_EQ(o.StepsPerEpoch(1035), 11);
  EXPECT_EQ(o.TotalSteps(1035), 5500);
  o.steps = 7;
  EXPECT_EQ(o.TotalSteps(1035), 7);
  EXPECT_NO_THROW(o.Validate());
  EXPECT_THROW(TrainOptions::Preset("slow"), ConfigError);
  auto expect_field = [](TrainOptions bad, const std::string& field) {
    try {
      bad.Validate();
      ADD_FAILURE() << "no error for " << field;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  TrainOptions b = o;
  b.batch_size = 0;
  expect_field(b, "batch_size");
  b = o;
  b.lr = -1;
  expect_field(b, "lr");
  b = o;
  b.schedule = "linear";
  expect_field(b, "schedule");
  b = o;
  b.device = "tpu";
  expect_field(b, "device");
  b = o;
  b.resume = true;
  expect_field(b, "resume");
  b = o;
  b.steps = 0;
  b.epochs = 0;
  expect_field(b, "epochs");
  EXPECT_NE(o.ToString().find("batch_size=100"), std::string::npos);
  // JSON round trip.
  nlohmann::json j = o;
  TrainOptions back;
  from_json(j, back);
  EXPECT_EQ(nlohmann::json(back), j);
  j.erase("lr");
  EXPECT_THROW(from_json(j, back), ConfigError);
}

TEST(Seeds, DeriveSeedIsStableAndSpread) {
  EXPECT_EQ(DeriveSeed(1, 2, 3), DeriveSeed(1, 2, 3));
  EXPECT_NE(DeriveSeed(1, 2, 3), DeriveSeed(1, 2, 4));
  EXPECT_NE(DeriveSeed(1, 1, 0), DeriveSeed(1, 2, 0));
  EXPECT_NE(DeriveSeed(1, 0), DeriveSeed(2, 0));
}

}  // namespace
}  // namespace ascnet

namespace ascnet {
TEST(RecipeArch, AttentionScaleIsResolvedInOnePlaceAndACnnHasNone) {
  const ArchConfig att = ArchConfig::Preset("attcrnn", 9), cnn = ArchConfig::Preset("cnn", 9);
  const TrainOptions def = TrainOptions::Preset("default"), paper = TrainOptions::Preset("paper");
  EXPECT_EQ(ArchConfig::ScaleName(WithRecipeArch(att, def, "").attention_scale),
            TrainOptions::DefaultAttentionScale("default"));
  EXPECT_EQ(WithRecipeArch(att, paper, "").attention_scale, ArchConfig::AttentionScale::kNone);
  EXPECT_EQ(WithRecipeArch(att, paper, "learned").attention_scale, ArchConfig::AttentionScale::kLearned);
  // A CNN has no attention: the same architecture JSON whatever scale the run names.
  const nlohmann::json plain = WithRecipeArch(cnn, paper, "");
  EXPECT_EQ(nlohmann::json(WithRecipeArch(cnn, def, "")), plain);
  EXPECT_EQ(nlohmann::json(WithRecipeArch(cnn, def, "mean1")), plain);
  EXPECT_THROW(WithRecipeArch(att, def, "twice"), ConfigError);
}

TEST(RecipeArch, InstanceNormGoesToBothNetworks) {
  TrainOptions o = TrainOptions::Preset("paper");
  EXPECT_EQ(WithRecipeArch(ArchConfig::Preset("cnn", 9), o, "").instance_norm, 0.0);
  o.instance_norm = 0.5;
  EXPECT_EQ(WithRecipeArch(ArchConfig::Preset("cnn", 9), o, "").instance_norm, 0.5);
  EXPECT_EQ(WithRecipeArch(ArchConfig::Preset("attcrnn", 9), o, "").instance_norm, 0.5);
  o.instance_norm = 2;
  EXPECT_THROW(o.Validate(), ConfigError);
  // Settings written before the option read as off; written with it, they keep it.
  nlohmann::json j = TrainOptions::Preset("default");
  j.erase("instance_norm");
  EXPECT_EQ(j.get<TrainOptions>().instance_norm, 0.0);
  o.instance_norm = 0.25;
  EXPECT_EQ(nlohmann::json(o).get<TrainOptions>().instance_norm, 0.25);
}
}  // namespace ascnet
