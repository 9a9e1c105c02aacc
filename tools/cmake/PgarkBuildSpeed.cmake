# Build-time savings that change no output behaviour (docs/testing.md, "Making room").
#
# PGARK_LINKER: the linker for every executable. The test binaries are large (debug info,
# several libraries each) and GNU ld links them slowly; lld (Debian package lld, in
# tools/bootstrap) links the same objects several times faster. "auto" (default) uses lld
# when ld.lld is installed and the compiler accepts -fuse-ld=lld, else the compiler's default.
set(PGARK_LINKER "auto" CACHE STRING "Linker: auto | lld | mold | default")
if(PGARK_LINKER STREQUAL "auto")
  find_program(PGARK_LLD ld.lld)
  if(PGARK_LLD)
    include(CheckCXXSourceCompiles)
    set(CMAKE_REQUIRED_LINK_OPTIONS -fuse-ld=lld)
    check_cxx_source_compiles("int main() { return 0; }" PGARK_HAVE_FUSE_LD_LLD)
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    if(PGARK_HAVE_FUSE_LD_LLD)
      set(_pgark_linker lld)
    endif()
  endif()
elseif(NOT PGARK_LINKER STREQUAL "default")
  set(_pgark_linker ${PGARK_LINKER})
endif()
if(_pgark_linker)
  add_link_options(-fuse-ld=${_pgark_linker})
  message(STATUS "pgark: linking with -fuse-ld=${_pgark_linker}")
endif()

# PGARK_PCH: precompiled headers per target for the third-party headers that nearly every
# translation unit parses again (Abseil status/strings; gtest and gmock in the test binaries;
# CLI11, about 7 s of gcc time per file, in pgark_cli). The headers are force-included into
# every C++ source of the target, so a source must still include what it uses: the build
# without PCH (the default) checks that. Off by default: developers' worktrees share ccache
# results, and the PCH changes every compile command (a full cold rebuild for everyone the
# first time). tools/test and tools/test-sanitizers (CI: fresh machine, nothing cached) turn it on.
option(PGARK_PCH "Precompile heavy third-party headers (target_precompile_headers)" OFF)
set(PGARK_PCH_COMMON <memory> <string> <vector> <absl/status/status.h> <absl/status/statusor.h>
    <absl/strings/str_cat.h> <absl/strings/string_view.h>)
if(PGARK_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # ccache can reuse results that use a clang PCH only when the PCH carries no timestamp.
  add_compile_options(-Xclang -fno-pch-timestamp)
endif()
if(PGARK_PCH AND PGARK_CCACHE AND CMAKE_CXX_COMPILER_LAUNCHER STREQUAL PGARK_CCACHE)
  # ccache caches compiles that use a PCH only with this sloppiness (ccache manual,
  # "Precompiled headers"); without it every such compile would miss.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${PGARK_CCACHE})
endif()

# pgark_precompile(target [header...]): the common list plus HEADERs (<...> form).
function(pgark_precompile target)
  if(PGARK_PCH)
    target_precompile_headers(${target} PRIVATE ${PGARK_PCH_COMMON} ${ARGN})
  endif()
endfunction()

# PGARK_TEST_CODE_O0: the test binaries' own sources (*_test.cc, tests/integration, ...) and the
# test helpers (tests/testing) at -O0, the libraries and the pgark binary they drive at the tree's
# level. For the asan tree of tools/test-sanitizers: ASan code generation at -O1 is most of CI's
# build time, and the test sources are over half of it; the tests' time is in the libraries,
# pgark subprocesses and the server, which stay optimized, and so do the fuzzers (their speed is
# their coverage). Only code that the pgark executable does not link may go to -O0: the linker
# keeps one copy of each inline function and template, taken from the first object that has one
# (the CLI's, at the front of the link), so the engine would run the -O0 copies (measured with the
# CLI at -O0: the 10,000-table load test 30 -> 56 s). In the test binaries the same happens to the
# engine code a test runs in-process; the suite's time did not change measurably (session 16).
# Measured in docs/testing.md "Measured cost". Off by default.
option(PGARK_TEST_CODE_O0 "Compile the test binaries' own sources and test helpers at -O0" OFF)

# pgark_test_code_o0(target): -O0 for TARGET under PGARK_TEST_CODE_O0. target_compile_options come
# after the tree's -O level on the command line, so this one wins.
function(pgark_test_code_o0 target)
  if(PGARK_TEST_CODE_O0)
    target_compile_options(${target} PRIVATE -O0)
  endif()
endfunction()
