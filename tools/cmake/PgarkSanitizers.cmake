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
