#include "ascnet/train/trainer.h"

#include "ascnet/model/device.h"
#include "ascnet/model/inference.h"


#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <utility>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "ascnet/core/blas.h"
#include "ascnet/core/tuning.h"
#include "ascnet/core/error.h"
#include "ascnet/core/progress.h"
#include "ascnet/core/fs.h"
#include "ascnet/train/augment.h"
#include "ascnet/train/mixstyle.h"
#include "ascnet/train/bc.h"
#include "ascnet/train/ema.h"
#include "ascnet/train/step.h"

namespace ascnet {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Identity of a run: what must be equal for a checkpoint to be continued.
nlohmann::json RunIdentity(const ArchConfig& arch, const SegmentSource& source, const Dataset& dataset,
                           const Split& split, const SplitSegments& segs, const TrainOptions& o, int64_t total) {
  nlohmann::json opt = {{"batch_size", o.batch_size},   {"lr", o.lr},
                        {"schedule", o.schedule},       {"adam_beta1", o.adam_beta1},
                        {"adam_beta2", o.adam_beta2},   {"adam_eps", o.adam_eps},
                        {"weight_decay", o.weight_decay}, {"between_class", o.between_class},
                        {"seed", o.seed}};
  // Options that change what a step computes (added later: only written when not the
  // paper's, so checkpoints of earlier runs stay resumable).
  const TrainOptions paper;
  if (o.optimizer != paper.optimizer) opt["optimizer"] = o.optimizer;
  if (o.label_smoothing != paper.label_smoothing) opt["label_smoothing"] = o.label_smoothing;
  if (o.ema_decay != paper.ema_decay) opt["ema_decay"] = o.ema_decay;
  if (o.random_crop) opt["random_crop"] = true;
  if (o.time_masks > 0 && o.time_mask_frames > 0) opt["time_masks"] = {o.time_masks, o.time_mask_frames};
  if (o.freq_masks > 0 && o.freq_mask_bands > 0) opt["freq_masks"] = {o.freq_masks, o.freq_mask_bands};
  if (o.level_shift_db > 0) opt["level_shift_db"] = o.level_shift_db;
  if (o.tilt_db > 0) opt["tilt_db"] = o.tilt_db;
  if (o.freq_shift_bands > 0) opt["freq_shift_bands"] = o.freq_shift_bands;
  if (o.mixstyle_p > 0) opt["mixstyle"] = {o.mixstyle_p, o.mixstyle_alpha};
  if (o.balance_groups) opt["balance_groups"] = true;
  if (o.schedule != "constant") {  // the schedule depends on the run's length
    opt["total_steps"] = total;
    opt["warmup_fraction"] = o.warmup_fraction;
    opt["final_lr_fraction"] = o.final_lr_fraction;
  }
  return {{"arch", nlohmann::json(arch)},
          {"features", nlohmann::json(source.config())},
          {"dataset", dataset.spec},
          {"split", split.name},
          {"train_segments", segs.train.size()},
          {"test_segments", segs.test.size()},
          {"options", opt}};
}

// Training progress through the one ProgressBar: a bar with the running loss on a terminal,
// one line per epoch (always, not only every 10 %) and the log lines of the run.
class Progress {
 public:
  Progress(const TrainOptions& o, const TrainHooks& h, int64_t total_steps, int epochs)
      : bar_("train", total_steps, o.progress, h.print, /*decile_lines=*/false),
        enabled_(o.progress),
        total_(total_steps),
        epochs_(epochs) {}
  void Line(const std::string& s) { bar_.Line(s); }
  void Start(int64_t step) { bar_.Restart(step); }
  void Step(int epoch, int64_t step, double loss, double test_acc) {
    char acc[32] = "--", buf[128];
    if (std::isfinite(test_acc)) std::snprintf(acc, sizeof acc, "%.1f%%", 100 * test_acc);
    std::snprintf(buf, sizeof buf, "epoch %d/%d loss %.4f test acc %s", epoch, epochs_, loss, acc);
    bar_.Update(step, buf);
  }
  void Epoch(const EpochRecord& r) {
    if (!enabled_) return;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "epoch %d/%d step %lld/%lld lr %.3g train loss %.4f train acc %.2f%% test acc %.2f%% "
                  "test loss %.4f elapsed %s ETA %s",
                  r.epoch, epochs_, static_cast<long long>(r.step), static_cast<long long>(total_), r.lr, r.train_loss,
                  100 * r.train_accuracy, 100 * r.test_accuracy, r.test_loss, ProgressBar::FormatDuration(r.seconds).c_str(),
                  ProgressBar::FormatDuration(bar_.SecondsLeft()).c_str());
    bar_.Line(buf);
    Step(r.epoch, r.step, r.train_loss, r.test_accuracy);  // the bar's detail after evaluation
  }
  void Finish() { bar_.Finish(); }

