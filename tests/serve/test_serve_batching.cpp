// Dynamic batching must not change any answer: a segment's posteriors are the same bits
// whether it is scored alone or inside a batch with other requests' segments (eval mode).
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "ascnet/audio/decode.h"
#include "ascnet/features/extractor.h"
#include "ascnet/infer/recognizer.h"
#include "ascnet/model/inference.h"
#include "ascnet/serve/batcher.h"
#include "common/cli_runner.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

namespace {

SegmentImages Segments(const Recognizer& rec, const std::string& wav) {
  return FeatureExtractor::Compute(rec.features(), LoadAudio(wav, {rec.features().frame.sample_rate}));
}

// Cross-batch bits are a property of the BLAS kernels (RowsIndependentOfBatch): where they
// do not hold, `ascnet serve` scores every request alone, so there is nothing to check here
// (tests/serve/CMakeLists.txt also runs these tests with OpenBLAS's AVX-512 kernels forced).
#define SKIP_UNLESS_ROWS_INDEPENDENT_OF_BATCH()                                                    \
  do {                                                                                              \
    std::string why;                                                                                \
    if (!RowsIndependentOfBatch(&why)) GTEST_SKIP() << why << ": the server does not batch across requests here"; \
  } while (0)

void ExpectSameBits(const DoubleMatrix& a, const DoubleMatrix& b, const std::string& what) {
  ASSERT_EQ(a.rows, b.rows) << what;
  ASSERT_EQ(a.cols, b.cols) << what;
  for (size_t i = 0; i < a.data.size(); ++i) ASSERT_EQ(a.data[i], b.data[i]) << what << " value " << i;
}

}  // namespace

TEST(ServeBatching, RowsDoNotDependOnTheirBatch) {
  SKIP_UNLESS_ROWS_INDEPENDENT_OF_BATCH();
  const auto dir = TempDir("serve_batching");
  for (const char* arch : {"attcrnn", "cnn"}) {
    for (bool calibrated : {false, true}) {
      for (int threads : {1, 2, 3}) {
        torch::set_num_threads(threads);
        Recognizer rec(SmallBundle(arch, calibrated));
        const std::string a = (dir / "a.wav").string(), b = (dir / "b.wav").string();
        WriteToneWav(a, 6.5, 300);
        WriteToneWav(b, 9.0, 3000);
        const SegmentImages sa = Segments(rec, a), sb = Segments(rec, b);
        const int64_t floats = static_cast<int64_t>(sa.data.size()) / sa.num_segments;
        const DoubleMatrix alone = rec.Posteriors(sa.data.data(), sa.num_segments);
        // b's segments, then a's, in one call: a's rows must be the same bits as alone.
        std::vector<float> joined(sb.data);
        joined.insert(joined.end(), sa.data.begin(), sa.data.end());
        const DoubleMatrix both = rec.Posteriors(joined.data(), sb.num_segments + sa.num_segments);
        const DoubleMatrix tail(sa.num_segments, both.cols,
                                std::vector<double>(both.Row(sb.num_segments), both.Row(sb.num_segments) + sa.num_segments * both.cols));
        const std::string what = std::string(arch) + (calibrated ? " svm" : " softmax") + " threads " + std::to_string(threads);
        ExpectSameBits(alone, tail, what);
        // One segment at a time: the same bits again.
        for (int64_t s = 0; s < sa.num_segments; ++s) {
          const DoubleMatrix one = rec.Posteriors(sa.data.data() + s * floats, 1);
          for (int64_t c = 0; c < one.cols; ++c) ASSERT_EQ(one(0, c), alone(s, c)) << what << " segment " << s;
        }
      }
    }
  }
  torch::set_num_threads(1);
}

