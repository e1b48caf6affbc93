#include "ascnet/core/progress.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

namespace ascnet {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total > 0 ? total : 0),
      enabled_(enabled),
      tty_(::isatty(2) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

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
    if (!tty_ && (decile == last_decile_ || done_ >= total_)) return;  // Finish prints the last line
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
  } else if (done_ > 0 && total_ > done_) {
    os << " ETA " << FormatDuration(elapsed / done_ * (total_ - done_));
  }
  if (!detail_.empty()) os << "  " << detail_;
  const std::string line = os.str();
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace ascnet
