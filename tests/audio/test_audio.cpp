// Tests for the audio stage: decoding, mix-down, resampling, streaming and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "ascnet/audio/decode.h"
#include "ascnet/audio/resample.h"
#include "ascnet/core/error.h"
#include "common/temp_dir.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace ascnet {
namespace {

constexpr double kPi = 3.14159265358979323846;

class AudioTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.File(name); }
  testing::TempDir dir_;  // tests/common/temp_dir.h: a fresh folder per test, removed after it
};

// Sine of `freq` Hz, amplitude `amp`, per channel c the phase is shifted by c*0.5 rad.
std::vector<float> Sine(int64_t frames, int channels, double rate, double freq, double amp) {
  std::vector<float> x(static_cast<size_t>(frames * channels));
  for (int64_t i = 0; i < frames; ++i) {
    for (int c = 0; c < channels; ++c) {
      x[i * channels + c] = static_cast<float>(amp * std::sin(2 * kPi * freq * i / rate + 0.5 * c));
    }
  }
  return x;
}

bool CanWrite(int format, int channels, int rate) {
  SF_INFO info{};
  info.format = format;
  info.channels = channels;
  info.samplerate = rate;
  return sf_format_check(&info) != 0;
}

// Writes interleaved float samples with libsndfile.
void WriteAudio(const std::string& path, int format, int channels, int rate,
                const std::vector<float>& x) {
  SF_INFO info{};
  info.format = format;
  info.channels = channels;
  info.samplerate = rate;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << path << ": " << sf_strerror(nullptr);
  const sf_count_t frames = static_cast<sf_count_t>(x.size() / channels);
  ASSERT_EQ(sf_writef_float(f, x.data(), frames), frames);
  sf_close(f);
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Keeps the first `keep` bytes of a file.
void Chop(const std::string& path, uintmax_t keep) { fs::resize_file(path, keep); }

// Hand-made 16-bit PCM WAV header with arbitrary channel count / rate.
std::vector<uint8_t> CraftWav(uint16_t channels, uint32_t rate, uint32_t data_bytes) {
  std::vector<uint8_t> v;
  auto w32 = [&](uint32_t x) { for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i))); };
  auto w16 = [&](uint16_t x) { for (int i = 0; i < 2; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i))); };
  auto tag = [&](const char* t) { v.insert(v.end(), t, t + 4); };
  tag("RIFF"); w32(36 + data_bytes); tag("WAVE");
  tag("fmt "); w32(16); w16(1); w16(channels); w32(rate); w32(rate * channels * 2);
  w16(static_cast<uint16_t>(channels * 2)); w16(16);
  tag("data"); w32(data_bytes);
  v.resize(v.size() + data_bytes, 0);
  return v;
}

// Frequency estimate from positive-going zero crossings (skipping the edges).
double ZeroCrossingFreq(const std::vector<float>& x, double rate) {
  const size_t skip = x.size() / 10;
  double first = -1, last = -1;
  int count = 0;
  for (size_t i = skip + 1; i + skip < x.size(); ++i) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const double t = (i - 1) + x[i - 1] / (x[i - 1] - x[i]);  // linear interpolation
      if (first < 0) first = t; else ++count;
      last = t;
    }
  }
  return count > 0 ? count * rate / (last - first) : 0.0;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// Asserts that `fn` throws E whose message contains the path and every needle.
template <typename E, typename Fn>
void ExpectError(Fn fn, const std::string& path, const std::vector<std::string>& needles) {
  try {
    fn();
    ADD_FAILURE() << "no exception for " << path;
  } catch (const E& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
    for (const auto& n : needles) EXPECT_THAT(e.what(), HasSubstr(n));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << path << ": " << e.what();
  }
}

// ---------------------------------------------------------------- good input

TEST_F(AudioTest, OptionsValidate) {
  AudioOptions o;
  EXPECT_NO_THROW(o.Validate());
  EXPECT_THAT(o.ToString(), HasSubstr("22050"));
  o.target_rate = 0;
  try {
    o.Validate();
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("target_rate"));
  }
  o = AudioOptions{};
  o.max_seconds = 0;
  EXPECT_THROW(o.Validate(), ConfigError);
}

