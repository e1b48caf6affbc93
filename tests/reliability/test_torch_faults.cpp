// Fault injection on the LibTorch stages: damaged model bundles and checkpoints (every
// damage is a typed error naming the file, never data), training killed (SIGKILL) at random
// points and resumed (same final weights as an uninterrupted run), and CLI output folders
// that cannot be written (clear error, nothing half-written left).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <torch/types.h>

#include "common/cli_runner.h"
#include "../../fuzz/bundle_input.h"
#include "../train/synthetic.h"
#include "ascnet/core/fs.h"
#include "ascnet/model/bundle.h"
#include "ascnet/train/checkpoint.h"
#include "ascnet/train/trainer.h"
#include "fuzz_replay.h"
#include "reliability_util.h"

namespace ascnet {
namespace {

namespace fs = std::filesystem;
using reliability::DamageOffsets;

template <typename Error, typename Decode>
void ExpectEveryDamageRejected(const std::string& bytes, const std::string& name, Decode decode, size_t head,
                               size_t spread) {
  int cases = 0;
  for (size_t off : DamageOffsets(bytes.size(), head, spread)) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[off] = static_cast<char>(bad[off] ^ mask);
      try {
        decode(bad, name);
        ADD_FAILURE() << name << ": byte " << off << " ^ " << int(mask) << " was accepted";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      }
      ++cases;
    }
    try {
      decode(bytes.substr(0, off), name);
      ADD_FAILURE() << name << ": truncation to " << off << " bytes was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
    ++cases;
  }
  EXPECT_GT(cases, 200);
}

TEST(FaultBundle, EveryFlippedOrTruncatedByteIsABundleError) {
  ArchConfig arch = testing::TinyArch("cnn");
  const std::string bytes = EncodeBundle(MakeBundle(arch, testing::TinyFeatures()));
  ASSERT_NO_THROW(DecodeBundle(bytes, "model.ascnet"));
  ExpectEveryDamageRejected<BundleError>(
      bytes, "/runs/x/model.ascnet", [](const std::string& b, const std::string& n) { DecodeBundle(b, n); }, 64, 150);
  // Appended bytes too.
  EXPECT_THROW(DecodeBundle(bytes + "x", "model.ascnet"), BundleError);
}

TEST(FaultCheckpoint, EveryFlippedOrTruncatedByteIsACheckpointError) {
  testing::TinyData d;
  testing::MakeTinyData(d);
  testing::TempDir dir;
  TrainOptions o = TrainOptions::Preset("fast");
  o.steps = 0;
  o.epochs = 1;
  o.batch_size = 8;
  o.threads = 1;
  o.progress = false;
  o.out_dir = dir.str();
  TrainModel(d.source, d.dataset, d.dataset.splits[0], testing::TinyArch("cnn"), o);
  const std::string bytes = ReadFile(CheckpointPath(dir.str()));
  ExpectEveryDamageRejected<CheckpointError>(
      bytes, CheckpointPath(dir.str()), [](const std::string& b, const std::string& n) { DecodeCheckpoint(b, n); }, 48,
      150);
}

// The crashes fuzz_bundle found and its corpus (fuzz/corpus/fuzz_bundle/: the seeds and
// what the fuzzing runs kept), each through the fuzzer's own framing (fuzz/bundle_input.h).
TEST(FuzzRegressions, Bundle) {
  reliability::ReplayFuzzInputs("fuzz_bundle", [](const fs::path& p, const std::string& in) {
    try {
      DecodeBundle(ascnet_fuzz::BundleBytes(in), p.string());
    } catch (const BundleError& err) {
      EXPECT_NE(std::string(err.what()).find(p.string()), std::string::npos) << err.what();
    }
  });
}

// A 2.5 KB bundle whose header describes two 4096-filter 15x15 conv layers: refused before
// the 15 GB network is built (found by fuzz_bundle).
TEST(FaultBundle, HeaderDescribingAHugeNetworkIsRefusedBeforeAllocating) {
  const std::string in = ReadFile(std::string(ASCNET_SOURCE_DIR) + "/tests/reliability/crashes/fuzz_bundle/oom-huge-arch-small-file");
  try {
    DecodeBundle(ascnet_fuzz::BundleBytes(in), "big.ascnet");
    FAIL() << "accepted";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find("big.ascnet: header.arch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("parameters"), std::string::npos) << e.what();
  }
}

// --------------------------------------------------------------- kill -9 and resume
TrainOptions KillOptions(const std::string& out, bool resume) {
  TrainOptions o = TrainOptions::Preset("fast");
  o.steps = 0;
  o.epochs = 30;
  o.batch_size = 8;
  o.lr = 3e-3;
  o.seed = 5;
  o.threads = 1;
  o.progress = false;
  o.out_dir = out;
  o.resume = resume;
  return o;
}

// Trains in a child process (torch is never initialised in this one before the forks).
pid_t TrainInChild(const std::string& out, bool resume) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 0;
    try {
      testing::TinyData d;
      testing::MakeTinyData(d);
      TrainModel(d.source, d.dataset, d.dataset.splits[0], testing::TinyArch("cnn"), KillOptions(out, resume));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      code = 3;
    }
    ::_exit(code);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(FaultTraining, KilledAtRandomPointsAndResumedGivesTheSameWeights) {
  testing::TempDir straight, killed;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(Wait(TrainInChild(straight.str(), false)), 0);
  const double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> when(0.05 * run_ms, 0.6 * run_ms);
  int kills = 0;
  bool resume = false;
  for (int round = 0; round < 4; ++round) {
    const pid_t pid = TrainInChild(killed.str(), resume);
    const double ms = when(rng);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms));
    ::kill(pid, SIGKILL);
    const int code = Wait(pid);
    ASSERT_TRUE(code == 128 + SIGKILL || code == 0) << "seed " << seed << " round " << round << ": exit " << code;
    resume = true;
    if (code == 0) break;  // finished before the kill: nothing left to interrupt
    ++kills;
  }
  ASSERT_EQ(Wait(TrainInChild(killed.str(), true)), 0) << "seed " << seed;
  EXPECT_GT(kills, 0) << "seed " << seed << ": every run finished before its kill (run " << run_ms << " ms)";
  const ModelBundle a = LoadBundle(BundlePath(straight.str()));
  const ModelBundle b = LoadBundle(BundlePath(killed.str()));
  const auto ta = NamedTensors(*a.net), tb = NamedTensors(*b.net);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    EXPECT_TRUE(torch::equal(ta[i].second, tb[i].second)) << ta[i].first << " differs (kill seed " << seed << ")";
  }
  EXPECT_EQ(ReadFile(straight.File("log.csv")).substr(0, 40), ReadFile(killed.File("log.csv")).substr(0, 40));
}

