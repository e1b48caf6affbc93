// Exporting a network's weights for other tools (the PyTorch peer bench/peers/ascnet_peer.py).
#pragma once

#include <string>

#include "ascnet/model/networks.h"

namespace ascnet {

/// Writes every float32 parameter and buffer of `net` as DIR/<name>.npy and
/// DIR/manifest.json = {"arch": ArchConfig JSON, "tensors": {name: "<name>.npy"}}.
/// Integer buffers (batch-norm counters) are skipped. Creates DIR; IoError on failure.
void ExportWeightsNpy(const NetworkImpl& net, const std::string& dir);

/// Writes a float tensor (any device, any layout) as a .npy file.
void WriteTensorNpy(const std::string& path, const torch::Tensor& t);

}  // namespace ascnet
