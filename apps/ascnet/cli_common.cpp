#include "cli_common.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <sstream>
#include <thread>

#include "ascnet/core/error.h"

namespace ascnet::cli {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string tok; std::getline(ss, tok, ',');) {
    if (!tok.empty()) out.push_back(tok);
  }
  return out;
}

int AllCores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void AddConfigOption(CLI::App* sub) {
  sub->add_option("--config", "Read options from a TOML/INI file: one `name = value` line per long option "
                              "(e.g. arch = \"cnn\", steps = 300, resume = true); flags on the command line win");
}

std::vector<std::string> ExpandConfigFile(const CLI::App& app, const std::vector<std::string>& args) {
  if (args.empty()) return args;
  const CLI::App* sub = nullptr;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (s->check_name(args[0])) sub = s;
  }
  if (sub == nullptr) return args;
  std::string file;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) file = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) file = args[i].substr(9);
  }
  if (file.empty()) return args;
  auto given = [&](const std::string& flag) {
    for (const std::string& a : args) {
      if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> out = args;
  for (const CLI::ConfigItem& item : CLI::ConfigTOML().from_file(file)) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (!(item.parents.empty() || (item.parents.size() == 1 && sub->check_name(item.parents[0])))) {
      throw CLI::ConfigError(file + ": section [" + CLI::detail::join(item.parents, ".") + "] is not the command " +
                             sub->get_name());
    }
    const std::string flag = "--" + item.name;
    const CLI::Option* opt = sub->get_option_no_throw(flag);
    if (opt == nullptr || item.name == "config") {
      throw CLI::ConfigError(file + ": '" + item.name + "' is not an option of ascnet " + sub->get_name() +
                             " (see ascnet " + sub->get_name() + " --help)");
    }
    if (given(flag)) continue;  // the command line wins
    if (opt->get_expected_max() == 0) {  // a flag: true/false
      if (item.inputs.size() != 1) throw CLI::ConfigError(file + ": '" + item.name + "' takes true or false");
      const std::string v = CLI::detail::to_lower(item.inputs[0]);
      if (v == "true" || v == "1" || v == "yes" || v == "on") {
        out.push_back(flag);
      } else if (!(v == "false" || v == "0" || v == "no" || v == "off")) {
        throw CLI::ConfigError(file + ": '" + item.name + "' takes true or false, not '" + item.inputs[0] + "'");
      }
      continue;
    }
    out.push_back(flag);
    for (const std::string& v : item.inputs) out.push_back(v);
  }
  return out;
}

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