// --------------------------------------------------------------- unwritable CLI outputs
TEST(FaultCli, UnwritableOutputsAreClearErrorsWithNothingHalfWritten) {
  const fs::path dir = reliability::TempDir("cli_out");
  const std::string wav = (dir / "a.wav").string();
  reliability::WriteWav(wav, 440.0, 3.0, 22050);
  reliability::WriteBytes(dir / "file", "x");
  const std::string blocked = (dir / "file" / "out").string();  // under a regular file: ENOTDIR

  test::CliResult r = test::RunCli("features -q " + wav + " -o " + blocked + "/a.npy");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(blocked), std::string::npos) << r.err;
  r = test::RunCli("features -q " + wav + " " + wav + " --output-dir " + blocked);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(blocked), std::string::npos) << r.err;

  std::ofstream csv(dir / "meta.csv");
  csv << "filename,label,fold\n";
  for (int c = 0; c < 2; ++c) {
    for (int k = 1; k <= 2; ++k) {
      const std::string f = std::string(c ? "y" : "x") + std::to_string(k) + ".wav";
      reliability::WriteWav((dir / f).string(), c ? 880.0 : 330.0, 2.5, 22050);
      csv << f << "," << (c ? "y" : "x") << "," << k << "\n";
    }
  }
  csv.close();
  const std::string train = "train --dataset csv:" + (dir / "meta.csv").string() +
                            " --split fold1 --arch cnn --preset fast --steps 1 --batch-size 2 --threads 1";
  r = test::RunCli(train + " --cache " + (dir / "cache").string() + " --out " + blocked);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(blocked), std::string::npos) << r.err;
  r = test::RunCli(train + " --cache " + blocked + " --out " + (dir / "run").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(blocked), std::string::npos) << r.err;
  EXPECT_FALSE(PathExists((dir / "run" / "model.ascnet").string()));
  EXPECT_TRUE(reliability::TempLeftovers(dir).empty());

  // A read-only folder (only meaningful when permissions are enforced, i.e. not as root).
  fs::create_directories(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  if (!reliability::CanWriteInto(dir / "ro")) {
    r = test::RunCli("features -q " + wav + " -o " + (dir / "ro" / "a.npy").string());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find((dir / "ro" / "a.npy").string()), std::string::npos) << r.err;
    r = test::RunCli(train + " --cache " + (dir / "cache").string() + " --out " + (dir / "ro").string());
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(fs::is_empty(dir / "ro"));
  }
  fs::permissions(dir / "ro", fs::perms::owner_all);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ascnet
