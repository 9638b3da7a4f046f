#!/usr/bin/env bash
# End-to-end: `sluice sql -f` runs real jobs — datagen, filesystem and socket sources; print,
# blackhole and filesystem sinks; option validation; bad records both ways; slots; SIGTERM.
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${srv_pid:-}" ] && kill "$srv_pid" 2>/dev/null' EXIT
export SLUICE_NO_PROGRESS=1
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
run() { "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"; status=$?; }
has() { grep -qF -- "$1" "$2"; }
show() { echo "--- stdout"; head -20 "$tmp/out"; echo "--- stderr"; head -30 "$tmp/err"; }
visible_lines() { cat "$1"/part-* 2>/dev/null | wc -l | tr -d ' '; }

# 1. datagen sequence -> filter/project -> filesystem csv: exact output, part files visible, none hidden
cat > "$tmp/gen.sql" <<EOF
CREATE TABLE src (id BIGINT, name STRING) WITH (
  'connector' = 'datagen', 'number-of-rows' = '1000', 'rows-per-second' = '1000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000',
  'fields.name.length' = '4');
CREATE TABLE out1 (id BIGINT, tag STRING, len INT) WITH ('connector' = 'filesystem', 'path' = '$tmp/out1', 'format' = 'csv');
INSERT INTO out1 SELECT id * 10, CONCAT('n', CAST(id AS STRING)), CHAR_LENGTH(name) FROM src WHERE MOD(id, 2) = 0;
EOF
run sql -f "$tmp/gen.sql"
check "datagen->filesystem exits 0" $status; [ $status -eq 0 ] || show
check "500 rows written" $(( $(visible_lines "$tmp/out1") != 500 ))
sort -t, -k1n "$tmp"/out1/part-* | head -2 > "$tmp/first2"
printf '20,n2,4\n40,n4,4\n' | cmp -s - "$tmp/first2"; check "csv content: 20,n2,4 / 40,n4,4" $?
ls "$tmp/out1" | grep -qE '^part-[0-9a-f-]{36}-0-0$'; check "part file name part-<uuid>-<subtask>-<n>" $?
! ls -a "$tmp/out1" | grep -q '^\.'"part"; check "no hidden in-progress file left" $?
has "1000 records read, 500 written" "$tmp/err"; check "summary counts" $?

# 2. parallelism 2: both subtasks write, the sequence is split, nothing lost or duplicated
sed "s|$tmp/out1|$tmp/out1p|" "$tmp/gen.sql" > "$tmp/gen_p.sql"
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/gen_p.sql"
check "parallel run exits 0" $status
check "parallel: 500 rows" $(( $(visible_lines "$tmp/out1p") != 500 ))
cut -d, -f1 "$tmp"/out1p/part-* | sort -n | uniq | wc -l | grep -qx 500; check "parallel: no row twice" $?
ls "$tmp/out1p" | grep -qE -- '-1-0$'; check "parallel: subtask 1 wrote a part file" $?

# 3. seeded random data is reproducible
cat > "$tmp/seed.sql" <<EOF
CREATE TABLE r (a INT, b DOUBLE, c STRING, d BOOLEAN) WITH ('connector' = 'datagen', 'number-of-rows' = '50',
  'seed' = '42', 'fields.a.min' = '1', 'fields.a.max' = '100', 'fields.c.length' = '8', 'fields.d.null-rate' = '0.5');
CREATE TABLE p (a INT, b DOUBLE, c STRING, d BOOLEAN) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM r;
EOF
run sql -f "$tmp/seed.sql"; cp "$tmp/out" "$tmp/seed1"
check "seeded run exits 0" $status
run sql -f "$tmp/seed.sql"
cmp -s "$tmp/out" "$tmp/seed1"; check "same seed, same rows" $?
check "50 printed rows" $(( $(grep -c '^+I\[' "$tmp/out") != 50 ))
awk -F'[][, ]+' '{ if ($2 < 1 || $2 > 100) exit 1 }' "$tmp/out"; check "min/max respected" $?
grep -q 'null\]$' "$tmp/out"; check "null-rate produces NULLs" $?
sed 's/42/43/' "$tmp/seed.sql" > "$tmp/seed43.sql"; run sql -f "$tmp/seed43.sql"
! cmp -s "$tmp/out" "$tmp/seed1"; check "another seed, other rows" $?

