#!/usr/bin/env bash
# The Kafka sink's delivery guarantees through `sluice sql -f` against `sluice kafka-dev`, read
# back with kcat in both isolation levels:
#   exactly-once without checkpointing: everything is committed at the end of input, once;
#     Kafka -> Kafka twice with group offsets (the source commits its offsets at the end, the
#     sink its transaction): each record once over both runs; the local write-ahead log is
#     removed; a graceful SIGTERM commits what was read (no checkpoint to restart from)
#   a missing sink.transactional-id-prefix is a planning error with Flink's message
#   at-least-once (the default) still writes everything
#   with checkpoints:
#     checkpoints every 500 ms; the output grows while the job runs (at checkpoints) and is
#     complete, once, at the end
set -u
SRC="${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
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
# ids of a topic's JSON values {"id":n,...}, one per line, sorted; $2: isolation level
ids() { timeout 60 kcat -C -b "$bs" -t "$1" -X isolation.level="$2" -o beginning -e -q 2>/dev/null | sed -n 's/^{"id":\([0-9]*\).*/\1/p' | sort -n; }
once() { # topic, n: ids 1..n exactly once in both isolation levels
  [ "$(ids "$1" read_committed | tr '\n' ' ')" = "$(seq "$2" | tr '\n' ' ')" ] && [ "$(ids "$1" read_uncommitted | tr '\n' ' ')" = "$(seq "$2" | tr '\n' ' ')" ]
}

"$BIN" kafka-dev --brokers 3 --topic eos:3 --topic alo:3 --topic src:2 --topic e2e:2 --topic live:2 --topic ck:3 \
  --bootstrap-file "$tmp/bs" >"$tmp/dev.out" 2>"$tmp/dev.err" &
pid=$!
wait_kafka_dev "$pid"
mkdir -p "$tmp/io"

# ---- 1. exactly-once, no checkpointing: committed at the end of input, every row once
cat >"$tmp/eos.sql" <<EOF
CREATE TABLE g (id BIGINT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '2000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000', 'fields.name.length' = '5');
CREATE TABLE k (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'eos', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'key.format' = 'json', 'key.fields' = 'id',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'eos-job');
INSERT INTO k SELECT * FROM g;
EOF
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -D io.tmp.dirs="$tmp/io" -f "$tmp/eos.sql"
check "exactly-once job exits 0 (status $status)" $status; [ $status -eq 0 ] || show
has "2000 records read, 2000 written" "$tmp/err"; check "exactly-once: summary" $?
once eos 2000; check "exactly-once: ids 1..2000 once (read_committed and read_uncommitted)" $?
[ -z "$(ls -A "$tmp/io" 2>/dev/null)" ]; check "exactly-once: the local write-ahead log is removed" $?
# a second run with the same prefix (lingering transactions of the first are aborted on start)
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/eos.sql"
check "exactly-once: a second run with the same prefix exits 0" $status
[ "$(ids eos read_committed | wc -l)" -eq 4000 ]; check "exactly-once: second run appends its 2000 rows" $?

