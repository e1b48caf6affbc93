// Training options (no LibTorch here, so the CLI can use them cheaply): presets, the
// learning-rate schedule, and the settings of one between-class training run.
// Defaults are the paper's (shared spec system.md, "Training"): Adam, learning rate 1e-4
// constant, batch 100, 500 epochs, between-class mixing, KL-divergence loss.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ascnet/features/options.h"
#include "ascnet/model/arch.h"

namespace ascnet {

/// Learning rate as a function of the optimiser step (0-based), counted in steps.
struct LrSchedule {
  enum class Kind {
    kConstant,      ///< lr = peak_lr at every step (the paper).
    kWarmupCosine,  ///< linear warm-up 0 -> peak over warmup_steps, then cosine decay
                    ///< from peak_lr to final_fraction * peak_lr at total_steps.
  };
  Kind kind = Kind::kConstant;
  double peak_lr = 1e-4;        ///< learning rate after warm-up.
  int64_t warmup_steps = 0;     ///< steps of linear warm-up (kWarmupCosine).
  int64_t total_steps = 0;      ///< length of the run in steps (kWarmupCosine; >= warmup_steps).
  double final_fraction = 0.0;  ///< lr at total_steps as a fraction of peak_lr (kWarmupCosine).

  /// Learning rate of step `step` (0-based): warm-up gives peak_lr * (step + 1) / warmup_steps,
  /// then peak * (f + (1 - f) * (1 + cos(pi * p)) / 2) with p = (step - warmup) / (total - warmup)
  /// (clamped to [0, 1]).
  double At(int64_t step) const;
  static std::string KindName(Kind k);          ///< "constant", "cosine"
  static Kind ParseKind(const std::string& s);  ///< ConfigError for other names
};

struct TrainOptions {
  std::string preset = "paper";  ///< name of the preset these values started from.
  int epochs = 500;              ///< passes over the training segments (used when steps == 0).
  int64_t steps = 0;             ///< > 0: train exactly this many optimiser steps (overrides epochs);
                                 ///< the last epoch may then be partial.
  int batch_size = 100;          ///< mixed pairs per step.
  double lr = 1e-4;              ///< peak (constant: the) learning rate of Adam.
  std::string schedule = "constant";  ///< "constant" or "cosine" (linear warm-up + cosine decay).
  double warmup_fraction = 0.0;  ///< cosine: warm-up steps as a fraction of the total steps [0, 1).
  double final_lr_fraction = 0.0;  ///< cosine: final lr as a fraction of the peak [0, 1].
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-8;
  std::string optimizer = "adam";  ///< "adam" (weight_decay as L2 in the gradient, the paper)
                                   ///< or "adamw" (decoupled weight decay, Loshchilov & Hutter).
  double weight_decay = 0.0;     ///< adam: L2 coefficient; adamw: decoupled decay per unit lr (paper: none).
  bool between_class = true;     ///< BC mixing of two different-class segments (false: plain
                                 ///< one-hot training with the same KL loss = cross-entropy).
  double label_smoothing = 0.0; ///< targets (1 - e) y + e / classes, e in [0, 1) (paper: 0).
  double ema_decay = 0.0;        ///< > 0: evaluate and save an exponential moving average of
                                 ///< the weights (and batch-norm statistics), decay
                                 ///< min(ema_decay, (1 + step) / (10 + step)); 0 = off (paper).

