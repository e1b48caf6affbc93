// A 16-bit PCM WAV file written by hand (no libsndfile needed by the test).
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

namespace ascnet::testing {

/// 16-bit PCM WAV: a tone with a little deterministic noise, the same on every channel.
inline void WriteWav(const std::string& path, double freq, double seconds, int rate = 22050, int channels = 1) {
  const uint32_t n = static_cast<uint32_t>(seconds * rate) * static_cast<uint32_t>(channels);
  const uint16_t ch = static_cast<uint16_t>(channels);
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  f.write("RIFF", 4);
  u32(36 + 2 * n);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(ch);
  u32(static_cast<uint32_t>(rate));
  u32(static_cast<uint32_t>(2 * rate * channels));
  u16(static_cast<uint16_t>(2 * ch));
  u16(16);
  f.write("data", 4);
  u32(2 * n);
  uint32_t noise = 12345;
  for (uint32_t i = 0; i < n; ++i) {
    noise = noise * 1664525u + 1013904223u;
    const uint32_t frame = i / ch;
    const double v = 0.3 * std::sin(2 * M_PI * freq * frame / rate) + 0.02 * ((noise >> 16) / 32768.0 - 1.0);
    u16(static_cast<uint16_t>(static_cast<int16_t>(std::lround(v * 32767))));
  }
}

}  // namespace ascnet::testing
