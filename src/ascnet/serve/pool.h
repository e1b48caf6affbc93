// A bounded worker pool: a fixed number of threads and a bounded queue; TrySubmit refuses
// (returns false) when the queue is full, which the server turns into 503.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ascnet::serve {

class WorkerPool {
 public:
  WorkerPool(int workers, int max_queued);
  ~WorkerPool();  ///< finishes the queued jobs, then joins

  /// Queues `job` unless `max_queued` jobs are already waiting (or the pool is stopping).
  bool TrySubmit(std::function<void()> job);
  /// The same for a job that answers someone: `job` does the work and returns the reply
  /// (e.g. posting the response to the connection), which runs after the worker counts as
  /// free again. So a client that has its answer and sends the next request at once finds
  /// the worker idle instead of a 503 (the job used to still count as running then).
  bool TrySubmitWithReply(std::function<std::function<void()>()> job);
  int queued() const;   ///< jobs waiting for a worker
  int busy() const;     ///< jobs running
  /// Stops taking jobs; runs what is queued (or, with `drop_queued`, drops it: after a
  /// drain timeout nobody waits for those answers); joins the threads. Idempotent.
  void Shutdown(bool drop_queued = false);

 private:
  void Loop();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<std::function<void()>()>> jobs_;
  std::vector<std::thread> threads_;
  int max_queued_;
  int busy_ = 0;
  bool stop_ = false;
};

}  // namespace ascnet::serve
