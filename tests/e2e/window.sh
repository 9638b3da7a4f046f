#!/usr/bin/env bash
# End-to-end: window aggregates through `sluice sql -f`. A filesystem json source with a WATERMARK
# and out-of-order rows -> TUMBLE / HOP / CUMULATE aggregates -> filesystem json sinks, checked
# against results computed independently here (python3); parallelism 2; processing-time windows;
# a late row over a socket is dropped and counted.
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

# 1. input: 6000 rows, 12 ids, 20 minutes of event time, shuffled by up to 4 s (the watermark
#    waits 5 s, so no row is ever late whatever the watermark timing); the expected results
mkdir -p "$tmp/in"
python3 - "$tmp" <<'PY'
import json, random, sys, datetime, collections
tmp = sys.argv[1]
random.seed(7)
base = datetime.datetime(2024, 3, 1, 12, 0, 0)
rows = []
for i in range(6000):
    t = i * 200 + random.randint(0, 199)              # ms after base, increasing
    rows.append((t + random.randint(-4000, 0), i % 12, random.randint(-50, 100), t))
rows.sort(key=lambda r: r[0])                        # emitted in "arrival" order: out of order by < 4 s
def ts(ms): return (base + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
def out_ts(ms):
    s = (base + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return s[:-4] if s.endswith(".000") else s
with open(tmp + "/in/events.json", "w") as f:
    for _, k, v, t in rows:
        f.write(json.dumps({"id": k, "v": v, "ts": ts(t)}) + "\n")
def emit(name, windows_of):
    acc = collections.defaultdict(lambda: [0, 0, None])
    for _, k, v, t in rows:
        for s, e in windows_of(t):
            a = acc[(s, e, k)]
            a[0] += 1; a[1] += v; a[2] = v if a[2] is None else max(a[2], v)
    with open(tmp + "/expect_" + name, "w") as f:
        for (s, e, k), (c, sm, mx) in sorted(acc.items()):
            f.write("%s|%s|%d|%d|%d|%d\n" % (out_ts(s), out_ts(e), k, c, sm, mx))
fl = lambda t, n: t - t % n
emit("tumble", lambda t: [(fl(t, 10000), fl(t, 10000) + 10000)])
emit("hop", lambda t: [(s, s + 30000) for s in range(fl(t, 10000) - 20000, fl(t, 10000) + 1, 10000) if s <= t < s + 30000])
emit("cumulate", lambda t: [(fl(t, 60000), e) for e in range(fl(t, 60000) + 15000, fl(t, 60000) + 60001, 15000) if e > t])
PY
check "python wrote the input and expectations" $?

cat > "$tmp/win.sql" <<EOF
CREATE TABLE events (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/in', 'format' = 'json');
CREATE TABLE tumble_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), id INT, cnt BIGINT, total BIGINT, mx BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/tumble', 'format' = 'json');
CREATE TABLE hop_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), id INT, cnt BIGINT, total BIGINT, mx BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/hop', 'format' = 'json');
CREATE TABLE cumulate_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), id INT, cnt BIGINT, total BIGINT, mx BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/cumulate', 'format' = 'json');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO tumble_out SELECT window_start, window_end, id, COUNT(*), SUM(v), MAX(v)
    FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, id;
  INSERT INTO hop_out SELECT window_start, window_end, id, COUNT(*), SUM(v), MAX(v)
    FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '30' SECOND)) GROUP BY window_start, window_end, id;
  INSERT INTO cumulate_out SELECT window_start, window_end, id, COUNT(*), SUM(v), MAX(v)
    FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '15' SECOND, INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, id;
END;
EOF
normalize() { # json lines -> sorted "start|end|id|cnt|total|mx"
  python3 -c '
import json, sys
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.strip()]
for r in sorted((r["window_start"], r["window_end"], r["id"], r["cnt"], r["total"], r["mx"]) for r in rows):
    print("%s|%s|%d|%d|%d|%d" % r)' "$1"/part-*
}
compare() { # name dir
  normalize "$2" > "$tmp/got_$1" 2>"$tmp/norm_err"
  cmp -s "$tmp/got_$1" "$tmp/expect_$1"; rc=$?; check "$1: every window and group as computed independently ($(wc -l < "$tmp/expect_$1") rows)" $rc
  cmp -s "$tmp/got_$1" "$tmp/expect_$1" || { diff "$tmp/got_$1" "$tmp/expect_$1" | head -5; cat "$tmp/norm_err"; }
}
run sql -f "$tmp/win.sql"
check "tumble/hop/cumulate job exits 0" $status; [ $status -eq 0 ] || show
compare tumble "$tmp/tumble"
compare hop "$tmp/hop"
compare cumulate "$tmp/cumulate"
has "18000 records read" "$tmp/err"; check "summary: 3 x 6000 records read" $?
has "0 dropped" "$tmp/err"; check "summary: nothing dropped" $?
written=$(( $(wc -l < "$tmp/expect_tumble") + $(wc -l < "$tmp/expect_hop") + $(wc -l < "$tmp/expect_cumulate") ))
has "$written written" "$tmp/err"; check "summary: $written rows written" $?

