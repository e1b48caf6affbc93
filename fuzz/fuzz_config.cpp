// Config files on arbitrary JSON text (FeatureConfig, ArchConfig, TrainOptions, Calibrator,
// CalibrationOptions; the first byte picks which): see config_check.h.
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/core/error.h"
#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/options.h"
#include "config_check.h"

using nlohmann::json;

// ASCNET_FUZZ_DUMP_SEED=DIR: writes each config's defaults (mode byte + JSON) into DIR.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("ASCNET_FUZZ_DUMP_SEED");
  if (dir == nullptr) return 0;
  auto put = [&](const char* name, char mode, const json& j) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << mode << j.dump(1);
  };
  put("feature_gammatone", 0, json(ascnet::FeatureConfig::Preset("loggam")));
  put("arch_attcrnn", 1, json(ascnet::ArchConfig{}));
  ascnet::ArchConfig cnn;
  cnn.arch = ascnet::ArchConfig::Kind::kCnn;
  put("arch_cnn", 1, json(cnn));
  put("train_options", 2, json(ascnet::TrainOptions{}));
  put("calibration_options", 4, json(ascnet::CalibrationOptions{}));
  // A fitted 3-class calibrator on 2-D points.
  ascnet::FloatMatrix x(12, 2);
  std::vector<int> y(12);
  for (int i = 0; i < 12; ++i) {
    y[i] = i % 3;
    x(i, 0) = static_cast<float>(y[i]) + 0.1f * (i % 4);
    x(i, 1) = static_cast<float>(y[i] * y[i]) - 0.05f * (i % 5);
  }
  ascnet::Calibrator c;
  c.Fit(x, y, ascnet::CalibrationOptions{});
  put("calibrator", 3, json(c));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ascnet_fuzz::CheckConfigInput(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