TEST_F(AudioTest, DecodeWavPcm16AtTargetRateIsPassThrough) {
  const std::string p = Path("pcm16.wav");
  const auto x = Sine(22050, 1, 22050, 440, 0.5);
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, x);
  const AudioInfo info = ProbeAudio(p);
  EXPECT_EQ(info.sample_rate, 22050);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.frames, 22050);
  EXPECT_THAT(info.format, HasSubstr("WAV"));
  const auto y = LoadAudio(p);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_LT(MaxAbsDiff(x, y, x.size()), 1.0 / 32768 + 1e-6);
}

TEST_F(AudioTest, DecodeWavFloatExact) {
  const std::string p = Path("float.wav");
  const auto x = Sine(10000, 1, 22050, 1234.5, 0.9);
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 22050, x);
  const auto y = LoadAudio(p);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_EQ(MaxAbsDiff(x, y, x.size()), 0.0);
}

TEST_F(AudioTest, DecodeAiff) {
  const std::string p = Path("a.aiff");
  const auto x = Sine(5000, 1, 22050, 300, 0.5);
  WriteAudio(p, SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 1, 22050, x);
  const auto y = LoadAudio(p);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_LT(MaxAbsDiff(x, y, x.size()), 1.0 / 32768 + 1e-6);
}

TEST_F(AudioTest, DecodeFlacLossless) {
  if (!CanWrite(SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 22050)) GTEST_SKIP() << "no FLAC writer";
  const std::string p = Path("a.flac");
  const auto x = Sine(22050, 1, 22050, 440, 0.5);
  WriteAudio(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 22050, x);
  EXPECT_THAT(ProbeAudio(p).format, HasSubstr("FLAC"));
  const auto y = LoadAudio(p);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_LT(MaxAbsDiff(x, y, x.size()), 1.0 / 32768 + 1e-6);
}

// Lossy codecs: length and frequency are kept.
void CheckLossy(const std::string& p, int format) {
  const int rate = 22050;
  const auto x = Sine(rate, 1, rate, 440, 0.5);
  WriteAudio(p, format, 1, rate, x);
  const AudioInfo info = ProbeAudio(p);
  EXPECT_EQ(info.sample_rate, rate);
  const auto y = LoadAudio(p);
  EXPECT_NEAR(static_cast<double>(y.size()), rate, rate * 0.02);
  EXPECT_NEAR(ZeroCrossingFreq(y, rate), 440.0, 2.0);
  double energy = 0;
  for (float v : y) energy += v * v;
  EXPECT_NEAR(std::sqrt(energy / y.size()), 0.5 / std::sqrt(2.0), 0.05);
}

TEST_F(AudioTest, DecodeOggVorbis) {
  const int fmt = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  if (!CanWrite(fmt, 1, 22050)) GTEST_SKIP() << "libsndfile cannot write OGG/Vorbis";
  CheckLossy(Path("a.ogg"), fmt);
}

TEST_F(AudioTest, DecodeMp3) {
  const int fmt = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  if (!CanWrite(fmt, 1, 22050)) GTEST_SKIP() << "libsndfile built without MP3 (lame) writing";
  CheckLossy(Path("a.mp3"), fmt);
}

TEST_F(AudioTest, StereoMixdownIsAverage) {
  const std::string p = Path("stereo.wav");
  const auto x = Sine(8000, 2, 22050, 440, 0.4);
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 22050, x);
  EXPECT_EQ(ProbeAudio(p).channels, 2);
  const auto y = LoadAudio(p);
  ASSERT_EQ(y.size(), 8000u);
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_FLOAT_EQ(y[i], 0.5f * (x[2 * i] + x[2 * i + 1])) << i;
  }
}

TEST_F(AudioTest, FourChannelMixdownIsAverage) {
  const std::string p = Path("quad.wav");
  std::vector<float> x(4 * 100);
  for (size_t i = 0; i < 100; ++i) {
    x[4 * i] = 0.1f; x[4 * i + 1] = 0.2f; x[4 * i + 2] = -0.3f; x[4 * i + 3] = 0.4f;
  }
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 4, 22050, x);
  const auto y = LoadAudio(p);
  ASSERT_EQ(y.size(), 100u);
  for (float v : y) EXPECT_NEAR(v, 0.1f, 1e-6);
}

TEST_F(AudioTest, Resample44100SineKeepsFrequencyAndLength) {
  const std::string p = Path("sine44k.wav");
  const int64_t n = 44100 * 2;
  const auto x = Sine(n, 1, 44100, 1000, 0.5);
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, x);
  const auto y = LoadAudio(p);
  EXPECT_NEAR(static_cast<double>(y.size()), n * 22050.0 / 44100.0, 2.0);
  EXPECT_NEAR(ZeroCrossingFreq(y, 22050), 1000.0, 0.5);
  // Amplitude is kept (well inside the pass band).
  float peak = 0;
  for (size_t i = y.size() / 10; i < y.size() * 9 / 10; ++i) peak = std::max(peak, std::fabs(y[i]));
  EXPECT_NEAR(peak, 0.5f, 0.01f);
}

