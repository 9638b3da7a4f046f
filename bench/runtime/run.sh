#!/usr/bin/env bash
# bench/runtime/run.sh — runtime throughput, printed as figures and ratios (never asserted):
#   1. datagen -> filter + project -> blackhole through `sluice sql` (one subtask = one core)
#   2. the exchanges alone: chain / FORWARD / HASH to 2 subtasks (bench_exchange)
#   3. filesystem json (100 B and 1 KB records) -> blackhole, against a plain jansson loop over
#      the same file measured in the same run
# Usage: bench/runtime/run.sh [ROWS]   (default 20000000; the json files have ROWS/20 records)
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build >/dev/null
ROWS=${1:-20000000}
BIN=build/bin/sluice
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SLUICE_NO_PROGRESS=1
secs() { sed -n 's/.* in \([0-9.]*\) s: .*/\1/p' "$1"; }

echo "== 1. datagen -> filter + project -> blackhole ($ROWS rows, 1 subtask)"
cat > "$tmp/calc.sql" <<SQL
CREATE TABLE src (id BIGINT, v INT, name STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000',
  'number-of-rows' = '$ROWS', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$ROWS',
  'fields.v.min' = '0', 'fields.v.max' = '1000', 'fields.name.length' = '8', 'seed' = '1');
CREATE TABLE sink (id BIGINT, w INT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT id, v * 2 + 1 FROM src WHERE v < 900;
SQL
$BIN sql -f "$tmp/calc.sql" 2> "$tmp/err1" || { cat "$tmp/err1"; exit 1; }
s=$(secs "$tmp/err1")
awk -v n="$ROWS" -v s="$s" 'BEGIN { printf "   %.2f M rows/s per core (%.3f s)   target >= 5 M rows/s per core\n", n / s / 1e6, s }'

echo "== 2. exchanges without SQL (bench_exchange)"
build/bench/bench_exchange "$ROWS" | sed 's/^/   /'

for size in 100 1000; do
  n=$((ROWS / 20))
  echo "== 3. filesystem json -> blackhole, $n records of ~$size bytes"
  python3 - "$tmp/in$size.json" "$n" "$size" <<'PY'
import json, random, sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
pad = max(1, size - 150)
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"name": "user%d" % i, "id": i, "name1": "x" * 8, "num_dou": random.random() * 1000,
                            "num_float": 1.5, "num_int": i % 1000, "stringmessages": "m" * pad},
                           separators=(",", ":")) + "\n")
PY
  cat > "$tmp/json$size.sql" <<SQL
CREATE TABLE src (name STRING, id INT, name1 STRING, num_dou DOUBLE, num_float DOUBLE, num_int INT, stringmessages STRING)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/in$size.json', 'format' = 'json');
CREATE TABLE sink (name STRING, id INT, name1 STRING, num_dou DOUBLE, num_float DOUBLE, num_int INT, stringmessages STRING)
  WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT * FROM src;
SQL
  base=$(build/bench/bench_jansson_lines "$tmp/in$size.json")
  echo "   $base"
  $BIN sql -f "$tmp/json$size.sql" 2> "$tmp/err3" || { cat "$tmp/err3"; exit 1; }
  s=$(secs "$tmp/err3")
  b=$(echo "$base" | sed -n 's/.* = \([0-9.]*\) lines\/s.*/\1/p')
  awk -v n="$n" -v s="$s" -v b="$b" 'BEGIN { r = n / s; printf "   sluice json source: %.0f records/s (%.3f s) = %.0f%% of the jansson loop   target >= 80%%\n", r, s, 100 * r / b }'
done
