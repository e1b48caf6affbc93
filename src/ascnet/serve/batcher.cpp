#include "ascnet/serve/batcher.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "ascnet/core/error.h"

namespace ascnet::serve {

struct Batcher::Item {
  const float* data = nullptr;
  int64_t count = 0;
  DoubleMatrix result;
  std::exception_ptr error;
  bool done = false;
};

Batcher::Batcher(ScoreFn score, int64_t segment_floats, const BatchOptions& options, std::function<void()> warm_up)
    : score_(std::move(score)), segment_floats_(segment_floats), options_(options) {
  if (segment_floats_ <= 0) throw ConfigError("batcher: segment_floats must be > 0");
  if (options_.max_batch < 1) throw ConfigError("batcher: max_batch = " + std::to_string(options_.max_batch) + " (expected >= 1)");
  thread_ = std::thread([this, warm_up = std::move(warm_up)] {
    if (warm_up) {
      try {
        warm_up();
      } catch (...) {
      }
    }
    Loop();
  });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

DoubleMatrix Batcher::Score(const float* segments, int64_t count) {
  if (count <= 0) return DoubleMatrix();
  Item item;
  item.data = segments;
  item.count = count;
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) throw ConfigError("batcher: stopped");
  queue_.push_back(&item);
  cv_.notify_all();
  done_cv_.wait(lock, [&] { return item.done; });
  if (item.error) std::rethrow_exception(item.error);
  return std::move(item.result);
}

BatchStats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

int Batcher::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

void Batcher::Loop() {
  using Clock = std::chrono::steady_clock;
  std::vector<float> joined;
  while (true) {
    std::vector<Item*> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Wait a little for other callers' segments, unless the batch is already full.
      const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double, std::milli>(options_.max_wait_ms));
      auto queued = [&] {
        int64_t n = 0;
        for (const Item* i : queue_) n += i->count;
        return n;
      };
      while (options_.join_requests && !stop_ && queued() < options_.max_batch && Clock::now() < deadline) {
        cv_.wait_until(lock, deadline);
      }
      int64_t rows = 0;
      while (!queue_.empty() &&
             (batch.empty() || (options_.join_requests && rows + queue_.front()->count <= options_.max_batch))) {
        rows += queue_.front()->count;
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    int64_t rows = 0;
    for (const Item* i : batch) rows += i->count;
    std::exception_ptr error;
    DoubleMatrix p;
    try {
      if (batch.size() == 1) {
        p = score_(batch[0]->data, batch[0]->count);
      } else {
        joined.resize(static_cast<size_t>(rows * segment_floats_));
        float* dst = joined.data();
        for (const Item* i : batch) {
          std::memcpy(dst, i->data, static_cast<size_t>(i->count * segment_floats_) * sizeof(float));
          dst += i->count * segment_floats_;
        }
        p = score_(joined.data(), rows);
      }
      if (p.rows != rows) throw ConfigError("batcher: the scorer returned " + std::to_string(p.rows) + " rows for " + std::to_string(rows));
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      int64_t r = 0;
      for (Item* i : batch) {
        if (error) {
          i->error = error;
        } else {
          i->result = DoubleMatrix(i->count, p.cols, std::vector<double>(p.Row(r), p.Row(r) + i->count * p.cols));
        }
        r += i->count;
        i->done = true;
      }
      if (!error) {
        ++stats_.calls;
        stats_.segments += rows;
        stats_.requests += static_cast<int64_t>(batch.size());
        stats_.max_batch_seen = std::max(stats_.max_batch_seen, rows);
      }
    }
    done_cv_.notify_all();
  }
}

}  // namespace ascnet::serve
