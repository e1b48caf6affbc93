// `ascnet explain`: render where an Att-CRNN listened in a recording (one PNG).
#include <iostream>

#include "ascnet/infer/explain.h"
#include "cli_common.h"
#include "commands.h"
#include "device.h"

namespace ascnet::cli {
namespace {

struct ExplainArgs {
  std::string model;
  std::string input;
  std::string output;
  std::string scorer = "auto";
  int max_segments = 8;
  int per_row = 4;
  std::string device = "cpu";
};

int RunExplain(const ExplainArgs& a) {
  if (a.max_segments < 1) throw ConfigError("--max-segments must be >= 1, got " + std::to_string(a.max_segments));
  if (a.per_row < 1) throw ConfigError("--per-row must be >= 1, got " + std::to_string(a.per_row));
  Explainer ex = Explainer::Load(a.model, ParseDevice(a.device), ParseScoreKind(a.scorer));
  const Recognizer& rec = ex.recognizer();
  std::cerr << "ascnet explain: model " << a.model << " (" << rec.bundle().arch.Name() << ", " << rec.features().name
            << ", " << rec.labels().size() << " classes, scorer " << ScoreKindName(rec.score_kind())
            << "), at most " << a.max_segments << " segment(s), " << a.per_row << " per row" << std::endl;
  const Explanation e = ex.Explain(a.input, a.max_segments);
  const Image img = RenderExplanation(e, a.per_row);
  WritePng(a.output, img);
  std::cout << a.input << ": " << e.labels[static_cast<size_t>(e.score.label)] << " ("
            << e.total_segments << " segment(s), " << e.segments.size() << " drawn) -> " << a.output << " ("
            << img.width << "x" << img.height << ")" << std::endl;
  return 0;
}

}  // namespace

void RegisterExplain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  CLI::App* c = AddCommand(app, "explain",
                           "Draw where an Att-CRNN listened: per segment the log spectrogram, the attention mask "
                           "A = a_spa x a_tem aligned in time, and the posteriors (one PNG)",
                           "ascnet explain --model runs/demo/splits/fold1/attcrnn-logmel/model.ascnet recording.wav -o attention.png",
                           [a] { return RunExplain(*a); });
  c->add_option("--model", a->model, "Att-CRNN model bundle (.ascnet)")->required();
  c->add_option("input", a->input, "Audio file (any format libsndfile reads, any rate)")->required();
  c->add_option("-o,--output", a->output, "Output PNG")->required();
  c->add_option("--max-segments", a->max_segments, "Segments drawn (from the start; all are scored)")
      ->capture_default_str();
  c->add_option("--per-row", a->per_row, "Segment panels per row")->capture_default_str();
  c->add_option("--scorer", a->scorer, "Posteriors from the calibrated SVM (svm), the network (softmax), or auto")
      ->check(CLI::IsMember({"auto", "softmax", "svm"}))
      ->capture_default_str();
  c->add_option("--device", a->device, "cpu or cuda[:N]")->capture_default_str();
}

}  // namespace ascnet::cli