# 4. filesystem json -> print, with print-identifier and Flink's row form
mkdir -p "$tmp/in"
printf '{"id":1,"name":"alice","score":1.5}\n{"id":2,"name":null,"score":2}\n\n{"id":3,"name":"carol"}\n' > "$tmp/in/a.json"
cat > "$tmp/json.sql" <<EOF
CREATE TABLE j (id INT, name STRING, score DOUBLE) WITH ('connector' = 'filesystem', 'path' = '$tmp/in', 'format' = 'json');
CREATE TABLE p (id INT, name STRING, score DOUBLE) WITH ('connector' = 'print', 'print-identifier' = 'out');
INSERT INTO p SELECT id, UPPER(name), score FROM j;
EOF
run sql -f "$tmp/json.sql"
check "json->print exits 0" $status; [ $status -eq 0 ] || show
printf 'out> +I[1, ALICE, 1.5]\nout> +I[2, null, 2.0]\nout> +I[3, CAROL, null]\n' | cmp -s - "$tmp/out"; check "print output exact" $?

# 5. bad records: fail with file:line and the reason; or skip and count
printf '{"id":1,"name":"a","score":1}\n{"id":2,"name":"b",score:}\n{"id":3,"name":"c","score":3}\n' > "$tmp/in/a.json"
run sql -f "$tmp/json.sql"
check "bad record fails the job (exit 1)" $((status != 1))
grep -qE "$tmp/in/a.json:2(:[0-9]+)?: error: .*JSON" "$tmp/err"; check "bad record: file:line and reason" $?; [ $? -eq 0 ] || show
has "json.ignore-parse-errors" "$tmp/err"; check "bad record: hint names the option" $?
sed "s/'format' = 'json')/'format' = 'json', 'json.ignore-parse-errors' = 'true')/" "$tmp/json.sql" > "$tmp/json_ignore.sql"
run sql -f "$tmp/json_ignore.sql"
check "ignore-parse-errors: exit 0" $status
check "ignore-parse-errors: 2 rows printed" $(( $(wc -l < "$tmp/out") != 2 ))
has "1 dropped" "$tmp/err"; check "ignore-parse-errors: dropped count in the summary" $?

# 6. option validation, pointing at the option in the script
cat > "$tmp/bad_opt.sql" <<EOF
CREATE TABLE s (id INT) WITH (
  'connector' = 'datagen',
  'rows-per-sec' = '10');
