// Fault injection on the plain-C++ stages: damaged feature-cache packs, a full disk and
// unwritable output folders. Nothing damaged may be read as data; nothing already written
// may be lost; no half-written file may be left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ascnet/core/binary_record.h"
#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/npy.h"
#include "ascnet/data/feature_cache.h"
#include "../../fuzz/feature_cache_check.h"
#include "reliability_util.h"

namespace ascnet {
namespace {

namespace fs = std::filesystem;
using reliability::DamageOffsets;
using reliability::TempLeftovers;
using reliability::WriteBytes;

// A one-item dataset with a small feature config (fast to re-extract).
struct TinyCache {
  fs::path dir;
  Dataset ds;
  FeatureConfig config;
  CacheOptions options;

  explicit TinyCache(const std::string& name) : dir(reliability::TempDir(name)) {
    const std::string wav = (dir / "a.wav").string();
    reliability::WriteWav(wav, 440.0, 1.0, 8000);
    ds.kind = "csv";
    ds.classes = {"a"};
    ds.items = {DatasetItem{wav, "a.wav", 0, ""}};
    config = ascnet_fuzz::TinyCacheConfig();
    options.root = (dir / "cache").string();
    options.threads = 1;
    options.progress = false;
  }
  ~TinyCache() {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }
  FeatureCache Build() const { return FeatureCache::Build(ds, config, options); }
  static std::vector<float> Data(const FeatureCache& c) {
    std::vector<float> v;
    for (int64_t s = 0; s < c.num_segments(); ++s) v.insert(v.end(), c.segment(s), c.segment(s) + c.segment_floats());
    return v;
  }
};

// Sets a file-size limit (like a full disk: writes past it fail with EFBIG) for the scope.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit l = old_;
    l.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  sighandler_t old_handler_;
};

TEST(FaultCache, FlippedBytesInThePackAreDetectedAndRebuilt) {
  TinyCache t("cache_flip");
  const FeatureCache ref = t.Build();
  const std::vector<float> want = TinyCache::Data(ref);
  ASSERT_GT(ref.num_segments(), 2);
  const std::string pack = ReadFile(ref.pack_path());
  int cases = 0;
  for (size_t off : DamageOffsets(pack.size(), 64, 80)) {
    std::string bad = pack;
    bad[off] = static_cast<char>(bad[off] ^ (off % 7 == 0 ? 0x01 : 0xff));
    WriteBytes(ref.pack_path(), bad);
    const FeatureCache c = t.Build();
    // Bytes 52..63 of the header are reserved (not data, not checked); any other flip is detected.
    if (off < 52 || off >= 64) {
      ASSERT_EQ(c.extracted(), 1) << "byte " << off << " flipped: damage not detected";
    }
    ASSERT_EQ(TinyCache::Data(c), want) << "byte " << off;
    WriteBytes(ref.pack_path(), pack);
    ++cases;
  }
  EXPECT_GT(cases, 100);
  EXPECT_EQ(ReadFile(ref.pack_path()), pack);  // the rebuilt pack is the original
}

TEST(FaultCache, TruncatedOrExtendedPackIsDetectedAndRebuilt) {
  TinyCache t("cache_trunc");
  const FeatureCache ref = t.Build();
  const std::vector<float> want = TinyCache::Data(ref);
  const std::string pack = ReadFile(ref.pack_path());
  std::vector<size_t> lengths = DamageOffsets(pack.size(), 70, 60);
  for (size_t len : lengths) {
    WriteBytes(ref.pack_path(), pack.substr(0, len));
    const FeatureCache c = t.Build();
    ASSERT_EQ(c.extracted(), 1) << "truncated to " << len << " bytes: not detected";
    ASSERT_EQ(TinyCache::Data(c), want);
  }
  WriteBytes(ref.pack_path(), pack + std::string(17, '\0'));
  EXPECT_EQ(t.Build().extracted(), 1);
}

// A pack whose checksums are all valid but whose index is inconsistent (a bug, an old
// version, or a crafted file): the index is replaced and the CRCs fixed up around it.
std::string WithIndex(const std::string& pack, const std::string& index) {
  uint64_t index_offset;
  std::memcpy(&index_offset, &pack[32], 8);
  std::string out = pack.substr(0, index_offset) + index;
  const uint64_t n = index.size();
  std::memcpy(&out[40], &n, 8);
  const uint32_t icrc = Crc32(index);
  std::memcpy(&out[12], &icrc, 4);
  const uint32_t hcrc = Crc32(out.data(), 48);
  std::memcpy(&out[48], &hcrc, 4);  // header_crc covers the 48 bytes before it
  return out;
}

TEST(FaultCache, InconsistentIndexWithValidChecksumsIsRebuilt) {
  TinyCache t("cache_index");
  const FeatureCache ref = t.Build();
  const std::vector<float> want = TinyCache::Data(ref);
  const std::string pack = ReadFile(ref.pack_path());
  uint64_t index_offset;
  std::memcpy(&index_offset, &pack[32], 8);
  const nlohmann::json index = nlohmann::json::parse(pack.substr(index_offset));
  std::vector<std::function<void(nlohmann::json&)>> edits = {
      [](nlohmann::json& j) { j["items"][0]["first"] = INT64_MAX; },  // offset + segments overflowed
      [](nlohmann::json& j) { j["items"][0]["first"] = INT64_MAX - 3; },
      [](nlohmann::json& j) { j["items"][0]["first"] = 1; },
      [](nlohmann::json& j) { j["items"][0]["first"] = -1; },
      [](nlohmann::json& j) { j["items"][0]["first"] = 1e300; },
      [](nlohmann::json& j) { j["items"][0]["segments"] = 4294967303LL; },
      [](nlohmann::json& j) { j["items"][0]["crc"] = 4294967296LL + j["items"][0]["crc"].get<int64_t>(); },
      [](nlohmann::json& j) { j["segment_floats"] = 256 + 4294967296LL; },
      [](nlohmann::json& j) { j["items"] = nlohmann::json::array(); },
      [](nlohmann::json& j) { j["items"][0]["starts"] = "x"; },
  };
  for (size_t e = 0; e < edits.size(); ++e) {
    nlohmann::json j = index;
    edits[e](j);
    WriteBytes(ref.pack_path(), WithIndex(pack, j.dump()));
    const FeatureCache c = t.Build();
    EXPECT_EQ(c.extracted(), 1) << "edit " << e;
    ASSERT_EQ(TinyCache::Data(c), want) << "edit " << e;
  }
}

TEST(FaultCache, AFullDiskLeavesThePreviousPackIntact) {
  TinyCache t("cache_full");
  const FeatureCache ref = t.Build();
  const std::string pack = ReadFile(ref.pack_path());
  // The audio changes, so the pack must be rewritten; the disk is "full" meanwhile.
  reliability::WriteWav(t.ds.items[0].path, 660.0, 1.0, 8000);
  ::utimensat(AT_FDCWD, t.ds.items[0].path.c_str(), nullptr, 0);
  {
    FileSizeLimit full(512);
    EXPECT_THROW(t.Build(), IoError);
  }
  EXPECT_EQ(ReadFile(ref.pack_path()), pack);
  EXPECT_TRUE(TempLeftovers(t.dir).empty()) << TempLeftovers(t.dir)[0];
  const FeatureCache again = t.Build();  // the disk has room again
  EXPECT_EQ(again.extracted(), 1);
  EXPECT_NE(ReadFile(ref.pack_path()), pack);
}

TEST(FaultCache, UnwritableCacheRootIsAClearError) {
  TinyCache t("cache_ro");
  WriteBytes(t.dir / "file", "x");
  t.options.root = (t.dir / "file" / "cache").string();  // a path under a regular file
  try {
    t.Build();
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(t.options.root), std::string::npos) << e.what();
  }
}

