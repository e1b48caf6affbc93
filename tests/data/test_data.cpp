// Dataset loaders on tiny fake trees of every layout in docs/datasets.md, plus the
// real ambience corpus when it is present.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"

#include <zlib.h>

using namespace ascnet;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("ascnet_test_data_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}
void Touch(const fs::path& p) { Write(p, "RIFF"); }

/// what() of the DatasetError `f` throws ("" and a test failure if it does not).
std::string DatasetErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const DatasetError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected DatasetError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected DatasetError, nothing thrown";
  return "";
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "missing \"" << (needle) << "\" in:\n" << (haystack)

std::vector<std::string> Ids(const Dataset& ds, const std::vector<int>& idx) {
  std::vector<std::string> out;
  for (int i : idx) out.push_back(ds.items[i].id);
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------- spec
TEST(DataSpec, BadSpecsAndOptions) {
  EXPECT_THROW(LoadDataset("no-colon-here"), ConfigError);
  EXPECT_THROW(LoadDataset("nosuchkind:/tmp"), ConfigError);
  EXPECT_THROW(LoadDataset("csv:"), ConfigError);
  DatasetOptions o;
  o.extensions = " , ";
  EXPECT_THROW(o.Validate(), ConfigError);
  o.extensions = "wav,fl*c";
  EXPECT_THROW(o.Validate(), ConfigError);
  EXPECT_HAS(DatasetOptions().ToString(), "check_files=true");
  EXPECT_EQ(DatasetKinds().size(), 8u);
}

// -------------------------------------------------------------------------------- csv
TEST(DataCsv, FoldsQuotedFieldsExtraColumnsGroups) {
  TempDir t;
  Write(t / "meta.csv",
        "filename,label,fold,source,comment\n"
        "audio/a1.wav,rain,1,r1,\"plain, with comma\"\n"
        "\"audio/b,1.wav\",wind,1,w1,\"say \"\"hi\"\"\"\n"
        "audio/a2.wav,rain,2,r2,x\n"
        "audio/b2.wav,wind,2,w2,\"multi\nline\"\n"
        "\n"
        "audio/a3.wav,rain,3,r3,y\n"
        "audio/b3.wav,wind,3,w3,z\n");
  for (const char* f : {"audio/a1.wav", "audio/b,1.wav", "audio/a2.wav", "audio/b2.wav", "audio/a3.wav", "audio/b3.wav"})
    Touch(t / f);
  const Dataset ds = LoadDataset("csv:" + (t / "meta.csv").string());
  EXPECT_EQ(ds.kind, "csv");
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"rain", "wind"}));
  ASSERT_EQ(ds.items.size(), 6u);
  EXPECT_EQ(ds.items[1].id, "audio/b,1.wav");
  EXPECT_EQ(ds.items[1].path, (t / "audio/b,1.wav").string());
  EXPECT_EQ(ds.items[1].label, 1);
  EXPECT_EQ(ds.items[1].group, "w1");
  ASSERT_EQ(ds.splits.size(), 3u);
  EXPECT_EQ(ds.splits[0].name, "fold1");
  EXPECT_EQ(Ids(ds, ds.splits[0].test), (std::vector<std::string>{"audio/a1.wav", "audio/b,1.wav"}));
  EXPECT_EQ(ds.splits[0].train.size(), 4u);
  EXPECT_EQ(ds.splits[2].name, "fold3");
  const std::string s = ds.Summary();
  EXPECT_HAS(s, "6 items, 2 classes, 3 splits");
  EXPECT_HAS(s, "rain");
  EXPECT_HAS(s, "2/1");  // rain in fold1: 2 train / 1 test
}

TEST(DataCsv, SplitColumnAndNoSplitColumn) {
  TempDir t;
  Write(t / "m.csv", "label,filename,split\nx,a.wav,train\ny,b.wav,TRAIN\nx,c.wav,test\n");
  Write(t / "n.csv", "filename,label\na.wav,x\nb.wav,y\n");
  for (const char* f : {"a.wav", "b.wav", "c.wav"}) Touch(t / f);
  const Dataset a = LoadDataset("csv:" + (t / "m.csv").string());
  ASSERT_EQ(a.splits.size(), 1u);
  EXPECT_EQ(a.splits[0].train.size(), 2u);
  EXPECT_EQ(Ids(a, a.splits[0].test), (std::vector<std::string>{"c.wav"}));
  const Dataset b = LoadDataset("csv:" + (t / "n.csv").string());
  ASSERT_EQ(b.splits.size(), 1u);
  EXPECT_EQ(b.splits[0].name, "all");
  EXPECT_EQ(b.splits[0].train.size(), 2u);
  EXPECT_TRUE(b.splits[0].test.empty());
}

