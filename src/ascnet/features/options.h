// Options of the audio front end, Kaldi-style: small structs that compose, each
// with defaults (the paper's, see shared spec system.md), units in the comments,
// Validate() that names the bad field, and a printable form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ascnet {

/// Framing and STFT.
struct FrameOptions {
  int sample_rate = 22050;  ///< Hz; audio is resampled to this rate.
  int frame_length = 1102;  ///< samples (~50 ms); periodic Hann window of this length.
  int frame_shift = 551;    ///< samples (~25 ms, 50 % overlap).
  int fft_size = 2048;      ///< FFT length (>= frame_length, power of two not required).

  int NumBins() const { return fft_size / 2 + 1; }
  double FrameShiftSeconds() const { return static_cast<double>(frame_shift) / sample_rate; }
  void Validate() const;
  std::string ToString() const;
};

/// Minimum-statistics noise tracking (Martin 2001, VOICEBOX v_estnoisem constants) and
/// background subtraction P_fg = max(P - alpha*N, beta*N).
struct NoiseOptions {
  double alpha = 1.0;  ///< over-subtraction factor (dimensionless).
  double beta = 0.01;  ///< noise floor as a fraction of N (dimensionless).
  // VOICEBOX time constants (seconds) and settings; see algorithms.md §1.1.
  double taca = 0.0449;
  double tamax = 0.392;
  double taminh = 0.0133;
  double tpfall = 0.064;
  double tbmax = 0.0717;
  double qeqmin = 2.0;
  double qeqmax = 14.0;
  double av = 2.12;
  double td = 1.536;
  int nu = 8;

  void Validate() const;
  std::string ToString() const;
};

/// Filterbank applied to the power (Mel) or magnitude (Gammatone) spectrum.
struct FilterbankOptions {
  enum class Type { kMel, kGammatone };
  Type type = Type::kMel;
  int num_bands = 64;
  double low_freq = 50.0;      ///< Hz.
  double high_freq = 11025.0;  ///< Hz; <= sample_rate / 2.

  void Validate(const FrameOptions& frame) const;
  std::string ToString() const;
  static std::string TypeName(Type t);
  static Type ParseType(const std::string& name);  ///< "mel" or "gammatone".
};

/// Cutting the whole-recording image into fixed-size windows ("segments"): a grid of
/// T-frame windows every `hop` frames from the start, plus (cover_end) one window aligned to
/// the end when the grid leaves trailing frames uncovered. The paper: hop = T, no end window
/// (a 5 s clip loses its last second). A recording shorter than T is zero-padded to one window.
struct SegmentOptions {
  int frames = 80;         ///< T: frames per segment (~2 s).
  int hop = 80;            ///< frames between grid window starts (== frames: no overlap).
  bool cover_end = false;  ///< add a window [N - T, N) when the grid ends before frame N.

  /// Start frames of the windows of a recording of `num_frames` frames (see above); empty
  /// for num_frames <= 0, {0} when num_frames < frames.
  std::vector<int64_t> WindowStarts(int64_t num_frames) const;

  void Validate() const;
  std::string ToString() const;
};

/// Everything that defines a feature image; stored in model bundles and cache keys so
/// that features can never drift from a model.
struct FeatureConfig {
  std::string name = "logmel";  ///< preset name this config started from.
  FrameOptions frame;
  NoiseOptions noise;
  FilterbankOptions filterbank;
  SegmentOptions segment;
  bool background_channel = true;  ///< add channel 1 (background-subtracted).
  double log_floor = 1e-10;        ///< L = ln(max(x, log_floor)).

  int NumChannels() const { return background_channel ? 2 : 1; }

  /// "logmel" (Slaney Mel of the power spectrum) or "loggam" (ERB Gammatone of the
  /// magnitude spectrum / fft_size). ConfigError for other names.
  static FeatureConfig Preset(const std::string& name);

  void Validate() const;
  std::string ToString() const;  ///< multi-line, human readable
};

void to_json(nlohmann::json& j, const FeatureConfig& c);
void from_json(const nlohmann::json& j, FeatureConfig& c);

}  // namespace ascnet
