// Shared helpers for the ascnet subcommands.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ascnet::cli {

/// A subcommand's action; returns the process exit code.
using Action = std::function<int()>;

/// Adds a subcommand whose --help ends with a runnable example, and whose action runs
/// through RunGuarded (library exceptions become "ascnet NAME: error: ..." and exit 1).
CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& description,
                     const std::string& example, Action action);

/// Adds `--config FILE` to a subcommand: a TOML/INI file with one `name = value` line per
/// long option of the command (flags: `resume = true`), optionally under a `[NAME]` section.
/// The values are applied by ExpandConfigFile before parsing.
void AddConfigOption(CLI::App* sub);

/// For `ascnet CMD ... --config FILE ...` (args without the program name): reads FILE and
/// appends `--name value` for each key whose `--name` is not on the command line, so flags
/// given there win. CLI::FileError if FILE is missing, CLI::ConfigError naming FILE and the
/// key for a key that is not an option of CMD or a malformed file. Other lines are returned
/// unchanged.
std::vector<std::string> ExpandConfigFile(const CLI::App& app, const std::vector<std::string>& args);

/// "a,b,,c" -> {"a", "b", "c"} (empty items dropped): comma-separated flag values.
std::vector<std::string> SplitList(const std::string& s);

/// The cores of this machine (at least 1): what `--threads 0` means.
int AllCores();

/// Runs `action`, turning ascnet/std exceptions into an error line on stderr and exit 1.
int RunGuarded(const std::string& command, const Action& action);

/// Prints "ascnet CMD: error: MESSAGE" to stderr.
void PrintError(const std::string& command, const std::string& message);

/// Exit code chosen by the command that ran (set by AddCommand's callback).
int& ExitCode();

}  // namespace ascnet::cli
