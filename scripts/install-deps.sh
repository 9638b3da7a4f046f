#!/usr/bin/env bash
# Installs the Debian packages Sluice needs to build, test and run its demo.
# Idempotent: only packages that are missing are installed, and each one is named first.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config make git
  flex bison
  librdkafka-dev librocksdb-dev libjansson-dev libcmocka-dev libyaml-dev libxxhash-dev
  kcat python3 clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: error: need root (or sudo) to install: ${missing[*]}" >&2
    echo "install-deps: hint: run 'apt-get install ${missing[*]}' as root, then retry" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
