#!/usr/bin/env bash
# The flagship job end to end: examples/seed_join.sql (a join of two Kafka topics into a third)
# against `sluice kafka-dev`, with its inputs written by Sluice itself (datagen -> Kafka, JSON in
# the seed's schema) and its output read back with kcat and checked: every id present on both
# sides with a non-null name1 on the left appears exactly once, with the right side's name.
#
# The script runs as it is except for two changes: the bootstrap servers point at the dev
# cluster, and both sources get 'scan.bounded.mode' = 'latest-offset'. Without the second, the
# Kafka sources are unbounded (as in Flink) and the job would run until stopped; a test needs it
# to end by itself once it has read what the topics hold.
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
SRC="${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
command -v kcat >/dev/null || { echo "kcat is not installed (scripts/install-deps.sh)"; exit 1; }
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export SLUICE_NO_PROGRESS=1
pass=0
fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
has() { grep -qF -- "$1" "$2"; }
die() { echo "FAIL: $1"; for f in "$tmp"/*.err; do echo "--- $f"; head -30 "$f"; done; exit 1; }
N=${FLAGSHIP_ROWS:-20000} # rows per input topic (about 1 KB each)
PAR=${FLAGSHIP_PARALLELISM:-2}

# ---- the cluster: 8 partitions per input topic keep each partition under the dev cluster's
# 5 MiB limit (N x ~1.1 KB / 8 = ~2.8 MiB for N = 20000; the fill job spreads the records evenly
# with 'round-robin': unkeyed records sent in sticky batches could overfill one partition)
"$BIN" kafka-dev --brokers 3 --topic kafka_Flink_xiaoneng_1kb_006:8 --topic kafka_Flink_xiaoneng_1kb_005:8 \
  --topic kafka_Flink_1302:4 --bootstrap-file "$tmp/bs" </dev/null >"$tmp/dev.out" 2>"$tmp/dev.err" &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/bs" ] && break; kill -0 "$pid" 2>/dev/null || die "kafka-dev exited"; sleep 0.1; done
[ -s "$tmp/bs" ] || die "no bootstrap file"
bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs")

# ---- fill both inputs with a Sluice job (scripts/flagship_fill.sh)
. "$SRC/scripts/flagship_fill.sh"
flagship_fill_sql "$N" "$bs" >"$tmp/fill.sql"
timeout 300 "$BIN" sql -D parallelism.default="$PAR" -D taskmanager.numberOfTaskSlots="$PAR" -f "$tmp/fill.sql" >"$tmp/fill.out" 2>"$tmp/fill.err"
st=$?
check "fill job exits 0 (got $st)" $st; [ $st -eq 0 ] || die "fill job failed"
has "$((2 * N)) records read, $((2 * N)) written" "$tmp/fill.err"; check "fill job wrote $((2 * N)) records" $?
timeout 120 kcat -C -b "$bs" -t kafka_Flink_xiaoneng_1kb_006 -o beginning -e -q >"$tmp/left.json" 2>/dev/null
timeout 120 kcat -C -b "$bs" -t kafka_Flink_xiaoneng_1kb_005 -o beginning -e -q >"$tmp/right.json" 2>/dev/null
[ "$(wc -l <"$tmp/left.json")" -eq "$N" ] && [ "$(wc -l <"$tmp/right.json")" -eq "$N" ]; check "kcat sees $N records in each input" $?

# ---- the flagship script, bootstrap servers replaced, both sources bounded
sed -e "s/'properties.bootstrap.servers' = 'xxx'/'properties.bootstrap.servers' = '$bs'/" \
  -e "s/'scan.startup.mode' = 'earliest-offset'/'scan.startup.mode' = 'earliest-offset',\n   'scan.bounded.mode' = 'latest-offset'/" \
  "$SRC/examples/seed_join.sql" >"$tmp/seed_join.sql"
[ "$(grep -c "'scan.bounded.mode' = 'latest-offset'" "$tmp/seed_join.sql")" -eq 2 ]; check "both sources bounded" $?
diff <(sed -e "s/$bs/xxx/" -e "/scan.bounded.mode/d" -e "s/'earliest-offset',\$/'earliest-offset'/" "$tmp/seed_join.sql") \
  "$SRC/examples/seed_join.sql" >/dev/null
check "nothing else of the script changed" $?
t0=$(date +%s%N)
timeout 600 "$BIN" sql -D parallelism.default="$PAR" -D taskmanager.numberOfTaskSlots="$PAR" -f "$tmp/seed_join.sql" \
  >"$tmp/join.out" 2>"$tmp/join.err"
st=$?
t1=$(date +%s%N)
check "flagship job exits 0 (got $st)" $st; [ $st -eq 0 ] || die "flagship job failed"
has "$((2 * N)) records read" "$tmp/join.err"; check "flagship read both topics ($((2 * N)) records)" $?
grep -q "warning" "$tmp/join.err"; check "no warning for the script's Kafka client properties" $((! $?))
grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$tmp/join.err" "$tmp/fill.err"; check "no sanitizer report" $((! $?))
timeout 120 kcat -C -b "$bs" -t kafka_Flink_1302 -o beginning -e -q >"$tmp/out.json" 2>/dev/null
python3 - "$tmp/left.json" "$tmp/right.json" "$tmp/out.json" <<'EOF'
import json, sys
left = [json.loads(l) for l in open(sys.argv[1])]
right = [json.loads(l) for l in open(sys.argv[2])]
out = [json.loads(l) for l in open(sys.argv[3])]
rname = {}
for r in right:
    assert r["id"] not in rname, "duplicate id on the right"
    rname[r["id"]] = r["name"]
expected = {}
for l in left:
    if l["name1"] is not None and l["id"] in rname:
        expected[l["id"]] = rname[l["id"]]
got = {}
bad = 0
for o in out:
    assert set(o) == {"name", "id"}, o
    if o["id"] in got:
        print("id %d written twice" % o["id"]); bad += 1
    got[o["id"]] = o["name"]
missing = set(expected) - set(got)
extra = set(got) - set(expected)
wrong = [i for i in expected if i in got and got[i] != expected[i]]
print("expected %d joined rows, got %d (missing %d, extra %d, wrong name %d)" % (len(expected), len(out), len(missing), len(extra), len(wrong)))
sys.exit(1 if bad or missing or extra or wrong or len(out) != len(expected) or not expected else 0)
EOF
check "every id on both sides with a non-null name1 appears exactly once with the right name" $?
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "flagship: $((2 * N)) input records joined in $secs s (parallelism $PAR)"
grep "finished in" "$tmp/join.err"

kill -TERM "$pid"; wait "$pid"; st=$?; pid=""
check "kafka-dev stops cleanly (exit $st)" $st
echo "flagship: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