TEST(DataCsv, EveryProblemListedWithFileAndLine) {
  TempDir t;
  Write(t / "meta.csv",
        "filename,label,fold\n"
        "a.wav,x,1\n"          // 2 ok
        "missing.wav,x,2\n"    // 3 missing audio
        "a.wav,y,2\n"          // 4 duplicate of line 2
        "b.wav,y\n"            // 5 malformed: 2 fields
        "c.wav,y,one\n"        // 6 bad fold
        "d.wav,,1\n"           // 7 empty label
        "e.wav,y,1\n"          // 8 ok
        "f.wav,y,2\n");        // 9 ok
  for (const char* f : {"a.wav", "b.wav", "c.wav", "d.wav", "e.wav", "f.wav"}) Touch(t / f);
  const std::string file = (t / "meta.csv").string();
  const std::string msg = DatasetErrorOf([&] { LoadDataset("csv:" + file); });
  EXPECT_HAS(msg, "5 problems");
  EXPECT_HAS(msg, file + ":3: audio file not found: " + (t / "missing.wav").string());
  EXPECT_HAS(msg, file + ":4: duplicate entry 'a.wav' (first listed on line 2)");
  EXPECT_HAS(msg, file + ":5: malformed line: expected 3 fields");
  EXPECT_HAS(msg, file + ":6: fold 'one' is not an integer");
  EXPECT_HAS(msg, file + ":7: empty label");
  // Sorted by line: the missing file (line 3) comes before the duplicate (line 4).
  EXPECT_LT(msg.find(":3: audio file not found"), msg.find(":4: duplicate"));
  // check_files=false: the missing file is no longer a problem.
  DatasetOptions o;
  o.check_files = false;
  const std::string msg2 = DatasetErrorOf([&] { LoadDataset("csv:" + file, o); });
  EXPECT_HAS(msg2, "4 problems");
  EXPECT_EQ(msg2.find("missing.wav"), std::string::npos);
}

TEST(DataCsv, HeaderQuotingAndMissingFile) {
  TempDir t;
  Write(t / "h.csv", "file,class\na.wav,x\n");
  std::string msg = DatasetErrorOf([&] { LoadDataset("csv:" + (t / "h.csv").string()); });
  EXPECT_HAS(msg, (t / "h.csv").string() + ":1: header lacks the column 'filename'");
  EXPECT_HAS(msg, "found file,class");
  Write(t / "q.csv", "filename,label\na.wav,x\n\"b.wav,y\n");
  msg = DatasetErrorOf([&] { LoadDataset("csv:" + (t / "q.csv").string()); });
  EXPECT_HAS(msg, (t / "q.csv").string() + ":3: malformed CSV: quoted field is never closed");
  msg = DatasetErrorOf([&] { LoadDataset("csv:" + (t / "none.csv").string()); });
  EXPECT_HAS(msg, (t / "none.csv").string() + ": missing metadata file");
  Write(t / "e.csv", "");
  msg = DatasetErrorOf([&] { LoadDataset("csv:" + (t / "e.csv").string()); });
  EXPECT_HAS(msg, "empty file");
}

TEST(DataCsv, ClassWithoutTrainingItemsInASplit) {
  TempDir t;
  Write(t / "m.csv", "filename,label,fold\na.wav,x,1\nb.wav,x,2\nc.wav,y,1\n");
  for (const char* f : {"a.wav", "b.wav", "c.wav"}) Touch(t / f);
  const std::string msg = DatasetErrorOf([&] { LoadDataset("csv:" + (t / "m.csv").string()); });
  EXPECT_HAS(msg, "split fold1: class 'y' has no training items");
}

TEST(DataCsv, ErrorListIsCapped) {
  TempDir t;
  std::string text = "filename,label\n";
  for (int i = 0; i < 60; ++i) text += "f" + std::to_string(i) + ".wav,x\n";
  Write(t / "m.csv", text);
  const std::string msg = DatasetErrorOf([&] { LoadDataset("csv:" + (t / "m.csv").string()); });
  EXPECT_HAS(msg, "60 problems");
  EXPECT_HAS(msg, "... and 10 more");
  EXPECT_HAS(msg, ":51: audio file not found");  // 50th listed (line 51)
  EXPECT_EQ(msg.find(":52: audio file not found"), std::string::npos);
  try {
    LoadDataset("csv:" + (t / "m.csv").string());
  } catch (const DatasetError& e) {
    EXPECT_EQ(e.problems().size(), 60u);
    EXPECT_NE(dynamic_cast<const FormatError*>(&e), nullptr);
  }
}

