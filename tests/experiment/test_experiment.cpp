// The protocol end to end on a small generated dataset with small networks.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/core/fs.h"
#include "ascnet/experiment/experiment.h"
#include "ascnet/model/bundle.h"
#include "common/cli_runner.h"
#include "experiment/small_experiment.h"
#include "common/tone_dataset.h"

using namespace ascnet;
using namespace ascnet::test;
using ascnet::testing::MakeToneDataset;  // common/tone_dataset.h
namespace fs = std::filesystem;

namespace {

ExperimentOptions SmallOptions(const std::string& dataset, const fs::path& out, const std::string& splits) {
  return SmallExperimentOptions(dataset, out, out.parent_path() / "cache", splits);
}

}  // namespace

TEST(Experiment, RunsEverySplitWritesTablesResumesAndMerges) {
  const fs::path dir = TempDir("experiment");
  const std::string ds = MakeToneDataset(dir / "data");

  // All three splits in one run.
  const ExperimentResults all = RunExperiment(SmallOptions(ds, dir / "all", "all"));
  ASSERT_EQ(all.splits.size(), 3u);
  // 2 archs x (2 features x (svm, softmax) + 2 fusions) = 12 systems per split.
  EXPECT_EQ(all.splits[0].systems.size(), 12u);
  EXPECT_EQ(all.splits[0].systems[0].system, "Att-CRNN (fusion)");
  EXPECT_FALSE(all.splits[0].systems[0].segment.has_value());
  // Every row says what it is in structured fields; the display name is derived from them.
  for (const SystemResult& r : all.splits[0].systems) {
    EXPECT_EQ(r.system, SystemName(r.id));
    EXPECT_TRUE(r.id.arch == "attcrnn" || r.id.arch == "cnn") << r.system;
    EXPECT_TRUE(r.id.scorer == "svm" || r.id.scorer == "softmax") << r.system;
    EXPECT_EQ(r.id.features == "fusion", !r.segment.has_value()) << r.system;
  }
  EXPECT_EQ(all.splits[0].systems[0].id, (SystemId{"attcrnn", "fusion", "svm"}));
  EXPECT_EQ(ReadResults((dir / "all/results.json").string()).splits[0].systems[3].id,
            all.splits[0].systems[3].id);  // and they survive the file
  const std::string md = ReadFile((dir / "all/results.md").string());
  EXPECT_NE(md.find("| Att-CRNN (logMel) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| CNN baseline (fusion) |"), std::string::npos) << md;
  for (const char* f : {"results.json", "experiment.json", "splits/fold2/result.json",
                        "splits/fold2/attcrnn-loggam/model.ascnet", "splits/fold2/attcrnn-loggam/log.csv",
                        "splits/fold2/cnn-logmel/predictions.json"}) {
    EXPECT_TRUE(fs::exists(dir / "all" / f)) << f;
  }
  // DCASE-style recording predictions per system and for the fusion: a header with the class
  // names, one row per test recording whose scene_label is the argmax of its probabilities.
  for (const char* f : {"splits/fold2/cnn-logmel/predictions.tsv", "splits/fold2/cnn-logmel/predictions-softmax.tsv",
                        "splits/fold2/attcrnn-fusion.tsv", "splits/fold2/attcrnn-fusion-softmax.tsv"}) {
    SCOPED_TRACE(f);
    std::ifstream tsv(dir / "all" / f);
    std::string line;
    ASSERT_TRUE(std::getline(tsv, line));
    EXPECT_EQ(line, "filename\tscene_label\thigh\tlow\tmid");  // the dataset's (sorted) class order
    int rows = 0;
    while (std::getline(tsv, line)) {
      ++rows;
      std::vector<std::string> cols;
      std::stringstream ss(line);
      for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
      ASSERT_EQ(cols.size(), 5u) << line;
      std::vector<double> p = {std::stod(cols[2]), std::stod(cols[3]), std::stod(cols[4])};
      EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-5);
      const char* names[] = {"high", "low", "mid"};
      EXPECT_EQ(cols[1], names[std::max_element(p.begin(), p.end()) - p.begin()]) << line;
    }
    EXPECT_EQ(rows, 6);  // fold 2: 3 classes x 2 clips
  }
  // results.json names the classes and carries class-wise accuracy; results.md shows it.
  const auto rj = nlohmann::json::parse(ReadFile((dir / "all/results.json").string()));
  EXPECT_EQ(rj["labels"], nlohmann::json({"high", "low", "mid"}));
  EXPECT_EQ(rj["splits"][0]["systems"][0]["recording"]["class_accuracy"].size(), 3u);
  EXPECT_NE(md.find("Class-wise recording accuracy"), std::string::npos) << md;
  EXPECT_NE(md.find("| System | high | low | mid |"), std::string::npos) << md;

  // The bundle carries its calibration, so it classifies with the SVM.
  EXPECT_TRUE(LoadBundle((dir / "all/splits/fold1/cnn-logmel/model.ascnet").string()).HasCalibration());

  // A finished split is never recomputed: a second run reuses every result as it is.
  const auto stamp = fs::last_write_time(dir / "all/splits/fold1/result.json");
  const ExperimentResults again = RunExperiment(SmallOptions(ds, dir / "all", "all"));
  EXPECT_EQ(fs::last_write_time(dir / "all/splits/fold1/result.json"), stamp);
  EXPECT_EQ(ResultsMarkdown(again), ResultsMarkdown(all));

  // An interrupted split (result and bundle gone, checkpoint left) resumes to the same table.
  fs::remove(dir / "all/splits/fold3/result.json");
  fs::remove(dir / "all/splits/fold3/cnn-loggam/model.ascnet");
  EXPECT_EQ(ResultsMarkdown(RunExperiment(SmallOptions(ds, dir / "all", "all"))), ResultsMarkdown(all));

  // Splits run as separate jobs and merged give the single run's table.
  RunExperiment(SmallOptions(ds, dir / "part1", "1"));
  RunExperiment(SmallOptions(ds, dir / "part23", "2-3"));
  const ExperimentResults merged =
      MergeExperiments({(dir / "part1").string(), (dir / "part23").string()}, (dir / "merged").string());
  EXPECT_EQ(ResultsMarkdown(merged), ResultsMarkdown(all));
  EXPECT_EQ(ReadFile((dir / "merged/results.md").string()), ReadFile((dir / "all/results.md").string()));

  // Other settings in the same folder are refused, naming what differs.
  ExperimentOptions other = SmallOptions(ds, dir / "all", "all");
  other.features = {"logmel"};
  try {
    RunExperiment(other);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("features"), std::string::npos) << e.what();
  }
  // Merging a split twice is refused.
  EXPECT_THROW(MergeExperiments({(dir / "part1").string(), (dir / "all").string()}, (dir / "m2").string()), ConfigError);
  fs::remove_all(dir);
}

TEST(Experiment, CliHelpAndErrors) {
  CliResult r = RunCli("experiment --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("ascnet experiment --dataset csv:"), std::string::npos) << r.out;
  const fs::path never = TempDir("experiment_cli") / "never";
  r = RunCli("experiment --dataset csv:/nonexistent/meta.csv --out " + never.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/nonexistent/meta.csv"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(never)) << "a failed run left its folder behind";
  r = RunCli("experiment merge /nonexistent-dir");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/nonexistent-dir"), std::string::npos) << r.err;
}
