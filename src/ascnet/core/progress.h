// The one progress display for long work (feature extraction, training, ...): a bar on stderr
// redrawn in place (at most 10 times a second) when stderr is a terminal, otherwise one line
// at every 10 % (or none, for callers that print their own lines) so logs stay readable; log
// lines printed through it do not tear the bar.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace ascnet {

class ProgressBar {
 public:
  using Sink = std::function<void(const std::string&)>;

  /// `label` prefixes every line ("features", "train"...); `total` units of work; `enabled`
  /// false shows nothing but Line()s. `sink`: where lines go instead of stderr (then there is
  /// no bar). `decile_lines` false: off a terminal, no line at every 10 % (the caller prints
  /// its own through Line()).
  ProgressBar(std::string label, int64_t total, bool enabled = true, Sink sink = nullptr, bool decile_lines = true);
  ~ProgressBar();

  /// Work resumes at `done` units (e.g. a resumed training run): the ETA counts only what is
  /// done from now on.
  void Restart(int64_t done);
  /// Seconds left at the rate since the start (or Restart); NaN before any work.
  double SecondsLeft();
  /// Prints one log line (always, even when not enabled) above the bar.
  void Line(const std::string& text);

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
  double Left() const;  // SecondsLeft under the lock
  void Emit(const std::string& line, bool final_line);

  std::string label_, detail_;
  int64_t total_, done_ = 0, base_ = 0;
  bool enabled_, tty_, decile_lines_, finished_ = false, bar_shown_ = false;
  Sink sink_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
};

}  // namespace ascnet
