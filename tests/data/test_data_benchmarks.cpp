// ESC-50/ESC-10, DCASE 2016/2017, TUT 2018 / TAU 2019+ and UrbanSound8K layouts.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/data/dataset.h"
#include "data/data_test_util.h"

using namespace ascnet;
using namespace ascnet::data_test;

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

/// Appends `rows` to the metadata of MakeEsc50(t) (with an audio/x.wav for them to name) and
/// returns the error message that loading the dataset gives.
std::string Esc50ErrorWithRows(const TempDir& t, const std::string& rows) {
  Write(t / "meta/esc50.csv", ReadFile((t / "meta/esc50.csv").string()) + rows);
  Touch(t / "audio/x.wav");
  return DatasetErrorOf([&] { LoadDataset("esc50:" + t.str()); });
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
  const std::string msg = Esc50ErrorWithRows(t,
                                             "9-1-A-1.wav,1,1,hen,True,1,A\n"  // line 17: target 1 is rooster; file missing too
                                             "1-1010-A-0.wav,1,0,dog,True,1010,A\n"  // line 18: duplicate of line 2
                                             "x.wav,1,4,cow,False,1,A\n");  // line 19: target 4 -> target 3 empty
  const std::string file = (t / "meta/esc50.csv").string();
  EXPECT_HAS(msg, file + ":17: class id 1 is named 'hen' here but 'rooster' on line 3");
  EXPECT_HAS(msg, file + ":18: duplicate entry '1-1010-A-0.wav' (first listed on line 2)");
  EXPECT_HAS(msg, file + ": no row has target 3 (empty class)");
  EXPECT_HAS(msg, file + ":17: audio file not found");
  const std::string missing = DatasetErrorOf([&] { LoadDataset("esc50:" + (t / "meta").string()); });
  EXPECT_HAS(missing, "meta/esc50.csv: missing metadata file");
}

// Found by fuzz_dataset_csv: one row with a huge class id made the empty-class check list
// every missing id up to it (4e16 messages: out of memory). Now the first ten are named and
// the rest counted, at once.
TEST(DataEsc50, HugeClassIdIsOneClearErrorNotALoopOverEveryMissingId) {
  TempDir t;
  MakeEsc50(t);
  const std::string msg = Esc50ErrorWithRows(t, "x.wav,1,44444444444444445,cow,False,1,A\n");
  const std::string file = (t / "meta/esc50.csv").string();
  EXPECT_HAS(msg, file + ": no row has target 3 (empty class)");
  EXPECT_HAS(msg, file + ": 44444444444444432 more target values up to 44444444444444445 have no row");
  EXPECT_EQ(msg.find("no row has target 13 "), std::string::npos) << "only ten missing ids are named";
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
