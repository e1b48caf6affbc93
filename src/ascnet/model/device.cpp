#include "ascnet/model/device.h"

#include <torch/cuda.h>

#include "ascnet/core/error.h"

namespace ascnet {

torch::Device ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError("invalid device = " + name +
                        " (CUDA is not available: this LibTorch has no CUDA support or no GPU is visible; use cpu)");
    }
    int index = 0;
    if (name.size() > 5) {
      try {
        index = std::stoi(name.substr(5));
      } catch (const std::exception&) {
        throw ConfigError("invalid device = " + name + " (expected cuda:N)");
      }
    }
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count())) {
      throw ConfigError("invalid device = " + name + " (" + std::to_string(torch::cuda::device_count()) +
                        " CUDA device(s) visible)");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw ConfigError("invalid device = " + name + " (expected cpu, cuda or cuda:N)");
}

}  // namespace ascnet