# 2. parallelism 2: the aggregate is HASH-partitioned by id; same results
sed -e "s|$tmp/tumble'|$tmp/tumble2'|; s|$tmp/hop'|$tmp/hop2'|; s|$tmp/cumulate'|$tmp/cumulate2'|" "$tmp/win.sql" > "$tmp/win2.sql"
run sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/win2.sql"
check "parallelism 2 exits 0" $status; [ $status -eq 0 ] || show
compare tumble "$tmp/tumble2"
compare hop "$tmp/hop2"
compare cumulate "$tmp/cumulate2"

# 3. explain shows the WindowAggregate (with its state) and its HASH edge
cat > "$tmp/one.sql" <<EOF
CREATE TABLE events (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/in', 'format' = 'json');
CREATE TABLE tumble_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), id INT, cnt BIGINT, total BIGINT, mx BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/tumble', 'format' = 'json');
INSERT INTO tumble_out SELECT window_start, window_end, id, COUNT(*), SUM(v), MAX(v)
  FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, id;
EOF
run explain -f "$tmp/one.sql"
check "explain exits 0" $status; [ $status -eq 0 ] || show
has "WindowAggregate(groupBy=[id], window=[TUMBLE(time_col=[ts], size=[10 s])], select=[id, COUNT(*) AS EXPR\$3, SUM(v) AS EXPR\$4, MAX(v) AS EXPR\$5, start('w\$) AS window_start, end('w\$) AS window_end], state=[rocksdb], stateTtl=[none], changelogMode=[I])" "$tmp/out"
check "explain: the WindowAggregate line" $?; [ $? -eq 0 ] || show
has "Edge: vertex 1 -> vertex 2 (left input): HASH[id]" "$tmp/out"; check "explain: HASH edge on the group key" $?

# 4. processing time: a bounded input fires its windows at end of input; every row counted once
cat > "$tmp/proc.sql" <<EOF
CREATE TABLE events (id INT, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME())
  WITH ('connector' = 'filesystem', 'path' = '$tmp/in', 'format' = 'json');
CREATE TABLE proc_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), cnt BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/proc', 'format' = 'json');
INSERT INTO proc_out SELECT window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(pt), INTERVAL '1' HOUR))
  GROUP BY window_start, window_end;
EOF
run sql -f "$tmp/proc.sql"
check "processing-time window job exits 0" $status; [ $status -eq 0 ] || show
total=$(python3 -c 'import json,sys; print(sum(json.loads(l)["cnt"] for f in sys.argv[1:] for l in open(f) if l.strip()))' "$tmp"/proc/part-* 2>/dev/null)
[ "$total" = 6000 ]; check "processing time: the windows count all 6000 rows (got $total)" $?