 private:
  ProgressBar bar_;
  bool enabled_;
  int64_t total_;
  int epochs_;
};

// Copies segments into a [n, C, M, T] float tensor, moves it to `device` and normalises it.
torch::Tensor Gather(const SegmentSource& src, const std::vector<int64_t>& segs, const std::vector<int64_t>& pos,
                     const std::vector<int64_t>& shape, const torch::Tensor& mean, const torch::Tensor& inv_std,
                     torch::Device device) {
  const int64_t f = src.segment_floats();
  torch::Tensor x = torch::empty({static_cast<int64_t>(pos.size()), shape[0], shape[1], shape[2]}, torch::kFloat);
  float* out = x.data_ptr<float>();
  for (size_t i = 0; i < pos.size(); ++i) std::memcpy(out + i * f, src.segment(segs[pos[i]]), f * sizeof(float));
  return (x.to(device) - mean) * inv_std;
}

// Training images with random crops and/or augmentation: for each position, the item's window
// at a random frame offset (random_crop) or the fixed segment, then Augmenter::Apply on the raw
// log image, then normalisation. Draws come from `rng` in position order.
torch::Tensor GatherAugmented(const SegmentSource& src, const SplitSegments& segs, const std::vector<int64_t>& item_frames,
                              const std::vector<int64_t>& pos, const std::vector<int64_t>& shape, bool random_crop,
                              const Augmenter& augmenter, std::mt19937_64& rng, const torch::Tensor& mean,
                              const torch::Tensor& inv_std, torch::Device device) {
  const int64_t f = src.segment_floats(), T = shape[2];
  torch::Tensor x = torch::empty({static_cast<int64_t>(pos.size()), shape[0], shape[1], shape[2]}, torch::kFloat);
  float* out = x.data_ptr<float>();
  for (size_t i = 0; i < pos.size(); ++i) {
    float* dst = out + static_cast<int64_t>(i) * f;
    if (random_crop) {
      const int item = segs.train_items[static_cast<size_t>(pos[i])];
      const int64_t offset = RandomWindowOffset(rng, item_frames[static_cast<size_t>(item)], T);
      CopyWindow(src, item, offset, dst);
    } else {
      std::memcpy(dst, src.segment(segs.train[static_cast<size_t>(pos[i])]), f * sizeof(float));
    }
    if (augmenter.enabled()) augmenter.Apply(dst, rng);
  }
  return (x.to(device) - mean) * inv_std;
}

struct EvalResult {
  double accuracy = kNaN, loss = kNaN;
};

EvalResult Evaluate(NetworkImpl& net, const SegmentSource& src, const SplitSegments& segs,
                    const std::vector<int64_t>& shape, const torch::Tensor& mean, const torch::Tensor& inv_std,
                    torch::Device device, int batch) {
  EvalResult r;
  const int64_t n = static_cast<int64_t>(segs.test.size());
  if (n == 0) return r;
  torch::NoGradGuard no_grad;
  net.eval();
  int64_t correct = 0;
  double loss = 0;
  for (int64_t i = 0; i < n; i += batch) {
    std::vector<int64_t> pos;
    for (int64_t j = i; j < std::min(n, i + batch); ++j) pos.push_back(j);
    const torch::Tensor x = Gather(src, segs.test, pos, shape, mean, inv_std, device);
    std::vector<int64_t> lab(segs.test_labels.begin() + i, segs.test_labels.begin() + i + pos.size());
    const torch::Tensor y = torch::tensor(lab, torch::kLong).to(device);
    const torch::Tensor logits = net.forward(x).logits;
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    loss += torch::nll_loss(torch::log_softmax(logits, 1), y, {}, at::Reduction::Sum).item<double>();
  }
  net.train();
  r.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  r.loss = loss / static_cast<double>(n);
  return r;
}

