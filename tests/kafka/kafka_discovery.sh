#!/usr/bin/env bash
# Partition discovery of the Kafka source ('scan.topic-partition-discovery.interval'). The dev
# cluster (librdkafka 2.0.2's mock) cannot add partitions to a topic, so a new topic that matches
# a 'topic-pattern' stands for them (the same code path: new partitions in a metadata listing).
#   1. two unbounded jobs read 'disc-.*' from the LATEST offset (topic disc-a exists): ON
#      discovers every 1 s (parallelism 2, checkpoints every 1 s), OFF has discovery disabled ('0')
#   2. a new topic disc-new (auto-created, 4 partitions) gets records: ON prints all of them
#      (a discovered partition is read from the earliest offset, not the latest); OFF does not,
#      though it still reads disc-a; no "not implemented" warning any more
#   3. ON's checkpoint holds the offsets of the 4 discovered partitions, each in one subtask
#   4. ON restarted from that checkpoint reads only what came after it in disc-new (restored
#      offsets), and all of disc-late, a topic created after the checkpoint (earliest offset)
#   5. the cluster stops: the running job warns once and keeps running; SIGTERM ends it (exit 0)
set -u
tmp=$(mktemp -d)
. "${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
need_kcat
pid=""
on=""
off=""
cleanup() {
  stop_procs TERM "$on" "$off" "$pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
# (a die of its own: it also shows the jobs' stderr)
die() { echo "FAIL: $1"; cat "$tmp/dev.err" "$tmp"/*.err 2>/dev/null; exit 1; }
produce() { # topic id...
  local t=$1
  shift
  for i in "$@"; do printf '{"id":%d}\n' "$i"; done | kcat -P -b "$bs" -t "$t"
}
produce_to() { # topic partition id...
  local t=$1 p=$2
  shift 2
  for i in "$@"; do printf '{"id":%d}\n' "$i"; done | kcat -P -b "$bs" -t "$t" -p "$p"
}
# the ids of topic $2 (default: all) a print sink printed, sorted, space-separated
ids() { sed -n "s/^\([0-9]*> \)\{0,1\}+I\[\([0-9]*\), ${2:-.*}\]\$/\2/p" "$1" 2>/dev/null | sort -n | tr '\n' ' '; }
wait_ids() { # file topic expected [tries of 0.1 s]
  for _ in $(seq "${4:-100}"); do [ "$(ids "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
  [ "$(ids "$1" "$2")" = "$3" ]
}
latest_chk() {
  ls -d "$1"/*/chk-*/ 2>/dev/null | sed 's|/$||' | while read -r d; do [ -f "$d/_metadata" ] && echo "${d##*chk-} $d"; done |
    sort -n | tail -1 | cut -d' ' -f2
}
stopped_ok() { # pid err-file
  kill -TERM "$1" 2>/dev/null
  wait "$1"
  local st=$?
  ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$2" && [ "$st" -eq 0 ]
}

"$BIN" kafka-dev --topic disc-a:2 --bootstrap-file "$tmp/bs" >"$tmp/dev.out" 2>"$tmp/dev.err" </dev/null &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/bs" ] && break; kill -0 "$pid" 2>/dev/null || die "kafka-dev exited"; sleep 0.1; done
[ -s "$tmp/bs" ] || die "no bootstrap file"
bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs")

job() { # name interval
  cat >"$tmp/$1.sql" <<EOF
SET 'execution.checkpointing.interval' = '1s';
SET 'execution.checkpointing.dir' = 'file://$tmp/chk-$1';
SET 'execution.checkpointing.externalized-checkpoint-retention' = 'RETAIN_ON_CANCELLATION';
CREATE TABLE k (id INT, t STRING METADATA FROM 'topic' VIRTUAL) WITH ('connector' = 'kafka',
  'topic-pattern' = 'disc-.*', 'properties.bootstrap.servers' = '$bs', 'format' = 'json',
  'scan.startup.mode' = 'latest-offset', 'scan.topic-partition-discovery.interval' = '$2');
CREATE TABLE p (id INT, t STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM k;
EOF
}

# ---- 1. both jobs run (from the latest offset: records go in until both print some)
produce disc-a 0
job on "1 s"
job off "0"
"$BIN" sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/on.sql" >"$tmp/on.out" 2>"$tmp/on.err" &
on=$!
"$BIN" sql -f "$tmp/off.sql" >"$tmp/off.out" 2>"$tmp/off.err" &
off=$!
for i in $(seq 1 100); do
  [ -n "$(ids "$tmp/on.out" disc-a)" ] && [ -n "$(ids "$tmp/off.out" disc-a)" ] && break
  produce disc-a "$i"
  sleep 0.2
done
[ -n "$(ids "$tmp/on.out" disc-a)" ] && [ -n "$(ids "$tmp/off.out" disc-a)" ]; check "both jobs read disc-a" $?
case " $(ids "$tmp/on.out") $(ids "$tmp/off.out") " in *" 0 "*) false ;; esac; check "both started at the latest offset" $?

# ---- 2. a new matching topic
# two records in each of its 4 partitions, so both of ON's subtasks (2 partitions each) get some:
# kcat sends keyless records to random partitions, and 8 of them can all land in one subtask's
# two (seen once in a full make test: "ON: both subtasks print rows" failed)
for p in 0 1 2 3; do produce_to disc-new "$p" $((101 + 2 * p)) $((102 + 2 * p)); done
wait_ids "$tmp/on.out" disc-new "101 102 103 104 105 106 107 108 " 80
rc=$?
check "ON discovers disc-new and reads it from the earliest offset (got: $(ids "$tmp/on.out" disc-new))" $rc
produce disc-a 1000
wait_ids "$tmp/off.out" disc-a "$(ids "$tmp/off.out" disc-a)1000 " 50; check "OFF still reads disc-a" $?
[ -z "$(ids "$tmp/off.out" disc-new)" ]; rc=$?
check "OFF does not see disc-new (got: $(ids "$tmp/off.out" disc-new))" $rc
grep -q "^1> " "$tmp/on.out" && grep -q "^2> " "$tmp/on.out"; check "ON: both subtasks print rows" $?
! grep -qi "not implemented" "$tmp/on.err" "$tmp/off.err"; check "no 'not implemented' warning" $?
stopped_ok "$off" "$tmp/off.err"; check "OFF stops cleanly" $?
off=""

# ---- 3. the discovered partitions are in ON's checkpoint (a checkpoint after the reads)
first=$(latest_chk "$tmp/chk-on")
for _ in $(seq 40); do now=$(latest_chk "$tmp/chk-on"); [ -n "$now" ] && [ "$now" != "$first" ] && break; sleep 0.1; done
stopped_ok "$on" "$tmp/on.err"; check "ON stops cleanly (SIGTERM)" $?
on=""
chk=$(latest_chk "$tmp/chk-on")
[ -n "$chk" ] || die "ON left no checkpoint"
parts=$(grep -ao '"topic":"disc-new","partition":[0-9]*' "$chk/_metadata" | sed 's/.*://' | sort -n | tr '\n' ' ')
[ "$parts" = "0 1 2 3 " ]; check "the checkpoint holds disc-new's partitions 0..3 once each (got: $parts)" $?

# ---- 4. restored from it: only the new records of disc-new, all of disc-late (created since)
produce disc-new 201 202 203
produce disc-late 301 302 303
"$BIN" sql -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2 -f "$tmp/on.sql" -s "$chk" >"$tmp/on2.out" 2>"$tmp/on2.err" &
on=$!
wait_ids "$tmp/on2.out" disc-late "301 302 303 " 100
rc=$?
check "restored: a topic created after the checkpoint is read from the earliest offset (got: $(ids "$tmp/on2.out" disc-late))" $rc
wait_ids "$tmp/on2.out" disc-new "201 202 203 " 20
rc=$?
check "restored: the discovered partitions continue at their offsets (got: $(ids "$tmp/on2.out" disc-new))" $rc

# ---- 5. discovery fails: one warning, the job keeps running
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
# (each listing waits up to fetch.wait.max.ms + 1.5 s; every 1 s)
for _ in $(seq 80); do [ "$(grep -c "partition discovery failed" "$tmp/on2.err")" -ge 2 ] && break; sleep 0.1; done
sleep 1.5
kill -0 "$on" 2>/dev/null; check "the job survives failed discoveries" $?
n=$(grep -c "partition discovery failed" "$tmp/on2.err")
[ "$n" -eq 2 ]; check "failed discoveries: one warning per subtask (got $n)" $?
stopped_ok "$on" "$tmp/on2.err"; check "the restored job stops cleanly" $?
on=""

echo "kafka_discovery: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
