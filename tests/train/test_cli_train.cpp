// End-to-end `ascnet train` on a generated mini dataset (tones of three pitches).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/cli_runner.h"
#include "common/pcm_wav.h"
#include "ascnet/core/fs.h"
#include "ascnet/model/bundle_info.h"

namespace ascnet {
namespace {

using testing::WriteWav;  // tests/common/pcm_wav.h

/// Three classes of tones, three clips each: fold 1 = the first clip of each class.
void WriteMiniDataset(const std::filesystem::path& dir) {
  std::ofstream csv(dir / "meta.csv");
  csv << "filename,label,fold\n";
  const char* names[] = {"low", "mid", "high"};
  const double freqs[] = {300.0, 1500.0, 6000.0};
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < 3; ++k) {
      const std::string file = std::string(names[c]) + std::to_string(k) + ".wav";
      WriteWav((dir / file).string(), freqs[c] * (1 + 0.03 * k), 4.1);
      csv << file << "," << names[c] << "," << (k == 0 ? 1 : 2) << "\n";
    }
  }
}

TEST(CliTrain, TrainsAMiniDatasetIntoALoadableBundle) {
  const auto dir = test::TempDir("cli_train");
  WriteMiniDataset(dir);
  const std::string out = (dir / "run").string();
  const std::string args = "train --dataset csv:" + (dir / "meta.csv").string() +
                           " --split fold1 --arch cnn --features logmel --preset fast --steps 3 --batch-size 4"
                           " --threads 1 --seed 3 --cache " + (dir / "cache").string() + " --out " + out;
  const test::CliResult r = test::RunCli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("preset=fast"), std::string::npos) << r.err;  // effective config printed
  EXPECT_NE(r.out.find("model.ascnet"), std::string::npos) << r.out;
  for (const char* f : {"model.ascnet", "log.csv", "log.json", "checkpoint.bin"}) {
    EXPECT_TRUE(PathExists(out + "/" + f)) << f;
  }
  const BundleSummary b = InspectBundle(out + "/model.ascnet");
  EXPECT_EQ(b.arch.Name(), "cnn");
  EXPECT_EQ(b.arch.classes, 3);
  EXPECT_EQ(b.labels.size(), 3u);
  EXPECT_EQ(b.features.name, "logmel");
  EXPECT_EQ(b.metadata["training"]["steps"], 3);
  EXPECT_EQ(b.metadata["training"]["preset"], "fast");
  EXPECT_EQ(b.metadata["training"]["split"], "fold1");
  EXPECT_EQ(b.normalisation.channels, 2);

  // Running again into the same folder needs --resume; a corrupted checkpoint is refused.
  EXPECT_NE(test::RunCli(args).code, 0);
  {
    std::string bytes = ReadFile(out + "/checkpoint.bin");
    bytes.resize(bytes.size() / 2);
    std::ofstream(out + "/checkpoint.bin", std::ios::binary | std::ios::trunc) << bytes;
  }
  const test::CliResult bad = test::RunCli(args + " --resume");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find(out + "/checkpoint.bin"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("truncated"), std::string::npos) << bad.err;

  // Bad option values name the option.
  const test::CliResult bad_arch = test::RunCli("train --dataset csv:x.csv --arch rnn --out " + out);
  EXPECT_NE(bad_arch.code, 0);
  EXPECT_NE(bad_arch.err.find("--arch"), std::string::npos) << bad_arch.err;
  std::filesystem::remove_all(dir);
}

TEST(CliTrain, ConfigFileAndTestFold) {
  const auto dir = test::TempDir("cli_train_config");
  WriteMiniDataset(dir);
  const std::string cfg = (dir / "train.toml").string();
  std::ofstream(cfg) << "# ascnet train --config train.toml\n"
                     << "dataset = \"csv:" << (dir / "meta.csv").string() << "\"\n"
                     << "test-fold = 2\narch = \"cnn\"\npreset = \"fast\"\nsteps = 2\nbatch-size = 4\n"
                     << "threads = 1\ncache = \"" << (dir / "cache").string() << "\"\nno-progress = true\n";
  // The file's values, with --steps and --out from the command line winning.
  const std::string out = (dir / "run").string();
  const test::CliResult r = test::RunCli("train --config " + cfg + " --steps 3 --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  const BundleSummary b = InspectBundle(out + "/model.ascnet");
  EXPECT_EQ(b.arch.Name(), "cnn");
  EXPECT_EQ(b.metadata["training"]["steps"], 3);
  EXPECT_EQ(b.metadata["training"]["split"], "fold2");  // --test-fold 2
  EXPECT_EQ(b.metadata["training"]["preset"], "fast");

  // --test-fold K needs a split named foldK; --split and --test-fold exclude each other.
  const test::CliResult no_fold = test::RunCli("train --config " + cfg + " --test-fold 7 --out " + out + "7");
  EXPECT_NE(no_fold.code, 0);
  EXPECT_NE(no_fold.err.find("no split fold7"), std::string::npos) << no_fold.err;
  EXPECT_NE(no_fold.err.find("fold1, fold2"), std::string::npos) << no_fold.err;
  const test::CliResult both = test::RunCli("train --dataset csv:x.csv --split 1 --test-fold 1 --out " + out);
  EXPECT_NE(both.code, 0);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;

  // Bad files: missing, unknown key, bad flag value, another command's section.
  EXPECT_NE(test::RunCli("train --config " + (dir / "none.toml").string()).code, 0);
  const std::string bad = (dir / "bad.toml").string();
  for (const auto& [text, expect] : std::vector<std::pair<std::string, std::string>>{
           {"arc = \"cnn\"\n", "'arc' is not an option of ascnet train"},
           {"resume = maybe\n", "'resume' takes true or false"},
           {"[experiment]\nsteps = 2\n", "section [experiment]"}}) {
    std::ofstream(bad, std::ios::trunc) << text;
    const test::CliResult e = test::RunCli("train --config " + bad);
    EXPECT_NE(e.code, 0) << text;
    EXPECT_NE(e.err.find(bad), std::string::npos) << e.err;
    EXPECT_NE(e.err.find(expect), std::string::npos) << e.err;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ascnet