  // Data: where training windows come from and how they are augmented. Every draw comes
  // from generators seeded per epoch, so runs and resumes are bit-for-bit reproducible.
  SegmentOptions windows;        ///< window layout of the features (the cache, test evaluation,
                                 ///< classify, stream), applied by Features(): paper = the
                                 ///< non-overlapping grid. TrainModel trains on whatever layout
                                 ///< its source has; the bundle records the source's.
  bool random_crop = false;      ///< training windows of T frames at a uniformly random frame
                                 ///< offset in their recording (false: the fixed windows).
  int time_masks = 0;            ///< SpecAugment: time masks per training image...
  int time_mask_frames = 0;      ///< ...each of width uniform in [0, this] frames.
  int freq_masks = 0;            ///< frequency masks per training image...
  int freq_mask_bands = 0;       ///< ...each of width uniform in [0, this] bands. Masked values
                                 ///< are set to the training mean (0 after normalisation).
  double level_shift_db = 0.0;   ///< random gain uniform in [-x, x] dB per training image, the
                                 ///< same on both channels (a shift of the log images).
  double tilt_db = 0.0;          ///< random spectral tilt per training image: a gain rising
                                 ///< linearly over the bands from -u to +u dB, u uniform in
                                 ///< [-x, x] (a microphone's or room's colouring), both channels.
  int freq_shift_bands = 0;      ///< random shift of the image along the bands by an integer
                                 ///< uniform in [-x, x] (a pitch/scale change), both channels;
                                 ///< the bands shifted in repeat the edge band.
  double mixstyle_p = 0.0;       ///< Freq-MixStyle: probability per batch of mixing the images'
                                 ///< per-(channel, band) mean and std over time with another
                                 ///< image's (FreqMixStyle, train/mixstyle.h); 0 = off.
  double mixstyle_alpha = 0.3;   ///< ...the mixing weight ~ Beta(alpha, alpha).
  bool balance_groups = false;   ///< draw training segments (and BC partners) so that within a
                                 ///< class every group (source recording) weighs the same
                                 ///< (GroupBalancedWeights), with replacement; false: every
                                 ///< segment once per epoch (the paper).
  double instance_norm = 0.0;    ///< lambda of the network's relaxed instance frequency-wise
                                 ///< input normalisation (ArchConfig::instance_norm; applied
                                 ///< through WithRecipeArch, so the bundle carries it); 0 = off.
  uint64_t seed = 1;             ///< weights, pair sampling, mixing, dropout, crops, augmentation.
  std::string device = "cpu";    ///< "cpu", "cuda" or "cuda:N"; ConfigError if CUDA is unavailable.
  int threads = 0;               ///< torch intra-op threads; 0 = LibTorch's default.
  int eval_batch = 256;          ///< segments per forward pass when evaluating the test split.
  std::string out_dir;           ///< log.csv, log.json, checkpoint.bin go here; "" = no files.
  bool resume = false;           ///< continue from out_dir/checkpoint.bin (a new run if there is none).
  bool progress = true;          ///< progress on stderr (a bar on a TTY, else a line per epoch);
                                 ///< the effective configuration is printed either way.

  /// "paper":   Adam 1e-4 constant, batch 100, 500 epochs, the non-overlapping grid.
  /// "default": the recipe chosen by cross-validation on the ambience corpus (docs/results.md,
  ///            "The default recipe"): 600 steps of 50, peak lr 2e-3, 10 % linear warm-up,
  ///            cosine decay to 1 %, Adam, the paper's grid, BC mixing and Freq-MixStyle
  ///            (p 0.5, alpha 0.3).
  /// "augment": "default" plus every recipe option: random crops, SpecAugment masks, level
  ///            shifts, AdamW, EMA weights, test-time windows at hop T/2 with an end window
  ///            (measured below "default" at 300 steps of 50; for experiments).
  /// "fast":    the earlier quick recipe: 300 steps of 100, without Freq-MixStyle.
  /// The Att-CRNN attention scale that goes with each: DefaultAttentionScale.
  /// ConfigError for other names.
  static TrainOptions Preset(const std::string& name);
  /// Names accepted by Preset, in the order the help lists them.
  static const std::vector<std::string>& PresetNames();
  /// The Att-CRNN attention_scale (ArchConfig::ScaleName) that goes with a preset when none
  /// is given: "none" (the paper's formula) for paper, the rescaled mask for fast.
  static std::string DefaultAttentionScale(const std::string& preset);

  /// The feature preset `features` ("logmel", "loggam") cut into this run's windows: the
  /// FeatureConfig that the feature cache, and through the bundle classify and stream, use.
  FeatureConfig Features(const std::string& features) const;

  /// Total optimiser steps for `train_segments` training segments:
  /// steps if > 0, else epochs * StepsPerEpoch.
  int64_t TotalSteps(int64_t train_segments) const;
  /// ceil(train_segments / batch_size) (at least 1).
  int64_t StepsPerEpoch(int64_t train_segments) const;
  /// The schedule for a run of `total_steps` steps.
  LrSchedule Schedule(int64_t total_steps) const;

  /// ConfigError naming the field and the expected range.
  void Validate() const;
  std::string ToString() const;
};

/// The architecture a recipe trains, one rule for `ascnet train`, `ascnet experiment` and the
/// Python package: the input normalisation train.instance_norm (ArchConfig::instance_norm,
/// both networks), and an Att-CRNN gets the attention scale `scale` (an ArchConfig::ScaleName; "" =
/// TrainOptions::DefaultAttentionScale(train.preset)); a CNN has no attention and keeps
/// kNone whatever is given, so the same system always has the same architecture JSON.
/// ConfigError for an unknown scale name.
ArchConfig WithRecipeArch(ArchConfig arch, const TrainOptions& train, const std::string& scale);

void to_json(nlohmann::json& j, const TrainOptions& o);
/// Requires every field; ConfigError naming a missing or mistyped one.
void from_json(const nlohmann::json& j, TrainOptions& o);

/// A 64-bit seed derived from (seed, a, b) with splitmix64 mixing (deterministic,
/// platform-independent): the per-epoch seeds of a run.
uint64_t DeriveSeed(uint64_t seed, uint64_t a, uint64_t b = 0);

}  // namespace ascnet
