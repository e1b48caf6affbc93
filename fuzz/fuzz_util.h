// Helpers shared by the libFuzzer targets: a per-process scratch folder and file writes.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ascnet_fuzz {

/// A scratch folder for this fuzzing process (under $TMPDIR, removed at exit).
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::filesystem::path p = std::filesystem::path(base ? base : "/tmp") /
                              ("ascnet-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(ScratchDir(), ec);
    });
    return p;
  }();
  return dir;
}

inline void WriteBytes(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Splits a fuzz input into parts at each "\n--8<--\n" line (multi-file layouts).
inline std::vector<std::string> SplitParts(const std::string& s) {
  static const std::string sep = "\n--8<--\n";
  std::vector<std::string> parts;
  size_t b = 0;
  for (size_t p; (p = s.find(sep, b)) != std::string::npos; b = p + sep.size()) parts.push_back(s.substr(b, p - b));
  parts.push_back(s.substr(b));
  return parts;
}

}  // namespace ascnet_fuzz