TEST(DataCsv, RealAmbienceCorpus) {
  const std::string meta = "/work/shared/data/ambience/meta.csv";
  if (!fs::exists(meta)) GTEST_SKIP() << meta << " absent";
  const Dataset ds = LoadDataset("csv:" + meta);
  EXPECT_EQ(ds.items.size(), 283u);
  EXPECT_EQ(ds.classes.size(), 9u);
  ASSERT_EQ(ds.splits.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(ds.splits[k].name, "fold" + std::to_string(k + 1));
  size_t tests = 0;
  for (const auto& s : ds.splits) {
    tests += s.test.size();
    EXPECT_EQ(s.train.size() + s.test.size(), 283u);
  }
  EXPECT_EQ(tests, 283u);
  EXPECT_EQ(ds.classes[0], "birds_forest_day");
  EXPECT_FALSE(ds.items[0].group.empty());  // from the 'source' column
  EXPECT_TRUE(fs::exists(ds.items[0].path));
}

// ----------------------------------------------------------------------------- folder
TEST(DataFolder, ClassFoldersSingleSplit) {
  TempDir t;
  Touch(t / "dog/1.wav");
  Touch(t / "dog/sub/2.FLAC");
  Touch(t / "dog/notes.txt");
  Touch(t / "dog/.hidden.wav");
  Touch(t / "cat/a.ogg");
  Touch(t / ".git/x.wav");
  Touch(t / "top.wav");  // not in a class folder: ignored
  const Dataset ds = LoadDataset("folder:" + t.str());
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(ds.items.size(), 3u);
  EXPECT_EQ(ds.items[0].id, "cat/a.ogg");
  EXPECT_EQ(ds.items[2].id, "dog/sub/2.FLAC");
  EXPECT_EQ(ds.items[2].label, 1);
  ASSERT_EQ(ds.splits.size(), 1u);
  EXPECT_EQ(ds.splits[0].name, "all");
  EXPECT_EQ(ds.splits[0].train.size(), 3u);
}

TEST(DataFolder, EmptyClassAndMissingFolder) {
  TempDir t;
  Touch(t / "dog/1.wav");
  fs::create_directories(t / "cat");
  Touch(t / "cat/readme.txt");
  std::string msg = DatasetErrorOf([&] { LoadDataset("folder:" + t.str()); });
  EXPECT_HAS(msg, (t / "cat").string() + ": class folder has no audio files");
  msg = DatasetErrorOf([&] { LoadDataset("folder:" + (t / "nope").string()); });
  EXPECT_HAS(msg, "dataset folder not found");
}

// ------------------------------------------------------------------------------ esc50
namespace {
void MakeEsc50(const TempDir& t) {
  std::string csv = "filename,fold,target,category,esc10,src_file,take\n";
  // targets 0 (dog, esc10), 1 (rooster, esc10), 2 (pig, not esc10); 2 clips per fold 1-5... one per class per fold.
  const char* cats[] = {"dog", "rooster", "pig"};
  const char* esc10[] = {"True", "True", "False"};
  for (int fold = 1; fold <= 5; ++fold) {
    for (int c = 0; c < 3; ++c) {
      const std::string name = std::to_string(fold) + "-10" + std::to_string(fold) + std::to_string(c) + "-A-" +
                               std::to_string(c) + ".wav";
      csv += name + "," + std::to_string(fold) + "," + std::to_string(c) + "," + cats[c] + "," + esc10[c] + ",10" +
             std::to_string(fold) + std::to_string(c) + ",A\n";
      Touch(t / ("audio/" + name));
    }
  }
  Write(t / "meta/esc50.csv", csv);
}
}  // namespace

TEST(DataEsc50, FoldsAndEsc10Subset) {
  TempDir t;
  MakeEsc50(t);
  const Dataset ds = LoadDataset("esc50:" + t.str());
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"dog", "rooster", "pig"}));  // in target order
  EXPECT_EQ(ds.items.size(), 15u);
  ASSERT_EQ(ds.splits.size(), 5u);
  EXPECT_EQ(ds.splits[4].name, "fold5");
  EXPECT_EQ(ds.splits[4].test.size(), 3u);
  EXPECT_EQ(ds.splits[4].train.size(), 12u);
  EXPECT_EQ(ds.items[0].path, (t / "audio/1-1010-A-0.wav").string());
  EXPECT_EQ(ds.items[0].group, "1010");
  DatasetOptions o;
  o.esc10 = true;
  const Dataset d10 = LoadDataset("esc50:" + t.str(), o);
  EXPECT_EQ(d10.classes, (std::vector<std::string>{"dog", "rooster"}));
  EXPECT_EQ(d10.items.size(), 10u);
}

TEST(DataEsc50, Problems) {
  TempDir t;
  MakeEsc50(t);
  std::string csv;
  {
    std::ifstream in(t / "meta/esc50.csv");
    std::stringstream ss;
    ss << in.rdbuf();
    csv = ss.str();
  }
  csv += "9-1-A-1.wav,1,1,hen,True,1,A\n";  // line 17: target 1 is rooster; file missing too
  csv += "1-1010-A-0.wav,1,0,dog,True,1010,A\n";  // line 18: duplicate of line 2
  csv += "x.wav,1,4,cow,False,1,A\n";  // line 19: target 4 -> target 3 empty
  Touch(t / "audio/x.wav");
  Write(t / "meta/esc50.csv", csv);
  const std::string file = (t / "meta/esc50.csv").string();
  const std::string msg = DatasetErrorOf([&] { LoadDataset("esc50:" + t.str()); });
  EXPECT_HAS(msg, file + ":17: class id 1 is named 'hen' here but 'rooster' on line 3");
  EXPECT_HAS(msg, file + ":18: duplicate entry '1-1010-A-0.wav' (first listed on line 2)");
  EXPECT_HAS(msg, file + ": no row has target 3 (empty class)");
  EXPECT_HAS(msg, file + ":17: audio file not found");
  const std::string missing = DatasetErrorOf([&] { LoadDataset("esc50:" + (t / "meta").string()); });
  EXPECT_HAS(missing, "meta/esc50.csv: missing metadata file");
}

