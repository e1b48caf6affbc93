#include "ascnet/train/segments.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "ascnet/core/error.h"

namespace ascnet {

int64_t SegmentSource::segment_floats() const {
  int64_t n = 1;
  for (int64_t d : segment_shape()) n *= d;
  return n;
}

InMemorySegments::InMemorySegments(FeatureConfig config, std::vector<int64_t> shape)
    : config_(std::move(config)), shape_(std::move(shape)) {
  if (shape_.size() != 3 || shape_[0] < 1 || shape_[1] < 1 || shape_[2] < 1) {
    throw ConfigError("InMemorySegments: shape must be {channels, bands, frames}, each >= 1");
  }
}

int InMemorySegments::AddItem(const std::vector<float>& data, std::vector<int64_t> starts) {
  const int64_t f = segment_floats();
  if (static_cast<int64_t>(data.size()) % f != 0) {
    throw ConfigError("InMemorySegments::AddItem: " + std::to_string(data.size()) +
                      " floats is not a multiple of the segment size " + std::to_string(f));
  }
  const int64_t n = static_cast<int64_t>(data.size()) / f;
  if (starts.empty()) {
    for (int64_t k = 0; k < n; ++k) starts.push_back(k * shape_[2]);
  }
  if (static_cast<int64_t>(starts.size()) != n) {
    throw ConfigError("InMemorySegments::AddItem: " + std::to_string(starts.size()) + " start frames for " +
                      std::to_string(n) + " segments");
  }
  for (size_t k = 0; k < starts.size(); ++k) {
    if (starts[k] < 0 || (k > 0 && starts[k] <= starts[k - 1])) {
      throw ConfigError("InMemorySegments::AddItem: segment start frames must be >= 0 and increasing");
    }
  }
  starts_.insert(starts_.end(), starts.begin(), starts.end());
  first_.push_back(static_cast<int64_t>(data_.size()) / f);
  count_.push_back(n);
  data_.insert(data_.end(), data.begin(), data.end());
  return static_cast<int>(first_.size()) - 1;
}

int64_t InMemorySegments::num_segments() const { return static_cast<int64_t>(data_.size()) / segment_floats(); }
int64_t InMemorySegments::first_segment(int item) const { return first_.at(item); }
int64_t InMemorySegments::item_segments(int item) const { return count_.at(item); }
const float* InMemorySegments::segment(int64_t s) const { return data_.data() + s * segment_floats(); }

SplitSegments CollectSegments(const SegmentSource& source, const Dataset& dataset, const Split& split) {
  if (source.num_items() != static_cast<int64_t>(dataset.items.size())) {
    throw ConfigError(WithPath(source.name(), "holds " + std::to_string(source.num_items()) +
                                                  " items, expected the dataset's " +
                                                  std::to_string(dataset.items.size()) + " (" + dataset.spec + ")"));
  }
  const int classes = static_cast<int>(dataset.classes.size());
  SplitSegments out;
  auto add = [&](const std::vector<int>& items, bool train) {
    for (int i : items) {
      if (i < 0 || i >= static_cast<int>(dataset.items.size())) {
        throw ConfigError("split " + split.name + ": item index " + std::to_string(i) + " out of range");
      }
      const int label = dataset.items[i].label;
      if (label < 0 || label >= classes) {
        throw ConfigError("item " + dataset.items[i].id + ": label " + std::to_string(label) + " out of range [0, " +
                          std::to_string(classes) + ")");
      }
      const int64_t first = source.first_segment(i), n = source.item_segments(i);
      if (n == 0) ++(train ? out.train_items_without_segments : out.test_items_without_segments);
      for (int64_t s = first; s < first + n; ++s) {
        if (train) {
          out.train.push_back(s);
          out.train_labels.push_back(label);
          out.train_items.push_back(i);
        } else {
          out.test.push_back(s);
          out.test_labels.push_back(label);
          out.test_items.push_back(i);
        }
      }
    }
  };
  add(split.train, true);
  add(split.test, false);
  return out;
}

std::vector<double> GroupBalancedWeights(const Dataset& dataset, const SplitSegments& segs) {
  // A group: (class, the item's group name), or (class, "", item) for an item without one.
  using GroupKey = std::tuple<int, std::string, int>;
  std::vector<GroupKey> key(segs.train_items.size());
  std::map<int, int64_t> class_segments;
  std::map<GroupKey, int64_t> group_segments;
  for (size_t k = 0; k < key.size(); ++k) {
    const int i = segs.train_items[k];
    const std::string& group = dataset.items.at(static_cast<size_t>(i)).group;
    key[k] = GroupKey{segs.train_labels[k], group, group.empty() ? i : -1};
    ++class_segments[segs.train_labels[k]];
    ++group_segments[key[k]];
  }
  std::map<int, int64_t> class_groups;
  for (const auto& entry : group_segments) ++class_groups[std::get<0>(entry.first)];
  std::vector<double> w(key.size());
  for (size_t k = 0; k < key.size(); ++k) {
    const int c = segs.train_labels[k];
    w[k] = static_cast<double>(class_segments[c]) /
           (static_cast<double>(class_groups[c]) * static_cast<double>(group_segments[key[k]]));
  }
  return w;
}

int64_t ItemFrames(const SegmentSource& source, int item) {
  const int64_t n = source.item_segments(item);
  if (n == 0) return 0;
  return source.segment_start_frame(source.first_segment(item) + n - 1) + source.segment_shape()[2];
}

void CopyWindow(const SegmentSource& source, int item, int64_t offset, float* out) {
  const auto shape = source.segment_shape();
  const int64_t rows = shape[0] * shape[1], T = shape[2];
  const int64_t frames = ItemFrames(source, item);
  if (offset < 0 || offset + T > frames) {
    throw ConfigError(WithPath(source.name(), "window at frame " + std::to_string(offset) + " of item " +
                                                  std::to_string(item) + " is outside its " + std::to_string(frames) +
                                                  " frames (expected 0.." + std::to_string(frames - T) + ")"));
  }
  const int64_t first = source.first_segment(item), count = source.item_segments(item);
  int64_t k = 0;  // the last segment starting at or before the current frame
  for (int64_t t = 0; t < T;) {
    const int64_t f = offset + t;
    while (k + 1 < count && source.segment_start_frame(first + k + 1) <= f) ++k;
    const int64_t start = source.segment_start_frame(first + k);
    if (f < start || f >= start + T) {
      throw ConfigError(WithPath(source.name(), "frame " + std::to_string(f) + " of item " + std::to_string(item) +
                                                    " is in no segment (segment hop longer than the segment)"));
    }
    const int64_t run = std::min(T - t, start + T - f);
    const float* seg = source.segment(first + k);
    for (int64_t r = 0; r < rows; ++r) std::copy_n(seg + r * T + (f - start), run, out + r * T + t);
    t += run;
  }
}

Normalisation ComputeNormalisation(const SegmentSource& source, const std::vector<int64_t>& segments) {
  if (segments.empty()) throw ConfigError("normalisation: no training segments to compute statistics from");
  const auto shape = source.segment_shape();
  const int channels = static_cast<int>(shape[0]), bands = static_cast<int>(shape[1]);
  const int64_t frames = shape[2];
  const int rows = channels * bands;
  std::vector<double> sum(rows, 0.0), sum2(rows, 0.0);
  // Two passes (mean, then centred squares) for accuracy with log-spectra far from 0.
  for (int64_t s : segments) {
    const float* p = source.segment(s);
    for (int r = 0; r < rows; ++r) {
      double acc = 0;
      for (int64_t t = 0; t < frames; ++t) acc += p[r * frames + t];
      sum[r] += acc;
    }
  }
  const double n = static_cast<double>(segments.size()) * static_cast<double>(frames);
  for (int r = 0; r < rows; ++r) sum[r] /= n;
  for (int64_t s : segments) {
    const float* p = source.segment(s);
    for (int r = 0; r < rows; ++r) {
      double acc = 0;
      for (int64_t t = 0; t < frames; ++t) {
        const double d = p[r * frames + t] - sum[r];
        acc += d * d;
      }
      sum2[r] += acc;
    }
  }
  Normalisation norm;
  norm.channels = channels;
  norm.bands = bands;
  norm.mean.resize(rows);
  norm.std.resize(rows);
  for (int r = 0; r < rows; ++r) {
    norm.mean[r] = static_cast<float>(sum[r]);
    norm.std[r] = static_cast<float>(std::max(1e-6, std::sqrt(sum2[r] / n)));
  }
  norm.Validate();
  return norm;
}

}  // namespace ascnet
