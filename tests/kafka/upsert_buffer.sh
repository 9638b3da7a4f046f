#!/usr/bin/env bash
# upsert-kafka sink buffering (sink.buffer-flush.max-rows / sink.buffer-flush.interval, Flink's
# ReducingUpsertWriter) and the exact PRIMARY KEY check, through `sluice sql -f` against
# `sluice kafka-dev`, read back with kcat:
#   1. a GROUP BY aggregate's many updates per key: with max-rows=1000 and interval=1h, one
#      record per key (the latest value) after the end of input; without buffering, more
#   2. a changelog with an update and a delete inside the buffer: the key's latest value, and
#      the deleted key's tombstone (null value), once each
#   3. interval=200ms on a job that does not end: records appear while it runs
#   4. checkpoints with interval=1h: a SIGKILL after a completed checkpoint loses nothing that
#      checkpoint covered (the buffer is written before the snapshot); a restart from that
#      checkpoint ends with the exact result
#   5. the PRIMARY KEY is the declared one: a table with NOT NULL columns but no PRIMARY KEY is
#      refused at planning (sink and source, Flink's message, exit 2); only one of the two
#      buffer options set is refused with Flink's message
set -u
tmp=$(mktemp -d)
. "${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_kcat
pid=""
jpid=""
cleanup() {
  stop_procs KILL "$jpid" "$pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
# key|value per record (NULL: a tombstone), partitions in order, offsets in order per partition
dump() { timeout 60 kcat -C -b "$bs" -t "$1" -o beginning -e -q -Z -f '%p %o %k|%s\n' 2>/dev/null | sort -k1,1n -k2,2n | cut -d' ' -f3-; }
count() { timeout 60 kcat -C -b "$bs" -t "$1" -o beginning -e -q -Z -f 'x\n' 2>/dev/null | grep -c x; }

"$BIN" kafka-dev --topic plain:2 --topic buf:2 --topic cdc:1 --topic live:2 --topic ck:2 --bootstrap-file "$tmp/bs" \
  >"$tmp/dev.out" 2>"$tmp/dev.err" </dev/null &
pid=$!
wait_kafka_dev "$pid"

# ---- 1. one record per key after the end of input
# agg_sql <topic> <extra sink options>
agg_sql() {
  cat <<EOF
SET 'parallelism.default' = '2';
SET 'taskmanager.numberOfTaskSlots' = '2';
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000');
CREATE TABLE agg (k INT, cnt BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
  'topic' = '$1', 'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json'$2);
INSERT INTO agg SELECT id % 7, COUNT(*), SUM(CAST(id AS BIGINT)) FROM g GROUP BY id % 7;
EOF
}
for k in 0 1 2 3 4 5 6; do
  n=0; t=0
  for i in $(seq 1000); do if [ $((i % 7)) -eq "$k" ]; then n=$((n + 1)); t=$((t + i)); fi; done
  echo "{\"k\":$k}|{\"k\":$k,\"cnt\":$n,\"total\":$t}"
done | sort >"$tmp/agg.expect"
agg_sql plain "" >"$tmp/plain.sql"
run sql -f "$tmp/plain.sql"
check "1: without buffering: runs (exit $status)" "$status"
plain=$(count plain)
agg_sql buf ", 'sink.buffer-flush.max-rows' = '1000', 'sink.buffer-flush.interval' = '1h'" >"$tmp/buf.sql"
run sql -f "$tmp/buf.sql"
check "1: with buffering: runs (exit $status)" "$status"
[ "$status" -eq 0 ] || show
dump buf | sort >"$tmp/buf.txt"
diff "$tmp/agg.expect" "$tmp/buf.txt" >/dev/null
check "1: buffered: one record per key, its final aggregate (7 records; $plain without buffering)" $?
diff "$tmp/agg.expect" "$tmp/buf.txt" | head -10
[ "$plain" -gt 7 ]
check "1: without buffering every update is a record ($plain > 7)" $?

# ---- 2. updates and a delete inside the buffer
mkdir -p "$tmp/cdc"
cat >"$tmp/cdc/part-0.json" <<'EOF'
{"before":null,"after":{"id":1,"name":"a"},"op":"c"}
{"before":null,"after":{"id":2,"name":"b"},"op":"c"}
{"before":{"id":1,"name":"a"},"after":{"id":1,"name":"a2"},"op":"u"}
{"before":{"id":2,"name":"b"},"after":null,"op":"d"}
{"before":null,"after":{"id":3,"name":"c"},"op":"c"}
EOF
cat >"$tmp/cdc.sql" <<EOF
CREATE TABLE changes (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '$tmp/cdc', 'format' = 'debezium-json');
CREATE TABLE users (id INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'cdc',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY',
  'sink.buffer-flush.max-rows' = '100', 'sink.buffer-flush.interval' = '1h');
INSERT INTO users SELECT * FROM changes;
EOF
run sql -f "$tmp/cdc.sql"
check "2: changelog into a buffered upsert-kafka runs (exit $status)" "$status"
[ "$status" -eq 0 ] || show
printf '%s\n' '{"id":1}|{"name":"a2"}' '{"id":2}|NULL' '{"id":3}|{"name":"c"}' >"$tmp/cdc.expect"
[ "$(dump cdc | sort)" = "$(cat "$tmp/cdc.expect")" ]
check "2: the latest value per key, the deleted key as one tombstone" $?
[ "$(dump cdc | sort)" = "$(cat "$tmp/cdc.expect")" ] || dump cdc

# ---- 3. interval: records appear while the job runs
cat >"$tmp/live.sql" <<EOF
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '200',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000000');
CREATE TABLE agg (k INT, cnt BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
  'topic' = 'live', 'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json',
  'sink.buffer-flush.max-rows' = '1000', 'sink.buffer-flush.interval' = '200ms');
INSERT INTO agg SELECT id % 5, COUNT(*) FROM g GROUP BY id % 5;
EOF
"$BIN" sql -f "$tmp/live.sql" >"$tmp/live.out" 2>"$tmp/live.err" &
jpid=$!
# 5 keys never fill max-rows: only the interval writes while the job runs; wait for two writes
# of every key (cnt values from two different flushes)
seen=0
end=$((SECONDS + 60))
while [ "$SECONDS" -lt "$end" ]; do
  kill -0 "$jpid" 2>/dev/null || break
  if [ "$(dump live | sort -u | wc -l)" -ge 10 ]; then seen=1; break; fi
  sleep 0.1
done
kill -0 "$jpid" 2>/dev/null
running=$?
[ "$seen" -eq 1 ] && [ "$running" -eq 0 ]
check "3: interval=200ms: records are written while the job runs (no end of input)" $?
[ "$seen" -eq 1 ] || { tail -5 "$tmp/live.err"; dump live | head; }
kill -TERM "$jpid"; wait "$jpid"; st=$?; jpid=""
check "3: graceful stop (exit $st)" "$st"
read_rows=$(sed -n 's/.* \([0-9]*\) records read.*/\1/p' "$tmp/live.err")
written=$(count live)
[ -n "$read_rows" ] && [ "$written" -lt "$read_rows" ]
check "3: fewer records written ($written) than rows read (${read_rows:-?}): updates of a key were reduced" $?
clean_asan "$tmp/live.err" || check "3: sanitizer report" 1

# ---- 4. checkpoints write the buffer: a SIGKILL after a completed checkpoint loses nothing it covered
N=10000
cat >"$tmp/ck.sql" <<EOF
SET 'execution.checkpointing.interval' = '300ms';
SET 'execution.checkpointing.dir' = 'file://$tmp/chk';
SET 'execution.checkpointing.externalized-checkpoint-retention' = 'RETAIN_ON_CANCELLATION';
SET 'execution.checkpointing.num-retained' = '5';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'number-of-rows' = '$N',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$N');
CREATE TABLE agg (k BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
  'topic' = 'ck', 'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json',
  'sink.buffer-flush.max-rows' = '100000', 'sink.buffer-flush.interval' = '1h');
INSERT INTO agg SELECT id % 10, COUNT(*), SUM(id) FROM src GROUP BY id % 10;
EOF
# covered <chk dir>: the checkpoint covers the ids 1..covered (the datagen sequence's next - 1;
# 0 when the checkpoint is gone: 5 are retained, a loaded machine may still be slower)
covered() {
  python3 - "$1/_metadata" "$N" <<'PY'
import json, sys
try:
    m = json.load(open(sys.argv[1]))
except OSError:  # removed meanwhile (a newer checkpoint completed; num-retained = 1)
    m = {"operators": {}}
    print(0)
for parts in m["operators"].values():
    for p in parts:
        st = p.get("state") or {}
        if isinstance(st, dict) and "sequences" in st:
            r = st["sequences"]["id"]
            print(r[0][0] - 1 if r else int(sys.argv[2]))
PY
}
# at_least <file> <n>: per key k of id % 10, the latest (c, s) is the aggregate of the ids
# 1..m with m >= n (what a checkpoint covering 1..n, or a later one, wrote); n = N: exactly N
at_least() {
  python3 - "$1" "$2" "$N" <<'PY'
import json, sys
n, total = int(sys.argv[2]), int(sys.argv[3])
last = {}
for l in open(sys.argv[1]):
    if "|" in l:
        k, v = l.rstrip("\n").split("|", 1)
        last[json.loads(k)["k"]] = json.loads(v)
ok = True
for k in range(10):
    ids = [i for i in range(1, total + 1) if i % 10 == k]
    want = sum(1 for i in ids if i <= n)
    v = last.get(k)
    c, s = (v["c"], v["s"]) if v else (0, 0)
    if c < want or s != sum(ids[:c]) or (n == total and c != want):
        ok = False
        print("key %d: got c=%d s=%d, want c>=%d (ids 1..%d covered)" % (k, c, s, want, n))
sys.exit(0 if ok else 1)
PY
}
"$BIN" sql -f "$tmp/ck.sql" >"$tmp/ck1.out" 2>"$tmp/ck1.err" &
jpid=$!
ok=0
end=$((SECONDS + 60))
while [ "$SECONDS" -lt "$end" ]; do
  kill -0 "$jpid" 2>/dev/null || break
  c=$(latest_chk "$tmp/chk")
  if [ -n "$c" ] && [ "$(covered "$c")" -ge 1000 ]; then ok=1; break; fi
  sleep 0.05
done
kill -0 "$jpid" 2>/dev/null || ok=0 # it must still run: the rest of the input is not read yet
kill -KILL "$jpid" 2>/dev/null; wait "$jpid" 2>/dev/null; jpid=""
from=$(latest_chk "$tmp/chk") # the newest completed checkpoint: the one seen above or a later one
[ "$ok" -eq 1 ] && [ -n "$from" ]
check "4: a checkpoint covering 1000 rows completed, then SIGKILL while the job ran" $?
[ "$ok" -eq 1 ] || tail -5 "$tmp/ck1.err"
n=$(covered "$from")
dump ck >"$tmp/ck1.txt"
at_least "$tmp/ck1.txt" "${n:-1}"
check "4: after the SIGKILL Kafka holds every key's aggregate of the ids 1..${n:-?} that checkpoint ${from##*chk-} covered (interval 1h)" $?
clean_asan "$tmp/ck1.err" || check "4: sanitizer report (killed run)" 1
run sql -f "$tmp/ck.sql" -s "$from"
check "4: the restart from that checkpoint runs to the end (exit $status)" "$status"
[ "$status" -eq 0 ] || show
dump ck >"$tmp/ck2.txt"
at_least "$tmp/ck2.txt" "$N"
check "4: after the restart the latest record per key is the exact aggregate of 1..$N" $?

# ---- 5. validation: the declared PRIMARY KEY, both buffer options
msg="'upsert-kafka' tables require to define a PRIMARY KEY constraint. The PRIMARY KEY specifies which columns should be read from or write to the Kafka message key. The PRIMARY KEY also defines records in the 'upsert-kafka' table should update or delete on which keys."
cat >"$tmp/nopk_sink.sql" <<EOF
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE u (id INT NOT NULL, cnt BIGINT) WITH ('connector' = 'upsert-kafka', 'topic' = 'buf',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
INSERT INTO u SELECT id, COUNT(*) FROM g WHERE id IS NOT NULL GROUP BY id;
EOF
run sql -f "$tmp/nopk_sink.sql"
[ "$status" -eq 2 ] && has "nopk_sink.sql:4:1: error: $msg" "$tmp/err" && has "detail: table 'u'" "$tmp/err" && has "PRIMARY KEY (id) NOT ENFORCED" "$tmp/err"
check "5: a sink with a NOT NULL column but no PRIMARY KEY: planning error with Flink's message (exit $status)" $?
[ "$status" -eq 2 ] || show
cat >"$tmp/nopk_src.sql" <<EOF
CREATE TABLE up (k INT NOT NULL, v STRING) WITH ('connector' = 'upsert-kafka', 'topic' = 'cdc',
  'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE p (k INT, v STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM up;
EOF
run sql -f "$tmp/nopk_src.sql"
[ "$status" -eq 2 ] && has "nopk_src.sql:4:1: error: $msg" "$tmp/err" && has "detail: table 'up'" "$tmp/err"
check "5: a source with a NOT NULL column but no PRIMARY KEY: planning error with Flink's message (exit $status)" $?
[ "$status" -eq 2 ] || show
# a key of two columns, not the NOT NULL column n: the message key holds b and a, in key order
cat >"$tmp/pk2.sql" <<EOF
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3');
CREATE TABLE u (a INT, b INT, n INT NOT NULL, PRIMARY KEY (b, a) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
  'topic' = 'plain', 'properties.bootstrap.servers' = '$bs', 'key.format' = 'json', 'value.format' = 'json');
INSERT INTO u SELECT id, id * 10, 7 FROM g;
EOF
run sql -f "$tmp/pk2.sql"
[ "$status" -eq 0 ] && dump plain | grep -qF '{"b":10,"a":1}|{"a":1,"b":10,"n":7}'
check "5: the message key is the declared PRIMARY KEY (b, a), in its order, not the NOT NULL column n (exit $status)" $?
[ "$status" -eq 0 ] || show
sed -e "s/'value.format' = 'json'/'value.format' = 'json', 'sink.buffer-flush.interval' = '1s'/" \
  -e "s/cnt BIGINT)/cnt BIGINT, PRIMARY KEY (id) NOT ENFORCED)/" "$tmp/nopk_sink.sql" >"$tmp/half.sql"
run sql -f "$tmp/half.sql"
[ "$status" -eq 2 ] && has "half.sql:3:" "$tmp/err" &&
  has "'sink.buffer-flush.max-rows' and 'sink.buffer-flush.interval' must be set to be greater than zero together to enable sink buffer flushing." "$tmp/err" &&
  has "option 'sink.buffer-flush.interval'" "$tmp/err"
check "5: only sink.buffer-flush.interval set: Flink's message at the option (exit $status)" $?
[ "$status" -eq 2 ] || show

echo "upsert_buffer: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
