#include "ascnet/data/feature_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "ascnet/audio/decode.h"
#include "ascnet/core/binary_record.h"
#include "ascnet/core/error.h"
#include "ascnet/core/file_lock.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/json_get.h"
#include "ascnet/core/progress.h"
#include "ascnet/features/extractor.h"

namespace ascnet {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kPackMagic[8] = {'A', 'S', 'C', 'P', 'A', 'C', 'K', '1'};
constexpr char kItemMagic[8] = {'A', 'S', 'C', 'S', 'E', 'G', 'S', '1'};
constexpr uint32_t kVersion = 1;

uint64_t Fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Identity of a source file's content as far as the cache is concerned.
struct Stamp {
  int64_t size = -1;
  int64_t mtime_ns = 0;
  bool operator==(const Stamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

Stamp StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_size), static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// One item's extraction result, as stored in an item file and described in the pack index.
struct ItemRecord {
  std::string path;
  Stamp stamp;
  int64_t segments = 0;
  std::vector<double> starts;
  std::string error;   // non-empty: the item failed (0 segments)
  uint32_t crc = 0;    // CRC-32 of the float data
  int64_t offset = 0;  // pack: first segment index
};

json RecordJson(const ItemRecord& r) {
  json j = {{"path", r.path}, {"size", r.stamp.size}, {"mtime_ns", r.stamp.mtime_ns},
            {"segments", r.segments}, {"starts", r.starts}, {"crc", r.crc}, {"first", r.offset}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

ItemRecord RecordFromJson(const json& j) {
  ItemRecord r;
  r.path = j.at("path").get<std::string>();
  r.stamp.size = JsonGet<int64_t>(j.at("size"));
  r.stamp.mtime_ns = JsonGet<int64_t>(j.at("mtime_ns"));
  r.segments = JsonGet<int64_t>(j.at("segments"));
  r.starts = JsonGet<std::vector<double>>(j.at("starts"));
  r.crc = JsonGet<uint32_t>(j.at("crc"));
  r.offset = JsonGet<int64_t>(j.at("first"));
  if (j.contains("error")) r.error = j.at("error").get<std::string>();
  if (r.segments < 0 || r.offset < 0 || r.starts.size() != static_cast<size_t>(r.segments)) {
    throw FormatError("inconsistent index record for " + r.path);
  }
  return r;
}

// Item file (a record, core/binary_record.h): magic | u32 version | u32 header length |
// JSON header (the ItemRecord, whose "crc" is the CRC-32 of the float data) | float data.
// The data's CRC sits in the header rather than in a checked section, and its length in
// "segments": the layout predates the shared Section, and is kept.
void WriteItemFile(const std::string& path, const ItemRecord& rec, const float* data, int64_t floats) {
  const std::string header = RecordJson(rec).dump();
  RecordWriter w(std::string_view(kItemMagic, 8));
  w.U32(kVersion);
  w.U32(static_cast<uint32_t>(header.size()));
  w.Raw(header);
  WriteFileAtomically(path, [&](std::ostream& os) {
    os.write(w.bytes().data(), static_cast<std::streamsize>(w.bytes().size()));
    os.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(floats * sizeof(float)));
  });
}

struct BadItemFile {};

// Reads an item file; returns false (never throws) if it is missing, truncated or corrupted.
bool ReadItemFile(const std::string& path, int64_t seg_floats, ItemRecord* rec, std::vector<float>* data) {
  std::string bytes;
  try {
    bytes = ReadFile(path);
  } catch (const IoError&) {
    return false;
  }
  try {
    RecordReader r(bytes, [](const std::string&, const std::string&) { throw BadItemFile{}; });
    r.Magic(std::string_view(kItemMagic, 8), "an ascnet feature item file");
    r.Version(kVersion);
    const auto hl = static_cast<size_t>(r.Uint(4, "header", "the header length"));
    *rec = RecordFromJson(json::parse(r.Bytes(hl, "header", "the JSON header")));
    if (rec->segments > (int64_t{1} << 32) / std::max<int64_t>(seg_floats, 1)) return false;
    data->resize(static_cast<size_t>(rec->segments * seg_floats));
    const size_t nbytes = data->size() * sizeof(float);
    if (r.remaining() != nbytes) return false;  // truncated, or trailing garbage
    if (nbytes > 0) std::memcpy(data->data(), bytes.data() + r.pos(), nbytes);
  } catch (const BadItemFile&) {
    return false;
  } catch (const std::exception&) {  // malformed JSON header
    return false;
  }
  return Crc32(data->data(), data->size() * sizeof(float)) == rec->crc;
}

// Pack: 64-byte header | float data (64-aligned) | JSON index. The data is written as it is
// gathered (never whole in memory) and read through a memory mapping, so the index and its
// CRC-32 follow it and the header (a record, core/binary_record.h) holds their places:
//   magic | u32 version | u32 index CRC-32 | u64 data offset (64) | u64 data bytes |
//   u64 index offset | u64 index bytes | u32 CRC-32 of the header bytes before it | 12 zero bytes
constexpr size_t kPackHeaderBytes = 64;

struct PackHeader {
  uint32_t index_crc = 0;
  uint64_t data_offset = 0, data_bytes = 0, index_offset = 0, index_bytes = 0;
};

std::string EncodePackHeader(const PackHeader& h) {
  RecordWriter w(std::string_view(kPackMagic, 8));
  w.U32(kVersion);
  w.U32(h.index_crc);
  w.U64(h.data_offset);
  w.U64(h.data_bytes);
  w.U64(h.index_offset);
  w.U64(h.index_bytes);
  w.Crc32OfAll();
  w.Raw(std::string(12, '\0'));
  if (w.bytes().size() != kPackHeaderBytes) throw std::logic_error("feature pack header is not 64 bytes");
  return w.Take();
}

// Reads the 64-byte header; `fail(part, problem)` must throw.
PackHeader DecodePackHeader(std::string_view bytes, const ByteReader::Fail& fail) {
  RecordReader r(bytes, fail);
  r.Magic(std::string_view(kPackMagic, 8), "an ascnet feature pack");
  r.Version(kVersion);
  PackHeader h;
  h.index_crc = static_cast<uint32_t>(r.Uint(4, "header", "the index CRC-32"));
  h.data_offset = r.Uint(8, "header", "the data offset");
  h.data_bytes = r.Uint(8, "header", "the data size");
  h.index_offset = r.Uint(8, "header", "the index offset");
  h.index_bytes = r.Uint(8, "header", "the index size");
  r.Crc32OfAll("header");
  return h;
}

// A read-only memory mapping of a pack.
struct Mapping {
  void* map = nullptr;
  size_t bytes = 0;
  const float* data = nullptr;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { Reset(); }
  void Reset() {
    if (map) ::munmap(map, bytes);
    map = nullptr;
    bytes = 0;
    data = nullptr;
  }
};

}  // namespace

void CacheOptions::Validate() const {
  if (root.empty()) throw ConfigError("cache option root is empty (expected a folder path)");
  if (threads < 0 || threads > 1024) throw ConfigError("cache option threads = " + std::to_string(threads) + " (expected 0..1024)");
}

std::string CacheOptions::ToString() const {
  std::ostringstream os;
  os << "CacheOptions(root=" << root << ", threads=" << (threads ? std::to_string(threads) : "all cores")
     << ", verify=" << (verify ? "yes" : "no") << ")";
  return os.str();
}

std::string FeatureConfigHash(const FeatureConfig& config) { return Hex(Fnv1a(json(config).dump())); }

namespace {
// <item_dir>/<path-hash>.seg: where one item's results go in an unfinished build or a shard.
std::string ItemFilePath(const fs::path& item_dir, const std::string& item_path) {
  return (item_dir / (Hex(Fnv1a(item_path)) + ".seg")).string();
}
}  // namespace

struct FeatureCache::Impl {
  FeatureConfig config;
  std::string pack_path;
  std::string item_dir;
  std::vector<int64_t> shape;  // C, M, T
  int64_t seg_floats = 0;
  std::vector<ItemRecord> items;            // dataset order
  std::vector<int> segment_item;            // per segment
  std::vector<double> segment_starts;       // per segment
  int64_t num_segments = 0;
  std::vector<CacheFailure> failures;
  int64_t extracted = 0;
  int64_t from_item_files = 0;
  Mapping mapping;

