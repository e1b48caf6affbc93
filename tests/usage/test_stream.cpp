// `ascnet stream` end to end: raw PCM piped into standard input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "ascnet/infer/recognizer.h"
#include "cli/cli_runner.h"
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

}  // namespace
