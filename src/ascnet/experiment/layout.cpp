#include "ascnet/experiment/layout.h"

#include <algorithm>
#include <filesystem>

#include "ascnet/core/error.h"
#include "ascnet/train/run_files.h"

namespace ascnet {
namespace fs = std::filesystem;

namespace {
std::string Join(const std::string& a, const std::string& b) { return (fs::path(a) / b).string(); }

// Sub-folders of `dir`, sorted by name (none if it is not a folder).
std::vector<fs::path> SortedSubfolders(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

std::string ExperimentLayout::Settings() const { return Join(root_, "experiment.json"); }
std::string ExperimentLayout::Results() const { return Join(root_, "results.json"); }
std::string ExperimentLayout::ResultsMarkdown() const { return Join(root_, "results.md"); }
std::string ExperimentLayout::DefaultCache() const { return Join(root_, "cache"); }
std::string ExperimentLayout::PlanDir() const { return Join(root_, "plan"); }
std::string ExperimentLayout::PlanLogs() const { return Join(PlanDir(), "logs"); }
std::string ExperimentLayout::SplitsDir() const { return Join(root_, "splits"); }
std::string ExperimentLayout::SplitDir(const std::string& split) const { return Join(SplitsDir(), split); }
std::string ExperimentLayout::SplitResult(const std::string& split) const { return Join(SplitDir(split), "result.json"); }
std::string ExperimentLayout::SplitRuns(const std::string& split) const { return Join(SplitDir(split), "runs.json"); }
std::string ExperimentLayout::FusionTsv(const std::string& split, const std::string& arch, bool softmax) const {
  return Join(SplitDir(split), arch + (softmax ? "-fusion-softmax.tsv" : "-fusion.tsv"));
}
std::string ExperimentLayout::SystemName(const std::string& arch, const std::string& features) {
  return arch + "-" + features;
}
std::pair<std::string, std::string> ExperimentLayout::SplitSystemName(const std::string& name) {
  const size_t dash = name.find('-');
  if (dash == std::string::npos) return {name, ""};
  return {name.substr(0, dash), name.substr(dash + 1)};
}
std::string ExperimentLayout::SystemDir(const std::string& split, const std::string& arch,
                                        const std::string& features) const {
  return Join(SplitDir(split), SystemName(arch, features));
}
std::string ExperimentLayout::Predictions(const std::string& system_dir) { return Join(system_dir, "predictions.json"); }
std::string ExperimentLayout::PredictionsTsv(const std::string& system_dir, bool softmax) {
  return Join(system_dir, softmax ? "predictions-softmax.tsv" : "predictions.tsv");
}

std::vector<std::string> ExperimentLayout::FinishedSplitResults() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const fs::path& s : SortedSubfolders(SplitsDir())) {
    const std::string r = SplitResult(s.filename().string());
    if (fs::exists(r, ec)) out.push_back(r);
  }
  return out;
}

std::vector<SystemFolder> ExperimentLayout::SystemFolders() const {
  std::vector<SystemFolder> out;
  std::error_code ec;
  for (const fs::path& s : SortedSubfolders(SplitsDir())) {
    for (const fs::path& r : SortedSubfolders(s.string())) {
      const std::string d = r.string();
      if (!fs::exists(LogJsonPath(d), ec) && !fs::exists(Predictions(d), ec) && !fs::exists(BundlePath(d), ec)) continue;
      const std::string name = r.filename().string();
      const auto [arch, features] = SplitSystemName(name);
      out.push_back({s.filename().string(), name, arch, features, d});
    }
  }
  return out;
}

std::string ExperimentLayout::ModelListing() const {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) throw IoError(WithPath(root_, "no such folder"));
  std::string out;
  for (const SystemFolder& f : SystemFolders()) {
    const std::string bundle = BundlePath(f.dir);
    if (fs::exists(bundle, ec)) out += f.split + "\t" + f.name + "\t" + bundle + "\n";
  }
  return out;
}

}  // namespace ascnet
