// Networks: exact parameter counts, shapes through every stage, attention properties,
// train/eval behaviour, gradient flow.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <torch/nn/functional.h>

#include "ascnet/core/error.h"
#include "ascnet/model/arch.h"
#include "ascnet/model/complexity.h"
#include "ascnet/model/networks.h"

namespace ascnet {
namespace {

torch::Tensor RandomInput(int64_t b, const ArchConfig& a = ArchConfig()) {
  return torch::randn({b, a.channels, a.bands, a.frames});
}

TEST(Arch, DefaultsArePaper) {
  ArchConfig a;
  EXPECT_EQ(a.Name(), "attcrnn");
  EXPECT_EQ(a.channels, 2);
  EXPECT_EQ(a.bands, 64);
  EXPECT_EQ(a.frames, 80);
  EXPECT_EQ(a.filters, (std::vector<int>{64, 128, 256}));
  EXPECT_EQ(a.kernels, (std::vector<int>{5, 3, 2}));
  EXPECT_EQ(a.hidden, 128);
  EXPECT_EQ(a.attention, 64);
  EXPECT_EQ(a.attention_scale, ArchConfig::AttentionScale::kNone);
  EXPECT_EQ(a.SequenceFeatureSize(), 256);
  EXPECT_NO_THROW(a.Validate());
}

TEST(Arch, ParameterCountsFromConfig) {
  EXPECT_EQ(CountParameters(ArchConfig::Preset("attcrnn", 19)), 894675);
  EXPECT_EQ(CountParameters(ArchConfig::Preset("cnn", 19)), 214227);
}

TEST(Networks, ParameterCountsExact) {
  auto att = MakeNetwork(ArchConfig::Preset("attcrnn", 19));
  auto cnn = MakeNetwork(ArchConfig::Preset("cnn", 19));
  EXPECT_EQ(att->NumParameters(), 894675);
  EXPECT_EQ(cnn->NumParameters(), 214227);
}

TEST(Networks, DescribedCountsMatchBuiltNetworksForOtherSizes) {
  for (const char* name : {"attcrnn", "cnn"}) {
    for (auto scale : {ArchConfig::AttentionScale::kNone, ArchConfig::AttentionScale::kLearned}) {
      ArchConfig a = ArchConfig::Preset(name, 10);
      a.bands = 128;
      a.frames = 40;
      a.hidden = 32;
      a.filters = {8, 16, 24};
      a.kernels = {3, 4, 2};
      a.rnn_layers = 3;
      a.attention = 16;
      a.attention_scale = scale;
      auto net = MakeNetwork(a);
      EXPECT_EQ(net->NumParameters(), CountParameters(a)) << name;
      net->eval();
      auto out = net->forward(RandomInput(3, a));
      EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 10}));
      EXPECT_EQ(out.pooled.size(1), a.PooledSize());
    }
  }
}

TEST(AttCrnn, RowOneScaleGivesTheAttentionWeightedTemporalMean) {
  ArchConfig a;
  a.attention_scale = ArchConfig::AttentionScale::kRow1;
  EXPECT_EQ(a.FixedAttentionScale(), 256.0);
  ArchConfig m;
  m.attention_scale = ArchConfig::AttentionScale::kMean1;
  EXPECT_EQ(m.FixedAttentionScale(), 256.0 * 80);
  EXPECT_EQ(ArchConfig().FixedAttentionScale(), 1.0);
  torch::manual_seed(4);
  AttCrnn net(a);
  net->eval();
  torch::NoGradGuard ng;
  auto x = RandomInput(2);
  auto out = net->forward(x);
  const auto c = net->conv->forward(x);
  const auto z = net->Recurrent(c.permute({0, 3, 1, 2}).reshape({2, 80, -1}));
  const auto zs = z.transpose(1, 2);
  const auto w = out.a_spa.unsqueeze(2) * out.a_tem.unsqueeze(1) * 256.0;  // [B, 2H, T]
  EXPECT_TRUE(torch::allclose(out.pooled, torch::tanh(w * zs).sum(2), 1e-5, 1e-6));
  // Each row of 2H*A sums over time to 2H*a_spa_s, whose mean over s is 1.
  EXPECT_NEAR(w.sum(2).mean().item<double>(), 1.0, 1e-5);
  // At initialisation s*A*Z is small, so x_s ~ 2H a_spa_s sum_t a_tem_t Z_st, of the size of Z
  // (the paper's scale gives ~1/(2H) of that).
  const auto linear = (w * zs).sum(2);
  EXPECT_TRUE(torch::allclose(out.pooled, linear, 0.05, 1e-3));
  EXPECT_GT(out.pooled.abs().mean().item<double>(), 0.1 * zs.abs().mean().item<double>());
}