TEST(DataEsc50, OldClassFolderLayout) {
  TempDir t;
  for (int fold = 1; fold <= 2; ++fold) {
    Touch(t / ("101 - Dog/" + std::to_string(fold) + "-100032-A.ogg"));
    Touch(t / ("102 - Rooster/" + std::to_string(fold) + "-100038-A.ogg"));
    Touch(t / ("201 - Pig/" + std::to_string(fold) + "-100039-B.ogg"));
    Touch(t / ("305 - Chirping birds/" + std::to_string(fold) + "-100040-A.ogg"));
  }
  const Dataset ds = LoadDataset("esc50:" + t.str());
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"dog", "rooster", "pig", "chirping_birds"}));
  ASSERT_EQ(ds.splits.size(), 2u);
  EXPECT_EQ(ds.splits[0].test.size(), 4u);
  EXPECT_EQ(ds.items[0].group, "100032");
  DatasetOptions o;
  o.esc10 = true;
  EXPECT_EQ(LoadDataset("esc50:" + t.str(), o).classes, (std::vector<std::string>{"dog", "rooster"}));
}

// ------------------------------------------------------------------------------ litis
namespace {
/// Fake LITIS tree: files listed in the relation file in an order that differs from
/// the directory order, with ids that are not positions.
void MakeLitis(const TempDir& t, const std::string& learn, const std::string& test) {
  Write(t / "relation_wav_examples.txt",
        "busystreet1.wav 30\n"
        "bus1.wav\t 10\n"
        "bus2.wav 11\n"
        "busystreet2.wav 31\n"
        "hallgare1.wav 50\n"
        "hall1.wav 40\n"
        "hall2.wav 41\n"
        "hallgare2.wav 51\n");
  for (const char* f : {"busystreet1.wav", "bus1.wav", "bus2.wav", "busystreet2.wav", "hallgare1.wav", "hall1.wav",
                        "hall2.wav", "hallgare2.wav"})
    Touch(t / ("data_rouen/" + std::string(f)));
  Write(t / "fold3026-matrices_Learn.txt", learn);
  Write(t / "fold3026-matrices_Test.txt", test);
}
}  // namespace

TEST(DataLitis, PrefixClassesAndIdsThroughRelationFile) {
  TempDir t;
  MakeLitis(t,
            "1.0000000e+01 3.0000000e+01 4.0000000e+01 5.0000000e+01\n"
            "11 31 41 51\n",
            "1.1000000e+01 3.1000000e+01 4.1000000e+01 5.1000000e+01\n"
            "10 30 40 50\n");
  const Dataset ds = LoadDataset("litis:" + t.str());
  // The LITIS classes present, in the canonical (alphabetical) order.
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"bus", "busystreet", "hall", "hallgare"}));
  ASSERT_EQ(ds.items.size(), 8u);
  // Items sorted by name.
  EXPECT_EQ(ds.items[0].id, "bus1.wav");
  EXPECT_EQ(ds.items[2].id, "busystreet1.wav");
  EXPECT_EQ(ds.classes[ds.items[0].label], "bus");
  EXPECT_EQ(ds.classes[ds.items[2].label], "busystreet");  // not "bus"
  EXPECT_EQ(ds.items[0].path, (t / "data_rouen/bus1.wav").string());
  ASSERT_EQ(ds.splits.size(), 2u);
  EXPECT_EQ(ds.splits[0].name, "split1");
  EXPECT_EQ(Ids(ds, ds.splits[0].train),
            (std::vector<std::string>{"bus1.wav", "busystreet1.wav", "hall1.wav", "hallgare1.wav"}));
  EXPECT_EQ(Ids(ds, ds.splits[1].test),
            (std::vector<std::string>{"bus1.wav", "busystreet1.wav", "hall1.wav", "hallgare1.wav"}));
  // The full-set self-test applies only to 3026 clips; classes absent here are not reported.
}

TEST(DataLitis, Problems) {
  TempDir t;
  MakeLitis(t, "10 30 40 50 99\n11 31 41 51\nbad 10\n", "11 31 41 51 51\n10 30 40 50\n");
  Write(t / "relation_wav_examples.txt", std::string("busystreet1.wav 30\nbus1.wav 10\nbus2.wav 11\n") +
                                             "busystreet2.wav 31\nhallgare1.wav 50\nhall1.wav 40\nhall2.wav 41\n" +
                                             "hallgare2.wav 51\nplane3.wav 60\nbus2.wav 12\nbus9.wav\n");
  const std::string rel = (t / "relation_wav_examples.txt").string();
  const std::string learn = (t / "fold3026-matrices_Learn.txt").string();
  const std::string test = (t / "fold3026-matrices_Test.txt").string();
  const std::string msg = DatasetErrorOf([&] { LoadDataset("litis:" + t.str()); });
  EXPECT_HAS(msg, rel + ":9: cannot tell the class of 'plane3.wav'");
  EXPECT_HAS(msg, rel + ":10: duplicate entry 'bus2.wav' (first listed on line 3)");
  EXPECT_HAS(msg, rel + ":11: malformed line: expected '<file_name> <file_id>'");
  EXPECT_HAS(msg, learn + ":1: entry 5: file id 99 is not in relation_wav_examples.txt");
  EXPECT_HAS(msg, learn + ":3: entry 1 'bad' is not a number");
  EXPECT_HAS(msg, test + ":1: entry 5: file id 51 repeats entry 4");
  EXPECT_HAS(msg, test + ": has 2 non-blank lines but fold3026-matrices_Learn.txt has 3");
}

