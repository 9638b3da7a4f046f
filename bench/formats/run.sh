#!/usr/bin/env bash
# bench/formats/run.sh — builds bench_json_decode in a Release build and runs it.
#   bench/formats/run.sh [records] [rounds]        (BUILD_DIR overrides the build directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_json_decode -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=$(find "$build" -name bench_json_decode -type f -perm -u+x | head -n 1)
echo "$ $bin $*"
"$bin" "$@"
