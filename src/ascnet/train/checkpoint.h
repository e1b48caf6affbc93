// Training checkpoints: everything needed to continue a run bit-for-bit (network weights
// and batch-norm buffers, Adam state, epoch, step, the log so far, the run's identity).
//
// File format (little-endian):
//   "ASCNETC1" | u64 header length | JSON header | u64 state length | torch archive
//   (torch::serialize, "net", "adam", optional "ema") | u32 CRC-32 of every preceding byte
// Written atomically (temporary file, fsync, rename), so a crash or a failed write leaves
// the previous checkpoint as it was. Reading checks every part and throws CheckpointError
// "<file>: checkpoint: <problem>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/optim/optimizer.h>

#include "ascnet/core/error.h"
#include "ascnet/model/networks.h"

namespace ascnet {

/// A checkpoint file is missing parts, truncated, corrupted or from another run.
class CheckpointError : public FormatError {
 public:
  using FormatError::FormatError;
};

/// One row of the training log (the paper's Figure 2): written after every epoch.
struct EpochRecord {
  int epoch = 0;               ///< 1-based number of the finished epoch
  int64_t step = 0;            ///< optimiser steps done so far
  double lr = 0;               ///< learning rate of the epoch's last step
  double train_loss = 0;       ///< mean KL loss over the epoch's (mixed) training batches
  double train_accuracy = 0;   ///< argmax(logits) == argmax(mixed target) on those batches
  double test_loss = 0;        ///< cross-entropy on the unmixed test segments (eval mode); NaN if none
  double test_accuracy = 0;    ///< segment accuracy on the test split (eval mode); NaN if none
  double seconds = 0;          ///< wall time of the run so far (training + evaluation)
};

struct TrainingLog {
  std::vector<EpochRecord> epochs;

  /// "epoch,step,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds" + one row each.
  std::string ToCsv() const;
  nlohmann::json ToJson() const;  ///< array of objects (NaN written as null)
  /// CheckpointError (naming the field) if malformed.
  static TrainingLog FromJson(const nlohmann::json& j);
};

struct Checkpoint {
  nlohmann::json run;  ///< identity of the run (arch, options, data); must match to resume
  int epoch = 0;       ///< epochs finished
  int64_t step = 0;    ///< optimiser steps finished
  TrainingLog log;
  std::string state;   ///< torch archive holding "net" (parameters and buffers), "adam" (the
                       ///< optimiser, Adam or AdamW) and, with EMA, "ema" (the averaged network)
};

/// Serialises the network's parameters and buffers, the optimiser's state and, when given,
/// the weight average (EMA) network.
std::string SaveTrainingState(NetworkImpl& net, torch::optim::Optimizer& optimizer, NetworkImpl* average = nullptr);
/// Restores what SaveTrainingState wrote into `net`, `optimizer` and `average` (when given;
/// on `device`); CheckpointError naming `name` if the archive does not fit them.
void LoadTrainingState(const std::string& state, NetworkImpl& net, torch::optim::Optimizer& optimizer,
                       torch::Device device, const std::string& name, NetworkImpl* average = nullptr);

std::string EncodeCheckpoint(const Checkpoint& c);
/// `name` (the file) prefixes error messages.
Checkpoint DecodeCheckpoint(const std::string& bytes, const std::string& name);
/// Atomic write (IoError on failure; the previous file is then untouched).
void SaveCheckpoint(const std::string& path, const Checkpoint& c);
/// IoError if unreadable, CheckpointError if truncated, corrupted or malformed.
Checkpoint LoadCheckpoint(const std::string& path);

}  // namespace ascnet
