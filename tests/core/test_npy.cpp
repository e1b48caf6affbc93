#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "ascnet/core/error.h"
#include "ascnet/core/npy.h"
#include "common/temp_dir.h"

using namespace ascnet;

TEST(Npy, RoundTrip) {
  std::vector<float> v(2 * 3 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f - 3.f;
  const std::string bytes = EncodeNpy(v.data(), {2, 3, 4});
  EXPECT_EQ(bytes.size() % 64, (v.size() * 4) % 64);  // header padded to 64 bytes
  NpyArray a = DecodeNpy(bytes, "x.npy");
  ASSERT_EQ(a.shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(a.data, v);
  EXPECT_EQ(a.ShapeString(), "[2, 3, 4]");
}

TEST(Npy, OneDimensionalHeaderHasTrailingComma) {
  float x[3] = {1, 2, 3};
  const std::string bytes = EncodeNpy(x, {3});
  EXPECT_NE(bytes.find("'shape': (3,)"), std::string::npos);
}

TEST(Npy, FileRoundTrip) {
  const ascnet::testing::TempDir dir;
  const std::string path = dir.File("x.npy");
  float x[4] = {1, -2, 3.5f, 0};
  WriteNpy(path, x, {2, 2});
  NpyArray a = ReadNpy(path);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_FLOAT_EQ(a.data[2], 3.5f);
}

TEST(Npy, RejectsBadInput) {
  EXPECT_THROW(DecodeNpy("hello", "bad.npy"), FormatError);
  float x[4] = {1, 2, 3, 4};
  std::string bytes = EncodeNpy(x, {4});
  try {
    DecodeNpy(bytes.substr(0, bytes.size() - 3), "trunc.npy");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("trunc.npy"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("expected 16"), std::string::npos);
  }
  std::string wrong = bytes;
  wrong.replace(wrong.find("<f4"), 3, "<i8");
  EXPECT_THROW(DecodeNpy(wrong, "int.npy"), FormatError);
  EXPECT_THROW(ReadNpy("/nonexistent/dir/x.npy"), IoError);
}
