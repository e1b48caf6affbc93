#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/eval/metrics.h"
#include "common/cli_runner.h"
#include "common/temp_dir.h"

namespace ascnet {
namespace {

TEST(Metrics, HandComputed) {
  // truth: 0 0 1 1 2 ; pred: 0 1 1 1 0
  const Metrics m = ComputeMetrics({0, 0, 1, 1, 2}, {0, 1, 1, 1, 0}, 4);
  EXPECT_EQ(m.count, 5);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
  EXPECT_EQ(m.confusion[0][1], 1);
  EXPECT_EQ(m.confusion[2][0], 1);
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[1].recall, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[2].precision, 0.0);  // never predicted: zero_division=0
  EXPECT_DOUBLE_EQ(m.per_class[2].f1, 0.0);
  EXPECT_EQ(m.per_class[3].support, 0);  // absent class still counts in the macro mean
  EXPECT_NEAR(m.macro_precision, (0.5 + 2.0 / 3) / 4, 1e-15);
  EXPECT_NEAR(m.macro_recall, (0.5 + 1.0) / 4, 1e-15);
  EXPECT_NEAR(m.macro_f1, (0.5 + 0.8) / 4, 1e-15);
}

TEST(Metrics, RejectsBadInput) {
  EXPECT_THROW(ComputeMetrics({}, {}, 3), ConfigError);
  EXPECT_THROW(ComputeMetrics({0, 1}, {0}, 3), ConfigError);
  EXPECT_THROW(ComputeMetrics({0, 3}, {0, 1}, 3), ConfigError);
  EXPECT_THROW(ComputeMetrics({0, 1}, {0, -1}, 3), ConfigError);
  EXPECT_THROW(ComputeMetrics({0}, {0}, 0), ConfigError);
}

TEST(Metrics, JsonRoundTripAndTamperDetection) {
  const Metrics m = ComputeMetrics({0, 0, 1, 2, 2, 2}, {0, 2, 1, 2, 2, 0}, 3);
  nlohmann::json j = m;
  const Metrics back = nlohmann::json::parse(j.dump()).get<Metrics>();
  EXPECT_EQ(back.confusion, m.confusion);
  EXPECT_EQ(back.macro_f1, m.macro_f1);
  j["macro_f1"] = 0.99;
  try {
    (void)j.get<Metrics>();
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.macro_f1"), std::string::npos) << e.what();
  }
  j = m;
  j["confusion"][1].erase(0);
  EXPECT_THROW(j.get<Metrics>(), FormatError);
  j = m;
  j.erase("per_class");
  EXPECT_THROW(j.get<Metrics>(), FormatError);
}

bool SklearnAvailable() {
  return std::system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") == 0;
}

// Runs scikit-learn on the labels and returns {accuracy, macro F1, macro precision, macro recall}.
std::vector<double> Sklearn(const std::vector<int>& truth, const std::vector<int>& pred, int k) {
  const testing::TempDir dir;  // common/temp_dir.h
  const std::string path = dir.File("labels.txt");
  {
    std::ofstream f(path);
    for (size_t i = 0; i < truth.size(); ++i) f << truth[i] << " " << pred[i] << "\n";
  }
  const std::string script =
      "import sys, numpy as np\n"
      "from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score\n"
      "a = np.loadtxt(sys.argv[1], dtype=int, ndmin=2); k = int(sys.argv[2]); t, p = a[:,0], a[:,1]\n"
      "kw = dict(labels=list(range(k)), average='macro', zero_division=0)\n"
      "print(repr(accuracy_score(t, p)), repr(f1_score(t, p, **kw)), repr(precision_score(t, p, **kw)),"
      " repr(recall_score(t, p, **kw)))\n";
  const std::string cmd = "/usr/bin/python3 -c \"" + script + "\" " + path + " " + std::to_string(k);
  std::vector<double> out;
  std::istringstream is(test::RunCommand(cmd).out);
  for (double v; is >> v;) out.push_back(v);
  return out;
}

TEST(Metrics, MatchScikitLearn) {
  if (!SklearnAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import sklearn";
  std::mt19937 rng(3);
  struct Case {
    int k, n;
    double p_correct;
  };
  // Includes classes with no support and classes never predicted (k larger than used).
  const Case cases[] = {{2, 10, 0.7}, {5, 40, 0.5}, {15, 60, 0.6}, {19, 200, 0.8}, {6, 7, 0.3}};
  for (const Case& c : cases) {
    std::vector<int> t, p;
    std::uniform_int_distribution<int> used(0, std::max(1, c.k - 2));  // last classes unused in truth
    std::uniform_int_distribution<int> any(0, c.k - 1);
    std::bernoulli_distribution right(c.p_correct);
    for (int i = 0; i < c.n; ++i) {
      t.push_back(used(rng));
      p.push_back(right(rng) ? t.back() : any(rng));
    }
    const Metrics m = ComputeMetrics(t, p, c.k);
    const auto ref = Sklearn(t, p, c.k);
    ASSERT_EQ(ref.size(), 4u) << "sklearn run failed";
    EXPECT_NEAR(m.accuracy, ref[0], 1e-9) << "k=" << c.k;
    EXPECT_NEAR(m.macro_f1, ref[1], 1e-9) << "k=" << c.k;
    EXPECT_NEAR(m.macro_precision, ref[2], 1e-9) << "k=" << c.k;
    EXPECT_NEAR(m.macro_recall, ref[3], 1e-9) << "k=" << c.k;
  }
}

}  // namespace
}  // namespace ascnet
