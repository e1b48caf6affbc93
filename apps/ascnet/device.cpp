#include "device.h"

#include <torch/cuda.h>
#include <torch/utils.h>

#include "ascnet/core/error.h"

namespace ascnet::cli {

torch::Device ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError("--device " + name + ": CUDA is not available in this build of LibTorch or on this machine");
    }
    return torch::Device(name);
  }
  throw ConfigError("--device " + name + " (expected cpu, cuda or cuda:N)");
}

void SetTorchThreads(int n) {
  if (n < 1) throw ConfigError("--threads = " + std::to_string(n) + " (expected >= 1)");
  torch::set_num_threads(n);
}

}  // namespace ascnet::cli
