#include "commands.h"
namespace ascnet::cli {
void RegisterFeatures(CLI::App& app) {}
}  // namespace ascnet::cli
