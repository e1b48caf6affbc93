// Function multi-versioning for hot loops: on x86-64 with GCC, a function marked
// ASCNET_HOT_LOOP is compiled twice (AVX2+FMA and baseline) and the best version is
// chosen at load time, so portable binaries still use the vector units they find.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define ASCNET_HOT_LOOP __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ASCNET_HOT_LOOP
#endif
