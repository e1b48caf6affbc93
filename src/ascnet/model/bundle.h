// Model bundle: ONE file holding everything needed to classify audio with a trained
// network (format documented in docs/model-bundle.md):
//
//   "ASCNETB1" | u32 version | u32 section count (2) |
//   section "HEAD": u32 tag, u64 length, u32 CRC-32, JSON header (arch, features, labels,
//                   normalisation, calibration, metadata, tensor directory)
//   section "TENS": u32 tag, u64 length, u32 CRC-32, raw little-endian tensor data
//
// Loading checks every part and throws BundleError "<file>: <part>: <problem>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"
#include "ascnet/model/bundle_info.h"
#include "ascnet/model/networks.h"

namespace ascnet {

/// Everything one bundle file holds.
struct ModelBundle {
  ArchConfig arch;
  FeatureConfig features;
  std::vector<std::string> labels;  ///< arch.classes class names, in logit order
  Normalisation normalisation;
  nlohmann::json calibration;  ///< SVM/Platt parameters (src/ascnet/calibration); null = absent
  nlohmann::json metadata;     ///< free-form provenance (training run, seed...); null = absent
  NetworkPtr net;              ///< weights and batch-norm buffers; built from `arch`

  bool HasCalibration() const { return !calibration.is_null() && !calibration.empty(); }
  /// Checks the parts against each other (labels vs classes, normalisation and features vs
  /// the input shape, net vs arch); throws BundleError naming the part.
  void Validate(const std::string& name = "") const;
  /// Validate() without the network (arch, features, labels, normalisation, calibration).
  void ValidateHeader(const std::string& name = "") const;
};

/// A fresh bundle: network `arch` with new weights, identity normalisation, labels
/// "class0".. unless given.
ModelBundle MakeBundle(const ArchConfig& arch, const FeatureConfig& features,
                       std::vector<std::string> labels = {});

/// Serialises `b` (validated first; BundleError if inconsistent). Tensors are copied to CPU.
std::string EncodeBundle(const ModelBundle& b);
/// Writes `b` atomically to `path` (IoError if the file cannot be written).
void SaveBundle(const std::string& path, const ModelBundle& b);

/// Parses a bundle image; `name` (usually the file name) prefixes error messages.
/// The network is on the CPU, in eval mode.
ModelBundle DecodeBundle(const std::string& bytes, const std::string& name);
/// Reads and parses a bundle file (IoError if unreadable, BundleError if invalid), then
/// moves the network to `device`.
ModelBundle LoadBundle(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace ascnet
