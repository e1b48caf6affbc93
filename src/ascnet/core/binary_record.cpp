#include "ascnet/core/binary_record.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace ascnet {

uint32_t Crc32(const void* data, std::size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes uInt lengths
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(n, std::size_t{1} << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32(std::string_view bytes, std::size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return v;
}

uint64_t GetU64(std::string_view bytes, std::size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return v;
}

std::string HexU32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

void ByteReader::Need(std::size_t n, const std::string& part, const std::string& what) const {
  if (remaining() < n) {
    fail_(part, "truncated: file ends at byte " + std::to_string(bytes_.size()) + ", " + std::to_string(n) +
                    " bytes needed at byte " + std::to_string(pos_) + " for " + what);
    throw std::logic_error("ByteReader: the fail callback returned");  // it must throw
  }
}

std::string ByteReader::Bytes(std::size_t n, const std::string& part, const std::string& what) {
  Need(n, part, what);
  std::string r(bytes_.substr(pos_, n));
  pos_ += n;
  return r;
}

uint64_t ByteReader::Uint(int nbytes, const std::string& part, const std::string& what) {
  const auto n = static_cast<std::size_t>(nbytes);
  Need(n, part, what);
  uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
  pos_ += n;
  return v;
}

}  // namespace ascnet
