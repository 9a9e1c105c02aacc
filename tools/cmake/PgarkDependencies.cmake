# Every dependency comes from a Debian 12 package (tools/bootstrap installs them).
# Libraries without a CMake package are wrapped in pgark:: aliases so call sites
# do not care where a library came from.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(PostgreSQL REQUIRED)          # libpq
find_package(ZLIB REQUIRED)
find_package(CURL REQUIRED)
find_package(absl REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)

pkg_check_modules(PGARK_ZSTD REQUIRED IMPORTED_TARGET GLOBAL libzstd)
pkg_check_modules(PGARK_SODIUM REQUIRED IMPORTED_TARGET GLOBAL libsodium)
pkg_check_modules(PGARK_XXHASH REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
pkg_check_modules(PGARK_DEFLATE REQUIRED IMPORTED_TARGET GLOBAL libdeflate)
# libcrypto (OpenSSL) only for SHA-256: it uses the CPU's SHA extensions (libsodium's does not).
pkg_check_modules(PGARK_CRYPTO REQUIRED IMPORTED_TARGET GLOBAL libcrypto)
add_library(pgark::zstd ALIAS PkgConfig::PGARK_ZSTD)
add_library(pgark::sodium ALIAS PkgConfig::PGARK_SODIUM)
add_library(pgark::xxhash ALIAS PkgConfig::PGARK_XXHASH)
add_library(pgark::deflate ALIAS PkgConfig::PGARK_DEFLATE)
add_library(pgark::crypto ALIAS PkgConfig::PGARK_CRYPTO)

if(BUILD_TESTING)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(PGARK_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
