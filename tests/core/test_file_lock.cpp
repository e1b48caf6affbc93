#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "ascnet/core/error.h"
#include "ascnet/core/file_lock.h"
#include "ascnet/core/fs.h"
#include "common/temp_dir.h"

using namespace ascnet;
namespace fs = std::filesystem;

using ascnet::testing::TempDir;  // tests/common/temp_dir.h

TEST(FileLock, HeldLockIsRefusedAndNamesItsOwner) {
  const TempDir dir;
  const std::string path = dir.File("held.lock");
  std::optional<FileLock> a = FileLock::TryAcquire(path);
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->taken_over().has_value());
  std::optional<LockOwner> holder;
  EXPECT_FALSE(FileLock::TryAcquire(path, &holder).has_value());  // a second open file description
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->pid, ::getpid());
  EXPECT_EQ(holder->host, LockOwner::Self().host);
  ASSERT_TRUE(FileLock::Holder(path).has_value());
  a->Release();
  EXPECT_FALSE(FileLock::Holder(path).has_value());
  EXPECT_EQ(ReadFile(path), "");  // a clean release leaves no record
  std::optional<FileLock> b = FileLock::TryAcquire(path);
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(b->taken_over().has_value());
}

TEST(FileLock, LockOfADeadOwnerIsTakenOver) {
  const TempDir dir;
  const std::string path = dir.File("dead.lock");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::optional<FileLock> l = FileLock::TryAcquire(path);
    ::_exit(l.has_value() ? 0 : 1);  // dies holding it: no destructor runs
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(FileLock::Holder(path).has_value()) << "the kernel drops the lock of a dead process";
  std::optional<FileLock> l = FileLock::TryAcquire(path);
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(l->taken_over().has_value());
  EXPECT_EQ(l->taken_over()->pid, child);
}

TEST(FileLock, WaiterGetsTheLockWhenTheOwnerReleases) {
  const TempDir dir;
  const std::string path = dir.File("wait.lock");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::optional<FileLock> l = FileLock::TryAcquire(path);
    char c = l ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::usleep(300 * 1000);
    l.reset();  // clean release
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  int waits = 0;
  std::optional<LockOwner> seen;
  FileLock l = FileLock::Acquire(path, [&](const std::optional<LockOwner>& o) {
    ++waits;
    seen = o;
  });
  EXPECT_EQ(waits, 1);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->pid, child);
  EXPECT_FALSE(l.taken_over().has_value()) << "the owner released cleanly";
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(FileLock, UncreatableFileIsAnIoErrorNamingIt) {
  try {
    FileLock::TryAcquire("/proc/ascnet-no/such.lock");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/ascnet-no/such.lock"), std::string::npos);
  }
}
