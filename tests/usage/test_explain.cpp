// `ascnet explain` end to end, the PNG writer/reader, the font and bad inputs.
#include <set>
#include <gtest/gtest.h>

#include <fstream>

#include "ascnet/infer/explain.h"
#include "ascnet/infer/png.h"
#include "common/cli_runner.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

namespace {

double Variance(const Image& img) {
  double sum = 0, sq = 0;
  const double n = static_cast<double>(img.rgb.size());
  for (uint8_t v : img.rgb) {
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  return sq / n - (sum / n) * (sum / n);
}

TEST(Png, RoundTripAndErrors) {
  Image img(37, 11, {10, 20, 30});
  img.Set(3, 4, {250, 0, 7});
  DrawText(&img, 1, 1, "Hi!", {255, 255, 255});
  const Image back = DecodePng(EncodePng(img), "mem");
  ASSERT_EQ(back.width, 37);
  ASSERT_EQ(back.height, 11);
  EXPECT_EQ(back.rgb, img.rgb);
  EXPECT_THROW(DecodePng("not a png", "x.png"), FormatError);
  const std::string good = EncodePng(img);
  EXPECT_THROW(DecodePng(good.substr(0, good.size() / 2), "half.png"), FormatError);
  EXPECT_THROW(EncodePng(Image()), FormatError);
  EXPECT_EQ(TextWidth("abc"), 17);
  EXPECT_EQ(TextWidth("abc", 2), 34);
}

TEST(Font, GlyphsDifferAndUnknownCharactersDrawAsQuestionMark) {
  auto render = [](const std::string& s) {
    Image img(8, 9, {0, 0, 0});
    DrawText(&img, 1, 1, s, {255, 255, 255});
    return img.rgb;
  };
  std::set<std::vector<uint8_t>> seen;
  for (int c = 33; c < 127; ++c) seen.insert(render(std::string(1, static_cast<char>(c))));
  EXPECT_EQ(seen.size(), 94u);  // every printable glyph is distinct
  EXPECT_EQ(render("\x01"), render("?"));
  EXPECT_EQ(render(" "), Image(8, 9, {0, 0, 0}).rgb);
}

TEST(ExplainCli, DrawsAttentionAndRejectsBadInputs) {
  const auto dir = TempDir("explain_cli");
  const std::string model = (dir / "m.ascnet").string();
  SaveBundle(model, SmallBundle("attcrnn", true));
  const std::string wav = (dir / "tone.wav").string();
  WriteToneWav(wav, 7.0, 880);
  const std::string png = (dir / "a.png").string();
  CliResult r = RunCli("explain --model " + model + " " + wav + " -o " + png);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("3 segment(s), 3 drawn"), std::string::npos) << r.out;
  const Image img = ReadPng(png);
  EXPECT_GT(img.width, 900);
  EXPECT_GT(img.height, 500);
  EXPECT_GT(Variance(img), 500.0);

  // Library: the explanation holds what was drawn.
  Explainer ex = Explainer::Load(model);
  const Explanation e = ex.Explain(wav, 2);
  EXPECT_EQ(e.total_segments, 3);
  ASSERT_EQ(e.segments.size(), 2u);
  EXPECT_EQ(e.segments[0].a_spa.size(), 16u);
  EXPECT_EQ(e.segments[0].a_tem.size(), 80u);
  EXPECT_EQ(e.segments[0].spectrogram.size(), 64u * 80u);
  double sum = 0;
  for (float v : e.segments[1].a_tem) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-4);
  EXPECT_NEAR(e.segments[1].start_seconds, 80 * 551 / 22050.0, 1e-9);
  const Image two = RenderExplanation(e, 1);  // one panel per row: taller than wide
  EXPECT_GT(two.height, two.width);

  // A CNN has no attention.
  const std::string cnn = (dir / "cnn.ascnet").string();
  SaveBundle(cnn, SmallBundle("cnn", false));
  r = RunCli("explain --model " + cnn + " " + wav + " -o " + (dir / "b.png").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("explain needs an Att-CRNN model; this bundle is a CNN"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "b.png"));

  // Unknown file type, empty file, missing file, a bundle that is not one.
  const std::string text = (dir / "notes.txt").string();
  { std::ofstream(text) << "not audio"; }
  r = RunCli("explain --model " + model + " " + text + " -o " + (dir / "c.png").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
  const std::string empty = (dir / "empty.wav").string();
  { std::ofstream(empty).flush(); }
  r = RunCli("explain --model " + model + " " + empty + " -o " + (dir / "d.png").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("empty.wav"), std::string::npos) << r.err;
  r = RunCli("explain --model " + text + " " + wav + " -o " + (dir / "e.png").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
  r = RunCli("explain --model " + model + " " + wav + " -o " + (dir / "f.png").string() + " --max-segments 0");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--max-segments"), std::string::npos) << r.err;
}

}  // namespace
