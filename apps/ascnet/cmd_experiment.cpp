// `ascnet experiment`: the paper's protocol on a dataset (cache -> train -> calibrate ->
// evaluate -> fuse, every split), and `ascnet experiment merge` of finished splits.
#include <algorithm>
#include <iostream>
#include <thread>
#include <sstream>

#include "ascnet/experiment/experiment.h"
#include "cli_common.h"
#include "commands.h"
#include "train_flags.h"

namespace ascnet::cli {
namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (!tok.empty()) out.push_back(tok);
  }
  return out;
}

struct ExperimentArgs {
  std::string dataset, archs = "attcrnn,cnn", features = "logmel,loggam", splits = "all", out, cache;
  double svm_c = 0.1;
  bool quiet = false;
  TrainFlags train;
  std::vector<std::string> merge_dirs;
  std::string merge_out;
  CLI::App* merge = nullptr;
};

int RunExperimentCommand(const ExperimentArgs& a) {
  ExperimentOptions o;
  o.dataset = a.dataset;
  o.archs = SplitList(a.archs);
  o.features = SplitList(a.features);
  o.splits = a.splits;
  o.out_dir = a.out;
  o.cache_dir = a.cache;
  o.attention_scale = a.train.attention_scale;
  o.train = a.train.Resolve();
  // --threads 0 = all cores, as the flag's help says.
  o.threads = a.train.threads > 0 ? a.train.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.calibration.C = a.svm_c;
  o.progress = !a.quiet;
  const ExperimentResults r = RunExperiment(o);
  std::cout << ResultsMarkdown(r);
  return 0;
}

int RunMerge(const ExperimentArgs& a) {
  const std::string out = a.merge_out.empty() ? a.merge_dirs.front() : a.merge_out;
  const ExperimentResults r = MergeExperiments(a.merge_dirs, out);
  std::cerr << "ascnet experiment merge: " << r.splits.size() << " split(s) -> " << out << "/results.md" << std::endl;
  std::cout << ResultsMarkdown(r);
  return 0;
}

}  // namespace

void RegisterExperiment(CLI::App& app) {
  auto a = std::make_shared<ExperimentArgs>();
  CLI::App* e = app.add_subcommand(
      "experiment",
      "Run the paper's protocol on a dataset: feature cache, between-class training, SVM calibration, "
      "segment and recording evaluation, Mel+Gammatone fusion, for every split; then results.json and a "
      "Markdown table like the paper's Tables 2 and 3. Interrupted runs resume; finished splits are reused.");
  e->footer(
      "Examples:\n"
      "  ascnet experiment --dataset csv:data/ambience/meta.csv --arch attcrnn,cnn --features logmel,loggam "
      "--out runs/ambience\n"
      "  ascnet experiment --dataset litis:/data/litis --splits 3 --preset paper --out runs/litis-split3\n"
      "  ascnet experiment merge runs/litis-split* -o runs/litis");
  AddConfigOption(e);
  e->add_option("--dataset", a->dataset, "Dataset spec KIND:PATH (csv, folder, esc50, litis, dcase2016, dcase2017, "
                                         "tau2019, urbansound8k)");
  e->add_option("--arch", a->archs, "Architectures, comma-separated (attcrnn, cnn)")->capture_default_str();
  e->add_option("--features", a->features, "Feature presets, comma-separated (logmel, loggam)")->capture_default_str();
  e->add_option("--splits", a->splits, "all, or split numbers/names/ranges such as 1,3 or fold2 or 2-4")
      ->capture_default_str();
  e->add_option("--out", a->out, "Experiment folder (created; reused to resume)");
  e->add_option("--cache", a->cache, "Feature cache folder (default: OUT/cache; share it between experiments)");
  e->add_option("--svm-c", a->svm_c, "Linear SVM regularisation C")->capture_default_str();
  e->add_flag("-q,--quiet", a->quiet, "No progress output");
  a->train.Add(e, ExperimentOptions().train.preset);

  a->merge = e->add_subcommand("merge", "Combine finished splits of experiment folders into one results table");
  a->merge->footer("Example:\n  ascnet experiment merge runs/litis-split1 runs/litis-split2 -o runs/litis");
  a->merge->add_option("dirs", a->merge_dirs, "Experiment folders (or results.json files)")->required();
  a->merge->add_option("-o,--out", a->merge_out, "Where to write results.json and results.md (default: the first folder)");
  a->merge->callback([a] { ExitCode() = RunGuarded("experiment merge", [a] { return RunMerge(*a); }); });

  e->callback([a] {
    if (a->merge->parsed()) return;
    ExitCode() = RunGuarded("experiment", [a] { return RunExperimentCommand(*a); });
  });
}

}  // namespace ascnet::cli
