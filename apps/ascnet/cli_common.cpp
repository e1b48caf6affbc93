#include "cli_common.h"

#include <exception>
#include <iostream>

#include "ascnet/core/error.h"

namespace ascnet::cli {

int& ExitCode() {
  static int code = 0;
  return code;
}

void PrintError(const std::string& command, const std::string& message) {
  std::cerr << "ascnet " << command << ": error: " << message << std::endl;
}

int RunGuarded(const std::string& command, const Action& action) {
  try {
    return action();
  } catch (const Error& e) {
    PrintError(command, e.what());
  } catch (const std::exception& e) {
    PrintError(command, std::string("unexpected error: ") + e.what());
  }
  return 1;
}

CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& description,
                     const std::string& example, Action action) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->footer("Example:\n  " + example);
  sub->callback([name, action]() { ExitCode() = RunGuarded(name, action); });
  return sub;
}

}  // namespace ascnet::cli