TEST_F(AudioTest, Resample48000To22050) {
  const auto x = Sine(48000, 1, 48000, 3000, 0.5);
  const auto y = Resample(x, 48000, 22050);
  EXPECT_NEAR(static_cast<double>(y.size()), 22050.0, 2.0);
  EXPECT_NEAR(ZeroCrossingFreq(y, 22050), 3000.0, 1.0);
}

TEST_F(AudioTest, ResampleRemovesContentAboveNyquist) {
  // 15 kHz is above the 11.025 kHz Nyquist frequency of the output: must be filtered out.
  const auto x = Sine(44100, 1, 44100, 15000, 0.5);
  const auto y = Resample(x, 44100, 22050);
  double energy = 0;
  for (size_t i = y.size() / 10; i < y.size() * 9 / 10; ++i) energy += y[i] * y[i];
  EXPECT_LT(std::sqrt(energy / (y.size() * 0.8)), 1e-3);
}

TEST_F(AudioTest, ResamplerStreamingMatchesOneShot) {
  const auto x = Sine(44100, 1, 44100, 700, 0.5);
  const auto ref = Resample(x, 44100, 22050);
  Resampler r(44100, 22050);
  EXPECT_FALSE(r.passthrough());
  std::vector<float> y;
  for (size_t i = 0; i < x.size(); i += 1000) r.Process(x.data() + i, std::min<size_t>(1000, x.size() - i), &y);
  r.Flush(&y);
  ASSERT_EQ(y.size(), ref.size());
  EXPECT_LT(MaxAbsDiff(y, ref, y.size()), 1e-5);
  EXPECT_THROW(Resampler(0, 22050), ConfigError);
  Resampler same(22050, 22050);
  EXPECT_TRUE(same.passthrough());
}

TEST_F(AudioTest, StreamingReaderMatchesLoadAudio) {
  const std::string p = Path("stream.wav");
  const auto x = Sine(44100 * 3 + 123, 2, 44100, 523, 0.5);
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 44100, x);
  const auto whole = LoadAudio(p);
  for (int64_t block : {1000, 4096, 65536, 1 << 20}) {
    AudioReader r(p);
    EXPECT_EQ(r.info().sample_rate, 44100);
    EXPECT_EQ(r.info().channels, 2);
    std::vector<float> all, b;
    size_t max_block = 0;
    while (r.Read(&b, block)) {
      EXPECT_FALSE(b.empty());
      max_block = std::max(max_block, b.size());
      all.insert(all.end(), b.begin(), b.end());
    }
    EXPECT_FALSE(r.Read(&b, block));  // stays finished
    EXPECT_TRUE(b.empty());
    ASSERT_EQ(all.size(), whole.size()) << "block " << block;
    EXPECT_LT(MaxAbsDiff(all, whole, all.size()), 1e-5) << "block " << block;
    if (block < 65536) {
      EXPECT_LE(max_block, static_cast<size_t>(block));  // bounded blocks
    }
  }
}

TEST_F(AudioTest, StreamingLongFileInBoundedBlocks) {
  // 10 minutes at 8 kHz, written in chunks; read back block by block.
  const std::string p = Path("long10min.wav");
  const int rate = 8000;
  const int64_t frames = int64_t{rate} * 600;
  {
    SF_INFO info{};
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    info.channels = 1;
    info.samplerate = rate;
    SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    std::vector<short> chunk(rate);
    for (int64_t s = 0; s < frames; s += rate) {
      for (int i = 0; i < rate; ++i) chunk[i] = static_cast<short>(8000 * std::sin(2 * kPi * 250 * i / rate));
      ASSERT_EQ(sf_writef_short(f, chunk.data(), rate), rate);
    }
    sf_close(f);
  }
  AudioReader r(p);
  EXPECT_EQ(r.info().frames, frames);
  std::vector<float> b;
  int64_t total = 0;
  size_t max_block = 0;
  while (r.Read(&b, 8192)) {
    total += static_cast<int64_t>(b.size());
    max_block = std::max(max_block, b.size());
  }
  EXPECT_NEAR(static_cast<double>(total), frames * 22050.0 / rate, 2.0);
  // 8192 input frames give ~22579 output samples; nothing near the whole file is held.
  EXPECT_LT(max_block, 8192u * 22050 / rate + 4096);
}