TEST(Arch, LearnedScaleAddsOneParameter) {
  ArchConfig a;
  a.attention_scale = ArchConfig::AttentionScale::kLearned;
  EXPECT_EQ(MakeNetwork(a)->NumParameters(), 894676);
  a.attention_scale = ArchConfig::AttentionScale::kMean1;
  EXPECT_EQ(MakeNetwork(a)->NumParameters(), 894675);
}

TEST(Arch, ValidateNamesField) {
  auto expect_field = [](ArchConfig a, const std::string& field) {
    try {
      a.Validate();
      FAIL() << "no error for " << field;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  // The kind is typed: an unknown name is refused where text becomes a kind.
  try {
    ArchConfig::ParseKind("rnn");
    FAIL() << "no error for arch \"rnn\"";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("arch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"attcrnn\" or \"cnn\""), std::string::npos) << e.what();
  }
  nlohmann::json j = ArchConfig::Preset("cnn", 5);
  EXPECT_EQ(j.at("arch"), "cnn");
  j["arch"] = "rnn";
  EXPECT_THROW(j.get<ArchConfig>(), ConfigError);
  EXPECT_EQ(ArchConfig::KindNames(), (std::vector<std::string>{"attcrnn", "cnn"}));
  ArchConfig a;
  a.bands = 60;
  expect_field(a, "bands");
  a = ArchConfig();
  a.kernels = {5, 3};
  expect_field(a, "kernels");
  a = ArchConfig();
  a.conv_dropout = 1.0;
  expect_field(a, "conv_dropout");
  a = ArchConfig();
  a.classes = 1;
  expect_field(a, "classes");
  a = ArchConfig();
  a.hidden = 0;
  expect_field(a, "hidden");
  a = ArchConfig();
  a.instance_norm = 1.5;
  expect_field(a, "instance_norm");
  a.instance_norm = -0.1;
  expect_field(a, "instance_norm");
  EXPECT_THROW(ArchConfig::ParseScale("big"), ConfigError);
}

TEST(Arch, JsonRoundTripAndMissingField) {
  ArchConfig a = ArchConfig::Preset("cnn", 7);
  a.attention_scale = ArchConfig::AttentionScale::kMean1;
  nlohmann::json j = a;
  ArchConfig b = j.get<ArchConfig>();
  EXPECT_EQ(nlohmann::json(b), j);
  j.erase("hidden");
  try {
    j.get<ArchConfig>();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("hidden"), std::string::npos);
  }
  EXPECT_NE(a.ToString().find("cnn"), std::string::npos);
}

TEST(Arch, InstanceNormIsOptionalInJson) {
  // Off: the JSON has no field (earlier bundles' bytes); a JSON without it reads as off.
  ArchConfig a = ArchConfig::Preset("attcrnn", 9);
  nlohmann::json j = a;
  EXPECT_FALSE(j.contains("instance_norm"));
  EXPECT_EQ(j.get<ArchConfig>().instance_norm, 0.0);
  a.instance_norm = 0.5;
  j = a;
  EXPECT_EQ(j.at("instance_norm"), 0.5);
  EXPECT_EQ(j.get<ArchConfig>().instance_norm, 0.5);
  EXPECT_NE(a.ToString().find("lambda=0.5"), std::string::npos) << a.ToString();
  EXPECT_EQ(DescribeLayers(a)[1].name, "input_norm");
  EXPECT_EQ(CountParameters(a), CountParameters(ArchConfig::Preset("attcrnn", 9)));
  j["instance_norm"] = "half";
  EXPECT_THROW(j.get<ArchConfig>(), ConfigError);
}