TEST(FaultCache, ReadOnlyCacheRootIsAClearError) {
  TinyCache t("cache_ro2");
  fs::create_directories(t.dir / "ro");
  fs::permissions(t.dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  if (reliability::CanWriteInto(t.dir / "ro")) GTEST_SKIP() << "permissions are not enforced (running as root)";
  t.options.root = (t.dir / "ro" / "cache").string();
  EXPECT_THROW(t.Build(), IoError);
  EXPECT_TRUE(fs::is_empty(t.dir / "ro"));
}

TEST(FaultFiles, AtomicWriteOnAFullDiskKeepsTheOldFile) {
  const fs::path dir = reliability::TempDir("atomic_full");
  const std::string path = (dir / "results.json").string();
  WriteFileAtomically(path, [](std::ostream& os) { os << "{\"old\": true}\n"; });
  const std::string big(1 << 20, 'x');
  {
    FileSizeLimit full(4096);
    EXPECT_THROW(WriteFileAtomically(path, [&](std::ostream& os) { os << big; }), IoError);
    std::vector<float> x(100000, 1.0f);
    EXPECT_THROW(WriteNpy((dir / "x.npy").string(), x.data(), {100000}), IoError);
  }
  EXPECT_EQ(ReadFile(path), "{\"old\": true}\n");
  EXPECT_FALSE(PathExists((dir / "x.npy").string()));
  EXPECT_TRUE(TempLeftovers(dir).empty());
  fs::remove_all(dir);
}

TEST(FaultFiles, AtomicWriteIntoAMissingOrUnwritableFolderNamesTheFile) {
  const fs::path dir = reliability::TempDir("atomic_ro");
  const std::string path = (dir / "no" / "such" / "out.npy").string();
  try {
    WriteNpy(path, nullptr, {0});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(FaultFiles, EveryTruncationOfAnNpyFileIsAFormatError) {
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f;
  const std::string bytes = EncodeNpy(x.data(), {2, 3, 4});
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_THROW(DecodeNpy(bytes.substr(0, len), "x.npy"), FormatError) << len;
  }
  EXPECT_THROW(DecodeNpy(bytes + "z", "x.npy"), FormatError);
  EXPECT_EQ(DecodeNpy(bytes, "x.npy").data, x);
}

}  // namespace
}  // namespace ascnet