void WriteLogs(const std::string& dir, const TrainingLog& log) {
  const std::string csv = log.ToCsv();
  WriteFileAtomically(LogCsvPath(dir), [&](std::ostream& os) { os << csv; });
  const std::string js = log.ToJson().dump(1);
  WriteFileAtomically(LogJsonPath(dir), [&](std::ostream& os) { os << js << "\n"; });
}

// Phase: the segments must have the shape the architecture expects.
void CheckSegmentShape(const SegmentSource& source, const ArchConfig& arch) {
  const std::vector<int64_t> shape = source.segment_shape();
  if (shape.size() != 3 || shape[0] != arch.channels || shape[1] != arch.bands || shape[2] != arch.frames) {
    throw ConfigError(WithPath(source.name(), "segments are [" + std::to_string(shape.size() == 3 ? shape[0] : -1) +
                                                  ", " + std::to_string(shape.size() == 3 ? shape[1] : -1) + ", " +
                                                  std::to_string(shape.size() == 3 ? shape[2] : -1) +
                                                  "], the architecture expects [channels " +
                                                  std::to_string(arch.channels) + ", bands " +
                                                  std::to_string(arch.bands) + ", frames " +
                                                  std::to_string(arch.frames) + "]"));
  }
}

// Phase: the split's training segments must exist (and hold two classes for mixing).
void CheckTrainingSegments(const SplitSegments& segs, const Split& split, const TrainOptions& options) {
  if (segs.train.empty()) throw ConfigError("split " + split.name + ": no training segments");
  if (options.between_class) {
    bool two = false;
    for (int l : segs.train_labels) two = two || l != segs.train_labels[0];
    if (!two) throw ConfigError("split " + split.name + ": between-class mixing needs training segments of at least two classes");
  }
}

// Where a run stands: the epoch and step to continue from, the log so far, and whether it
// continues a checkpoint of the same run.
struct RunState {
  int epoch = 0;
  int64_t step = 0;
  TrainingLog log;
  bool resumed = false;
};

// Phase: create the output folder and, with `resume`, load the checkpoint of the same run
// into the network, optimiser and weight average (refusing another run's checkpoint, or an
// existing one without `resume`).
RunState PrepareOutput(const TrainOptions& options, const nlohmann::json& run, NetworkImpl& net,
                          torch::optim::Optimizer& optimizer, NetworkImpl* average, torch::Device device,
                          Progress& progress) {
  RunState at;
  if (options.out_dir.empty()) return at;
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) throw IoError(WithPath(options.out_dir, "cannot create the output folder (" + ec.message() + ")"));
  const std::string ck_path = CheckpointPath(options.out_dir);
  if (!options.resume) {
    if (PathExists(ck_path)) {
      throw ConfigError(WithPath(ck_path, "a checkpoint of an earlier run is already there; pass resume (--resume) "
                                          "to continue it, or choose another output folder"));
    }
    return at;
  }
  if (!PathExists(ck_path)) {
    progress.Line("no checkpoint at " + ck_path + ": starting a new run");
    return at;
  }
  Checkpoint ck;
  try {
    ck = LoadCheckpoint(ck_path);
  } catch (const CheckpointError& e) {
    throw CheckpointError(std::string(e.what()) + "; cannot resume from it (delete " + ck_path + " to start over)");
  }
  if (ck.run != run) {
    std::string diffs;
    for (const auto& d : nlohmann::json::diff(ck.run, run)) diffs += (diffs.empty() ? "" : ", ") + d.value("path", std::string());
    throw CheckpointError(WithPath(ck_path, "checkpoint: belongs to a different run (differs in " + diffs +
                                                "); resume with the same options and data, or use another output folder"));
  }
  LoadTrainingState(ck.state, net, optimizer, device, ck_path, average);
  at.epoch = ck.epoch;
  at.step = ck.step;
  at.log = ck.log;
  at.resumed = true;
  progress.Line("resuming " + ck_path + " after epoch " + std::to_string(at.epoch) + ", step " + std::to_string(at.step));
  return at;
}

