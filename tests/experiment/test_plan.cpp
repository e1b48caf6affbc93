// Cluster plans (experiment/plan.h), experiment settings files, and the `cache build`,
// `experiment --settings` and `experiment plan` commands. The plan on a real Slurm is
// scripts/test-slurm (CTest: scripts.slurm).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/experiment/layout.h"
#include "ascnet/experiment/plan.h"
#include "ascnet/train/run_files.h"
#include "common/cli_runner.h"
#include "experiment/small_experiment.h"
#include "common/tone_dataset.h"

using namespace ascnet;
using namespace ascnet::test;
using ascnet::testing::MakeToneDataset;  // common/tone_dataset.h
namespace fs = std::filesystem;

namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

PlanOptions SmallPlan(const fs::path& dir) {
  PlanOptions p;
  p.experiment = SmallExperimentOptions(MakeToneDataset(dir / "data"), dir / "exp", dir / "cache", "all");
  p.ascnet = "/opt/ascnet/bin/ascnet";
  p.cpus_per_task = 3;
  return p;
}

}  // namespace

TEST(ExperimentSettings, RoundTripAndErrorsNameTheFileAndField) {
  ExperimentOptions a = SmallExperimentOptions("csv:x/meta.csv", "out", "cache", "all");
  a.train.weight_decay = 0.25;
  a.attention_scale = "row1";
  const nlohmann::json j = ExperimentSettingsJson(a);
  ExperimentOptions b;
  ApplyExperimentSettings(j, "exp/experiment.json", &b);
  EXPECT_EQ(ExperimentSettingsJson(b), j);
  EXPECT_EQ(b.archs, a.archs);
  EXPECT_EQ(b.train.weight_decay, 0.25);
  nlohmann::json broken = j;
  broken.erase("features");
  try {
    ApplyExperimentSettings(broken, "exp/experiment.json", &b);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), "exp/experiment.json")) << e.what();
    EXPECT_TRUE(Contains(e.what(), "features")) << e.what();
  }
  broken = j;
  broken["train"].erase("seed");
  EXPECT_THROW(ApplyExperimentSettings(broken, "exp/experiment.json", &b), ConfigError);
}

// A folder made by an earlier version, whose experiment.json lacks fields added since (they
// read with their defaults), is the same experiment; a real difference is still refused.
TEST(ExperimentSettings, FolderFromAnEarlierVersionResumesARealDifferenceIsRefused) {
  const fs::path dir = TempDir("settings_upgrade");
  ExperimentOptions o = SmallExperimentOptions("csv:x/meta.csv", dir / "exp", dir / "cache", "all");
  PrepareExperimentFolder(o);
  const std::string path = ExperimentLayout((dir / "exp").string()).Settings();
  nlohmann::json old = nlohmann::json::parse(ReadFile(path));
  old["train"].erase("tilt_db");  // as written before the option existed
  old["train"].erase("freq_shift_bands");
  WriteFileAtomically(path, [&](std::ostream& os) { os << old.dump(2) << "\n"; });
  EXPECT_NO_THROW(PrepareExperimentFolder(o));
  o.train.seed = 7;
  try {
    PrepareExperimentFolder(o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), "train differ")) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Plan, WritesTheSlurmChainAndFixesTheSettings) {
  const fs::path dir = TempDir("plan");
  const Plan plan = WritePlan(SmallPlan(dir));
  EXPECT_EQ(plan.splits, (std::vector<std::string>{"fold1", "fold2", "fold3"}));
  for (const char* f : {"cache.sbatch", "splits.sbatch", "merge.sbatch", "submit.sh", "parallel.sh"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir / "exp/plan" / f).c_str(), &st), 0) << f;
    EXPECT_TRUE(st.st_mode & S_IXUSR) << f << " is not executable";
  }
  EXPECT_FALSE(fs::exists(dir / "exp/plan/cache-assemble.sbatch"));
  EXPECT_TRUE(fs::is_directory(dir / "exp/plan/logs")) << "Slurm does not create --output folders";
  // Every job reads the same settings: absolute dataset path, the task's threads.
  const nlohmann::json s = nlohmann::json::parse(ReadFile((dir / "exp/experiment.json").string()));
  EXPECT_EQ(s["dataset"], "csv:" + (dir / "data/meta.csv").string());
  EXPECT_EQ(s["train"]["threads"], 3);
  const std::string splits = ReadFile((dir / "exp/plan/splits.sbatch").string());
  EXPECT_TRUE(Contains(splits, "#SBATCH --array=0-2\n")) << splits;
  EXPECT_TRUE(Contains(splits, "#SBATCH --requeue\n"));
  EXPECT_TRUE(Contains(splits, "#SBATCH --cpus-per-task=3\n"));
  EXPECT_TRUE(Contains(splits, "#SBATCH --open-mode=append\n"));
  EXPECT_TRUE(Contains(splits, "SPLITS=(fold1 fold2 fold3)"));
  EXPECT_TRUE(Contains(splits, "/opt/ascnet/bin/ascnet experiment --settings " + (dir / "exp/experiment.json").string()));
  EXPECT_TRUE(Contains(splits, "--cache " + (dir / "cache").string()));
  EXPECT_FALSE(Contains(splits, "--gres")) << "no GPUs asked for";
  const std::string cache = ReadFile((dir / "exp/plan/cache.sbatch").string());
  EXPECT_TRUE(Contains(cache, "ascnet cache build --settings ")) << cache;
  EXPECT_FALSE(Contains(cache, "--array"));
  const std::string merge = ReadFile((dir / "exp/plan/merge.sbatch").string());
  EXPECT_TRUE(Contains(merge, "experiment merge " + (dir / "exp").string() + " -o " + (dir / "exp").string())) << merge;
  const std::string submit = ReadFile(plan.submit);
  EXPECT_TRUE(Contains(submit, "cache=$(id cache.sbatch)")) << submit;
  EXPECT_TRUE(Contains(submit, "splits=$(id --dependency=afterok:$after splits.sbatch)"));
  EXPECT_TRUE(Contains(submit, "merge=$(id --dependency=afterok:$splits merge.sbatch)"));
  const std::string par = ReadFile(plan.parallel);
  EXPECT_TRUE(Contains(par, "printf '%s\\n' fold1 fold2 fold3 | parallel -j 2")) << par;
  // The plan's own settings match: a second plan into the same folder is fine, other settings are not.
  EXPECT_NO_THROW(WritePlan(SmallPlan(dir)));
  PlanOptions other = SmallPlan(dir);
  other.cpus_per_task = 4;
  EXPECT_THROW(WritePlan(other), ConfigError);
  fs::remove_all(dir);
}

