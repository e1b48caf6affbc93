// Empty: the owner targets of the shared LibTorch precompiled header (CMakeLists.txt) compile
// only the header itself.
