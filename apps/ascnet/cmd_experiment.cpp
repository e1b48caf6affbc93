// `ascnet experiment`: the paper's protocol on a dataset (cache -> train -> calibrate ->
// evaluate -> fuse, every split), and `ascnet experiment merge` of finished splits.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/experiment/experiment.h"
#include "ascnet/experiment/plan.h"
#include "cli_common.h"
#include "commands.h"
#include "train_flags.h"

namespace ascnet::cli {
namespace fs = std::filesystem;
namespace {

struct ExperimentArgs {
  std::string dataset, archs = "attcrnn,cnn", features = "logmel,loggam", splits = "all", out, cache, settings;
  double svm_c = 0.1;
  bool quiet = false;
  TrainFlags train;
  std::vector<std::string> merge_dirs;
  std::string merge_out;
  CLI::App* experiment = nullptr;
  CLI::App* merge = nullptr;
  CLI::App* plan = nullptr;
  PlanOptions plan_options;
};

// The options of an experiment from its flags, or from --settings FILE (an experiment.json):
// then only the folder, split and cache flags may be given alongside.
ExperimentOptions OptionsFromArgs(const ExperimentArgs& a) {
  ExperimentOptions o;
  o.splits = a.splits;
  o.out_dir = a.out;
  o.cache_dir = a.cache;
  o.progress = !a.quiet;
  if (!a.settings.empty()) {
    for (const CLI::Option* opt : a.experiment->get_options()) {
      static const std::vector<std::string> kAllowed = {"--settings", "--out", "--splits", "--cache", "--quiet", "--config",
                                                        "--help"};
      if (opt->count() > 0 && std::find(kAllowed.begin(), kAllowed.end(), opt->get_name()) == kAllowed.end()) {
        throw ConfigError("--settings " + a.settings + " gives the whole recipe; " + opt->get_name() +
                          " cannot be given with it (only --out, --splits, --cache, --quiet)");
      }
    }
    LoadExperimentSettings(a.settings, &o);
    o.threads = o.train.threads > 0 ? o.train.threads : AllCores();
    return o;
  }
  o.dataset = a.dataset;
  o.archs = SplitList(a.archs);
  o.features = SplitList(a.features);
  o.attention_scale = a.train.attention_scale;
  o.train = a.train.Resolve();
  // --threads 0 = all cores, as the flag's help says.
  o.threads = a.train.threads > 0 ? a.train.threads : AllCores();
  o.calibration.C = a.svm_c;
  return o;
}

int RunPlan(ExperimentArgs& a) {
  PlanOptions p = a.plan_options;
  if (!a.settings.empty()) throw ConfigError("experiment plan: give the recipe as flags, not --settings");
  p.experiment = OptionsFromArgs(a);
  if (p.ascnet.empty()) p.ascnet = fs::read_symlink("/proc/self/exe").string();
  const Plan plan = WritePlan(p);
  std::cerr << p.ToString() << "\n";
  std::cout << "ascnet experiment plan: " << plan.splits.size() << " split(s) in " << plan.dir << "\n";
  for (const std::string& f : plan.files) std::cout << "  " << f << "\n";
  std::cout << "Submit to Slurm:      " << plan.submit << "\n"
            << "Or on this machine:   " << plan.parallel << "\n"
            << "Results then in:      " << fs::path(plan.dir).parent_path().string() << "/results.md\n";
  return 0;
}

int RunExperimentCommand(const ExperimentArgs& a) {
  const ExperimentOptions o = OptionsFromArgs(a);
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
  CLI::App* e = a->experiment = app.add_subcommand(
      "experiment",
      "Run the paper's protocol on a dataset: feature cache, between-class training, SVM calibration, "
      "segment and recording evaluation, Mel+Gammatone fusion, for every split; then results.json and a "
      "Markdown table like the paper's Tables 2 and 3. Interrupted runs resume; finished splits are reused.");
  e->footer(
      "Examples:\n"
      "  ascnet experiment --dataset csv:data/ambience/meta.csv --arch attcrnn,cnn --features logmel,loggam "
      "--out runs/ambience\n"
      "  ascnet experiment --dataset litis:/data/litis --splits 3 --preset paper --out runs/litis-split3\n"
      "  ascnet experiment merge runs/litis-split* -o runs/litis\n"
      "  ascnet experiment plan --dataset litis:/data/litis --preset paper --out runs/litis --cpus-per-task 8 && "
      "runs/litis/plan/submit.sh");
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
  e->add_option("--settings", a->settings,
                "Take the dataset, systems and recipe from an experiment.json (as the jobs of a plan do); only "
                "--out, --splits, --cache and --quiet may be given with it")
      ->check(CLI::ExistingFile);
  a->train.Add(e, ExperimentOptions().train.preset);

  a->merge = e->add_subcommand("merge", "Combine finished splits of experiment folders into one results table");
  a->merge->footer("Example:\n  ascnet experiment merge runs/litis-split1 runs/litis-split2 -o runs/litis");
  a->merge->add_option("dirs", a->merge_dirs, "Experiment folders (or results.json files)")->required();
  a->merge->add_option("-o,--out", a->merge_out, "Where to write results.json and results.md (default: the first folder)");
  a->merge->callback([a] { ExitCode() = RunGuarded("experiment merge", [a] { return RunMerge(*a); }); });

  a->plan = e->add_subcommand(
      "plan",
      "Write a cluster plan for this experiment: a Slurm job array (one task per split, --requeue, resuming from "
      "checkpoints) after a feature-cache job and before a merge job, plus the same for GNU parallel. Takes the "
      "experiment's flags (--dataset, --arch, --features, --splits, --out, --cache, recipe flags)");
  a->plan->fallthrough();
  a->plan->footer(
      "Example:\n"
      "  ascnet experiment plan --dataset csv:data/ambience/meta.csv --arch attcrnn,cnn --features logmel,loggam "
      "--out runs/ambience --cpus-per-task 2 && runs/ambience/plan/submit.sh");
  PlanOptions& po = a->plan_options;
  a->plan->add_option("--cpus-per-task", po.cpus_per_task, "Cores per job (also the recipe's --threads)")
      ->capture_default_str();
  a->plan->add_option("--gpus-per-task", po.gpus_per_task, "GPUs per split job (#SBATCH --gres=gpu:N; needs --device cuda)")
      ->capture_default_str();
  a->plan->add_option("--partition", po.partition, "Slurm partition (default: the cluster's)");
  a->plan->add_option("--account", po.account, "Slurm account (default: the user's)");
  a->plan->add_option("--time", po.time_limit, "Time limit per split job, [D-]HH:MM:SS")->capture_default_str();
  a->plan->add_option("--mem", po.mem, "Memory per job, e.g. 16G (default: the partition's)");
  a->plan->add_option("--sbatch-arg", po.sbatch_args, "Extra #SBATCH option for every job, verbatim (repeatable)");
  a->plan->add_option("--cache-shards", po.cache_shards,
                      "Split feature extraction into this many array tasks, assembled by one more job")
      ->capture_default_str();
  a->plan->add_option("--jobs", po.parallel_jobs, "parallel.sh: splits at a time")->capture_default_str();
  a->plan->add_option("--ascnet", po.ascnet, "The ascnet binary the jobs run (default: this one)");
  a->plan->callback([a] { ExitCode() = RunGuarded("experiment plan", [a] { return RunPlan(*a); }); });

  e->callback([a] {
    if (a->merge->parsed() || a->plan->parsed()) return;
    ExitCode() = RunGuarded("experiment", [a] { return RunExperimentCommand(*a); });
  });
}

}  // namespace ascnet::cli
