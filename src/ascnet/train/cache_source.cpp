#include "ascnet/train/cache_source.h"

#include "ascnet/train/trainer.h"

namespace ascnet {

TrainResult TrainModel(const FeatureCache& cache, const Dataset& dataset, const Split& split,
                       const ArchConfig& arch, const TrainOptions& options, const TrainHooks& hooks) {
  return TrainModel(CacheSegmentSource(cache), dataset, split, arch, options, hooks);
}

}  // namespace ascnet