TEST_F(AudioTest, RealAmbienceFlac) {
  const fs::path root = "/work/shared/data/ambience/audio";
  if (!fs::is_directory(root)) GTEST_SKIP() << root << " absent";
  std::string flac;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".flac") {
      flac = e.path().string();
      break;
    }
  }
  if (flac.empty()) GTEST_SKIP() << "no FLAC under " << root;
  const AudioInfo info = ProbeAudio(flac);
  EXPECT_GE(info.sample_rate, 8000);
  EXPECT_GE(info.channels, 1);
  EXPECT_GT(info.frames, 0);
  const auto y = LoadAudio(flac);
  const double expect = info.frames * 22050.0 / info.sample_rate;
  EXPECT_NEAR(static_cast<double>(y.size()), expect, 2.0) << flac;
  for (float v : y) ASSERT_TRUE(std::isfinite(v));
}

// ---------------------------------------------------------------- bad input

TEST_F(AudioTest, MissingFile) {
  const std::string p = Path("does_not_exist.wav");
  ExpectError<IoError>([&] { LoadAudio(p); }, p, {"no such file"});
  ExpectError<IoError>([&] { ProbeAudio(p); }, p, {"no such file"});
  ExpectError<IoError>([&] { AudioReader r(p); }, p, {"no such file"});
}

TEST_F(AudioTest, DirectoryInsteadOfFile) {
  const std::string p = Path("subdir.wav");
  fs::create_directories(p);
  ExpectError<IoError>([&] { LoadAudio(p); }, p, {"directory"});
  ExpectError<IoError>([&] { ProbeAudio(p); }, p, {"directory"});
}

TEST_F(AudioTest, NotAudio) {
  const std::string p = Path("notes.wav");
  std::ofstream(p) << "this is a text file, not audio at all\n";
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"not a readable audio file", "libsndfile: ", "Format not recognised"});
  ExpectError<AudioError>([&] { ProbeAudio(p); }, p, {"libsndfile: "});
}

TEST_F(AudioTest, EmptyFile) {
  const std::string p = Path("empty.flac");
  std::ofstream(p).close();
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"libsndfile: "});
}

TEST_F(AudioTest, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  const std::string p = Path("secret.wav");
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, Sine(100, 1, 22050, 440, 0.5));
  fs::permissions(p, fs::perms::none);
  ExpectError<IoError>([&] { LoadAudio(p); }, p, {"cannot open", "Permission denied"});
}

TEST_F(AudioTest, ZeroLengthAudio) {
  const std::string p = Path("zero.wav");
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, {});
  EXPECT_EQ(ProbeAudio(p).frames, 0);
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"contains no audio samples"});
  const std::string q = Path("zero44k.wav");  // also through the resampler
  WriteAudio(q, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 44100, {});
  ExpectError<AudioError>([&] { LoadAudio(q); }, q, {"contains no audio samples"});
  const std::string c = Path("crafted_zero.wav");
  WriteBytes(c, CraftWav(1, 44100, 0));
  ExpectError<AudioError>([&] {
    AudioReader r(c);
    std::vector<float> b;
    while (r.Read(&b)) {}
  }, c, {"contains no audio samples"});
}

TEST_F(AudioTest, TruncatedWav) {
  const std::string p = Path("trunc.wav");
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, Sine(44100, 1, 44100, 440, 0.5));
  Chop(p, 44 + 2 * 20000);  // header + 20000 frames
  ExpectError<AudioError>([&] { LoadAudio(p); }, p,
                          {"truncated: header says 44100 frames, decoded 20000"});
  // The streaming reader reports it too (at the end).
  ExpectError<AudioError>([&] {
    AudioReader r(p);
    std::vector<float> b;
    while (r.Read(&b, 4096)) {}
  }, p, {"truncated: header says 44100 frames, decoded 20000"});
}

TEST_F(AudioTest, TruncatedStereoFloatWav) {
  const std::string p = Path("trunc_f32.wav");
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 22050, Sine(1000, 2, 22050, 440, 0.5));
  const auto size = fs::file_size(p);
  Chop(p, size - 8 * 300 - 3);  // 300 frames and a partial one gone
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"truncated: header says 1000 frames, decoded 699"});
}

