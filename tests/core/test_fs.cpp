#include <gtest/gtest.h>

#include <filesystem>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "common/temp_dir.h"

using namespace ascnet;
namespace fs = std::filesystem;

TEST(Fs, AtomicWriteReplacesOnlyOnSuccess) {
  const ascnet::testing::TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string path = tmp.File("out.txt");
  WriteFileAtomically(path, [](std::ostream& os) { os << "first"; });
  EXPECT_EQ(ReadFile(path), "first");
  EXPECT_THROW(WriteFileAtomically(path,
                                   [](std::ostream& os) {
                                     os << "partial";
                                     throw IoError("simulated failure");
                                   }),
               IoError);
  EXPECT_EQ(ReadFile(path), "first");  // untouched
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().find(".tmp.") != std::string::npos;
  EXPECT_EQ(n, 0u) << "temporary file left behind";
}

TEST(Fs, UnwritableDirectoryGivesIoErrorNamingPath) {
  try {
    WriteFileAtomically("/nonexistent-dir/out.bin", [](std::ostream& os) { os << "x"; });
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/out.bin"), std::string::npos);
  }
}

TEST(Fs, WriteBytesAtomicallyWritesExactlyTheBytesAndAFailingWriteLeavesNoFile) {
  const ascnet::testing::TempDir tmp;
  const std::string path = tmp.File("r.bin");
  const std::string bytes("TESTREC1\0\x01payload", 17);
  WriteBytesAtomically(path, bytes);
  EXPECT_EQ(ReadFile(path), bytes);
  const std::string missing = (tmp.path() / "missing" / "r.bin").string();
  EXPECT_THROW(WriteBytesAtomically(missing, bytes), IoError);
  EXPECT_FALSE(PathExists(missing));
}
