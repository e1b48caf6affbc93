// `ascnet cache build`: the feature cache of a dataset, built (or verified and completed)
// once as its own step, optionally as one shard of several jobs; `experiment` and `train`
// then only read it.
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include "ascnet/core/error.h"
#include "ascnet/data/feature_cache.h"
#include "ascnet/experiment/experiment.h"
#include "cli_common.h"
#include "commands.h"
#include "train_flags.h"

namespace ascnet::cli {
namespace {

struct CacheArgs {
  std::string dataset, features = "logmel,loggam", cache, settings, shard;
  bool quiet = false;
  TrainFlags train;  // the recipe's window layout is part of each feature config
  CLI::App* build = nullptr;
};

// "K/N" (1 <= K <= N) -> {K-1, N}.
std::pair<int, int> ParseShard(const std::string& s) {
  int k = 0, n = 0;
  char slash = 0;
  std::istringstream is(s);
  if (!(is >> k >> slash >> n) || slash != '/' || !is.eof() || n < 1 || k < 1 || k > n) {
    throw ConfigError("--shard '" + s + "' (expected K/N with 1 <= K <= N, e.g. 2/8)");
  }
  return {k - 1, n};
}

int RunCacheBuild(const CacheArgs& a) {
  if (a.cache.empty()) throw ConfigError("cache build: --cache is required (the folder the experiments will share)");
  ExperimentOptions o;
  if (!a.settings.empty()) {
    if (!a.dataset.empty()) throw ConfigError("cache build: --settings gives the dataset; --dataset cannot be given with it");
    LoadExperimentSettings(a.settings, &o);
  } else {
    if (a.dataset.empty()) throw ConfigError("cache build: --dataset (or --settings) is required");
    o.dataset = a.dataset;
    o.features = SplitList(a.features);
    o.train = a.train.Resolve();
  }
  o.cache_dir = a.cache;
  o.threads = a.train.threads > 0 ? a.train.threads : AllCores();
  o.progress = !a.quiet;
  const bool sharded = !a.shard.empty();
  const std::pair<int, int> shard = sharded ? ParseShard(a.shard) : std::pair<int, int>{0, 1};
  const Dataset ds = LoadDataset(o.dataset);
  const CacheOptions co = ExperimentCacheOptions(o);
  std::cerr << co.ToString() << "\n";
  int failures = 0;
  for (const std::string& f : o.features) {
    const FeatureConfig config = o.train.Features(f);
    if (sharded) {
      const CacheShardResult r = FeatureCache::BuildShard(ds, config, co, shard.first, shard.second);
      std::cout << "cache build: " << f << " shard " << shard.first + 1 << "/" << shard.second << ": " << r.items
                << " items, " << r.extracted << " extracted now, " << r.already_done << " already done (pack "
                << r.pack_path << ", assembled by the next build without --shard)" << std::endl;
      continue;
    }
    const FeatureCache c = FeatureCache::Build(ds, config, co);
    for (const CacheFailure& fail : c.failures()) {
      std::cerr << "cache build: warning: skipped (cannot be decoded): " << fail.error << std::endl;
      ++failures;
    }
    std::cout << "cache build: " << f << ": " << c.num_items() << " items, " << c.num_segments() << " segments, "
              << c.extracted() << " extracted now, " << c.from_item_files() << " from shards, "
              << c.num_items() - c.extracted() - c.from_item_files() << " already cached -> " << c.pack_path()
              << std::endl;
  }
  return 0;
}

}  // namespace

void RegisterCache(CLI::App& app) {
  auto a = std::make_shared<CacheArgs>();
  CLI::App* c = app.add_subcommand("cache", "Feature caches shared by experiments and jobs");
  c->require_subcommand(1);
  CLI::App* b = a->build = c->add_subcommand(
      "build",
      "Build (or verify and complete) the feature cache of a dataset once, with progress, before experiments or "
      "cluster jobs read it. A job that finds the cache being built waits for it; a build left by a dead job is "
      "taken over. --shard K/N extracts only a share of the items, for N jobs; the next build without --shard "
      "(or the first experiment) assembles them.");
  b->footer(
      "Examples:\n"
      "  ascnet cache build --dataset csv:data/ambience/meta.csv --features logmel,loggam --cache runs/cache\n"
      "  ascnet cache build --settings runs/ambience/experiment.json --cache runs/cache --shard 2/4");
  AddConfigOption(b);
  b->add_option("--dataset", a->dataset, "Dataset spec KIND:PATH (as for `ascnet experiment`)");
  b->add_option("--features", a->features, "Feature presets, comma-separated (logmel, loggam)")->capture_default_str();
  b->add_option("--cache", a->cache, "Cache folder (pass the same to `ascnet experiment --cache`)")->required();
  b->add_option("--settings", a->settings, "Take the dataset, features and recipe from an experiment.json")
      ->check(CLI::ExistingFile);
  b->add_option("--shard", a->shard, "Build only shard K of N (1-based), e.g. 2/8");
  b->add_flag("-q,--quiet", a->quiet, "No progress output");
  // The recipe flags of `experiment` (its window layout decides the feature config), so that an
  // experiment's command line builds the cache that experiment will read.
  a->train.Add(b, ExperimentOptions().train.preset);
  b->callback([a] { ExitCode() = RunGuarded("cache build", [a] { return RunCacheBuild(*a); }); });
}

}  // namespace ascnet::cli
