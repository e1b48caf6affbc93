#include "ascnet/audio/decode.h"

#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "ascnet/audio/resample.h"
#include "ascnet/core/error.h"
#include "ascnet/core/finite.h"

namespace ascnet {

namespace {

// Sample rates outside this range are treated as a corrupt header.
constexpr int kMinRate = 1000;      // Hz
constexpr int kMaxRate = 1000000;   // Hz
constexpr int kMaxChannels = 1024;  // libsndfile's own limit
// A frame count at or above this is "unknown length" (libsndfile uses SF_COUNT_MAX).
constexpr sf_count_t kUnknownFrames = std::numeric_limits<sf_count_t>::max() / 4;

std::string FormatSeconds(double t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", t);
  return buf;
}

// libsndfile's virtual I/O over a whole file held in memory (read only).
struct MemoryFile {
  const char* data = nullptr;
  sf_count_t size = 0;
  sf_count_t pos = 0;

  static MemoryFile& Of(void* user) { return *static_cast<MemoryFile*>(user); }
  static sf_count_t Length(void* user) { return Of(user).size; }
  static sf_count_t Seek(sf_count_t offset, int whence, void* user) {
    MemoryFile& m = Of(user);
    const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m.pos : m.size;
    const sf_count_t to = base + offset;
    if (to < 0 || to > m.size) return -1;
    return m.pos = to;
  }
  static sf_count_t Read(void* ptr, sf_count_t count, void* user) {
    MemoryFile& m = Of(user);
    const sf_count_t n = std::max<sf_count_t>(0, std::min(count, m.size - m.pos));
    if (n > 0) std::memcpy(ptr, m.data + m.pos, static_cast<size_t>(n));
    m.pos += n;
    return n;
  }
  static sf_count_t Write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t Tell(void* user) { return Of(user).pos; }
};

// Owns the libsndfile handle and what it reads from: an open file descriptor, or a file in
// memory.
class SndFile {
 public:
  explicit SndFile(const AudioSource& source) : path_(source.name) {
    if (source.in_memory) {
      OpenMemory(source);
    } else {
      OpenPath(source.name);
    }
  }
  ~SndFile() {
    if (sf_ != nullptr) sf_close(sf_);
    if (fd_ >= 0) ::close(fd_);
  }
  SndFile(const SndFile&) = delete;
  SndFile& operator=(const SndFile&) = delete;

  SNDFILE* get() const { return sf_; }
  const SF_INFO& sf_info() const { return info_; }
  const std::string& path() const { return path_; }

  std::string Log() const {
    std::vector<char> buf(16384, '\0');
    sf_command(sf_, SFC_GET_LOG_INFO, buf.data(), static_cast<int>(buf.size()));
    buf.back() = '\0';
    return std::string(buf.data());
  }

 private:
  void OpenMemory(const AudioSource& source) {
    memory_.data = source.data;
    memory_.size = static_cast<sf_count_t>(source.size);
    virtual_ = SF_VIRTUAL_IO{&MemoryFile::Length, &MemoryFile::Seek, &MemoryFile::Read, &MemoryFile::Write,
                             &MemoryFile::Tell};
    info_ = SF_INFO{};
    sf_ = sf_open_virtual(&virtual_, SFM_READ, &info_, &memory_);
    if (sf_ == nullptr) {
      throw AudioError(WithPath(path_, "not a readable audio file (libsndfile: " + std::string(sf_strerror(nullptr)) + ")"));
    }
  }

  void OpenPath(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const int e = errno;
      if (e == ENOENT || e == ENOTDIR) throw IoError(WithPath(path, "no such file"));
      throw IoError(WithPath(path, std::string("cannot open: ") + std::strerror(e)));
    }
    if (S_ISDIR(st.st_mode)) throw IoError(WithPath(path, "is a directory, not an audio file"));
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int e = errno;
      if (e == ENOENT) throw IoError(WithPath(path, "no such file"));
      throw IoError(WithPath(path, std::string("cannot open: ") + std::strerror(e)));
    }
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd_);
      throw IoError(WithPath(path, "is a directory, not an audio file"));
    }
    info_ = SF_INFO{};
    sf_ = sf_open_fd(fd_, SFM_READ, &info_, SF_FALSE);
    if (sf_ == nullptr) {
      const std::string why = sf_strerror(nullptr);
      ::close(fd_);
      fd_ = -1;
      throw AudioError(WithPath(path, "not a readable audio file (libsndfile: " + why + ")"));
    }
  }

  std::string path_;
  int fd_ = -1;
  MemoryFile memory_;
  SF_VIRTUAL_IO virtual_{};
  SNDFILE* sf_ = nullptr;
  SF_INFO info_{};
};

