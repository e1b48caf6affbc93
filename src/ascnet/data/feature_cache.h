// Feature cache: the segment images of every item of a dataset for one FeatureConfig,
// computed once (in parallel, with a progress bar), stored on disk and memory-mapped, and
// reused by every split, run and architecture.
//
// Layout under CacheOptions::root:
//   <config-hash>/config.json                 the FeatureConfig (human-readable)
//   <config-hash>/<dataset-hash>.pack         all items' segments + index (memory-mapped)
//   <config-hash>/<dataset-hash>.lock         who is building the pack (core/file_lock.h)
//   <config-hash>/items/<path-hash>.seg       per-item results of an unfinished build or a shard
// A pack is written atomically (temporary file, fsync, rename); every item record carries
// the source file's size and mtime and a CRC-32 of its data, checked when the pack is
// opened. A changed config gives another <config-hash>; a changed audio file is
// re-extracted; a truncated or corrupted pack or item file is detected, reported and
// rebuilt, never read as data. Memory stays bounded: items are streamed to disk one by one.
//
// Shared by many jobs (the array tasks of a cluster job): one process at a time builds a
// pack, holding its lock file; the others wait for it and then read the finished pack (a
// build whose owner died is taken over). A large dataset can be extracted in shards by
// different jobs (BuildShard: each writes only its own items' files), and the first Build
// afterwards assembles the pack from them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ascnet/data/dataset.h"
#include "ascnet/features/options.h"

namespace ascnet {

struct CacheOptions {
  std::string root = "ascnet-cache";  ///< cache folder (created if missing)
  int threads = 0;                    ///< extraction threads; 0 = all cores
  bool progress = true;               ///< progress bar on stderr
  bool verify = true;                 ///< check every item's CRC-32 when opening a pack

  void Validate() const;
  std::string ToString() const;
};

/// What BuildShard did.
struct CacheShardResult {
  int64_t items = 0;         ///< items in this shard
  int64_t extracted = 0;     ///< extracted now
  int64_t already_done = 0;  ///< already in the pack or in item files
  std::string pack_path;     ///< the pack that a later Build assembles
};

/// An item that could not be decoded or featurised (it then has 0 segments).
struct CacheFailure {
  int item = -1;
  std::string path;
  std::string error;
};

class FeatureCache {
 public:
  /// Opens (building or completing as needed) the cache of `dataset` under `config`.
  /// Items that fail are listed in failures() and have no segments; the other items are
  /// still cached. Throws IoError if the cache folder cannot be written.
  /// Waits while another process holds the pack's build lock.
  static FeatureCache Build(const Dataset& dataset, const FeatureConfig& config, const CacheOptions& options);
  /// Extracts shard `shard` (0-based) of `shards`: the items i with i % shards == shard that
  /// the pack does not hold yet, each to its own item file; writes no pack. ConfigError for a
  /// shard outside 0..shards-1.
  static CacheShardResult BuildShard(const Dataset& dataset, const FeatureConfig& config, const CacheOptions& options,
                                     int shard, int shards);

  FeatureCache();
  ~FeatureCache();
  FeatureCache(FeatureCache&&) noexcept;
  FeatureCache& operator=(FeatureCache&&) noexcept;

  const FeatureConfig& config() const;
  const std::string& pack_path() const;
  /// Where item i's results go while a build is unfinished or a shard extracts it
  /// (<config-hash>/items/<path-hash>.seg); the file exists only then.
  std::string item_file(int item) const;
  int64_t num_items() const;
  int64_t num_segments() const;
  /// {channels, bands, frames} of one segment; segment_floats() = their product.
  std::vector<int64_t> segment_shape() const;
  int64_t segment_floats() const;

  /// Segments of item i are [first_segment(i), first_segment(i) + item_segments(i)).
  int64_t first_segment(int item) const;
  int64_t item_segments(int item) const;
  /// Start time (seconds) of segment s within its recording.
  double segment_start(int64_t s) const;
  /// Pointer to segment s: segment_floats() float32 values, [channels][bands][frames].
  const float* segment(int64_t s) const;
  int item_of_segment(int64_t s) const;

  const std::vector<CacheFailure>& failures() const;
  /// How many items were extracted by this Build (the rest were reused).
  int64_t extracted() const;
  /// How many items this Build took from item files (shards, or an interrupted build).
  int64_t from_item_files() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Hex digest (16 chars) identifying a FeatureConfig: the cache folder name.
std::string FeatureConfigHash(const FeatureConfig& config);

}  // namespace ascnet
