#include "ascnet/audio/resample.h"

#include <soxr.h>

#include <cmath>
#include <string>

#include "ascnet/core/error.h"

namespace ascnet {

struct Resampler::State {
  soxr_t soxr = nullptr;
  bool flushed = false;
  ~State() {
    if (soxr != nullptr) soxr_delete(soxr);
  }
};

namespace {

void CheckRate(double rate, const char* name) {
  if (!std::isfinite(rate) || rate <= 0.0) {
    throw ConfigError(std::string("Resampler: ") + name + " = " + std::to_string(rate) +
                      " Hz; expected a finite rate > 0");
  }
}

// Output room for n more input samples (soxr may also release buffered samples).
size_t OutputRoom(size_t n, double ratio) {
  return static_cast<size_t>(std::ceil(static_cast<double>(n) * ratio)) + 256;
}

}  // namespace

Resampler::Resampler(double in_rate, double out_rate) : state_(new State) {
  CheckRate(in_rate, "in_rate");
  CheckRate(out_rate, "out_rate");
  ratio_ = out_rate / in_rate;
  passthrough_ = (in_rate == out_rate);
  if (passthrough_) return;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  // One thread: callers parallelise over files.
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t err = nullptr;
  state_->soxr = soxr_create(in_rate, out_rate, 1, &err, &io, &quality, &runtime);
  if (err != nullptr || state_->soxr == nullptr) {
    throw AudioError("Resampler: soxr_create(" + std::to_string(in_rate) + " Hz -> " +
                     std::to_string(out_rate) + " Hz) failed: " + (err ? err : "unknown error"));
  }
}

Resampler::~Resampler() = default;

void Resampler::Process(const float* in, size_t n, std::vector<float>* out) {
  if (state_->flushed) throw AudioError("Resampler: Process() called after Flush()");
  if (n == 0) return;
  if (passthrough_) {
    out->insert(out->end(), in, in + n);
    return;
  }
  size_t consumed = 0;
  while (consumed < n) {
    const size_t old = out->size();
    const size_t room = OutputRoom(n - consumed, ratio_);
    out->resize(old + room);
    size_t idone = 0, odone = 0;
    soxr_error_t err =
        soxr_process(state_->soxr, in + consumed, n - consumed, &idone, out->data() + old, room, &odone);
    out->resize(old + odone);
    if (err != nullptr) throw AudioError(std::string("Resampler: soxr_process failed: ") + err);
    consumed += idone;
    if (idone == 0 && odone == 0) {
      throw AudioError("Resampler: soxr_process made no progress");
    }
  }
}

void Resampler::Flush(std::vector<float>* out) {
  if (state_->flushed) return;
  state_->flushed = true;
  if (passthrough_) return;
  for (;;) {
    const size_t old = out->size();
    const size_t room = 4096;
    out->resize(old + room);
    size_t odone = 0;
    soxr_error_t err = soxr_process(state_->soxr, nullptr, 0, nullptr, out->data() + old, room, &odone);
    out->resize(old + odone);
    if (err != nullptr) throw AudioError(std::string("Resampler: soxr_process (flush) failed: ") + err);
    if (odone == 0) break;
  }
}

std::vector<float> Resample(const std::vector<float>& in, double in_rate, double out_rate) {
  Resampler r(in_rate, out_rate);
  if (r.passthrough()) return in;
  std::vector<float> out;
  out.reserve(OutputRoom(in.size(), out_rate / in_rate));
  r.Process(in.data(), in.size(), &out);
  r.Flush(&out);
  return out;
}

}  // namespace ascnet
