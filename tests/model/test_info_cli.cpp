// `ascnet info` end to end: architecture descriptions, a saved bundle, a damaged bundle.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

#include "ascnet/core/fs.h"
#include "ascnet/model/bundle.h"
#include "common/cli_runner.h"
#include "test_util.h"

namespace ascnet {
namespace {

struct CliRun {
  int code = -1;
  std::string out;  // stdout and stderr
};

CliRun RunCli(const std::string& args) {
  const test::CliResult r = test::RunCli(args);
  return {r.code, r.out + r.err};
}

long long ParametersLine(const std::string& out) {
  std::smatch m;
  static const std::regex re("(^|\n)parameters: ([0-9]+)\n");
  if (!std::regex_search(out, m, re)) return -1;
  return std::stoll(m[2]);
}

TEST(InfoCli, ArchParameterCounts) {
  CliRun r = RunCli("info --arch attcrnn --classes 19");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ParametersLine(r.out), 894675) << r.out;
  EXPECT_NE(r.out.find("[1, 256, 1, 80]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gru2"), std::string::npos);
  r = RunCli("info --arch cnn --classes 19");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ParametersLine(r.out), 214227) << r.out;
  r = RunCli("info --arch cnn --classes 10");
  EXPECT_EQ(ParametersLine(r.out), 214227 - 9 * 257) << r.out;
}

TEST(InfoCli, HelpHasExample) {
  CliRun r = RunCli("info --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("ascnet info --arch attcrnn"), std::string::npos) << r.out;
}

TEST(InfoCli, Bundle) {
  testing::TempDir dir;
  ModelBundle b = MakeBundle(ArchConfig::Preset("attcrnn", 19), FeatureConfig::Preset("logmel"));
  b.labels[0] = "beach";
  b.calibration = {{"platt", {{"A", -1.0}}}};
  const std::string path = dir.File("model.ascnet");
  SaveBundle(path, b);
  CliRun r = RunCli("info \"" + path + "\"");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ParametersLine(r.out), 894675) << r.out;
  EXPECT_NE(r.out.find("version 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arch=attcrnn"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(b.features.ToString()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("beach"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("normalisation: [2 channels x 64 bands]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("calibration: present"), std::string::npos) << r.out;

  b = MakeBundle(ArchConfig::Preset("cnn", 19), FeatureConfig::Preset("logmel"));
  SaveBundle(path, b);
  r = RunCli("info \"" + path + "\"");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ParametersLine(r.out), 214227) << r.out;
  EXPECT_NE(r.out.find("calibration: absent"), std::string::npos) << r.out;
}

TEST(InfoCli, DamagedBundleFailsWithPart) {
  testing::TempDir dir;
  const std::string path = dir.File("bad.ascnet");
  SaveBundle(path, MakeBundle(ArchConfig::Preset("cnn", 19), FeatureConfig::Preset("logmel")));
  std::string bytes = ReadFile(path);
  bytes.resize(bytes.size() - 100);
  WriteFileAtomically(path, [&](std::ostream& os) { os << bytes; });
  CliRun r = RunCli("info \"" + path + "\"");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("ascnet info: error: " + path + ": section 2 (TENS): truncated"), std::string::npos) << r.out;
  r = RunCli("info \"" + dir.File("missing.ascnet") + "\"");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("ascnet info: error: "), std::string::npos) << r.out;
  r = RunCli("info");
  EXPECT_EQ(r.code, 1) << r.out;
}

}  // namespace
}  // namespace ascnet