std::string FormatName(int format) {
  SF_FORMAT_INFO major{};
  major.format = format & SF_FORMAT_TYPEMASK;
  std::string name = "unknown";
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.name) name = major.name;
  SF_FORMAT_INFO sub{};
  sub.format = format & SF_FORMAT_SUBMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name) {
    name += " (" + std::string(sub.name) + ")";
  }
  return name;
}

// Bytes per frame for plain PCM-like encodings, 0 when it is not a fixed size.
int64_t BytesPerFrame(int format, int channels) {
  int bytes = 0;
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: case SF_FORMAT_ULAW: case SF_FORMAT_ALAW:
      bytes = 1; break;
    case SF_FORMAT_PCM_16: bytes = 2; break;
    case SF_FORMAT_PCM_24: bytes = 3; break;
    case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT: bytes = 4; break;
    case SF_FORMAT_DOUBLE: bytes = 8; break;
    default: bytes = 0;
  }
  return static_cast<int64_t>(bytes) * channels;
}

// Finds "<key> (N)" / "<key> : A (should be B)" style numbers in libsndfile's parse log.
bool ParseShouldBe(const std::string& log, const std::string& key, int64_t* stated, int64_t* actual) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t k = line.find(key);
    if (k == std::string::npos) continue;
    const size_t colon = line.find(':', k);
    const size_t sb = line.find("(should be", k);
    if (colon == std::string::npos || sb == std::string::npos) continue;
    long long a = 0, b = 0;
    if (std::sscanf(line.c_str() + colon + 1, "%lld", &a) != 1) continue;
    if (std::sscanf(line.c_str() + sb + 10, "%lld", &b) != 1) continue;
    *stated = a;
    *actual = b;
    return true;
  }
  return false;
}

// libsndfile silently shortens WAV/AIFF files whose data chunk runs past the end of the
// file; the frame count their header states is recovered from the parse log.
// Returns the frame count the header promises (or info.frames when nothing better is known).
int64_t HeaderFrames(const SndFile& f) {
  const SF_INFO& info = f.sf_info();
  const int64_t frames = info.frames;
  const int major = info.format & SF_FORMAT_TYPEMASK;
  if (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_RF64 ||
      major == SF_FORMAT_W64) {
    const std::string log = f.Log();
    int64_t stated = 0, actual = 0;
    if (ParseShouldBe(log, "data :", &stated, &actual) && stated > actual && actual >= 0 &&
        stated != 0xFFFFFFFFLL && stated != 0x7FFFFFFFLL) {
      const int64_t bpf = BytesPerFrame(info.format, info.channels);
      if (bpf > 0) return std::max<int64_t>(frames, stated / bpf);
      if (actual > 0 && frames > 0) {
        return std::max<int64_t>(
            frames, static_cast<int64_t>(static_cast<double>(stated) / actual * frames));
      }
    }
  } else if (major == SF_FORMAT_AIFF) {
    const std::string log = f.Log();
    const std::string key = "Frame count read from 'COMM' chunk (";
    const size_t k = log.find(key);
    long long n = 0;
    if (k != std::string::npos && std::sscanf(log.c_str() + k + key.size(), "%lld", &n) == 1) {
      return std::max<int64_t>(frames, n);
    }
  }
  return frames;
}

void CheckInfo(const std::string& path, const SF_INFO& info) {
  if (info.channels < 1 || info.channels > kMaxChannels) {
    throw AudioError(WithPath(path, "unsupported channel count " + std::to_string(info.channels) +
                                        " (expected 1.." + std::to_string(kMaxChannels) + ")"));
  }
  if (info.samplerate < kMinRate || info.samplerate > kMaxRate) {
    throw AudioError(WithPath(path, "absurd sample rate " + std::to_string(info.samplerate) +
                                        " Hz (expected " + std::to_string(kMinRate) + ".." +
                                        std::to_string(kMaxRate) + " Hz)"));
  }
  if (info.frames < 0) {
    throw AudioError(WithPath(path, "invalid frame count " + std::to_string(info.frames)));
  }
}

