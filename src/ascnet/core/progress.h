// A progress bar for long work on stderr: redrawn in place (at most 10 times a second)
// when stderr is a terminal, otherwise one line at every 10 % so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace ascnet {

class ProgressBar {
 public:
  /// `label` prefixes every line ("features", "train"...); `total` units of work.
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  ~ProgressBar();

  /// Sets the amount done (thread-safe); `detail` is shown after the counts (e.g. "loss 0.31").
  void Update(int64_t done, const std::string& detail = "");
  /// Adds one unit (thread-safe).
  void Tick(const std::string& detail = "");
  /// Prints the final line (total time); called by the destructor if not called before.
  void Finish(const std::string& detail = "");

  /// "1:02:03" / "2:03" style duration.
  static std::string FormatDuration(double seconds);

 private:
  void Draw(bool final_line);

  std::string label_, detail_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
};

}  // namespace ascnet
