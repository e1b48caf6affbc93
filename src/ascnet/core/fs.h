// Small file-system helpers: atomic writes, whole-file reads.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace ascnet {

/// Writes a file atomically: `write` fills a temporary file next to `path`, which is
/// flushed, synced and renamed over `path` only if everything succeeded. On any error
/// the temporary file is removed, `path` is left as it was, and IoError is thrown.
void WriteFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write);
/// WriteFileAtomically with `bytes` as the whole content.
void WriteBytesAtomically(const std::string& path, std::string_view bytes);

/// Reads a whole file into a string; IoError if it cannot be opened or read.
std::string ReadFile(const std::string& path);

/// True if `path` exists (any kind of file).
bool PathExists(const std::string& path);

}  // namespace ascnet