AudioInfo MakeInfo(const SF_INFO& sf) {
  AudioInfo info;
  info.sample_rate = sf.samplerate;
  info.channels = sf.channels;
  info.frames = sf.frames;
  info.format = FormatName(sf.format);
  return info;
}

}  // namespace

void AudioOptions::Validate() const {
  if (target_rate < kMinRate || target_rate > kMaxRate) {
    throw ConfigError("AudioOptions.target_rate = " + std::to_string(target_rate) +
                      " Hz; expected " + std::to_string(kMinRate) + ".." + std::to_string(kMaxRate) +
                      " Hz");
  }
  constexpr int64_t kMaxMaxSeconds = int64_t{100} * 365 * 24 * 3600;
  if (max_seconds <= 0 || max_seconds > kMaxMaxSeconds) {
    throw ConfigError("AudioOptions.max_seconds = " + std::to_string(max_seconds) +
                      "; expected 1.." + std::to_string(kMaxMaxSeconds) + " seconds");
  }
}

std::string AudioOptions::ToString() const {
  return "AudioOptions{target_rate=" + std::to_string(target_rate) +
         " Hz, max_seconds=" + std::to_string(max_seconds) + " s}";
}

AudioInfo ProbeAudio(const std::string& path) {
  SndFile f(AudioSource::File(path));
  CheckInfo(path, f.sf_info());
  return MakeInfo(f.sf_info());
}

struct AudioReader::Impl {
  Impl(const AudioSource& source, const AudioOptions& o) : path(source.name), opts(o), file(source) {
    CheckInfo(path, file.sf_info());
    info = MakeInfo(file.sf_info());
    channels = info.channels;
    header_frames = HeaderFrames(file);
    max_frames = static_cast<double>(opts.max_seconds) * info.sample_rate;
    if (header_frames < kUnknownFrames && static_cast<double>(header_frames) > max_frames) {
      throw AudioError(WithPath(path, "is " + FormatSeconds(info.Seconds()) +
                                          " s long, longer than max_seconds = " +
                                          std::to_string(opts.max_seconds)));
    }
    resampler.reset(new Resampler(info.sample_rate, opts.target_rate));
  }

  // Appends the next decoded, mixed and resampled block to *out. Returns false once the
  // file is finished (and nothing more was appended).
  bool ReadAppend(std::vector<float>* out, int64_t block_frames) {
    if (finished) return false;
    if (block_frames <= 0) {
      throw ConfigError("AudioReader::Read: block_frames = " + std::to_string(block_frames) +
                        "; expected > 0");
    }
    // Bound the block so the interleaved buffer stays modest (<= 16 MiB) whatever the caller
    // asks for and however many channels the file has.
    block_frames = std::max<int64_t>(1, std::min<int64_t>(block_frames, (int64_t{1} << 22) / channels));
    const size_t start = out->size();
    while (out->size() == start && !finished) {
      const sf_count_t got = DecodeBlock(block_frames);
      if (got > 0) {
        resampler->Process(mono.data(), static_cast<size_t>(got), out);
      } else {
        Finish();
        resampler->Flush(out);
        finished = true;
      }
    }
    return out->size() > start;
  }

  // Decodes up to n frames into `mono`; 0 at the end of the stream.
  sf_count_t DecodeBlock(int64_t n) {
    const bool is_mono = channels == 1;
    if (is_mono) {
      mono.resize(static_cast<size_t>(n));
    } else {
      interleaved.resize(static_cast<size_t>(n) * channels);
      mono.resize(static_cast<size_t>(n));
    }
    float* dst = is_mono ? mono.data() : interleaved.data();
    const sf_count_t got = sf_readf_float(file.get(), dst, n);
    if (got <= 0) {
      if (sf_error(file.get()) != SF_ERR_NO_ERROR) {
        throw AudioError(WithPath(path, "decoding failed after " + std::to_string(decoded) +
                                            " frames: " + sf_strerror(file.get())));
      }
      return 0;
    }
    CheckFinite(dst, static_cast<size_t>(got) * channels);
    if (!is_mono) MixDown(got);
    decoded += got;
    if (static_cast<double>(decoded) > max_frames) {
      throw AudioError(WithPath(path, "longer than max_seconds = " + std::to_string(opts.max_seconds)));
    }
    return got;
  }