TEST(RelaxedInstanceNorm, MatchesItsFormula) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({3, 2, 8, 20}, torch::kDouble) * 3 + torch::randn({3, 2, 8, 1}, torch::kDouble) * 5;
  const double eps = 1e-5;
  // lambda = 1: every (channel, band) row of every image has mean 0 and variance ~1 over time.
  const torch::Tensor ifn = RelaxedInstanceNorm(x, 1.0, eps);
  EXPECT_LT(ifn.mean(3).abs().max().item<double>(), 1e-12);
  EXPECT_LT((ifn.var(3, /*unbiased=*/false) - 1).abs().max().item<double>(), 1e-4);
  // lambda = 0.3 by hand, one element at a time.
  const torch::Tensor y = RelaxedInstanceNorm(x, 0.3, eps);
  for (int b = 0; b < 3; ++b) {
    for (int c = 0; c < 2; ++c) {
      const torch::Tensor img = x[b][c];
      const double mu = img.mean().item<double>(), var = img.var(false).item<double>();
      for (int m : {0, 5}) {
        const torch::Tensor row = img[m];
        const double rmu = row.mean().item<double>(), rvar = row.var(false).item<double>();
        for (int t : {0, 13}) {
          const double v = img[m][t].item<double>();
          const double want = 0.3 * (v - rmu) / std::sqrt(rvar + eps) + 0.7 * (v - mu) / std::sqrt(var + eps);
          EXPECT_NEAR(y[b][c][m][t].item<double>(), want, 1e-9);
        }
      }
    }
  }
  // Per image: an image's output does not depend on the rest of the batch, and a constant
  // gain or offset of a whole image (a recording's level) does not change it.
  EXPECT_TRUE(torch::allclose(RelaxedInstanceNorm(x.narrow(0, 1, 1), 0.3, eps), y.narrow(0, 1, 1)));
  EXPECT_TRUE(torch::allclose(RelaxedInstanceNorm(x * 2 + 7, 0.3, 1e-12), RelaxedInstanceNorm(x, 0.3, 1e-12), 1e-9, 1e-9));
  EXPECT_THROW(RelaxedInstanceNorm(x, 0.0, eps), c10::Error);
  EXPECT_THROW(RelaxedInstanceNorm(x, 1.5, eps), c10::Error);
}

TEST(RelaxedInstanceNorm, NetworksApplyItOnlyWhenOn) {
  // With instance_norm on, a per-(channel, band) offset of the input (a recording's colouring)
  // changes nothing at lambda = 1; with it off the output moves.
  for (const char* kind : {"attcrnn", "cnn"}) {
    ArchConfig a = ArchConfig::Preset(kind, 4);
    a.instance_norm = 1.0;
    torch::manual_seed(4);
    auto net = MakeNetwork(a);
    net->eval();
    a.instance_norm = 0.0;
    torch::manual_seed(4);
    auto plain = MakeNetwork(a);
    plain->eval();
    torch::NoGradGuard ng;
    const torch::Tensor x = RandomInput(2, a);
    const torch::Tensor coloured = x + torch::randn({1, a.channels, a.bands, 1}) * 3;
    EXPECT_TRUE(torch::allclose(net->forward(x).logits, net->forward(coloured).logits, 1e-4, 1e-4)) << kind;
    EXPECT_FALSE(torch::allclose(plain->forward(x).logits, plain->forward(coloured).logits, 1e-4, 1e-4)) << kind;
  }
}

TEST(Arch, DescribeShapes) {
  const auto rows = DescribeLayers(ArchConfig());
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front().out_shape, (std::vector<int64_t>{1, 2, 64, 80}));
  EXPECT_EQ(rows.back().out_shape, (std::vector<int64_t>{1, 19}));
  const std::string text = FormatArchitecture(ArchConfig());
  EXPECT_NE(text.find("parameters: 894675"), std::string::npos) << text;
}

