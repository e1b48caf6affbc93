#include "ascnet/train/run_files.h"

#include <filesystem>

namespace ascnet {
namespace {
std::string Join(const std::string& dir, const std::string& file) {
  return (std::filesystem::path(dir) / file).string();
}
}  // namespace

std::string CheckpointPath(const std::string& d) { return Join(d, "checkpoint.bin"); }
std::string BundlePath(const std::string& d) { return Join(d, "model.ascnet"); }
std::string LogCsvPath(const std::string& d) { return Join(d, "log.csv"); }
std::string LogJsonPath(const std::string& d) { return Join(d, "log.json"); }

}  // namespace ascnet
