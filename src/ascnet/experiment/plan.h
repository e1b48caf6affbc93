// A run plan for a cluster: the experiment's splits as a Slurm job array (or a GNU parallel
// command line), with the feature cache built once before them and the merge after them.
//
// WritePlan fixes the settings in OUT/experiment.json (with absolute paths and the task's
// thread count, so every job gives the numbers a single process would) and writes, under
// OUT/plan/:
//   cache.sbatch            `ascnet cache build` for the experiment's features (one job, or
//                           an array of --cache-shards shards ...)
//   cache-assemble.sbatch   ... and then the job that assembles the shards into the pack
//   splits.sbatch           one array task per split, --requeue: a preempted or requeued task
//                           runs the same command again and resumes from its checkpoint
//   merge.sbatch            `ascnet experiment merge` of every split
//   submit.sh               submits them in order with --dependency=afterok and prints
//                           KEY=JOBID lines (cache, assemble, splits, merge)
//   parallel.sh             the same plan on one machine with GNU parallel
//   logs/                   the jobs' output (append mode: a requeued task keeps its history)
#pragma once

#include <string>
#include <vector>

#include "ascnet/experiment/experiment.h"

namespace ascnet {

struct PlanOptions {
  ExperimentOptions experiment;   ///< dataset, archs, features, splits, out_dir, cache_dir, recipe
  std::string ascnet;             ///< the ascnet binary the jobs run (absolute path; required)
  int cpus_per_task = 2;          ///< cores per job; also the recipe's threads (1..1024)
  int gpus_per_task = 0;          ///< > 0: "#SBATCH --gres=gpu:N" (the recipe's device must then be cuda)
  std::string partition;          ///< "" = the cluster's default partition
  std::string account;            ///< "" = the user's default account
  std::string time_limit = "24:00:00";  ///< per split job, Slurm's [D-]HH:MM:SS
  std::string mem;                ///< per job, e.g. "16G"; "" = the partition's default
  std::vector<std::string> sbatch_args;  ///< extra "#SBATCH" options for every job, verbatim
  int cache_shards = 1;           ///< > 1: the cache step is an array of this many shards + an assembly job
  int parallel_jobs = 2;          ///< parallel.sh: splits at a time (-j)

  void Validate() const;          ///< ConfigError naming the field and the expected value
  std::string ToString() const;
};

struct Plan {
  std::string dir;                  ///< OUT/plan
  std::vector<std::string> splits;  ///< split names, in array-index order
  std::vector<std::string> files;   ///< every file written
  std::string submit;               ///< OUT/plan/submit.sh
  std::string parallel;             ///< OUT/plan/parallel.sh
};

/// Loads the dataset (for its split names), prepares OUT (experiment.json) and writes the plan.
Plan WritePlan(const PlanOptions& options);

/// `s` quoted for a POSIX shell (single quotes unless it needs none).
std::string ShellQuote(const std::string& s);

}  // namespace ascnet
