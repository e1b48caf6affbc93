// The version of this build: the project version and the git commit it was configured from
// (e.g. "0.1.0+g4acc5b3"), recorded with every experiment run so that results can be traced.
#pragma once

namespace ascnet {

const char* AscnetVersion();

}  // namespace ascnet
