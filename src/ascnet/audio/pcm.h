// Raw interleaved PCM bytes -> mono float samples, chunk by chunk. Chunks may split a sample
// frame anywhere: the incomplete tail is kept and completed by the next chunk. Used by
// `ascnet stream` (standard input) and `ascnet serve` (WebSocket frames).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ascnet {

enum class PcmFormat { kS16le, kF32le };
/// "s16le" / "int16" or "f32le" / "float32"; ConfigError otherwise.
PcmFormat ParsePcmFormat(const std::string& name);
std::string PcmFormatName(PcmFormat format);  ///< "s16le" or "f32le"
int PcmSampleBytes(PcmFormat format);         ///< 2 or 4

class PcmDecoder {
 public:
  /// ConfigError for channels outside 1..64.
  PcmDecoder(PcmFormat format, int channels);

  /// Float samples beyond this magnitude (or not finite) are not PCM: AudioError.
  static constexpr float kMaxFloatSample = 64.f;

  /// Appends the complete frames of `bytes` (with any carried partial frame) to *mono,
  /// averaged over channels; s16 is divided by 32768. AudioError for a float sample that is
  /// not finite or beyond +-kMaxFloatSample (the stream should then be ended).
  void Decode(const void* bytes, size_t n, std::vector<float>* mono);

  int frame_bytes() const { return frame_bytes_; }
  size_t carry() const { return carry_len_; }   ///< bytes of an incomplete frame held
  int64_t frames() const { return frames_; }   ///< complete frames decoded so far

 private:
  PcmFormat format_;
  int channels_;
  int frame_bytes_;
  unsigned char carry_[64 * 4] = {};
  size_t carry_len_ = 0;
  int64_t frames_ = 0;
};

}  // namespace ascnet
