#include "device.h"

#include <torch/utils.h>

#include "ascnet/core/error.h"

namespace ascnet::cli {

void SetTorchThreads(int n) {
  if (n < 1) throw ConfigError("--threads = " + std::to_string(n) + " (expected >= 1)");
  torch::set_num_threads(n);
}

}  // namespace ascnet::cli
