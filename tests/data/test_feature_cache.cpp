#include <gtest/gtest.h>
#include <sndfile.h>
#include <utime.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <fstream>

#include <chrono>
#include <thread>

#include "ascnet/audio/decode.h"
#include "ascnet/core/error.h"
#include "ascnet/core/file_lock.h"
#include "ascnet/data/feature_cache.h"
#include "ascnet/features/extractor.h"
#include "common/temp_dir.h"

using namespace ascnet;
namespace fs = std::filesystem;

namespace {

void WriteTone(const fs::path& path, double freq, double seconds, int rate = 22050) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(2 * M_PI * freq * i / rate) + 0.01f * std::sin(0.37f * i * i);
  sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size()));
  sf_close(f);
}

class FeatureCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "audio");
    WriteTone(dir_ / "audio/a1.wav", 300, 4.5);
    WriteTone(dir_ / "audio/a2.wav", 320, 2.5);
    WriteTone(dir_ / "audio/b1.wav", 2000, 1.0);
    WriteTone(dir_ / "audio/b2.wav", 2100, 6.0);
    std::ofstream(dir_ / "meta.csv") << "filename,label,fold\naudio/a1.wav,a,1\naudio/b1.wav,b,1\n"
                                        "audio/a2.wav,a,2\naudio/b2.wav,b,2\n";
    opts_.root = (dir_ / "cache").string();
    opts_.progress = false;
  }
  Dataset Load() { return LoadDataset("csv:" + (dir_ / "meta.csv").string()); }

  ascnet::testing::TempDir dir_;  // removed with the fixture
  CacheOptions opts_;
  FeatureConfig cfg_ = FeatureConfig::Preset("logmel");
};

void ExpectMatchesDirectExtraction(const FeatureCache& cache, const Dataset& ds) {
  ASSERT_EQ(cache.num_items(), static_cast<int64_t>(ds.items.size()));
  int64_t total = 0;
  for (int i = 0; i < cache.num_items(); ++i) {
    const SegmentImages img = FeatureExtractor::Compute(cache.config(), LoadAudio(ds.items[i].path));
    ASSERT_EQ(cache.item_segments(i), img.num_segments) << ds.items[i].path;
    ASSERT_EQ(cache.first_segment(i), total);
    for (int64_t s = 0; s < img.num_segments; ++s) {
      const float* got = cache.segment(cache.first_segment(i) + s);
      ASSERT_EQ(std::memcmp(got, img.Segment(s), sizeof(float) * img.SegmentSize()), 0) << "item " << i << " seg " << s;
      EXPECT_EQ(cache.item_of_segment(total + s), i);
      EXPECT_DOUBLE_EQ(cache.segment_start(total + s), img.start_seconds[s]);
    }
    total += img.num_segments;
  }
  EXPECT_EQ(cache.num_segments(), total);
}

}  // namespace

TEST_F(FeatureCacheTest, BuildsThenReuses) {
  const Dataset ds = Load();
  {
    FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
    EXPECT_EQ(c.extracted(), 4);
    EXPECT_EQ(c.segment_shape(), (std::vector<int64_t>{2, 64, 80}));
    EXPECT_TRUE(c.failures().empty());
    ExpectMatchesDirectExtraction(c, ds);
  }
  FeatureCache again = FeatureCache::Build(ds, cfg_, opts_);
  EXPECT_EQ(again.extracted(), 0);
  ExpectMatchesDirectExtraction(again, ds);
  EXPECT_TRUE(fs::exists(fs::path(opts_.root) / FeatureConfigHash(cfg_) / "config.json"));
}

TEST_F(FeatureCacheTest, ChangedAudioIsReextracted) {
  const Dataset ds = Load();
  FeatureCache::Build(ds, cfg_, opts_);
  WriteTone(dir_ / "audio/a2.wav", 900, 3.0);  // new content, new size
  FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
  EXPECT_EQ(c.extracted(), 1);
  ExpectMatchesDirectExtraction(c, ds);
}

