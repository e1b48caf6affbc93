# Every dependency comes from Debian 12 packages (scripts/setup installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
if(ASCNET_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(ASCNET_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
# LibTorch (Debian's libtorch-dev 1.13 CPU here; an official LibTorch 2.x with CUDA works
# too: pass -DCMAKE_PREFIX_PATH=/path/to/libtorch). Found at the top level so that its
# imported targets are visible to every directory (apps, tests, bench).
find_package(Torch REQUIRED)
# For ATen's inline at::parallel_for in our own LibTorch code (src/ascnet/model/CMakeLists.txt).
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(ZLIB REQUIRED)
