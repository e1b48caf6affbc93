// Typed exceptions thrown by every ascnet library stage.
//
// The library never exits or aborts: it throws one of these, with a message that
// names the file, the field and the expected value where they are known.
#pragma once

#include <stdexcept>
#include <string>

namespace ascnet {

/// Base of every ascnet exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file could not be opened, read, written or renamed.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A file was read but its content is not what it must be (bad header, truncated,
/// corrupted, wrong shape...).
class FormatError : public Error {
 public:
  using Error::Error;
};

/// A configuration value is out of range or inconsistent.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Audio could not be decoded or is unusable (empty, non-finite samples...).
class AudioError : public Error {
 public:
  using Error::Error;
};

/// Builds "path: message" (or just message when path is empty).
std::string WithPath(const std::string& path, const std::string& message);

}  // namespace ascnet
