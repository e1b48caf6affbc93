#include "ascnet/experiment/plan.h"

#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/data/dataset.h"
#include "ascnet/experiment/layout.h"

namespace ascnet {
namespace fs = std::filesystem;

namespace {

std::string Absolute(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

// "KIND:PATH" with PATH made absolute (jobs start in other folders).
std::string AbsoluteSpec(const std::string& spec) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) return spec;
  return spec.substr(0, colon + 1) + Absolute(spec.substr(colon + 1));
}

void WriteScript(Plan* plan, const std::string& name, const std::string& text) {
  const std::string path = (fs::path(plan->dir) / name).string();
  WriteFileAtomically(path, [&](std::ostream& os) { os << text; });
  ::chmod(path.c_str(), 0755);
  plan->files.push_back(path);
}

// The "#SBATCH" header shared by every job of the plan.
std::string Header(const PlanOptions& o, const std::string& job, const std::string& log, int cpus, bool gpus,
                   const std::string& time) {
  std::ostringstream os;
  os << "#!/bin/bash\n"
     << "#SBATCH --job-name=" << job << "\n"
     << "#SBATCH --output=" << log << "\n"
     << "#SBATCH --open-mode=append\n"
     << "#SBATCH --cpus-per-task=" << cpus << "\n"
     << "#SBATCH --time=" << time << "\n";
  if (!o.partition.empty()) os << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.account.empty()) os << "#SBATCH --account=" << o.account << "\n";
  if (!o.mem.empty()) os << "#SBATCH --mem=" << o.mem << "\n";
  if (gpus && o.gpus_per_task > 0) os << "#SBATCH --gres=gpu:" << o.gpus_per_task << "\n";
  for (const std::string& a : o.sbatch_args) os << "#SBATCH " << a << "\n";
  return os.str();
}

}  // namespace

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%") ==
                        std::string::npos) {
    return s;
  }
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void PlanOptions::Validate() const {
  experiment.Validate();
  if (ascnet.empty()) throw ConfigError("plan: the ascnet binary path is empty");
  if (cpus_per_task < 1 || cpus_per_task > 1024) {
    throw ConfigError("plan: --cpus-per-task = " + std::to_string(cpus_per_task) + " (expected 1..1024)");
  }
  if (gpus_per_task < 0 || gpus_per_task > 64) {
    throw ConfigError("plan: --gpus-per-task = " + std::to_string(gpus_per_task) + " (expected 0..64)");
  }
  if (gpus_per_task > 0 && experiment.train.device.rfind("cuda", 0) != 0) {
    throw ConfigError("plan: --gpus-per-task " + std::to_string(gpus_per_task) + " needs --device cuda (the recipe's device is " +
                      experiment.train.device + ")");
  }
  if (time_limit.empty() || time_limit.find_first_not_of("0123456789:-") != std::string::npos) {
    throw ConfigError("plan: --time = '" + time_limit + "' (expected Slurm's [D-]HH:MM:SS)");
  }
  if (cache_shards < 1 || cache_shards > 10000) {
    throw ConfigError("plan: --cache-shards = " + std::to_string(cache_shards) + " (expected 1..10000)");
  }
  if (parallel_jobs < 1) throw ConfigError("plan: --jobs = " + std::to_string(parallel_jobs) + " (expected >= 1)");
  for (const std::string& a : sbatch_args) {
    if (a.find('\n') != std::string::npos) throw ConfigError("plan: --sbatch-arg '" + a + "' contains a newline");
  }
}

std::string PlanOptions::ToString() const {
  std::ostringstream os;
  os << "PlanOptions(ascnet=" << ascnet << ", cpus_per_task=" << cpus_per_task << ", gpus_per_task=" << gpus_per_task
     << ", partition=" << (partition.empty() ? "(default)" : partition) << ", time=" << time_limit
     << ", mem=" << (mem.empty() ? "(default)" : mem) << ", cache_shards=" << cache_shards
     << ", parallel_jobs=" << parallel_jobs << ")";
  return os.str();
}

