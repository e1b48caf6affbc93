#include "ascnet/core/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ascnet/core/error.h"

namespace ascnet {
namespace {

std::string TempNameFor(const std::string& path) {
  std::random_device rd;
  std::ostringstream os;
  os << path << ".tmp." << ::getpid() << "." << std::hex << rd();
  return os.str();
}

void SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void WriteFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = TempNameFor(path);
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) {
        throw IoError(WithPath(path, std::string("cannot open for writing (") + std::strerror(errno) + ")"));
      }
      write(out);
      out.flush();
      if (!out) throw IoError(WithPath(path, "write failed (disk full or I/O error)"));
      out.close();
      if (out.fail()) throw IoError(WithPath(path, "write failed while closing (disk full or I/O error)"));
    }
    SyncFile(tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw IoError(WithPath(path, std::string("cannot rename temporary file into place (") +
                                       std::strerror(errno) + ")"));
    }
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

void WriteBytesAtomically(const std::string& path, std::string_view bytes) {
  WriteFileAtomically(path, [&](std::ostream& os) { os.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(WithPath(path, std::string("cannot open for reading (") + std::strerror(errno) + ")"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(WithPath(path, "read failed"));
  return ss.str();
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace ascnet
