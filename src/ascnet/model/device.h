// Choosing where networks run. Code stays device-agnostic: everything takes a torch::Device.
#pragma once

#include <string>

#include <torch/types.h>

namespace ascnet {

/// torch::Device for "cpu", "cuda" or "cuda:N". ConfigError if CUDA is asked for but this
/// LibTorch has no CUDA support or no such GPU is visible, or for any other name.
torch::Device ParseDevice(const std::string& name);

}  // namespace ascnet
