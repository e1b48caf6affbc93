// Device and thread settings shared by the LibTorch subcommands.
#pragma once

#include <string>

#include <torch/types.h>

namespace ascnet::cli {

/// "cpu", "cuda" or "cuda:N"; ConfigError if CUDA is asked for but not available.
torch::Device ParseDevice(const std::string& name);
/// torch::set_num_threads (intra-op), n >= 1.
void SetTorchThreads(int n);

}  // namespace ascnet::cli