TEST(DataLitis, MissingFiles) {
  TempDir t;
  std::string msg = DatasetErrorOf([&] { LoadDataset("litis:" + t.str()); });
  EXPECT_HAS(msg, "relation_wav_examples.txt: missing metadata file");
  EXPECT_HAS(msg, "fold3026-matrices_Learn.txt: missing split file");
  MakeLitis(t, "10 30 40 50\n", "11 31 41 51\n");
  fs::remove(t / "data_rouen/bus2.wav");
  msg = DatasetErrorOf([&] { LoadDataset("litis:" + t.str()); });
  EXPECT_HAS(msg, (t / "relation_wav_examples.txt").string() + ":3: audio file not found: " +
                      (t / "data_rouen/bus2.wav").string());
}

namespace {
const int kCounts[19] = {23, 192, 143, 120, 243, 88, 269, 145, 276, 139, 249, 155, 90, 133, 122, 203, 164, 147, 125};

/// A fake full LITIS listing (no audio: check_files off): 3026 names, ids 1..3026 in
/// reverse name order, 20 splits of 2419/607.
void MakeFullLitis(const TempDir& t, int move_one_from_bus_to_car) {
  std::vector<std::string> names;
  for (int c = 0; c < 19; ++c) {
    int n = kCounts[c];
    if (move_one_from_bus_to_car && c == 1) --n;
    if (move_one_from_bus_to_car && c == 4) ++n;
    for (int i = 1; i <= n; ++i) names.push_back(LitisClasses()[c] + std::to_string(i) + ".wav");
  }
  std::string rel;
  for (size_t i = 0; i < names.size(); ++i) rel += names[i] + " " + std::to_string(3026 - i) + "\n";
  Write(t / "relation_wav_examples.txt", rel);
  std::string learn, test;
  for (int k = 0; k < 20; ++k) {
    std::vector<int> te, tr;
    for (int id = 1; id <= 3026; ++id) {
      if (static_cast<int>(te.size()) < 607 && (id + k) % 4 == 0) {
        te.push_back(id);
      } else {
        tr.push_back(id);
      }
    }
    for (int id : tr) learn += std::to_string(id) + ".0000000e+00 ";
    for (int id : te) test += std::to_string(id) + " ";
    learn += "\n";
    test += "\n";
  }
  Write(t / "fold3026-matrices_Learn.txt", learn);
  Write(t / "fold3026-matrices_Test.txt", test);
}
}  // namespace

TEST(DataLitis, FullSetSelfTestPasses) {
  TempDir t;
  MakeFullLitis(t, 0);
  DatasetOptions o;
  o.check_files = false;
  const Dataset ds = LoadDataset("litis:" + t.str(), o);
  EXPECT_EQ(ds.items.size(), 3026u);
  ASSERT_EQ(ds.splits.size(), 20u);
  EXPECT_EQ(ds.splits[19].train.size(), 2419u);
  EXPECT_EQ(ds.splits[19].test.size(), 607u);
  EXPECT_NO_THROW(CheckLitisCounts(ds));
  EXPECT_EQ(ds.ClassCounts()[0], 23);
  EXPECT_EQ(ds.ClassCounts()[18], 125);
}

TEST(DataLitis, FullSetSelfTestFails) {
  TempDir t;
  MakeFullLitis(t, 1);
  DatasetOptions o;
  o.check_files = false;
  const std::string msg = DatasetErrorOf([&] { LoadDataset("litis:" + t.str(), o); });
  EXPECT_HAS(msg, "LITIS Rouen self-test failed");
  EXPECT_HAS(msg, "class 'bus' has 191 clips; the published LITIS Rouen set has 192");
  EXPECT_HAS(msg, "class 'car' has 244 clips; the published LITIS Rouen set has 243");
  o.litis_self_test = false;
  EXPECT_NO_THROW(LoadDataset("litis:" + t.str(), o));
  // The check on its own, on a hand-made dataset with wrong split sizes.
  Dataset d = LoadDataset("litis:" + t.str(), o);
  d.splits[3].test.pop_back();
  const std::string m2 = DatasetErrorOf([&] { CheckLitisCounts(d); });
  EXPECT_HAS(m2, "split split4 has 2419 train / 606 test clips; the published splits have 2419 / 607");
}

