# Build helpers shared by every CMakeLists.txt.
#
# Sources are found by glob (CONFIGURE_DEPENDS) inside each module's folders:
# a new foo.cc joins its module's library and a new foo_test.cc joins its
# module's test binary without editing CMake. Several people work on separate
# modules at once, and this keeps the build files out of their way.
# Files ending in _test.cc, _fuzzer.cc, _bench.cc and main.cc never join a library.

# Warnings for our own targets only (not for third-party code or globally).
function(pgark_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter
                         -Werror=unused-result -Werror=return-type)
endfunction()

# Collects the library sources of DIRS (relative to the project root) into OUT.
function(pgark_glob_sources out)
  set(result "")
  foreach(dir IN LISTS ARGN)
    file(GLOB found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cc)
    foreach(f IN LISTS found)
      if(NOT f MATCHES "(_test|_fuzzer|_bench)\\.cc$" AND NOT f MATCHES "/main\\.cc$")
        list(APPEND result ${f})
      endif()
    endforeach()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# pgark_library(NAME name DIRS dir... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...] [NOT_FUZZED])
# One static library per module. A module with no sources yet still gets a
# target (from an empty translation unit) so dependents can link it.
# NOT_FUZZED: no fuzz target links this library, so it gets no coverage instrumentation
# (PgarkSanitizers.cmake).
function(pgark_library)
  cmake_parse_arguments(ARG "NOT_FUZZED" "NAME" "DIRS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  pgark_glob_sources(srcs ${ARG_DIRS})
  if(NOT srcs)
    set(empty ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}_empty.cc)
    file(WRITE ${empty} "// ${ARG_NAME} has no sources yet.\n")
    set(srcs ${empty})
  endif()
  add_library(${ARG_NAME} STATIC ${srcs})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  pgark_target_warnings(${ARG_NAME})
  if(NOT ARG_NOT_FUZZED)
    pgark_fuzz_coverage(${ARG_NAME})
  endif()
  pgark_precompile(${ARG_NAME})
endfunction()

# pgark_add_test(NAME name LABELS unit|integration DIRS dir... | SRCS file... DEPS lib...
#                [FIXTURES fixture...])
# One test binary; each TEST becomes a CTest test carrying LABELS.
function(pgark_add_test)
  cmake_parse_arguments(ARG "" "NAME;LABELS" "DIRS;SRCS;DEPS;FIXTURES" ${ARGN})
  set(srcs ${ARG_SRCS})
  foreach(dir IN LISTS ARG_DIRS)
    file(GLOB found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*_test.cc)
    list(APPEND srcs ${found})
  endforeach()
  if(NOT srcs)
    return()
  endif()
  add_executable(${ARG_NAME} ${srcs})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest)
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${ARG_NAME} PRIVATE
      PGARK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      PGARK_BINARY_DIR="${PROJECT_BINARY_DIR}")
  pgark_target_warnings(${ARG_NAME})
  pgark_test_code_o0(${ARG_NAME})
  pgark_precompile(${ARG_NAME} <gmock/gmock.h> <gtest/gtest.h> <nlohmann/json.hpp>)
  set(props LABELS ${ARG_LABELS})
  if(ARG_FIXTURES)
    list(APPEND props FIXTURES_REQUIRED "${ARG_FIXTURES}")
  endif()
  gtest_discover_tests(${ARG_NAME}
      DISCOVERY_MODE PRE_TEST
      DISCOVERY_TIMEOUT 60
      PROPERTIES ${props}
      TEST_PREFIX "${ARG_LABELS}.")
  # Test suites named *ConcurrencyTest are the concurrency tests: the ThreadSanitizer stage
  # of tools/test-sanitizers builds the binaries that hold them (target
  # pgark_concurrency_tests) and runs them by name, `ctest -R 'ConcurrencyTest\.'`
  # (docs/testing.md). A second label cannot be given per test with gtest_discover_tests.
  foreach(src IN LISTS srcs)
    file(STRINGS ${src} hits REGEX "ConcurrencyTest")
    if(hits)
      if(NOT TARGET pgark_concurrency_tests)
        add_custom_target(pgark_concurrency_tests)
      endif()
      add_dependencies(pgark_concurrency_tests ${ARG_NAME})
      break()
    endif()
  endforeach()
endfunction()
