// Model complexity as ASC users count it (DCASE's low-complexity task): parameters, their
// memory, and multiply-accumulates per second of audio, network and front end separately.
// Plain C++ (no LibTorch): computed from the architecture and feature configurations.
#pragma once

#include <cstdint>
#include <string>

#include "ascnet/features/extractor.h"
#include "ascnet/model/arch.h"

namespace ascnet {

struct Complexity {
  int64_t parameters = 0;          ///< trainable parameters (CountParameters)
  int64_t parameter_bytes = 0;     ///< as stored and run: float32
  int64_t macs_per_segment = 0;    ///< the network, one segment (CountMacs)
  double segments_per_second = 0;  ///< windows per second of audio: 1 / (hop * frame shift); the
                                   ///< end-aligned window (cover_end) adds at most one per recording
  double network_macs_per_second = 0;    ///< macs_per_segment * segments_per_second
  FrontEndCost front_end;                ///< per frame
  double frames_per_second = 0;          ///< 1 / frame shift
  double front_end_macs_per_second = 0;  ///< front_end.PerFrame() * frames_per_second

  std::string ToString() const;    ///< the lines `ascnet info` prints
};

/// ConfigError if the configurations are invalid or do not fit (bands, frames, channels).
Complexity ComputeComplexity(const ArchConfig& arch, const FeatureConfig& features);

}  // namespace ascnet