  void IndexView(const Dataset& dataset, const std::unordered_map<std::string, ItemRecord>& packed);
};

namespace {

// Opens and validates a pack; returns its records (by path) and maps it into `impl`.
// Returns false if the pack is missing; throws FormatError describing what is wrong with
// a pack that exists but is damaged.
bool OpenPack(const std::string& path, int64_t seg_floats, bool verify, Mapping* mapping,
              std::unordered_map<std::string, ItemRecord>* by_path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct stat st {};
  ::fstat(fd, &st);
  const size_t size = static_cast<size_t>(st.st_size);
  auto fail = [&](const std::string& why) {
    ::close(fd);
    throw FormatError(WithPath(path, why));
  };
  if (size < kPackHeaderBytes) fail("truncated pack (" + std::to_string(size) + " bytes, expected a 64-byte header)");
  std::string head(kPackHeaderBytes, '\0');
  if (::pread(fd, head.data(), head.size(), 0) != static_cast<ssize_t>(head.size())) fail("cannot read the pack header");
  const PackHeader h =
      DecodePackHeader(head, [&](const std::string& part, const std::string& problem) { fail(part + ": " + problem); });
  if (h.data_offset != kPackHeaderBytes || h.index_offset != h.data_offset + h.data_bytes ||
      h.index_offset + h.index_bytes != size) {
    fail("pack size is " + std::to_string(size) + " bytes, header expects " +
         std::to_string(h.index_offset + h.index_bytes) + " (truncated or extended)");
  }
  std::string index(h.index_bytes, '\0');
  if (::pread(fd, index.data(), index.size(), static_cast<off_t>(h.index_offset)) != static_cast<ssize_t>(index.size())) {
    fail("cannot read the pack index");
  }
  if (Crc32(index.data(), index.size()) != h.index_crc) fail("pack index checksum mismatch");
  std::vector<ItemRecord> records;
  try {
    const json j = json::parse(index);
    if (JsonGet<int64_t>(j.at("segment_floats")) != seg_floats) fail("segment size differs from the feature config");
    for (const json& r : j.at("items")) records.push_back(RecordFromJson(r));
  } catch (const FormatError&) {
    throw;
  } catch (const std::exception& e) {
    fail(std::string("malformed pack index (") + e.what() + ")");
  }
  const int64_t total_segments = static_cast<int64_t>(h.data_bytes / sizeof(float)) / std::max<int64_t>(seg_floats, 1);
  if (static_cast<uint64_t>(total_segments * seg_floats) * sizeof(float) != h.data_bytes) fail("pack data size is not a whole number of segments");
  void* map = nullptr;
  if (size > 0) {
    map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) fail(std::string("cannot memory-map the pack (") + std::strerror(errno) + ")");
  }
  ::close(fd);
  const float* data = reinterpret_cast<const float*>(static_cast<const char*>(map) + h.data_offset);
  for (const ItemRecord& r : records) {
    if (r.segments > total_segments || r.offset > total_segments - r.segments) {  // no overflow
      ::munmap(map, size);
      throw FormatError(WithPath(path, "index record of " + r.path + " points past the data"));
    }
    if (verify && Crc32(data + r.offset * seg_floats, static_cast<size_t>(r.segments * seg_floats) * 4) != r.crc) {
      ::munmap(map, size);
      throw FormatError(WithPath(path, "data checksum mismatch for " + r.path));
    }
    (*by_path)[r.path] = r;
  }
  mapping->Reset();
  mapping->map = map;
  mapping->bytes = size;
  mapping->data = data;
  return true;
}

}  // namespace

FeatureCache::FeatureCache() : impl_(std::make_unique<Impl>()) {}
FeatureCache::~FeatureCache() = default;
FeatureCache::FeatureCache(FeatureCache&&) noexcept = default;
FeatureCache& FeatureCache::operator=(FeatureCache&&) noexcept = default;

namespace {

// {channels, bands, frames} of one segment under `config`, and their product.
std::vector<int64_t> SegmentShape(const FeatureConfig& config) {
  return {config.NumChannels(), config.filterbank.num_bands, config.segment.frames};
}
int64_t SegmentFloats(const FeatureConfig& config) {
  const std::vector<int64_t> s = SegmentShape(config);
  return s[0] * s[1] * s[2];
}

// Where one dataset's cache under one config lives (see the layout in the header).
struct CacheLayout {
  fs::path dir, item_dir;
  std::string pack_path, lock_path;
  std::string ItemFile(const std::string& item_path) const { return ItemFilePath(item_dir, item_path); }
};

// Phase 0: the cache folder, its config.json, and the names of the pack and its lock.
CacheLayout PrepareFolder(const Dataset& dataset, const FeatureConfig& config, const CacheOptions& options) {
  CacheLayout l;
  l.dir = fs::path(options.root) / FeatureConfigHash(config);
  l.item_dir = l.dir / "items";
  std::error_code ec;
  fs::create_directories(l.item_dir, ec);
  if (ec) throw IoError(WithPath(l.item_dir.string(), "cannot create the cache folder (" + ec.message() + ")"));
  const std::string cfg = json(config).dump(2) + "\n";
  const fs::path cfg_path = l.dir / "config.json";
  if (!PathExists(cfg_path.string()) || ReadFile(cfg_path.string()) != cfg) {
    WriteFileAtomically(cfg_path.string(), [&](std::ostream& os) { os << cfg; });
  }
  std::string paths;
  for (const DatasetItem& it : dataset.items) paths += it.path + '\n';
  const std::string stem = Hex(Fnv1a(paths));
  l.pack_path = (l.dir / (stem + ".pack")).string();
  l.lock_path = (l.dir / (stem + ".lock")).string();
  return l;
}

// What an existing pack already holds, and which items still need extracting.
struct PackScan {
  std::unordered_map<std::string, ItemRecord> packed;  // by path
  std::vector<Stamp> stamps;                           // per item, now
  std::vector<char> reuse;                             // per item: its pack record is current
  std::vector<int> todo;                               // items to extract (or take from item files)
  bool complete = false;                               // the pack holds exactly the dataset, current
};

// Phase 1: open the existing pack (if any, and intact) and compare it with the dataset.
PackScan ScanPack(const Dataset& dataset, const CacheLayout& l, int64_t seg_floats, const CacheOptions& options,
                  Mapping* mapping) {
  PackScan scan;
  try {
    OpenPack(l.pack_path, seg_floats, options.verify, mapping, &scan.packed);
  } catch (const FormatError& e) {
    if (options.progress) std::fprintf(stderr, "[features] rebuilding the cache: %s\n", e.what());
    scan.packed.clear();
  }
  const size_t n = dataset.items.size();
  scan.stamps.resize(n);
  scan.reuse.assign(n, 0);
  scan.complete = !scan.packed.empty() && scan.packed.size() == n;
  for (size_t i = 0; i < n; ++i) {
    const std::string& p = dataset.items[i].path;
    scan.stamps[i] = StampOf(p);
    auto it = scan.packed.find(p);
    if (it != scan.packed.end() && it->second.stamp == scan.stamps[i] && scan.stamps[i].size >= 0) {
      scan.reuse[i] = 1;
    } else {
      scan.complete = false;
      scan.todo.push_back(static_cast<int>(i));
    }
  }
  return scan;
}

struct ExtractCounts {
  int64_t extracted = 0;     // computed now
  int64_t from_items = 0;    // found in item files (an interrupted build, or a shard's work)
};

// Phase 2: extract `items` in parallel; each result goes to its own item file at once, so a
// killed build keeps what it finished, and item files already there are taken as they are.
ExtractCounts ExtractItems(const Dataset& dataset, const FeatureConfig& config, const CacheLayout& l,
                           const std::vector<int>& items, const std::vector<Stamp>& stamps, int64_t seg_floats,
                           const CacheOptions& options) {
  ExtractCounts counts;
  if (items.empty()) return counts;
  const int threads = std::max(1, std::min<int>(options.threads > 0 ? options.threads
                                                                     : static_cast<int>(std::thread::hardware_concurrency()),
                                                static_cast<int>(items.size())));
  ProgressBar bar("features", static_cast<int64_t>(items.size()), options.progress);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> extracted{0}, from_items{0};
  std::mutex err_mu;
  std::exception_ptr fatal;
  auto worker = [&] {
    AudioOptions audio;
    audio.target_rate = config.frame.sample_rate;
    std::vector<float> scratch;
    while (true) {
      const size_t k = next.fetch_add(1);
      if (k >= items.size()) break;
      const int i = items[k];
      const std::string& p = dataset.items[static_cast<size_t>(i)].path;
      try {
        ItemRecord rec;
        const std::string file = l.ItemFile(p);
        if (ReadItemFile(file, seg_floats, &rec, &scratch) && rec.path == p && rec.stamp == stamps[static_cast<size_t>(i)]) {
          ++from_items;
          bar.Tick();
          continue;
        }
        rec = ItemRecord{};
        rec.path = p;
        rec.stamp = stamps[static_cast<size_t>(i)];
        SegmentImages img;
        try {
          img = FeatureExtractor::Compute(config, LoadAudio(p, audio));
        } catch (const IoError& e) {
          rec.error = e.what();
        } catch (const AudioError& e) {
          rec.error = WithPath(p, e.what());
        }
        rec.segments = img.num_segments;
        rec.starts = img.start_seconds;
        rec.crc = Crc32(img.data.data(), img.data.size() * sizeof(float));
        WriteItemFile(file, rec, img.data.data(), static_cast<int64_t>(img.data.size()));
        ++extracted;
        bar.Tick();
      } catch (...) {
        std::lock_guard<std::mutex> lock(err_mu);
        if (!fatal) fatal = std::current_exception();
        next = items.size();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  bar.Finish();
  if (fatal) std::rethrow_exception(fatal);
  counts.extracted = extracted;
  counts.from_items = from_items;
  return counts;
}

// Phase 3: write a new pack (reused records copied from the old mapping, the others from
// their item files), remove the item files it absorbed, and map it.
void WritePack(const Dataset& dataset, const CacheLayout& l, int64_t seg_floats, const std::vector<int64_t>& shape,
               const std::string& config_hash, PackScan* scan, Mapping* mapping) {
  const int64_t n = static_cast<int64_t>(dataset.items.size());
  std::vector<ItemRecord> records(static_cast<size_t>(n));
  WriteFileAtomically(l.pack_path, [&](std::ostream& os) {
    os.write(std::string(kPackHeaderBytes, '\0').data(), kPackHeaderBytes);  // rewritten below
    int64_t offset = 0;
    std::vector<float> buf;
    for (int64_t i = 0; i < n; ++i) {
      const std::string& p = dataset.items[static_cast<size_t>(i)].path;
      ItemRecord rec;
      const float* src = nullptr;
      if (scan->reuse[static_cast<size_t>(i)]) {
        rec = scan->packed.at(p);
        src = mapping->data + rec.offset * seg_floats;
      } else {
        if (!ReadItemFile(l.ItemFile(p), seg_floats, &rec, &buf)) {
          throw FormatError(WithPath(l.ItemFile(p), "item file vanished or was corrupted while building the cache"));
        }
        src = buf.data();
      }
      rec.offset = offset;
      os.write(reinterpret_cast<const char*>(src), static_cast<std::streamsize>(rec.segments * seg_floats * 4));
      offset += rec.segments;
      records[static_cast<size_t>(i)] = std::move(rec);
    }
    json index = {{"version", kVersion}, {"segment_floats", seg_floats},
                  {"shape", shape}, {"config_hash", config_hash}, {"items", json::array()}};
    for (const ItemRecord& r : records) index["items"].push_back(RecordJson(r));
    const std::string idx = index.dump();
    os.write(idx.data(), static_cast<std::streamsize>(idx.size()));
    PackHeader h;
    h.data_offset = kPackHeaderBytes;
    h.data_bytes = static_cast<uint64_t>(offset * seg_floats) * sizeof(float);
    h.index_offset = h.data_offset + h.data_bytes;
    h.index_bytes = idx.size();
    h.index_crc = Crc32(idx.data(), idx.size());
    const std::string head = EncodePackHeader(h);
    os.seekp(0);
    os.write(head.data(), static_cast<std::streamsize>(head.size()));
  });
  std::error_code ec;
  for (int i : scan->todo) fs::remove(l.ItemFile(dataset.items[static_cast<size_t>(i)].path), ec);
  scan->packed.clear();
  if (!OpenPack(l.pack_path, seg_floats, false, mapping, &scan->packed)) {
    throw IoError(WithPath(l.pack_path, "the pack just written cannot be opened"));
  }
}

// Takes the build lock of a pack, saying whom it waits for or whose dead build it takes over.
FileLock LockBuild(const CacheLayout& l, const CacheOptions& options) {
  FileLock lock = FileLock::Acquire(l.lock_path, [&](const std::optional<LockOwner>& holder) {
    if (options.progress) {
      std::fprintf(stderr, "[features] waiting for the feature cache being built by %s (%s)\n",
                   holder ? holder->ToString().c_str() : "another process", l.lock_path.c_str());
    }
  });
  if (lock.taken_over() && options.progress) {
    std::fprintf(stderr, "[features] taking over the cache build of %s, which ended without finishing (%s)\n",
                 lock.taken_over()->ToString().c_str(), l.lock_path.c_str());
  }
  return lock;
}

}  // namespace

FeatureCache FeatureCache::Build(const Dataset& dataset, const FeatureConfig& config, const CacheOptions& options) {
  config.Validate();
  options.Validate();
  FeatureCache cache;
  Impl& impl = *cache.impl_;
  impl.config = config;
  impl.shape = SegmentShape(config);
  impl.seg_floats = SegmentFloats(config);
  const CacheLayout layout = PrepareFolder(dataset, config, options);
  impl.pack_path = layout.pack_path;
  impl.item_dir = layout.item_dir.string();

  PackScan scan = ScanPack(dataset, layout, impl.seg_floats, options, &impl.mapping);
  if (!scan.complete) {
    // One builder at a time; the others wait and then find the pack complete.
    const FileLock lock = LockBuild(layout, options);
    scan = ScanPack(dataset, layout, impl.seg_floats, options, &impl.mapping);
    if (!scan.complete) {
      const ExtractCounts counts =
          ExtractItems(dataset, config, layout, scan.todo, scan.stamps, impl.seg_floats, options);
      impl.extracted = counts.extracted;
      impl.from_item_files = counts.from_items;
      WritePack(dataset, layout, impl.seg_floats, impl.shape, FeatureConfigHash(config), &scan, &impl.mapping);
    }
  }
  impl.IndexView(dataset, scan.packed);
  return cache;
}

CacheShardResult FeatureCache::BuildShard(const Dataset& dataset, const FeatureConfig& config,
                                          const CacheOptions& options, int shard, int shards) {
  config.Validate();
  options.Validate();
  if (shards < 1 || shard < 0 || shard >= shards) {
    throw ConfigError("cache shard " + std::to_string(shard + 1) + "/" + std::to_string(shards) +
                      " (expected K/N with 1 <= K <= N)");
  }
  const int64_t seg_floats = SegmentFloats(config);
  const CacheLayout layout = PrepareFolder(dataset, config, options);
  Mapping mapping;
  const PackScan scan = ScanPack(dataset, layout, seg_floats, options, &mapping);
  CacheShardResult r;
  std::vector<int> mine;
  for (size_t i = 0; i < dataset.items.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(shards)) == shard) ++r.items;
  }
  for (int i : scan.todo) {
    if (i % shards == shard) mine.push_back(i);
  }
  const ExtractCounts counts = ExtractItems(dataset, config, layout, mine, scan.stamps, seg_floats, options);
  r.extracted = counts.extracted;
  r.already_done = r.items - r.extracted;
  r.pack_path = layout.pack_path;
  return r;
}

void FeatureCache::Impl::IndexView(const Dataset& dataset, const std::unordered_map<std::string, ItemRecord>& packed) {
  // Phase 4: the dataset-order view of the pack.
  const int64_t n = static_cast<int64_t>(dataset.items.size());
  items.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const ItemRecord& r = packed.at(dataset.items[static_cast<size_t>(i)].path);
    items[static_cast<size_t>(i)] = r;
    if (!r.error.empty()) failures.push_back({static_cast<int>(i), r.path, r.error});
  }
  // The pack is named after the ordered item list, so its segments are in dataset order.
  segment_item.clear();
  segment_starts.clear();
  for (int64_t i = 0; i < n; ++i) {
    const ItemRecord& r = items[static_cast<size_t>(i)];
    if (r.offset != static_cast<int64_t>(segment_item.size())) {
      throw FormatError(WithPath(pack_path, "pack segments are not in dataset order (delete the file to rebuild)"));
    }
    for (int64_t s = 0; s < r.segments; ++s) {
      segment_item.push_back(static_cast<int>(i));
      segment_starts.push_back(r.starts[static_cast<size_t>(s)]);
    }
  }
  num_segments = static_cast<int64_t>(segment_item.size());
}

const FeatureConfig& FeatureCache::config() const { return impl_->config; }
const std::string& FeatureCache::pack_path() const { return impl_->pack_path; }
int64_t FeatureCache::num_items() const { return static_cast<int64_t>(impl_->items.size()); }
int64_t FeatureCache::num_segments() const { return impl_->num_segments; }
std::vector<int64_t> FeatureCache::segment_shape() const { return impl_->shape; }
int64_t FeatureCache::segment_floats() const { return impl_->seg_floats; }
const std::vector<CacheFailure>& FeatureCache::failures() const { return impl_->failures; }
int64_t FeatureCache::extracted() const { return impl_->extracted; }
int64_t FeatureCache::from_item_files() const { return impl_->from_item_files; }

std::string FeatureCache::item_file(int item) const {
  return ItemFilePath(impl_->item_dir, impl_->items.at(static_cast<size_t>(item)).path);
}
int64_t FeatureCache::first_segment(int item) const { return impl_->items.at(static_cast<size_t>(item)).offset; }
int64_t FeatureCache::item_segments(int item) const { return impl_->items.at(static_cast<size_t>(item)).segments; }
double FeatureCache::segment_start(int64_t s) const { return impl_->segment_starts.at(static_cast<size_t>(s)); }
int FeatureCache::item_of_segment(int64_t s) const { return impl_->segment_item.at(static_cast<size_t>(s)); }
const float* FeatureCache::segment(int64_t s) const {
  if (s < 0 || s >= impl_->num_segments) {
    throw ConfigError("FeatureCache::segment: index " + std::to_string(s) + " out of range 0.." +
                      std::to_string(impl_->num_segments - 1));
  }
  return impl_->mapping.data + s * impl_->seg_floats;
}

}  // namespace ascnet
