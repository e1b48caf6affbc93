#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "ascnet/core/text.h"

using namespace ascnet;

TEST(Text, TrimRemovesAsciiWhitespaceAtBothEndsForStringsAndViews) {
  EXPECT_EQ(Trim(std::string(" \t a b \r\n")), "a b");
  EXPECT_EQ(Trim(std::string("")), "");
  EXPECT_EQ(Trim(std::string(" \v\f ")), "");
  const std::string text = "  Bearer x\t";
  const std::string_view v = Trim(std::string_view(text));
  EXPECT_EQ(v, "Bearer x");
  EXPECT_EQ(v.data(), text.data() + 2) << "a view into the input, no copy";
  EXPECT_EQ(Trim(std::string_view("\t")), "");
}

TEST(Text, JoinPutsTheSeparatorBetweenEachTwo) {
  EXPECT_EQ(Join({}, ", "), "");
  EXPECT_EQ(Join({"a"}, ", "), "a");
  EXPECT_EQ(Join({"a", "b", "c"}, "|"), "a|b|c");
  EXPECT_EQ(Join({"", "b"}, ","), ",b");  // every element, even an empty one, is a position
}

TEST(Text, JoinWordsReadsAsProse) {
  EXPECT_EQ(JoinWords({}, " or "), "");
  EXPECT_EQ(JoinWords({"a"}, " or "), "a");
  EXPECT_EQ(JoinWords({"a", "b"}, " or "), "a or b");
  EXPECT_EQ(JoinWords({"a", "b", "c"}, " and/or "), "a, b and/or c");
}
