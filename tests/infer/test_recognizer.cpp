#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cmath>
#include <numeric>

#include "ascnet/audio/decode.h"
#include "ascnet/calibration/fusion.h"
#include "ascnet/core/error.h"
#include "ascnet/features/extractor.h"
#include "ascnet/infer/recognizer.h"
#include "common/cli_runner.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

TEST(Recognizer, StreamingFileClassificationEqualsWholeFilePipeline) {
  for (bool calibrated : {false, true}) {
    const auto dir = TempDir("recognizer");
    const std::string wav = (dir / "tone.wav").string();
    WriteToneWav(wav, 9.5);
    Recognizer rec(SmallBundle("attcrnn", calibrated));
    EXPECT_EQ(rec.score_kind(), calibrated ? ScoreKind::kSvm : ScoreKind::kSoftmax);
    const RecordingScore r = rec.ClassifyFile(wav, /*keep_segments=*/true, /*batch=*/2);
    EXPECT_EQ(r.num_segments, 4);
    ASSERT_EQ(r.segments.size(), 4u);
    EXPECT_NEAR(r.segments[1].start_seconds, 80 * 551 / 22050.0, 1e-9);
    EXPECT_NEAR(r.seconds, 9.5, 1e-3);
    EXPECT_NEAR(std::accumulate(r.probs.begin(), r.probs.end(), 0.0), 1.0, 1e-9);
    // Same as: whole-file features -> posteriors -> multiplicative fusion.
    const SegmentImages img = FeatureExtractor::Compute(rec.features(), LoadAudio(wav));
    const DoubleMatrix p = rec.Posteriors(img.data.data(), img.num_segments);
    ASSERT_EQ(p.rows, 4);
    for (int64_t s = 0; s < p.rows; ++s) {
      EXPECT_NEAR(std::accumulate(p.Row(s), p.Row(s) + p.cols, 0.0), 1.0, 1e-6);
      for (int64_t c = 0; c < p.cols; ++c) EXPECT_NEAR(r.segments[s].probs[c], p(s, c), 1e-5);
    }
    EXPECT_EQ(r.label, DecideLogScore(SumLogPosteriors(p)));
  }
}

TEST(Recognizer, SamplesInMemoryEmbeddingsAndTheResultJson) {
  const auto dir = TempDir("recognizer_samples");
  const std::string wav = (dir / "tone.wav").string();
  WriteToneWav(wav, 6.5);
  Recognizer rec(SmallBundle("cnn", /*calibrated=*/true));
  const RecordingScore file = rec.ClassifyFile(wav, true);
  const std::vector<float> x = LoadAudio(wav);
  const RecordingScore mem = rec.ClassifySamples(x.data(), static_cast<int64_t>(x.size()), 22050, true, 64, "mem");
  EXPECT_EQ(mem.file, "mem");
  EXPECT_EQ(mem.label, file.label);
  ASSERT_EQ(mem.segments.size(), file.segments.size());
  for (size_t c = 0; c < file.probs.size(); ++c) EXPECT_NEAR(mem.probs[c], file.probs[c], 1e-9);
  // At another rate the signal is resampled first: same segments, close posteriors.
  const std::vector<float> x16 = LoadAudio(wav, AudioOptions{16000});
  const RecordingScore r16 = rec.ClassifySamples(x16.data(), static_cast<int64_t>(x16.size()), 16000, true);
  EXPECT_EQ(r16.num_segments, file.num_segments);
  EXPECT_NEAR(r16.seconds, file.seconds, 1e-3);
  EXPECT_THROW(rec.ClassifySamples(x.data(), 0, 22050), AudioError);
  EXPECT_THROW(rec.ClassifySamples(x.data(), 100, 0), ConfigError);
  std::vector<float> bad = x;
  bad[500] = std::nanf("");
  EXPECT_THROW(rec.ClassifySamples(bad.data(), static_cast<int64_t>(bad.size()), 22050), AudioError);

  // Embed: the pooled features, whose SVM scores are Posteriors().
  const SegmentImages img = FeatureExtractor::Compute(rec.features(), x);
  const FloatMatrix e = rec.Embed(img.data.data(), img.num_segments);
  EXPECT_EQ(e.rows, img.num_segments);
  EXPECT_EQ(e.cols, rec.bundle().arch.PooledSize());
  const DoubleMatrix p = rec.Posteriors(img.data.data(), img.num_segments);
  const DoubleMatrix q = rec.bundle().calibration.get<Calibrator>().Predict(e);
  ASSERT_EQ(p.data.size(), q.data.size());
  for (size_t i = 0; i < p.data.size(); ++i) EXPECT_DOUBLE_EQ(p.data[i], q.data[i]);

  const nlohmann::json j = RecordingJson(file, rec.labels(), true);
  EXPECT_EQ(j["file"], wav);
  EXPECT_EQ(j["label"], rec.labels()[static_cast<size_t>(file.label)]);
  EXPECT_EQ(j["num_segments"], file.num_segments);
  EXPECT_DOUBLE_EQ(j["probabilities"]["mid"].get<double>(), file.probs[1]);
  EXPECT_EQ(j["segments"].size(), file.segments.size());
  EXPECT_FALSE(RecordingJson(file, rec.labels(), false).contains("segments"));
}

TEST(Recognizer, SvmScorerNeedsACalibratedBundle) {
  try {
    Recognizer rec(SmallBundle("cnn", false), torch::kCPU, ScoreKind::kSvm);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no calibration"), std::string::npos);
  }
  EXPECT_THROW(ParseScoreKind("bayes"), ConfigError);
}

TEST(Recognizer, BadFilesGiveErrorsNamingThem) {
  const auto dir = TempDir("recognizer_bad");
  Recognizer rec(SmallBundle("cnn"));
  const std::string empty = (dir / "empty.wav").string();
  { std::ofstream(empty).flush(); }
  for (const std::string& f : {empty, (dir / "missing.flac").string()}) {
    try {
      rec.ClassifyFile(f);
      FAIL() << f;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
  }
}

TEST(Recognizer, OneHourFileWithBoundedMemory) {
  const auto dir = TempDir("recognizer_hour");
  const std::string wav = (dir / "hour.wav").string();
  WriteToneWav(wav, 3600.0);
  Recognizer rec(SmallBundle("cnn"));
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const RecordingScore r = rec.ClassifyFile(wav);
  getrusage(RUSAGE_SELF, &after);
  EXPECT_EQ(r.num_segments, 3600 * 22050 / 551 / 80);
  // The decoded signal alone would take 3600 s * 22050 * 4 B = 318 MB; streaming keeps the
  // peak resident set far below that.
  const long grew_kb = after.ru_maxrss - before.ru_maxrss;
  EXPECT_LT(grew_kb, 100 * 1024) << "peak RSS grew by " << grew_kb / 1024 << " MB";
  std::filesystem::remove_all(dir);
}