# ---- 2. Kafka -> Kafka, exactly-once, two bounded runs with group offsets: each record once
for i in $(seq 300); do echo "{\"id\":$i,\"name\":\"a$i\"}"; done | timeout 60 kcat -P -b "$bs" -t src 2>/dev/null
cat >"$tmp/e2e.sql" <<EOF
CREATE TABLE s (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'src', 'properties.bootstrap.servers' = '$bs',
  'properties.group.id' = 'e2e', 'properties.auto.offset.reset' = 'earliest', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE k (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'e2e', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'e2e-job');
INSERT INTO k SELECT * FROM s;
EOF
run sql -f "$tmp/e2e.sql"
check "kafka -> kafka exactly-once exits 0" $status; [ $status -eq 0 ] || show
for i in $(seq 301 500); do echo "{\"id\":$i,\"name\":\"a$i\"}"; done | timeout 60 kcat -P -b "$bs" -t src 2>/dev/null
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/e2e.sql"
check "kafka -> kafka exactly-once, second run exits 0" $status
has "200 records read, 200 written" "$tmp/err"; check "second run reads only the new records" $?
once e2e 500; check "kafka -> kafka over two runs: ids 1..500 once" $?

# ---- 3. graceful stop of an unbounded exactly-once job without checkpointing: what was read is committed
cat >"$tmp/live.sql" <<EOF
CREATE TABLE s (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'src', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE k (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'live', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'live-job');
INSERT INTO k SELECT * FROM s;
EOF
"$BIN" sql -f "$tmp/live.sql" >"$tmp/live.out" 2>"$tmp/live.err" &
jpid=$!
sleep 2 # long enough to read the 500 records: none may be visible before the job ends
[ "$(ids live read_committed | wc -l)" -eq 0 ]; check "unbounded exactly-once job: nothing visible while it runs" $?
kill -TERM "$jpid"
for _ in $(seq 150); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.1; done
wait "$jpid"; st=$?; jpid=""
check "SIGTERM: exit 0 (got $st)" $st; [ $st -eq 0 ] || cat "$tmp/live.err"
once live 500; check "SIGTERM without checkpointing: the 500 rows read are committed once" $?
clean_asan "$tmp/live.err"; check "SIGTERM: no sanitizer report" $?

# ---- 4. validation: the prefix is required, and checked
sed -e "s/, 'sink.transactional-id-prefix' = 'eos-job'//" "$tmp/eos.sql" >"$tmp/noprefix.sql"
run sql -f "$tmp/noprefix.sql"
check "exactly-once without prefix exits 2 (got $status)" $((status != 2))
has "sink.transactional-id-prefix must be specified when using DeliveryGuarantee.EXACTLY_ONCE." "$tmp/err"; check "no prefix: Flink's message" $?
has "noprefix.sql:" "$tmp/err"; check "no prefix: points into the script" $?
sed -e "s/'sink.transactional-id-prefix' = 'eos-job'/'sink.transactional-id-prefix' = 'a b'/" "$tmp/eos.sql" >"$tmp/badprefix.sql"
run sql -f "$tmp/badprefix.sql"
check "bad prefix exits 2" $((status != 2)); has "Invalid value for option 'sink.transactional-id-prefix': 'a b'" "$tmp/err"; check "bad prefix: message" $?

# ---- 5. at-least-once (the default) still writes everything
sed -e "s/'topic' = 'eos'/'topic' = 'alo'/" -e "s/'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'eos-job'/'sink.delivery-guarantee' = 'at-least-once'/" \
  "$tmp/eos.sql" >"$tmp/alo.sql"
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/alo.sql"
check "at-least-once exits 0" $status; [ $status -eq 0 ] || show
once alo 2000; check "at-least-once: ids 1..2000 once" $?

# ---- 6. with checkpoints every 500 ms
{
  sed -e "s/'topic' = 'eos'/'topic' = 'ck'/" -e "s/'number-of-rows' = '2000'/'number-of-rows' = '3000', 'rows-per-second' = '1000'/" \
    -e "s/'fields.id.end' = '2000'/'fields.id.end' = '3000'/" -e "s/eos-job/ck-job/" "$tmp/eos.sql" >"$tmp/ck.sql"
  "$BIN" sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -D execution.checkpointing.interval=500ms \
    -D execution.checkpointing.dir="file://$tmp/ckdir" -f "$tmp/ck.sql" >"$tmp/ck.out" 2>"$tmp/ck.err" &
  jpid=$!
  seen=0 grew=0
  while kill -0 "$jpid" 2>/dev/null; do
    n=$(ids ck read_committed | wc -l)
    [ "$n" -gt "$seen" ] && [ "$n" -lt 3000 ] && grew=$((grew + 1))
    seen=$n
    sleep 0.3
  done
  wait "$jpid"; st=$?; jpid=""
  check "checkpointed exactly-once job exits 0 (got $st)" $st; [ $st -eq 0 ] || head -40 "$tmp/ck.err"
  [ "$grew" -ge 2 ]; check "checkpointed: the committed output grows at checkpoints while the job runs ($grew times)" $?
  once ck 3000; check "checkpointed: ids 1..3000 once at the end" $?
  clean_asan "$tmp/ck.err"; check "checkpointed: no sanitizer report" $?
}

echo "kafka_eos: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