TEST_F(FeatureCacheTest, ChangedConfigUsesAnotherFolder) {
  const Dataset ds = Load();
  FeatureCache a = FeatureCache::Build(ds, cfg_, opts_);
  FeatureCache b = FeatureCache::Build(ds, FeatureConfig::Preset("loggam"), opts_);
  EXPECT_EQ(b.extracted(), 4);
  EXPECT_NE(a.pack_path(), b.pack_path());
  EXPECT_NE(FeatureConfigHash(cfg_), FeatureConfigHash(FeatureConfig::Preset("loggam")));
}

TEST_F(FeatureCacheTest, TruncatedOrCorruptedPackIsRebuiltNeverRead) {
  const Dataset ds = Load();
  std::string pack;
  {
    FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
    pack = c.pack_path();
  }
  const auto size = fs::file_size(pack);
  for (int variant = 0; variant < 3; ++variant) {
    if (variant == 0) {
      fs::resize_file(pack, size / 2);  // killed while writing / truncated copy
    } else {
      std::fstream f(pack, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(variant == 1 ? 64 + 4 * 1000 : static_cast<std::streamoff>(size) - 10);  // data / index byte
      char c;
      f.read(&c, 1);
      f.seekp(-1, std::ios::cur);
      c ^= 0x5a;
      f.write(&c, 1);
    }
    FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
    EXPECT_EQ(c.extracted(), 4) << "variant " << variant;
    ExpectMatchesDirectExtraction(c, ds);
    EXPECT_EQ(fs::file_size(pack), size);
  }
}

TEST_F(FeatureCacheTest, LeftoverItemFilesFromAKilledBuildAreReusedOrIgnored) {
  const Dataset ds = Load();
  std::string pack;
  {
    FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
    pack = c.pack_path();
  }
  fs::remove(pack);
  // A garbage item file (e.g. a half-written one) must not be read as data.
  const fs::path items = fs::path(opts_.root) / FeatureConfigHash(cfg_) / "items";
  std::ofstream(items / "0000000000000000.seg") << "garbage";
  for (const auto& e : fs::directory_iterator(items)) std::ofstream(e.path(), std::ios::trunc) << "ASCSEGS1 garbage";
  FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
  ExpectMatchesDirectExtraction(c, ds);
}

TEST_F(FeatureCacheTest, BadAudioIsReportedAndTheRestCached) {
  std::ofstream(dir_ / "audio/a2.wav", std::ios::trunc) << "not audio at all";
  const Dataset ds = Load();
  FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
  ASSERT_EQ(c.failures().size(), 1u);
  EXPECT_NE(c.failures()[0].path.find("a2.wav"), std::string::npos);
  EXPECT_NE(c.failures()[0].error.find("a2.wav"), std::string::npos) << c.failures()[0].error;
  EXPECT_EQ(c.item_segments(c.failures()[0].item), 0);
  EXPECT_GT(c.num_segments(), 0);
  FeatureCache again = FeatureCache::Build(ds, cfg_, opts_);
  EXPECT_EQ(again.extracted(), 0);
  EXPECT_EQ(again.failures().size(), 1u);
}

TEST_F(FeatureCacheTest, UnwritableRootIsAClearError) {
  opts_.root = "/proc/ascnet-cache-cannot-exist";
  try {
    FeatureCache::Build(Load(), cfg_, opts_);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/ascnet-cache-cannot-exist"), std::string::npos) << e.what();
  }
}

TEST_F(FeatureCacheTest, ShardsExtractDisjointItemsAndTheNextBuildAssemblesThem) {
  const Dataset ds = Load();
  std::vector<std::string> files_after;
  int64_t total = 0;
  for (int k = 0; k < 3; ++k) {
    const CacheShardResult r = FeatureCache::BuildShard(ds, cfg_, opts_, k, 3);
    EXPECT_EQ(r.items, k == 0 ? 2 : 1) << "shard " << k;  // items 0,3 / 1 / 2
    EXPECT_EQ(r.extracted, r.items);
    total += r.extracted;
    EXPECT_FALSE(fs::exists(r.pack_path)) << "a shard writes no pack";
  }
  EXPECT_EQ(total, 4);
  const CacheShardResult again = FeatureCache::BuildShard(ds, cfg_, opts_, 1, 3);
  EXPECT_EQ(again.extracted, 0);
  EXPECT_EQ(again.already_done, 1);
  FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
  EXPECT_EQ(c.extracted(), 0);
  EXPECT_EQ(c.from_item_files(), 4);
  ExpectMatchesDirectExtraction(c, ds);
  EXPECT_TRUE(fs::is_empty(fs::path(opts_.root) / FeatureConfigHash(cfg_) / "items")) << "the pack absorbed them";
  EXPECT_EQ(FeatureCache::BuildShard(ds, cfg_, opts_, 0, 3).extracted, 0) << "a packed item is not extracted again";
  EXPECT_THROW(FeatureCache::BuildShard(ds, cfg_, opts_, 3, 3), ConfigError);
}

// item_file(i) names the file a shard (or an unfinished build) writes for item i: after a
// shard of every item and the pack removed, exactly those files are there.
TEST_F(FeatureCacheTest, ItemFileNamesWhereAShardWritesEachItem) {
  const Dataset ds = Load();
  FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
  fs::remove(c.pack_path());
  EXPECT_EQ(FeatureCache::BuildShard(ds, cfg_, opts_, 0, 1).extracted, static_cast<int64_t>(ds.items.size()));
  std::set<std::string> written, named;
  for (const auto& e : fs::directory_iterator(fs::path(opts_.root) / FeatureConfigHash(cfg_) / "items")) {
    written.insert(e.path().string());
  }
  for (int i = 0; i < static_cast<int>(ds.items.size()); ++i) named.insert(fs::path(c.item_file(i)).string());
  EXPECT_EQ(written.size(), ds.items.size());
  EXPECT_EQ(written, named);
  EXPECT_THROW(c.item_file(static_cast<int>(ds.items.size())), std::out_of_range);
}

TEST_F(FeatureCacheTest, ABuildWaitsForTheLockHolderAndTakesOverADeadOnesLock) {
  const Dataset ds = Load();
  const std::string pack =
      FeatureCache::BuildShard(ds, cfg_, opts_, 0, 1).pack_path;  // extracts everything into item files
  const std::string lock = pack.substr(0, pack.size() - 5) + ".lock";
  // Held by someone else (another open file description): Build waits until it is released.
  std::optional<FileLock> held = FileLock::TryAcquire(lock);
  ASSERT_TRUE(held.has_value());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    held.reset();
  });
  opts_.progress = true;
  ::testing::internal::CaptureStderr();
  FeatureCache c = FeatureCache::Build(ds, cfg_, opts_);
  const std::string err = ::testing::internal::GetCapturedStderr();
  releaser.join();
  EXPECT_NE(err.find("waiting for the feature cache being built by " + LockOwner::Self().host), std::string::npos) << err;
  ExpectMatchesDirectExtraction(c, ds);
  // A record left under a free lock: its owner died while building; the next build says so.
  fs::remove(c.pack_path());
  std::ofstream(lock) << R"({"host":"node7","pid":4242,"since":"2026-01-01T00:00:00Z"})" << "\n";
  ::testing::internal::CaptureStderr();
  FeatureCache d = FeatureCache::Build(ds, cfg_, opts_);
  const std::string err2 = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err2.find("taking over the cache build of node7:4242"), std::string::npos) << err2;
  EXPECT_EQ(d.extracted(), 4);
  EXPECT_EQ(FileLock::Holder(lock), std::nullopt);
  EXPECT_EQ(std::ifstream(lock).peek(), std::char_traits<char>::eof()) << "released cleanly: no record left";
}
