// The training loop on tiny synthetic data: learning, logs, resume determinism,
// checkpoint atomicity and corruption handling, bundle contents.
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include "ascnet/core/fs.h"
#include <torch/optim/adam.h>

#include "ascnet/train/bc.h"
#include "ascnet/train/step.h"
#include "ascnet/train/trainer.h"
#include "synthetic.h"

namespace ascnet {
namespace {

TrainOptions TinyOptions(const std::string& out_dir = "") {
  TrainOptions o = TrainOptions::Preset("fast");
  o.steps = 0;
  o.epochs = 4;
  o.batch_size = 8;  // 24 training segments: 3 steps per epoch
  o.lr = 3e-3;
  o.seed = 11;
  o.threads = 1;
  o.progress = false;
  o.out_dir = out_dir;
  return o;
}

void ExpectSameTensors(NetworkImpl& a, NetworkImpl& b) {
  const auto ta = NamedTensors(a), tb = NamedTensors(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    EXPECT_EQ(ta[i].first, tb[i].first);
    EXPECT_TRUE(torch::equal(ta[i].second, tb[i].second)) << ta[i].first << " differs";
  }
}

std::string Slurp(const std::string& path) { return ReadFile(path); }

// The training step can drive the KL loss of one fixed small batch of mixed targets to
// (near) zero: the network, loss, backward and Adam fit together.
TEST(TrainStep, OverfitsOneSmallBatchToNearZeroLoss) {
  struct Case {
    const char* arch;
    ArchConfig::AttentionScale scale;
  };
  for (const Case& c : {Case{"cnn", ArchConfig::AttentionScale::kNone}, Case{"attcrnn", ArchConfig::AttentionScale::kNone},
                        Case{"attcrnn", ArchConfig::AttentionScale::kRow1}}) {
    ArchConfig a = testing::TinyArch(c.arch);
    a.classes = 4;
    a.conv_dropout = 0;
    a.rnn_dropout = 0;
    a.attention_scale = c.scale;
    torch::manual_seed(3);
    NetworkPtr net = MakeNetwork(a);
    net->train();
    SetConvMemoryFormat(*net, at::MemoryFormat::ChannelsLast);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-2));
    const torch::Tensor x1 = torch::randn({8, 2, a.bands, a.frames}), x2 = torch::randn({8, 2, a.bands, a.frames});
    const torch::Tensor y1 = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3}), y2 = torch::tensor({1, 2, 3, 0, 2, 3, 0, 1});
    const torch::Tensor r = torch::rand({8}, torch::kDouble);
    const torch::Tensor x = BcMixImages(x1, x2, r), y = BcMixLabels(y1, y2, r, 4);
    const double first = TrainStep(*net, adam, x, y).loss.item<double>();
    double last = first;
    for (int i = 0; i < 400 && last > 1e-3; ++i) last = TrainStep(*net, adam, x, y).loss.item<double>();
    EXPECT_GT(first, 0.3) << c.arch;
    EXPECT_LT(last, 0.01) << c.arch << " scale " << ArchConfig::ScaleName(c.scale) << ": KL " << first << " -> " << last;
  }
}

TEST(Trainer, LearnsTinyDataAndWritesLogsAndBundle) {
  testing::TinyData d;
  testing::MakeTinyData(d);
  testing::TempDir dir;
  TrainOptions o = TinyOptions(dir.str());
  o.epochs = 30;
  o.lr = 1e-2;
  ArchConfig arch = testing::TinyArch("cnn");
  const TrainResult r = TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, o);
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.epochs, 30);
  EXPECT_EQ(r.steps, 90);
  ASSERT_EQ(r.log.epochs.size(), 30u);
  EXPECT_EQ(r.log.epochs.back().step, 90);
  EXPECT_GE(r.test_accuracy, 0.9) << r.log.ToCsv();  // the class is a raised band: easy
  EXPECT_LT(r.log.epochs.back().train_loss, r.log.epochs.front().train_loss);
  // Files.
  const std::string csv = Slurp(LogCsvPath(dir.str()));
  EXPECT_EQ(csv.rfind("epoch,step,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 31);
  const auto js = nlohmann::json::parse(Slurp(LogJsonPath(dir.str())));
  ASSERT_EQ(js.size(), 30u);
  EXPECT_NEAR(js.back()["test_accuracy"].get<double>(), r.test_accuracy, 1e-12);
  ASSERT_EQ(r.bundle_path, BundlePath(dir.str()));
  const ModelBundle b = LoadBundle(r.bundle_path);
  EXPECT_EQ(b.labels, d.dataset.classes);
  EXPECT_EQ(b.arch.classes, 3);
  EXPECT_EQ(b.metadata["training"]["seed"], 11);
  EXPECT_EQ(b.metadata["training"]["steps"], 90);
  EXPECT_EQ(b.metadata["training"]["split"], "fold1");
  EXPECT_EQ(b.metadata["training"]["dataset"], "memory:tiny");
  EXPECT_NEAR(b.metadata["training"]["test_accuracy"].get<double>(), r.test_accuracy, 1e-12);
  ExpectSameTensors(*b.net, *r.bundle.net);
  // A second run into the same folder without resume is refused.
  EXPECT_THROW(TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, o), ConfigError);
}