namespace {
// Writes a MAT-file level 5 with 20x? double matrices, each in a miCOMPRESSED element
// (what Matlab's save -v7 writes).
void PutU32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void Pad8(std::string& s) {
  while (s.size() % 8) s += '\0';
}
std::string MatMatrixElement(const std::string& name, int rows, int cols, const std::vector<double>& data) {
  std::string body;
  PutU32(body, 6);  // miUINT32 array flags
  PutU32(body, 8);
  PutU32(body, 6);  // mxDOUBLE_CLASS
  PutU32(body, 0);
  PutU32(body, 5);  // miINT32 dims
  PutU32(body, 8);
  PutU32(body, rows);
  PutU32(body, cols);
  PutU32(body, 1);  // miINT8 name
  PutU32(body, static_cast<uint32_t>(name.size()));
  body += name;
  Pad8(body);
  PutU32(body, 9);  // miDOUBLE
  PutU32(body, static_cast<uint32_t>(data.size() * 8));
  body.append(reinterpret_cast<const char*>(data.data()), data.size() * 8);
  Pad8(body);
  std::string el;
  PutU32(el, 14);
  PutU32(el, static_cast<uint32_t>(body.size()));
  return el + body;
}
std::string Compressed(const std::string& el) {
  uLongf n = compressBound(el.size());
  std::string z(n, '\0');
  compress(reinterpret_cast<Bytef*>(&z[0]), &n, reinterpret_cast<const Bytef*>(el.data()), el.size());
  z.resize(n);
  std::string out;
  PutU32(out, 15);
  PutU32(out, static_cast<uint32_t>(z.size()));
  return out + z;  // compressed elements are not padded
}
}  // namespace

TEST(DataLitis, MatlabV7SplitFile) {
  TempDir t;
  MakeLitis(t, "", "");
  fs::remove(t / "fold3026-matrices_Learn.txt");
  fs::remove(t / "fold3026-matrices_Test.txt");
  // 2 splits x 4 columns, column-major.
  const std::vector<double> ma = {10, 11, 30, 31, 40, 41, 50, 51};
  const std::vector<double> mt = {11, 10, 31, 30, 41, 40, 51, 50};
  std::string mat(116, ' ');
  mat.replace(0, 40, "MATLAB 5.0 MAT-file, written by ascnet  ");
  mat += std::string(8, '\0');
  mat += '\0';
  mat += '\x01';
  mat += "IM";
  mat += Compressed(MatMatrixElement("indiceMa", 2, 4, ma));
  mat += MatMatrixElement("indiceMt", 2, 4, mt);  // uncompressed (v6 style)
  Write(t / "fold3026-matrices_v7.mat", mat);
  const Dataset ds = LoadDataset("litis:" + t.str());
  ASSERT_EQ(ds.splits.size(), 2u);
  EXPECT_EQ(Ids(ds, ds.splits[0].train),
            (std::vector<std::string>{"bus1.wav", "busystreet1.wav", "hall1.wav", "hallgare1.wav"}));
  EXPECT_EQ(Ids(ds, ds.splits[0].test),
            (std::vector<std::string>{"bus2.wav", "busystreet2.wav", "hall2.wav", "hallgare2.wav"}));
  Write(t / "fold3026-matrices_v7.mat", "not a mat file");
  const std::string msg = DatasetErrorOf([&] { LoadDataset("litis:" + t.str()); });
  EXPECT_HAS(msg, "fold3026-matrices_v7.mat: not a MAT-file level 5");
  EXPECT_HAS(msg, "export the text form");
}

// ------------------------------------------------------------------------ dcase / tau
namespace {
void MakeTut2016(const TempDir& t, bool three_columns) {
  std::string meta;
  const char* labels[] = {"beach", "cafe/restaurant", "bus"};
  int n = 0;
  for (int c = 0; c < 3; ++c) {
    for (int r = 0; r < 2; ++r) {
      const std::string rec = std::string(1, static_cast<char>('a' + c)) + "00" + std::to_string(r);
      const std::string f = "audio/" + rec + "_0_30.wav";
      meta += f + "\t" + labels[c] + (three_columns ? "\t" + rec : "") + "\r\n";
      Touch(t / f);
      ++n;
    }
  }
  Write(t / "meta.txt", meta);
  // fold1: test = recordings *000; fold2: test = *001.
  for (int k = 1; k <= 2; ++k) {
    std::string train, test, eval;
    for (int c = 0; c < 3; ++c) {
      for (int r = 0; r < 2; ++r) {
        const std::string f = "audio/" + std::string(1, static_cast<char>('a' + c)) + "00" + std::to_string(r) + "_0_30.wav";
        if (r == k - 1) {
          test += f + "\n";
          eval += f + "\t" + labels[c] + "\n";
        } else {
          train += f + "\t" + labels[c] + "\n";
        }
      }
    }
    Write(t / ("evaluation_setup/fold" + std::to_string(k) + "_train.txt"), train);
    Write(t / ("evaluation_setup/fold" + std::to_string(k) + "_test.txt"), test);
    Write(t / ("evaluation_setup/fold" + std::to_string(k) + "_evaluate.txt"), eval);
  }
}
}  // namespace

