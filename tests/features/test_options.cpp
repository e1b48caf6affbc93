#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/features/options.h"

using namespace ascnet;

namespace {
std::string ErrorOf(const FeatureConfig& c) {
  try {
    c.Validate();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(FeatureConfig, PresetsAreValidAndDiffer) {
  const auto mel = FeatureConfig::Preset("logmel");
  const auto gam = FeatureConfig::Preset("loggam");
  EXPECT_NO_THROW(mel.Validate());
  EXPECT_NO_THROW(gam.Validate());
  EXPECT_EQ(mel.filterbank.type, FilterbankOptions::Type::kMel);
  EXPECT_EQ(gam.filterbank.type, FilterbankOptions::Type::kGammatone);
  EXPECT_EQ(mel.frame.frame_length, 1102);
  EXPECT_EQ(mel.frame.frame_shift, 551);
  EXPECT_EQ(mel.frame.fft_size, 2048);
  EXPECT_EQ(mel.segment.frames, 80);
  EXPECT_NE(mel.ToString().find("fft_size=2048"), std::string::npos);
  EXPECT_THROW(FeatureConfig::Preset("mfcc"), ConfigError);
}

TEST(FeatureConfig, ValidateNamesTheField) {
  FeatureConfig c = FeatureConfig::Preset("logmel");
  c.frame.fft_size = 512;
  EXPECT_NE(ErrorOf(c).find("frame.fft_size"), std::string::npos) << ErrorOf(c);
  c = FeatureConfig::Preset("logmel");
  c.filterbank.high_freq = 20000;
  EXPECT_NE(ErrorOf(c).find("filterbank.high_freq"), std::string::npos);
  EXPECT_NE(ErrorOf(c).find("11025"), std::string::npos);
  c = FeatureConfig::Preset("logmel");
  c.segment.frames = 0;
  EXPECT_NE(ErrorOf(c).find("segment.frames"), std::string::npos);
  c = FeatureConfig::Preset("logmel");
  c.noise.beta = 0;
  EXPECT_NE(ErrorOf(c).find("noise.beta"), std::string::npos);
}

TEST(FeatureConfig, JsonRoundTripAndStrictness) {
  FeatureConfig c = FeatureConfig::Preset("loggam");
  c.segment.hop = 40;
  nlohmann::json j = c;
  const FeatureConfig d = j.get<FeatureConfig>();
  EXPECT_EQ(nlohmann::json(d), j);
  nlohmann::json missing = j;
  missing["frame"].erase("fft_size");
  try {
    (void)missing.get<FeatureConfig>();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("frame.fft_size"), std::string::npos) << e.what();
  }
  nlohmann::json wrong = j;
  wrong["filterbank"]["type"] = "bark";
  EXPECT_THROW((void)wrong.get<FeatureConfig>(), ConfigError);
}
