#!/usr/bin/env bash
# upsert-kafka through `sluice sql -f` against `sluice kafka-dev`, read back with kcat (-K for
# keys, -Z for null values):
#   1. a GROUP BY aggregate (parallelism 2) into upsert-kafka: every key always in the same
#      partition, and the latest value per key equals the expected aggregate
#   2. deletes: a debezium-json filesystem source with an update and a delete -> the value
#      (EXCEPT_KEY) and a tombstone (null value) for the deleted key
#   3. a table without PRIMARY KEY is a planning error with Flink's message (exit 2); 'format'
#      is not an upsert-kafka option; 'exactly-once' is refused
#   4. an upsert-kafka source (bounded) into print: +I, -U/+U, -D with the last row, an
#      unknown key's tombstone and a repeated identical value emit nothing
#   5. sluice explain: the source's changelog mode is [I,UA,D]
#   6. the source's last row per key is checkpoint state: stopped with a savepoint at
#      parallelism 2, restarted from it at parallelism 1, an update and a tombstone written in
#      between come out as -U/+U and -D with the rows read before the stop
set -u
tmp=$(mktemp -d)
. "${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_kcat
pid=""
pid2=""
cleanup() {
  stop_procs TERM "$pid2" "$pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
show() { echo "--- stdout"; head -30 "$tmp/out"; echo "--- stderr"; head -40 "$tmp/err"; }
# partition offset key|value, in offset order per partition
dump() { timeout 60 kcat -C -b "$bs" -t "$1" -o beginning -e -q -Z -f '%p %o %k|%s\n' 2>/dev/null | sort -k1,1n -k2,2n; }

"$BIN" kafka-dev --topic agg:3 --topic cdc:2 --topic upsrc:1 --topic us:2 --bootstrap-file "$tmp/bs" >"$tmp/dev.out" 2>"$tmp/dev.err" </dev/null &
pid=$!
wait_kafka_dev "$pid"

# ---- 1. GROUP BY aggregate -> upsert-kafka: the latest value per key is the aggregate
cat >"$tmp/agg.sql" <<EOF
SET 'parallelism.default' = '2';
SET 'taskmanager.numberOfTaskSlots' = '2';
CREATE TABLE g (id INT, v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000', 'fields.v.min' = '1', 'fields.v.max' = '1');
CREATE TABLE agg (k INT, cnt BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
  'topic' = 'agg', 'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
INSERT INTO agg SELECT id % 7, COUNT(*), SUM(CAST(id AS BIGINT)) FROM g GROUP BY id % 7;
EOF
run sql -f "$tmp/agg.sql"
check "aggregate into upsert-kafka runs (exit $status)" "$status"
[ "$status" -eq 0 ] || show
dump agg >"$tmp/agg.txt"
# every key in one partition only
[ "$(awk '{split($3,a,"|"); print a[1]}' "$tmp/agg.txt" | sort -u | wc -l)" = 7 ] &&
  [ "$(awk '{split($3,a,"|"); print a[1], $1}' "$tmp/agg.txt" | sort -u | wc -l)" = 7 ]
check "each key is written to one partition (murmur2 of the key)" $?
# the latest value per key
awk '{i=index($0,"|"); split($3,a,"|"); last[a[1]]=substr($0,i+1)} END {for (k in last) print k "|" last[k]}' "$tmp/agg.txt" | sort >"$tmp/latest.txt"
for k in 0 1 2 3 4 5 6; do
  n=0; t=0
  for i in $(seq 1000); do if [ $((i % 7)) -eq "$k" ]; then n=$((n + 1)); t=$((t + i)); fi; done
  echo "{\"k\":$k}|{\"k\":$k,\"cnt\":$n,\"total\":$t}"
done | sort >"$tmp/expect.txt"
diff "$tmp/expect.txt" "$tmp/latest.txt" >/dev/null
check "the latest value per key equals the aggregate" $?
diff "$tmp/expect.txt" "$tmp/latest.txt" | head -10
[ "$(grep -c NULL "$tmp/agg.txt")" = 0 ] && [ "$(wc -l <"$tmp/agg.txt")" -gt 7 ]
check "updates are written as values, -U rows are not written, no tombstone" $?

# ---- 2. deletes become tombstones (debezium-json filesystem source)
mkdir -p "$tmp/cdc"
cat >"$tmp/cdc/part-0.json" <<'EOF'
{"before":null,"after":{"id":1,"name":"a"},"op":"c"}
{"before":null,"after":{"id":2,"name":"b"},"op":"c"}
{"before":{"id":1,"name":"a"},"after":{"id":1,"name":"a2"},"op":"u"}
{"before":{"id":2,"name":"b"},"after":null,"op":"d"}
EOF
cat >"$tmp/cdc.sql" <<EOF
CREATE TABLE changes (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '$tmp/cdc', 'format' = 'debezium-json');
CREATE TABLE users (id INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'cdc',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY');
INSERT INTO users SELECT * FROM changes;
EOF
run sql -f "$tmp/cdc.sql"
check "changelog into upsert-kafka runs (exit $status)" "$status"
[ "$status" -eq 0 ] || show
dump cdc | cut -d' ' -f3- >"$tmp/cdc.txt"
printf '%s\n' '{"id":1}|{"name":"a"}' '{"id":1}|{"name":"a2"}' '{"id":2}|{"name":"b"}' '{"id":2}|NULL' >"$tmp/cdc.expect"
[ "$(sort "$tmp/cdc.txt")" = "$(sort "$tmp/cdc.expect")" ]
check "upserts as values without the key columns (EXCEPT_KEY), the delete as a tombstone" $?
[ "$(grep -F '{"id":2}' "$tmp/cdc.txt" | tail -1)" = '{"id":2}|NULL' ]
check "the tombstone comes after the key's value" $?

# ---- 3. validation
cat >"$tmp/nopk.sql" <<EOF
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE u (id INT, cnt BIGINT) WITH ('connector' = 'upsert-kafka', 'topic' = 'agg',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
INSERT INTO u SELECT id, COUNT(*) FROM g GROUP BY id;
EOF
run sql -f "$tmp/nopk.sql"
[ "$status" -eq 2 ] && has "'upsert-kafka' tables require to define a PRIMARY KEY constraint. The PRIMARY KEY specifies which columns should be read from or write to the Kafka message key. The PRIMARY KEY also defines records in the 'upsert-kafka' table should update or delete on which keys." "$tmp/err"
check "no PRIMARY KEY: planning error with Flink's message (exit $status)" $?
[ "$status" -eq 2 ] || show
sed -e "s/'value.format' = 'json'/'format' = 'json'/" -e "s/cnt BIGINT)/cnt BIGINT, PRIMARY KEY (id) NOT ENFORCED)/" "$tmp/nopk.sql" >"$tmp/fmt.sql"
run sql -f "$tmp/fmt.sql"
[ "$status" -eq 2 ] && has "Unsupported options found for 'upsert-kafka'." "$tmp/err" && has "option 'format'" "$tmp/err"
check "'format' is not an upsert-kafka option (exit $status)" $?
sed -e "s/'value.format' = 'json'/'value.format' = 'json', 'sink.delivery-guarantee' = 'exactly-once'/" \
  -e "s/cnt BIGINT)/cnt BIGINT, PRIMARY KEY (id) NOT ENFORCED)/" "$tmp/nopk.sql" >"$tmp/eos.sql"
run sql -f "$tmp/eos.sql"
[ "$status" -eq 2 ] && has "does not support 'sink.delivery-guarantee' = 'exactly-once'" "$tmp/err"
check "exactly-once is refused for upsert-kafka (exit $status)" $?

# ---- 4. an upsert-kafka source: the changelog
{
  echo '{"k":1}|{"k":1,"v":"a"}'
  echo '{"k":2}|{"k":2,"v":"b"}'
  echo '{"k":1}|{"k":1,"v":"a2"}'
  echo '{"k":2}|'
  echo '{"k":3}|'
  echo '{"k":1}|{"k":1,"v":"a2"}'
  echo '{"k":4}|{"k":4,"v":"d"}'
} | kcat -P -b "$bs" -t upsrc -K'|' -Z
cat >"$tmp/src.sql" <<EOF
CREATE TABLE up (k INT, v STRING, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'upsrc',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE p (k INT, v STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM up;
EOF
run sql -f "$tmp/src.sql"
printf '%s\n' '+I[1, a]' '+I[2, b]' '-U[1, a]' '+U[1, a2]' '-D[2, b]' '+I[4, d]' >"$tmp/src.expect"
[ "$status" -eq 0 ] && diff "$tmp/src.expect" "$tmp/out" >/dev/null
check "upsert-kafka source: +I, -U/+U, -D (exit $status)" $?
[ "$status" -eq 0 ] && diff "$tmp/src.expect" "$tmp/out" >/dev/null || { diff "$tmp/src.expect" "$tmp/out"; show; }

# ---- 5. the planner's changelog mode for the source
run explain -f "$tmp/src.sql"
grep -q "TableSourceScan.*up.*changelogMode=\[I,UA,D\]" "$tmp/out"
check "explain: upsert-kafka source changelogMode=[I,UA,D]" $?

# ---- 6. the last row per key survives a savepoint (and a rescale 2 -> 1)
kill -0 "$pid" 2>/dev/null || die "kafka-dev exited"
printf '%s\n' '{"k":1}|{"k":1,"v":"a"}' '{"k":2}|{"k":2,"v":"b"}' | kcat -P -b "$bs" -t us -K'|' -Z
cat >"$tmp/sp.sql" <<EOF
SET 'execution.checkpointing.savepoint-dir' = '$tmp/sp';
SET 'taskmanager.numberOfTaskSlots' = '2';
CREATE TABLE up (k INT, v STRING, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'us',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE p (k INT, v STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM up;
EOF
until_lines() { for _ in $(seq 100); do n=$(grep -c . "$1" 2>/dev/null); [ "${n:-0}" -ge "$2" ] && break; sleep 0.2; done; }
"$BIN" sql -f "$tmp/sp.sql" -D parallelism.default=2 >"$tmp/r1.out" 2>"$tmp/r1.err" &
pid2=$!
until_lines "$tmp/r1.out" 2
sleep 0.5
kill -TERM "$pid2"
wait "$pid2"
st=$?
[ "$st" -eq 0 ] && [ "$(sed 's/^[0-9]> //' "$tmp/r1.out" | sort | tr '\n' ' ')" = "+I[1, a] +I[2, b] " ] && ls -d "$tmp"/sp/savepoint-* >/dev/null 2>&1
check "6: first run: +I for both keys, a savepoint on stop (exit $st)" $?
clean_asan "$tmp/r1.err" || check "6: sanitizer report (first run)" 1
printf '%s\n' '{"k":1}|{"k":1,"v":"a2"}' '{"k":2}|' | kcat -P -b "$bs" -t us -K'|' -Z
"$BIN" sql -f "$tmp/sp.sql" -s "$(ls -d "$tmp"/sp/savepoint-* | head -1)" -D parallelism.default=1 >"$tmp/r2.out" 2>"$tmp/r2.err" &
pid2=$!
until_lines "$tmp/r2.out" 3
sleep 0.5
kill -TERM "$pid2"
wait "$pid2"
st=$?
pid2=""
printf '%s\n' '-U[1, a]' '+U[1, a2]' '-D[2, b]' >"$tmp/r2.expect"
# the keys are in two partitions: per key in order, across keys in any order
[ "$st" -eq 0 ] && [ "$(grep -F '1, a' "$tmp/r2.out" | tr '\n' ' ')" = "-U[1, a] +U[1, a2] " ] && [ "$(sort "$tmp/r2.out")" = "$(sort "$tmp/r2.expect")" ]
check "6: restored at parallelism 1: -U/+U and -D with the rows from before the savepoint (exit $st)" $?
[ "$(sort "$tmp/r2.out")" = "$(sort "$tmp/r2.expect")" ] || { cat "$tmp/r2.out"; head -20 "$tmp/r2.err"; }
clean_asan "$tmp/r2.err" || check "6: sanitizer report (restored run)" 1

echo "upsert_kafka: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