TEST(DataTut, Dcase2016And2017) {
  TempDir t;
  MakeTut2016(t, false);
  const Dataset ds = LoadDataset("dcase2016:" + t.str());
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"beach", "bus", "cafe/restaurant"}));
  ASSERT_EQ(ds.items.size(), 6u);
  EXPECT_EQ(ds.items[0].id, "audio/a000_0_30.wav");
  EXPECT_EQ(ds.items[0].group, "a000");
  EXPECT_EQ(ds.items[0].path, (t / "audio/a000_0_30.wav").string());
  ASSERT_EQ(ds.splits.size(), 2u);
  EXPECT_EQ(ds.splits[1].name, "fold2");
  EXPECT_EQ(Ids(ds, ds.splits[1].test),
            (std::vector<std::string>{"audio/a001_0_30.wav", "audio/b001_0_30.wav", "audio/c001_0_30.wav"}));
  // Without _evaluate files the _test lists are used.
  fs::remove(t / "evaluation_setup/fold1_evaluate.txt");
  fs::remove(t / "evaluation_setup/fold2_evaluate.txt");
  EXPECT_EQ(LoadDataset("dcase2016:" + t.str()).splits[0].test.size(), 3u);

  TempDir t7;
  MakeTut2016(t7, true);
  const Dataset d7 = LoadDataset("dcase2017:" + t7.str());
  EXPECT_EQ(d7.items[3].group, "b001");
  EXPECT_EQ(d7.splits.size(), 2u);
}

TEST(DataTut, Problems) {
  TempDir t;
  MakeTut2016(t, false);
  Write(t / "evaluation_setup/fold1_train.txt",
        "audio/a001_0_30.wav\tbeach\n"
        "audio/b001_0_30.wav\tcafe_restaurant\n"  // 2 unknown label
        "audio/zzz_0_30.wav\tbeach\n"             // 3 not in meta
        "audio/a001_0_30.wav\tbeach\n"            // 4 duplicate
        "audio/c001_0_30.wav\tbeach\n");          // 5 label differs
  Write(t / "meta.txt", "audio/a000_0_30.wav\tbeach\naudio/a001_0_30.wav\tbeach\naudio/b000_0_30.wav\tcafe/restaurant\n"
                        "audio/b001_0_30.wav\tcafe/restaurant\naudio/c000_0_30.wav\tbus\naudio/c001_0_30.wav\tbus\n"
                        "audio/c001_0_30.wav\tbus\nonlyonefield\n");
  const std::string tr = (t / "evaluation_setup/fold1_train.txt").string();
  const std::string meta = (t / "meta.txt").string();
  const std::string msg = DatasetErrorOf([&] { LoadDataset("dcase2016:" + t.str()); });
  EXPECT_HAS(msg, tr + ":2: unknown label 'cafe_restaurant' (classes in meta.txt: beach, bus, cafe/restaurant)");
  EXPECT_HAS(msg, tr + ":3: 'audio/zzz_0_30.wav' is not listed in meta.txt");
  EXPECT_HAS(msg, tr + ":4: duplicate entry 'audio/a001_0_30.wav' (first listed on line 1)");
  EXPECT_HAS(msg, tr + ":5: label 'beach' of 'audio/c001_0_30.wav' differs from its label 'bus' in meta.txt");
  EXPECT_HAS(msg, meta + ":7: duplicate entry 'audio/c001_0_30.wav' (first listed on line 6)");
  EXPECT_HAS(msg, meta + ":8: malformed line");

  TempDir e;
  std::string m = DatasetErrorOf([&] { LoadDataset("dcase2017:" + e.str()); });
  EXPECT_HAS(m, (e / "meta.txt").string() + ": missing metadata file");
  Write(e / "meta.txt", "a_1.wav\tx\n");
  Touch(e / "a_1.wav");
  m = DatasetErrorOf([&] { LoadDataset("dcase2017:" + e.str()); });
  EXPECT_HAS(m, "missing folder evaluation_setup/");
  Write(e / "evaluation_setup/fold1_train.txt", "a_1.wav\tx\n");
  m = DatasetErrorOf([&] { LoadDataset("dcase2017:" + e.str()); });
  EXPECT_HAS(m, "fold1_evaluate.txt: missing");
}

namespace {
// TUT 2018 (txt, no header) / TAU 2019-2020 (csv with header) evaluation setups.
void MakeTau(const TempDir& t, const std::string& ext, bool header) {
  std::string meta = "filename\tscene_label\tidentifier\tsource_label\n";
  std::string train = header ? "filename\tscene_label\n" : "";
  std::string test = header ? "filename\n" : "";
  std::string eval = header ? "filename\tscene_label\n" : "";
  for (const char* scene : {"airport", "park"}) {
    for (int loc = 0; loc < 2; ++loc) {
      const std::string f = std::string("audio/") + scene + "-barcelona-" + std::to_string(loc) + "-" +
                            std::to_string(loc * 10) + "-a.wav";
      meta += f + "\t" + scene + "\tbarcelona-" + std::to_string(loc) + "\ta\n";
      Touch(t / f);
      if (loc == 0) {
        train += f + "\t" + scene + "\n";
      } else {
        test += f + "\n";
        eval += f + "\t" + scene + "\n";
      }
    }
  }
  Write(t / "meta.csv", meta);
  Write(t / ("evaluation_setup/fold1_train." + ext), train);
  Write(t / ("evaluation_setup/fold1_test." + ext), test);
  Write(t / ("evaluation_setup/fold1_evaluate." + ext), eval);
}
}  // namespace

