// The one progress display: lines through a sink, decile lines on or off, resumed work.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ascnet/core/progress.h"

namespace ascnet {
namespace {

TEST(ProgressBar, LinesGoToTheSinkAndDecileLinesAreOptional) {
  for (const bool deciles : {true, false}) {
    std::vector<std::string> lines;
    {
      ProgressBar bar("train", 100, true, [&](const std::string& s) { lines.push_back(s); }, deciles);
      bar.Line("configuration");
      for (int i = 1; i <= 100; ++i) bar.Update(i, "loss 0.5");
    }  // the destructor finishes
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "configuration");
    EXPECT_NE(lines.back().find("[train] 100/100 (100%)"), std::string::npos) << lines.back();
    EXPECT_NE(lines.back().find("total  loss 0.5"), std::string::npos) << lines.back();
    // With decile lines: at the first update (0 %), 10 %, ... 90 %, between the configuration
    // and the final line.
    EXPECT_EQ(lines.size(), deciles ? 12u : 2u);
  }
}

TEST(ProgressBar, DisabledShowsOnlyLogLines) {
  std::vector<std::string> lines;
  {
    ProgressBar bar("features", 10, false, [&](const std::string& s) { lines.push_back(s); });
    for (int i = 1; i <= 10; ++i) bar.Tick();
    bar.Line("resuming");
  }
  EXPECT_EQ(lines, std::vector<std::string>{"resuming"});
}

TEST(ProgressBar, EtaCountsOnlyWorkSinceRestart) {
  ProgressBar bar("train", 100, true, [](const std::string&) {}, false);
  bar.Restart(60);  // a resumed run: 60 of 100 done before this process
  EXPECT_TRUE(std::isnan(bar.SecondsLeft()));
  bar.Update(80);
  const double left = bar.SecondsLeft();
  EXPECT_GE(left, 0.0);  // 40 units left at the rate of the 20 done since the restart
  EXPECT_EQ(ProgressBar::FormatDuration(3723), "1:02:03");
  EXPECT_EQ(ProgressBar::FormatDuration(123), "2:03");
  EXPECT_EQ(ProgressBar::FormatDuration(std::nan("")), "--:--");
}

}  // namespace
}  // namespace ascnet
