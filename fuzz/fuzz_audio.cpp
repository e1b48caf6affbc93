// The audio decoding front (libsndfile + mix-down + libsoxr) on arbitrary file bytes:
// ProbeAudio, then LoadAudio at a target rate picked by the first byte. Only AudioError /
// IoError may come out; decoded samples must be finite.
#include <cmath>
#include <string>

#include "ascnet/audio/decode.h"
#include "ascnet/core/error.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const int kRates[] = {8000, 16000, 22050, 44100};
  ascnet::AudioOptions opts;
  opts.target_rate = kRates[data[0] % 4];
  const std::string path = (ascnet_fuzz::ScratchDir() / "input.audio").string();
  ascnet_fuzz::WriteBytes(path, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const ascnet::AudioInfo info = ascnet::ProbeAudio(path);
    if (info.channels < 1 || info.sample_rate <= 0) __builtin_trap();
    const std::vector<float> x = ascnet::LoadAudio(path, opts);
    if (x.empty()) __builtin_trap();
    for (float v : x)
      if (!std::isfinite(v)) __builtin_trap();
  } catch (const ascnet::AudioError&) {
  } catch (const ascnet::IoError&) {
  }
  return 0;
}
