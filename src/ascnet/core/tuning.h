// The process-wide settings that every entry point of the library (model loading, inference,
// training) and every program applies before its first tensor operation.
#pragma once

namespace ascnet {

/// Large blocks kept in the heap (allocator.h) and OpenBLAS's best kernels for this CPU
/// (blas.h); each once per process, thread-safe, each with its own opt-out variable.
void TuneProcess();

}  // namespace ascnet
