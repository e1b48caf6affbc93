// Group-balanced sampling (TrainOptions::balance_groups): the weights, the weighted draws and
// the BC partners drawn with them.
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "ascnet/core/error.h"
#include "ascnet/train/bc.h"
#include "ascnet/train/options.h"
#include "ascnet/train/random.h"
#include "ascnet/train/segments.h"

namespace ascnet {
namespace {

TEST(WeightedIndex, DrawsInProportionToTheWeightsAndNeverAZeroWeight) {
  const std::vector<double> w = {1, 0, 3, 0.5, 0, 2.5};  // sum 7
  const WeightedIndex draw(w);
  EXPECT_EQ(draw.size(), 6);
  std::mt19937_64 rng(3);
  std::vector<int> count(w.size(), 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) ++count[static_cast<size_t>(draw(rng))];
  for (size_t i = 0; i < w.size(); ++i) {
    const double expected = n * w[i] / 7.0;
    if (w[i] == 0) {
      EXPECT_EQ(count[i], 0) << i;
    } else {
      EXPECT_NEAR(count[i], expected, 5 * std::sqrt(expected)) << i;  // 5 sigma
    }
  }
  // One UniformUnit per draw, located in the cumulative sums: replayable.
  std::mt19937_64 a(9), b(9);
  for (int i = 0; i < 100; ++i) {
    const double u = UniformUnit(b) * 7.0;
    const int64_t want = u < 1 ? 0 : u < 4 ? 2 : u < 4.5 ? 3 : 5;
    EXPECT_EQ(draw(a), want);
  }
}

TEST(WeightedIndex, RejectsBadWeights) {
  EXPECT_THROW(WeightedIndex({}), ConfigError);
  EXPECT_THROW(WeightedIndex({0, 0}), ConfigError);
  EXPECT_THROW(WeightedIndex({1, -1}), ConfigError);
  EXPECT_THROW(WeightedIndex({1, std::nan("")}), ConfigError);
  EXPECT_THROW(WeightedIndex({1, INFINITY}), ConfigError);
  try {
    WeightedIndex({1, -2});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("weight 1"), std::string::npos) << e.what();
  }
}

// Items: class 0 has group "a" (4 segments: two items of 2) and "b" (1 segment); class 1 has
// group "c" (2 segments) and two items without a group (1 and 3 segments).
struct GroupedSplit {
  Dataset dataset;
  SplitSegments segs;
};

GroupedSplit MakeGroupedSplit() {
  GroupedSplit g;
  g.dataset.classes = {"x", "y"};
  const std::vector<std::pair<int, std::string>> items = {{0, "a"}, {0, "a"}, {0, "b"}, {1, "c"}, {1, ""}, {1, ""}};
  const std::vector<int> segments = {2, 2, 1, 2, 1, 3};
  for (size_t i = 0; i < items.size(); ++i) {
    DatasetItem it;
    it.id = "item" + std::to_string(i);
    it.label = items[i].first;
    it.group = items[i].second;
    g.dataset.items.push_back(it);
    for (int s = 0; s < segments[i]; ++s) {
      g.segs.train.push_back(static_cast<int64_t>(g.segs.train.size()));
      g.segs.train_labels.push_back(it.label);
      g.segs.train_items.push_back(static_cast<int>(i));
    }
  }
  return g;
}

TEST(GroupBalancedWeights, EveryGroupOfAClassWeighsTheSameAndClassesKeepTheirShare) {
  const GroupedSplit g = MakeGroupedSplit();
  const std::vector<double> w = GroupBalancedWeights(g.dataset, g.segs);
  ASSERT_EQ(w.size(), 11u);
  // Class 0: 5 segments, 2 groups -> each group 2.5; "a" over 4 segments, "b" over 1.
  // Class 1: 6 segments, 3 groups ("c" and the two ungrouped items) -> each 2.
  const std::vector<double> want = {2.5 / 4, 2.5 / 4, 2.5 / 4, 2.5 / 4, 2.5, 1, 1, 2, 2.0 / 3, 2.0 / 3, 2.0 / 3};
  for (size_t k = 0; k < w.size(); ++k) EXPECT_DOUBLE_EQ(w[k], want[k]) << k;
  std::map<int, double> per_class;
  double sum = 0;
  for (size_t k = 0; k < w.size(); ++k) per_class[g.segs.train_labels[k]] += w[k], sum += w[k];
  EXPECT_DOUBLE_EQ(sum, 11.0);  // the number of training segments
  EXPECT_DOUBLE_EQ(per_class[0], 5.0);
  EXPECT_DOUBLE_EQ(per_class[1], 6.0);
}

TEST(GroupBalancedWeights, OneGroupPerClassGivesEverySegmentTheSameWeight) {
  GroupedSplit g = MakeGroupedSplit();
  for (DatasetItem& it : g.dataset.items) it.group = it.label == 0 ? "p" : "q";
  for (double v : GroupBalancedWeights(g.dataset, g.segs)) EXPECT_DOUBLE_EQ(v, 1.0);
}

TEST(BcPairs, WeightedPartnersAreOfAnotherClassAndFollowTheWeights) {
  const std::vector<int> labels = {0, 0, 1, 1, 1, 2};
  const WeightedIndex draw({1, 1, 0, 6, 2, 1});  // position 2 never; 3 three times as often as 4
  std::mt19937_64 rng(11);
  std::vector<int> count(labels.size(), 0);
  for (int rep = 0; rep < 4000; ++rep) {
    const BcPairs p = DrawBcPairs(labels, {0, 5}, rng, &draw);
    for (size_t i = 0; i < p.first.size(); ++i) {
      EXPECT_NE(labels[p.first[i]], labels[p.second[i]]);
      ++count[static_cast<size_t>(p.second[i])];
    }
  }
  EXPECT_EQ(count[2], 0);
  EXPECT_NEAR(static_cast<double>(count[3]) / count[4], 3.0, 0.3);
  const WeightedIndex two({1, 1});
  EXPECT_THROW(DrawBcPairs(labels, {0}, rng, &two), c10::Error);  // weights for another number of positions
  const WeightedIndex one_class({0, 0, 1, 5, 0, 0});  // only class 1 can be drawn: no partner for it
  EXPECT_THROW(DrawBcPairs(labels, {3}, rng, &one_class), c10::Error);
  EXPECT_TRUE(one_class.Positive(2));
  EXPECT_FALSE(one_class.Positive(4));
}

TEST(Options, BalanceGroupsIsStoredAndOptional) {
  TrainOptions o = TrainOptions::Preset("default");
  EXPECT_FALSE(o.balance_groups);
  EXPECT_FALSE(TrainOptions::Preset("paper").balance_groups);
  o.balance_groups = true;
  const nlohmann::json j = o;
  EXPECT_EQ(j.at("balance_groups"), true);
  TrainOptions back;
  from_json(j, back);
  EXPECT_TRUE(back.balance_groups);
  nlohmann::json old = j;
  old.erase("balance_groups");  // settings written before the option existed
  TrainOptions earlier;
  from_json(old, earlier);
  EXPECT_FALSE(earlier.balance_groups);
  EXPECT_NE(o.ToString().find("balance_groups=true"), std::string::npos);
}

}  // namespace
}  // namespace ascnet
