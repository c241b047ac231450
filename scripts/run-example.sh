#!/usr/bin/env bash
# Builds strata's main example (CMake cache variable STRATA_MAIN_EXAMPLE) in build/ and runs it,
# passing on its arguments (examples/fashion_mnist.cpp: --epochs, --batch-size, --limit, --threads).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_EXAMPLES=ON
example=$(sed -n 's/^STRATA_MAIN_EXAMPLE:[A-Z]*=//p' build/CMakeCache.txt)
cmake --build build --target "example_${example}"
cd build/examples # the example's working directory, as under ctest
exec "./${example}" "$@"
