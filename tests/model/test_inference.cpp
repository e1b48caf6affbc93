// The fast inference engine must reproduce the network's eval forward.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include "ascnet/core/blas.h"
#include "ascnet/model/classifier.h"
#include "ascnet/model/inference.h"
#include "ascnet/model/networks.h"

namespace ascnet {
namespace {

/// A network with moved batch-norm statistics and some negative batch-norm scales (the
/// engine pools before applying batch norm, which needs -max(-x) for those channels).
NetworkPtr Prepared(const ArchConfig& a, uint64_t seed) {
  torch::manual_seed(seed);
  auto net = MakeNetwork(a);
  torch::NoGradGuard ng;
  net->train();
  for (int i = 0; i < 2; ++i) net->forward(torch::randn({12, a.channels, a.bands, a.frames}) * 2 + 0.3);
  net->eval();
  for (auto& p : net->named_parameters()) {
    if (p.key().find(".bn") != std::string::npos && p.key().find("weight") != std::string::npos) {
      p.value().copy_(torch::randn(p.value().sizes()));  // about half negative
    }
  }
  return net;
}

void ExpectSame(const NetOutput& a, const NetOutput& b, const std::string& what) {
  EXPECT_TRUE(torch::allclose(a.logits, b.logits, 1e-4, 1e-5))
      << what << " logits max diff " << (a.logits - b.logits).abs().max().item<float>();
  EXPECT_TRUE(torch::allclose(a.pooled, b.pooled, 1e-4, 1e-5))
      << what << " pooled max diff " << (a.pooled - b.pooled).abs().max().item<float>();
  ASSERT_EQ(a.a_spa.defined(), b.a_spa.defined());
  if (a.a_spa.defined()) {
    EXPECT_TRUE(torch::allclose(a.a_spa, b.a_spa, 1e-4, 1e-7)) << what;
    EXPECT_TRUE(torch::allclose(a.a_tem, b.a_tem, 1e-4, 1e-7)) << what;
  }
}

class EngineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineTest, MatchesEvalForwardInEveryConfiguration) {
  const ArchConfig a = ArchConfig::Preset(GetParam(), 19);
  auto net = Prepared(a, 3);
  const auto x = torch::randn({23, 2, 64, 80}) * 2;
  NetOutput ref;
  {
    torch::NoGradGuard ng;
    ref = net->forward(x);
  }
  for (int64_t chunk : {0, 1, 7, 23, 50}) {
    for (int mask : {0, 1, 6, 7}) {
      InferenceOptions o;
      o.chunk = chunk;
      o.conv_chunk = 4;
      for (int i = 0; i < 3; ++i) o.channels_last.push_back((mask >> i) & 1);
      InferenceEngine engine(net, o);
      ExpectSame(engine.Forward(x), ref, "chunk " + std::to_string(chunk) + " mask " + std::to_string(mask));
    }
  }
}

TEST_P(EngineTest, OtherSizesAndScales) {
  ArchConfig a = ArchConfig::Preset(GetParam(), 5);
  a.bands = 128;  // two bands left after the conv block: F = 2 * filters.back()
  a.frames = 33;
  a.filters = {8, 12, 16};
  a.kernels = {4, 3, 2};
  a.hidden = 24;
  a.rnn_layers = 3;
  a.attention = 8;
  a.attention_scale = ArchConfig::AttentionScale::kMean1;
  auto net = Prepared(a, 4);
  const auto x = torch::randn({9, 2, 128, 33});
  NetOutput ref;
  {
    torch::NoGradGuard ng;
    ref = net->forward(x);
  }
  for (int mask : {0, 7}) {
    InferenceOptions o;
    o.conv_chunk = 2;
    for (int i = 0; i < 3; ++i) o.channels_last.push_back((mask >> i) & 1);
    InferenceEngine engine(net, o);
    ExpectSame(engine.Forward(x), ref, "mask " + std::to_string(mask));
  }
}

TEST_P(EngineTest, MatchesEvalForwardWithInstanceNorm) {
  for (double lambda : {0.5, 1.0}) {
    ArchConfig a = ArchConfig::Preset(GetParam(), 7);
    a.instance_norm = lambda;
    auto net = Prepared(a, 5);
    const auto x = torch::randn({11, 2, 64, 80}) * 3 - 5;
    NetOutput ref;
    {
      torch::NoGradGuard ng;
      ref = net->forward(x);
    }
    InferenceOptions o;
    o.chunk = 4;
    InferenceEngine engine(net, o);
    ExpectSame(engine.Forward(x), ref, "lambda " + std::to_string(lambda));
  }
}

TEST_P(EngineTest, TwoThreads) {
  const ArchConfig a = ArchConfig::Preset(GetParam(), 19);
  auto net = Prepared(a, 5);
  const auto x = torch::randn({17, 2, 64, 80});
  NetOutput ref;
  {
    torch::NoGradGuard ng;
    ref = net->forward(x);
  }
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  for (int64_t chunk : {0, 3}) {
    InferenceOptions o;
    o.chunk = chunk;
    InferenceEngine engine(net, o);
    ExpectSame(engine.Forward(x), ref, "2 threads, chunk " + std::to_string(chunk));
  }
  at::set_num_threads(before);
}

// A segment's outputs are the same bits alone and in any batch (what lets `ascnet serve` join
// requests), with 1 and 2 threads, for both networks at the paper's size.
TEST_P(EngineTest, RowsDoNotDependOnTheirBatch) {
  const ArchConfig a = ArchConfig::Preset(GetParam(), 19);
  auto net = Prepared(a, 6);
  const auto x = torch::randn({13, 2, 64, 80});
  const int before = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    InferenceEngine engine(net);
    const NetOutput all = engine.Forward(x);
    for (int64_t rows : {1, 2, 3, 5}) {
      for (int64_t first : {int64_t{0}, int64_t{4}, 13 - rows}) {
        const NetOutput part = engine.Forward(x.narrow(0, first, rows));
        const std::string what = std::to_string(threads) + " threads, rows " + std::to_string(first) + "+" + std::to_string(rows);
        EXPECT_TRUE(torch::equal(part.logits, all.logits.narrow(0, first, rows))) << what;
        EXPECT_TRUE(torch::equal(part.pooled, all.pooled.narrow(0, first, rows))) << what;
      }
    }
  }
  at::set_num_threads(before);
}

