// Torch-free view of model bundles (docs/model-bundle.md): the error type, the
// normalisation statistics, and InspectBundle() for tools such as `ascnet info` that
// must not pay for LibTorch headers. Reading/writing bundles: bundle.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"

namespace ascnet {

/// A model bundle is missing, truncated, corrupted or inconsistent. The message reads
/// "<file>: <part>: <problem (expected ...)>".
class BundleError : public FormatError {
 public:
  using FormatError::FormatError;
};

inline constexpr char kBundleMagic[9] = "ASCNETB1";  ///< first 8 bytes of every bundle
inline constexpr uint32_t kBundleVersion = 1;        ///< the only version this code reads

/// Per (channel, band) input normalisation: x' = (x - mean[c][m]) / std[c][m].
struct Normalisation {
  int channels = 0;
  int bands = 0;
  std::vector<float> mean;  ///< [channels * bands], channel-major
  std::vector<float> std;   ///< [channels * bands], channel-major, finite and > 0

  /// mean 0, std 1.
  static Normalisation Identity(int channels, int bands);
  /// ConfigError naming the problem (sizes, non-finite values, std <= 0).
  void Validate() const;
  /// e.g. "[2 x 64], mean in [-3.1, 0.2], std in [0.5, 2.3]".
  std::string Summary() const;
};

/// A bundle's content as `ascnet info` shows it (the bundle was fully loaded and checked).
struct BundleSummary {
  uint32_t version = 0;
  ArchConfig arch;
  FeatureConfig features;
  std::vector<std::string> labels;
  Normalisation normalisation;
  nlohmann::json calibration;  ///< null if absent
  nlohmann::json metadata;     ///< null if absent
  uint64_t header_bytes = 0;   ///< JSON header section payload
  uint64_t tensor_bytes = 0;   ///< tensor section payload
  int64_t parameters = 0;      ///< trainable parameter elements of the loaded network
};

/// Loads `path` completely (every check of LoadBundle) and summarises it.
/// IoError if unreadable, BundleError if invalid.
BundleSummary InspectBundle(const std::string& path);

}  // namespace ascnet
