// Helpers for the fault-injection tests: temporary folders, WAV files, byte damage.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/pcm_wav.h"
#include "common/temp_dir.h"

namespace ascnet::reliability {

using test::TempDir;  // tests/common/temp_dir.h

inline void WriteBytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

using testing::WriteWav;  // tests/common/pcm_wav.h

/// Offsets to damage in a file of `size` bytes: every one of the first `head` bytes, then
/// about `spread` more spread evenly, and the last 8.
inline std::vector<size_t> DamageOffsets(size_t size, size_t head, size_t spread) {
  std::vector<size_t> v;
  for (size_t i = 0; i < std::min(head, size); ++i) v.push_back(i);
  if (size > head) {
    const size_t step = std::max<size_t>(1, (size - head) / std::max<size_t>(spread, 1));
    for (size_t i = head; i < size; i += step) v.push_back(i);
  }
  for (size_t i = size > 8 ? size - 8 : 0; i < size; ++i) v.push_back(i);
  return v;
}

/// Files whose name contains ".tmp." under `dir` (left-overs of an interrupted atomic write).
inline std::vector<std::string> TempLeftovers(const std::filesystem::path& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); it != std::filesystem::recursive_directory_iterator(); ++it)
    if (it->path().filename().string().find(".tmp.") != std::string::npos) v.push_back(it->path().string());
  return v;
}

/// True if the process can write into `dir` despite its mode (root ignores permissions).
inline bool CanWriteInto(const std::filesystem::path& dir) {
  const auto probe = dir / ".probe";
  { std::ofstream f(probe); if (!f) return false; }
  std::error_code ec;
  std::filesystem::remove(probe, ec);
  return true;
}

}  // namespace ascnet::reliability