TEST(DataTut, Tut2018Tau2019Tau2020) {
  for (const auto& [ext, header] : std::vector<std::pair<std::string, bool>>{{"txt", false}, {"csv", true}}) {
    TempDir t;
    MakeTau(t, ext, header);
    const Dataset ds = LoadDataset("tau2019:" + t.str());
    EXPECT_EQ(ds.classes, (std::vector<std::string>{"airport", "park"}));
    ASSERT_EQ(ds.items.size(), 4u);
    EXPECT_EQ(ds.items[1].group, "barcelona-1");
    ASSERT_EQ(ds.splits.size(), 1u);
    EXPECT_EQ(ds.splits[0].name, "fold1");
    EXPECT_EQ(ds.splits[0].train.size(), 2u);
    EXPECT_EQ(ds.splits[0].test.size(), 2u);
    // Without the evaluate file the header-only test list still parses.
    fs::remove(t / ("evaluation_setup/fold1_evaluate." + ext));
    EXPECT_EQ(LoadDataset("tau2019:" + t.str()).splits[0].test.size(), 2u);
  }
  TempDir e;
  EXPECT_HAS(DatasetErrorOf([&] { LoadDataset("tau2019:" + e.str()); }), (e / "meta.csv").string() + ": missing metadata file");
}

// ----------------------------------------------------------------------- urbansound8k
TEST(DataUrbanSound8k, FolderOrParent) {
  TempDir t;
  std::string csv = "slice_file_name,fsID,start,end,salience,fold,classID,class\n";
  for (int fold = 1; fold <= 3; ++fold) {
    for (int c = 0; c < 2; ++c) {
      const std::string name = "10" + std::to_string(fold) + "-" + std::to_string(c) + "-0-0.wav";
      csv += name + ",10" + std::to_string(fold) + ",0.0,4.0,1," + std::to_string(fold) + "," + std::to_string(c) + "," +
             (c ? "car_horn" : "air_conditioner") + "\n";
      Touch(t / ("UrbanSound8K/audio/fold" + std::to_string(fold) + "/" + name));
    }
  }
  Write(t / "UrbanSound8K/metadata/UrbanSound8K.csv", csv);
  for (const std::string& p : {t.str(), (t / "UrbanSound8K").string()}) {
    const Dataset ds = LoadDataset("urbansound8k:" + p);
    EXPECT_EQ(ds.classes, (std::vector<std::string>{"air_conditioner", "car_horn"}));
    ASSERT_EQ(ds.items.size(), 6u);
    EXPECT_EQ(ds.items[0].path, (t / "UrbanSound8K/audio/fold1/101-0-0-0.wav").string());
    EXPECT_EQ(ds.items[0].group, "101");
    ASSERT_EQ(ds.splits.size(), 3u);
    EXPECT_EQ(ds.splits[2].name, "fold3");
    EXPECT_EQ(ds.splits[2].test.size(), 2u);
  }
  fs::remove(t / "UrbanSound8K/audio/fold2/102-1-0-0.wav");
  EXPECT_HAS(DatasetErrorOf([&] { LoadDataset("urbansound8k:" + t.str()); }),
             "UrbanSound8K.csv:5: audio file not found");
  TempDir e;
  EXPECT_HAS(DatasetErrorOf([&] { LoadDataset("urbansound8k:" + e.str()); }), "missing metadata file");
}

// ----------------------------------------------------------------------------- splits
TEST(DataSplits, Selection) {
  Dataset ds;
  for (int k = 1; k <= 5; ++k) ds.splits.push_back({"fold" + std::to_string(k), {}, {}});
  EXPECT_EQ(SelectSplits(ds, "all"), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(SelectSplits(ds, ""), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(SelectSplits(ds, "1,3"), (std::vector<int>{0, 2}));
  EXPECT_EQ(SelectSplits(ds, "fold2, 2,FOLD5"), (std::vector<int>{1, 4}));
  EXPECT_EQ(SelectSplits(ds, "2-4"), (std::vector<int>{1, 2, 3}));
  EXPECT_THROW(SelectSplits(ds, "6"), ConfigError);
  EXPECT_THROW(SelectSplits(ds, "0"), ConfigError);
  EXPECT_THROW(SelectSplits(ds, "1,,2"), ConfigError);
  EXPECT_THROW(SelectSplits(ds, "4-2"), ConfigError);
  try {
    SelectSplits(ds, "fold9");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_HAS(e.what(), "'fold9'");
    EXPECT_HAS(e.what(), "fold1, fold2");
  }
}