TEST(Plan, ShardsGpusAndBadOptions) {
  const fs::path dir = TempDir("plan_opts");
  PlanOptions p = SmallPlan(dir);
  p.cache_shards = 4;
  p.gpus_per_task = 1;
  EXPECT_THROW(WritePlan(p), ConfigError) << "GPUs with a CPU recipe";
  p.experiment.train.device = "cuda";
  p.partition = "gpu";
  p.sbatch_args = {"--constraint=a100"};
  WritePlan(p);
  const std::string cache = ReadFile((dir / "exp/plan/cache.sbatch").string());
  EXPECT_TRUE(Contains(cache, "#SBATCH --array=1-4\n")) << cache;
  EXPECT_TRUE(Contains(cache, "--shard \"$SLURM_ARRAY_TASK_ID/4\"")) << cache;
  EXPECT_FALSE(Contains(cache, "--gres"));
  EXPECT_TRUE(Contains(cache, "#SBATCH --partition=gpu\n#SBATCH --gres") == false);
  EXPECT_TRUE(fs::exists(dir / "exp/plan/cache-assemble.sbatch"));
  const std::string splits = ReadFile((dir / "exp/plan/splits.sbatch").string());
  EXPECT_TRUE(Contains(splits, "#SBATCH --gres=gpu:1\n")) << splits;
  EXPECT_TRUE(Contains(splits, "#SBATCH --partition=gpu\n"));
  EXPECT_TRUE(Contains(splits, "#SBATCH --constraint=a100\n"));
  const std::string submit = ReadFile((dir / "exp/plan/submit.sh").string());
  EXPECT_TRUE(Contains(submit, "assemble=$(id --dependency=afterok:$cache cache-assemble.sbatch)")) << submit;
  for (auto bad : std::vector<std::function<void(PlanOptions&)>>{
           [](PlanOptions& o) { o.cpus_per_task = 0; }, [](PlanOptions& o) { o.time_limit = "one day"; },
           [](PlanOptions& o) { o.cache_shards = 0; }, [](PlanOptions& o) { o.sbatch_args = {"a\nb"}; }}) {
    PlanOptions q = SmallPlan(dir / "bad");
    bad(q);
    EXPECT_THROW(q.Validate(), ConfigError);
  }
  EXPECT_EQ(ShellQuote("/a/b-c.d"), "/a/b-c.d");
  EXPECT_EQ(ShellQuote("it's here"), "'it'\\''s here'");
  fs::remove_all(dir);
}

