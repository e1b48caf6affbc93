#include "ascnet/core/error.h"

namespace ascnet {

std::string WithPath(const std::string& path, const std::string& message) {
  return path.empty() ? message : path + ": " + message;
}

}  // namespace ascnet
