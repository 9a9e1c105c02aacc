# Applies PGARK_SANITIZE globally (every target, including tests) so that
# instrumented and uninstrumented code never mix inside one binary.
if(PGARK_SANITIZE)
  if(PGARK_SANITIZE STREQUAL "thread")
    set(_pgark_san_flags -fsanitize=thread)
  elseif(PGARK_SANITIZE STREQUAL "address,undefined" OR PGARK_SANITIZE STREQUAL "address" OR PGARK_SANITIZE STREQUAL "undefined")
    set(_pgark_san_flags -fsanitize=${PGARK_SANITIZE} -fno-sanitize-recover=undefined)
  else()
    message(FATAL_ERROR "PGARK_SANITIZE must be empty, 'address,undefined' or 'thread', got '${PGARK_SANITIZE}'")
  endif()
  add_compile_options(${_pgark_san_flags} -fno-omit-frame-pointer)
  add_link_options(${_pgark_san_flags})
  message(STATUS "pgark: building with -fsanitize=${PGARK_SANITIZE}")
endif()

# PGARK_BUILD_FUZZERS: libFuzzer targets (tests/fuzz). libFuzzer ships with clang only.
# The libraries a fuzzer can reach and the fuzz binaries get coverage instrumentation
# (pgark_fuzz_coverage below) so the fuzzers see edges inside them; the fuzz binaries link
# -fsanitize=fuzzer. Code no fuzzer runs (the CLI layer, test binaries, test helpers) is not
# instrumented: it would only cost compile time (a test source: about a quarter more) and
# run time in the tests.
if(PGARK_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PGARK_BUILD_FUZZERS=ON needs clang (libFuzzer), but the compilers are "
      "${CMAKE_C_COMPILER_ID}/${CMAKE_CXX_COMPILER_ID}. Configure a separate build tree with "
      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ (Debian package clang).")
  endif()
  message(STATUS "pgark: building libFuzzer targets (tests/fuzz)")
endif()

# pgark_fuzz_coverage(target): coverage instrumentation for TARGET when fuzzers are built.
function(pgark_fuzz_coverage target)
  if(PGARK_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()
