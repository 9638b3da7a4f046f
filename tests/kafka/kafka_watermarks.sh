#!/usr/bin/env bash
# Per-partition watermarks of the Kafka source: one source subtask reads a topic of two
# partitions; partition 0 runs ahead (event times 0..58 s), partition 1 lags (1..25 s); a 10 s
# TUMBLE window aggregate (WATERMARK ts - 1 s) prints the windows it closes. The job is
# unbounded and stopped with SIGTERM; windows are checked while it runs.
#   A. no idle timeout: the watermark is the minimum over the partitions (24 s): only the
#      windows at 0 and 10 s close, also after partition 0 gets more records; records at 41
#      and 43 s on partition 1 then close the windows at 20 and 30 s, not the one at 40 s
#   B. table.exec.source.idle-timeout = 1 s: both partitions first reach about 24 s (windows 0
#      and 10 close whichever partition goes idle first); once partition 1 is idle, new records
#      on partition 0 (26..59 s) alone move the watermark to 58 s: windows up to 40 s close (not
#      50 s). (Partition 0 does not run ahead before that: which partition's records a loaded
#      machine fetches first would decide whether partition 1 goes idle while 0 is still active.)
set -u
tmp=$(mktemp -d)
. "${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_kcat
pid=""
jpid=""
cleanup() {
  stop_procs TERM "$jpid" "$pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
produce() { # topic partition seconds...
  local t=$1 p=$2
  shift 2
  for s in "$@"; do printf '{"id":%d,"ts":"2024-01-01 00:00:%02d"}\n' "$s" "$s"; done | kcat -P -b "$bs" -t "$t" -p "$p"
}
# the window starts printed so far (seconds), space-separated
windows() { sed -n 's/^+I\[2024-01-01T00:00:\{0,1\}\([0-9]*\),.*/\1/p' "$1" 2>/dev/null | sed 's/^$/0/' | sort -n | tr '\n' ' '; }
# waits up to 20 s for the printed windows to be $2, then 1.5 s more to see that no other closes
expect_windows() {
  for _ in $(seq 100); do [ "$(windows "$1")" = "$2" ] && break; sleep 0.2; done
  sleep 1.5
  [ "$(windows "$1")" = "$2" ]
}

"$BIN" kafka-dev --topic wma:2 --topic wmb:2 --bootstrap-file "$tmp/bs" >"$tmp/dev.out" 2>"$tmp/dev.err" </dev/null &
pid=$!
wait_kafka_dev "$pid"

job() { # topic, extra -D ...
  local t=$1
  shift
  cat >"$tmp/$t.sql" <<EOF
CREATE TABLE ev (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'kafka',
  'topic' = '$t', 'properties.bootstrap.servers' = '$bs', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE p (ws TIMESTAMP(3), cnt BIGINT) WITH ('connector' = 'print');
INSERT INTO p SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end;
EOF
  "$BIN" sql -f "$tmp/$t.sql" -D parallelism.default=1 -D pipeline.auto-watermark-interval=100ms "$@" >"$tmp/$t.out" 2>"$tmp/$t.err" &
  jpid=$!
}
stop() {
  kill -TERM "$jpid" 2>/dev/null
  wait "$jpid"
  local st=$?
  jpid=""
  ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1" && [ "$st" -eq 0 ]
}

# ---- A. the lagging partition holds event time back
produce wma 0 $(seq 0 2 58)
produce wma 1 $(seq 1 2 25)
job wma
expect_windows "$tmp/wma.out" "0 10 "
rc=$?; check "A: partition 1 (25 s) holds the watermark: windows 0, 10 only (got: $(windows "$tmp/wma.out"))" $rc
produce wma 0 59
expect_windows "$tmp/wma.out" "0 10 "
rc=$?; check "A: more on partition 0 does not close more windows (got: $(windows "$tmp/wma.out"))" $rc
produce wma 1 41 43
expect_windows "$tmp/wma.out" "0 10 20 30 "
rc=$?; check "A: partition 1 at 43 s closes windows 20 and 30, not 40 (got: $(windows "$tmp/wma.out"))" $rc
grep -q '^+I\[2024-01-01T00:00:20, 8\]$' "$tmp/wma.out" && grep -q '^+I\[2024-01-01T00:00:30, 5\]$' "$tmp/wma.out"
check "A: window counts include both partitions' rows" $?
stop "$tmp/wma.err"
check "A: the job stops cleanly" $?

# ---- B. the lagging partition idle-timed-out
produce wmb 0 $(seq 0 2 24)
produce wmb 1 $(seq 1 2 25)
job wmb -D table.exec.source.idle-timeout=1s
expect_windows "$tmp/wmb.out" "0 10 "
rc=$?; check "B: both partitions at about 24 s: windows 0, 10 only (got: $(windows "$tmp/wmb.out"))" $rc
# expect_windows waited 1.5 s after the last window: partition 1 (no record since) is idle
produce wmb 0 $(seq 26 2 58) 59
expect_windows "$tmp/wmb.out" "0 10 20 30 40 "
rc=$?; check "B: partition 1 idle: partition 0 alone (58 s) closes windows up to 40 (got: $(windows "$tmp/wmb.out"))" $rc
stop "$tmp/wmb.err"
check "B: the job stops cleanly" $?

echo "kafka_watermarks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
