// `ascnet report` end to end on a tiny experiment; the page checked in headless Chromium
// (skipped when /usr/bin/chromium is absent).
#include <gtest/gtest.h>

#include <fstream>

#include "ascnet/core/fs.h"
#include "ascnet/experiment/experiment.h"
#include "ascnet/experiment/layout.h"
#include "ascnet/train/run_files.h"
#include "ascnet/infer/png.h"
#include "ascnet/report/report.h"
#include "common/cli_runner.h"
#include "experiment/small_experiment.h"
#include "common/tone_dataset.h"

using namespace ascnet;
using namespace ascnet::test;
using ascnet::testing::MakeToneDataset;  // common/tone_dataset.h
namespace fs = std::filesystem;

namespace {

/// One split, both networks (small), log-Mel only.
fs::path TinyExperiment(const fs::path& dir) {
  ExperimentOptions o =
      SmallExperimentOptions(MakeToneDataset(dir / "data"), dir / "exp", dir / "cache", "1");
  o.features = {"logmel"};
  RunExperiment(o);
  return dir / "exp";
}

double Variance(const Image& img) {
  double sum = 0, sq = 0;
  const double n = static_cast<double>(img.rgb.size());
  for (uint8_t v : img.rgb) {
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  return sq / n - (sum / n) * (sum / n);
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(ReportCli, ListModelsPrintsEverySystemFolderWithABundle) {
  const fs::path dir = TempDir("report_list_models");
  const ExperimentLayout l((dir / "exp").string());
  fs::create_directories(l.SystemDir("fold1", "attcrnn", "logmel"));
  fs::create_directories(l.SystemDir("fold1", "cnn", "loggam"));
  fs::create_directories(l.SystemDir("fold2", "attcrnn", "logmel"));
  std::ofstream(BundlePath(l.SystemDir("fold2", "attcrnn", "logmel"))) << "x";
  std::ofstream(BundlePath(l.SystemDir("fold1", "attcrnn", "logmel"))) << "x";
  std::ofstream(ExperimentLayout::Predictions(l.SystemDir("fold1", "cnn", "loggam"))) << "{}";  // no model
  CliResult r = RunCli("report " + l.root() + " --list-models -o " + (dir / "unused.html").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "fold1\tattcrnn-logmel\t" + BundlePath(l.SystemDir("fold1", "attcrnn", "logmel")) + "\n" +
                       "fold2\tattcrnn-logmel\t" + BundlePath(l.SystemDir("fold2", "attcrnn", "logmel")) + "\n");
  EXPECT_FALSE(fs::exists(dir / "unused.html")) << "no page written";

  fs::create_directories(dir / "empty");
  r = RunCli("report " + (dir / "empty").string() + " --list-models");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = RunCli("report " + (dir / "nothing").string() + " --list-models");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no such folder"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(ReportCli, SelfContainedPageWithEverySectionAndChromiumRendersIt) {
  const fs::path dir = TempDir("report_cli");
  const fs::path exp = TinyExperiment(dir);
  const std::string html_path = (dir / "report.html").string();
  CliResult r = RunCli("report " + exp.string() + " -o " + html_path);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = ReadFile(html_path);
  for (const char* id : {"id=\"results\"", "id=\"per-class\"", "id=\"confusion\"", "id=\"curves\"",
                         "id=\"reliability\"", "id=\"attention\""}) {
    EXPECT_NE(html.find(id), std::string::npos) << id;
  }
  EXPECT_NE(html.find("Att-CRNN (logMel)"), std::string::npos);
  EXPECT_NE(html.find("CNN baseline (logMel)"), std::string::npos);
  EXPECT_GE(Count(html, "<svg class=\"confusion\""), 4);
  EXPECT_EQ(Count(html, "<svg class=\"reliability\""), 2);  // one per run (system)
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 1);
  EXPECT_EQ(Count(html, "<polyline"), 2);  // one curve per run
  EXPECT_EQ(Count(html, "data:image/png;base64,"), 2) << r.err;  // two test recordings explained
  // The models of the experiment, for scripts: both networks' bundles, no page written.
  r = RunCli("report " + exp.string() + " --list-models -o " + (dir / "unused.html").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const ExperimentLayout layout(exp.string());
  EXPECT_EQ(r.out, "fold1\tattcrnn-logmel\t" + BundlePath(layout.SystemDir("fold1", "attcrnn", "logmel")) + "\n" +
                       "fold1\tcnn-logmel\t" + BundlePath(layout.SystemDir("fold1", "cnn", "logmel")) + "\n");
  EXPECT_FALSE(fs::exists(dir / "unused.html"));
  // Self-contained: no scripts, stylesheets, or remote resources.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);

  // Audio gone: the page is still made, with a note instead of attention maps.
  fs::rename(dir / "data/audio", dir / "data/moved");
  const std::string no_audio = (dir / "no_audio.html").string();
  r = RunCli("report " + exp.string() + " -o " + no_audio);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html2 = ReadFile(no_audio);
  EXPECT_EQ(Count(html2, "data:image/png;base64,"), 0);
  EXPECT_NE(html2.find("is not reachable"), std::string::npos);
  EXPECT_NE(r.err.find("note:"), std::string::npos) << r.err;
  fs::rename(dir / "data/moved", dir / "data/audio");

  // Bad inputs.
  r = RunCli("report " + (dir / "nothing").string() + " -o " + (dir / "x.html").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no such folder"), std::string::npos) << r.err;
  fs::create_directories(dir / "empty");
  r = RunCli("report " + (dir / "empty").string() + " -o " + (dir / "x.html").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not an experiment folder"), std::string::npos) << r.err;
  { std::ofstream(dir / "empty/results.json") << "{broken"; }
  r = RunCli("report " + (dir / "empty").string() + " -o " + (dir / "x.html").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("results.json"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "x.html"));

  // Headless Chromium: loads without errors, the DOM has the sections, the screenshot is not blank.
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "/usr/bin/chromium is not installed";
  const std::string flags =
      "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
      (dir / "profile").string() + " ";
  const std::string dom = (dir / "dom.html").string(), log = (dir / "chromium.log").string();
  ASSERT_EQ(std::system((flags + "--enable-logging=stderr --v=0 --dump-dom file://" + html_path + " >" + dom + " 2>" +
                         log).c_str()),
            0)
      << Slurp(log);
  const std::string d = Slurp(dom);
  EXPECT_NE(d.find("id=\"reliability\""), std::string::npos);
  EXPECT_NE(d.find("Att-CRNN (logMel)"), std::string::npos);
  const std::string l = Slurp(log);
  EXPECT_EQ(l.find("Uncaught"), std::string::npos) << l;
  EXPECT_EQ(l.find(":CONSOLE("), std::string::npos) << l;  // no console messages at all
  EXPECT_EQ(l.find("Failed to load resource"), std::string::npos) << l;
  EXPECT_EQ(l.find("ERR_FILE_NOT_FOUND"), std::string::npos) << l;
  const std::string shot = (dir / "shot.png").string();
  ASSERT_EQ(std::system((flags + "--hide-scrollbars --screenshot=" + shot + " --window-size=1200,2000 file://" +
                         html_path + " >" + log + " 2>&1").c_str()),
            0)
      << Slurp(log);
  const Image img = ReadPng(shot);
  EXPECT_EQ(img.width, 1200);
  EXPECT_EQ(img.height, 2000);
  EXPECT_GT(Variance(img), 100.0);
}

}  // namespace
