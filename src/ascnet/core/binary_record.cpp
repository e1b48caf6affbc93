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

std::string QuotedBytes(std::string_view s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c >= 32 && c < 127 && c != '"' && c != '\\') {
      r.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      r += buf;
    }
  }
  return r + "\"";
}

void ByteReader::Raise(const std::string& part, const std::string& problem) const {
  fail_(part, problem);
  throw std::logic_error("ByteReader: the fail callback returned");  // it must throw
}

void ByteReader::Need(std::size_t n, const std::string& part, const std::string& what) const {
  if (remaining() < n) {
    Raise(part, "truncated: file ends at byte " + std::to_string(bytes_.size()) + ", " + std::to_string(n) +
                   " bytes needed at byte " + std::to_string(pos_) + " for " + what);
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

void RecordWriter::Section(std::string_view tag, std::string_view payload) {
  if (tag.size() != 4) throw std::logic_error("RecordWriter::Section: tags are 4 bytes");
  out_.append(tag);
  PutU64(out_, payload.size());
  PutU32(out_, Crc32(payload));
  out_.append(payload);
}

void RecordWriter::Sized(std::string_view payload) {
  PutU64(out_, payload.size());
  out_.append(payload);
}

void RecordReader::Magic(std::string_view magic, const std::string& what) {
  const std::string quoted_magic = "\"" + std::string(magic) + "\"";
  const std::string_view head = bytes_.substr(pos(), std::min(magic.size(), remaining()));
  if (head != magic.substr(0, head.size())) {
    Raise("magic", "found " + QuotedBytes(head) + ", expected " + quoted_magic + " (not " + what + ")");
  }
  Bytes(magic.size(), "magic", "the " + std::to_string(magic.size()) + "-byte magic " + quoted_magic);
}

uint32_t RecordReader::Version(uint32_t expected) {
  const auto v = static_cast<uint32_t>(Uint(4, "version", "the format version"));
  if (v != expected) {
    Raise("version", "unsupported format version " + std::to_string(v) + " (this build reads version " +
                        std::to_string(expected) + ")");
  }
  return v;
}

std::string RecordReader::Payload(uint64_t len, const std::string& part, const std::string& what) {
  if (len > remaining()) {
    Raise(part, "truncated: the " + what + " length says " + std::to_string(len) + " bytes but only " +
                   std::to_string(remaining()) + " remain");
  }
  return Bytes(static_cast<std::size_t>(len), part, "the " + what + " payload");
}

void RecordReader::CheckCrc(const std::string& part, uint32_t stored, uint32_t computed) const {
  if (computed != stored) {
    Raise(part, "CRC-32 mismatch (stored " + HexU32(stored) + ", computed " + HexU32(computed) +
                   "): the file is corrupted");
  }
}

std::string RecordReader::Section(std::string_view tag, int index) {
  const std::string tag_s(tag);
  const std::string part = "section " + std::to_string(index) + " (" + tag_s + ")";
  const std::string got = Bytes(4, part, "the section tag");
  if (got != tag) Raise(part, "tag is " + QuotedBytes(got) + ", expected \"" + tag_s + "\"");
  const uint64_t len = Uint(8, part, "the section length");
  const auto stored = static_cast<uint32_t>(Uint(4, part, "the section CRC-32"));
  std::string payload = Payload(len, part, "section");
  CheckCrc(part, stored, Crc32(payload));
  return payload;
}

std::string RecordReader::Sized(const std::string& part) {
  const uint64_t len = Uint(8, part, "the " + part + " length");
  return Payload(len, part, part);
}

void RecordReader::Crc32OfAll(const std::string& part) {
  const uint32_t computed = Crc32(bytes_.substr(0, pos()));
  CheckCrc(part, static_cast<uint32_t>(Uint(4, part, "the CRC-32")), computed);
}

void RecordReader::End(const std::string& part, const std::string& what) {
  if (remaining() != 0) Raise(part, std::to_string(remaining()) + " unexpected bytes after " + what);
}

}  // namespace ascnet
