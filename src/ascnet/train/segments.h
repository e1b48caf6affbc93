// Where training reads its segment images from (no LibTorch here).
//
// SegmentSource is the read-only view TrainModel needs: the FeatureCache adapter
// (cache_source.h) for real runs, InMemorySegments for tests and small tools.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ascnet/data/dataset.h"
#include "ascnet/features/options.h"
#include "ascnet/model/bundle_info.h"

namespace ascnet {

/// Segment images per dataset item, as a FeatureCache lays them out.
class SegmentSource {
 public:
  virtual ~SegmentSource() = default;
  virtual const FeatureConfig& config() const = 0;
  /// {channels, bands, frames}.
  virtual std::vector<int64_t> segment_shape() const = 0;
  virtual int64_t num_items() const = 0;
  virtual int64_t num_segments() const = 0;
  /// Segments of item i are [first_segment(i), first_segment(i) + item_segments(i)).
  virtual int64_t first_segment(int item) const = 0;
  virtual int64_t item_segments(int item) const = 0;
  /// channels * bands * frames float32 values, [channels][bands][frames].
  virtual const float* segment(int64_t s) const = 0;
  /// First frame of segment s within its recording's image (segments of an item are
  /// windows of one continuous image, in increasing order of start).
  virtual int64_t segment_start_frame(int64_t s) const = 0;
  /// A name for messages (the cache pack path, "memory").
  virtual std::string name() const = 0;

  int64_t segment_floats() const;
};

/// Segments held in memory (tests, small tools).
class InMemorySegments : public SegmentSource {
 public:
  /// `shape` = {channels, bands, frames}.
  InMemorySegments(FeatureConfig config, std::vector<int64_t> shape);
  /// Appends an item with `data.size() / segment_floats()` segments (0 allowed: a failed item)
  /// starting at the frames `starts` (default: 0, T, 2T, ...: the non-overlapping grid).
  /// Returns its index. ConfigError if the size is not a multiple of segment_floats() or
  /// `starts` has another length or is not increasing.
  int AddItem(const std::vector<float>& data, std::vector<int64_t> starts = {});

  const FeatureConfig& config() const override { return config_; }
  std::vector<int64_t> segment_shape() const override { return shape_; }
  int64_t num_items() const override { return static_cast<int64_t>(first_.size()); }
  int64_t num_segments() const override;
  int64_t first_segment(int item) const override;
  int64_t item_segments(int item) const override;
  const float* segment(int64_t s) const override;
  int64_t segment_start_frame(int64_t s) const override { return starts_.at(static_cast<size_t>(s)); }
  std::string name() const override { return "memory"; }

 private:
  FeatureConfig config_;
  std::vector<int64_t> shape_;
  std::vector<float> data_;
  std::vector<int64_t> first_, count_, starts_;
};

/// Frames of item `item`'s image that its segments cover (last start + T; 0 without segments).
int64_t ItemFrames(const SegmentSource& source, int item);

/// Copies the T-frame window of item `item`'s image that starts at frame `offset`
/// (0 <= offset <= ItemFrames - T) into `out` ([channels][bands][T] float32), reading across
/// the item's overlapping or adjacent segments. ConfigError if the window is out of range or
/// touches a frame that no segment covers (a hop longer than T).
void CopyWindow(const SegmentSource& source, int item, int64_t offset, float* out);

/// The segments of one split's items, with their labels.
struct SplitSegments {
  std::vector<int64_t> train, test;          ///< segment indices into the source
  std::vector<int> train_labels, test_labels;  ///< class of each (its item's label)
  std::vector<int> train_items, test_items;  ///< dataset item of each train / test segment
  int train_items_without_segments = 0;      ///< train items skipped (0 segments: failed)
  int test_items_without_segments = 0;
};

/// Collects the segments of `split`'s train and test items. ConfigError if an item index
/// or label is out of range or the source has a different number of items than `dataset`.
SplitSegments CollectSegments(const SegmentSource& source, const Dataset& dataset, const Split& split);

/// Sampling weights of the training segments (TrainOptions::balance_groups): within each
/// class, every group (Item::group, the source recording; an item without one is its own
/// group) gets the same share of the class's segments, split evenly over its segments; a
/// class keeps its share of all training segments. So weights[k] = n_c / (G_c * n_g) for
/// training position k of class c and group g, with n_c the class's training segments, G_c
/// its groups and n_g the group's segments; they sum to the number of training segments.
std::vector<double> GroupBalancedWeights(const Dataset& dataset, const SplitSegments& segs);

/// Per (channel, band) mean and standard deviation (population, floored at 1e-6) over
/// every frame of the given segments (the training segments: test data never enters).
/// Computed in double precision. ConfigError if `segments` is empty.
Normalisation ComputeNormalisation(const SegmentSource& source, const std::vector<int64_t>& segments);

}  // namespace ascnet
