// Helpers shared by the model tests.
#pragma once

#include "common/temp_dir.h"  // ascnet::testing::TempDir
