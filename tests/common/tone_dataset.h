// A tiny labelled dataset of tone WAVs (experiment, usage and serve tests build on it).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "common/pcm_wav.h"

namespace ascnet::testing {

/// A tiny labelled dataset: 3 classes (tones of distinct pitch) x 3 folds x 2 clips of 4.5-6.5 s,
/// with meta.csv (filename,label,fold). Returns its spec "csv:DIR/meta.csv".
inline std::string MakeToneDataset(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "audio");
  std::ofstream csv(dir / "meta.csv");
  csv << "filename,label,fold\n";
  const std::pair<const char*, double> classes[] = {{"low", 250}, {"mid", 1000}, {"high", 4000}};
  for (const auto& [name, freq] : classes) {
    for (int fold = 1; fold <= 3; ++fold) {
      for (int k = 0; k < 2; ++k) {
        const std::string file = std::string(name) + "_" + std::to_string(fold) + "_" + std::to_string(k) + ".wav";
        WriteToneWav((dir / "audio" / file).string(), 4.0 + k + 0.5 * fold, freq * (1 + 0.03 * fold + 0.01 * k));
        csv << "audio/" << file << "," << name << "," << fold << "\n";
      }
    }
  }
  return "csv:" + (dir / "meta.csv").string();
}

}  // namespace ascnet::testing
