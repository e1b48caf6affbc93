// Sample-rate conversion with libsoxr (high quality), one-shot or streaming.
#pragma once

#include <memory>
#include <vector>

namespace ascnet {

/// Streaming mono resampler (soxr, SOXR_HQ). Feed blocks with Process(), then Flush().
class Resampler {
 public:
  Resampler(double in_rate, double out_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  /// Appends the resampled output of `in` (n samples) to *out.
  void Process(const float* in, size_t n, std::vector<float>* out);
  /// Appends the remaining buffered output to *out; the resampler is then finished.
  void Flush(std::vector<float>* out);
  bool passthrough() const { return passthrough_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  double ratio_ = 1.0;
  bool passthrough_ = false;
};

/// One-shot resampling of a whole signal.
std::vector<float> Resample(const std::vector<float>& in, double in_rate, double out_rate);

}  // namespace ascnet
