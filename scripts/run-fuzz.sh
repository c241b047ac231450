#!/usr/bin/env bash
# Builds the saved-model loader's libFuzzer target in build-fuzz/ (clang++, ASan + UBSan) and
# fuzzes it for a bounded time, starting from the seeds in tests/fuzz/corpus/ and the earlier
# findings in tests/fuzz/findings/. The fuzzer works on a copy in build-fuzz/fuzz-run/, so the
# repository is never written. Exits non-zero if the fuzzer finds a crash, a leak, a timeout or
# an out-of-memory; the input is then in build-fuzz/fuzz-run/artifacts/.
#
#     scripts/run-fuzz.sh                        # 60 seconds
#     STRATA_FUZZ_SECONDS=600 scripts/run-fuzz.sh
#
# Needs clang++ and libFuzzer: scripts/install-deps.sh --fuzz (not called here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${STRATA_FUZZ_SECONDS:-60}
jobs=$(nproc)
# OpenMP off: one thread, so each input runs the same way every time.
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_OPENMP=OFF \
  -DSTRATA_BUILD_FUZZERS=ON -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_EXAMPLES=OFF -DSTRATA_BUILD_BENCHMARKS=OFF
cmake --build build-fuzz -j "${jobs}" --target load_model_fuzzer

run=build-fuzz/fuzz-run
rm -rf "${run}"
mkdir -p "${run}/corpus" "${run}/artifacts"
cp tests/fuzz/corpus/* "${run}/corpus/"
if [[ -d tests/fuzz/findings ]] && compgen -G "tests/fuzz/findings/*" >/dev/null; then
  cp tests/fuzz/findings/* "${run}/corpus/"  # regression seeds: each must run cleanly first
fi
seeds=$(find "${run}/corpus" -type f | wc -l)

echo "run-fuzz: fuzzing load_model_fuzzer for ${seconds} s from ${seeds} seeds"
status=0
start=$(date +%s)
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build-fuzz/tests/fuzz/load_model_fuzzer "${run}/corpus" \
  -max_total_time="${seconds}" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
  -artifact_prefix="${run}/artifacts/" -print_final_stats=1 2>&1 | tee "${run}/fuzz.log" |
  awk '/^#[0-9]+[ \t]+(NEW|REDUCE|pulse)/ || /^[ \t]+NEW_FUNC/ { next }  # progress, per new input
       /^###### Recommended dictionary/ { skip = 1 }
       !skip { print }
       /^###### End of recommended dictionary/ { skip = 0 }' || status=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))

stat() { sed -n "s/^stat::$1: *//p" "${run}/fuzz.log" | tail -n 1; }
executions=$(stat number_of_executed_units)
per_second=$(stat average_exec_per_sec)
inputs=$(find "${run}/corpus" -type f | wc -l)
bytes=$(du -sb "${run}/corpus" | cut -f1)
if ((status != 0)); then
  echo "run-fuzz: FAILED (exit ${status}): the input is in ${run}/artifacts/:" >&2
  ls -l "${run}/artifacts/" >&2
  echo "run-fuzz: minimise it with build-fuzz/tests/fuzz/load_model_fuzzer -minimize_crash=1 -runs=100000 FILE," \
    "then keep it as a regression seed in tests/fuzz/findings/" >&2
fi
echo "run-fuzz: load_model_fuzzer: ${executions:-?} executions in ${elapsed} s (${per_second:-?}/s)," \
  "corpus ${seeds} -> ${inputs} inputs (${bytes} bytes), $( ((status == 0)) && echo "no findings" || echo "FAILED: a finding (crash, sanitizer report, leak, timeout or out-of-memory)")"
exit "${status}"
