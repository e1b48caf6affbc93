// The pieces every binary file format of ascnet is made of, in one place: CRC-32 checks,
// little-endian fixed-width fields, a bounds-checked reader whose failures name the part of
// the file and what was being read, and a record writer/reader pair on top of them (magic,
// version, CRC-checked sections, length-prefixed blobs, a CRC-32 of everything before it).
// Used by the model bundle (model/bundle.cpp), the training checkpoint
// (train/checkpoint.cpp) and the feature cache (data/feature_cache.cpp); a record's bytes
// are written with WriteBytesAtomically / WriteFileAtomically (core/fs.h: temporary name,
// then rename). Each format's code says only what its fields and sections contain.
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

/// `s` in double quotes, bytes outside printable ASCII (and `"`, `\`) as \xNN.
std::string QuotedBytes(std::string_view s);

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

 protected:
  /// Calls fail(part, problem); a logic_error if it returns.
  [[noreturn]] void Raise(const std::string& part, const std::string& problem) const;
  std::string_view bytes_;

 private:
  Fail fail_;
  std::size_t pos_ = 0;
};

/// Builds a record in memory, in order. The layout pieces (RecordReader reads the same):
///   Magic         the format's magic bytes (the constructor writes them)
///   U32/U64/Raw   plain fields
///   Section       tag (4 bytes) | u64 length | u32 CRC-32 of the payload | payload
///   Sized         u64 length | payload (covered by a later Crc32OfAll, not on its own)
///   Crc32OfAll    u32 CRC-32 of every byte written before it
class RecordWriter {
 public:
  explicit RecordWriter(std::string_view magic) : out_(magic) {}

  void U32(uint32_t v) { PutU32(out_, v); }
  void U64(uint64_t v) { PutU64(out_, v); }
  void Raw(std::string_view bytes) { out_.append(bytes); }
  void Section(std::string_view tag, std::string_view payload);
  void Sized(std::string_view payload);
  void Crc32OfAll() { PutU32(out_, Crc32(out_)); }

  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what RecordWriter writes, checking as it goes. Every failure calls fail(part,
/// problem) (which must throw the format's error naming the file); problems name what was
/// expected.
class RecordReader : public ByteReader {
 public:
  RecordReader(std::string_view bytes, Fail fail) : ByteReader(bytes, std::move(fail)) {}

  /// The magic, part "magic": 'found "...", expected "MAGIC" (not WHAT)' when the file does
  /// not start with it (also when it is shorter and differs); truncated when it is a prefix.
  void Magic(std::string_view magic, const std::string& what);
  /// A u32 version, part "version": 'unsupported format version N (this build reads version M)'.
  uint32_t Version(uint32_t expected);
  /// A Section with `tag`; part "section INDEX (TAG)": wrong tag, truncated, CRC-32 mismatch.
  std::string Section(std::string_view tag, int index);
  /// A Sized blob, part `part`: truncated when its length runs past the end.
  std::string Sized(const std::string& part);
  /// A Crc32OfAll, part `part`: 'CRC-32 mismatch (stored X, computed Y): the file is corrupted'.
  void Crc32OfAll(const std::string& part);
  /// Nothing may follow, part `part`: 'N unexpected bytes after WHAT'.
  void End(const std::string& part, const std::string& what);

 private:
  std::string Payload(uint64_t len, const std::string& part, const std::string& what);
  /// part: 'CRC-32 mismatch (stored X, computed Y): the file is corrupted' when they differ.
  void CheckCrc(const std::string& part, uint32_t stored, uint32_t computed) const;
};

}  // namespace ascnet
