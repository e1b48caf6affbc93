// Thread settings shared by the LibTorch subcommands (devices: ascnet/model/device.h).
#pragma once

#include <string>

#include "ascnet/model/device.h"  // ParseDevice

namespace ascnet::cli {

/// torch::set_num_threads (intra-op), n >= 1.
void SetTorchThreads(int n);

}  // namespace ascnet::cli
