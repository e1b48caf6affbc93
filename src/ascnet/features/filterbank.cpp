#include "ascnet/features/filterbank.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <mutex>
#include <tuple>

#include "ascnet/core/error.h"
#include "ascnet/core/simd.h"

namespace ascnet {
namespace {

constexpr double kFsp = 200.0 / 3.0;
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = 15.0;  // kMinLogHz / kFsp
const double kLogStep = std::log(6.4) / 27.0;

constexpr double kEarQ = 9.26449;
constexpr double kMinBw = 24.7;

}  // namespace

double HzToMelSlaney(double hz) { return hz < kMinLogHz ? hz / kFsp : kMinLogMel + std::log(hz / kMinLogHz) / kLogStep; }

double MelToHzSlaney(double mel) {
  return mel < kMinLogMel ? kFsp * mel : kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
}

std::vector<double> MelFrequencies(int num_bands, double fmin, double fmax) {
  const int n = num_bands + 2;
  const double lo = HzToMelSlaney(fmin), hi = HzToMelSlaney(fmax);
  std::vector<double> f(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) f[i] = MelToHzSlaney(lo + (hi - lo) * i / (n - 1));  // numpy.linspace, inclusive
  return f;
}

std::vector<double> ErbSpace(int num_bands, double fmin, double fmax) {
  std::vector<double> cf(static_cast<size_t>(num_bands));
  const double a = kEarQ * kMinBw;
  for (int i = 1; i <= num_bands; ++i) {
    const double v = -a + std::exp(i * (-std::log(fmax + a) + std::log(fmin + a)) / num_bands) * (fmax + a);
    cf[static_cast<size_t>(num_bands - i)] = v;  // flip: low to high
  }
  return cf;
}

std::vector<double> MelWeights(const FrameOptions& frame, const FilterbankOptions& fb) {
  frame.Validate();
  fb.Validate(frame);
  const int bins = frame.NumBins(), m = fb.num_bands;
  const std::vector<double> mel_f = MelFrequencies(m, fb.low_freq, fb.high_freq);
  std::vector<double> w(static_cast<size_t>(m) * bins, 0.0);
  for (int i = 0; i < m; ++i) {
    const double fdiff_lo = mel_f[i + 1] - mel_f[i];
    const double fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
    const double enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);  // Slaney area normalisation
    for (int k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * frame.sample_rate / frame.fft_size;
      const double lower = -(mel_f[i] - f) / fdiff_lo;
      const double upper = (mel_f[i + 2] - f) / fdiff_hi;
      w[static_cast<size_t>(i) * bins + k] = std::max(0.0, std::min(lower, upper)) * enorm;
    }
  }
  return w;
}

std::vector<double> GammatoneWeights(const FrameOptions& frame, const FilterbankOptions& fb) {
  frame.Validate();
  fb.Validate(frame);
  using cd = std::complex<double>;
  const int bins = frame.NumBins(), m = fb.num_bands, nfft = frame.fft_size;
  const double fs = frame.sample_rate, T = 1.0 / fs;
  const std::vector<double> cf = ErbSpace(m, fb.low_freq, fb.high_freq);
  const double rt_pos = std::sqrt(3.0 + std::pow(2.0, 1.5));
  const double rt_neg = std::sqrt(3.0 - std::pow(2.0, 1.5));
  std::vector<double> w(static_cast<size_t>(m) * bins, 0.0);
  for (int i = 0; i < m; ++i) {
    // Slaney/Ellis ERB filter (make_erb_filters, order 1, width 1) ...
    const double erb = 1.0 * (cf[i] / kEarQ + kMinBw);
    const double B = 1.019 * 2.0 * M_PI * erb;
    const double arg = 2.0 * M_PI * cf[i] * T;
    const cd vec = std::exp(cd(0, 2.0 * arg));
    const double k1[4] = {std::cos(arg) + rt_pos * std::sin(arg), std::cos(arg) - rt_pos * std::sin(arg),
                          std::cos(arg) + rt_neg * std::sin(arg), std::cos(arg) - rt_neg * std::sin(arg)};
    const double common = -T * std::exp(-B * T);
    const cd gain_arg = std::exp(cd(-B * T, arg));
    cd prod = 1.0;
    for (double k : k1) prod *= vec - gain_arg * k;
    const cd den = T * std::exp(B * T) / (-1.0 / std::exp(B * T) + 1.0 + vec * (1.0 - std::exp(B * T)));
    const double gain = std::abs(prod * den * den * den * den);
    // ... evaluated on the unit circle (fft_weights): zeros A1q*fs, double pole pair.
    const double r = std::exp(-B * T);
    const cd pole = r * std::exp(cd(0, arg));
    for (int k = 0; k < bins; ++k) {
      const cd u = std::exp(cd(0, 2.0 * M_PI * k / nfft));
      double num = 1.0;
      for (double kk : k1) num *= std::abs(u + common * kk * fs);
      const double pp = std::abs(fs * (pole - u) * (std::conj(pole) - u));
      w[static_cast<size_t>(i) * bins + k] = num * std::pow(pp, -4.0) / gain;
    }
  }
  return w;
}

