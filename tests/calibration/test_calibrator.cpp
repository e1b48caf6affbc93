#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/core/error.h"
#include "synthetic.h"

namespace ascnet {
namespace {

int ArgMaxRow(const DoubleMatrix& p, int64_t r) {
  int best = 0;
  for (int c = 1; c < p.cols; ++c) best = p(r, c) > p(r, best) ? c : best;
  return best;
}

class CalibratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing_util::MakeBlobs(4, 8, 40, 0.8, 11, &train_x_, &train_y_);
    testing_util::MakeBlobs(4, 8, 25, 0.8, 12, &test_x_, &test_y_);
    options_.seed = 5;
    calib_.Fit(train_x_, train_y_, options_);
  }
  FloatMatrix train_x_, test_x_;
  std::vector<int> train_y_, test_y_;
  CalibrationOptions options_;
  Calibrator calib_;
};

TEST_F(CalibratorTest, HighAccuracyOnSeparableProblem) {
  ASSERT_TRUE(calib_.fitted());
  EXPECT_EQ(calib_.num_classes(), 4);
  EXPECT_EQ(calib_.num_features(), 8);
  const DoubleMatrix p = calib_.Predict(test_x_);
  int correct = 0;
  for (int64_t r = 0; r < p.rows; ++r) correct += ArgMaxRow(p, r) == test_y_[static_cast<size_t>(r)];
  EXPECT_GE(static_cast<double>(correct) / p.rows, 0.97);
  // Calibrated: the true class gets most of the mass on average.
  double mean_true = 0;
  for (int64_t r = 0; r < p.rows; ++r) mean_true += p(r, test_y_[static_cast<size_t>(r)]);
  EXPECT_GT(mean_true / p.rows, 0.6);
  // Platt slopes are negative (larger decision value -> higher probability).
  for (const auto& pp : calib_.platt()) EXPECT_LT(pp.A, 0);
}

TEST_F(CalibratorTest, ProbabilitiesSumToOne) {
  const DoubleMatrix p = calib_.Predict(test_x_);
  ASSERT_EQ(p.cols, 4);
  for (int64_t r = 0; r < p.rows; ++r) {
    double s = 0;
    for (int c = 0; c < 4; ++c) {
      EXPECT_GE(p(r, c), 0.0);
      EXPECT_LE(p(r, c), 1.0);
      s += p(r, c);
    }
    EXPECT_NEAR(s, 1.0, 1e-12);
  }
  // Extreme decision values: still a distribution (uniform when every q underflows).
  DoubleMatrix d(2, 4, {1e6, 1e6, 1e6, 1e6, -1e6, -1e6, -1e6, -1e6});
  const DoubleMatrix q = calib_.ProbabilitiesFromDecisions(d);
  for (int64_t r = 0; r < 2; ++r) {
    double s = 0;
    for (int c = 0; c < 4; ++c) s += q(r, c);
    EXPECT_NEAR(s, 1.0, 1e-12);
  }
}

TEST_F(CalibratorTest, DeterministicForSameSeed) {
  Calibrator again;
  again.Fit(train_x_, train_y_, options_);
  EXPECT_EQ(again.Predict(test_x_).data, calib_.Predict(test_x_).data);
}

TEST_F(CalibratorTest, JsonRoundTripGivesIdenticalPredictions) {
  const nlohmann::json j = calib_;
  const std::string text = j.dump();
  const Calibrator back = nlohmann::json::parse(text).get<Calibrator>();
  EXPECT_EQ(back.Predict(test_x_).data, calib_.Predict(test_x_).data);
  EXPECT_EQ(back.options().seed, options_.seed);
  EXPECT_EQ(nlohmann::json(back).dump(), text);
}

