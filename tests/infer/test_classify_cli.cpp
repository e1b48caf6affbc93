// `ascnet classify` end to end on a small bundle.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ascnet/model/bundle.h"
#include "common/cli_runner.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

TEST(ClassifyCli, JsonLinesCsvFoldersAndBadInputs) {
  const auto dir = TempDir("classify_cli");
  const std::string model = (dir / "m.ascnet").string();
  SaveBundle(model, SmallBundle("attcrnn", true));
  std::filesystem::create_directories(dir / "folder");
  WriteToneWav((dir / "a.wav").string(), 5.0, 300);
  WriteToneWav((dir / "folder/b.wav").string(), 3.0, 3000, 44100);
  WriteToneWav((dir / "folder/c.wav").string(), 1.0, 1000, 16000);

  CliResult r = RunCli("classify --model " + model + " --segments " + (dir / "a.wav").string() + " " +
                       (dir / "folder").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("scorer svm"), std::string::npos) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0]["file"], (dir / "a.wav").string());
  EXPECT_EQ(lines[0]["num_segments"], 2);
  EXPECT_EQ(lines[0]["segments"].size(), 2u);
  EXPECT_EQ(lines[2]["num_segments"], 1);  // 1 s: one zero-padded segment
  for (const auto& j : lines) {
    double sum = 0;
    for (const auto& [k, v] : j["probabilities"].items()) sum += v.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-6);
    EXPECT_TRUE(j["probabilities"].contains(j["label"].get<std::string>()));
  }

  r = RunCli("classify --model " + model + " --format csv --scorer softmax " + (dir / "a.wav").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "file,start_s,label,low,mid,high,num_segments,error");

  // Bad inputs: reported, the rest still processed, exit code 1.
  const std::string text = (dir / "notes.txt").string();
  { std::ofstream(text) << "not audio"; }
  const std::string empty = (dir / "empty.wav").string();
  { std::ofstream(empty).flush(); }
  r = RunCli("classify --model " + model + " " + text + " " + empty + " " + (dir / "a.wav").string() + " " +
             (dir / "nope.wav").string());
  EXPECT_EQ(r.code, 1);
  lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines[0].contains("error"));
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_TRUE(lines[2].contains("label"));
  EXPECT_NE(lines[3]["error"].get<std::string>().find("no such file"), std::string::npos);
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 of 4 file(s) failed"), std::string::npos) << r.err;

  // A file that is not a bundle.
  r = RunCli("classify --model " + text + " " + (dir / "a.wav").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}
