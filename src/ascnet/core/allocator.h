// Keeps large tensor buffers in the process heap instead of mapping and unmapping them on
// every allocation. glibc serves blocks above its mmap threshold (at most 32 MB, adjusted
// dynamically) with fresh mmap()s: a training step allocates and frees activations of tens
// of MB each time, and every new mapping costs one page fault per 4 KiB plus zeroing in the
// kernel (measured: 25 % of an experiment's CPU time was system time). The library calls
// this from its entry points (training, inference), so every program that uses it, the CLI
// and the Python module included, gets it without environment variables.
#pragma once

#include <cstddef>

namespace ascnet {

/// Large-block limits this sets (bytes): blocks up to kHeapBlockLimit come from the heap,
/// and up to kHeapKeepLimit of free memory at the top of the heap is kept for reuse.
inline constexpr std::size_t kHeapBlockLimit = std::size_t{1} << 30;
inline constexpr std::size_t kHeapKeepLimit = std::size_t{1} << 30;

/// Sets glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD to the limits above, once per process
/// (thread-safe; later calls do nothing; a no-op without glibc, or when the environment
/// variable ASCNET_MALLOC_DEFAULTS is set to anything but 0: glibc's defaults stay, for
/// measuring the difference or for a host program that tunes malloc itself). Returns true
/// if the settings are in force (false under AddressSanitizer, whose allocator replaces
/// glibc's and ignores mallopt).
bool KeepLargeBlocksInHeap();

}  // namespace ascnet
