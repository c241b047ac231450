#!/usr/bin/env bash
# Time per epoch and time to 88% test accuracy: strata's examples/fashion_mnist.cpp against the
# same model, data, initialisation, optimizer and batches in PyTorch (bench/pytorch_fashion_mnist.py),
# on this machine, run alternately so both see the same load.
#
#     bench/fashion_mnist_vs_pytorch.sh [epochs=10] [threads=2] [rounds=1]
#
# Needs Debian's python3-torch and python3-numpy (apt-get install python3-torch), run with
# /usr/bin/python3 (override with PYTHON=...). Debian's torch calls whatever libblas.so.3 the
# system provides: the reference BLAS unless OpenBLAS is installed (apt-get install
# libopenblas0-pthread). With OpenBLAS present, PyTorch runs on it ("pytorch+openblas"), and
# REFERENCE_BLAS_EPOCHS=N adds a run of N epochs on the reference BLAS ("pytorch+reference-blas",
# about 30 times slower). Prints each run's JSON and a table of medians; strata's build is -O3
# -march=native in build-bench/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
epochs=${1:-10}
threads=${2:-2}
rounds=${3:-1}
PYTHON=${PYTHON:-/usr/bin/python3}
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
reference=/usr/lib/x86_64-linux-gnu/blas

scripts/install-deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_EXAMPLES=ON \
  -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build-bench --target example_fashion_mnist

results=$(mktemp)
trap 'rm -f "${results}"' EXIT
for ((round = 1; round <= rounds; ++round)); do
  (cd build-bench/examples && ./fashion_mnist --epochs "${epochs}" --threads "${threads}" --out /dev/null) \
    | tail -n 1 | tee -a "${results}"
  if [[ -e "${openblas}/libblas.so.3" ]]; then
    LD_LIBRARY_PATH="${openblas}" "${PYTHON}" bench/pytorch_fashion_mnist.py --epochs "${epochs}" --threads "${threads}" \
      | sed 's/"framework": "pytorch"/"framework": "pytorch+openblas"/' | tee -a "${results}"
    if ((${REFERENCE_BLAS_EPOCHS:-0} > 0)); then
      LD_LIBRARY_PATH="${reference}" "${PYTHON}" bench/pytorch_fashion_mnist.py --epochs "${REFERENCE_BLAS_EPOCHS}" \
        --threads "${threads}" | sed 's/"framework": "pytorch"/"framework": "pytorch+reference-blas"/' | tee -a "${results}"
    fi
  else
    "${PYTHON}" bench/pytorch_fashion_mnist.py --epochs "${epochs}" --threads "${threads}" | tee -a "${results}"
  fi
done

python3 - "${results}" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by = {}
for run in runs:
    by.setdefault(run["framework"], []).append(run)
def median(framework, key):
    values = [r[key] for r in by[framework] if r.get(key) is not None]
    return statistics.median(values) if values else None
print()
others = [f for f in ("pytorch", "pytorch+openblas", "pytorch+reference-blas") if f in by]
print(f"{'':24}{'strata':>12}" + "".join(f"{f:>18}{'ratio':>8}" for f in others))
for key, label in [("median_epoch_seconds", "median s/epoch"), ("seconds_to_88", "s to 88% test acc"),
                   ("epoch_to_88", "epoch reaching 88%"), ("final_test_accuracy", "final test accuracy")]:
    show = lambda v: "n/a" if v is None else (f"{v:.4f}" if key == "final_test_accuracy" else f"{v:.3f}")
    s = median("strata", key)
    line = f"{label:24}{show(s):>12}"
    for f in others:
        p = median(f, key)
        ratio = f"{s / p:.2f}x" if s and p and key in ("median_epoch_seconds", "seconds_to_88") else ""
        line += f"{show(p):>18}{ratio:>8}"
    print(line)
print("(ratio: strata / the framework left of it; below 1 means strata is faster)")
PY
