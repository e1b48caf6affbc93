// Decoding audio files to mono float samples at the front end's rate.
//
// Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, MP3, AIFF...) is accepted. Channels
// are averaged to mono and the signal is resampled with libsoxr (high quality). Bad input
// gives AudioError/IoError naming the file and the problem, never garbage.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ascnet {

struct AudioOptions {
  int target_rate = 22050;        ///< Hz; output sample rate.
  int64_t max_seconds = 24 * 3600;  ///< refuse files longer than this (seconds; guards memory).

  void Validate() const;
  std::string ToString() const;
};

/// Largest sample magnitude a decoded file may hold. Integer formats decode to [-1, 1]; float
/// formats are read as stored, and a float file in int16 or int24 scale (up to 8.4e6) is
/// still accepted. Anything larger is corrupt data, and would overflow float in the
/// mix-down, the resampler or the power spectrum, so it is refused (AudioError).
inline constexpr float kMaxFileSampleMagnitude = 1e8f;

/// Format facts read from a file's header.
struct AudioInfo {
  int sample_rate = 0;    ///< Hz
  int channels = 0;
  int64_t frames = 0;     ///< samples per channel
  std::string format;     ///< e.g. "FLAC (FLAC Lossless Audio Codec)"
  double Seconds() const { return sample_rate > 0 ? static_cast<double>(frames) / sample_rate : 0.0; }
};

/// Reads only the header (IoError if missing, AudioError if not audio).
AudioInfo ProbeAudio(const std::string& path);

/// Where an audio file's bytes come from: a file on disk, or a whole file already in memory
/// (an upload), decoded in place without a temporary file. `name` is what error messages
/// name: the path, or the name given with the bytes. The bytes must outlive the reader.
struct AudioSource {
  std::string name;
  const char* data = nullptr;  ///< memory only
  size_t size = 0;             ///< memory only
  bool in_memory = false;

  static AudioSource File(std::string path) { return AudioSource{std::move(path), nullptr, 0, false}; }
  static AudioSource Memory(const char* data, size_t size, std::string name) {
    return AudioSource{std::move(name), data, size, true};
  }
};

/// Streaming reader: decodes a file block by block, mixes to mono and resamples, with
/// bounded memory. Typical use:
///   AudioReader r(path, opts);
///   std::vector<float> block;
///   while (r.Read(&block)) consume(block);
class AudioReader {
 public:
  AudioReader(const std::string& path, const AudioOptions& opts = {});
  AudioReader(const AudioSource& source, const AudioOptions& opts = {});
  ~AudioReader();
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  const AudioInfo& info() const;
  /// Replaces *out with the next block of mono samples at target_rate; returns false at
  /// the end (after the resampler is flushed). Throws AudioError on a decoding error,
  /// a truncated file or non-finite samples.
  bool Read(std::vector<float>* out, int64_t block_frames = 65536);

 private:
  friend std::vector<float> LoadAudio(const std::string& path, const AudioOptions& opts);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Decodes a whole file: mono, target_rate. AudioError for zero-length audio.
std::vector<float> LoadAudio(const std::string& path, const AudioOptions& opts = {});

}  // namespace ascnet
