# Warnings, optimisation and sanitizers shared by every ascnet target.
add_library(ascnet_compile_options INTERFACE)
target_compile_options(ascnet_compile_options INTERFACE
  -Wall -Wextra -Wno-unused-parameter
  $<$<CONFIG:Release>:-O3>)
if(ASCNET_NATIVE)
  target_compile_options(ascnet_compile_options INTERFACE -march=native)
endif()
if(ASCNET_SANITIZE)
  target_compile_options(ascnet_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(ascnet_compile_options INTERFACE -fsanitize=address,undefined)
endif()
if(ASCNET_FUZZ)
  # Coverage feedback for libFuzzer in every library; fuzz/ links the fuzzer runtime.
  target_compile_options(ascnet_compile_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
