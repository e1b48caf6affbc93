// The checks of fuzz_feature_cache, shared with its regression replay in tests/reliability/:
// feature cache files on arbitrary bytes. A one-item dataset (a valid 1 s WAV) is cached once
// at start-up; each input then replaces the pack or the item file and FeatureCache::Build
// must detect any damage and rebuild: the segments it serves are the reference ones.
// The first byte picks the mode:
//   0  the input is the whole pack file
//   1  the input is the pack's JSON index; header and CRCs are made consistent around it,
//      so that the index parser and its bounds checks are reached
//   2  as 1, and the first 32 bytes after the mode byte override the header's offsets/sizes
//   3  the input is the item file of an unfinished build (the pack is removed)
// In the index/item text, "@P", "@S" and "@M" stand for the audio file's path, size and
// mtime_ns, so that records can match the real file.
#pragma once

#include <sndfile.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ascnet/core/binary_record.h"
#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/data/feature_cache.h"
#include "fuzz_util.h"

namespace ascnet_fuzz {

/// A feature config for 8 kHz audio that is fast to extract (16 bands, 8-frame segments):
/// the fixture's, and the fault-injection tests' (tests/reliability/test_faults.cpp).
inline ascnet::FeatureConfig TinyCacheConfig() {
  ascnet::FeatureConfig c;
  c.frame.sample_rate = 8000;
  c.frame.frame_length = 256;
  c.frame.frame_shift = 128;
  c.frame.fft_size = 256;
  c.filterbank.num_bands = 16;
  c.filterbank.high_freq = 4000;
  c.segment.frames = 8;
  c.segment.hop = 8;
  return c;
}

namespace feature_cache_detail {

namespace fs = std::filesystem;

struct Fixture {
  ascnet::Dataset ds;
  ascnet::FeatureConfig config;
  ascnet::CacheOptions options;
  std::string pack_path, item_path, ref_pack;
  std::vector<float> ref_data;
  int64_t ref_segments = 0;
  std::string size_text, mtime_text;
};

inline std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

inline Fixture& Get() {
  static Fixture* f = [] {
    auto* f = new Fixture;
    const fs::path dir = ascnet_fuzz::ScratchDir();
    const std::string wav = (dir / "a.wav").string();
    SF_INFO info{};
    info.samplerate = 8000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* sf = sf_open(wav.c_str(), SFM_WRITE, &info);
    std::vector<float> x(8000);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(0.05f * i) + 0.01f * std::sin(1.3f * i * i);
    sf_writef_float(sf, x.data(), static_cast<sf_count_t>(x.size()));
    sf_close(sf);
    f->ds.kind = "csv";
    f->ds.classes = {"a"};
    f->ds.items = {ascnet::DatasetItem{wav, "a.wav", 0, ""}};
    f->config = TinyCacheConfig();
    const ascnet::FeatureConfig& c = f->config;
    f->options.root = (dir / "cache").string();
    f->options.threads = 1;
    f->options.progress = false;
    ascnet::FeatureCache cache = ascnet::FeatureCache::Build(f->ds, c, f->options);
    f->pack_path = cache.pack_path();
    f->item_path = cache.item_file(0);
    f->ref_pack = ascnet::ReadFile(cache.pack_path());
    f->ref_segments = cache.num_segments();
    for (int64_t s = 0; s < cache.num_segments(); ++s)
      f->ref_data.insert(f->ref_data.end(), cache.segment(s), cache.segment(s) + cache.segment_floats());
    struct stat st {};
    ::stat(wav.c_str(), &st);
    f->size_text = std::to_string(st.st_size);
    f->mtime_text = std::to_string(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
    if (const char* seed = std::getenv("ASCNET_FUZZ_DUMP_SEED")) {  // seeds: the pack, its index, an item file
      ascnet_fuzz::WriteBytes(std::string(seed) + "/pack", std::string(1, '\0') + f->ref_pack);
      uint64_t io;
      std::memcpy(&io, &f->ref_pack[32], 8);
      std::string index = Replace(f->ref_pack.substr(io), wav, "@P");
      index = Replace(Replace(index, f->mtime_text, "@M"), "\"size\":" + f->size_text, "\"size\":@S");
      ascnet_fuzz::WriteBytes(std::string(seed) + "/index", std::string(1, '\1') + index);
      ascnet_fuzz::WriteBytes(std::string(seed) + "/index_header", std::string(1, '\2') + f->ref_pack.substr(16, 32) + index);
    }
    return f;
  }();
  return *f;
}

inline void PutU64(std::string& s, size_t at, uint64_t v) { std::memcpy(&s[at], &v, 8); }
inline void PutU32(std::string& s, size_t at, uint32_t v) { std::memcpy(&s[at], &v, 4); }

}  // namespace feature_cache_detail

/// Runs one fuzz input (mode byte first) through the fixture's cache; traps on a wrong result.
inline void CheckFeatureCache(const std::string& input) {
  using namespace feature_cache_detail;
  if (input.empty()) return;
  Fixture& f = Get();
  const int mode = static_cast<unsigned char>(input[0]) % 4;
  std::string in = input.substr(1);
  auto subst = [&](std::string s) {
    s = Replace(std::move(s), "@P", f.ds.items[0].path);
    s = Replace(std::move(s), "@S", f.size_text);
    return Replace(std::move(s), "@M", f.mtime_text);
  };
  std::error_code ec;
  fs::remove(f.item_path, ec);
  if (mode == 0) {
    ascnet_fuzz::WriteBytes(f.pack_path, in);
  } else if (mode == 1 || mode == 2) {
    std::string hdr_override;
    if (mode == 2) {
      if (in.size() < 32) return;
      hdr_override = in.substr(0, 32);
      in = in.substr(32);
    }
    const std::string index = subst(in);
    uint64_t data_bytes;
    std::memcpy(&data_bytes, &f.ref_pack[24], 8);
    std::string pack = f.ref_pack.substr(0, 64 + data_bytes) + index;
    PutU64(pack, 32, 64 + data_bytes);  // index_offset
    PutU64(pack, 40, index.size());     // index_bytes
    if (mode == 2) std::memcpy(&pack[16], hdr_override.data(), 32);
    uint64_t io, ib;
    std::memcpy(&io, &pack[32], 8);
    std::memcpy(&ib, &pack[40], 8);
    PutU32(pack, 12, io <= pack.size() && ib <= pack.size() - io ? ascnet::Crc32(pack.substr(io, ib)) : ascnet::Crc32(index));
    PutU32(pack, 48, ascnet::Crc32(pack.substr(0, 48)));  // header_crc: of the 48 bytes before it
    ascnet_fuzz::WriteBytes(f.pack_path, pack);
  } else {
    fs::remove(f.pack_path, ec);
    ascnet_fuzz::WriteBytes(f.item_path, subst(in));
  }
  try {
    ascnet::FeatureCache cache = ascnet::FeatureCache::Build(f.ds, f.config, f.options);
    if (cache.num_items() != 1 || !cache.failures().empty()) __builtin_trap();
    const int64_t sf = cache.segment_floats();
    if (mode == 0 || mode == 3) {
      // Nothing in these inputs can carry a valid checksum for other data: the reference.
      if (cache.num_segments() != f.ref_segments) __builtin_trap();
      for (int64_t s = 0; s < cache.num_segments(); ++s)
        if (std::memcmp(cache.segment(s), f.ref_data.data() + s * sf, sf * sizeof(float)) != 0) __builtin_trap();
    } else {
      volatile float sum = 0;  // every served float must be readable
      for (int64_t s = 0; s < cache.num_segments(); ++s)
        for (int64_t k = 0; k < sf; ++k) sum = sum + cache.segment(s)[k];
    }
  } catch (const ascnet::FormatError&) {
    if (mode == 0 || mode == 3) __builtin_trap();  // damage must be rebuilt, not refused
    // A pack with valid checksums whose index is inconsistent may be refused; restore.
    ascnet_fuzz::WriteBytes(f.pack_path, f.ref_pack);
  }
}

}  // namespace ascnet_fuzz
