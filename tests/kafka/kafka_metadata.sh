#!/usr/bin/env bash
# Kafka metadata columns end to end (`sluice sql -f` against `sluice kafka-dev`, kcat on the other
# side): the source reads `headers` (MAP<STRING, BYTES>; a repeated header key keeps its last
# value) and metadata by their FROM keys; an unknown key fails with Flink's message. The sink
# writes non-VIRTUAL `timestamp` (the record timestamp) and `headers` (record headers) for plain,
# exactly-once and upsert-kafka sinks; NULL means none; a non-writable key fails with Flink's message.
set -u
tmp=$(mktemp -d)
. "${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_kcat
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
"$BIN" kafka-dev --brokers 1 --topic hin:1 --topic tout:1 --topic eout:1 --topic uout:1 \
  --bootstrap-file "$tmp/bs" >"$tmp/dev.out" 2>"$tmp/dev.err" &
pid=$!
wait_kafka_dev "$pid"
# every record of a topic as "key|headers|timestamp|value" (isolation level $2, default read_committed)
dump() { timeout 60 kcat -C -b "$bs" -t "$1" -X isolation.level="${2:-read_committed}" -o beginning -e -q -f '%k|%h|%T|%s\n' 2>/dev/null; }

# ---- 1. source: headers (a repeated key keeps its last value), by FROM key; none = empty map
echo '{"id":1}' | timeout 30 kcat -P -b "$bs" -t hin -H k1=v1 -H k2=x -H k1=v2 2>/dev/null; check "kcat produces with headers" $?
echo '{"id":2}' | timeout 30 kcat -P -b "$bs" -t hin 2>/dev/null
cat >"$tmp/read.sql" <<SQL
CREATE TABLE k (id INT, h MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL, p INT METADATA FROM 'partition' VIRTUAL,
  \`offset\` BIGINT METADATA VIRTUAL) WITH (
  'connector' = 'kafka', 'topic' = 'hin', 'properties.bootstrap.servers' = '$bs', 'format' = 'json',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE o (id INT, h MAP<STRING, BYTES>, hs STRING, k1 BYTES, n INT, p INT, o BIGINT) WITH ('connector' = 'print');
INSERT INTO o SELECT id, h, CAST(h AS STRING), h['k1'], CARDINALITY(h), p, \`offset\` FROM k;
SQL
run sql -f "$tmp/read.sql"
check "headers read exits 0 (status $status)" $status; [ $status -eq 0 ] || show
has "+I[1, {k1=[118, 50], k2=[120]}, {k1=v2, k2=x}, [118, 50], 2, 0, 0]" "$tmp/out"; check "headers: a MAP, the last value of a repeated key" $?
has "+I[2, {}, {}, null, 0, 0, 1]" "$tmp/out"; check "no headers: an empty map" $?

# an unknown key: Flink's message, naming column and table
sed -e "s/METADATA FROM 'partition'/METADATA FROM 'part'/" "$tmp/read.sql" >"$tmp/badkey.sql"
run sql -f "$tmp/badkey.sql"
[ $status -ne 0 ]; check "unknown metadata key fails" $?
has "Invalid metadata key 'part' in column 'p' of table 'k'. The DynamicTableSource class 'KafkaDynamicSource' supports the following metadata keys for reading" "$tmp/err"
check "unknown metadata key: Flink's message" $?; has "Invalid metadata key" "$tmp/err" || show
# headers declared with a type that is not a map of strings
sed -e "s/h MAP<STRING, BYTES> METADATA/h INT METADATA/" -e "s/, h, CAST(h AS STRING), h\['k1'\], CARDINALITY(h)/, NULL, '', NULL, h/" "$tmp/read.sql" >"$tmp/badtype.sql"
run sql -f "$tmp/badtype.sql"
[ $status -ne 0 ] && has "'headers') must be MAP<STRING, BYTES>, not INT" "$tmp/err"; check "headers of a wrong type: a clear error" $?

# ---- 2. sink: timestamp and headers written; NULL = the producer's time / no headers
start_ms=$(date +%s%3N)
cat >"$tmp/write.sql" <<SQL
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3', 'fields.id.kind' = 'sequence',
  'fields.id.start' = '1', 'fields.id.end' = '3');
CREATE TABLE t (id INT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', headers MAP<STRING, BYTES> METADATA,
  p INT METADATA FROM 'partition' VIRTUAL) WITH (
  'connector' = 'kafka', 'topic' = 'tout', 'properties.bootstrap.servers' = '$bs', 'format' = 'json', 'key.format' = 'raw',
  'key.fields' = 'id');
INSERT INTO t SELECT id, CASE WHEN id < 3 THEN TO_TIMESTAMP_LTZ(1700000000000 + id, 3) END,
  CASE WHEN id < 3 THEN MAP['src', CAST('sluice' AS BYTES), 'n', CAST(CAST(id AS STRING) AS BYTES)] END FROM g;
SQL
sed -e "s/id INT, ts/id STRING, ts/" -e "s/'key.format' = 'raw'/'key.format' = 'raw'/" "$tmp/write.sql" >/dev/null
sed -i -e "s/CREATE TABLE t (id INT,/CREATE TABLE t (id STRING,/" -e "s/INSERT INTO t SELECT id,/INSERT INTO t SELECT CAST(id AS STRING),/" "$tmp/write.sql"
run sql -f "$tmp/write.sql"
check "metadata write exits 0 (status $status)" $status; [ $status -eq 0 ] || show
dump tout >"$tmp/tout.txt"
grep -qxF '1|src=sluice,n=1|1700000000001|{"id":"1"}' "$tmp/tout.txt"; check "record 1: timestamp and headers written" $?
grep -qxF '2|src=sluice,n=2|1700000000002|{"id":"2"}' "$tmp/tout.txt"; check "record 2: timestamp and headers written" $?
t3=$(awk -F'|' '$1 == 3 && $2 == "" { print $3 }' "$tmp/tout.txt")
[ -n "$t3" ] && [ "$t3" -ge "$start_ms" ]; check "NULL timestamp and headers: the producer's time, no headers (got '$t3')" $?
[ $? -eq 0 ] || cat "$tmp/tout.txt"

# ---- 3. exactly-once: the write-ahead log carries timestamp and headers
sed -e "s/'topic' = 'tout'/'topic' = 'eout'/" \
  -e "s/'key.fields' = 'id');/'key.fields' = 'id', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'meta-eos');/" \
  "$tmp/write.sql" >"$tmp/eos.sql"
run sql -f "$tmp/eos.sql"
check "exactly-once metadata write exits 0 (status $status)" $status; [ $status -eq 0 ] || show
dump eout >"$tmp/eout.txt"
grep -qxF '1|src=sluice,n=1|1700000000001|{"id":"1"}' "$tmp/eout.txt" && grep -qxF '2|src=sluice,n=2|1700000000002|{"id":"2"}' "$tmp/eout.txt" &&
  [ "$(wc -l <"$tmp/eout.txt")" -eq 3 ]
check "exactly-once: timestamp and headers committed, each record once" $?

# ---- 4. upsert-kafka: headers and timestamp on values; a MAP<STRING, STRING> is cast to bytes
cat >"$tmp/upsert.sql" <<SQL
CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '4', 'fields.id.kind' = 'sequence',
  'fields.id.start' = '1', 'fields.id.end' = '4');
CREATE TABLE u (k INT, cnt BIGINT, hs MAP<STRING, STRING> METADATA FROM 'headers', ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'uout', 'properties.bootstrap.servers' = '$bs',
  'key.format' = 'json', 'value.format' = 'json');
INSERT INTO u SELECT id % 2, COUNT(*), MAP['kind', 'agg'], TO_TIMESTAMP_LTZ(1600000000000, 3) FROM g GROUP BY id % 2;
SQL
run sql -f "$tmp/upsert.sql"
check "upsert-kafka metadata write exits 0 (status $status)" $status; [ $status -eq 0 ] || show
dump uout >"$tmp/uout.txt"
grep -qxF '{"k":0}|kind=agg|1600000000000|{"k":0,"cnt":2}' "$tmp/uout.txt" && grep -qxF '{"k":1}|kind=agg|1600000000000|{"k":1,"cnt":2}' "$tmp/uout.txt"
check "upsert-kafka: headers (MAP<STRING, STRING>) and timestamp written" $?
[ $? -eq 0 ] || cat "$tmp/uout.txt"
# the same through the sink's buffer (sink.buffer-flush.*): one record per key, metadata kept
sed -e "s/'topic' = 'uout'/'topic' = 'uoutb', 'sink.buffer-flush.max-rows' = '100', 'sink.buffer-flush.interval' = '1h'/" \
    -e "s/MAP\['kind', 'agg'\]/MAP['kind', CAST(COUNT(*) AS STRING)]/" "$tmp/upsert.sql" >"$tmp/upsertb.sql"
run sql -f "$tmp/upsertb.sql"
check "buffered upsert-kafka metadata write exits 0 (status $status)" $status; [ $status -eq 0 ] || show
dump uoutb >"$tmp/uoutb.txt"
[ "$(grep -c . "$tmp/uoutb.txt")" -eq 2 ] && grep -qxF '{"k":0}|kind=2|1600000000000|{"k":0,"cnt":2}' "$tmp/uoutb.txt" &&
    grep -qxF '{"k":1}|kind=2|1600000000000|{"k":1,"cnt":2}' "$tmp/uoutb.txt"
check "buffered upsert-kafka: one record per key, with that row's headers and timestamp" $?
[ $? -eq 0 ] || cat "$tmp/uoutb.txt"

# ---- 5. a sink metadata key that is not writable: Flink's message
sed -e "s/p INT METADATA FROM 'partition' VIRTUAL/p INT METADATA FROM 'partition'/" \
  -e "s/INSERT INTO t SELECT CAST(id AS STRING),/INSERT INTO t SELECT CAST(id AS STRING),/" \
  -e "s/ FROM g;/, 0 FROM g;/" "$tmp/write.sql" >"$tmp/badsink.sql"
run sql -f "$tmp/badsink.sql"
[ $status -ne 0 ] && has "Invalid metadata key 'partition' in column 'p' of table 't'. The DynamicTableSink class 'KafkaDynamicSink' supports the following metadata keys for writing: headers, timestamp" "$tmp/err"
check "a non-writable metadata key fails with Flink's message" $?; has "DynamicTableSink" "$tmp/err" || show
# a timestamp column of another type
sed -e "s/ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'/ts BIGINT METADATA FROM 'timestamp'/" \
  -e "s/CASE WHEN id < 3 THEN TO_TIMESTAMP_LTZ(1700000000000 + id, 3) END/CAST(id AS BIGINT)/" "$tmp/write.sql" >"$tmp/badts.sql"
run sql -f "$tmp/badts.sql"
[ $status -ne 0 ] && has "Invalid data type for metadata column 'ts' of table 't'" "$tmp/err"; check "a timestamp of a wrong type: a clear error" $?

# ---- 6. MAP columns where no connector or format can fill them: refused when the job starts
cat >"$tmp/dg.sql" <<SQL
CREATE TABLE s (id INT, m MAP<STRING, INT>) WITH ('connector' = 'datagen', 'number-of-rows' = '2');
CREATE TABLE p (m MAP<STRING, INT>) WITH ('connector' = 'print');
INSERT INTO p SELECT m FROM s;
SQL
run sql -f "$tmp/dg.sql"
[ $status -ne 0 ] && has "datagen cannot generate column 'm' of type MAP<STRING, INT>." "$tmp/err"; check "datagen refuses a MAP column" $?
cat >"$tmp/csv.sql" <<SQL
CREATE TABLE s (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '2');
CREATE TABLE f (m MAP<STRING, INT>) WITH ('connector' = 'filesystem', 'path' = '$tmp/csv_out', 'format' = 'csv');
INSERT INTO f SELECT MAP['a', id] FROM s;
SQL
run sql -f "$tmp/csv.sql"
[ $status -ne 0 ] && has "The 'csv' format does not support column \`m\` of type MAP<STRING, INT> yet." "$tmp/err"; check "csv refuses a MAP column" $?

# json reads and writes MAP<STRING, V> as objects
mkdir -p "$tmp/jin"
printf '%s\n' '{"id":1,"m":{"a":1,"b":null}}' '{"id":2,"m":{}}' >"$tmp/jin/part-0.json"
cat >"$tmp/json.sql" <<SQL
CREATE TABLE j (id INT, m MAP<STRING, INT>) WITH ('connector' = 'filesystem', 'path' = '$tmp/jin', 'format' = 'json');
CREATE TABLE jo (id INT, m MAP<STRING, INT>, n INT) WITH ('connector' = 'filesystem', 'path' = '$tmp/jout', 'format' = 'json');
INSERT INTO jo SELECT id, MAP['x', id, 'y', m['a']], CARDINALITY(m) FROM j;
SQL
run sql -f "$tmp/json.sql"
check "json MAP job exits 0 (status $status)" $status; [ $status -eq 0 ] || show
[ "$(cat "$tmp"/jout/part-* 2>/dev/null | sort | tr '\n' ' ')" = '{"id":1,"m":{"x":1,"y":1},"n":2} {"id":2,"m":{"x":2,"y":null},"n":0} ' ]
check "json: MAP columns read and written as objects" $?

echo "kafka_metadata: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
