// A lock file that says who holds it, for work shared between jobs (a feature cache that
// several array tasks of a cluster job want at once).
//
// While held, the file holds one JSON line {"host", "pid", "since"} naming the owner, and
// the owner holds an exclusive flock(2) on it. The kernel (on NFS: the lock manager)
// drops the flock when the owner's process dies, however it dies, so a waiter never waits
// for a dead job. A clean release empties the file; a record left in a file whose lock is
// free therefore belongs to a job that died while holding it, and the next owner reports
// it as taken over. The file itself is never deleted (deleting a lock file races with the
// next owner opening it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ascnet {

/// Who holds (or held) a lock.
struct LockOwner {
  std::string host;
  int64_t pid = 0;
  std::string since;  ///< UTC, ISO 8601
  std::string ToString() const;  ///< "host:pid (since ...)"
  static LockOwner Self();       ///< this process, now
};

class FileLock {
 public:
  /// Takes the lock at `path` (creating the file and its folder) if it is free; nullopt if
  /// another process holds it, with its record in *holder when readable. IoError if the
  /// file cannot be created or locked for any other reason.
  static std::optional<FileLock> TryAcquire(const std::string& path, std::optional<LockOwner>* holder = nullptr);
  /// Takes the lock, waiting as long as another process holds it; `on_wait` is called once,
  /// with the holder's record (empty when unreadable), before the wait starts.
  static FileLock Acquire(const std::string& path,
                          const std::function<void(const std::optional<LockOwner>&)>& on_wait = nullptr);
  /// The record of whoever holds `path` now (nullopt: free, missing, or unreadable).
  static std::optional<LockOwner> Holder(const std::string& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();  ///< Release()

  /// Empties the record and drops the lock (idempotent).
  void Release();
  const std::string& path() const { return path_; }
  /// The record a dead owner left behind, when this lock was taken over from it.
  const std::optional<LockOwner>& taken_over() const { return taken_over_; }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  static std::optional<FileLock> Take(const std::string& path, bool wait,
                                      const std::function<void(const std::optional<LockOwner>&)>& on_wait,
                                      std::optional<LockOwner>* holder);
  std::string path_;
  int fd_ = -1;
  std::optional<LockOwner> taken_over_;
};

}  // namespace ascnet