# 5. late data over a socket: rows, a pause (the periodic watermark passes 00:00:10), a row for
#    the fired window (late: dropped and counted), a row for the next window; then the peer closes
python3 - "$tmp/port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
def send(k, v, ts): c.sendall(('{"id": %d, "v": %d, "ts": "2024-01-01 00:00:%s"}\n' % (k, v, ts)).encode())
send(1, 1, "01.000"); send(1, 2, "09.000"); send(2, 4, "05.000"); send(1, 8, "15.000")
time.sleep(2.0)           # the watermark (15 s - 1 s = 14 s) fires [00:00, 00:10)
send(1, 16, "03.000")     # late: its window has fired
send(2, 32, "12.000")     # on time: [00:10, 00:20) is open
time.sleep(0.3)
c.close(); s.close()
PY
srv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
cat > "$tmp/late.sql" <<EOF
CREATE TABLE s (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'socket', 'hostname' = '127.0.0.1', 'port' = '$(cat "$tmp/port")', 'format' = 'json');
CREATE TABLE o (window_start TIMESTAMP(3), window_end TIMESTAMP(3), id INT, cnt BIGINT, total BIGINT, mx BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/late', 'format' = 'json');
INSERT INTO o SELECT window_start, window_end, id, COUNT(*), SUM(v), MAX(v)
  FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, id;
EOF
run sql -D pipeline.auto-watermark-interval=100ms -f "$tmp/late.sql"
check "late-data job exits 0" $status; [ $status -eq 0 ] || show
normalize "$tmp/late" > "$tmp/got_late" 2>/dev/null
printf '%s\n' "2024-01-01 00:00:00|2024-01-01 00:00:10|1|2|3|2" "2024-01-01 00:00:00|2024-01-01 00:00:10|2|1|4|4" \
  "2024-01-01 00:00:10|2024-01-01 00:00:20|1|1|8|8" "2024-01-01 00:00:10|2024-01-01 00:00:20|2|1|32|32" | cmp -s - "$tmp/got_late"
check "late data: the late row is not in any window" $?; [ $? -eq 0 ] || cat "$tmp/got_late"
has "6 records read, 4 written, 1 dropped" "$tmp/err"; check "late data: dropped and counted in the summary" $?; [ $? -eq 0 ] || show
wait "$srv_pid" 2>/dev/null; srv_pid=

# 6. SESSION windows: bursts per id with gaps, shuffled by up to 4 s (the watermark waits 5 s, so no
#    row is late); the expected sessions computed here: per id in time order, a row more than the gap
#    (3 s) after the previous one opens a new session [first, last + gap). Parallelism 1 and 2.
mkdir -p "$tmp/sin"
python3 - "$tmp" <<'PY'
import json, random, sys, datetime, collections
tmp = sys.argv[1]
random.seed(11)
base = datetime.datetime(2024, 3, 1, 12, 0, 0)
GAP = 3000
rows = []
for k in range(8):
    t = random.randint(0, 5000)
    for i in range(400):
        rows.append((t + random.randint(-4000, 0), k, random.randint(-20, 40), t))
        t += random.randint(4000, 9000) if random.random() < 0.12 else random.randint(50, 2800)
rows.sort(key=lambda r: r[0])
def ts(ms): return (base + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
def out_ts(ms):  # as Flink prints TIMESTAMP(3): trailing zeros of the fraction dropped
    return ts(ms).rstrip("0").rstrip(".")
with open(tmp + "/sin/events.json", "w") as f:
    for _, k, v, t in rows:
        f.write(json.dumps({"id": k, "v": v, "ts": ts(t)}) + "\n")
by_key = collections.defaultdict(list)
for _, k, v, t in rows: by_key[k].append((t, v))
out = []
for k, evs in by_key.items():
    evs.sort()
    cur = None
    for t, v in evs:
        if cur is None or t - cur["last"] > GAP:
            if cur: out.append(cur)
            cur = {"k": k, "first": t, "last": t, "vs": []}
        cur["last"] = t; cur["vs"].append(v)
    out.append(cur)
with open(tmp + "/expect_session", "w") as f:
    for r in sorted((out_ts(s["first"]), out_ts(s["last"] + GAP), s["k"], len(s["vs"]), sum(s["vs"]), max(s["vs"]), len(set(s["vs"]))) for s in out):
        f.write("%s|%s|%d|%d|%d|%d|%d\n" % r)
PY
check "python wrote the session input and expectations" $?
cat > "$tmp/sess.sql" <<EOF
CREATE TABLE events (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/sin', 'format' = 'json');
CREATE TABLE session_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), id INT, cnt BIGINT, total BIGINT, mx BIGINT, nd BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '$tmp/OUTDIR', 'format' = 'json');
INSERT INTO session_out SELECT window_start, window_end, id, COUNT(*), SUM(v), MAX(v), COUNT(DISTINCT v)
  FROM TABLE(SESSION(TABLE events PARTITION BY id, DESCRIPTOR(ts), INTERVAL '3' SECOND)) GROUP BY window_start, window_end, id;
EOF
normalize_session() {
  python3 -c '
import json, sys
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.strip()]
for r in sorted((r["window_start"], r["window_end"], r["id"], r["cnt"], r["total"], r["mx"], r["nd"]) for r in rows):
    print("%s|%s|%d|%d|%d|%d|%d" % r)' "$1"/part-*
}
for par in 1 2; do
  sed "s|OUTDIR|session$par|" "$tmp/sess.sql" > "$tmp/sess$par.sql"
  run sql -D parallelism.default=$par -D taskmanager.numberOfTaskSlots=2 -f "$tmp/sess$par.sql"
  check "session job (parallelism $par) exits 0" $status; [ $status -eq 0 ] || show
  normalize_session "$tmp/session$par" > "$tmp/got_session$par" 2>"$tmp/norm_err"
  cmp -s "$tmp/got_session$par" "$tmp/expect_session"
  rc=$?; check "session (parallelism $par): every session as computed independently ($(wc -l < "$tmp/expect_session") rows)" $rc
  cmp -s "$tmp/got_session$par" "$tmp/expect_session" || { diff "$tmp/got_session$par" "$tmp/expect_session" | head -5; cat "$tmp/norm_err"; }
  has "0 dropped" "$tmp/err"; check "session (parallelism $par): nothing dropped" $?
done

echo "window: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
