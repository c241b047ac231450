#!/usr/bin/env bash
# Builds everything in build-tests/ (Release at -O2, so assertions stay on) and runs ctest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build-tests -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 \
  -DSTRATA_BUILD_TESTS=ON -DSTRATA_BUILD_EXAMPLES=ON -DSTRATA_BUILD_BENCHMARKS=ON
cmake --build build-tests -j "${jobs}"
ctest --test-dir build-tests --output-on-failure -j "${jobs}"