// Phase: after each epoch, the logs and a checkpoint to resume from (both written atomically).
void SaveEpoch(const std::string& dir, const nlohmann::json& run, int epoch, int64_t step, const TrainingLog& log,
               NetworkImpl& net, torch::optim::Optimizer& optimizer, NetworkImpl* average) {
  WriteLogs(dir, log);
  Checkpoint ck;
  ck.run = run;
  ck.epoch = epoch;
  ck.step = step;
  ck.log = log;
  ck.state = SaveTrainingState(net, optimizer, average);
  SaveCheckpoint(CheckpointPath(dir), ck);
}

// Phase: the bundle of a finished (or stopped) run, on the CPU, with its training metadata.
ModelBundle MakeBundle(NetworkPtr net, const ArchConfig& arch, const SegmentSource& source, const Dataset& dataset,
                       const Split& split, const SplitSegments& segs, const Normalisation& norm,
                       const TrainOptions& options, const TrainResult& result) {
  net->to(torch::kCPU);
  SetConvMemoryFormat(*net, at::MemoryFormat::Contiguous);
  net->eval();
  ModelBundle b;
  b.arch = arch;
  b.features = source.config();
  b.labels = dataset.classes;
  b.normalisation = norm;
  b.net = net;
  nlohmann::json opt = options;
  opt.erase("out_dir");
  opt.erase("resume");
  opt.erase("progress");
  b.metadata = {{"training",
                 {{"seed", options.seed},
                  {"preset", options.preset},
                  {"epochs", result.epochs},
                  {"steps", result.steps},
                  {"dataset", dataset.spec},
                  {"split", split.name},
                  {"train_segments", segs.train.size()},
                  {"test_segments", segs.test.size()},
                  {"test_accuracy", std::isfinite(result.test_accuracy) ? nlohmann::json(result.test_accuracy)
                                                                        : nlohmann::json(nullptr)},
                  {"seconds", result.log.epochs.empty() ? 0.0 : result.log.epochs.back().seconds},
                  {"completed", result.completed},
                  {"options", opt}}}};
  return b;
}

// What a run is, fixed before training: the architecture, device, segments, normalisation,
// the number of steps and epochs, and the run's identity.
struct RunPlan {
  ArchConfig arch;
  std::vector<int64_t> shape;  // segment shape [C, M, T]
  torch::Device device = torch::kCPU;
  SplitSegments segs;
  int64_t n_train = 0;
  Normalisation norm;
  int64_t steps_per_epoch = 0;
  int64_t total = 0;
  int num_epochs = 0;
  LrSchedule schedule;
  std::optional<WeightedIndex> sampler;  // balance_groups: draws of training positions
  nlohmann::json run;  // RunIdentity
};

