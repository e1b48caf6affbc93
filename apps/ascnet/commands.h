// Registration of every ascnet subcommand (one Register* per cmd_*.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace ascnet::cli {

void RegisterFeatures(CLI::App& app);  // features, filterbank  (cmd_features.cpp)

inline void RegisterAll(CLI::App& app) {
  RegisterFeatures(app);
}

}  // namespace ascnet::cli
