#include "ascnet/model/complexity.h"

#include <cstdio>

#include "ascnet/core/error.h"

namespace ascnet {

Complexity ComputeComplexity(const ArchConfig& arch, const FeatureConfig& features) {
  arch.Validate();
  features.Validate();
  if (arch.channels != features.NumChannels() || arch.bands != features.filterbank.num_bands ||
      arch.frames != features.segment.frames) {
    throw ConfigError("complexity: the architecture's input [" + std::to_string(arch.channels) + ", " +
                      std::to_string(arch.bands) + ", " + std::to_string(arch.frames) +
                      "] does not match the features' segments [" + std::to_string(features.NumChannels()) + ", " +
                      std::to_string(features.filterbank.num_bands) + ", " + std::to_string(features.segment.frames) +
                      "]");
  }
  Complexity c;
  c.parameters = CountParameters(arch);
  c.parameter_bytes = c.parameters * static_cast<int64_t>(sizeof(float));
  c.macs_per_segment = CountMacs(arch);
  c.frames_per_second = 1.0 / features.frame.FrameShiftSeconds();
  c.segments_per_second = c.frames_per_second / features.segment.hop;
  c.network_macs_per_second = static_cast<double>(c.macs_per_segment) * c.segments_per_second;
  c.front_end = FrontEndMacsPerFrame(features);
  c.front_end_macs_per_second = static_cast<double>(c.front_end.PerFrame()) * c.frames_per_second;
  return c;
}

std::string Complexity::ToString() const {
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf, "complexity:\n  parameters: %lld (%.2f MiB as float32)\n",
                static_cast<long long>(parameters), static_cast<double>(parameter_bytes) / (1 << 20));
  s += buf;
  std::snprintf(buf, sizeof buf,
                "  network: %.3f GMAC per segment x %.3f segments/s = %.3f GMAC per second of audio\n",
                static_cast<double>(macs_per_segment) * 1e-9, segments_per_second, network_macs_per_second * 1e-9);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "  front end: %lld MAC per frame x %.2f frames/s = %.2f MMAC per second of audio "
                "(window %lld, FFT %lld, power %lld, noise tracking %lld, filterbank %lld, log %lld)\n",
                static_cast<long long>(front_end.PerFrame()), frames_per_second, front_end_macs_per_second * 1e-6,
                static_cast<long long>(front_end.window), static_cast<long long>(front_end.fft),
                static_cast<long long>(front_end.power), static_cast<long long>(front_end.noise),
                static_cast<long long>(front_end.filterbank), static_cast<long long>(front_end.log));
  s += buf;
  return s;
}

}  // namespace ascnet
