// NumPy .npy (format 1.0/2.0/3.0) reading and writing for float32 arrays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ascnet {

/// "[15, 2, 64, 80]": how shapes are written in every message.
std::string ShapeString(const std::vector<int64_t>& shape);

/// A dense C-order float32 array.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t NumElements() const;
  std::string ShapeString() const;  ///< e.g. "[15, 2, 64, 80]"
};

/// Serialises `data` (C order, product(shape) elements) as a float32 .npy image.
std::string EncodeNpy(const float* data, const std::vector<int64_t>& shape);

/// Parses a .npy image. Accepts little-endian float32 ('<f4') and float64 ('<f8',
/// converted), C order. Throws FormatError naming `name` and the problem.
NpyArray DecodeNpy(const std::string& bytes, const std::string& name = "");

/// Writes a float32 .npy file atomically (IoError on failure).
void WriteNpy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
inline void WriteNpy(const std::string& path, const NpyArray& a) { WriteNpy(path, a.data.data(), a.shape); }

/// Reads a .npy file (IoError if unreadable, FormatError if malformed).
NpyArray ReadNpy(const std::string& path);

}  // namespace ascnet
