// The pieces every binary file format of ascnet is made of, in one place: CRC-32 checks,
// little-endian fixed-width fields, and a bounds-checked reader whose failures name the part
// of the file and what was being read. Used by the model bundle (model/bundle.cpp), the
// training checkpoint (train/checkpoint.cpp) and the feature cache (data/feature_cache.cpp);
// writing goes through WriteFileAtomically (core/fs.h: temporary name, then rename).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ascnet {

/// CRC-32 (IEEE 802.3, zlib's crc32) of n bytes; any length.
uint32_t Crc32(const void* data, std::size_t n);
inline uint32_t Crc32(std::string_view bytes) { return Crc32(bytes.data(), bytes.size()); }

/// Appends v as 4 / 8 little-endian bytes.
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);

/// The 4 / 8 little-endian bytes at `at` (the caller has checked that they exist).
uint32_t GetU32(std::string_view bytes, std::size_t at);
uint64_t GetU64(std::string_view bytes, std::size_t at);

/// "0x%08x".
std::string HexU32(uint32_t v);

/// Reads fields in order from a byte image it does not own. Every read checks that the bytes
/// exist; if not, it calls fail(part, problem) with problem = "truncated: file ends at byte
/// N, K bytes needed at byte P for WHAT". `fail` must throw (the format's typed error, naming
/// its file).
class ByteReader {
 public:
  using Fail = std::function<void(const std::string& part, const std::string& problem)>;
  ByteReader(std::string_view bytes, Fail fail) : bytes_(bytes), fail_(std::move(fail)) {}

  std::size_t pos() const { return pos_; }
  std::size_t size() const { return bytes_.size(); }
  std::size_t remaining() const { return bytes_.size() - pos_; }

  void Need(std::size_t n, const std::string& part, const std::string& what) const;
  std::string Bytes(std::size_t n, const std::string& part, const std::string& what);
  /// An unsigned little-endian integer of nbytes (1..8).
  uint64_t Uint(int nbytes, const std::string& part, const std::string& what);

 private:
  std::string_view bytes_;
  Fail fail_;
  std::size_t pos_ = 0;
};

}  // namespace ascnet
