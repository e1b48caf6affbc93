// Shared by the dataset loader tests: tiny fake trees, the DatasetError message of a call.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "common/temp_dir.h"

namespace ascnet::data_test {

namespace fs = std::filesystem;
using TempDir = ascnet::testing::TempDir;  // tests/common/temp_dir.h

inline void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}
inline void Touch(const fs::path& p) { Write(p, "RIFF"); }

/// what() of the DatasetError `f` throws ("" and a test failure if it does not).
inline std::string DatasetErrorOf(const std::function<void()>& f) {
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

}  // namespace ascnet::data_test

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "missing \"" << (needle) << "\" in:\n" << (haystack)

namespace ascnet::data_test {

inline std::vector<std::string> Ids(const Dataset& ds, const std::vector<int>& idx) {
  std::vector<std::string> out;
  for (int i : idx) out.push_back(ds.items[i].id);
  return out;
}

}  // namespace ascnet::data_test