std::vector<double> FilterbankWeights(const FrameOptions& frame, const FilterbankOptions& fb) {
  return fb.type == FilterbankOptions::Type::kMel ? MelWeights(frame, fb) : GammatoneWeights(frame, fb);
}

Filterbank::Filterbank(const FrameOptions& frame, const FilterbankOptions& fb)
    : num_bands_(fb.num_bands), num_bins_(frame.NumBins()), dense_(FilterbankWeights(frame, fb)) {
  for (int i = 0; i < num_bands_; ++i) {
    const double* row = &dense_[static_cast<size_t>(i) * num_bins_];
    const double peak = *std::max_element(row, row + num_bins_);
    // Keep every weight above 1e-12 of the row's peak: Mel rows are exactly sparse, the
    // Gammatone skirts below that level change no output in float32.
    const double cut = peak * 1e-12;
    int first = 0, last = num_bins_ - 1;
    while (first < num_bins_ && row[first] <= cut) ++first;
    while (last > first && row[last] <= cut) --last;
    if (first >= num_bins_) {
      throw ConfigError("filterbank band " + std::to_string(i) + " is empty (too many bands for fft_size " +
                        std::to_string((num_bins_ - 1) * 2) + "?)");
    }
    first_.push_back(first);
    last_.push_back(last);
    offset_.push_back(weights_.size());
    for (int k = first; k <= last; ++k) weights_.push_back(static_cast<float>(row[k]));
  }
  StoreBlocksIfDense();
}

void Filterbank::StoreBlocksIfDense() {
  // Blocks pay for the zeros inside their bin range; worth it when those are few.
  std::vector<int> lo, hi;
  int64_t block_cells = 0;
  for (int b0 = 0; b0 < num_bands_; b0 += kBandBlock) {
    const int b1 = std::min(num_bands_, b0 + kBandBlock);
    lo.push_back(*std::min_element(first_.begin() + b0, first_.begin() + b1));
    hi.push_back(*std::max_element(last_.begin() + b0, last_.begin() + b1));
    block_cells += static_cast<int64_t>(hi.back() - lo.back() + 1) * kBandBlock;
  }
  if (block_cells > NonZeros() * 5 / 4) return;
  block_first_ = lo;
  block_last_ = hi;
  for (size_t b = 0; b < lo.size(); ++b) {
    block_offset_.push_back(block_weights_.size());
    for (int k = lo[b]; k <= hi[b]; ++k) {
      for (int j = 0; j < kBandBlock; ++j) {
        const int i = static_cast<int>(b) * kBandBlock + j;
        const bool in = i < num_bands_ && k >= first_[i] && k <= last_[i];
        block_weights_.push_back(in ? weights_[offset_[i] + static_cast<size_t>(k - first_[i])] : 0.0f);
      }
    }
  }
}

std::shared_ptr<const Filterbank> Filterbank::Shared(const FrameOptions& frame, const FilterbankOptions& fb) {
  // Everything the weights depend on, exactly.
  using Key = std::tuple<int, int, int, int, double, double>;
  static std::mutex mu;
  static std::map<Key, std::shared_ptr<const Filterbank>> banks;
  const Key key{frame.sample_rate, frame.fft_size, static_cast<int>(fb.type), fb.num_bands, fb.low_freq, fb.high_freq};
  std::lock_guard<std::mutex> lock(mu);
  auto it = banks.find(key);
  if (it == banks.end()) it = banks.emplace(key, std::make_shared<const Filterbank>(frame, fb)).first;
  return it->second;
}

