// Every input the fuzzers (fuzz/) crashed on, and each fuzzer's corpus, replayed through the
// same entry points: each must now give a typed ascnet error or a consistent result. The
// inputs live in tests/reliability/crashes/<fuzz target>/ and fuzz/corpus/<fuzz target>/
// (first byte = the fuzzer's mode byte); fuzz_replay.h fails a replay whose corpus is missing
// or empty.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ascnet/audio/decode.h"
#include "ascnet/calibration/calibrator.h"
#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/npy.h"
#include "ascnet/data/dataset.h"
#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/options.h"
#include "../../fuzz/config_check.h"
#include "../../fuzz/dataset_check.h"
#include "../../fuzz/feature_cache_check.h"
#include "../../fuzz/fuzz_util.h"
#include "../../fuzz/serve_protocol_check.h"
#include "fuzz_replay.h"
#include "reliability_util.h"

namespace ascnet {
namespace {

namespace fs = std::filesystem;

using reliability::ReplayFuzzInputs;

// Every fuzzer in fuzz/ has a corpus and a replay here: each fuzz/fuzz_*.cpp (fuzz_dataset.cpp
// is built once per layout, fuzz_dataset_<layout>) has a fuzz/corpus/<target>/ folder, and each
// corpus folder's target is named by a replay in this folder's sources. A new fuzzer without
// both fails here.
TEST(FuzzRegressions, EveryFuzzTargetHasACorpusAndAReplay) {
  const fs::path src(ASCNET_SOURCE_DIR);
  std::vector<std::string> corpora;
  for (const auto& e : fs::directory_iterator(src / "fuzz/corpus")) {
    if (e.is_directory()) corpora.push_back(e.path().filename().string());
  }
  int fuzzers = 0;
  for (const auto& e : fs::directory_iterator(src / "fuzz")) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() != ".cpp" || stem.rfind("fuzz_", 0) != 0) continue;
    ++fuzzers;
    const bool has_corpus = std::any_of(corpora.begin(), corpora.end(), [&](const std::string& c) {
      return c == stem || c.rfind(stem + "_", 0) == 0;
    });
    EXPECT_TRUE(has_corpus) << e.path().string() << ": no fuzz/corpus/" << stem << "[_*]/ folder";
  }
  EXPECT_GE(fuzzers, 7) << "fuzz/ lists fewer fuzzers than it had when this test was written";
  std::string replays;
  for (const auto& e : fs::directory_iterator(src / "tests/reliability")) {
    if (e.path().extension() == ".cpp") replays += ReadFile(e.path().string());  // this test names no target
  }
  for (const std::string& c : corpora) {
    EXPECT_NE(replays.find('"' + c + '"'), std::string::npos)
        << "fuzz/corpus/" << c << "/ is replayed by no FuzzRegressions test (expected \"" << c
        << "\" in tests/reliability/*.cpp)";
  }
}

// The replay helper itself: a target whose corpus folder is missing or holds only empty files
// fails, even when it has crash inputs (which are still replayed).
TEST(FuzzRegressions, ReplayFailsWithoutANonEmptyCorpus) {
  const fs::path root = reliability::TempDir("fuzz_replay_guard");
  fs::create_directories(root / "crashes");
  fs::create_directories(root / "corpus");
  reliability::WriteBytes(root / "crashes" / "c1", "x");
  reliability::WriteBytes(root / "corpus" / "empty", "");
  const reliability::FuzzInputDirs dirs{root / "crashes", root / "corpus"};
  int seen = 0;
  auto count = [&](const fs::path&, const std::string&) { ++seen; };
  int n = 0;
  EXPECT_NONFATAL_FAILURE(n = ReplayFuzzInputs("guard", count, dirs), "no non-empty corpus input replayed");
  EXPECT_EQ(n, 1);
  const reliability::FuzzInputDirs no_corpus{root / "crashes", root / "missing"};
  EXPECT_NONFATAL_FAILURE(ReplayFuzzInputs("guard", count, no_corpus), "no non-empty corpus input replayed");
  EXPECT_EQ(seen, 2);  // the crash input, twice; never the empty corpus file
  reliability::WriteBytes(root / "corpus" / "seed", "y");
  EXPECT_EQ(ReplayFuzzInputs("guard", count, dirs), 2);
  fs::remove_all(root);
}

TEST(FuzzRegressions, ServeProtocol) {
  ReplayFuzzInputs("fuzz_serve_protocol", [](const fs::path&, const std::string& bytes) {
    ascnet_fuzz::CheckServeProtocol(bytes);  // traps on an inconsistency
  });
}

