// The process-wide settings that every entry point of the library (model loading, inference,
// training) and every program applies before its first tensor operation.
#pragma once

namespace ascnet {

/// Large blocks kept in the heap (allocator.h) and OpenBLAS's best kernels for this CPU
/// (blas.h); each once per process, thread-safe, each with its own opt-out variable.
void TuneProcess();

/// Whether the environment variable `name` asks for something: set, non-empty and not "0"
/// (how the opt-out variables ASCNET_MALLOC_DEFAULTS and ASCNET_BLAS_DEFAULTS are read).
bool EnvFlagSet(const char* name);

}  // namespace ascnet