namespace {

// bands[f][i] = sum_k w_i[k] * spectra[f][first_i + k], four frames at a time so each weight
// row is read once per four frames.
ASCNET_HOT_LOOP
void ApplyRows(int num_bands, int num_bins, const float* weights, const size_t* offset, const int* first,
               const int* last, const float* spectra, int64_t frames, float* out) {
  int64_t f = 0;
  for (; f + 4 <= frames; f += 4) {
    const float* s0 = spectra + f * num_bins;
    const float* s1 = s0 + num_bins;
    const float* s2 = s1 + num_bins;
    const float* s3 = s2 + num_bins;
    for (int i = 0; i < num_bands; ++i) {
      const float* w = weights + offset[i];
      const int a = first[i], n = last[i] - first[i] + 1;
      float acc0 = 0.f, acc1 = 0.f, acc2 = 0.f, acc3 = 0.f;
#pragma omp simd reduction(+ : acc0, acc1, acc2, acc3)
      for (int k = 0; k < n; ++k) {
        acc0 += w[k] * s0[a + k];
        acc1 += w[k] * s1[a + k];
        acc2 += w[k] * s2[a + k];
        acc3 += w[k] * s3[a + k];
      }
      out[(f + 0) * num_bands + i] = acc0;
      out[(f + 1) * num_bands + i] = acc1;
      out[(f + 2) * num_bands + i] = acc2;
      out[(f + 3) * num_bands + i] = acc3;
    }
  }
  for (; f < frames; ++f) {
    const float* s = spectra + f * num_bins;
    for (int i = 0; i < num_bands; ++i) {
      const float* w = weights + offset[i];
      const int a = first[i], n = last[i] - first[i] + 1;
      float acc = 0.f;
#pragma omp simd reduction(+ : acc)
      for (int k = 0; k < n; ++k) acc += w[k] * s[a + k];
      out[f * num_bands + i] = acc;
    }
  }
}

// The same product over blocks of B = Filterbank::kBandBlock bands stored bins-major
// (w[b][k - first[b]][j]): four frames share each weight vector, and every output is summed
// over its bins in bin order (no reduction across vector lanes), so an output does not
// depend on the other frames of the batch.
constexpr int kB = Filterbank::kBandBlock;

template <int R>
__attribute__((always_inline)) inline void BlockTile(int num_bands, int num_bins, const float* w, int first, int last, int band0,
                      const float* spectra, int64_t f, float* out) {
  float c[R][kB] = {};
  for (int k = first; k <= last; ++k) {
    const float* wk = w + static_cast<size_t>(k - first) * kB;
    float a[R];
    for (int r = 0; r < R; ++r) a[r] = spectra[(f + r) * num_bins + k];
#pragma omp simd
    for (int j = 0; j < kB; ++j) {
      for (int r = 0; r < R; ++r) c[r][j] += a[r] * wk[j];
    }
  }
  const int n = std::min(kB, num_bands - band0);
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < n; ++j) out[(f + r) * num_bands + band0 + j] = c[r][j];
  }
}

__attribute__((noinline)) ASCNET_HOT_LOOP_V4
void ApplyBlocks(int num_bands, int num_bins, const float* weights, const size_t* offset, const int* first,
                 const int* last, const float* spectra, int64_t frames, float* out) {
  const int blocks = (num_bands + kB - 1) / kB;
  int64_t f = 0;
  for (; f + 4 <= frames; f += 4) {
    for (int b = 0; b < blocks; ++b) {
      BlockTile<4>(num_bands, num_bins, weights + offset[b], first[b], last[b], b * kB, spectra, f, out);
    }
  }
  for (; f < frames; ++f) {
    for (int b = 0; b < blocks; ++b) {
      BlockTile<1>(num_bands, num_bins, weights + offset[b], first[b], last[b], b * kB, spectra, f, out);
    }
  }
}

}  // namespace

void Filterbank::Apply(const float* spectrum, float* bands) const { ApplyBatch(spectrum, 1, bands); }

void Filterbank::ApplyBatch(const float* spectra, int64_t frames, float* bands) const {
  if (!block_weights_.empty()) {
    ApplyBlocks(num_bands_, num_bins_, block_weights_.data(), block_offset_.data(), block_first_.data(),
                block_last_.data(), spectra, frames, bands);
    return;
  }
  ApplyRows(num_bands_, num_bins_, weights_.data(), offset_.data(), first_.data(), last_.data(), spectra, frames,
            bands);
}
}  // namespace ascnet
