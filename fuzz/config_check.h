// The checks of fuzz_config, shared with its regression replay in tests/reliability/: config
// files on arbitrary JSON text: FeatureConfig, ArchConfig, TrainOptions, Calibrator
// and CalibrationOptions from_json (the first byte picks which). Only ascnet errors (which
// name the field) may come out; an accepted config must validate and survive a
// to_json/from_json round trip unchanged.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/core/error.h"
#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"
#include "ascnet/train/options.h"

namespace ascnet_fuzz {

template <typename T, bool kValidate>
inline void ConfigRoundTrip(const nlohmann::json& j) {
  T a;
  try {
    from_json(j, a);
    if constexpr (kValidate) a.Validate();
  } catch (const ascnet::Error&) {
    return;
  }
  nlohmann::json out;
  to_json(out, a);
  T b;
  from_json(out, b);  // must not throw: we wrote it
  nlohmann::json again;
  to_json(again, b);
  if (again.dump() != out.dump()) __builtin_trap();
}

/// Runs one fuzz input (mode byte first); traps when an accepted config does not round-trip.
inline void CheckConfigInput(const std::string& input) {
  if (input.empty()) return;
  const nlohmann::json j = nlohmann::json::parse(input.begin() + 1, input.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  switch (static_cast<uint8_t>(input[0]) % 5) {
    case 0: ConfigRoundTrip<ascnet::FeatureConfig, true>(j); break;
    case 1: ConfigRoundTrip<ascnet::ArchConfig, true>(j); break;
    case 2: ConfigRoundTrip<ascnet::TrainOptions, true>(j); break;
    case 3: ConfigRoundTrip<ascnet::Calibrator, false>(j); break;
    case 4: ConfigRoundTrip<ascnet::CalibrationOptions, true>(j); break;
  }
}

}  // namespace ascnet_fuzz
