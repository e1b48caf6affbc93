// Dynamic batching: segments that concurrent requests and streams submit at about the same
// time are scored by one network call (up to max_batch segments, waiting at most max_wait
// for company). Each caller gets exactly its own rows back; in eval mode a row's result does
// not depend on the other rows of its batch (RowsIndependentOfBatch, checked bit for bit in
// tests/serve); where that is not known, calls are not joined (BatchOptions::join_requests).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "ascnet/calibration/matrix.h"

namespace ascnet::serve {

struct BatchOptions {
  int64_t max_batch = 64;     ///< segments per network call (>= 1)
  double max_wait_ms = 2;     ///< longest wait for more segments after the first arrives, ms
  /// false: every Score() call is a network call of its own (no waiting, no company), where
  /// a row's result may depend on its batch (RowsIndependentOfBatch, model/inference.h).
  bool join_requests = true;
};

struct BatchStats {
  int64_t calls = 0;          ///< network calls made
  int64_t segments = 0;       ///< segments scored
  int64_t requests = 0;       ///< Score() calls served
  int64_t max_batch_seen = 0; ///< largest batch sent
};

class Batcher {
 public:
  using ScoreFn = std::function<DoubleMatrix(const float* segments, int64_t count)>;
  /// `segment_floats`: floats per segment (C * M * T). `score` runs on the batcher's thread;
  /// so does `warm_up`, when given, once before the first call is served (per-thread state
  /// such as OpenMP teams and BLAS buffers is then ready on the thread that scores; its
  /// exceptions are ignored: the first call reports the problem).
  Batcher(ScoreFn score, int64_t segment_floats, const BatchOptions& options, std::function<void()> warm_up = {});
  ~Batcher();

  /// Scores `count` segments (blocking); rethrows the scorer's exception. Thread-safe.
  DoubleMatrix Score(const float* segments, int64_t count);
  BatchStats stats() const;
  int waiting() const;  ///< Score() calls waiting to be batched

 private:
  struct Item;
  void Loop();
  ScoreFn score_;
  int64_t segment_floats_;
  BatchOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<Item*> queue_;
  BatchStats stats_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ascnet::serve