// Phase: validate the options and the data, set up the process, and fix the run's plan.
RunPlan PlanRun(const SegmentSource& source, const Dataset& dataset, const Split& split, const ArchConfig& arch_in,
                const TrainOptions& options) {
  TuneProcess();  // heap (no mmap/munmap per step's activations), OpenBLAS kernels
  options.Validate();
  RunPlan p;
  p.arch = arch_in;
  p.arch.classes = static_cast<int>(dataset.classes.size());
  p.arch.Validate();
  CheckSegmentShape(source, p.arch);
  p.shape = source.segment_shape();
  p.device = ParseDevice(options.device);
  if (options.threads > 0) at::set_num_threads(options.threads);
  // ATen's OpenMP threads and OpenBLAS's own pool (Debian's LibTorch) oversubscribe the
  // cores: measured 2x slower training steps on 2 cores without this.
  LimitOpenBlasThreads(1);

  p.segs = CollectSegments(source, dataset, split);
  CheckTrainingSegments(p.segs, split, options);
  p.n_train = static_cast<int64_t>(p.segs.train.size());
  p.norm = ComputeNormalisation(source, p.segs.train);
  p.steps_per_epoch = options.StepsPerEpoch(p.n_train);
  p.total = options.TotalSteps(p.n_train);
  p.num_epochs = static_cast<int>((p.total + p.steps_per_epoch - 1) / p.steps_per_epoch);
  p.schedule = options.Schedule(p.total);
  if (options.balance_groups) p.sampler.emplace(GroupBalancedWeights(dataset, p.segs));
  p.run = RunIdentity(p.arch, source, dataset, split, p.segs, options, p.total);
  return p;
}

// The effective configuration, printed at the start of every run.
std::string DescribeRun(const RunPlan& p, const Dataset& dataset, const Split& split, const TrainOptions& options) {
  std::ostringstream os;
  os << options.ToString() << "\n"
     << "data: " << dataset.spec << " split " << split.name << ": " << p.n_train << " training segments ("
     << split.train.size() << " items), " << p.segs.test.size() << " test segments (" << split.test.size()
     << " items); " << p.steps_per_epoch << " steps per epoch, " << p.total << " steps = " << p.num_epochs
     << " epochs\n"
     << "architecture: " << p.arch.ToString() << "\n"
     << "normalisation: " << p.norm.Summary();
  return os.str();
}

// The trained state on the device: the network, its optimiser, the weight average (EMA; null
// when off) and the normalisation.
struct Model {
  NetworkPtr net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  NetworkPtr average;  // evaluated and saved instead of the live weights when on
  torch::Tensor mean, inv_std;
  NetworkImpl& evaluated() { return average ? *average : *net; }
};

// Phase: network, optimiser, weight average and normalisation on the device.
Model BuildModel(const RunPlan& p, const TrainOptions& options) {
  Model m;
  torch::manual_seed(DeriveSeed(options.seed, 0));
  m.net = MakeNetwork(p.arch);
  m.net->to(p.device);
  m.net->train();
  SetConvMemoryFormat(*m.net, at::MemoryFormat::ChannelsLast);
  m.optimizer = MakeOptimizer(options, m.net->parameters());
  if (options.ema_decay > 0) {
    m.average = MakeNetwork(p.arch);
    m.average->to(p.device);
    CopyWeights(*m.average, *m.net);
    m.average->eval();
  }
  const std::vector<int64_t>& shape = p.shape;
  m.mean = torch::from_blob(const_cast<float*>(p.norm.mean.data()), {1, shape[0], shape[1], 1}, torch::kFloat)
               .clone()
               .to(p.device);
  m.inv_std =
      (1.0 / torch::from_blob(const_cast<float*>(p.norm.std.data()), {1, shape[0], shape[1], 1}, torch::kFloat))
          .to(p.device);
  return m;
}

// The training batches: images of the training segments (random crops and augmentation when
// on; augmentation fills masks with the training mean), mixed between classes or one-hot,
// Freq-MixStyle and label smoothing.
class BatchMaker {
 public:
  BatchMaker(const SegmentSource& source, const RunPlan& p, const Model& m, const TrainOptions& options)
      : source_(source),
        plan_(p),
        model_(m),
        options_(options),
        item_frames_(static_cast<size_t>(source.num_items()), 0),
        augmenter_(options, source.config(), p.norm.mean, p.shape) {
    // Random crops need each item's frame count.
    for (int i = 0; i < static_cast<int>(item_frames_.size()); ++i) {
      item_frames_[static_cast<size_t>(i)] = ItemFrames(source, i);
    }
    crops_or_augment_ = options.random_crop || augmenter_.enabled();
  }

