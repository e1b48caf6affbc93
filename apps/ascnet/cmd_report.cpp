// `ascnet report`: an experiment folder as one self-contained HTML page.
#include <iostream>

#include "ascnet/core/fs.h"
#include "ascnet/experiment/layout.h"
#include "ascnet/report/report.h"
#include "cli_common.h"
#include "commands.h"

namespace ascnet::cli {
namespace {

struct ReportArgs {
  std::string dir;
  std::string output = "report.html";
  bool list_models = false;
  ReportOptions options;
};

int RunReport(const ReportArgs& a) {
  if (a.list_models) {
    std::cout << ExperimentLayout(a.dir).ModelListing() << std::flush;
    return 0;
  }
  a.options.Validate();
  std::cerr << "ascnet report: " << a.dir << " -> " << a.output << " (" << a.options.attention_examples
            << " attention example(s), " << a.options.max_segments << " segment(s) each, "
            << a.options.reliability_bins << " reliability bins)" << std::endl;
  const Report r = BuildReport(a.dir, a.options);
  WriteFileAtomically(a.output, [&](std::ostream& os) { os << r.html; });
  for (const auto& n : r.notes) std::cerr << "ascnet report: note: " << n << std::endl;
  std::cout << a.output << " (" << r.html.size() << " bytes)" << std::endl;
  return 0;
}

}  // namespace

void RegisterReport(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* c = AddCommand(app, "report",
                           "Turn an experiment folder into one self-contained HTML page (results, per-class tables, "
                           "confusion matrices, training curves, reliability diagrams, attention maps)",
                           "ascnet report runs/demo -o report.html", [a] { return RunReport(*a); });
  c->add_option("dir", a->dir, "Experiment folder (written by ascnet experiment)")->required();
  c->add_option("-o,--output", a->output, "Output HTML file")->capture_default_str();
  c->add_option("--attention-examples", a->options.attention_examples,
                "Test recordings explained with the first Att-CRNN run's model (0 = none)")
      ->capture_default_str();
  c->add_option("--max-segments", a->options.max_segments, "Segments drawn per attention example")
      ->capture_default_str();
  c->add_option("--bins", a->options.reliability_bins, "Confidence bins of the reliability diagrams")
      ->capture_default_str();
  c->add_flag("--list-models", a->list_models,
              "Write no page: print SPLIT<TAB>SYSTEM<TAB>MODEL for every system folder with a model.ascnet");
}

}  // namespace ascnet::cli