TEST(Trainer, NormalisationComesFromTrainingSegmentsOnly) {
  testing::TinyData a, b;
  testing::MakeTinyData(a, 4, 0.0f);
  testing::MakeTinyData(b, 4, 500.0f);  // same training data, shifted test data
  TrainOptions o = TinyOptions();
  o.epochs = 1;
  const ArchConfig arch = testing::TinyArch("cnn");
  const TrainResult ra = TrainModel(a.source, a.dataset, a.dataset.splits[0], arch, o);
  const TrainResult rb = TrainModel(b.source, b.dataset, b.dataset.splits[0], arch, o);
  EXPECT_EQ(ra.bundle.normalisation.mean, rb.bundle.normalisation.mean);
  EXPECT_EQ(ra.bundle.normalisation.std, rb.bundle.normalisation.std);
  const SplitSegments segs = CollectSegments(a.source, a.dataset, a.dataset.splits[0]);
  EXPECT_EQ(ra.bundle.normalisation.mean, ComputeNormalisation(a.source, segs.train).mean);
  // Same training data and seed: same weights, whatever the test data.
  ExpectSameTensors(*ra.bundle.net, *rb.bundle.net);
}

// Every recipe option on (the "augment" preset's, plus label smoothing, tilt, band shift,
// Freq-MixStyle and group-balanced sampling): AdamW, EMA, random crops, masks and level
// shifts (tiny sizes).
TrainOptions TinyRecipeOptions(const std::string& out_dir = "") {
  TrainOptions o = TinyOptions(out_dir);
  const TrainOptions d = TrainOptions::Preset("augment");
  o.optimizer = d.optimizer;
  o.weight_decay = d.weight_decay;
  o.ema_decay = 0.9;
  o.label_smoothing = 0.1;
  o.random_crop = true;
  o.time_masks = 2;
  o.time_mask_frames = 3;
  o.freq_masks = 1;
  o.freq_mask_bands = 2;
  o.level_shift_db = 6;
  o.tilt_db = 3;
  o.freq_shift_bands = 1;
  o.mixstyle_p = 0.5;
  o.balance_groups = true;
  return o;
}

TEST(Trainer, ResumedRunEndsWithTheSameWeightsBitForBit) {
  for (const bool recipe : {false, true})
  for (const std::string name : {"attcrnn", "cnn"}) {
    SCOPED_TRACE(name + (recipe ? " with every recipe option" : ""));
    auto TinyOptions = [recipe](const std::string& dir) { return recipe ? TinyRecipeOptions(dir) : ::ascnet::TinyOptions(dir); };
    testing::TinyData d;
    testing::MakeTinyData(d);
    ArchConfig arch = testing::TinyArch(name);
    if (name == "attcrnn") arch.attention_scale = ArchConfig::AttentionScale::kLearned;
    testing::TempDir straight_dir, resumed_dir;
    const TrainResult straight =
        TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, TinyOptions(straight_dir.str()));
    ASSERT_TRUE(straight.completed);

    // Killed after epoch 2 (the checkpoint of epoch 2 is on disk), then resumed.
    TrainHooks kill;
    kill.on_epoch_end = [](const EpochRecord& r) { return r.epoch < 2; };
    const TrainResult first = TrainModel(d.source, d.dataset, d.dataset.splits[0], arch,
                                         TinyOptions(resumed_dir.str()), kill);
    EXPECT_FALSE(first.completed);
    EXPECT_EQ(first.epochs, 2);
    EXPECT_FALSE(PathExists(BundlePath(resumed_dir.str())));
    TrainOptions resume = TinyOptions(resumed_dir.str());
    resume.resume = true;
    const TrainResult second = TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, resume);
    EXPECT_TRUE(second.resumed);
    EXPECT_TRUE(second.completed);
    EXPECT_EQ(second.steps, straight.steps);
    ExpectSameTensors(*straight.bundle.net, *second.bundle.net);
    ExpectSameTensors(*LoadBundle(BundlePath(straight_dir.str())).net, *LoadBundle(BundlePath(resumed_dir.str())).net);
    ASSERT_EQ(second.log.epochs.size(), 4u);
    for (size_t e = 0; e < 4; ++e) {
      EXPECT_EQ(second.log.epochs[e].train_loss, straight.log.epochs[e].train_loss);
      EXPECT_EQ(second.log.epochs[e].test_accuracy, straight.log.epochs[e].test_accuracy);
    }
  }
}