TEST(PlanCli, SettingsPlanAndCacheBuild) {
  const fs::path dir = TempDir("plan_cli");
  const std::string ds = MakeToneDataset(dir / "data");
  CliResult r = RunCli("experiment plan --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(Contains(r.out, "ascnet experiment plan --dataset")) << r.out;
  r = RunCli("experiment plan --dataset " + ds + " --arch cnn --features logmel --steps 3 --out " +
             (dir / "exp").string() + " --cpus-per-task 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "3 split(s)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "submit.sh")) << r.out;
  const std::string settings = (dir / "exp/experiment.json").string();
  // --settings carries the whole recipe: recipe flags beside it are refused.
  r = RunCli("experiment --settings " + settings + " --out " + (dir / "exp").string() + " --preset fast");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "--preset cannot be given")) << r.err;
  // cache build: a shard, then the assembly, then a cached no-op.
  const std::string cache = (dir / "cache").string();
  r = RunCli("cache build --settings " + settings + " --cache " + cache + " --shard 2/3 -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "logmel shard 2/3: 6 items, 6 extracted now")) << r.out;
  r = RunCli("cache build --settings " + settings + " --cache " + cache + " -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "logmel: 18 items")) << r.out;
  EXPECT_TRUE(Contains(r.out, "12 extracted now, 6 from shards, 0 already cached")) << r.out;
  r = RunCli("cache build --dataset " + ds + " --features logmel --cache " + cache + " -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "0 extracted now, 0 from shards, 18 already cached")) << r.out
      << "the same recipe flags give the same cache as the settings";
  r = RunCli("cache build --dataset " + ds + " --cache " + cache + " --shard 4/3");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "--shard '4/3'")) << r.err;
  r = RunCli("cache build --settings " + settings + " --dataset " + ds + " --cache " + cache);
  EXPECT_EQ(r.code, 1);
  fs::remove_all(dir);
}

TEST(ExperimentLayout, NamesEveryFileAndFindsFinishedSplitsAndSystems) {
  const fs::path dir = TempDir("layout");
  const ExperimentLayout l(dir.string());
  EXPECT_EQ(l.Settings(), (dir / "experiment.json").string());
  EXPECT_EQ(l.SplitResult("fold2"), (dir / "splits/fold2/result.json").string());
  EXPECT_EQ(l.SystemDir("fold2", "cnn", "loggam"), (dir / "splits/fold2/cnn-loggam").string());
  EXPECT_EQ(l.FusionTsv("fold2", "cnn", true), (dir / "splits/fold2/cnn-fusion-softmax.tsv").string());
  EXPECT_EQ(ExperimentLayout::PredictionsTsv("x", false), "x/predictions.tsv");
  EXPECT_TRUE(l.FinishedSplitResults().empty()) << "no splits folder: nothing finished";
  fs::create_directories(dir / "splits/fold2/cnn-logmel");
  fs::create_directories(dir / "splits/fold1/attcrnn-logmel");
  fs::create_directories(dir / "splits/fold1/empty-system");
  std::ofstream(l.SplitResult("fold2")) << "{}";
  std::ofstream(ExperimentLayout::Predictions(l.SystemDir("fold2", "cnn", "logmel"))) << "{}";
  std::ofstream(BundlePath(l.SystemDir("fold1", "attcrnn", "logmel"))) << "x";
  EXPECT_EQ(l.FinishedSplitResults(), std::vector<std::string>{l.SplitResult("fold2")});
  const std::vector<SystemFolder> systems = l.SystemFolders();
  ASSERT_EQ(systems.size(), 2u) << "a folder without log, predictions or model is not a system";
  EXPECT_EQ(systems[0].split, "fold1");
  EXPECT_EQ(systems[0].name, "attcrnn-logmel");
  EXPECT_EQ(systems[0].arch, "attcrnn");
  EXPECT_EQ(systems[0].features, "logmel");
  EXPECT_EQ(ExperimentLayout::SplitSystemName("cnn-fusion"), std::make_pair(std::string("cnn"), std::string("fusion")));
  EXPECT_EQ(systems[1].dir, l.SystemDir("fold2", "cnn", "logmel"));
  fs::remove_all(dir);
}