  // Every decoded sample must be finite and within +-kMaxFileSampleMagnitude.
  void CheckFinite(const float* x, size_t n) const {
    const size_t i = FirstOutside(x, n, kMaxFileSampleMagnitude);
    if (i == n) return;
    const int64_t frame = decoded + static_cast<int64_t>(i / channels);
    const int ch = static_cast<int>(i % channels);
    const double t = static_cast<double>(frame) / info.sample_rate;
    const std::string where = " at t=" + FormatSeconds(t) + "s (frame " + std::to_string(frame) + ", channel " +
                              std::to_string(ch) + ", value ";
    if (!std::isfinite(x[i])) {
      throw AudioError(WithPath(path, "non-finite sample" + where +
                                          (std::isnan(x[i]) ? "nan" : (x[i] > 0 ? "inf" : "-inf")) + ")"));
    }
    std::ostringstream v;
    v << x[i];
    throw AudioError(WithPath(path, "sample out of range" + where + v.str() + "; expected |x| <= 1e8, " +
                                        "float audio is normally in [-1, 1]): corrupt data?"));
  }

  void MixDown(sf_count_t n) {
    const float* in = interleaved.data();
    float* o = mono.data();
    if (channels == 2) {
      for (sf_count_t i = 0; i < n; ++i) o[i] = 0.5f * (in[2 * i] + in[2 * i + 1]);
      return;
    }
    const float scale = 1.0f / static_cast<float>(channels);
    for (sf_count_t i = 0; i < n; ++i) {
      const float* fr = in + i * channels;
      float s = 0.0f;
      for (int c = 0; c < channels; ++c) s += fr[c];
      o[i] = s * scale;
    }
  }

  // End-of-stream checks: truncation and empty audio.
  void Finish() {
    if (header_frames < kUnknownFrames && decoded < header_frames) {
      const int major = file.sf_info().format & SF_FORMAT_TYPEMASK;
      // MP3 lengths without a Xing/Info header are estimates (bit rate x file size, ID3
      // tags...): only a clear shortfall counts as truncation there.
      int64_t tolerance = 0;
      if (major == SF_FORMAT_MPEG) {
        tolerance = std::max<int64_t>(header_frames / 50, info.sample_rate / 2);
      }
      if (header_frames - decoded > tolerance) {
        throw AudioError(WithPath(path, "truncated: header says " + std::to_string(header_frames) +
                                            " frames, decoded " + std::to_string(decoded)));
      }
    }
    if (decoded == 0) throw AudioError(WithPath(path, "contains no audio samples"));
  }

  std::string path;
  AudioOptions opts;
  SndFile file;
  AudioInfo info;
  int channels = 1;
  int64_t header_frames = 0;
  double max_frames = 0;
  int64_t decoded = 0;
  bool finished = false;
  std::unique_ptr<Resampler> resampler;
  std::vector<float> interleaved;
  std::vector<float> mono;
};

AudioReader::AudioReader(const std::string& path, const AudioOptions& opts)
    : AudioReader(AudioSource::File(path), opts) {}

AudioReader::AudioReader(const AudioSource& source, const AudioOptions& opts) {
  opts.Validate();
  impl_.reset(new Impl(source, opts));
}

AudioReader::~AudioReader() = default;

const AudioInfo& AudioReader::info() const { return impl_->info; }

bool AudioReader::Read(std::vector<float>* out, int64_t block_frames) {
  out->clear();
  return impl_->ReadAppend(out, block_frames);
}

std::vector<float> LoadAudio(const std::string& path, const AudioOptions& opts) {
  AudioReader reader(path, opts);
  AudioReader::Impl& r = *reader.impl_;
  std::vector<float> out;
  if (r.header_frames < kUnknownFrames) {
    // The header's length is only a claim (a 100-byte file may claim hours): reserve at most
    // 16 Mi samples up front and let the vector grow with what is really decoded.
    const double expect = static_cast<double>(r.header_frames) * opts.target_rate / r.info.sample_rate;
    out.reserve(static_cast<size_t>(std::min(expect, double{1 << 24})) + 1024);
  }
  while (r.ReadAppend(&out, int64_t{1} << 16)) {
  }
  if (out.empty()) {  // a few frames at a high rate can resample to nothing
    throw AudioError(WithPath(path, "too short: " + std::to_string(r.decoded) + " frame(s) at " +
                                        std::to_string(r.info.sample_rate) + " Hz give no samples at " +
                                        std::to_string(opts.target_rate) + " Hz"));
  }
  return out;
}

}  // namespace ascnet
