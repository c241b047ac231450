#!/usr/bin/env bash
# Installs strata's build dependencies (Debian/Ubuntu) with apt-get, as root or via sudo.
# Does nothing when they are all installed already.
set -euo pipefail

# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz: also clang and libFuzzer, for scripts/run-fuzz.sh)
packages=(g++ cmake ninja-build libeigen3-dev libboost-dev libfmt-dev catch2
          nlohmann-json3-dev libbenchmark-dev zlib1g-dev dataset-fashion-mnist)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: not a Debian-based system; install these yourself: ${packages[*]}" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
# Node.js and npm run the TensorFlow.js interop tests. Checked as commands, not packages: a
# machine may have them from elsewhere (NodeSource's nodejs bundles npm, which Debian's npm
# package would conflict with).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
  packages+=(nodejs npm)
fi
if ((${#missing[@]} == 0)); then
  exit 0
fi

as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
}

echo "install-deps: installing ${missing[*]}" >&2
as_root env DEBIAN_FRONTEND=noninteractive apt-get update
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
