#!/usr/bin/env bash
# Compile time and peak compiler memory of every translation unit of the test suite, examples
# and benchmarks, one compiler at a time (so the figures do not fight each other for the cores).
#
#   bench/compile_cost.sh [build-dir]      # default: build-compile-cost/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build-compile-cost}
log="$(pwd)/${build}/compile-cost.log"

rm -rf "${build}"
mkdir -p "${build}"
# The launcher wraps each compiler call in GNU time, appending "seconds KB output" to the log.
cat > "${build}/time-compile" <<WRAPPER
#!/usr/bin/env bash
out=unknown
for ((i = 1; i <= \$#; ++i)); do [[ "\${!i}" == -o ]] && { j=\$((i + 1)); out=\${!j}; }; done
exec /usr/bin/time -a -o "${log}" -f "%e %M \${out}" "\$@"
WRAPPER
chmod +x "${build}/time-compile"

cmake -S . -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 \
  -DSTRATA_BUILD_TESTS=ON -DSTRATA_BUILD_EXAMPLES=ON -DSTRATA_BUILD_BENCHMARKS=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$(pwd)/${build}/time-compile" >/dev/null
start=$(date +%s)
cmake --build "${build}" -j 1 >/dev/null
end=$(date +%s)

echo "seconds  peak MB  object"
sort -rn "${log}" | awk '{ printf "%7.1f  %7.0f  %s\n", $1, $2 / 1024, $3 }'
awk '{ s += $1; if ($2 > m) m = $2 } END { printf "total %.0f s of compilation (one core), largest peak %.0f MB\n", s, m / 1024 }' "${log}"
echo "wall time of the one-core build: $((end - start)) s"
