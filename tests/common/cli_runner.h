// Runs a command (RunCommand) or the `ascnet` binary (RunCli, path from ASCNET_CLI) and
// captures exit code, stdout, stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/temp_dir.h"  // TempDir(name)

namespace ascnet::test {

struct CliResult {
  int code = -1;
  std::string out, err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `command` with /bin/sh (quote paths yourself), stdout and stderr captured separately;
/// code is the exit status, or 128 + the signal that ended it.
inline CliResult RunCommand(const std::string& command, const std::string& stdin_file = "") {
  namespace fs = std::filesystem;
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("ascnet_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / ("out" + std::to_string(counter) + ".txt")).string();
  const std::string err = (dir / ("err" + std::to_string(counter++) + ".txt")).string();
  std::string cmd = command + " >" + out + " 2>" + err;
  if (!stdin_file.empty()) cmd += " <" + stdin_file;
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

/// `args` is appended to the binary path as shell words (quote paths yourself).
inline CliResult RunCli(const std::string& args, const std::string& stdin_file = "") {
  return RunCommand(std::string(ASCNET_CLI) + " " + args, stdin_file);
}

/// Parses JSON-lines output (one object per non-empty line).
inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace ascnet::test
