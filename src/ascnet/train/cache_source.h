// SegmentSource view of a FeatureCache (kept apart so that code using only in-memory
// segments does not need the cache implementation).
#pragma once

#include <cmath>

#include "ascnet/data/feature_cache.h"
#include "ascnet/train/segments.h"

namespace ascnet {

class CacheSegmentSource : public SegmentSource {
 public:
  explicit CacheSegmentSource(const FeatureCache& cache) : cache_(cache) {}
  const FeatureConfig& config() const override { return cache_.config(); }
  std::vector<int64_t> segment_shape() const override { return cache_.segment_shape(); }
  int64_t num_items() const override { return cache_.num_items(); }
  int64_t num_segments() const override { return cache_.num_segments(); }
  int64_t first_segment(int item) const override { return cache_.first_segment(item); }
  int64_t item_segments(int item) const override { return cache_.item_segments(item); }
  const float* segment(int64_t s) const override { return cache_.segment(s); }
  int64_t segment_start_frame(int64_t s) const override {
    const FrameOptions& f = cache_.config().frame;
    return static_cast<int64_t>(std::llround(cache_.segment_start(s) * f.sample_rate / f.frame_shift));
  }
  std::string name() const override { return cache_.pack_path(); }

 private:
  const FeatureCache& cache_;
};

}  // namespace ascnet
