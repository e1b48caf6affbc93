// ascnet: acoustic scene classification from the command line.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ascnet/core/tuning.h"
#include "cli_common.h"
#include "commands.h"

int main(int argc, char** argv) {
  ascnet::TuneProcess();
  CLI::App app{
      "ascnet: acoustic scene classification (Att-CRNN with spatio-temporal attention pooling, "
      "Phan et al., Interspeech 2019)"};
  app.footer(
      "Examples:\n"
      "  ascnet features --features logmel recording.wav -o recording.npy\n"
      "  ascnet experiment --dataset csv:data/ambience/meta.csv --arch attcrnn,cnn --features logmel "
      "--out runs/ambience\n"
      "  (scripts/demo runs such an experiment into runs/demo; then:)\n"
      "  ascnet classify --model runs/demo/splits/fold1/attcrnn-logmel/model.ascnet recording.wav\n"
      "  ascnet report runs/demo -o report.html\n"
      "Run 'ascnet COMMAND --help' for a command's options and a runnable example.");
  app.require_subcommand(1);
  ascnet::cli::RegisterAll(app);
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    args = ascnet::cli::ExpandConfigFile(app, args);  // `CMD --config FILE`
    std::reverse(args.begin(), args.end());            // CLI11 takes them last-first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ascnet::cli::ExitCode();
}
