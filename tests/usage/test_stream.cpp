// `ascnet stream` end to end: raw PCM piped into standard input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include "ascnet/infer/recognizer.h"
#include "common/cli_runner.h"
#include "common/pcm_wav.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

namespace {

/// Interleaved s16le: a tone in every channel (channel c at freq * (c + 1)).
void WriteRaw(const std::string& path, double seconds, int rate, int channels, double freq, int extra_bytes = 0) {
  std::ofstream out(path, std::ios::binary);
  const int64_t n = static_cast<int64_t>(seconds * rate);
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < channels; ++c) {
      const auto v = static_cast<int16_t>(std::lround(6000 * std::sin(2 * M_PI * freq * (c + 1) * i / rate)));
      const char b[2] = {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)};
      out.write(b, 2);
    }
  }
  for (int k = 0; k < extra_bytes; ++k) out.put('\x01');
}

TEST(StreamCli, SegmentsRunningDecisionLatencyAndSummary) {
  const auto dir = TempDir("stream_cli");
  const std::string model = (dir / "m.ascnet").string();
  SaveBundle(model, SmallBundle("attcrnn", true));
  const std::string raw = (dir / "in.raw").string();
  WriteRaw(raw, 7.0, 44100, 2, 440);  // 7 s at 44.1 kHz stereo -> 3 full segments + a padded tail
  CliResult r = RunCli("stream --model " + model + " --rate 44100 --channels 2", raw);
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_GE(lines.size(), 4u) << r.out;
  const auto& summary = lines.back();
  EXPECT_TRUE(summary["summary"].get<bool>());
  const int64_t n = summary["segments"].get<int64_t>();
  EXPECT_EQ(static_cast<int64_t>(lines.size()) - 1, n);
  EXPECT_NEAR(summary["duration_s"].get<double>(), 7.0, 1e-9);
  EXPECT_EQ(summary["truncated_bytes"], 0);
  const double seg_s = 80 * 551 / 22050.0;
  for (int64_t i = 0; i < n; ++i) {
    const auto& j = lines[static_cast<size_t>(i)];
    EXPECT_EQ(j["segment"], i);
    EXPECT_NEAR(j["start_s"].get<double>(), i * seg_s, 1e-6);
    EXPECT_GE(j["latency_ms"].get<double>(), 0.0);
    EXPECT_EQ(j["running"]["segments"], i + 1);
    double sum = 0;
    for (const auto& [k, v] : j["probabilities"].items()) sum += v.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
  EXPECT_EQ(lines[static_cast<size_t>(n - 1)]["running"]["label"], summary["label"]);

  // Mono input at the model's rate (no resampling), text output.
  const std::string mono = (dir / "in_mono.raw").string();
  WriteRaw(mono, 7.0, 22050, 1, 440);
  r = RunCli("stream --model " + model + " --rate 22050 --output text", mono);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("summary: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("segment 0 @ 0.00 s"), std::string::npos) << r.out;

  // A truncated last frame: warning, not a crash.
  const std::string odd = (dir / "odd.raw").string();
  WriteRaw(odd, 2.5, 16000, 2, 300, 3);
  r = RunCli("stream --model " + model + " --rate 16000 --channels 2", odd);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: input ended inside a sample frame: the last 3 byte(s) of a 4-byte frame"),
            std::string::npos)
      << r.err;
  lines = JsonLines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["truncated_bytes"], 3);
  EXPECT_NEAR(lines.back()["duration_s"].get<double>(), 2.5, 1e-9);

  // Empty input; bad options; not a bundle.
  const std::string empty = (dir / "empty.raw").string();
  { std::ofstream(empty).flush(); }
  r = RunCli("stream --model " + model + " --rate 16000", empty);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no audio on standard input"), std::string::npos) << r.err;
  r = RunCli("stream --model " + model + " --rate 5", raw);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("rate = 5"), std::string::npos) << r.err;
  r = RunCli("stream --model " + model + " --rate 16000 --format f32le", raw);
  EXPECT_NE(r.code, 0);
  r = RunCli("stream --model " + raw + " --rate 16000", raw);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("in.raw"), std::string::npos) << r.err;
}

// A bundle with test-time windows (hop T/2 + an end window) gives the same windows and the
// same numbers through classify (a file) and stream (the same samples as raw PCM), and its
// TorchScript export carries the window layout for the caller.
TEST(StreamCli, TestTimeWindowsAgreeWithClassifyAndExport) {
  const auto dir = TempDir("stream_windows");
  ModelBundle b = SmallBundle("attcrnn", true);
  b.features.segment.hop = 40;
  b.features.segment.cover_end = true;
  const std::string model = (dir / "w.ascnet").string();
  SaveBundle(model, b);
  // 5.5 s of a tone at the model's rate, as 16-bit PCM both in a WAV file and raw (the
  // WAV's samples after its 44-byte header).
  const int rate = 22050;
  const int64_t n = static_cast<int64_t>(5.5 * rate);
  const std::string raw = (dir / "in.raw").string(), wav = (dir / "in.wav").string();
  ascnet::testing::WriteWav(wav, 523.0, 5.5, rate);
  {
    std::ifstream in(wav, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(bytes.size(), 44u + 2u * static_cast<size_t>(n));
    std::ofstream(raw, std::ios::binary) << bytes.substr(44);
  }
  const std::vector<int64_t> starts = b.features.segment.WindowStarts(n / 551);  // 220 frames
  ASSERT_EQ(starts, (std::vector<int64_t>{0, 40, 80, 120, 140}));

  CliResult c = RunCli("classify --model " + model + " --segments " + wav);
  ASSERT_EQ(c.code, 0) << c.err;
  const auto cj = JsonLines(c.out);
  ASSERT_EQ(cj.size(), 1u) << c.out;
  const auto& segs = cj[0]["segments"];
  ASSERT_EQ(segs.size(), starts.size());
  CliResult s = RunCli("stream --model " + model + " --rate 22050", raw);
  ASSERT_EQ(s.code, 0) << s.err;
  const auto sj = JsonLines(s.out);
  ASSERT_EQ(sj.size(), starts.size() + 1) << s.out;  // one line per window + the summary
  for (size_t k = 0; k < starts.size(); ++k) {
    EXPECT_NEAR(segs[k]["start_s"].get<double>(), starts[k] * 551.0 / rate, 1e-6);
    EXPECT_NEAR(sj[k]["start_s"].get<double>(), starts[k] * 551.0 / rate, 1e-6);
    for (const auto& [label, p] : sj[k]["probabilities"].items()) {
      EXPECT_NEAR(segs[k]["probabilities"][label].get<double>(), p.get<double>(), 1e-6) << "window " << k << " " << label;
    }
  }
  EXPECT_EQ(sj.back()["label"], cj[0]["label"]);

  // The export leaves windowing and fusion to the caller and says how in ascnet.json.
  const std::string pt = (dir / "w.pt").string();
  CliResult e = RunCli("export --model " + model + " --torchscript " + pt);
  ASSERT_EQ(e.code, 0) << e.err;
  torch::jit::ExtraFilesMap extra{{"ascnet.json", ""}};
  torch::jit::load(pt, torch::kCPU, extra);
  const auto info = nlohmann::json::parse(extra["ascnet.json"]);
  EXPECT_EQ(info["features"]["segment"]["hop"], 40);
  EXPECT_EQ(info["features"]["segment"]["cover_end"], true);
  EXPECT_NE(info["windows"].get<std::string>().find("end"), std::string::npos);
}

}  // namespace
