#include "ascnet/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"

namespace ascnet {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The record in an open lock file; nullopt when the file is empty or not a record.
std::optional<LockOwner> ReadRecord(int fd) {
  std::string text;
  char buf[512];
  off_t at = 0;
  while (text.size() < 4096) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  if (text.empty()) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    LockOwner o;
    o.host = j.at("host").get<std::string>();
    o.pid = j.at("pid").get<int64_t>();
    o.since = j.at("since").get<std::string>();
    return o;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void WriteRecord(int fd, const std::string& path, const LockOwner& o) {
  const std::string line = nlohmann::json{{"host", o.host}, {"pid", o.pid}, {"since", o.since}}.dump() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    throw IoError(WithPath(path, "cannot write the lock owner's record (" + Errno() + ")"));
  }
  ::fsync(fd);
}

int OpenLockFile(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(WithPath(path, "cannot open the lock file (" + Errno() + ")"));
  return fd;
}

}  // namespace

std::string LockOwner::ToString() const { return host + ":" + std::to_string(pid) + " (since " + since + ")"; }

LockOwner LockOwner::Self() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown-host");
  return {host, static_cast<int64_t>(::getpid()), UtcNow()};
}

std::optional<FileLock> FileLock::Take(const std::string& path, bool wait,
                                       const std::function<void(const std::optional<LockOwner>&)>& on_wait,
                                       std::optional<LockOwner>* holder) {
  const int fd = OpenLockFile(path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      const std::string why = Errno();
      ::close(fd);
      throw IoError(WithPath(path, "cannot lock (" + why + ")"));
    }
    const std::optional<LockOwner> owner = ReadRecord(fd);
    if (holder != nullptr) *holder = owner;
    if (!wait) {
      ::close(fd);
      return std::nullopt;
    }
    if (on_wait) on_wait(owner);
    int rc;
    while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      const std::string why = Errno();
      ::close(fd);
      throw IoError(WithPath(path, "cannot lock (" + why + ")"));
    }
  }
  FileLock lock(path, fd);
  lock.taken_over_ = ReadRecord(fd);  // a record under a free lock: its owner died holding it
  WriteRecord(fd, path, LockOwner::Self());
  return lock;
}

std::optional<FileLock> FileLock::TryAcquire(const std::string& path, std::optional<LockOwner>* holder) {
  return Take(path, false, nullptr, holder);
}

FileLock FileLock::Acquire(const std::string& path, const std::function<void(const std::optional<LockOwner>&)>& on_wait) {
  return std::move(*Take(path, true, on_wait, nullptr));
}

std::optional<LockOwner> FileLock::Holder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<LockOwner> owner;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) owner = ReadRecord(fd);
  ::close(fd);
  return owner;
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), taken_over_(std::move(other.taken_over_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    taken_over_ = std::move(other.taken_over_);
  }
  return *this;
}

FileLock::~FileLock() { Release(); }

void FileLock::Release() {
  if (fd_ < 0) return;
  if (::ftruncate(fd_, 0) == 0) ::fsync(fd_);  // a clean release leaves no record
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace ascnet