CREATE TABLE p (id INT) WITH ('connector' = 'print');
INSERT INTO p SELECT id FROM s;
EOF
run sql -f "$tmp/bad_opt.sql"
check "unsupported option exits 2" $((status != 2))
has "Unsupported options found for 'datagen'." "$tmp/err"; check "unsupported: Flink's message" $?
has "bad_opt.sql:3:3: error" "$tmp/err"; check "unsupported: points at the option" $?
has "rows-per-second" "$tmp/err"; check "unsupported: lists supported options" $?
has "did you mean 'rows-per-second'?" "$tmp/err"; check "unsupported: suggestion" $?
sed "s/'rows-per-sec' = '10'/'rows-per-second' = 'fast'/" "$tmp/bad_opt.sql" > "$tmp/bad_val.sql"
run sql -f "$tmp/bad_val.sql"
check "bad value exits 2" $((status != 2)); has "Invalid value for option 'rows-per-second': 'fast'" "$tmp/err"; check "bad value message" $?
# METADATA columns on connectors that have none (Flink: SupportsReadingMetadata / SupportsWritingMetadata)
cat > "$tmp/meta_src.sql" <<EOF
CREATE TABLE s (id BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp') WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (id BIGINT, m TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL) WITH ('connector' = 'print');
INSERT INTO p SELECT id FROM s;
EOF
run sql -f "$tmp/meta_src.sql"
[ $status -eq 2 ] && has "Table 's' declares metadata columns, but the underlying DynamicTableSource of connector 'datagen'" "$tmp/err"
check "a metadata column on datagen: Flink's message at planning (a VIRTUAL one on print is fine)" $?
sed -e "s/, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp')/)/" -e "s/ VIRTUAL)/)/" -e "s/SELECT id FROM/SELECT id, CAST(NULL AS TIMESTAMP_LTZ(3)) FROM/" \
    "$tmp/meta_src.sql" > "$tmp/meta_sink.sql"
run sql -f "$tmp/meta_sink.sql"
[ $status -eq 2 ] && has "Table 'p' declares persistable metadata columns, but the underlying DynamicTableSink of connector 'print'" "$tmp/err" &&
    has "declared with the VIRTUAL keyword" "$tmp/err"
check "a persisted metadata column on print: Flink's message at planning" $?
printf "CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'format' = 'csv');\nCREATE TABLE p (a INT) WITH ('connector' = 'print');\nINSERT INTO p SELECT a FROM f;\n" > "$tmp/missing.sql"
run sql -f "$tmp/missing.sql"
check "missing option exits 2" $((status != 2)); has "Missing required options are:" "$tmp/err"; check "missing option message" $?
has "path" "$tmp/err"; check "missing option named" $?
printf "CREATE TABLE f (a INT) WITH ('connector' = 'filesytem', 'path' = '/x', 'format' = 'csv');\nCREATE TABLE p (a INT) WITH ('connector' = 'print');\nINSERT INTO p SELECT a FROM f;\n" > "$tmp/unknown.sql"
run sql -f "$tmp/unknown.sql"
check "unknown connector exits 2" $((status != 2)); has "Could not find any factory for identifier 'filesytem'" "$tmp/err"; check "unknown connector message" $?
has "did you mean 'filesystem'?" "$tmp/err"; check "unknown connector suggestion" $?
sed "s/'rows-per-sec' = '10'/'fields.idd.kind' = 'sequence'/" "$tmp/bad_opt.sql" > "$tmp/bad_field.sql"
run sql -f "$tmp/bad_field.sql"
check "field option of a missing column exits 2" $((status != 2)); has "fields.idd.kind" "$tmp/err"; check "field option named" $?
sed "s/'rows-per-sec' = '10'/'fields.id.kind' = 'sequence'/" "$tmp/bad_opt.sql" > "$tmp/bad_seq.sql"
run sql -f "$tmp/bad_seq.sql"
check "sequence without start exits 2" $((status != 2)); has "Could not find required property 'fields.id.start'" "$tmp/err"; check "sequence start message" $?

# 7. slots
run sql -D parallelism.default=4 -f "$tmp/gen.sql"
check "too few slots exits 2" $((status != 2)); has "needs 4 task slots" "$tmp/err"; check "slots: needed" $?; has "has 1 (taskmanager.numberOfTaskSlots)" "$tmp/err"; check "slots: available" $?

# 8. runtime errors name the task and the expression
cat > "$tmp/div.sql" <<EOF
CREATE TABLE s (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '10', 'fields.id.kind' = 'sequence',
  'fields.id.start' = '0', 'fields.id.end' = '9');
CREATE TABLE p (x INT) WITH ('connector' = 'blackhole');
INSERT INTO p SELECT 10 / id FROM s;
EOF
run sql -f "$tmp/div.sql"
check "division by zero fails the job (exit 1)" $((status != 1)); has "failed" "$tmp/err"; check "failure reported" $?
grep -qi "division by zero\|divide by zero\|/ by zero" "$tmp/err"; check "failure: the reason" $?; [ $? -eq 0 ] || show
has "(1/1)" "$tmp/err"; check "failure: the subtask" $?

# 9. socket source: records split across writes, job ends when the peer closes
port_file="$tmp/port"
python3 - "$port_file" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
data = "".join("hello world %d\n" % i for i in range(2000)).encode()
for i in range(0, len(data), 777):   # records cut across writes
    c.sendall(data[i:i + 777])
    if i % 7770 == 0: time.sleep(0.01)
c.close(); s.close()
PY
srv_pid=$!
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
cat > "$tmp/sock.sql" <<EOF
CREATE TABLE lines (line STRING) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1', 'port' = '$(cat "$port_file")', 'format' = 'raw');
CREATE TABLE out2 (w STRING, n INT) WITH ('connector' = 'filesystem', 'path' = '$tmp/out2', 'format' = 'csv');
INSERT INTO out2 SELECT SPLIT_INDEX(line, ' ', 0), CAST(SPLIT_INDEX(line, ' ', 2) AS INT) FROM lines;
EOF
run sql -f "$tmp/sock.sql"
check "socket job ends when the peer closes (exit 0)" $status; [ $status -eq 0 ] || show
check "socket: all 2000 records" $(( $(visible_lines "$tmp/out2") != 2000 ))
cut -d, -f2 "$tmp"/out2/part-* | sort -n | uniq | wc -l | grep -qx 2000; check "socket: each record once" $?
wait "$srv_pid" 2>/dev/null; srv_pid=
printf "CREATE TABLE l (line STRING) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1', 'port' = '1', 'format' = 'raw');\nCREATE TABLE p (line STRING) WITH ('connector' = 'print');\nINSERT INTO p SELECT line FROM l;\n" > "$tmp/refused.sql"
run sql -f "$tmp/refused.sql"
check "socket refused exits 1" $((status != 1)); has "cannot connect to socket source 127.0.0.1:1" "$tmp/err"; check "socket refused message" $?

# 10. graceful stop on SIGTERM: unbounded datagen -> filesystem; every row read is written and committed
cat > "$tmp/unbounded.sql" <<EOF
CREATE TABLE s (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20000', 'fields.id.kind' = 'sequence',
  'fields.id.start' = '1', 'fields.id.end' = '100000000');
CREATE TABLE o (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '$tmp/out3', 'format' = 'csv');
INSERT INTO o SELECT id FROM s;
EOF
"$BIN" sql -f "$tmp/unbounded.sql" >"$tmp/out" 2>"$tmp/err" &
job=$!
for _ in $(seq 200); do ls -a "$tmp/out3" 2>/dev/null | grep -q inprogress && break; sleep 0.05; done
sleep 0.5
kill -TERM $job; wait $job; status=$?
check "SIGTERM: exit 0" $status; [ $status -eq 0 ] || show
has "stopped" "$tmp/err"; check "SIGTERM: summary says stopped" $?
n=$(visible_lines "$tmp/out3")
read_n=$(sed -n 's/.* \([0-9]*\) records read.*/\1/p' "$tmp/err")
[ "$n" -gt 0 ] && [ "$n" = "$read_n" ]; check "SIGTERM: rows written ($n) = rows read ($read_n)" $?
max=$(sort -n "$tmp"/out3/part-* | tail -1)
[ "$max" = "$n" ]; check "SIGTERM: a gapless sequence 1..$n" $?
! ls -a "$tmp/out3" | grep -q inprogress; check "SIGTERM: nothing left in progress" $?

# 11. a bare query prints its rows
printf "CREATE TABLE s (id INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3');\nSELECT id, id * id AS sq FROM s;\n" > "$tmp/query.sql"
run sql -f "$tmp/query.sql"
check "bare query exits 0" $status
printf '+I[1, 1]\n+I[2, 4]\n+I[3, 9]\n' | cmp -s - "$tmp/out"; check "bare query printed" $?

# 12. format round trips: datagen -> csv / debezium-json files -> read back -> json; same rows
# (the three INSERTs scan the source separately: time values are computed from id, not the clock)
cat > "$tmp/rt.sql" <<EOF
CREATE TABLE g (id BIGINT, s STRING, d DOUBLE, b BOOLEAN, amt DECIMAL(10, 2)) WITH (
  'connector' = 'datagen', 'number-of-rows' = '200', 'seed' = '5', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',
  'fields.id.end' = '200', 'fields.s.length' = '5', 'fields.d.min' = '-10', 'fields.d.max' = '10', 'fields.b.null-rate' = '0.3',
  'fields.amt.min' = '-100', 'fields.amt.max' = '100');
CREATE TABLE c (id BIGINT, s STRING, d DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, amt DECIMAL(10, 2))
  WITH ('connector' = 'filesystem', 'path' = '$tmp/rt_csv', 'format' = 'csv');
CREATE TABLE z (id BIGINT, s STRING, d DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, amt DECIMAL(10, 2))
  WITH ('connector' = 'filesystem', 'path' = '$tmp/rt_dbz', 'format' = 'debezium-json');
CREATE TABLE j (id BIGINT, s STRING, d DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, amt DECIMAL(10, 2))
  WITH ('connector' = 'filesystem', 'path' = '$tmp/rt_json', 'format' = 'json');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO c SELECT id, s, d, b, TIMESTAMPADD(MINUTE, CAST(id AS INT) * 97, TIMESTAMP '2024-02-28 23:59:59.123'), CAST(TIMESTAMPADD(DAY, CAST(id AS INT), TIMESTAMP '1969-12-01 00:00:00') AS DATE), amt FROM g;
  INSERT INTO z SELECT id, s, d, b, TIMESTAMPADD(MINUTE, CAST(id AS INT) * 97, TIMESTAMP '2024-02-28 23:59:59.123'), CAST(TIMESTAMPADD(DAY, CAST(id AS INT), TIMESTAMP '1969-12-01 00:00:00') AS DATE), amt FROM g;
  INSERT INTO j SELECT id, s, d, b, TIMESTAMPADD(MINUTE, CAST(id AS INT) * 97, TIMESTAMP '2024-02-28 23:59:59.123'), CAST(TIMESTAMPADD(DAY, CAST(id AS INT), TIMESTAMP '1969-12-01 00:00:00') AS DATE), amt FROM g;
END;
EOF
run sql -f "$tmp/rt.sql"
check "round trip: write csv, debezium-json, json (exit 0)" $status; [ $status -eq 0 ] || show
cat > "$tmp/back_csv.sql" <<EOF
CREATE TABLE i (id BIGINT, s STRING, d DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, amt DECIMAL(10, 2))
  WITH ('connector' = 'filesystem', 'path' = '$tmp/rt_csv', 'format' = 'csv');
CREATE TABLE o (id BIGINT, s STRING, d DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, amt DECIMAL(10, 2))
  WITH ('connector' = 'filesystem', 'path' = '$tmp/back_csv', 'format' = 'json');
INSERT INTO o SELECT * FROM i;
EOF
run sql -f "$tmp/back_csv.sql"
check "round trip: read csv back (exit 0)" $status; [ $status -eq 0 ] || show
sort "$tmp"/back_csv/part-* > "$tmp/b1"; sort "$tmp"/rt_json/part-* > "$tmp/b2"
cmp -s "$tmp/b1" "$tmp/b2"; check "round trip: csv gives the same 200 rows as json" $?
# debezium-json is a changelog: read back into print (+I rows); a json sink refuses it, as Flink's planner does
sed -e "s|rt_csv|rt_dbz|; s|'csv'|'debezium-json'|" "$tmp/back_csv.sql" > "$tmp/back_dbz.sql"
run sql -f "$tmp/back_dbz.sql"
check "changelog into a json sink exits 2" $((status != 2)); has "doesn't support consuming update and delete changes" "$tmp/err"; check "changelog into json: Flink's message" $?
sed -i "s|'connector' = 'filesystem', 'path' = '$tmp/back_csv', 'format' = 'json'|'connector' = 'print'|" "$tmp/back_dbz.sql"
run sql -f "$tmp/back_dbz.sql"
check "round trip: read debezium-json back (exit 0)" $status; [ $status -eq 0 ] || show
check "round trip: debezium-json gives 200 +I rows" $(( $(grep -c '^+I\[' "$tmp/out") != 200 ))
grep -q '"op":"c"' "$tmp"/rt_dbz/part-*; check "debezium-json: op c records" $?

# 13. the netcat word count: a socket peer sends words (one per line); counts per word, updated as
#     they come (+I, then -U/+U), end when the peer closes; the last value per word is its count
python3 - "$tmp/wc_port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
words = ["to", "be", "or", "not", "to", "be", "that", "is", "the", "question"] * 50
for i, w in enumerate(words):
    c.sendall((w + "\n").encode())
    if i % 100 == 0: time.sleep(0.02)
c.close(); s.close()
PY
srv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/wc_port" ] && break; sleep 0.05; done
cat > "$tmp/wc.sql" <<EOF
CREATE TABLE words (word STRING) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1', 'port' = '$(cat "$tmp/wc_port")', 'format' = 'raw');
CREATE TABLE counts (word STRING, n BIGINT) WITH ('connector' = 'print');
INSERT INTO counts SELECT word, COUNT(*) FROM words GROUP BY word;
EOF
run sql -f "$tmp/wc.sql"
check "word count: exit 0 when the peer closes" $status; [ $status -eq 0 ] || show
awk -F'[][, ]+' '/^[+]I|^[+]U/ { last[$2] = $3 } END { for (w in last) print w, last[w] }' "$tmp/out" | sort > "$tmp/wc_final"
printf 'be 100\nis 50\nnot 50\nor 50\nquestion 50\nthat 50\nthe 50\nto 100\n' | cmp -s - "$tmp/wc_final"; check "word count: final counts" $?; [ $? -eq 0 ] || cat "$tmp/wc_final"
grep -q '^-U\[to, 1\]' "$tmp/out" && grep -q '^+U\[to, 2\]' "$tmp/out"; check "word count: updates as -U/+U" $?
wait "$srv_pid" 2>/dev/null; srv_pid=

# 14. WITH, views, subqueries in FROM and UNION ALL / UNION: two datagen sequences, a view over one,
#     a CTE over the other, their union into a csv file (UNION ALL: every row, the INT side cast to
#     BIGINT; the WHERE above the union applies to both sides) and the distinct union into print
cat > "$tmp/union.sql" <<EOF
CREATE TABLE ua (id BIGINT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '6', 'rows-per-second' = '1000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '6', 'fields.name.length' = '3');
CREATE TABLE ub (k INT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'rows-per-second' = '1000000',
  'fields.k.kind' = 'sequence', 'fields.k.start' = '4', 'fields.k.end' = '8');
CREATE TABLE uout (id BIGINT, src STRING) WITH ('connector' = 'filesystem', 'path' = '$tmp/uout', 'format' = 'csv');
CREATE TABLE uprint (id BIGINT) WITH ('connector' = 'print');
CREATE VIEW small (x, tag) AS SELECT id, 'a' FROM ua WHERE id <= 3;
INSERT INTO uout
WITH evens AS (SELECT k FROM ub WHERE MOD(k, 2) = 0), tagged (n, t) AS (SELECT k, 'b' FROM evens)
SELECT * FROM (SELECT x, tag FROM small UNION ALL SELECT n, t FROM tagged) AS u WHERE x <> 2;
INSERT INTO uprint SELECT id FROM ua UNION SELECT k FROM ub;
EOF
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/union.sql"
check "union/CTE/view job exits 0" $status; [ $status -eq 0 ] || show
sort -t, -k1n "$tmp"/uout/part-* > "$tmp/uout_all" 2>/dev/null
printf '1,a\n3,a\n4,b\n6,b\n8,b\n' | cmp -s - "$tmp/uout_all"; check "UNION ALL of a view and a CTE: exact rows" $?
grep -oE '\+I\[[0-9]+\]' "$tmp/out" | tr -dc '0-9\n' | sort -n | tr '\n' ' ' > "$tmp/udist"
[ "$(cat "$tmp/udist")" = "1 2 3 4 5 6 7 8 " ]; check "UNION (distinct): each id once" $?
! grep -qE '[-+]U\[' "$tmp/out"; check "UNION (distinct): no updates for repeated rows" $?
run explain -f "$tmp/union.sql"
has "Union(all=[true], union=[x, tag])" "$tmp/out" && has "GroupAggregate(groupBy=[id], select=[id])" "$tmp/out"; check "explain: the Union and the distinct aggregate" $?

# 15. VALUES: INSERT ... VALUES into print (constant expressions, NULL, the common DECIMAL type), a
#     VALUES table joined with a datagen table at parallelism 2, a row of the wrong length
cat > "$tmp/values.sql" <<EOF
CREATE TABLE vp (a DECIMAL(11, 1), b STRING) WITH ('connector' = 'print');
INSERT INTO vp VALUES (1, 'x'), (2.5, UPPER('y')), (1 + 2, CAST(NULL AS STRING));
EOF
run sql -f "$tmp/values.sql"
check "INSERT VALUES exits 0" $status; [ $status -eq 0 ] || show
printf '+I[1.0, x]\n+I[2.5, Y]\n+I[3.0, null]\n' | cmp -s - "$tmp/out"; rc=$?; check "INSERT VALUES: exact rows in order" $rc; [ $rc -eq 0 ] || show
has "3 records read, 3 written" "$tmp/err"; check "INSERT VALUES: summary counts" $?
cat > "$tmp/values_join.sql" <<EOF
CREATE TABLE vg (id INT, v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'rows-per-second' = '1000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '5',
  'fields.v.kind' = 'sequence', 'fields.v.start' = '11', 'fields.v.end' = '15');
CREATE TABLE vj (name STRING, v INT) WITH ('connector' = 'print');
INSERT INTO vj SELECT t.name, vg.v FROM (VALUES (2, 'two'), (4, 'four'), (9, 'nine')) AS t(id, name) JOIN vg ON t.id = vg.id;
EOF
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/values_join.sql"
check "VALUES join datagen exits 0" $status; [ $status -eq 0 ] || show
grep -oE '\+I\[[a-z]+, [0-9]+\]' "$tmp/out" | sort > "$tmp/vj"
printf '+I[four, 14]\n+I[two, 12]\n' | cmp -s - "$tmp/vj"; rc=$?; check "VALUES join datagen: matching rows" $rc; [ $rc -eq 0 ] || show
run explain -D parallelism.default=2 -f "$tmp/values_join.sql"
has "Vertex 1: Values -> Calc (parallelism 1," "$tmp/out"; check "explain: Values runs with parallelism 1" $?
printf "CREATE TABLE vp (a INT, b INT) WITH ('connector' = 'print');\nINSERT INTO vp VALUES (1, 2), (3);\n" > "$tmp/values_bad.sql"
run sql -f "$tmp/values_bad.sql"
check "VALUES row of another length: exit 2" $(( status != 2 ))
has "values_bad.sql:2:32: error: Values passed to VALUES operator must have compatible types: row 2 has 1 value where the first row has 2" "$tmp/err"
rc=$?; check "VALUES row of another length: message at file:line:col" $rc; [ $rc -eq 0 ] || show
! [ -s "$tmp/out" ]; check "VALUES row of another length: nothing printed" $?

echo "sql_run: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
