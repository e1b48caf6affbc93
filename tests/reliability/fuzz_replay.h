// The inputs a fuzz-regression replay (FuzzRegressions.*) feeds through its fuzzer's code path:
// the crashes the fuzzer found (tests/reliability/crashes/<target>/, optional) and its corpus
// (fuzz/corpus/<target>/: the seeds plus what the fuzzing runs kept, required).
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ascnet/core/fs.h"

namespace ascnet::reliability {

/// Where a target's crash inputs and corpus live (overridable by a test that checks the
/// replay itself can fail).
struct FuzzInputDirs {
  std::filesystem::path crashes, corpus;
  static FuzzInputDirs For(const std::string& target) {
    const std::filesystem::path src(ASCNET_SOURCE_DIR);
    return {src / "tests/reliability/crashes" / target, src / "fuzz/corpus" / target};
  }
};

/// Calls replay(path, bytes) for every non-empty input of the target, crashes first, in name
/// order, and returns how many were replayed. Adds a test failure when the corpus folder is
/// missing or holds no non-empty input, whatever the crash folder holds: a replay that ran on
/// nothing is never a pass. Empty files are skipped (every fuzzer ignores them) and not counted.
template <typename Replay>
int ReplayFuzzInputs(const std::string& target, Replay replay, const FuzzInputDirs& dirs) {
  namespace fs = std::filesystem;
  auto files = [](const fs::path& dir) {
    std::vector<fs::path> v;
    std::error_code ec;
    if (fs::is_directory(dir, ec))
      for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
  };
  auto run = [&](const std::vector<fs::path>& inputs) {
    int n = 0;
    for (const fs::path& p : inputs) {
      const std::string bytes = ReadFile(p.string());
      if (bytes.empty()) continue;
      SCOPED_TRACE(p.string());
      replay(p, bytes);
      ++n;
    }
    return n;
  };
  const int crashes = run(files(dirs.crashes));
  const int corpus = run(files(dirs.corpus));
  if (corpus == 0) {
    ADD_FAILURE() << target << ": no non-empty corpus input replayed (expected files in " << dirs.corpus.string()
                  << "; " << crashes << " crash inputs from " << dirs.crashes.string() << " do not replace it)";
  }
  ::testing::Test::RecordProperty(target + "_inputs", crashes + corpus);
  return crashes + corpus;
}

template <typename Replay>
int ReplayFuzzInputs(const std::string& target, Replay replay) {
  return ReplayFuzzInputs(target, replay, FuzzInputDirs::For(target));
}

}  // namespace ascnet::reliability
