// `ascnet export`: a model bundle as a TorchScript module (torch.jit.load in Python).
#include <iostream>

#include "ascnet/infer/torchscript_export.h"
#include "ascnet/model/bundle.h"
#include "cli_common.h"
#include "commands.h"

namespace ascnet::cli {
namespace {

struct ExportArgs {
  std::string model;
  std::string torchscript;
  std::string scorer = "auto";
};

int RunExport(const ExportArgs& a) {
  const ModelBundle b = LoadBundle(a.model);
  const ScoreKind kind = ParseScoreKind(a.scorer);
  const ScoreKind resolved = kind == ScoreKind::kAuto ? (b.HasCalibration() ? ScoreKind::kSvm : ScoreKind::kSoftmax) : kind;
  std::cerr << "ascnet export: model " << a.model << " (" << b.arch.Name() << ", " << b.features.name << ", "
            << b.labels.size() << " classes), forward() = " << ScoreKindName(resolved) << " probabilities" << std::endl;
  ExportTorchScript(b, a.torchscript, kind);
  std::cerr << "ascnet export: wrote " << a.torchscript
            << " (input: normalised segments [B, " << b.arch.channels << ", " << b.arch.bands << ", " << b.arch.frames
            << "]; output: probabilities [B, " << b.arch.classes << "])" << std::endl;
  return 0;
}

}  // namespace

void RegisterExport(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* c = AddCommand(app, "export",
                           "Export a model bundle as a TorchScript module: forward(normalised segments [B, C, M, T]) "
                           "-> probabilities [B, classes]; also network(), softmax(), svm(), attention(), normalise()",
                           "ascnet export --model runs/demo/splits/fold1/attcrnn-logmel/model.ascnet --torchscript model.pt",
                           [a] { return RunExport(*a); });
  c->add_option("--model", a->model, "Model bundle (.ascnet)")->required();
  c->add_option("--torchscript", a->torchscript, "Output TorchScript file (.pt)")->required();
  c->add_option("--scorer", a->scorer,
                "What forward() returns: calibrated SVM + Platt probabilities (svm), the network's softmax, or auto "
                "(svm if the bundle is calibrated)")
      ->check(CLI::IsMember({"auto", "softmax", "svm"}))
      ->capture_default_str();
}

}  // namespace ascnet::cli
