// The checks of fuzz_dataset_{csv,litis,tut,esc50}, shared with their regression replay in
// tests/reliability/: dataset metadata parsers on arbitrary bytes, one layout family per
// fuzzer (-DASCNET_FUZZ_LAYOUT=1..4). The input is one or more files separated by
// "\n--8<--\n" lines, written into a fresh dataset folder; LoadDataset runs with check_files = false. Only
// DatasetError / FormatError / ConfigError may come out, and a loaded dataset must be
// self-consistent (labels and split indices in range).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "fuzz_util.h"

namespace ascnet_fuzz {

namespace fs = std::filesystem;

/// Lays the parts out as the metadata files of `layout` (an ASCNET_FUZZ_LAYOUT value: 1 csv,
/// 2 litis, 3 tut, 4 esc50); returns the spec to load.
inline std::string LayOutDataset(int layout, const fs::path& root, uint8_t mode, const std::vector<std::string>& parts) {
  auto part = [&](size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  if (layout == 1) {  // csv / urbansound8k
    if (mode % 2 == 0) {
      WriteBytes(root / "meta.csv", part(0));
      return "csv:" + (root / "meta.csv").string();
    }
    WriteBytes(root / "UrbanSound8K" / "metadata" / "UrbanSound8K.csv", part(0));
    return "urbansound8k:" + root.string();
  }
  if (layout == 2) {  // litis: relation file + Learn/Test text, or the MAT-file
    WriteBytes(root / "relation_wav_examples.txt", part(0));
    if (mode % 2 == 0) {
      WriteBytes(root / "fold3026-matrices_Learn.txt", part(1));
      WriteBytes(root / "fold3026-matrices_Test.txt", part(2));
    } else {
      WriteBytes(root / "fold3026-matrices_v7.mat", part(1));
    }
    return "litis:" + root.string();
  }
  if (layout == 3) {  // dcase2016 / dcase2017 (meta.txt) or tau2019 (meta.csv)
    static const char* kKinds[] = {"dcase2016", "dcase2017", "tau2019"};
    const std::string kind = kKinds[mode % 3];
    const std::string ext = kind == "tau2019" ? ".csv" : ".txt";
    WriteBytes(root / ("meta" + ext), part(0));
    const fs::path setup = root / "evaluation_setup";
    WriteBytes(setup / ("fold1_train" + ext), part(1));
    WriteBytes(setup / ("fold1_test" + ext), part(2));
    if (parts.size() > 3) WriteBytes(setup / ("fold1_evaluate" + ext), part(3));
    if (parts.size() > 4) WriteBytes(setup / ("fold2_train" + ext), part(4));
    return kind + ":" + root.string();
  }
  if (layout == 4) {  // esc50
    WriteBytes(root / "meta" / "esc50.csv", part(0));
    return "esc50:" + root.string();
  }
  __builtin_trap();  // no such layout
}


/// Runs one fuzz input (mode byte first) for `layout`; traps on an inconsistent dataset.
inline void CheckDatasetInput(int layout, const std::string& input) {
  if (input.empty()) return;
  const uint8_t mode = static_cast<uint8_t>(input[0]);
  const fs::path root = ScratchDir() / "dataset";
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root);
  const std::string spec = LayOutDataset(layout, root, mode, SplitParts(input.substr(1)));
  ascnet::DatasetOptions opts;
  opts.check_files = false;
  opts.esc10 = mode & 0x80;
  try {
    const ascnet::Dataset ds = ascnet::LoadDataset(spec, opts);
    const int nc = static_cast<int>(ds.classes.size());
    const int ni = static_cast<int>(ds.items.size());
    for (const auto& it : ds.items)
      if (it.label < 0 || it.label >= nc) __builtin_trap();
    for (const auto& s : ds.splits) {
      for (int i : s.train)
        if (i < 0 || i >= ni) __builtin_trap();
      for (int i : s.test)
        if (i < 0 || i >= ni) __builtin_trap();
    }
    (void)ds.Summary();
  } catch (const ascnet::FormatError&) {  // DatasetError is one
  } catch (const ascnet::ConfigError&) {
  }
}

}  // namespace ascnet_fuzz
