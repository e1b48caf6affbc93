// End-to-end `ascnet train` on a generated mini dataset (tones of three pitches).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../cli/cli_runner.h"
#include "../common/pcm_wav.h"
#include "ascnet/core/fs.h"
#include "ascnet/model/bundle_info.h"

namespace ascnet {
namespace {

using testing::WriteWav;  // tests/common/pcm_wav.h

TEST(CliTrain, TrainsAMiniDatasetIntoALoadableBundle) {
  const auto dir = test::TempDir("cli_train");
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
  csv.close();
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
  EXPECT_EQ(b.arch.arch, "cnn");
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

}  // namespace
}  // namespace ascnet
