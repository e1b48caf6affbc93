// Registration of every ascnet subcommand (one Register* per cmd_*.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace ascnet::cli {

void RegisterFeatures(CLI::App& app);  // features, filterbank  (cmd_features.cpp)
void RegisterInfo(CLI::App& app);      // info                  (cmd_info.cpp)
void RegisterTrain(CLI::App& app);     // train                 (cmd_train.cpp)
void RegisterClassify(CLI::App& app);  // classify              (cmd_classify.cpp)
void RegisterExperiment(CLI::App& app);  // experiment [merge]  (cmd_experiment.cpp)
void RegisterExport(CLI::App& app);    // export                (cmd_export.cpp)
void RegisterExplain(CLI::App& app);   // explain               (cmd_explain.cpp)
void RegisterReport(CLI::App& app);    // report                (cmd_report.cpp)
void RegisterStream(CLI::App& app);    // stream                (cmd_stream.cpp)
void RegisterCache(CLI::App& app);     // cache build           (cmd_cache.cpp)
void RegisterServe(CLI::App& app);     // serve                 (cmd_serve.cpp)

inline void RegisterAll(CLI::App& app) {
  RegisterFeatures(app);
  RegisterInfo(app);
  RegisterTrain(app);
  RegisterClassify(app);
  RegisterExperiment(app);
  RegisterExport(app);
  RegisterExplain(app);
  RegisterReport(app);
  RegisterStream(app);
  RegisterCache(app);
  RegisterServe(app);
}

}  // namespace ascnet::cli
