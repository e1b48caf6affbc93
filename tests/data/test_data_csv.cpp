// Dataset specs, the csv: and folder: loaders (with the real ambience corpus when present) and
// split selection.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "data/data_test_util.h"

using namespace ascnet;
using namespace ascnet::data_test;

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