void ExpectRejected(const nlohmann::json& j, const std::string& fragment) {
  try {
    (void)j.get<Calibrator>();
    FAIL() << "expected FormatError containing '" << fragment << "'";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST_F(CalibratorTest, CorruptedJsonRejectedWithClearMessage) {
  const nlohmann::json good = calib_;
  nlohmann::json j = good;
  j.erase("platt");
  ExpectRejected(j, "missing required field 'platt'");
  j = good;
  j["platt"].erase(j["platt"].begin());
  ExpectRejected(j, "calibrator.platt: expected 4 elements, got 3");
  j = good;
  j["svm"]["weights"][2].erase(j["svm"]["weights"][2].begin());
  ExpectRejected(j, "svm.weights[2]: expected 8 elements");
  j = good;
  j["svm"]["weights"][1][3] = "x";
  ExpectRejected(j, "svm.weights[1][3]: expected a number");
  j = good;
  j["svm"]["intercepts"][0] = nullptr;  // what a NaN becomes when dumped
  ExpectRejected(j, "svm.intercepts[0]");
  j = good;
  j["scaler"]["min"].push_back(1.0);
  ExpectRejected(j, "scaler.max: expected 9 elements");
  j = good;
  j["num_features"] = 7;
  ExpectRejected(j, "calibrator.num_features");
  j = good;
  j["options"]["cv_folds"] = 1;
  ExpectRejected(j, "cv_folds");
  j = good;
  j["options"].erase("seed");
  ExpectRejected(j, "missing required field 'seed'");
  j = good;
  j["format"] = "something else";
  ExpectRejected(j, "calibrator.format");
  j = good;
  j["platt"][1]["A"] = std::numeric_limits<double>::quiet_NaN();
  ExpectRejected(j, "platt[1]");
  ExpectRejected(nlohmann::json::array(), "expected a JSON object");
}

TEST(Calibrator, FitRejectsBadInput) {
  FloatMatrix x;
  std::vector<int> y;
  testing_util::MakeBlobs(3, 4, 10, 0.5, 1, &x, &y);
  Calibrator c;
  CalibrationOptions o;
  EXPECT_THROW(c.Fit(FloatMatrix(), {}, o), ConfigError);
  std::vector<int> single(y.size(), 0);
  EXPECT_THROW(c.Fit(x, single, o), ConfigError);  // one class
  o.num_classes = 4;                                // class 3 has no samples
  try {
    c.Fit(x, y, o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("class 3 has no training samples"), std::string::npos) << e.what();
  }
  o = CalibrationOptions{};
  o.C = 0;
  EXPECT_THROW(c.Fit(x, y, o), ConfigError);
  o = CalibrationOptions{};
  o.cv_folds = 1;
  EXPECT_THROW(o.Validate(), ConfigError);
  FloatMatrix xn = x;
  xn(3, 2) = NAN;
  EXPECT_THROW(c.Fit(xn, y, CalibrationOptions{}), ConfigError);
  EXPECT_THROW(c.Predict(x), ConfigError);  // not fitted
  EXPECT_FALSE(CalibrationOptions{}.ToString().empty());
}

TEST(Calibrator, TinyClassFoldWithSingleClassTrainingPart) {
  // Class 1 has a single sample: its fold's training part lacks it (absent-class rule),
  // and with 2 classes, one fold's training part is one class only.
  FloatMatrix x(6, 1, {0, 0.1f, 0.2f, 0.3f, 0.4f, 5});
  std::vector<int> y = {0, 0, 0, 0, 0, 1};
  CalibrationOptions o;
  o.cv_folds = 5;
  Calibrator c;
  c.Fit(x, y, o);
  const DoubleMatrix p = c.Predict(x);
  for (int64_t r = 0; r < p.rows; ++r) EXPECT_NEAR(p(r, 0) + p(r, 1), 1.0, 1e-12);
}

TEST(StratifiedFolds, BalancedAndDeterministic) {
  std::vector<int> y;
  for (int i = 0; i < 23; ++i) y.push_back(i % 3);
  const auto a = StratifiedFolds(y, 3, 5, 42);
  EXPECT_EQ(a, StratifiedFolds(y, 3, 5, 42));
  EXPECT_NE(a, StratifiedFolds(y, 3, 5, 43));
  std::vector<int> size(5, 0);
  std::vector<std::vector<int>> per_class(3, std::vector<int>(5, 0));
  for (size_t i = 0; i < y.size(); ++i) {
    ++size[a[i]];
    ++per_class[y[i]][a[i]];
  }
  for (int f = 0; f < 5; ++f) EXPECT_TRUE(size[f] == 4 || size[f] == 5);
  for (int c = 0; c < 3; ++c) {
    for (int f = 0; f < 5; ++f) EXPECT_GE(per_class[c][f], 1);
  }
}

TEST(CalibrationOptions, JsonRoundTrip) {
  CalibrationOptions o;
  o.C = 0.5;
  o.seed = 18446744073709551615ULL;
  o.clip_features = true;
  const nlohmann::json j = o;
  const auto back = j.get<CalibrationOptions>();
  EXPECT_EQ(back.C, 0.5);
  EXPECT_EQ(back.seed, o.seed);
  EXPECT_TRUE(back.clip_features);
}

}  // namespace
}  // namespace ascnet
