// `ascnet stream`: classify raw PCM from standard input, one line per completed segment.
#include <unistd.h>

#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/infer/stream.h"
#include "cli_common.h"
#include "commands.h"
#include "device.h"

namespace ascnet::cli {
namespace {

struct StreamArgs {
  std::string model;
  StreamOptions options;
  std::string output = "jsonl";
  std::string scorer = "auto";
  std::string device = "cpu";
  int threads = 1;
};

std::string Fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

int RunStream(StreamArgs& a) {
  a.options.Validate();
  if (a.threads < 1) throw ConfigError("--threads must be >= 1");
  SetTorchThreads(a.threads);
  Recognizer rec = Recognizer::Load(a.model, ParseDevice(a.device), ParseScoreKind(a.scorer));
  rec.WarmUp();  // before the first segment: its latency is the network's, not the set-up's
  const auto& labels = rec.labels();
  std::cerr << "ascnet stream: model " << a.model << " (" << rec.bundle().arch.Name() << ", " << rec.features().name
            << ", " << labels.size() << " classes, scorer " << ScoreKindName(rec.score_kind()) << "); input "
            << a.options.format << ", " << a.options.rate << " Hz, " << a.options.channels
            << " channel(s) from standard input -> " << rec.features().frame.sample_rate << " Hz mono" << std::endl;
  const bool json = a.output == "jsonl";
  auto on_segment = [&](const StreamSegment& s) {
    const std::string label = labels[static_cast<size_t>(s.label)];
    const std::string run = labels[static_cast<size_t>(s.running.label)];
    if (json) {
      std::cout << StreamSegmentJson(s, labels).dump() << "\n" << std::flush;
    } else {
      std::cout << "segment " << s.index << " @ " << Fixed(s.start_seconds, 2) << " s: " << label << " ("
                << Fixed(s.probs[static_cast<size_t>(s.label)], 2) << ")  running: " << run << " ("
                << Fixed(s.running.probs[static_cast<size_t>(s.running.label)], 2) << ", " << s.running.num_segments
                << " segment(s))  latency " << Fixed(s.latency_ms, 1) << " ms" << (s.final ? "  [end]" : "") << "\n"
                << std::flush;
    }
  };
  auto on_warning = [](const std::string& w) { std::cerr << "ascnet stream: warning: " << w << std::endl; };
  const StreamSummary s = ClassifyStream(rec, STDIN_FILENO, a.options, on_segment, on_warning);
  if (s.segments == 0) {
    PrintError("stream", "no audio on standard input (0 complete sample frames)");
    return 1;
  }
  const std::string label = labels[static_cast<size_t>(s.score.label)];
  if (json) {
    std::cout << StreamSummaryJson(s, labels).dump() << "\n" << std::flush;
  } else {
    std::cout << "summary: " << label << " (" << Fixed(s.score.probs[static_cast<size_t>(s.score.label)], 2) << ") over "
              << s.segments << " segment(s), " << Fixed(s.seconds, 2) << " s of audio; latency mean "
              << Fixed(s.mean_latency_ms, 1) << " ms, max " << Fixed(s.max_latency_ms, 1) << " ms\n"
              << std::flush;
  }
  return 0;
}

}  // namespace

void RegisterStream(CLI::App& app) {
  auto a = std::make_shared<StreamArgs>();
  CLI::App* c = AddCommand(app, "stream",
                           "Classify raw PCM from standard input as it arrives: one line per completed segment "
                           "(label, posteriors, running fused decision, latency) and a final summary",
                           "sox recording.wav -t raw -e signed -b 16 -L - | ascnet stream --model runs/demo/splits/fold1/attcrnn-logmel/model.ascnet "
                           "--rate 44100 --channels 2\n  (a microphone: arecord -q -f S16_LE -r 44100 -c 2 -t raw | ascnet stream ...)",
                           [a] { return RunStream(*a); });
  c->add_option("--model", a->model, "Model bundle (.ascnet)")->required();
  c->add_option("--rate", a->options.rate, "Input sample rate (Hz)")->required();
  c->add_option("--channels", a->options.channels, "Interleaved input channels (mixed to mono)")->capture_default_str();
  c->add_option("--format", a->options.format, "Input sample format")
      ->check(CLI::IsMember({"s16le", "f32le"}))
      ->capture_default_str();
  c->add_option("--output", a->output, "Output lines: JSON (jsonl) or text")
      ->check(CLI::IsMember({"jsonl", "text"}))
      ->capture_default_str();
  c->add_option("--scorer", a->scorer, "Posteriors from the calibrated SVM (svm), the network (softmax), or auto")
      ->check(CLI::IsMember({"auto", "softmax", "svm"}))
      ->capture_default_str();
  c->add_option("--read-bytes", a->options.read_bytes, "Bytes per read from standard input")->capture_default_str();
  c->add_option("--threads", a->threads, "LibTorch threads")->capture_default_str();
  c->add_option("--device", a->device, "cpu or cuda[:N]")->capture_default_str();
}

}  // namespace ascnet::cli
