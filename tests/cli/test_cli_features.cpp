// `ascnet features` / `ascnet filterbank` end to end.
#include <gtest/gtest.h>

#include <cmath>

#include "ascnet/core/npy.h"
#include "common/cli_runner.h"
#include "common/pcm_wav.h"

using namespace ascnet;
using namespace ascnet::test;
namespace fs = std::filesystem;

namespace {

// A stereo 44.1 kHz 16-bit WAV of `seconds` (tone + a little noise); returns its path.
std::string WriteWav(const fs::path& dir, const std::string& name, double seconds) {
  const std::string path = (dir / name).string();
  ascnet::testing::WriteWav(path, 440.0, seconds, 44100, 2);
  return path;
}

}  // namespace

TEST(CliFeatures, ShapesFor30s5s1sBothPresets) {
  const fs::path dir = TempDir("cli_features");
  const struct {
    double seconds;
    int64_t segments;
  } cases[] = {{30, 15}, {5, 2}, {1, 1}};
  for (const char* preset : {"logmel", "loggam"}) {
    for (const auto& c : cases) {
      const std::string wav = WriteWav(dir, "rec" + std::to_string(static_cast<int>(c.seconds)) + ".wav", c.seconds);
      const std::string npy = (dir / "out.npy").string();
      const CliResult r = RunCli(std::string("features --features ") + preset + " " + wav + " -o " + npy);
      ASSERT_EQ(r.code, 0) << r.err;
      EXPECT_NE(r.err.find("FeatureConfig(" + std::string(preset) + ")"), std::string::npos) << "config not printed";
      const NpyArray a = ReadNpy(npy);
      EXPECT_EQ(a.shape, (std::vector<int64_t>{c.segments, 2, 64, 80})) << preset << " " << c.seconds << " s";
      for (float v : a.data) ASSERT_TRUE(std::isfinite(v));
    }
  }
  fs::remove_all(dir);
}

TEST(CliFeatures, FilterbankWeights) {
  const fs::path dir = TempDir("cli_filterbank");
  for (const char* preset : {"logmel", "loggam"}) {
    const std::string npy = (dir / (std::string(preset) + ".npy")).string();
    const CliResult r = RunCli(std::string("filterbank --features ") + preset + " -o " + npy);
    ASSERT_EQ(r.code, 0) << r.err;
    const NpyArray a = ReadNpy(npy);
    ASSERT_EQ(a.shape, (std::vector<int64_t>{64, 1025}));
    float peak = 0;
    for (int k = 0; k < 1025; ++k) peak = std::max(peak, a.data[k]);
    // Row 0 peaks: algorithms.md §2 fixtures.
    EXPECT_NEAR(peak, std::string(preset) == "logmel" ? 0.01844771f : 0.96635380f, 1e-6);
  }
  fs::remove_all(dir);
}

TEST(CliFeatures, BadInputsAreReportedAndTheRestProcessed) {
  const fs::path dir = TempDir("cli_bad");
  const std::string good = WriteWav(dir, "good.wav", 3);
  const std::string empty = (dir / "empty.wav").string();
  { std::ofstream(empty).flush(); }
  const std::string text = (dir / "notes.wav").string();
  { std::ofstream(text) << "this is not audio"; }
  const std::string missing = (dir / "missing.wav").string();
  const CliResult r =
      RunCli("features --features logmel " + missing + " " + empty + " " + good + " " + text + " --output-dir " + dir.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(missing + ": no such file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(empty + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(text + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 of 4 input(s) failed"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "good.npy")) << "the good file must still be processed";
  EXPECT_FALSE(fs::exists(dir / "missing.npy"));
  fs::remove_all(dir);
}

TEST(CliFeatures, HelpShowsRunnableExamples) {
  const CliResult top = RunCli("--help");
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("ascnet features --features logmel"), std::string::npos) << top.out;
  for (const char* cmd : {"features", "filterbank"}) {
    const CliResult r = RunCli(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Example:\n  ascnet " + std::string(cmd)), std::string::npos) << r.out;
  }
}

TEST(CliFeatures, UsageErrors) {
  const CliResult r = RunCli("features --features mfcc x.wav -o y.npy");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("mfcc"), std::string::npos) << r.err;
  const CliResult none = RunCli("");
  EXPECT_NE(none.code, 0);
}
