#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/eval/results.h"

namespace ascnet {
namespace {

Metrics MakeMetrics(std::mt19937& rng, int k, int n, double p_correct) {
  std::uniform_int_distribution<int> any(0, k - 1);
  std::bernoulli_distribution right(p_correct);
  std::vector<int> t, p;
  for (int i = 0; i < n; ++i) {
    t.push_back(any(rng));
    p.push_back(right(rng) ? t.back() : any(rng));
  }
  return ComputeMetrics(t, p, k);
}

// A run over `names` splits with three systems; the fusion system has no segment metrics.
ExperimentResults MakeRun(const std::vector<std::string>& names, uint64_t seed) {
  ExperimentResults r;
  for (const auto& name : names) {
    std::mt19937 rng(static_cast<unsigned>(seed + std::hash<std::string>{}(name) % 1000));
    SplitResult s;
    s.split = name;
    s.systems.push_back({"Att-CRNN (Mel)", MakeMetrics(rng, 19, 300, 0.8), MakeMetrics(rng, 19, 40, 0.9), {"attcrnn", "logmel", "svm"}});
    s.systems.push_back({"Att-CRNN (Gammatone)", MakeMetrics(rng, 19, 300, 0.75), MakeMetrics(rng, 19, 40, 0.85),
                         {"attcrnn", "loggam", "svm"}});
    s.systems.push_back({"Att-CRNN (Mel + Gammatone)", std::nullopt, MakeMetrics(rng, 19, 40, 0.95),
                         {"attcrnn", "fusion", "svm"}});
    r.splits.push_back(s);
  }
  return r;
}

TEST(MeanStd, PopulationStd) {
  const MeanStd m = ComputeMeanStd({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_DOUBLE_EQ(m.std, std::sqrt(1.25));  // ddof = 0 (np.std), not sqrt(5/3)
  EXPECT_EQ(m.count, 4);
  EXPECT_DOUBLE_EQ(ComputeMeanStd({0.7}).std, 0.0);
  EXPECT_THROW(ComputeMeanStd({}), ConfigError);
  EXPECT_THROW(ComputeMeanStd({1.0, NAN}), ConfigError);
}

TEST(Table, RendersPaperLayout) {
  SplitResult a, b;
  a.split = "fold1";
  b.split = "fold2";
  // Segment accuracies 0.8 / 0.9, recording 1.0 / 0.5.
  a.systems.push_back({"Mel", ComputeMetrics({0, 0, 0, 0, 1}, {0, 0, 0, 0, 0}, 2), ComputeMetrics({0, 1}, {0, 1}, 2), {}});
  b.systems.push_back({"Mel", ComputeMetrics({0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 2),
                       ComputeMetrics({0, 1}, {0, 0}, 2), {}});
  a.systems.push_back({"Fusion", std::nullopt, ComputeMetrics({0, 1}, {0, 1}, 2), {}});
  const std::string table = RenderMarkdownTable(ExperimentResults{{b, a}, {}});
  const std::string expected =
      "| System | 2 s accuracy (%) | Recording accuracy (%) | F1 (%) | Precision (%) |\n"
      "|---|---|---|---|---|\n"
      "| Mel | 85.0 ± 5.0 | 75.0 ± 25.0 | 66.7 ± 33.3 | 62.5 ± 37.5 |\n"
      "| Fusion (n = 1 splits) | – | 100.0 ± 0.0 | 100.0 ± 0.0 | 100.0 ± 0.0 |\n";
  EXPECT_EQ(table, expected);
  // Recording F1 fold2: class 0 P=0.5 R=1 F1=2/3, class 1 0 -> 1/3; fold1 1 -> mean 2/3, std 1/3.
  TableOptions two;
  two.decimals = 2;
  EXPECT_NE(RenderMarkdownTable(ExperimentResults{{a, b}, {}}, two).find("| Mel | 85.00 ± 5.00 |"), std::string::npos);
  TableOptions seg;
  seg.scores_on_segments = true;
  EXPECT_THROW(AggregateSplits({a, b}, seg), ConfigError);  // Fusion has no segment metrics
  EXPECT_THROW(AggregateSplits({a, a}), ConfigError);        // duplicate split
  EXPECT_THROW(AggregateSplits({}), ConfigError);
}

TEST(Table, MergeOfSplitRunsEqualsSingleRun) {
  const std::vector<std::string> all = {"fold1", "fold2", "fold3", "fold4", "fold5"};
  const ExperimentResults single = MakeRun(all, 9);
  // The same splits, run as three separate jobs (in another order), written and read back.
  const ExperimentResults p1 = MakeRun({"fold4", "fold2"}, 9);
  const ExperimentResults p2 = MakeRun({"fold5"}, 9);
  const ExperimentResults p3 = MakeRun({"fold1", "fold3"}, 9);
  std::vector<ExperimentResults> parts;
  for (const auto* p : {&p3, &p1, &p2}) {
    parts.push_back(nlohmann::json::parse(nlohmann::json(*p).dump()).get<ExperimentResults>());
  }
  const ExperimentResults merged = MergeResults(parts);
  ASSERT_EQ(merged.splits.size(), 5u);
  EXPECT_EQ(merged.splits[0].split, "fold1");
  EXPECT_EQ(RenderMarkdownTable(merged), RenderMarkdownTable(single));
  const auto rm = AggregateSplits(merged.splits);
  const auto rs = AggregateSplits(single.splits);
  ASSERT_EQ(rm.size(), rs.size());
  for (size_t i = 0; i < rm.size(); ++i) {
    EXPECT_EQ(rm[i].system, rs[i].system);
    EXPECT_EQ(rm[i].segment_accuracy.mean, rs[i].segment_accuracy.mean);
    EXPECT_EQ(rm[i].segment_accuracy.std, rs[i].segment_accuracy.std);
    EXPECT_EQ(rm[i].recording_accuracy.mean, rs[i].recording_accuracy.mean);
    EXPECT_EQ(rm[i].recording_accuracy.std, rs[i].recording_accuracy.std);
    EXPECT_EQ(rm[i].f1.mean, rs[i].f1.mean);
    EXPECT_EQ(rm[i].precision.std, rs[i].precision.std);
  }
  EXPECT_EQ(nlohmann::json(merged).dump(), nlohmann::json(MergeResults({single})).dump());
  EXPECT_THROW(MergeResults({p1, p1}), ConfigError);
}

TEST(Results, JsonRoundTripAndRejection) {
  const ExperimentResults r = MakeRun({"fold1", "fold2"}, 4);
  const std::string path = std::string(ASCNET_BINARY_DIR) + "/test_eval_results.json";
  WriteResults(path, r);
  const ExperimentResults back = ReadResults(path);
  EXPECT_EQ(nlohmann::json(back).dump(), nlohmann::json(r).dump());
  EXPECT_FALSE(back.splits[0].systems[2].segment.has_value());
  EXPECT_EQ(back.splits[0].systems[1].id, (SystemId{"attcrnn", "loggam", "svm"}));

  // Files written before the structured fields existed still read, with an empty id.
  nlohmann::json old = r;
  for (auto& split : old["splits"]) {
    for (auto& sys : split["systems"]) sys.erase("arch"), sys.erase("features"), sys.erase("scorer");
  }
  EXPECT_EQ(old.get<ExperimentResults>().splits[0].systems[0].id, SystemId{});

  nlohmann::json j = r;
  j["splits"][0]["systems"][0].erase("segment");
  try {
    (void)j.get<ExperimentResults>();
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("missing required field 'segment'"), std::string::npos) << e.what();
  }
  j = r;
  j["splits"][1]["split"] = "fold1";
  EXPECT_THROW(j.get<ExperimentResults>(), FormatError);
  j = r;
  j["version"] = 2;
  EXPECT_THROW(j.get<ExperimentResults>(), FormatError);
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("{ not json", f);
    std::fclose(f);
  }
  try {
    (void)ReadResults(path);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
  EXPECT_THROW(ReadResults(path), IoError);
}

}  // namespace
}  // namespace ascnet