TEST(ConvBlock, ShapesThroughEveryLayer) {
  ArchConfig a;
  ConvBlock block(a);
  block->eval();
  auto x = RandomInput(3);
  const std::vector<std::vector<int64_t>> want = {{3, 64, 16, 80}, {3, 128, 4, 80}, {3, 256, 1, 80}};
  torch::Tensor h = x;
  namespace F = torch::nn::functional;
  for (size_t i = 0; i < 3; ++i) {
    const int k = a.kernels[i];
    if (k % 2 == 0) h = F::pad(h, F::PadFuncOptions({0, 1, 0, 1}));
    h = block->convs()[i]->forward(h);
    EXPECT_EQ(h.size(2), a.bands / (i == 0 ? 1 : (i == 1 ? 4 : 16))) << "SAME padding keeps M at layer " << i;
    EXPECT_EQ(h.size(3), 80) << "SAME padding keeps T at layer " << i;
    h = block->bns()[i]->forward(torch::relu(h));
    h = F::max_pool2d(h, F::MaxPool2dFuncOptions({4, 1}).stride({4, 1}));
    EXPECT_EQ(h.sizes().vec(), want[i]);
  }
  EXPECT_TRUE(torch::allclose(h, block->forward(x)));
}

TEST(ConvBlock, EvenKernelPadsAfterOnly) {
  // A 2x2 kernel of ones on a 1-channel delta at the last row/column: with pad 0 before and
  // 1 after, output[m][t] = x[m][t] + x[m+1][t] + x[m][t+1] + x[m+1][t+1].
  ArchConfig a;
  a.channels = 1;
  a.bands = 4;
  a.frames = 3;
  a.filters = {1};
  a.kernels = {2};
  a.pool = 1;
  ConvBlock block(a);
  block->eval();
  torch::NoGradGuard ng;
  block->convs()[0]->weight.fill_(1.0);
  block->convs()[0]->bias.zero_();
  auto x = torch::zeros({1, 1, 4, 3});
  x[0][0][3][2] = 1.0;  // bottom-right corner
  x[0][0][0][0] = 2.0;  // top-left corner
  auto y = torch::relu(block->convs()[0]->forward(
      torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({0, 1, 0, 1}))));
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_FLOAT_EQ(y[0][0][3][2].item<float>(), 1.0f);  // only itself (padding after)
  EXPECT_FLOAT_EQ(y[0][0][2][1].item<float>(), 1.0f);  // sees (3,2) as its after-neighbour
  EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(y[0][0][1][1].item<float>(), 0.0f);  // would see (0,0) only with padding before
}

