// The files of one training run's output folder (TrainOptions::out_dir), one owner for
// their names. Plain C++ (run_files.cpp, in the torch-free ascnet_train_options): used by the
// experiment layout and the report without LibTorch.
#pragma once

#include <string>

namespace ascnet {

std::string CheckpointPath(const std::string& out_dir);  ///< out_dir/checkpoint.bin
std::string BundlePath(const std::string& out_dir);      ///< out_dir/model.ascnet
std::string LogCsvPath(const std::string& out_dir);      ///< out_dir/log.csv
std::string LogJsonPath(const std::string& out_dir);     ///< out_dir/log.json

}  // namespace ascnet
