#!/usr/bin/env bash
# Builds the unit tests and examples with AddressSanitizer and UBSan in build-sanitize/ (at -O0,
# which halves compile time against -O1; the tests are small enough to run fast anyway) and runs
# them (compile-fail and install tests are left to scripts/run-tests.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
  -DSTRATA_SANITIZE=ON -DSTRATA_BUILD_TESTS=ON -DSTRATA_BUILD_EXAMPLES=ON -DSTRATA_BUILD_BENCHMARKS=OFF
cmake --build build-sanitize -j "${jobs}"
ctest --test-dir build-sanitize --output-on-failure -j "${jobs}" -LE "compile_fail|install"
