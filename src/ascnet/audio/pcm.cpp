#include "ascnet/audio/pcm.h"

#include <cmath>
#include <cstring>

#include "ascnet/core/error.h"

namespace ascnet {

PcmFormat ParsePcmFormat(const std::string& name) {
  if (name == "s16le" || name == "int16") return PcmFormat::kS16le;
  if (name == "f32le" || name == "float32") return PcmFormat::kF32le;
  throw ConfigError("sample format '" + name + "' (expected s16le/int16 or f32le/float32)");
}

std::string PcmFormatName(PcmFormat format) { return format == PcmFormat::kS16le ? "s16le" : "f32le"; }

int PcmSampleBytes(PcmFormat format) { return format == PcmFormat::kS16le ? 2 : 4; }

PcmDecoder::PcmDecoder(PcmFormat format, int channels) : format_(format), channels_(channels) {
  if (channels < 1 || channels > 64) {
    throw ConfigError("channels = " + std::to_string(channels) + " (expected 1..64)");
  }
  frame_bytes_ = PcmSampleBytes(format) * channels;
}

namespace {
inline float Sample(PcmFormat format, const unsigned char* p) {
  if (format == PcmFormat::kS16le) {
    return static_cast<float>(static_cast<int16_t>(static_cast<uint16_t>(p[0] | (p[1] << 8))));
  }
  const uint32_t u = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                     (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace

void PcmDecoder::Decode(const void* data, size_t n, std::vector<float>* mono) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  const int sb = PcmSampleBytes(format_);
  // Divided (not multiplied by a reciprocal): the same bits as `ascnet stream` always gave.
  const float denom = format_ == PcmFormat::kS16le ? 32768.f * channels_ : static_cast<float>(channels_);
  auto frame = [&](const unsigned char* f) {
    float sum = 0;
    for (int c = 0; c < channels_; ++c) {
      const float v = Sample(format_, f + c * sb);
      if (format_ == PcmFormat::kF32le && !(std::fabs(v) <= kMaxFloatSample)) {
        throw AudioError("float32 sample " + std::to_string(v) + " in frame " + std::to_string(frames_) +
                         " is not finite or beyond +-" + std::to_string(static_cast<int>(kMaxFloatSample)) +
                         " (expected PCM in [-1, 1]; is the data int16?)");
      }
      sum += v;
    }
    mono->push_back(sum / denom);
    ++frames_;
  };
  const size_t fb = static_cast<size_t>(frame_bytes_);
  if (carry_len_) {
    const size_t take = std::min(fb - carry_len_, n);
    std::memcpy(carry_ + carry_len_, bytes, take);
    carry_len_ += take;
    bytes += take;
    n -= take;
    if (carry_len_ < fb) return;
    carry_len_ = 0;
    frame(carry_);
  }
  const size_t frames = n / fb;
  mono->reserve(mono->size() + frames);
  for (size_t f = 0; f < frames; ++f) frame(bytes + f * fb);
  carry_len_ = n - frames * fb;
  std::memcpy(carry_, bytes + frames * fb, carry_len_);
}

}  // namespace ascnet
