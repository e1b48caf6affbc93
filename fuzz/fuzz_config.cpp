// Config files on arbitrary JSON text: FeatureConfig, ArchConfig, TrainOptions, Calibrator
// and CalibrationOptions from_json (the first byte picks which). Only ascnet errors (which
// name the field) may come out; an accepted config must validate and survive a
// to_json/from_json round trip unchanged.
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/core/error.h"
#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/options.h"

using nlohmann::json;

namespace {

template <typename T, bool kValidate>
void RoundTrip(const json& j) {
  T a;
  try {
    from_json(j, a);
    if constexpr (kValidate) a.Validate();
  } catch (const ascnet::Error&) {
    return;
  }
  json out;
  to_json(out, a);
  T b;
  from_json(out, b);  // must not throw: we wrote it
  json again;
  to_json(again, b);
  if (again.dump() != out.dump()) __builtin_trap();
}

}  // namespace

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
  if (size < 1) return 0;
  const json j = json::parse(reinterpret_cast<const char*>(data) + 1, reinterpret_cast<const char*>(data) + size,
                             nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  switch (data[0] % 5) {
    case 0: RoundTrip<ascnet::FeatureConfig, true>(j); break;
    case 1: RoundTrip<ascnet::ArchConfig, true>(j); break;
    case 2: RoundTrip<ascnet::TrainOptions, true>(j); break;
    case 3: RoundTrip<ascnet::Calibrator, false>(j); break;
    case 4: RoundTrip<ascnet::CalibrationOptions, true>(j); break;
  }
  return 0;
}