// fuzz_feature_cache's own check (fuzz/feature_cache_check.h) on its corpus: damaged packs,
// indexes with valid checksums, item files; traps on a wrong segment or an untyped error.
TEST(FuzzRegressions, FeatureCache) {
  ReplayFuzzInputs("fuzz_feature_cache",
                   [](const fs::path&, const std::string& bytes) { ascnet_fuzz::CheckFeatureCache(bytes); });
}

TEST(FuzzRegressions, Npy) {
  ReplayFuzzInputs("fuzz_npy", [](const fs::path& p, const std::string& bytes) {
    try {
      const NpyArray a = DecodeNpy(bytes, p.string());
      EXPECT_EQ(static_cast<int64_t>(a.data.size()), a.NumElements()) << p;
      EXPECT_EQ(DecodeNpy(EncodeNpy(a.data.data(), a.shape)).shape, a.shape) << p;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  });
}

TEST(FuzzRegressions, Audio) {
  const fs::path dir = reliability::TempDir("fuzz_audio");
  ReplayFuzzInputs("fuzz_audio", [&](const fs::path& p, const std::string& bytes) {
    const std::string file = (dir / "input.audio").string();
    reliability::WriteBytes(file, bytes.substr(1));
    AudioOptions o;
    o.target_rate = std::vector<int>{8000, 16000, 22050, 44100}[static_cast<unsigned char>(bytes[0]) % 4];
    try {
      const std::vector<float> x = LoadAudio(file, o);
      EXPECT_FALSE(x.empty()) << p;
      for (float v : x) ASSERT_TRUE(std::isfinite(v)) << p;
    } catch (const AudioError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  });
  fs::remove_all(dir);
}

// Each dataset fuzzer's own check (fuzz/dataset_check.h, the layout its ASCNET_FUZZ_LAYOUT
// picks); traps on labels or split indices out of range or an untyped error.
TEST(FuzzRegressions, DatasetMetadata) {
  const std::pair<const char*, int> targets[] = {
      {"fuzz_dataset_csv", 1}, {"fuzz_dataset_litis", 2}, {"fuzz_dataset_tut", 3}, {"fuzz_dataset_esc50", 4}};
  for (const auto& [target, layout] : targets) {
    ReplayFuzzInputs(target, [layout = layout](const fs::path&, const std::string& bytes) {
      ascnet_fuzz::CheckDatasetInput(layout, bytes);
    });
  }
}

// fuzz_config's own check (fuzz/config_check.h): an accepted config must round-trip unchanged;
// anything but an ascnet error escaping the parser fails the test.
TEST(FuzzRegressions, Configs) {
  ReplayFuzzInputs("fuzz_config", [](const fs::path&, const std::string& bytes) { ascnet_fuzz::CheckConfigInput(bytes); });
}

// fuzz_config found nlohmann's get<int>() turning 2.4e122 into an int (undefined behaviour);
// out-of-range integers were also truncated silently (4294967376 read as 80). Every config
// parser now refuses numbers its field cannot hold, naming the field.
TEST(FuzzRegressions, ConfigNumbersOutOfRangeAreRefusedNotTruncated) {
  nlohmann::json f = FeatureConfig{};
  f["segment"]["frames"] = 4294967376LL;  // 2^32 + 80
  try {
    FeatureConfig c;
    from_json(f, c);
    FAIL() << "accepted frames = 4294967376 as " << c.segment.frames;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("segment.frames"), std::string::npos) << e.what();
  }
  f = FeatureConfig{};
  f["frame"]["fft_size"] = 2048.5;
  EXPECT_THROW(from_json(f, *std::make_unique<FeatureConfig>()), ConfigError);
  f["frame"]["fft_size"] = 2048.0;  // an integral float is fine
  EXPECT_NO_THROW(from_json(f, *std::make_unique<FeatureConfig>()));

  nlohmann::json a = ArchConfig{};
  a["channels"] = 2.44e122;
  EXPECT_THROW(from_json(a, *std::make_unique<ArchConfig>()), ConfigError);
  a = ArchConfig{};
  a["filters"] = {64, 4294967424LL, 256};
  EXPECT_THROW(from_json(a, *std::make_unique<ArchConfig>()), ConfigError);

  nlohmann::json t = TrainOptions{};
  t["batch_size"] = -1e300;
  EXPECT_THROW(from_json(t, *std::make_unique<TrainOptions>()), ConfigError);
}

}  // namespace
}  // namespace ascnet