  // Inputs x and targets y of the training positions `first`; draws pairs from `rng`, crops,
  // augmentation and MixStyle from `aug_rng`.
  std::pair<torch::Tensor, torch::Tensor> Make(const std::vector<int64_t>& first, std::mt19937_64& rng,
                                               std::mt19937_64& aug_rng) const {
    const SplitSegments& segs = plan_.segs;
    const int classes = plan_.arch.classes;
    auto images = [&](const std::vector<int64_t>& pos) {
      if (!crops_or_augment_) {
        return Gather(source_, segs.train, pos, plan_.shape, model_.mean, model_.inv_std, plan_.device);
      }
      return GatherAugmented(source_, segs, item_frames_, pos, plan_.shape, options_.random_crop, augmenter_, aug_rng,
                             model_.mean, model_.inv_std, plan_.device);
    };
    torch::Tensor x, y;
    if (options_.between_class) {
      BcBatch mixed = MakeBcBatch(segs.train_labels, first, rng, classes, images,
                                  plan_.sampler ? &*plan_.sampler : nullptr);
      x = mixed.x;
      y = mixed.y;
    } else {
      const int64_t bs = static_cast<int64_t>(first.size());
      std::vector<int64_t> l1(bs);
      for (int64_t i = 0; i < bs; ++i) l1[i] = segs.train_labels[first[i]];
      x = images(first);
      y = torch::one_hot(torch::tensor(l1, torch::kLong).to(plan_.device), classes).to(torch::kFloat);
    }
    if (options_.mixstyle_p > 0) x = FreqMixStyle(x, options_.mixstyle_p, options_.mixstyle_alpha, aug_rng);
    if (options_.label_smoothing > 0) {
      y = y * (1.0 - options_.label_smoothing) + options_.label_smoothing / static_cast<double>(classes);
    }
    return {x, y};
  }

 private:
  const SegmentSource& source_;
  const RunPlan& plan_;
  const Model& model_;
  const TrainOptions& options_;
  std::vector<int64_t> item_frames_;
  const Augmenter augmenter_;
  bool crops_or_augment_ = false;
};

// The training positions of an epoch, in the order its steps take them: a random permutation
// (every segment once), or with balance_groups n_train weighted draws with replacement.
std::vector<int64_t> EpochOrder(const RunPlan& p, std::mt19937_64& rng) {
  if (!p.sampler) return RandomPermutation(rng, p.n_train);
  std::vector<int64_t> order(static_cast<size_t>(p.n_train));
  for (int64_t& k : order) k = (*p.sampler)(rng);
  return order;
}

// Phase: one epoch of optimiser steps (until the epoch's or the run's last step); returns the
// epoch's record before evaluation (lr, training loss and accuracy).
EpochRecord TrainEpoch(const RunPlan& p, Model& m, const BatchMaker& batches, const TrainOptions& options,
                       RunState& at, Progress& progress) {
  const int epoch = at.epoch;
  std::mt19937_64 rng(DeriveSeed(options.seed, 1, static_cast<uint64_t>(epoch)));
  std::mt19937_64 aug_rng(DeriveSeed(options.seed, 3, static_cast<uint64_t>(epoch)));  // crops, augmentation
  torch::manual_seed(DeriveSeed(options.seed, 2, static_cast<uint64_t>(epoch)));
  const std::vector<int64_t> order = EpochOrder(p, rng);

  m.net->train();
  double loss_sum = 0, lr = p.schedule.At(at.step);
  int64_t seen = 0, correct = 0;
  const int64_t batch = options.batch_size;
  for (int64_t b = 0; b < p.steps_per_epoch && at.step < p.total; ++b) {
    std::vector<int64_t> first(order.begin() + b * batch, order.begin() + std::min(p.n_train, (b + 1) * batch));
    const int64_t bs = static_cast<int64_t>(first.size());
    const auto [x, y] = batches.Make(first, rng, aug_rng);
    lr = p.schedule.At(at.step);
    SetLearningRate(*m.optimizer, lr);
    const StepOutput out = TrainStep(*m.net, *m.optimizer, x, y);
    if (m.average) UpdateEma(*m.average, *m.net, EmaDecay(options.ema_decay, at.step));
    const double lv = out.loss.item<double>();
    if (!std::isfinite(lv)) {
      throw ConfigError("training diverged: loss is " + std::to_string(lv) + " at step " + std::to_string(at.step) +
                        " (lower the learning rate, option lr)");
    }
    loss_sum += lv * static_cast<double>(bs);
    correct += out.logits.argmax(1).eq(y.argmax(1)).sum().item<int64_t>();
    seen += bs;
    ++at.step;
    progress.Step(epoch + 1, at.step, loss_sum / static_cast<double>(seen),
                  at.log.epochs.empty() ? kNaN : at.log.epochs.back().test_accuracy);
  }
  EpochRecord rec;
  rec.epoch = epoch + 1;
  rec.step = at.step;
  rec.lr = lr;
  rec.train_loss = loss_sum / static_cast<double>(std::max<int64_t>(1, seen));
  rec.train_accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, seen));
  return rec;
}

