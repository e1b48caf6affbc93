// `ascnet serve` end to end: fixtures (two small bundles, clips in several formats, raw PCM)
// made here, then tests/serve/serve_e2e.py starts the real binary on a free loopback port
// and checks it with real HTTP and WebSocket clients against `ascnet classify` and
// `ascnet stream` on the same files.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <fstream>

#include "ascnet/model/bundle.h"
#include "common/cli_runner.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

namespace {

// A tone (channel c at freq * (c + 1)) with a little noise, in any format libsndfile writes.
bool WriteClip(const std::string& path, int format, double seconds, int rate, int channels, double freq) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) return false;
  const int64_t n = static_cast<int64_t>(seconds * rate);
  std::vector<float> buf(static_cast<size_t>(n * channels));
  uint32_t s = 11;
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < channels; ++c) {
      s = s * 1664525u + 1013904223u;
      buf[static_cast<size_t>(i * channels + c)] =
          0.3f * static_cast<float>(std::sin(2 * M_PI * freq * (c + 1) * i / rate)) + ((s >> 9) / 8388608.f - 0.5f) * 0.05f;
    }
  }
  const bool ok = sf_writef_float(f, buf.data(), n) == n;
  sf_close(f);
  return ok;
}

void WriteRaw(const std::string& path, double seconds, int rate, int channels, double freq, bool f32) {
  std::ofstream out(path, std::ios::binary);
  const int64_t n = static_cast<int64_t>(seconds * rate);
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < channels; ++c) {
      const double v = 0.25 * std::sin(2 * M_PI * freq * (c + 1) * i / rate) + 0.05 * std::sin(0.37 * i);
      if (f32) {
        const float x = static_cast<float>(v);
        out.write(reinterpret_cast<const char*>(&x), 4);
      } else {
        const auto x = static_cast<int16_t>(std::lround(v * 32767));
        const char b[2] = {static_cast<char>(x & 0xff), static_cast<char>((x >> 8) & 0xff)};
        out.write(b, 2);
      }
    }
  }
}

bool HavePythonClients() { return std::system("/usr/bin/python3 -c 'import requests, websocket' 2>/dev/null") == 0; }

std::filesystem::path MakeFixtures(const std::string& name) {
  const auto dir = TempDir(name);
  SaveBundle((dir / "att.ascnet").string(), SmallBundle("attcrnn", true));
  SaveBundle((dir / "cnn.ascnet").string(), SmallBundle("cnn", false));
  EXPECT_TRUE(WriteClip((dir / "mono.wav").string(), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 4.5, 22050, 1, 300));
  EXPECT_TRUE(WriteClip((dir / "stereo.wav").string(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 3.2, 44100, 2, 1200));
  EXPECT_TRUE(WriteClip((dir / "clip.flac").string(), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 5.0, 16000, 1, 2500));
  EXPECT_TRUE(WriteClip((dir / "clip.ogg").string(), SF_FORMAT_OGG | SF_FORMAT_VORBIS, 4.0, 32000, 2, 700));
  EXPECT_TRUE(WriteClip((dir / "clip.aiff").string(), SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 2.5, 48000, 1, 5000));
  WriteClip((dir / "clip.mp3").string(), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 4.0, 44100, 1, 900);  // if lame is there
  EXPECT_TRUE(WriteClip((dir / "long.wav").string(), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 20.0, 22050, 1, 440));
  WriteRaw((dir / "s16_44k_stereo.raw").string(), 7.0, 44100, 2, 440, false);
  WriteRaw((dir / "f32_16k_mono.raw").string(), 5.3, 16000, 1, 2000, true);
  return dir;
}

// Runs tests/serve/SCRIPT with the binary and the fixture folder; exit code and output.
CliResult RunScript(const std::string& script, const std::filesystem::path& dir) {
  const std::string out = (dir / (script + ".out")).string();
  const std::string cmd = "/usr/bin/python3 " + std::string(ASCNET_SOURCE_DIR) + "/tests/serve/" + script + " " +
                          std::string(ASCNET_CLI) + " " + dir.string() + " >" + out + " 2>&1";
  const int status = std::system(cmd.c_str());
  CliResult c;
  c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.out = Slurp(out);
  return c;
}

}  // namespace

TEST(ServeE2E, RealHttpAndWebSocketClients) {
  if (!HavePythonClients()) GTEST_SKIP() << "needs Debian's python3-requests and python3-websocket (scripts/setup)";
  const CliResult r = RunScript("serve_e2e.py", MakeFixtures("serve_e2e"));
  EXPECT_EQ(r.code, 0) << r.out;
  std::cout << r.out;
}

TEST(ServeE2E, PageInHeadlessChromium) {
  if (!HavePythonClients()) GTEST_SKIP() << "needs Debian's python3-requests and python3-websocket (scripts/setup)";
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs chromium (scripts/setup)";
  const auto dir = MakeFixtures("serve_page");
  const CliResult r = RunScript("page_e2e.py", dir);
  EXPECT_EQ(r.code, 0) << r.out;
  std::cout << r.out << "screenshot: " << (dir / "page.png").string() << "\n";
}
