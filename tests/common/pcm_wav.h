// 16-bit PCM WAV files written by hand (no libsndfile needed by the test): the one WAV writer
// of the tests. (tests/audio/test_audio.cpp's CraftWav builds deliberately malformed headers.)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ascnet::testing {

/// A canonical 44-byte-header 16-bit PCM WAV of `samples` interleaved values (frames x channels),
/// sample(i) giving the i-th as an int16; written in blocks, so any length fits.
template <typename Sample>
void WritePcm16Wav(const std::string& path, int rate, int channels, uint32_t samples, Sample sample) {
  const uint16_t ch = static_cast<uint16_t>(channels);
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + path);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  f.write("RIFF", 4);
  u32(36 + 2 * samples);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(ch);
  u32(static_cast<uint32_t>(rate));
  u32(static_cast<uint32_t>(2 * rate * channels));
  u16(static_cast<uint16_t>(2 * ch));
  u16(16);
  f.write("data", 4);
  u32(2 * samples);
  std::vector<int16_t> block(1 << 16);
  for (uint32_t i = 0; i < samples;) {
    const uint32_t m = std::min<uint32_t>(static_cast<uint32_t>(block.size()), samples - i);
    for (uint32_t k = 0; k < m; ++k, ++i) block[k] = sample(i);
    f.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(2 * m));
  }
  if (!f) throw std::runtime_error("cannot write " + path);
}

/// 16-bit PCM WAV: a tone with a little deterministic noise, the same on every channel.
inline void WriteWav(const std::string& path, double freq, double seconds, int rate = 22050, int channels = 1) {
  const uint32_t n = static_cast<uint32_t>(seconds * rate) * static_cast<uint32_t>(channels);
  const uint32_t ch = static_cast<uint32_t>(channels);
  uint32_t noise = 12345;
  WritePcm16Wav(path, rate, channels, n, [&](uint32_t i) {
    noise = noise * 1664525u + 1013904223u;
    const uint32_t frame = i / ch;
    const double v = 0.3 * std::sin(2 * M_PI * freq * frame / rate) + 0.02 * ((noise >> 16) / 32768.0 - 1.0);
    return static_cast<int16_t>(std::lround(v * 32767));
  });
}

/// Mono 16-bit WAV of a tone (amplitude 0.2) with a little noise; any length. The samples are
/// what libsndfile wrote for these float values (float x 32767, rounded to nearest even).
inline void WriteToneWav(const std::string& path, double seconds, double freq = 440, int rate = 22050) {
  const int64_t n = static_cast<int64_t>(seconds * rate);
  uint32_t s = 7;
  WritePcm16Wav(path, rate, 1, static_cast<uint32_t>(n), [&](uint32_t i) {
    s = s * 1664525u + 1013904223u;
    const float v = 0.2f * static_cast<float>(std::sin(2 * M_PI * freq * static_cast<int64_t>(i) / rate)) +
                    ((s >> 9) / 8388608.f - 0.5f) * 0.02f;
    return static_cast<int16_t>(std::lrint(32767.0f * v));
  });
}

}  // namespace ascnet::testing