INSTANTIATE_TEST_SUITE_P(Archs, EngineTest, ::testing::Values("attcrnn", "cnn"));

// No padding on the CPU: the engine's rows do not depend on their batch with any of
// OpenBLAS's kernel sets (ServeKernels.* and ServeBatching.* in tests/serve check it bit for
// bit, also under forced kernels); on other devices 4.
TEST(Engine, BatchRowMultiple) {
  std::string why;
  const bool independent = RowsIndependentOfBatch(&why);
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(independent, !OpenBlasCore().empty()) << why;  // Debian's LibTorch: OpenBLAS
  EXPECT_EQ(BatchRowMultiple(torch::kCPU), 1) << why;
  EXPECT_EQ(BatchRowMultiple(torch::Device(torch::kCUDA, 0)), kExactRowMultiple);
}

TEST(Engine, RejectsTrainingModeAndBadShapes) {
  auto net = MakeNetwork(ArchConfig());
  net->eval();
  InferenceEngine engine(net);
  EXPECT_THROW(engine.Forward(torch::randn({2, 2, 64, 79})), c10::Error);
  net->train();
  EXPECT_THROW(engine.Forward(torch::randn({2, 2, 64, 80})), c10::Error);
}

TEST(Engine, ClassifierFastPathMatchesPlainPath) {
  ModelBundle b = MakeBundle(ArchConfig(), FeatureConfig());
  torch::manual_seed(9);
  for (auto& m : b.normalisation.mean) m = 0.5f;
  b.net = Prepared(b.arch, 9);
  Classifier fast(b), plain(b);
  plain.SetFast(false);
  const auto x = torch::randn({11, 2, 64, 80}) * 3;
  ExpectSame(fast.Forward(x), plain.Forward(x), "classifier");
  EXPECT_TRUE(torch::allclose(fast.Posteriors(x), plain.Posteriors(x), 1e-4, 1e-6));
}

}  // namespace
}  // namespace ascnet