// Phase: the run's result after the last epoch: the log, counts, and the bundle (written to
// the output folder when the run completed).
TrainResult FinishRun(const SegmentSource& source, const Dataset& dataset, const Split& split, const RunPlan& p,
                      const Model& m, const TrainOptions& options, RunState at, bool stopped) {
  TrainResult result;
  result.resumed = at.resumed;
  result.log = std::move(at.log);
  result.epochs = at.epoch;
  result.steps = at.step;
  result.completed = !stopped && at.step >= p.total;
  result.test_accuracy = result.log.epochs.empty() ? kNaN : result.log.epochs.back().test_accuracy;
  // The bundle carries the averaged weights when the run keeps an average.
  result.bundle = MakeBundle(m.average ? m.average : m.net, p.arch, source, dataset, split, p.segs, p.norm, options,
                             result);
  if (!options.out_dir.empty() && result.completed) {
    result.bundle_path = BundlePath(options.out_dir);
    SaveBundle(result.bundle_path, result.bundle);
  }
  return result;
}

}  // namespace

TrainResult TrainModel(const SegmentSource& source, const Dataset& dataset, const Split& split,
                       const ArchConfig& arch_in, const TrainOptions& options, const TrainHooks& hooks) {
  const auto t0 = Clock::now();
  const RunPlan plan = PlanRun(source, dataset, split, arch_in, options);
  Progress progress(options, hooks, plan.total, plan.num_epochs);
  progress.Line(DescribeRun(plan, dataset, split, options));  // the effective configuration, always
  Model model = BuildModel(plan, options);
  RunState at = PrepareOutput(options, plan.run, *model.net, *model.optimizer, model.average.get(), plan.device, progress);
  const BatchMaker batches(source, plan, model, options);

  const double prior_seconds = at.log.epochs.empty() ? 0.0 : at.log.epochs.back().seconds;
  progress.Start(at.step);
  bool stopped = false;
  for (; at.epoch < plan.num_epochs && at.step < plan.total; ++at.epoch) {
    EpochRecord rec = TrainEpoch(plan, model, batches, options, at, progress);
    const EvalResult ev = Evaluate(model.evaluated(), source, plan.segs, plan.shape, model.mean, model.inv_std,
                                   plan.device, options.eval_batch);
    rec.test_loss = ev.loss;
    rec.test_accuracy = ev.accuracy;
    rec.seconds = prior_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
    at.log.epochs.push_back(rec);
    if (!options.out_dir.empty()) {
      SaveEpoch(options.out_dir, plan.run, at.epoch + 1, at.step, at.log, *model.net, *model.optimizer,
                model.average.get());
    }
    progress.Epoch(rec);
    if (hooks.on_epoch_end && !hooks.on_epoch_end(rec)) {
      ++at.epoch;
      stopped = true;
      break;
    }
  }
  progress.Finish();
  TrainResult result = FinishRun(source, dataset, split, plan, model, options, std::move(at), stopped);
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

}  // namespace ascnet
