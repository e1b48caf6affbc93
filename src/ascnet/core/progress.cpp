#include "ascnet/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>

namespace ascnet {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled, Sink sink, bool decile_lines)
    : label_(std::move(label)),
      total_(total > 0 ? total : 0),
      enabled_(enabled),
      tty_(!sink && ::isatty(2) != 0),
      decile_lines_(decile_lines),
      sink_(std::move(sink)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::Restart(int64_t done) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = base_ = done;
  start_ = std::chrono::steady_clock::now();
}

double ProgressBar::SecondsLeft() {
  std::lock_guard<std::mutex> lock(mu_);
  return Left();
}

double ProgressBar::Left() const {
  if (done_ <= base_) return std::numeric_limits<double>::quiet_NaN();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed / static_cast<double>(done_ - base_) * static_cast<double>(std::max<int64_t>(0, total_ - done_));
}

void ProgressBar::Line(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool redraw = bar_shown_;
  Emit(text, /*final_line=*/true);  // on a terminal it overwrites the bar's line
  if (redraw) {
    last_draw_ = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    Draw(false);  // the bar again, below the line
  }
}
ProgressBar::~ProgressBar() {
  if (!finished_) Finish();
}

std::string ProgressBar::FormatDuration(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  }
  return buf;
}

void ProgressBar::Update(int64_t done, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = done;
  if (!detail.empty()) detail_ = detail;
  Draw(false);
}

void ProgressBar::Tick(const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  if (!detail.empty()) detail_ = detail;
  Draw(false);
}

void ProgressBar::Finish(const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (!detail.empty()) detail_ = detail;
  Draw(true);
}

void ProgressBar::Draw(bool final_line) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 0;
  if (!final_line) {
    if (tty_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    if (!tty_ && (!decile_lines_ || decile == last_decile_ || done_ >= total_)) return;  // Finish prints the last line
  }
  last_draw_ = now;
  last_decile_ = decile;
  std::ostringstream os;
  os << "[" << label_ << "] ";
  if (total_ > 0) {
    const int width = 24;
    const int filled = static_cast<int>(width * done_ / total_);
    if (tty_) os << "|" << std::string(filled, '#') << std::string(width - filled, ' ') << "| ";
    os << done_ << "/" << total_ << " (" << 100 * done_ / total_ << "%)";
  } else {
    os << done_;
  }
  os << " " << FormatDuration(elapsed);
  if (final_line) {
    os << " total";
  } else if (done_ > base_ && total_ > done_) {
    os << " ETA " << FormatDuration(Left());
  }
  if (!detail_.empty()) os << "  " << detail_;
  Emit(os.str(), final_line);
}

void ProgressBar::Emit(const std::string& line, bool final_line) {
  if (sink_) {
    sink_(line);
    return;
  }
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final_line ? "\n" : "");
    bar_shown_ = !final_line;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace ascnet
