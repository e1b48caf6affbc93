// Function multi-versioning for hot loops: on x86-64 with GCC, a function marked
// ASCNET_HOT_LOOP is compiled twice (AVX2+FMA and baseline), ASCNET_HOT_LOOP_V4 three times
// (AVX-512 too), and the best version is chosen at load time, so portable binaries still use
// the vector units they find.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define ASCNET_HOT_LOOP __attribute__((target_clones("arch=x86-64-v3", "default")))
// The same with an AVX-512 version too, for loops whose 512-bit form is measurably faster
// (the dense filterbank: 2x the AVX2 one on an AVX-512 Xeon).
#define ASCNET_HOT_LOOP_V4 __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ASCNET_HOT_LOOP
#define ASCNET_HOT_LOOP_V4
#endif
