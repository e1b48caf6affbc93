// LITIS Rouen: text and Matlab (v5/v7) split files, the relation file, the full-set self-test.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "data/data_test_util.h"

#include <zlib.h>

using namespace ascnet;
using namespace ascnet::data_test;

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