// The same at the paper's size (what `ascnet serve` runs): any run of 1-5 segments scored
// alone equals its rows in a batch of 11 and in one of 67 (above the server's 64), with 1
// and 2 threads.
TEST(ServeBatching, PaperSizeRowsDoNotDependOnTheirBatch) {
  SKIP_UNLESS_ROWS_INDEPENDENT_OF_BATCH();
  for (const char* arch : {"attcrnn", "cnn"}) {
    torch::manual_seed(5);
    const ArchConfig a = ArchConfig::Preset(arch, 3);
    ModelBundle b = MakeBundle(a, FeatureConfig::Preset("logmel"), {"low", "mid", "high"});
    Recognizer rec(std::move(b));
    const int64_t floats = static_cast<int64_t>(a.channels) * a.bands * a.frames;
    const torch::Tensor x = torch::randn({67 * floats});
    const float* data = x.data_ptr<float>();
    for (auto [threads, n] : {std::pair{1, int64_t{11}}, std::pair{2, int64_t{11}}, std::pair{2, int64_t{67}}}) {
      torch::set_num_threads(threads);
      const DoubleMatrix all = rec.Posteriors(data, n);
      for (int64_t count = 1; count <= 5; ++count) {
        for (int64_t first : {int64_t{0}, int64_t{3}, n - count}) {
          const DoubleMatrix part = rec.Posteriors(data + first * floats, count);
          for (int64_t r = 0; r < count; ++r) {
            for (int64_t c = 0; c < part.cols; ++c) {
              ASSERT_EQ(part(r, c), all(first + r, c))
                  << arch << " threads " << threads << " rows " << first << "+" << count << " of " << n;
            }
          }
        }
      }
    }
  }
  torch::set_num_threads(1);
}

TEST(ServeBatching, ConcurrentCallersGetTheirOwnRowsBitForBit) {
  SKIP_UNLESS_ROWS_INDEPENDENT_OF_BATCH();
  torch::set_num_threads(1);
  const auto dir = TempDir("serve_batcher");
  Recognizer rec(SmallBundle("attcrnn", true));
  const ArchConfig& arch = rec.bundle().arch;
  std::vector<SegmentImages> inputs;
  std::vector<DoubleMatrix> expected;
  for (int i = 0; i < 8; ++i) {
    const std::string wav = (dir / ("t" + std::to_string(i) + ".wav")).string();
    WriteToneWav(wav, 2.5 + i, 200 + 500 * i);
    inputs.push_back(Segments(rec, wav));
    expected.push_back(rec.Posteriors(inputs.back().data.data(), inputs.back().num_segments));
  }
  int64_t total = 0;
  for (const auto& in : inputs) total += in.num_segments;
  // A batch exactly as large as all callers' segments together, and a wait that only bounds
  // liveness: the batcher sends one call once all 8 have arrived.
  serve::BatchOptions o;
  o.max_batch = total;
  o.max_wait_ms = 30000;
  serve::Batcher batcher([&](const float* s, int64_t n) { return rec.Posteriors(s, n); },
                         static_cast<int64_t>(arch.channels) * arch.bands * arch.frames, o);
  std::vector<DoubleMatrix> got(inputs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = batcher.Score(inputs[i].data.data(), inputs[i].num_segments); });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < inputs.size(); ++i) ExpectSameBits(expected[i], got[i], "caller " + std::to_string(i));
  const serve::BatchStats st = batcher.stats();
  EXPECT_EQ(st.requests, 8);
  EXPECT_EQ(st.segments, total);
  EXPECT_EQ(st.calls, 1);
  EXPECT_EQ(st.max_batch_seen, total);
}

TEST(ServeBatching, ScorerErrorsReachEveryCallerOfTheBatch) {
  serve::Batcher batcher([](const float*, int64_t) -> DoubleMatrix { throw AudioError("boom"); }, 4, {});
  const std::vector<float> x(8, 0.f);
  EXPECT_THROW(batcher.Score(x.data(), 2), AudioError);
  EXPECT_EQ(batcher.stats().calls, 0);
}

// The warm-up runs on the thread that scores, before the first call; one that throws does
// not stop the batcher.
TEST(ServeBatching, WarmUpRunsOnTheScoringThreadFirst) {
  for (bool throws : {false, true}) {
    std::thread::id warm_thread, score_thread;
    std::atomic<int> order{0};
    int warm_at = -1, score_at = -1;
    serve::Batcher batcher(
        [&](const float*, int64_t n) {
          score_thread = std::this_thread::get_id();
          score_at = order++;
          return DoubleMatrix(n, 1, std::vector<double>(static_cast<size_t>(n), 1.0));
        },
        1, serve::BatchOptions{},
        [&] {
          warm_thread = std::this_thread::get_id();
          warm_at = order++;
          if (throws) throw std::runtime_error("warm-up failed");
        });
    const float x = 0.5f;
    const DoubleMatrix got = batcher.Score(&x, 1);
    EXPECT_EQ(got.rows, 1);
    EXPECT_EQ(warm_thread, score_thread);
    EXPECT_NE(warm_thread, std::this_thread::get_id());
    EXPECT_EQ(warm_at, 0);
    EXPECT_EQ(score_at, 1);
  }
}
