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
//  - the GRUs are the network's own torch::nn::GRU modules (a hand-batched GRU advancing
//    both directions together was measured 8 % slower and removed).
// Not for training (no autograd, no dropout, running batch-norm statistics only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

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

/// Rows that are computed together come in multiples of this: BLAS kernels compute the
/// rows of an incomplete block of columns on another path (other last bits). OpenBLAS's
/// AVX-512 (SkylakeX) kernels, which TuneProcess selects on such CPUs, work on 4 columns at
/// a time and differ below 4. With blocks of 4, a row gives the same bits in any batch with
/// those kernels (tests/serve: paper-size networks, runs of 1-5 segments against batches of
/// 11 and 67, 1 and 2 threads); with others padding is not enough (RowsIndependentOfBatch,
/// below). The engine's
/// automatic chunks are a multiple of it, and a caller that pads its batch to a multiple of
/// it (Recognizer does) gets results that do not depend on which other segments share the
/// call.
inline constexpr int64_t kExactRowMultiple = 4;
/// `n` rounded up to a multiple of kExactRowMultiple.
inline constexpr int64_t RoundUpToExactRows(int64_t n) {
  return (n + kExactRowMultiple - 1) / kExactRowMultiple * kExactRowMultiple;
}

/// Whether, with the BLAS kernels this process runs, a row's results are the same bits in
/// every batch padded to kExactRowMultiple, i.e. whether segments of different requests may
/// share a network call without changing any answer (`ascnet serve` batches across requests
/// only then). Measured with Debian 12's OpenBLAS 0.3.21 (a GRU and a linear layer of the
/// Att-CRNN's sizes, each batch of 1-20 rows against the same rows in a batch of 64): yes for
/// its AVX-512 kernels (SkylakeX, Cooperlake, from 4 rows) and its AVX kernels (SandyBridge);
/// no for its AVX2 kernels (Haswell, Zen: the GRU's rows differ with every batch size) and its
/// SSE3 kernels (Prescott: 12 rows differ from 64). Not known, so no, for other BLAS libraries
/// (official LibTorch builds use MKL). Selects the process's kernels first (TuneProcess).
/// `why`, when given, receives the reason in words (the kernel set).
bool RowsIndependentOfBatch(std::string* why = nullptr);

/// The multiple a caller pads a batch of rows to before a network call on `device`:
/// kExactRowMultiple where that makes a row's results independent of its batch (and on
/// devices other than the CPU, not measured), 1 on a CPU whose kernels compute a row
/// differently with every batch anyway (RowsIndependentOfBatch false), where padding would
/// only cost time (a lone live segment would pay for 4 rows).
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

  /// The GRU stack + projection, eval: [n, T, F] -> Z [n, T, 2H] (attcrnn only); for tests
  /// and benchmarks.
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
  NetOutput ForwardChunk(const torch::Tensor& x) const;

  NetworkPtr net_;
  ArchConfig arch_;
  InferenceOptions options_;
  std::vector<ConvLayer> conv_;
};

}  // namespace ascnet