TEST_F(AudioTest, TruncatedAiff) {
  const std::string p = Path("trunc.aiff");
  WriteAudio(p, SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 1, 22050, Sine(10000, 1, 22050, 440, 0.5));
  Chop(p, fs::file_size(p) / 2);
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"truncated: header says 10000 frames"});
}

TEST_F(AudioTest, TruncatedFlac) {
  if (!CanWrite(SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 44100)) GTEST_SKIP() << "no FLAC writer";
  const std::string p = Path("trunc.flac");
  WriteAudio(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 44100, Sine(44100, 1, 44100, 440, 0.5));
  Chop(p, fs::file_size(p) * 6 / 10);
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"truncated: header says 44100 frames, decoded "});
}

TEST_F(AudioTest, TruncatedOgg) {
  const int fmt = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  if (!CanWrite(fmt, 1, 44100)) GTEST_SKIP() << "libsndfile cannot write OGG/Vorbis";
  const std::string p = Path("trunc.ogg");
  WriteAudio(p, fmt, 1, 44100, Sine(44100, 1, 44100, 440, 0.5));
  Chop(p, fs::file_size(p) * 6 / 10);
  // libsndfile refuses a chopped Ogg stream at open ("malformed"), or it decodes short.
  try {
    LoadAudio(p);
    ADD_FAILURE() << "no error for truncated Ogg";
  } catch (const AudioError& e) {
    EXPECT_THAT(e.what(), HasSubstr(p));
    const std::string m = e.what();
    EXPECT_TRUE(m.find("truncated") != std::string::npos || m.find("libsndfile: ") != std::string::npos) << m;
  }
}

TEST_F(AudioTest, TruncatedMp3) {
  const int fmt = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  if (!CanWrite(fmt, 1, 44100)) GTEST_SKIP() << "libsndfile built without MP3 (lame) writing";
  const std::string p = Path("trunc.mp3");
  WriteAudio(p, fmt, 1, 44100, Sine(44100 * 2, 1, 44100, 440, 0.5));
  Chop(p, fs::file_size(p) / 2);
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"truncated: header says 88200 frames"});
}

TEST_F(AudioTest, NonFiniteSamples) {
  const std::string p = Path("nan.wav");
  auto x = Sine(44100, 1, 22050, 440, 0.5);
  x[11025] = std::numeric_limits<float>::quiet_NaN();
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 22050, x);
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"non-finite sample at t=0.500000s", "nan"});

  const std::string q = Path("inf_stereo44k.wav");
  auto y = Sine(44100, 2, 44100, 440, 0.5);
  y[2 * 22050 + 1] = std::numeric_limits<float>::infinity();
  WriteAudio(q, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 44100, y);
  ExpectError<AudioError>([&] { LoadAudio(q); }, q, {"non-finite sample at t=0.500000s", "channel 1", "inf"});
  ExpectError<AudioError>([&] {
    AudioReader r(q);
    std::vector<float> b;
    while (r.Read(&b, 1000)) {}
  }, q, {"non-finite sample at t=0.500000s"});
}

// Found by fuzz_audio: a float WAV holding 1e30-scale garbage decoded "finite" but the
// resampler and mix-down overflowed to inf. Such files are refused; float files in int16
// scale (a common export) still decode, finite.
TEST_F(AudioTest, HugeFloatSamplesAreRefusedInt16ScaleIsNot) {
  const std::string p = Path("huge.wav");
  auto x = Sine(8000, 1, 8000, 440, 0.5);
  x[4000] = -5.7e26f;
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 8000, x);
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"sample out of range at t=0.500000s", "-5.7e+26", "|x| <= 1e8"});

  const std::string q = Path("int16_scale.wav");
  auto y = Sine(16000, 2, 8000, 440, 32767.f);
  WriteAudio(q, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 8000, y);
  const std::vector<float> z = LoadAudio(q);
  ASSERT_FALSE(z.empty());
  float peak = 0;
  for (float v : z) {
    ASSERT_TRUE(std::isfinite(v));
    peak = std::max(peak, std::fabs(v));
  }
  EXPECT_GT(peak, 30000.f);
}

TEST_F(AudioTest, ZeroChannels) {
  const std::string p = Path("zero_channels.wav");
  WriteBytes(p, CraftWav(0, 44100, 400));
  ExpectError<AudioError>([&] { LoadAudio(p); }, p, {"libsndfile: ", "hannel count"});
  ExpectError<AudioError>([&] { ProbeAudio(p); }, p, {"hannel count"});
}

