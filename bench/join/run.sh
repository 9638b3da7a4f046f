#!/usr/bin/env bash
# bench/join/run.sh [ROWS] — the flagship join shape (left: filter name1 IS NOT NULL, keeps id;
# right: keeps id, name; unique ids on both sides, arriving interleaved) from datagen to blackhole,
# 2 x ROWS rows (default 2,000,000), on both state backends; and, in the same run, the raw RocksDB
# put+get rate for the same key and value sizes (bench_rocksdb_raw), with the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build >/dev/null
ROWS=${1:-2000000}
BIN=build/bin/sluice
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SLUICE_NO_PROGRESS=1
. bench/flagship_join.sh
flagship_join_sql "$ROWS" > "$tmp/join.sql"
cores=$(nproc)
for backend in rocksdb hashmap; do
  $BIN sql -f "$tmp/join.sql" -D state.backend.type=$backend -D io.tmp.dirs="$tmp" 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
  line=$(grep finished "$tmp/err")
  s=$(echo "$line" | sed -n 's/.* in \([0-9.]*\) s: .*/\1/p')
  rss=$(echo "$line" | sed -n 's/.*peak RSS of the process \([0-9.]*mb\).*/\1/p')
  awk -v n=$((2 * ROWS)) -v s="$s" -v c="$cores" -v b="$backend" -v rss="$rss" 'BEGIN {
    printf "join (%s): %d input rows in %.2f s = %.0f rows/s; the join subtask is one thread: %.0f rows/s on its core; peak RSS %s\n",
      b, n, s, n / s, n / s, rss }'
  [ "$backend" = rocksdb ] && rocks=$(awk -v n=$((2 * ROWS)) -v s="$s" 'BEGIN { printf "%.0f", n / s }')
done
raw=$(build/bench/bench_rocksdb_raw "$ROWS" 40 "$tmp/raw")
echo "$raw"
pairs=$(echo "$raw" | sed -n 's/.* \([0-9]*\) put+get pairs\/s/\1/p')
awk -v j="$rocks" -v p="$pairs" 'BEGIN { printf "ratio: the RocksDB join runs at %.1fx the raw put+get pair rate (goal: 150,000 rows/s per core)\n", j / p }'