namespace {

/// The commands and paths every script of a plan uses, shell-quoted.
struct PlanCommands {
  std::string logs;   ///< the plan's log folder (not quoted)
  std::string cache;  ///< builds the feature cache (add --threads, --shard)
  std::string split;  ///< runs splits of the experiment (add --splits)
  std::string merge;  ///< merges the finished splits
  std::string names;  ///< the splits, quoted, space-separated
};

/// Step 1: settings every job shares (absolute paths, the task's threads fixed in the
/// recipe), the experiment folder prepared, and the splits the plan covers.
PlanOptions ResolvePlanOptions(const PlanOptions& options, Plan* plan) {
  PlanOptions o = options;
  ExperimentOptions& e = o.experiment;
  e.dataset = AbsoluteSpec(e.dataset);
  e.out_dir = Absolute(e.out_dir);
  e.cache_dir = Absolute(e.cache_dir.empty() ? ExperimentLayout(e.out_dir).DefaultCache() : e.cache_dir);
  e.train.threads = o.cpus_per_task;
  e.threads = o.cpus_per_task;
  o.ascnet = Absolute(o.ascnet);
  o.Validate();
  const Dataset ds = LoadDataset(e.dataset);
  for (int s : SelectSplits(ds, e.splits)) plan->splits.push_back(ds.splits[static_cast<size_t>(s)].name);
  PrepareExperimentFolder(e);
  return o;
}

PlanCommands MakePlanCommands(const PlanOptions& o, const Plan& plan) {
  const ExperimentOptions& e = o.experiment;
  const ExperimentLayout layout(e.out_dir);
  PlanCommands c;
  c.logs = layout.PlanLogs();
  std::error_code ec;
  fs::create_directories(c.logs, ec);
  if (ec) throw IoError(WithPath(c.logs, "cannot create the plan's log folder (" + ec.message() + ")"));
  const std::string bin = ShellQuote(o.ascnet);
  const std::string settings = ShellQuote(layout.Settings());
  const std::string out = ShellQuote(e.out_dir), cache = ShellQuote(e.cache_dir);
  c.cache = bin + " cache build --settings " + settings + " --cache " + cache;
  c.split = bin + " experiment --settings " + settings + " --out " + out + " --cache " + cache;
  c.merge = bin + " experiment merge " + out + " -o " + out;
  for (const std::string& s : plan.splits) c.names += (c.names.empty() ? "" : " ") + ShellQuote(s);
  return c;
}

/// Slurm: the feature cache (one job, or shards then an assembly job).
void WriteCacheJobs(const PlanOptions& o, const PlanCommands& c, Plan* plan) {
  std::ostringstream os;
  const bool sharded = o.cache_shards > 1;
  const std::string threads = " --threads \"${SLURM_CPUS_PER_TASK:-" + std::to_string(o.cpus_per_task) + "}\"";
  os << Header(o, "ascnet-cache", c.logs + (sharded ? "/cache-%A_%a.log" : "/cache-%j.log"), o.cpus_per_task, false,
               o.time_limit);
  if (sharded) os << "#SBATCH --array=1-" << o.cache_shards << "\n";
  os << "# The feature cache of every feature type, built once before the splits run.\nset -euo pipefail\n"
     << "exec " << c.cache << threads
     << (sharded ? " --shard \"$SLURM_ARRAY_TASK_ID/" + std::to_string(o.cache_shards) + "\"" : "") << "\n";
  WriteScript(plan, "cache.sbatch", os.str());
  if (!sharded) return;
  std::ostringstream as;
  as << Header(o, "ascnet-cache-assemble", c.logs + "/cache-assemble-%j.log", o.cpus_per_task, false, o.time_limit)
     << "# Assembles the shards' item files into the pack.\nset -euo pipefail\n"
     << "exec " << c.cache << threads << "\n";
  WriteScript(plan, "cache-assemble.sbatch", as.str());
}

/// Slurm: one array task per split (requeued tasks resume), then the merge.
void WriteSplitAndMergeJobs(const PlanOptions& o, const PlanCommands& c, Plan* plan) {
  std::ostringstream os;
  os << Header(o, "ascnet-splits", c.logs + "/split-%A_%a.log", o.cpus_per_task, true, o.time_limit)
     << "#SBATCH --array=0-" << plan->splits.size() - 1 << "\n"
     << "#SBATCH --requeue\n"
     << "# One split per array task. Requeued or preempted, the task runs this again and the\n"
     << "# experiment resumes from the split's checkpoint; a finished split is not recomputed.\n"
     << "set -euo pipefail\n"
     << "SPLITS=(" << c.names << ")\n"
     << "split=\"${SPLITS[$SLURM_ARRAY_TASK_ID]}\"\n"
     << "echo \"[plan] split $split: job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname), "
        "restart ${SLURM_RESTART_COUNT:-0}\"\n"
     << "exec " << c.split << " --splits \"$split\"\n";
  WriteScript(plan, "splits.sbatch", os.str());
  std::ostringstream ms;
  ms << Header(o, "ascnet-merge", c.logs + "/merge-%j.log", 1, false, "01:00:00")
     << "# Every split finished (afterok): one results.json and results.md for all of them.\n"
     << "set -euo pipefail\nexec " << c.merge << "\n";
  WriteScript(plan, "merge.sbatch", ms.str());
}

/// Slurm: submit.sh, each job after the previous finished successfully.
void WriteSubmitScript(const PlanOptions& o, Plan* plan) {
  std::ostringstream os;
  os << "#!/bin/bash\n"
     << "# Submits the plan (ascnet experiment plan): the feature cache, then the split array, then the\n"
     << "# merge, each after the previous finished successfully. Prints KEY=JOBID lines.\n"
     << "set -euo pipefail\ncd \"$(dirname \"$0\")\"\n"
     << "id() { local x; x=$(sbatch --parsable \"$@\"); echo \"${x%%;*}\"; }\n"
     << "cache=$(id cache.sbatch)\necho \"cache=$cache\"\n"
     << "after=$cache\n";
  if (o.cache_shards > 1) {
    os << "assemble=$(id --dependency=afterok:$cache cache-assemble.sbatch)\necho \"assemble=$assemble\"\n"
       << "after=$assemble\n";
  }
  os << "splits=$(id --dependency=afterok:$after splits.sbatch)\necho \"splits=$splits\"\n"
     << "merge=$(id --dependency=afterok:$splits merge.sbatch)\necho \"merge=$merge\"\n";
  WriteScript(plan, "submit.sh", os.str());
  plan->submit = plan->files.back();
}

/// The same on one machine with GNU parallel.
void WriteParallelScript(const PlanOptions& o, const PlanCommands& c, Plan* plan) {
  std::ostringstream os;
  os << "#!/bin/bash\n"
     << "# The plan on one machine: the feature cache, then " << plan->splits.size() << " split(s), "
     << o.parallel_jobs << " at a time (GNU parallel; --resume-failed re-runs only the failed ones), then the merge.\n"
     << "set -euo pipefail\n"
     << c.cache << " --threads " << o.cpus_per_task * o.parallel_jobs << "\n"
     << "printf '%s\\n' " << c.names << " | parallel -j " << o.parallel_jobs << " --joblog "
     << ShellQuote(c.logs + "/parallel.log") << " \"$@\" " << c.split << " --quiet --splits {}\n"
     << c.merge << "\n";
  WriteScript(plan, "parallel.sh", os.str());
  plan->parallel = plan->files.back();
}

}  // namespace

Plan WritePlan(const PlanOptions& options) {
  Plan plan;
  const PlanOptions o = ResolvePlanOptions(options, &plan);
  plan.dir = ExperimentLayout(o.experiment.out_dir).PlanDir();
  const PlanCommands commands = MakePlanCommands(o, plan);
  WriteCacheJobs(o, commands, &plan);
  WriteSplitAndMergeJobs(o, commands, &plan);
  WriteSubmitScript(o, &plan);
  WriteParallelScript(o, commands, &plan);
  return plan;
}

}  // namespace ascnet
