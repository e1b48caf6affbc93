// `ascnet features` and `ascnet filterbank`.
#include <filesystem>
#include <iostream>
#include <vector>

#include "ascnet/audio/decode.h"
#include "ascnet/core/error.h"
#include "ascnet/core/npy.h"
#include "ascnet/features/extractor.h"
#include "ascnet/features/filterbank.h"
#include "cli_common.h"
#include "commands.h"

namespace ascnet::cli {
namespace {

struct FeaturesArgs {
  std::string preset = "logmel";
  std::vector<std::string> inputs;
  std::string output;
  std::string output_dir;
  int segment_hop = 0;
  std::string cover_end;  // "", "on" or "off"
  bool quiet = false;
};

std::string OutputPathFor(const FeaturesArgs& a, const std::string& input) {
  if (!a.output.empty()) return a.output;
  std::string stem = input;
  const size_t slash = stem.find_last_of('/');
  if (slash != std::string::npos) stem = stem.substr(slash + 1);
  const size_t dot = stem.find_last_of('.');
  if (dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
  return (a.output_dir.empty() ? std::string(".") : a.output_dir) + "/" + stem + ".npy";
}

int RunFeatures(const FeaturesArgs& a) {
  FeatureConfig cfg = FeatureConfig::Preset(a.preset);
  if (a.segment_hop > 0) cfg.segment.hop = a.segment_hop;
  if (!a.cover_end.empty()) cfg.segment.cover_end = a.cover_end == "on";
  cfg.Validate();
  if (!a.output.empty() && a.inputs.size() > 1) {
    throw ConfigError("-o names one file but " + std::to_string(a.inputs.size()) +
                      " inputs were given (use --output-dir for several inputs)");
  }
  if (!a.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.output_dir, ec);
    if (ec) throw IoError(WithPath(a.output_dir, "cannot create the output folder (" + ec.message() + ")"));
  }
  if (!a.quiet) std::cerr << cfg.ToString() << "\n";
  AudioOptions audio;
  audio.target_rate = cfg.frame.sample_rate;
  int failed = 0;
  for (const std::string& input : a.inputs) {
    try {
      const std::vector<float> samples = LoadAudio(input, audio);
      const SegmentImages img = FeatureExtractor::Compute(cfg, samples);
      const std::string out = OutputPathFor(a, input);
      WriteNpy(out, img.data.data(), img.Shape());
      std::cout << input << " -> " << out << " shape [" << img.num_segments << ", " << img.channels << ", "
                << img.bands << ", " << img.frames << "] float32" << std::endl;
    } catch (const Error& e) {
      PrintError("features", e.what());
      ++failed;
    }
  }
  if (failed) {
    std::cerr << "ascnet features: " << failed << " of " << a.inputs.size() << " input(s) failed" << std::endl;
    return 1;
  }
  return 0;
}

int RunFilterbank(const std::string& preset, const std::string& output) {
  const FeatureConfig cfg = FeatureConfig::Preset(preset);
  cfg.Validate();
  const std::vector<double> w = FilterbankWeights(cfg.frame, cfg.filterbank);
  const std::vector<float> wf(w.begin(), w.end());
  const std::vector<int64_t> shape = {cfg.filterbank.num_bands, cfg.frame.NumBins()};
  WriteNpy(output, wf.data(), shape);
  std::cout << FilterbankOptions::TypeName(cfg.filterbank.type) << " filterbank -> " << output << " shape ["
            << shape[0] << ", " << shape[1] << "] float32" << std::endl;
  return 0;
}

}  // namespace

void RegisterFeatures(CLI::App& app) {
  auto args = std::make_shared<FeaturesArgs>();
  CLI::App* f = AddCommand(
      app, "features",
      "Extract 2-channel log-Mel or log-Gammatone segment images [S, 2, 64, 80] (float32 .npy) from audio files",
      "ascnet features --features logmel recording.wav -o recording.npy",
      [args] { return RunFeatures(*args); });
  f->add_option("--features", args->preset, "Feature preset")
      ->check(CLI::IsMember({"logmel", "loggam"}))
      ->capture_default_str();
  f->add_option("inputs", args->inputs, "Audio files (any format libsndfile reads)")->required();
  f->add_option("-o,--output", args->output, "Output .npy file (one input)");
  f->add_option("--output-dir", args->output_dir, "Folder for INPUT-stem.npy files (several inputs; created if missing)");
  f->add_option("--segment-hop", args->segment_hop, "Frames between segment starts (default: 80, no overlap)");
  f->add_option("--cover-end", args->cover_end,
                "on: add a segment aligned to the end when the hop grid stops short of it (a model of the "
                "default recipe: --segment-hop 40 --cover-end on; default: off)")
      ->check(CLI::IsMember({"on", "off"}));
  f->add_flag("-q,--quiet", args->quiet, "Do not print the effective feature config");

  auto preset = std::make_shared<std::string>("logmel");
  auto output = std::make_shared<std::string>();
  CLI::App* b = AddCommand(app, "filterbank", "Write the filterbank weights [64, 1025] (float32 .npy)",
                           "ascnet filterbank --features loggam -o gammatone.npy",
                           [preset, output] { return RunFilterbank(*preset, *output); });
  b->add_option("--features", *preset, "Feature preset")
      ->check(CLI::IsMember({"logmel", "loggam"}))
      ->capture_default_str();
  b->add_option("-o,--output", *output, "Output .npy file")->required();
}

}  // namespace ascnet::cli
