#!/usr/bin/env bash
# bench/state/run.sh — builds bench_state in a Release build and runs it.
#   bench/state/run.sh [N] [budget-MiB] [rounds] [dir]     (BUILD_DIR overrides the build directory)
#   bench/state/run.sh snapshot [N] [dir]                   (only snapshot/restore times, N = 1000000)
#   bench/state/run.sh hmasync [N] [rounds] [dir]           (hashmap asynchronous snapshots: begin vs
#                                                           write, put rates with a view open)
# Defaults: N=2000000 random 8-byte keys, a 128 MiB budget (half block cache, half memtables), one
# round, $TMPDIR or /tmp for the RocksDB directories. Prints put and get ops/s for 32- and 200-byte
# values: raw RocksDB (C API, same options), sl_state on the rocksdb backend and on the hashmap
# backend, and the ratio of each to raw RocksDB. With rounds > 1 the order alternates between rounds
# and the best figures are shown (the machine's load varies).
# Then (or with "snapshot" alone) the seconds to snapshot 1M entries and to restore them: whole
# range, half (scale-up), two halves into one (scale-down), into the other backend.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build-st-rel}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_state -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=$(find "$build" -name bench_state -type f -perm -u+x | head -n 1)
echo "$ $bin $*"
"$bin" "$@"
