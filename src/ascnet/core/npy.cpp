#include "ascnet/core/npy.h"

#include <cstring>
#include <limits>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/core/text.h"
#include "ascnet/core/fs.h"

namespace ascnet {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

// Finds `'key':` in the header dict and returns the text after the colon.
std::string ValueAfterKey(const std::string& header, const std::string& key, const std::string& name) {
  const std::string k1 = "'" + key + "'";
  const std::string k2 = "\"" + key + "\"";
  size_t p = header.find(k1);
  size_t klen = k1.size();
  if (p == std::string::npos) {
    p = header.find(k2);
    klen = k2.size();
  }
  if (p == std::string::npos) throw FormatError(WithPath(name, "npy header has no '" + key + "' field"));
  p = header.find(':', p + klen);
  if (p == std::string::npos) throw FormatError(WithPath(name, "npy header field '" + key + "' has no value"));
  return header.substr(p + 1);
}


}  // namespace

int64_t NpyArray::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeString(const std::vector<int64_t>& shape) { return Str(shape); }

std::string NpyArray::ShapeString() const { return ascnet::ShapeString(shape); }

std::string EncodeNpy(const float* data, const std::vector<int64_t>& shape) {
  std::ostringstream dict;
  dict << "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) throw FormatError("npy: negative dimension in shape");
    dict << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
    if (i + 1 < shape.size()) dict << " ";
    n *= shape[i];
  }
  dict << "), }";
  std::string header = dict.str();
  // Pad with spaces so that magic + version + len + header + '\n' is a multiple of 64.
  const size_t prefix = kMagicLen + 2 + 2;
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, kMagicLen);
  out.push_back('\x01');
  out.push_back('\x00');
  const uint16_t hlen = static_cast<uint16_t>(header.size());
  out.push_back(static_cast<char>(hlen & 0xff));
  out.push_back(static_cast<char>(hlen >> 8));
  out += header;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  const size_t off = out.size();
  out.resize(off + bytes);
  if (bytes) std::memcpy(&out[off], data, bytes);  // little-endian host (x86-64, aarch64)
  return out;
}

NpyArray DecodeNpy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kMagicLen + 4 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0) {
    throw FormatError(WithPath(name, "not a .npy file (missing \\x93NUMPY magic)"));
  }
  const unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw FormatError(WithPath(name, "truncated .npy header"));
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw FormatError(WithPath(name, "unsupported .npy version " + std::to_string(major) + " (expected 1, 2 or 3)"));
  }
  if (header_len > bytes.size() - header_start) throw FormatError(WithPath(name, "truncated .npy header"));
  const std::string header = bytes.substr(header_start, header_len);

  std::string descr = Trim(ValueAfterKey(header, "descr", name));
  if (descr.size() < 5 || (descr[0] != '\'' && descr[0] != '"')) {
    throw FormatError(WithPath(name, "npy 'descr' is malformed"));
  }
  descr = descr.substr(1, descr.find(descr[0], 1) == std::string::npos ? 0 : descr.find(descr[0], 1) - 1);
  int elem = 0;
  if (descr == "<f4" || descr == "=f4" || descr == "f4") {
    elem = 4;
  } else if (descr == "<f8" || descr == "=f8" || descr == "f8") {
    elem = 8;
  } else {
    throw FormatError(WithPath(name, "npy dtype '" + descr + "' is not supported (expected '<f4' or '<f8')"));
  }
  const std::string fortran = Trim(ValueAfterKey(header, "fortran_order", name));
  if (fortran.rfind("False", 0) != 0) {
    throw FormatError(WithPath(name, "npy arrays in Fortran order are not supported (expected fortran_order False)"));
  }
  std::string shape_text = Trim(ValueAfterKey(header, "shape", name));
  if (shape_text.empty() || shape_text[0] != '(') throw FormatError(WithPath(name, "npy 'shape' is malformed"));
  const size_t close = shape_text.find(')');
  if (close == std::string::npos) throw FormatError(WithPath(name, "npy 'shape' is malformed"));
  shape_text = shape_text.substr(1, close - 1);

  NpyArray a;
  std::stringstream ss(shape_text);
  std::string tok;
  int64_t n = 1;
  while (std::getline(ss, tok, ',')) {
    tok = Trim(tok);
    if (tok.empty()) continue;
    if (tok.find_first_not_of("0123456789") != std::string::npos || tok.size() > 12) {
      throw FormatError(WithPath(name, "npy 'shape' has a bad dimension '" + tok + "'"));
    }
    const int64_t d = std::stoll(tok);
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 8 / d) {
      throw FormatError(WithPath(name, "npy 'shape' is too large"));
    }
    n *= d;
    a.shape.push_back(d);
  }
  const size_t data_start = header_start + header_len;
  const size_t need = static_cast<size_t>(n) * elem;
  if (bytes.size() - data_start != need) {
    throw FormatError(WithPath(name, "npy data size is " + std::to_string(bytes.size() - data_start) +
                                         " bytes, expected " + std::to_string(need) + " for shape " +
                                         a.ShapeString()));
  }
  a.data.resize(static_cast<size_t>(n));
  if (elem == 4) {
    if (n) std::memcpy(a.data.data(), bytes.data() + data_start, need);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, bytes.data() + data_start + 8 * i, 8);
      a.data[static_cast<size_t>(i)] = static_cast<float>(v);
    }
  }
  return a;
}

void WriteNpy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  const std::string bytes = EncodeNpy(data, shape);
  WriteBytesAtomically(path, bytes);
}

NpyArray ReadNpy(const std::string& path) { return DecodeNpy(ReadFile(path), path); }

}  // namespace ascnet