TEST(AttCrnn, ShapesAndAttentionProperties) {
  torch::manual_seed(1);
  AttCrnn net(ArchConfig{});
  net->eval();
  torch::NoGradGuard ng;
  auto x = RandomInput(4) * 3.0;
  auto c = net->conv->forward(x);
  EXPECT_EQ(c.sizes().vec(), (std::vector<int64_t>{4, 256, 1, 80}));
  auto seq = c.permute({0, 3, 1, 2}).reshape({4, 80, -1});
  auto z = net->Recurrent(seq);
  EXPECT_EQ(z.sizes().vec(), (std::vector<int64_t>{4, 80, 256}));
  auto out = net->forward(x);
  EXPECT_EQ(out.logits.sizes().vec(), (std::vector<int64_t>{4, 19}));
  EXPECT_EQ(out.pooled.sizes().vec(), (std::vector<int64_t>{4, 256}));
  EXPECT_EQ(out.a_spa.sizes().vec(), (std::vector<int64_t>{4, 256}));
  EXPECT_EQ(out.a_tem.sizes().vec(), (std::vector<int64_t>{4, 80}));
  EXPECT_GE(out.a_spa.min().item<float>(), 0.0f);
  EXPECT_GE(out.a_tem.min().item<float>(), 0.0f);
  EXPECT_TRUE(torch::allclose(out.a_spa.sum(1), torch::ones({4}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(out.a_tem.sum(1), torch::ones({4}), 1e-5, 1e-5));
  EXPECT_LE(out.pooled.abs().max().item<float>(), 80.0f);
  // x_s = sum_t tanh(a_spa_s a_tem_t Z_st), recomputed by hand.
  auto zs = z.transpose(1, 2);
  auto x_ref = torch::tanh(out.a_spa.unsqueeze(2) * out.a_tem.unsqueeze(1) * zs).sum(2);
  EXPECT_TRUE(torch::allclose(out.pooled, x_ref, 1e-5, 1e-6));
  // Temporal attention by hand for one sample.
  auto e = net->temporal_v->forward(torch::tanh(net->temporal_w->forward(z[0]))).squeeze(-1);
  EXPECT_TRUE(torch::allclose(out.a_tem[0], torch::softmax(e, 0), 1e-5, 1e-7));
  EXPECT_TRUE(torch::allclose(out.logits, net->classifier->forward(out.pooled)));
}

TEST(AttCrnn, PooledBoundedByTWithMeanOneScale) {
  ArchConfig a;
  a.attention_scale = ArchConfig::AttentionScale::kMean1;
  AttCrnn net(a);
  net->eval();
  torch::NoGradGuard ng;
  // Push Z large so tanh saturates: |x_s| <= T must still hold.
  {
    auto p = net->proj->weight;
    p.mul_(50.0);
  }
  auto out = net->forward(RandomInput(3) * 10);
  EXPECT_LE(out.pooled.abs().max().item<float>(), 80.0f);
  EXPECT_GT(out.pooled.abs().max().item<float>(), 1.0f);  // the scale made A * Z non-negligible
}

TEST(Cnn, ShapesAndGlobalMax) {
  Cnn net(ArchConfig::Preset("cnn", 19));
  net->eval();
  torch::NoGradGuard ng;
  auto x = RandomInput(5);
  auto out = net->forward(x);
  EXPECT_EQ(out.logits.sizes().vec(), (std::vector<int64_t>{5, 19}));
  EXPECT_EQ(out.pooled.sizes().vec(), (std::vector<int64_t>{5, 256}));
  EXPECT_FALSE(out.a_spa.defined());
  auto c = net->conv->forward(x);
  EXPECT_TRUE(torch::equal(out.pooled, std::get<0>(c.reshape({5, 256, -1}).max(2))));
}

TEST(Networks, RejectWrongInputShape) {
  for (const char* name : {"attcrnn", "cnn"}) {
    auto net = MakeNetwork(ArchConfig::Preset(name));
    EXPECT_THROW(net->forward(torch::randn({2, 1, 64, 80})), c10::Error);
    EXPECT_THROW(net->forward(torch::randn({2, 2, 64, 81})), c10::Error);
    EXPECT_THROW(net->forward(torch::randn({2, 64, 80})), c10::Error);
  }
}

TEST(Networks, TrainVersusEval) {
  for (const char* name : {"attcrnn", "cnn"}) {
    torch::manual_seed(3);
    auto net = MakeNetwork(ArchConfig::Preset(name));
    auto x = RandomInput(8);
    torch::NoGradGuard ng;
    // Eval: deterministic, uses running statistics (a single sample gives the same answer
    // alone or within a batch).
    net->eval();
    auto e1 = net->forward(x).logits;
    auto e2 = net->forward(x).logits;
    EXPECT_TRUE(torch::equal(e1, e2)) << name;
    auto single = net->forward(x.slice(0, 0, 1)).logits;
    EXPECT_TRUE(torch::allclose(single, e1.slice(0, 0, 1), 1e-4, 1e-5)) << name;
    // Train: dropout active -> two passes differ; batch norm uses batch statistics ->
    // differs from eval and updates the running statistics.
    net->train();
    auto bn = std::dynamic_pointer_cast<torch::nn::Module>(net)->named_buffers()["conv.bn1.running_mean"].clone();
    auto t1 = net->forward(x).logits;
    auto t2 = net->forward(x).logits;
    EXPECT_FALSE(torch::allclose(t1, t2)) << name << ": dropout should make train passes differ";
    EXPECT_FALSE(torch::allclose(t1, e1)) << name;
    auto bn_after = net->named_buffers()["conv.bn1.running_mean"];
    EXPECT_FALSE(torch::equal(bn, bn_after)) << name << ": running statistics must update in train mode";
    // Batch statistics: with dropout off (p = 0) train mode still depends on the batch.
    ArchConfig a = ArchConfig::Preset(name);
    a.conv_dropout = 0.0;
    a.rnn_dropout = 0.0;
    auto nd = MakeNetwork(a);
    nd->train();
    auto full = nd->forward(x).logits;
    auto half = nd->forward(x.slice(0, 0, 4)).logits;
    EXPECT_FALSE(torch::allclose(full.slice(0, 0, 4), half, 1e-4, 1e-5)) << name;
    nd->eval();
    EXPECT_TRUE(torch::allclose(nd->forward(x).logits.slice(0, 0, 4), nd->forward(x.slice(0, 0, 4)).logits, 1e-4,
                                1e-5));
  }
}

TEST(Networks, GradientsReachEveryParameter) {
  for (const char* name : {"attcrnn", "cnn"}) {
    for (auto scale : {ArchConfig::AttentionScale::kNone, ArchConfig::AttentionScale::kLearned}) {
      torch::manual_seed(5);
      ArchConfig a = ArchConfig::Preset(name);
      a.attention_scale = scale;
      auto net = MakeNetwork(a);
      net->train();
      auto out = net->forward(RandomInput(6));
      auto target = torch::randint(0, 19, {6}, torch::kLong);
      auto loss = torch::nn::functional::cross_entropy(out.logits, target);
      loss.backward();
      for (const auto& p : net->named_parameters()) {
        ASSERT_TRUE(p.value().grad().defined()) << name << " " << p.key();
        EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << name << " " << p.key();
      }
      if (!a.IsAttCrnn()) break;
    }
  }
}

TEST(Complexity, NetworkMacsMatchAHandCount) {
  // Att-CRNN preset, 9 classes, one 2 x 64 x 80 segment (T = 80, H = 128, attention 64).
  const int64_t conv = 2 * 64 * 5 * 5 * 64 * 80 + 64 * 128 * 3 * 3 * 16 * 80 + 128 * 256 * 2 * 2 * 4 * 80;
  const int64_t bn = 64 * 64 * 80 + 128 * 16 * 80 + 256 * 4 * 80;
  const int64_t gru = 2 * 80 * 3 * 128 * (256 + 128) + 2 * 80 * 3 * 128 * (256 + 128);
  const int64_t proj = 80 * 256 * 256, temporal = 80 * (256 * 64 + 64), spatial = 256 * (80 * 64 + 64);
  const int64_t pool = 256 * 80, classifier = 256 * 9;
  const ArchConfig att = ArchConfig::Preset("attcrnn", 9);
  EXPECT_EQ(CountMacs(att), conv + bn + gru + proj + temporal + spatial + pool + classifier);
  EXPECT_EQ(CountMacs(att), 208366848);
  // CNN: the same conv block, then global max and a 256 -> 9 classifier.
  EXPECT_EQ(CountMacs(ArchConfig::Preset("cnn", 9)), conv + bn + 256 * 9);
}

TEST(Complexity, PerSecondOfAudioAndTheFrontEnd) {
  const ArchConfig att = ArchConfig::Preset("attcrnn", 9);
  FeatureConfig mel = FeatureConfig::Preset("logmel");
  const Complexity c = ComputeComplexity(att, mel);
  EXPECT_EQ(c.parameters, CountParameters(att));
  EXPECT_EQ(c.parameter_bytes, 4 * c.parameters);
  EXPECT_NEAR(c.frames_per_second, 22050.0 / 551, 1e-9);
  EXPECT_NEAR(c.segments_per_second, 22050.0 / 551 / 80, 1e-12);  // the paper's grid: every 80 frames
  EXPECT_NEAR(c.network_macs_per_second, 208366848 * c.segments_per_second, 1e-3);
  EXPECT_EQ(c.front_end.window, 1102);
  EXPECT_EQ(c.front_end.fft, 2048 * 11);
  EXPECT_EQ(c.front_end.power, 2 * 1025);
  EXPECT_EQ(c.front_end.noise, 41 * 1025);
  EXPECT_EQ(c.front_end.log, 2 * 64);
  // Mel rows are sparse (overlapping triangles: about 2 weights per bin); Gammatone's are not.
  EXPECT_GT(c.front_end.filterbank, 2 * 1025);
  EXPECT_LT(c.front_end.filterbank, 2 * 3 * 1025);
  EXPECT_NEAR(c.front_end_macs_per_second, c.front_end.PerFrame() * c.frames_per_second, 1e-6);
  // Half the hop: twice the windows per second.
  mel.segment.hop = 40;
  EXPECT_NEAR(ComputeComplexity(att, mel).network_macs_per_second, 2 * c.network_macs_per_second, 1e-3);
  // A front end that does not fit the network is a clear error.
  FeatureConfig one = FeatureConfig::Preset("logmel");
  one.background_channel = false;
  EXPECT_THROW(ComputeComplexity(att, one), ConfigError);
  EXPECT_NE(c.ToString().find("GMAC per second of audio"), std::string::npos);
}

}  // namespace
}  // namespace ascnet