TEST_F(AudioTest, AbsurdSampleRates) {
  const std::string one = Path("rate1.wav");
  WriteBytes(one, CraftWav(1, 1, 400));
  ExpectError<AudioError>([&] { LoadAudio(one); }, one, {"absurd sample rate 1 Hz"});
  ExpectError<AudioError>([&] { ProbeAudio(one); }, one, {"absurd sample rate 1 Hz"});
  const std::string huge = Path("rate5M.wav");
  WriteBytes(huge, CraftWav(1, 5000000, 400));
  ExpectError<AudioError>([&] { LoadAudio(huge); }, huge, {"absurd sample rate 5000000 Hz"});
  // Rates libsndfile itself rejects (0, > 2^31) still give a typed error naming the file.
  const std::string zero = Path("rate0.wav");
  WriteBytes(zero, CraftWav(1, 0, 400));
  ExpectError<AudioError>([&] { LoadAudio(zero); }, zero, {"libsndfile: "});
  const std::string neg = Path("rate3G.wav");
  WriteBytes(neg, CraftWav(1, 3000000000u, 400));
  ExpectError<AudioError>([&] { LoadAudio(neg); }, neg, {"libsndfile: "});
}

TEST_F(AudioTest, LongerThanMaxSeconds) {
  const std::string p = Path("long.wav");
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 22050, Sine(22050 * 3, 1, 22050, 440, 0.5));
  AudioOptions o;
  o.max_seconds = 2;
  ExpectError<AudioError>([&] { LoadAudio(p, o); }, p, {"max_seconds"});
}

// ---- Files held in memory (AudioSource::Memory: what `ascnet serve` decodes uploads from) ----

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<float> ReadAll(const AudioSource& source, const AudioOptions& o = {}) {
  AudioReader r(source, o);
  std::vector<float> all, b;
  while (r.Read(&b, 4096)) all.insert(all.end(), b.begin(), b.end());
  return all;
}

TEST_F(AudioTest, MemorySourceDecodesLikeTheFileInEveryFormat) {
  struct Case {
    const char* name;
    int format;
  };
  const Case cases[] = {{"m.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16}, {"m_f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
                        {"m.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24}, {"m.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
                        {"m.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
                        {"m.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III}};
  int checked = 0;
  for (const Case& c : cases) {
    if (!CanWrite(c.format, 2, 44100)) continue;
    const std::string p = Path(c.name);
    WriteAudio(p, c.format, 2, 44100, Sine(44100 * 2 + 77, 2, 44100, 523, 0.5));
    const std::string bytes = FileBytes(p);
    const std::vector<float> from_file = ReadAll(AudioSource::File(p));
    const std::vector<float> from_memory = ReadAll(AudioSource::Memory(bytes.data(), bytes.size(), "upload"));
    ASSERT_FALSE(from_file.empty()) << c.name;
    EXPECT_EQ(from_memory, from_file) << c.name;  // the same decoder on the same bytes: bit-identical
    EXPECT_EQ(AudioReader(AudioSource::Memory(bytes.data(), bytes.size(), "x")).info().format, ProbeAudio(p).format);
    ++checked;
  }
  EXPECT_GE(checked, 3);  // WAV (twice) and AIFF are always writable
}

TEST_F(AudioTest, MemorySourceErrorsNameTheGivenName) {
  const std::string p = Path("trunc_mem.wav");
  WriteAudio(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, Sine(44100, 1, 44100, 440, 0.5));
  const std::string bytes = FileBytes(p).substr(0, 44 + 2 * 20000);
  ExpectError<AudioError>([&] { ReadAll(AudioSource::Memory(bytes.data(), bytes.size(), "rain.wav")); }, "rain.wav",
                          {"truncated: header says 44100 frames, decoded 20000"});
  const std::string text = "this is not audio, just text";
  ExpectError<AudioError>([&] { ReadAll(AudioSource::Memory(text.data(), text.size(), "notes.txt")); }, "notes.txt",
                          {"not a readable audio file"});
  ExpectError<AudioError>([&] { ReadAll(AudioSource::Memory(text.data(), 0, "empty.wav")); }, "empty.wav",
                          {"not a readable audio file"});
  const std::string whole = FileBytes(p);
  AudioOptions o;
  o.max_seconds = 1;
  EXPECT_NO_THROW(ReadAll(AudioSource::Memory(whole.data(), whole.size(), "one.wav"), o));
}

}  // namespace
}  // namespace ascnet
