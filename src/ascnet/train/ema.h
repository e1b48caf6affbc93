// Exponential moving average of a network's weights (Polyak averaging as in timm's
// ModelEmaV2): evaluated during training and saved in the bundle instead of the last weights.
#pragma once

#include <cstdint>

#include "ascnet/model/networks.h"

namespace ascnet {

/// The decay used for the update after `step` steps (0-based count of updates done before):
/// min(decay, (1 + step) / (10 + step)), so early averages are not dominated by the random
/// initial weights.
double EmaDecay(double decay, int64_t step);

/// average = d * average + (1 - d) * live for every parameter and floating-point buffer
/// (batch-norm running statistics); integer buffers (batch counts) are copied. Both networks
/// must have the same architecture (TORCH_CHECK) and live on the same device.
void UpdateEma(NetworkImpl& average, NetworkImpl& live, double d);

/// average := live (parameters and buffers), e.g. at the start of a run.
void CopyWeights(NetworkImpl& average, NetworkImpl& live);

}  // namespace ascnet
