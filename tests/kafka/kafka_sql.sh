#!/usr/bin/env bash
# The Kafka connector end to end: `sluice sql -f` against `sluice kafka-dev` (3 brokers), with kcat
# as the independent client on the other side. Source: bounded reads (latest-offset), metadata
# columns, partitions over subtasks, startup modes, group offsets, bad records both ways, a
# graceful SIGTERM of an unbounded job. Sink: datagen -> Kafka read back with kcat (keys,
# partitioners), a failed delivery fails the job. Errors: unknown option, missing bootstrap
# servers, a missing topic, an unreachable cluster, Java-only client properties (one warning).
set -u
tmp=$(mktemp -d)
. "${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_kcat
pid=""   # the cluster
jpid=""  # a background sluice job
cleanup() {
  stop_procs KILL "$jpid" "$pid"
  exec 3>&- 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the cluster: 3 brokers, control commands through a FIFO
mkfifo "$tmp/ctl"
exec 3<>"$tmp/ctl"
"$BIN" kafka-dev --brokers 3 --topic src:4 --topic out:3 --topic faultout:3 --topic keyed:3 --topic rr:3 --topic fixed:3 --topic bad:2 \
  --topic ts:1 --topic lost:2 --topic live:2 --bootstrap-file "$tmp/bs" <"$tmp/ctl" >"$tmp/dev.out" 2>"$tmp/dev.err" &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/bs" ] && break; kill -0 "$pid" 2>/dev/null || die "kafka-dev exited"; sleep 0.1; done
[ -s "$tmp/bs" ] || die "no bootstrap file"
bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs")

# ---- 1. source: 100 JSON records over 4 partitions, bounded by latest-offset, with metadata
for i in $(seq 100); do echo "k$i|{\"id\":$i,\"name\":\"n$i\"}"; done >"$tmp/src.txt"
timeout 60 kcat -P -b "$bs" -t src -K'|' <"$tmp/src.txt" 2>/dev/null; check "kcat produces 100 records" $?
timeout 60 kcat -C -b "$bs" -t src -o beginning -e -q -f '%p %o %s\n' >"$tmp/src.kcat" 2>/dev/null
cat >"$tmp/read.sql" <<EOF
CREATE TABLE k (
  id INT, name STRING,
  \`topic\` STRING METADATA VIRTUAL,
  \`partition\` INT METADATA VIRTUAL,
  \`offset\` BIGINT METADATA VIRTUAL,
  \`timestamp\` TIMESTAMP_LTZ(3) METADATA,
  \`timestamp-type\` STRING METADATA VIRTUAL
) WITH (
  'connector' = 'kafka', 'topic' = 'src', 'properties.bootstrap.servers' = '$bs', 'properties.group.id' = 'readers',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE o (id INT, name STRING, t STRING, p INT, o BIGINT, ts TIMESTAMP_LTZ(3), tt STRING) WITH (
  'connector' = 'filesystem', 'path' = '$tmp/read_out', 'format' = 'csv');
INSERT INTO o SELECT id, name, \`topic\`, \`partition\`, \`offset\`, \`timestamp\`, \`timestamp-type\` FROM k;
EOF
run sql -f "$tmp/read.sql"
check "bounded read exits 0 (status $status)" $status; [ $status -eq 0 ] || show
cat "$tmp"/read_out/part-* >"$tmp/read.csv" 2>/dev/null
[ "$(wc -l <"$tmp/read.csv")" -eq 100 ]; rc=$?; check "100 rows read (got $(wc -l <"$tmp/read.csv"))" $rc
[ "$(cut -d, -f1 "$tmp/read.csv" | sort -n | tr '\n' ' ')" = "$(seq 100 | tr '\n' ' ')" ]; check "ids 1..100, each once" $?
# partition and offset agree with kcat's view of each record
awk '{ split($3, a, /[:,]/); print a[2] " " $1 " " $2 }' "$tmp/src.kcat" | sort -n >"$tmp/want_po"
awk -F, '{ print $1 " " $4 " " $5 }' "$tmp/read.csv" | sort -n >"$tmp/got_po"
cmp -s "$tmp/want_po" "$tmp/got_po"; check "partition and offset metadata match kcat" $?
[ "$(cut -d, -f3 "$tmp/read.csv" | sort -u)" = "src" ]; check "topic metadata" $?
[ "$(cut -d, -f7 "$tmp/read.csv" | sort -u)" = "CreateTime" ]; check "timestamp-type metadata" $?
grep -qE '^1,n1,src,[0-3],[0-9]+,"?20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:.]+Z?"?,CreateTime$' "$tmp/read.csv"; check "timestamp metadata is a time" $?
has "100 records read, 100 written" "$tmp/err"; check "summary counts" $?
clean_asan "$tmp/err"; check "bounded read: no sanitizer report" $?

# ---- 2. parallelism 2: 4 partitions split over 2 subtasks, nothing lost or duplicated; alias kafka-0.11
sed -e "s|$tmp/read_out|$tmp/read_p2|" -e "s/'connector' = 'kafka'/'connector' = 'kafka-0.11'/" "$tmp/read.sql" >"$tmp/read_p2.sql"
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/read_p2.sql"
check "parallel read exits 0" $status; [ $status -eq 0 ] || show
[ "$(cat "$tmp"/read_p2/part-* | cut -d, -f1 | sort -n | tr '\n' ' ')" = "$(seq 100 | tr '\n' ' ')" ]; check "parallel: ids 1..100 once" $?
# partitions 0,2 -> subtask 0; 1,3 -> subtask 1 (sorted by topic, partition; i mod parallelism)
[ "$(cat "$tmp"/read_p2/part-*-0-* | cut -d, -f4 | sort -u | tr '\n' ' ')" = "0 2 " ]; check "subtask 0 reads partitions 0 and 2" $?
[ "$(cat "$tmp"/read_p2/part-*-1-* | cut -d, -f4 | sort -u | tr '\n' ' ')" = "1 3 " ]; check "subtask 1 reads partitions 1 and 3" $?
# more subtasks than partitions: the extra ones end at once (bounded)
sed -e "s|$tmp/read_out|$tmp/read_p6|" "$tmp/read.sql" >"$tmp/read_p6.sql"
run sql -D parallelism.default=6 -D taskmanager.numberOfTaskSlots=6 -f "$tmp/read_p6.sql"
check "parallelism 6 over 4 partitions exits 0" $status
[ "$(cat "$tmp"/read_p6/part-* | wc -l)" -eq 100 ]; check "parallelism 6: 100 rows" $?

# ---- 3. startup and bounded modes
# specific offsets: from offset 2 of partition 0 to the end; others from their start (earliest)
p0=$(awk '$1 == 0' "$tmp/src.kcat" | wc -l)
cat >"$tmp/spec.sql" <<EOF
CREATE TABLE k (id INT, name STRING, \`partition\` INT METADATA VIRTUAL) WITH (
  'connector' = 'kafka', 'topic' = 'src', 'properties.bootstrap.servers' = '$bs', 'format' = 'json',
  'scan.startup.mode' = 'specific-offsets', 'scan.startup.specific-offsets' = 'partition:0,offset:2',
  'scan.bounded.mode' = 'specific-offsets', 'scan.bounded.specific-offsets' = 'partition:1,offset:3;partition:2,offset:0;partition:3,offset:1');
CREATE TABLE p (id INT, name STRING, part INT) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
run sql -f "$tmp/spec.sql"
check "specific offsets exit 0" $status; [ $status -eq 0 ] || show
want=$((p0 - 2 + 3 + 0 + 1))
[ "$(grep -c '^+I' "$tmp/out")" -eq "$want" ]; rc=$?; check "specific offsets: $want rows (got $(grep -c '^+I' "$tmp/out"))" $rc
[ "$(grep -c ', 0\]$' "$tmp/out")" -eq $((p0 - 2)) ]; check "specific offsets: partition 0 from offset 2" $?
# timestamp: records produced after a point in time
echo '{"id":1,"name":"old"}' | timeout 30 kcat -P -b "$bs" -t ts 2>/dev/null
sleep 1.2
t_ms=$(($(date +%s%3N) - 100))
sleep 0.3
printf '{"id":2,"name":"new1"}\n{"id":3,"name":"new2"}\n' | timeout 30 kcat -P -b "$bs" -t ts 2>/dev/null
cat >"$tmp/ts.sql" <<EOF
CREATE TABLE k (id INT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'ts', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'scan.startup.mode' = 'timestamp', 'scan.startup.timestamp-millis' = '$t_ms', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
run sql -f "$tmp/ts.sql"
check "timestamp startup exits 0" $status
# Kafka answers with the first offset at or after the timestamp; the dev cluster (librdkafka's
# mock) cannot look offsets up by time and answers "none", so there the source starts at the end.
! has "old" "$tmp/out"; check "timestamp startup: no record older than the timestamp" $?
# latest-offset start + latest-offset end: nothing to read, ends at once
sed "s/'scan.startup.mode' = 'timestamp', 'scan.startup.timestamp-millis' = '$t_ms'/'scan.startup.mode' = 'latest-offset'/" "$tmp/ts.sql" >"$tmp/latest.sql"
run sql -f "$tmp/latest.sql"
check "latest to latest exits 0 with no rows" $(( status != 0 || $(wc -c <"$tmp/out") != 0 ))

# ---- 4. group offsets: the offsets reached are committed at the end, the next job resumes there
run sql -f "$tmp/read.sql" # commits group 'readers' (read 1 already did; this is a second bounded pass)
printf '{"id":101,"name":"n101"}\n{"id":102,"name":"n102"}\n' | timeout 30 kcat -P -b "$bs" -t src 2>/dev/null
cat >"$tmp/group.sql" <<EOF
CREATE TABLE k (id INT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'src', 'properties.bootstrap.servers' = '$bs',
  'properties.group.id' = 'readers', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
run sql -f "$tmp/group.sql"
check "group-offsets (the default mode) exits 0" $status; [ $status -eq 0 ] || show
[ "$(sort "$tmp/out" | tr '\n' ' ')" = "+I[101, n101] +I[102, n102] " ]; check "group-offsets: only the records after the committed offsets" $?
sed "s/'readers'/'nobody'/" "$tmp/group.sql" >"$tmp/group_none.sql"
run sql -f "$tmp/group_none.sql"
check "group without committed offsets fails (exit 1, got $status)" $((status != 1))
has "no valid offset to start from" "$tmp/err" && has "properties.auto.offset.reset" "$tmp/err"; check "no committed offsets: message and hint" $?
sed "s/'properties.group.id' = 'readers', //" "$tmp/group.sql" >"$tmp/group_noid.sql"
run sql -f "$tmp/group_noid.sql"
check "group-offsets without group.id exits 2" $((status != 2))
has "'properties.group.id' is required in 'group-offsets' startup mode" "$tmp/err"; check "group-offsets without group.id: message" $?

# ---- 5. bad records, both settings of json.ignore-parse-errors
printf '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n' | timeout 30 kcat -P -b "$bs" -t bad -p 0 2>/dev/null
printf '{"id":3,"name":"c"}\n{"id":4,name:}\n{"id":5,"name":"e"}\n' | timeout 30 kcat -P -b "$bs" -t bad -p 1 2>/dev/null
cat >"$tmp/bad.sql" <<EOF
CREATE TABLE k (id INT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'bad', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
run sql -f "$tmp/bad.sql"
check "malformed record fails the job (exit 1, got $status)" $((status != 1))
has "Failed to deserialize JSON '{\"id\":4,name:}'" "$tmp/err"; check "malformed: the record and the format's reason" $?
has "topic 'bad', partition 1, offset 1" "$tmp/err"; check "malformed: topic, partition and offset" $?; [ $? -eq 0 ] || show
has "set 'json.ignore-parse-errors' = 'true'" "$tmp/err"; check "malformed: hint" $?
sed "s/'format' = 'json'/'value.format' = 'json', 'value.json.ignore-parse-errors' = 'true'/" "$tmp/bad.sql" >"$tmp/bad_ok.sql"
run sql -f "$tmp/bad_ok.sql"
check "ignore-parse-errors: exit 0" $status
[ "$(grep -c '^+I' "$tmp/out")" -eq 4 ]; check "ignore-parse-errors: 4 rows" $?
has "1 dropped" "$tmp/err"; check "ignore-parse-errors: 1 dropped in the summary" $?

# ---- 6. sink: datagen -> Kafka, read back with kcat; key format; Java producer properties
cat >"$tmp/write.sql" <<EOF
CREATE TABLE g (id BIGINT, name STRING, score DOUBLE) WITH ('connector' = 'datagen', 'number-of-rows' = '1000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000', 'fields.name.length' = '6');
CREATE TABLE k (id BIGINT, name STRING, score DOUBLE) WITH ('connector' = 'kafka', 'topic' = 'keyed',
  'properties.bootstrap.servers' = '$bs', 'format' = 'json', 'key.format' = 'json', 'key.fields' = 'id',
  'properties.acks' = 'all', 'properties.retries' = '3', 'properties.batch.size' = '16384', 'properties.linger.ms' = '30',
  'properties.buffer.memory' = '33554432', 'properties.max.block.ms' = '60000');
INSERT INTO k SELECT * FROM g;
EOF
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/write.sql"
check "datagen -> kafka exits 0" $status; [ $status -eq 0 ] || show
has "1000 records read, 1000 written" "$tmp/err"; check "sink summary" $?
[ "$(grep -c "'properties.max.block.ms'" "$tmp/err")" -eq 1 ]; check "one warning for a Java-only property" $?
has "librdkafka does not have" "$tmp/err"; check "the warning says why" $?
grep -qE "properties\.(acks|retries|batch\.size|linger\.ms|buffer\.memory)" "$tmp/err"; check "no warning for translated properties" $((! $?))
timeout 60 kcat -C -b "$bs" -t keyed -o beginning -e -q -f '%k|%s\n' >"$tmp/keyed" 2>/dev/null
[ "$(wc -l <"$tmp/keyed")" -eq 1000 ]; rc=$?; check "kcat reads 1000 records (got $(wc -l <"$tmp/keyed"))" $rc
python3 - "$tmp/keyed" <<'EOF'; check "keys are {\"id\":n} of their values, ids 1..1000 once" $?
import json, sys
ids = []
for line in open(sys.argv[1]):
    k, v = line.rstrip('\n').split('|', 1)
    k, v = json.loads(k), json.loads(v)
    assert k == {"id": v["id"]}, (k, v)
    assert set(v) == {"id", "name", "score"} and len(v["name"]) == 6
    ids.append(v["id"])
assert sorted(ids) == list(range(1, 1001))
EOF
# EXCEPT_KEY with a prefix: the key column is only in the key
cat >"$tmp/except.sql" <<EOF
CREATE TABLE g (id BIGINT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '10',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '10', 'fields.name.length' = '3');
CREATE TABLE k (k_id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'out',
  'properties.bootstrap.servers' = '$bs', 'value.format' = 'json', 'key.format' = 'csv', 'key.fields' = 'k_id',
  'key.fields-prefix' = 'k_', 'value.fields-include' = 'EXCEPT_KEY');
INSERT INTO k SELECT * FROM g;
CREATE TABLE r (k_id BIGINT, name STRING, \`offset\` BIGINT METADATA VIRTUAL) WITH ('connector' = 'kafka', 'topic' = 'out',
  'properties.bootstrap.servers' = '$bs', 'value.format' = 'json', 'key.format' = 'csv', 'key.fields' = 'k_id',
  'key.fields-prefix' = 'k_', 'value.fields-include' = 'EXCEPT_KEY', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE p (id BIGINT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT k_id, name FROM r;
EOF
run sql -f "$tmp/except.sql"
check "key fields prefix, EXCEPT_KEY: write and read back exit 0" $status; [ $status -eq 0 ] || show
[ "$(grep -c '^+I\[[0-9]*, [0-9a-f]\{3\}\]$' "$tmp/out")" -eq 10 ]; check "EXCEPT_KEY: 10 rows with their key column back" $?
timeout 30 kcat -C -b "$bs" -t out -o beginning -e -q -f '%k|%s\n' 2>/dev/null | head -1 | grep -qE '^[0-9]+\|\{"name":"[0-9a-f]{3}"\}$'
check "EXCEPT_KEY: csv key, value without the key column" $?
# partitioners: fixed (subtask i -> partition i) and round-robin (even spread)
sed -e "s/'topic' = 'keyed'/'topic' = 'fixed', 'sink.partitioner' = 'fixed'/" "$tmp/write.sql" >"$tmp/fixed.sql"
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/fixed.sql"
check "fixed partitioner exits 0" $status
[ "$(timeout 30 kcat -C -b "$bs" -t fixed -o beginning -e -q -f '%p\n' 2>/dev/null | sort -u | tr '\n' ' ')" = "0 1 " ]
check "fixed: 2 subtasks write partitions 0 and 1 only" $?
sed -e "s/'topic' = 'keyed'/'topic' = 'rr', 'sink.partitioner' = 'round-robin'/" "$tmp/write.sql" >"$tmp/rr.sql"
run sql -f "$tmp/rr.sql"
check "round-robin partitioner exits 0" $status
[ "$(timeout 30 kcat -C -b "$bs" -t rr -o beginning -e -q -f '%p\n' 2>/dev/null | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "334 333 333 " ]
check "round-robin: 1000 rows spread 334/333/333" $?
# several topics: a ';' list and a pattern read the same 2000 rows
cat >"$tmp/multi.sql" <<EOF
CREATE TABLE k (id BIGINT, name STRING, score DOUBLE, \`topic\` STRING METADATA VIRTUAL) WITH ('connector' = 'kafka',
  'topic' = 'fixed; rr', 'properties.bootstrap.servers' = '$bs', 'format' = 'json',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE p (t STRING, n BIGINT) WITH ('connector' = 'print');
INSERT INTO p SELECT \`topic\`, id FROM k;
EOF
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/multi.sql"
check "topic list exits 0" $status; [ $status -eq 0 ] || show
[ "$(grep -c 'fixed, ' "$tmp/out") $(grep -c 'rr, ' "$tmp/out")" = "1000 1000" ]; check "topic list: 1000 rows of each topic" $?
sed -e "s/'topic' = 'fixed; rr'/'topic-pattern' = '(fix|r)[a-z]+'/" "$tmp/multi.sql" >"$tmp/pattern.sql"
run sql -f "$tmp/pattern.sql"
check "topic-pattern exits 0" $status; [ $status -eq 0 ] || show
[ "$(grep -c 'fixed, ' "$tmp/out") $(grep -c 'rr, ' "$tmp/out") $(wc -l <"$tmp/out")" = "1000 1000 2000" ]
check "topic-pattern: the whole name matches (fixed, rr; not keyed, ts, ...)" $?

# ---- 7. validation and start-up errors name the table and the option
cat >"$tmp/badopt.sql" <<EOF
CREATE TABLE k (id INT) WITH ('connector' = 'kafka', 'topic' = 'src', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json',
  'scan.startup.mod' = 'earliest-offset');
CREATE TABLE p (id INT) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
run sql -f "$tmp/badopt.sql"
check "unknown option exits 2" $((status != 2))
has "Unsupported options found for 'kafka'." "$tmp/err"; check "unknown option: Flink's message" $?
has "badopt.sql:3:3: error" "$tmp/err"; check "unknown option: points at the option" $?
has "did you mean 'scan.startup.mode'?" "$tmp/err"; check "unknown option: suggestion" $?
sed -e "s/  'scan.startup.mod' = 'earliest-offset'/  'json.fail-on-missing-feld' = 'true'/" "$tmp/badopt.sql" >"$tmp/badfmt.sql"
run sql -f "$tmp/badfmt.sql"
check "unknown format option exits 2" $((status != 2)); has "json.fail-on-missing-feld" "$tmp/err"; check "unknown format option named" $?
sed -e "s/'properties.bootstrap.servers' = '$bs',//" -e "s/  'scan.startup.mod' = 'earliest-offset'/  'scan.startup.mode' = 'earliest-offset'/" \
  "$tmp/badopt.sql" >"$tmp/nobs.sql"
run sql -f "$tmp/nobs.sql"
check "missing bootstrap servers exits 2" $((status != 2))
has "Missing required options are:" "$tmp/err" && has "properties.bootstrap.servers" "$tmp/err"; check "missing bootstrap servers: message" $?
sed -e "s/'topic' = 'src'/'topic' = 'no_such_topic'/" -e "s/  'scan.startup.mod' = 'earliest-offset'/  'scan.startup.mode' = 'earliest-offset'/" \
  "$tmp/badopt.sql" >"$tmp/notopic.sql"
run sql -f "$tmp/notopic.sql"
check "missing topic exits non-zero" $((status == 0))
has "Topic 'no_such_topic' of table 'k' does not exist" "$tmp/err"; check "missing topic: names topic and table" $?; [ $? -eq 0 ] || show
timeout 30 kcat -L -b "$bs" 2>/dev/null | grep -q 'topic "no_such_topic"'
check "missing topic: the source did not create it" $((! $?))
sed -e "s/'$bs'/'127.0.0.1:1'/" -e "s/  'scan.startup.mod' = 'earliest-offset'/  'scan.startup.mode' = 'earliest-offset'/" \
  "$tmp/badopt.sql" >"$tmp/unreach.sql"
t0=$(date +%s)
run sql -f "$tmp/unreach.sql"
check "unreachable cluster exits 1" $((status != 1))
has "table 'k': cannot reach the Kafka cluster at '127.0.0.1:1' (option 'properties.bootstrap.servers')" "$tmp/err"; check "unreachable: table, servers, option" $?
[ $(($(date +%s) - t0)) -lt 20 ]; check "unreachable: fails fast" $?
sed -e "s/  'scan.startup.mod' = 'earliest-offset'/  'sink.delivery-guarantee' = 'exactly-once'/" "$tmp/badopt.sql" \
  | sed -e "s/INSERT INTO p SELECT \* FROM k;/CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');\nINSERT INTO k SELECT id FROM g;/" >"$tmp/eos.sql"
run sql -f "$tmp/eos.sql"
check "exactly-once without a transactional id prefix exits 2" $((status != 2))
has "sink.transactional-id-prefix must be specified when using DeliveryGuarantee.EXACTLY_ONCE." "$tmp/err"; check "exactly-once without prefix: Flink's message" $?

# ---- 8. a failed delivery fails the job with the broker's error (never dropped silently)
cat >"$tmp/lost.sql" <<EOF
CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '200');
CREATE TABLE k (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'lost', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'properties.message.timeout.ms' = '1500');
INSERT INTO k SELECT * FROM g;
EOF
"$BIN" sql -f "$tmp/lost.sql" >"$tmp/lost.out" 2>"$tmp/lost.err" &
jpid=$!
sleep 2
echo "down all" >&3
for _ in $(seq 300); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$jpid" 2>/dev/null; check "the job ends by itself when deliveries fail" $((! $?))
wait "$jpid"; st=$?; jpid=""
echo "up all" >&3
check "failed delivery: exit 1 (got $st)" $((st != 1))
has "could not be delivered to Kafka topic 'lost'" "$tmp/lost.err"; check "failed delivery: names the topic" $?
has "Message timed out" "$tmp/lost.err"; check "failed delivery: the reason" $?; [ $? -eq 0 ] || cat "$tmp/lost.err"
sleep 1

# ---- 9. an unbounded job stops gracefully on SIGTERM (exit 0) after reading what arrives
cat >"$tmp/live.sql" <<EOF
CREATE TABLE k (id INT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'live', 'properties.bootstrap.servers' = '$bs',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
"$BIN" sql -D parallelism.default=3 -D taskmanager.numberOfTaskSlots=3 -f "$tmp/live.sql" >"$tmp/live.out" 2>"$tmp/live.err" &
jpid=$!
sleep 1
for i in $(seq 50); do echo "{\"id\":$i,\"name\":\"x$i\"}"; done | timeout 30 kcat -P -b "$bs" -t live 2>/dev/null
for _ in $(seq 200); do [ "$(grep -c '+I' "$tmp/live.out")" -ge 50 ] && break; sleep 0.1; done
[ "$(grep -c '+I' "$tmp/live.out")" -eq 50 ]; check "unbounded job reads records as they arrive" $?
kill -0 "$jpid" 2>/dev/null; check "unbounded job keeps running (a subtask without partition stays idle)" $?
kill -TERM "$jpid"
for _ in $(seq 100); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$jpid" 2>/dev/null; check "SIGTERM stops the job within 10 s" $((! $?))
wait "$jpid"; st=$?; jpid=""
check "SIGTERM: exit 0 (got $st)" $st
has "stopped" "$tmp/live.err"; check "SIGTERM: the summary says stopped" $?
clean_asan "$tmp/live.err"; check "SIGTERM: no sanitizer report" $?

# ---- 10. a broker goes down for a while and comes back: the writer carries on, nothing is lost
cat >"$tmp/fault.sql" <<EOF
CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '500', 'number-of-rows' = '2000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000');
CREATE TABLE k (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'faultout', 'properties.bootstrap.servers' = '$bs', 'format' = 'json');
INSERT INTO k SELECT * FROM g;
EOF
"$BIN" sql -f "$tmp/fault.sql" >"$tmp/fault.out" 2>"$tmp/fault.err" &
jpid=$!
sleep 1
echo "down 2" >&3
sleep 1.5
echo "up 2" >&3
for _ in $(seq 300); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.1; done
wait "$jpid"; st=$?; jpid=""
check "broker down and up: the job finishes (exit $st)" $st; [ $st -eq 0 ] || cat "$tmp/fault.err"
# a topic of its own: with several partitions, records of an earlier run would
# interleave with these in kcat's output
timeout 60 kcat -C -b "$bs" -t faultout -o beginning -e -q 2>/dev/null | grep -oE '[0-9]+' | sort -n | uniq >"$tmp/fault.ids"
[ "$(wc -l <"$tmp/fault.ids")" -eq 2000 ]; rc=$?; check "broker down and up: all 2000 rows delivered (got $(wc -l <"$tmp/fault.ids") distinct)" $rc

cat "$tmp/lost.err" "$tmp/fault.err" >"$tmp/bg.err"
clean_asan "$tmp/bg.err"; check "no sanitizer report from the background jobs" $?
echo "kafka_sql: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
