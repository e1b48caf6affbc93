// Every input the fuzzers (fuzz/) crashed on, replayed through the same entry points: each
// must now give a typed ascnet error or a consistent result. The inputs live in
// tests/reliability/crashes/<fuzz target>/ (first byte = the fuzzer's mode byte).
#include <filesystem>
#include <memory>
#include <fstream>
#include <sstream>

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
#include "../../fuzz/fuzz_util.h"
#include "../../fuzz/serve_protocol_check.h"
#include "reliability_util.h"

namespace ascnet {
namespace {

namespace fs = std::filesystem;

// The inputs to replay for a fuzz target: the crashes it found (tests/reliability/crashes/
// <target>/, when it found any) and its corpus (fuzz/corpus/<target>/, the seeds plus what the
// fuzzing runs kept). A target with neither is a test failure, never a silent pass.
std::vector<fs::path> Inputs(const std::string& target) {
  std::vector<fs::path> v;
  for (const fs::path& dir : {fs::path(ASCNET_FUZZ_CRASHES) / target, fs::path(ASCNET_FUZZ_CORPUS) / target}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  if (v.empty()) {
    ADD_FAILURE() << "no inputs to replay for " << target << " (expected files in " << ASCNET_FUZZ_CRASHES << "/"
                  << target << " or " << ASCNET_FUZZ_CORPUS << "/" << target << ")";
  }
  return v;
}

using ascnet_fuzz::SplitParts;  // the fuzzers' own splitting of multi-file inputs

TEST(FuzzRegressions, ServeProtocol) {
  for (const fs::path& p : Inputs("fuzz_serve_protocol")) {
    SCOPED_TRACE(p.string());
    ascnet_fuzz::CheckServeProtocol(ReadFile(p.string()));  // traps on an inconsistency
  }
}

TEST(FuzzRegressions, Npy) {
  for (const fs::path& p : Inputs("fuzz_npy")) {
    const std::string bytes = ReadFile(p.string());
    try {
      const NpyArray a = DecodeNpy(bytes, p.string());
      EXPECT_EQ(static_cast<int64_t>(a.data.size()), a.NumElements()) << p;
      EXPECT_EQ(DecodeNpy(EncodeNpy(a.data.data(), a.shape)).shape, a.shape) << p;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  }
}

TEST(FuzzRegressions, Audio) {
  const fs::path dir = reliability::TempDir("fuzz_audio");
  for (const fs::path& p : Inputs("fuzz_audio")) {
    const std::string bytes = ReadFile(p.string());
    if (bytes.empty()) continue;
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
  }
  fs::remove_all(dir);
}

// Mirrors fuzz/fuzz_dataset.cpp's layouts.
std::string Layout(const std::string& target, const fs::path& root, uint8_t mode, const std::vector<std::string>& parts) {
  auto part = [&](size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  auto put = [](const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    reliability::WriteBytes(p, s);
  };
  if (target == "fuzz_dataset_csv") {
    if (mode % 2 == 0) {
      put(root / "meta.csv", part(0));
      return "csv:" + (root / "meta.csv").string();
    }
    put(root / "UrbanSound8K" / "metadata" / "UrbanSound8K.csv", part(0));
    return "urbansound8k:" + root.string();
  }
  if (target == "fuzz_dataset_litis") {
    put(root / "relation_wav_examples.txt", part(0));
    if (mode % 2 == 0) {
      put(root / "fold3026-matrices_Learn.txt", part(1));
      put(root / "fold3026-matrices_Test.txt", part(2));
    } else {
      put(root / "fold3026-matrices_v7.mat", part(1));
    }
    return "litis:" + root.string();
  }
  if (target == "fuzz_dataset_tut") {
    const std::string kind = std::vector<std::string>{"dcase2016", "dcase2017", "tau2019"}[mode % 3];
    const std::string ext = kind == "tau2019" ? ".csv" : ".txt";
    put(root / ("meta" + ext), part(0));
    put(root / "evaluation_setup" / ("fold1_train" + ext), part(1));
    put(root / "evaluation_setup" / ("fold1_test" + ext), part(2));
    if (parts.size() > 3) put(root / "evaluation_setup" / ("fold1_evaluate" + ext), part(3));
    if (parts.size() > 4) put(root / "evaluation_setup" / ("fold2_train" + ext), part(4));
    return kind + ":" + root.string();
  }
  put(root / "meta" / "esc50.csv", part(0));
  return "esc50:" + root.string();
}

TEST(FuzzRegressions, DatasetMetadata) {
  for (const std::string target : {"fuzz_dataset_csv", "fuzz_dataset_litis", "fuzz_dataset_tut", "fuzz_dataset_esc50"}) {
    for (const fs::path& p : Inputs(target)) {
      const std::string bytes = ReadFile(p.string());
      if (bytes.empty()) continue;
      const fs::path root = reliability::TempDir("fuzz_dataset");
      const uint8_t mode = static_cast<uint8_t>(bytes[0]);
      const std::string spec = Layout(target, root, mode, SplitParts(bytes.substr(1)));
      DatasetOptions o;
      o.check_files = false;
      o.esc10 = mode & 0x80;
      try {
        const Dataset ds = LoadDataset(spec, o);
        for (const auto& it : ds.items) {
          EXPECT_GE(it.label, 0) << p;
          EXPECT_LT(it.label, static_cast<int>(ds.classes.size())) << p;
        }
        for (const auto& s : ds.splits)
          for (const auto* v : {&s.train, &s.test})
            for (int i : *v) EXPECT_TRUE(i >= 0 && i < static_cast<int>(ds.items.size())) << p;
      } catch (const FormatError&) {
      } catch (const ConfigError&) {
      }
      fs::remove_all(root);
    }
  }
}

template <typename T, bool kValidate>
void ConfigRoundTrip(const nlohmann::json& j, const fs::path& p) {
  T a;
  try {
    from_json(j, a);
    if constexpr (kValidate) a.Validate();
  } catch (const Error&) {
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << p << ": untyped error " << e.what();
    return;
  }
  nlohmann::json out = a;
  T b;
  EXPECT_NO_THROW(from_json(out, b)) << p;
  EXPECT_EQ(nlohmann::json(b).dump(), out.dump()) << p;
}

TEST(FuzzRegressions, Configs) {
  for (const fs::path& p : Inputs("fuzz_config")) {
    const std::string bytes = ReadFile(p.string());
    if (bytes.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(bytes.begin() + 1, bytes.end(), nullptr, false);
    if (j.is_discarded()) continue;
    switch (static_cast<uint8_t>(bytes[0]) % 5) {
      case 0: ConfigRoundTrip<FeatureConfig, true>(j, p); break;
      case 1: ConfigRoundTrip<ArchConfig, true>(j, p); break;
      case 2: ConfigRoundTrip<TrainOptions, true>(j, p); break;
      case 3: ConfigRoundTrip<Calibrator, false>(j, p); break;
      case 4: ConfigRoundTrip<CalibrationOptions, true>(j, p); break;
    }
  }
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
