// Fast eval-mode inference on the CPU (the numbers are the network's eval forward up to
// float rounding; tests check 1e-5):
//  - coarse-grained parallelism: the batch is cut into chunks that the intra-op threads
//    process whole (one parallel region per call instead of one per tensor op, which on a
//    busy 2-core machine costs a scheduler time slice per op), chunks small enough for the
//    conv activations to stay in cache;
//  - per conv layer, one fused pass ReLU -> max pool -> batch norm after the convolution:
//    batch norm y = a*x + b is monotone per channel, so it commutes exactly with the max
//    pool (for a < 0 via -max(-x)), and is applied to 4x fewer values;
//  - convolutions in the memory layout (NCHW / channels-last) chosen per layer;
//  - the GRUs' recurrences run in ascnet's own kernel (model/gru_kernel.h: plain loops, no
//    per-step tensor operations), their input projections, the output projection, the
//    attention and the classifier one segment per product.
// The last point makes a segment's results the same bits whatever other segments share its
// call (RowsIndependentOfBatch), which a BLAS product over the whole batch does not give:
// its kernels compute a row on another path depending on where it falls in their blocks.
// Not for training (no autograd, no dropout, running batch-norm statistics only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "ascnet/model/gru_kernel.h"
#include "ascnet/model/networks.h"

namespace ascnet {

struct InferenceOptions {
  /// Segments per work item (one item's GRU and attention run as one batch); 0 = the
  /// batch split evenly over the intra-op threads.
  int64_t chunk = 0;
  int64_t conv_chunk = 10;  ///< segments per conv-block pass inside an item (cache blocking)
  /// Per conv layer: run the convolution channels-last (NHWC) instead of NCHW. Empty =
  /// default: every layer NCHW (measured with oneDNN: all-NCHW ~ all-NHWC, both faster
  /// than mixed layouts; bench_model BM_AttCrnn_Engine/chunk/mask).
  std::vector<bool> channels_last;
};

/// The multiple a caller pads a batch to on devices other than the CPU (not measured there;
/// on the CPU the engine needs no padding, see RowsIndependentOfBatch).
inline constexpr int64_t kExactRowMultiple = 4;

/// Whether a segment's results from InferenceEngine on the CPU are the same bits in every
/// batch, i.e. whether segments of different requests may share a network call without
/// changing any answer (`ascnet serve` batches across requests only then). The engine makes
/// them so by construction (the convolutions run in oneDNN, which computes each image alike
/// in any batch; every product whose rows would span segments runs per segment or in the GRU
/// kernel), provided the BLAS computes a product from its operands alone: true for OpenBLAS
/// with every kernel set (tests/serve checks it bit for bit with its SSE3, AVX2 and AVX-512
/// kernels), false (not known) for other BLAS libraries (MKL, in official LibTorch builds, may
/// take paths that depend on memory alignment) and for a LibTorch without oneDNN. Selects the
/// process's kernels first (TuneProcess). `why`, when given, receives the reason in words.
bool RowsIndependentOfBatch(std::string* why = nullptr);

/// The multiple a caller pads a batch of rows to before a network call on `device`: 1 on the
/// CPU (InferenceEngine's rows do not depend on their batch, so padding would only cost time:
/// a lone live segment would pay for several rows), kExactRowMultiple elsewhere.
int64_t BatchRowMultiple(torch::Device device);

/// A snapshot of an eval-mode network prepared for fast CPU inference. Constructing one
/// calls LimitOpenBlasThreads(1) (process-wide; core/blas.h). The engine copies
/// what it precomputes (folded batch norm, weight layouts) at construction: rebuild it
/// after changing the network's weights. On non-CPU devices Forward() simply calls the
/// network's eval forward.
class InferenceEngine {
 public:
  explicit InferenceEngine(NetworkPtr net, InferenceOptions options = {});

  /// [B, channels, bands, frames] -> the network's eval-mode NetOutput (logits, pooled,
  /// attention). No autograd; the result is computed under InferenceMode.
  NetOutput Forward(const torch::Tensor& x);

  const NetworkPtr& network() const { return net_; }

  /// Builds what the first calls would otherwise build on the way (oneDNN creates a
  /// convolution primitive the first time it sees a batch size, tens of ms each): one conv
  /// pass of every size the engine uses (1..conv_chunk segments) and one forward of a segment
  /// per intra-op thread. For services, before their first live segment, on the thread that
  /// will call Forward; a no-op off the CPU.
  void WarmUp();

  /// The GRU stack + projection, eval, as Forward runs it (GRU kernel, per-segment
  /// products): [n, T, F] -> Z [n, T, 2H] (attcrnn only); for tests and benchmarks.
  torch::Tensor Recurrent(const torch::Tensor& seq) const;
  /// The conv block alone, fused ([n, C, M, T] -> sequence [n, T, F]); exposed for tests
  /// and benchmarks.
  torch::Tensor ConvBlockToSequence(const torch::Tensor& x) const;

 private:
  struct ConvLayer {
    torch::Tensor weight, bias;  // weight in the layer's layout
    bool channels_last = false;
    int pad_before = 0, pad_after = 0;
    std::vector<float> scale, shift;  // |a| and b of the folded batch norm
    std::vector<float> sign;          // sign(a): +1 or -1
  };
  struct RecurrentLayer {
    torch::Tensor w_ih_t;  // [F, 6H]: both directions' W_ih, transposed (a view)
    torch::Tensor b_ih;    // [6H]
    GruRecurrentWeights forward, backward;
  };
  void PrepareRecurrent(AttCrnnImpl& net);
  NetOutput ForwardChunk(const torch::Tensor& x) const;
  bool OnCpu() const;  // every parameter of the network on the CPU

  NetworkPtr net_;
  ArchConfig arch_;
  InferenceOptions options_;
  std::vector<ConvLayer> conv_;
  std::vector<RecurrentLayer> gru_;   // attcrnn only
  torch::Tensor proj_w_t_, proj_b_;   // attcrnn only: Z = h W^T + b
};

}  // namespace ascnet
