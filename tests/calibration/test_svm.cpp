#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/linear_svm.h"
#include "ascnet/calibration/scaler.h"
#include "ascnet/core/error.h"
#include "common/cli_runner.h"
#include "synthetic.h"

namespace ascnet {
namespace {

TEST(MinMaxScaler, MapsToMinusOneOneAndConstantToZero) {
  FloatMatrix x(3, 3, {0, 5, 1, 10, 5, 2, 5, 5, 3});
  MinMaxScaler s;
  s.Fit(x);
  const DoubleMatrix t = s.Transform(x);
  EXPECT_DOUBLE_EQ(t(0, 0), -1.0);
  EXPECT_DOUBLE_EQ(t(1, 0), 1.0);
  EXPECT_DOUBLE_EQ(t(2, 0), 0.0);
  for (int r = 0; r < 3; ++r) EXPECT_DOUBLE_EQ(t(r, 1), 0.0);  // constant column
  EXPECT_DOUBLE_EQ(t(2, 2), 1.0);
  FloatMatrix out(1, 3, {20, 7, 0});
  EXPECT_DOUBLE_EQ(s.Transform(out)(0, 0), 3.0);  // not clipped by default
  EXPECT_DOUBLE_EQ(s.Transform(out)(0, 1), 0.0);
  MinMaxScaler clipped(true);
  clipped.Fit(x);
  EXPECT_DOUBLE_EQ(clipped.Transform(out)(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(clipped.Transform(out)(0, 2), -1.0);
}

TEST(MinMaxScaler, RejectsBadInputAndJson) {
  MinMaxScaler s;
  EXPECT_THROW(s.Fit(FloatMatrix()), ConfigError);
  EXPECT_THROW(s.Fit(FloatMatrix(1, 2, {1.0f, NAN})), ConfigError);
  s.Fit(FloatMatrix(2, 2, {0, 1, 2, 3}));
  EXPECT_THROW(s.Transform(FloatMatrix(1, 3, {1, 2, 3})), ConfigError);
  nlohmann::json j = s;
  MinMaxScaler back = j.get<MinMaxScaler>();
  EXPECT_EQ(back.min(), s.min());
  j["max"] = {5.0};
  EXPECT_THROW(j.get<MinMaxScaler>(), FormatError);
  j = s;
  j["max"][0] = -10.0;  // max < min
  EXPECT_THROW(j.get<MinMaxScaler>(), FormatError);
}

TEST(LinearSvm, SeparatesBlobs) {
  FloatMatrix xf;
  std::vector<int> y;
  testing_util::MakeBlobs(3, 6, 30, 0.5, 7, &xf, &y);
  MinMaxScaler s;
  s.Fit(xf);
  const DoubleMatrix x = s.Transform(xf);
  LinearSvm svm;
  svm.Train(x, y, 3, LinearSvmOptions{});
  const DoubleMatrix d = svm.DecisionValues(x);
  ASSERT_EQ(d.rows, x.rows);
  ASSERT_EQ(d.cols, 3);
  int correct = 0;
  for (int64_t r = 0; r < d.rows; ++r) {
    int best = 0;
    for (int c = 1; c < 3; ++c) best = d(r, c) > d(r, best) ? c : best;
    correct += best == y[static_cast<size_t>(r)];
  }
  EXPECT_GE(correct, d.rows - 1);
}

TEST(LinearSvm, DecisionSignFollowsClassForTwoClasses) {
  // Class 1 appears first in the data: liblinear's label order must not flip signs.
  DoubleMatrix x(4, 1, {1.0, 0.9, -1.0, -0.8});
  std::vector<int> y = {1, 1, 0, 0};
  LinearSvm svm;
  svm.Train(x, y, 2, LinearSvmOptions{1.0, 0.01, 1.0, 1});
  const DoubleMatrix d = svm.DecisionValues(x);
  EXPECT_GT(d(0, 1), 0);
  EXPECT_LT(d(0, 0), 0);
  EXPECT_GT(d(2, 0), 0);
  EXPECT_LT(d(2, 1), 0);
}

TEST(LinearSvm, ErrorsSurfaceAsExceptions) {
  DoubleMatrix x(4, 2, {0, 1, 1, 0, 0.5, 0.5, 1, 1});
  std::vector<int> y = {0, 1, 0, 1};
  LinearSvm svm;
  // liblinear's check_parameter message.
  LinearSvmOptions bad;
  bad.C = -1;
  try {
    svm.Train(x, y, 2, bad);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("liblinear: C <= 0"), std::string::npos) << e.what();
  }
  bad = LinearSvmOptions{};
  bad.eps = 0;
  EXPECT_THROW(svm.Train(x, y, 2, bad), ConfigError);
  // Empty data.
  try {
    svm.Train(DoubleMatrix(0, 2), {}, 2, LinearSvmOptions{});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  // Single class.
  try {
    svm.Train(x, {1, 1, 1, 1}, 2, LinearSvmOptions{});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("single class"), std::string::npos) << e.what();
  }
  // NaN / inf features.
  DoubleMatrix xn = x;
  xn(2, 1) = std::nan("");
  try {
    svm.Train(xn, y, 2, LinearSvmOptions{});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("row 2, column 1"), std::string::npos) << e.what();
  }
  xn(2, 1) = INFINITY;
  EXPECT_THROW(svm.Train(xn, y, 2, LinearSvmOptions{}), ConfigError);
  // Labels out of range, count mismatch, bad shape.
  EXPECT_THROW(svm.Train(x, {0, 1, 2, 1}, 2, LinearSvmOptions{}), ConfigError);
  EXPECT_THROW(svm.Train(x, {0, 1, 0}, 2, LinearSvmOptions{}), ConfigError);
  EXPECT_THROW(svm.Train(DoubleMatrix(2, 2, {1, 2, 3}), {0, 1}, 2, LinearSvmOptions{}), ConfigError);
  EXPECT_THROW(svm.DecisionValues(x), ConfigError);  // not trained
  svm.Train(x, y, 2, LinearSvmOptions{});
  EXPECT_THROW(svm.DecisionValues(DoubleMatrix(1, 3, {1, 2, 3})), ConfigError);
}

TEST(LinearSvm, AbsentClassGetsConstantRestDecision) {
  DoubleMatrix x(4, 1, {1.0, 0.9, -1.0, -0.8});
  LinearSvm svm;
  svm.Train(x, {0, 0, 2, 2}, 3, LinearSvmOptions{});
  const DoubleMatrix d = svm.DecisionValues(x);
  for (int r = 0; r < 4; ++r) EXPECT_DOUBLE_EQ(d(r, 1), -1.0);
}

TEST(LinearSvm, DeterministicForSameSeed) {
  FloatMatrix xf;
  std::vector<int> y;
  testing_util::MakeBlobs(4, 5, 20, 2.0, 3, &xf, &y);
  MinMaxScaler s;
  s.Fit(xf);
  const DoubleMatrix x = s.Transform(xf);
  LinearSvm a, b;
  a.Train(x, y, 4, LinearSvmOptions{});
  b.Train(x, y, 4, LinearSvmOptions{});
  EXPECT_EQ(a.weights().data, b.weights().data);
  EXPECT_EQ(a.intercepts(), b.intercepts());
}

// liblinear through LinearSvm vs scikit-learn's LinearSVC (also liblinear, same problem:
// squared hinge, dual, C, intercept_scaling = bias) on a tight tolerance.
TEST(LinearSvm, MatchesScikitLearnLinearSVC) {
  if (std::system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import sklearn";
  }
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 1);
  DoubleMatrix x(60, 3);
  std::vector<int> y;
  const std::string path = std::string(ASCNET_BINARY_DIR) + "/test_calibration_svm.txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < 60; ++i) {
      y.push_back(i % 3);
      for (int j = 0; j < 3; ++j) {
        x(i, j) = 0.5 * noise(rng) + (j == i % 3 ? 1.0 : 0.0);
        std::fprintf(f, "%.17g ", x(i, j));
      }
      std::fprintf(f, "%d\n", y.back());
    }
    std::fclose(f);
  }
  LinearSvmOptions o;
  o.eps = 1e-8;
  LinearSvm svm;
  svm.Train(x, y, 3, o);
  const DoubleMatrix d = svm.DecisionValues(x);
  const std::string cmd =
      "/usr/bin/python3 -c \"import sys, numpy as np; from sklearn.svm import LinearSVC\n"
      "a = np.loadtxt(sys.argv[1]); X, t = a[:, :3], a[:, 3].astype(int)\n"
      "m = LinearSVC(C=0.1, loss='squared_hinge', dual=True, tol=1e-8, max_iter=1000000, intercept_scaling=1).fit(X, t)\n"
      "print(' '.join(repr(float(v)) for v in m.decision_function(X).ravel()))\" " + path;
  const test::CliResult run = test::RunCommand(cmd);
  const std::string text = run.out + run.err;
  std::remove(path.c_str());
  std::istringstream is(run.out);
  std::vector<double> ref;
  for (double v; is >> v;) ref.push_back(v);
  ASSERT_EQ(ref.size(), d.data.size()) << "sklearn run failed: " << text;
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(d.data[i], ref[i], 1e-5) << i;
}

}  // namespace
}  // namespace ascnet
