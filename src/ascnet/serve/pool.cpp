#include "ascnet/serve/pool.h"

namespace ascnet::serve {

WorkerPool::WorkerPool(int workers, int max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TrySubmit(std::function<void()> job) {
  return TrySubmitWithReply([job = std::move(job)] {
    job();
    return std::function<void()>();
  });
}

bool WorkerPool::TrySubmitWithReply(std::function<std::function<void()>()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    // A job may start at once when a worker is idle: only waiting jobs count against the queue.
    const int idle = static_cast<int>(threads_.size()) - busy_ - static_cast<int>(jobs_.size());
    if (idle <= 0 && static_cast<int>(jobs_.size()) >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

int WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(jobs_.size());
}

int WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_;
}

void WorkerPool::Shutdown(bool drop_queued) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
    if (drop_queued) jobs_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::Loop() {
  while (true) {
    std::function<std::function<void()>()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
    }
    std::function<void()> reply;
    try {
      reply = job();
    } catch (...) {
      // Jobs report their own errors; nothing may escape a worker thread.
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      --busy_;
    }
    if (!reply) continue;
    try {
      reply();
    } catch (...) {
      // As for the job: nothing may escape a worker thread.
    }
  }
}

}  // namespace ascnet::serve
