// `ascnet info`: describe an architecture (--arch) or a model bundle file.
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/text.h"
#include "ascnet/model/arch.h"
#include "ascnet/model/bundle_info.h"
#include "ascnet/model/complexity.h"
#include "ascnet/train/options.h"
#include "cli_common.h"
#include "commands.h"

namespace ascnet::cli {
namespace {

struct InfoArgs {
  std::string bundle;
  std::string arch;
  int classes = 19;
  std::string attention_scale;  ///< "" = the paper recipe's (TrainOptions(), WithRecipeArch)
  std::string features = "logmel";
};

int RunInfo(const InfoArgs& a) {
  if (a.bundle.empty() == a.arch.empty()) {
    PrintError("info", "give either a BUNDLE file or --arch " + Join(ArchConfig::KindNames(), "|") + " (not both)");
    return 1;
  }
  if (!a.arch.empty()) {
    const ArchConfig c = WithRecipeArch(ArchConfig::Preset(a.arch, a.classes), TrainOptions(),
                                                  a.attention_scale);
    std::cout << c.ToString() << "\n\n" << FormatArchitecture(c) << "\n"
              << ComputeComplexity(c, FeatureConfig::Preset(a.features)).ToString();
    return 0;
  }
  BundleSummary s;
  try {
    s = InspectBundle(a.bundle);
  } catch (const Error& e) {
    PrintError("info", e.what());  // "<file>: <part>: <problem>"
    return 1;
  }
  std::cout << "bundle: " << a.bundle << "\n"
            << "format: ascnet model bundle version " << s.version << " (header " << s.header_bytes
            << " bytes, tensors " << s.tensor_bytes << " bytes)\n\n"
            << s.arch.ToString() << "\n\n"
            << s.features.ToString() << "\n\n"
            << "labels (" << s.labels.size() << "):";
  for (size_t i = 0; i < s.labels.size(); ++i) std::cout << (i % 8 == 0 ? "\n  " : " ") << s.labels[i];
  std::cout << "\n\nnormalisation: " << s.normalisation.Summary() << "\n"
            << "calibration: " << (s.calibration.is_null() ? "absent" : "present") << "\n";
  if (!s.calibration.is_null()) {
    std::cout << "  keys:";
    for (auto it = s.calibration.begin(); it != s.calibration.end(); ++it) std::cout << " " << it.key();
    std::cout << "\n";
  }
  if (!s.metadata.is_null()) std::cout << "metadata: " << s.metadata.dump() << "\n";
  std::cout << "\n" << FormatArchitecture(s.arch);
  if (s.parameters != CountParameters(s.arch)) {
    std::cout << "parameters (loaded network): " << s.parameters << "\n";
  }
  std::cout << "\n" << ComputeComplexity(s.arch, s.features).ToString();
  return 0;
}

}  // namespace

void RegisterInfo(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub = AddCommand(app, "info",
                             "Describe a model bundle (format, architecture, features, labels, normalisation, "
                             "calibration, parameter count) or, with --arch, an architecture",
                             "ascnet info --arch attcrnn --classes 19", [args]() { return RunInfo(*args); });
  sub->add_option("bundle", args->bundle, "model bundle file (.ascnet)");
  sub->add_option("--arch", args->arch, "describe this architecture instead of a bundle")
      ->check(CLI::IsMember(ArchConfig::KindNames()));
  sub->add_option("--classes", args->classes, "number of classes for --arch")->check(CLI::Range(2, 100000));
  sub->add_option("--attention-scale", args->attention_scale, "attention scale for --arch")
      ->check(CLI::IsMember(ArchConfig::ScaleNames()));
  sub->add_option("--features", args->features,
                  "feature preset whose front end and windows the complexity of --arch is counted with")
      ->check(CLI::IsMember({"logmel", "loggam"}))
      ->capture_default_str();
}

}  // namespace ascnet::cli