TEST(Trainer, ResumeRefusesAnotherRunsCheckpoint) {
  testing::TinyData d;
  testing::MakeTinyData(d);
  testing::TempDir dir;
  TrainOptions o = TinyOptions(dir.str());
  o.epochs = 1;
  const ArchConfig arch = testing::TinyArch("cnn");
  TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, o);
  o.resume = true;
  o.lr = 1e-2;  // another run
  try {
    TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, o);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(CheckpointPath(dir.str())), std::string::npos) << msg;
    EXPECT_NE(msg.find("/options/lr"), std::string::npos) << msg;
  }
}

class CheckpointFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::MakeTinyData(d_);
    TrainOptions o = TinyOptions(dir_.str());
    o.epochs = 1;
    TrainModel(d_.source, d_.dataset, d_.dataset.splits[0], testing::TinyArch("cnn"), o);
    path_ = CheckpointPath(dir_.str());
    bytes_ = ReadFile(path_);
  }
  void Write(const std::string& bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
  }
  void ExpectResumeRefused(const std::string& what) {
    TrainOptions o = TinyOptions(dir_.str());
    o.epochs = 1;
    o.resume = true;
    try {
      TrainModel(d_.source, d_.dataset, d_.dataset.splits[0], testing::TinyArch("cnn"), o);
      FAIL() << "resume from a bad checkpoint was accepted";
    } catch (const CheckpointError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path_), std::string::npos) << msg;
      EXPECT_NE(msg.find(what), std::string::npos) << msg;
    }
  }
  testing::TinyData d_;
  testing::TempDir dir_;
  std::string path_, bytes_;
};

TEST_F(CheckpointFiles, RoundTrip) {
  const Checkpoint c = LoadCheckpoint(path_);
  EXPECT_EQ(c.epoch, 1);
  EXPECT_EQ(c.step, 3);
  ASSERT_EQ(c.log.epochs.size(), 1u);
  EXPECT_EQ(EncodeCheckpoint(c), bytes_);
}

TEST_F(CheckpointFiles, TruncatedIsAClearError) {
  for (size_t keep : {size_t{0}, size_t{5}, size_t{20}, bytes_.size() / 2, bytes_.size() - 1}) {
    try {
      DecodeCheckpoint(bytes_.substr(0, keep), path_);
      ADD_FAILURE() << "accepted a checkpoint truncated to " << keep << " bytes";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
    }
  }
  Write(bytes_.substr(0, bytes_.size() / 2));
  ExpectResumeRefused("truncated");
}

TEST_F(CheckpointFiles, CorruptedIsAClearErrorAndResumeIsRefused) {
  std::string bad = bytes_;
  bad[bad.size() / 2] ^= 0x5a;
  EXPECT_THROW(DecodeCheckpoint(bad, path_), CheckpointError);
  Write(bad);
  ExpectResumeRefused("corrupted");
  Write("not a checkpoint at all");
  ExpectResumeRefused("not an ascnet checkpoint");
}

TEST_F(CheckpointFiles, FailedWriteLeavesThePreviousCheckpointIntact) {
  Checkpoint c = LoadCheckpoint(path_);
  c.epoch = 2;
  c.state += std::string(1 << 16, 'x');  // larger than the file-size limit below
  // Make every write beyond the current file's size fail (EFBIG), as a full disk would.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit lim = old;
  lim.rlim_cur = bytes_.size() + 100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  EXPECT_THROW(SaveCheckpoint(path_, c), IoError);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_EQ(ReadFile(path_), bytes_);  // untouched
  EXPECT_EQ(LoadCheckpoint(path_).epoch, 1);
  for (const auto& e : std::filesystem::directory_iterator(dir_.str())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "left behind: " << e.path();
  }
  // And a successful write replaces it.
  SaveCheckpoint(path_, c);
  EXPECT_EQ(LoadCheckpoint(path_).epoch, 2);
}

TEST(Trainer, BadInputsAreConfigErrors) {
  testing::TinyData d;
  testing::MakeTinyData(d);
  TrainOptions o = TinyOptions();
  ArchConfig arch = testing::TinyArch("cnn");
  arch.bands = 16;  // does not match the [2, 8, 8] segments
  EXPECT_THROW(TrainModel(d.source, d.dataset, d.dataset.splits[0], arch, o), ConfigError);
  Split one = d.dataset.splits[0];
  one.train = {0, 1, 2};  // all class "a"
  EXPECT_THROW(TrainModel(d.source, d.dataset, one, testing::TinyArch("cnn"), o), ConfigError);
  if (!torch::cuda::is_available()) {
    o.device = "cuda";
    EXPECT_THROW(TrainModel(d.source, d.dataset, d.dataset.splits[0], testing::TinyArch("cnn"), o), ConfigError);
  }
}

}  // namespace
}  // namespace ascnet
