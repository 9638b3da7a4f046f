#!/usr/bin/env bash
# Exactly-once, proved on the flagship job (issue 8): examples/seed_join.sql (Kafka in, a keyed
# join on RocksDB, Kafka out) with checkpoints every second and an exactly-once Kafka sink, while
# a feeder job writes the inputs at a limited rate. The whole `sluice sql` process is killed with
# SIGKILL at random moments, KILLS times in a row, and each time started again from the newest
# retained checkpoint (`sluice sql -s <chk-n>`); the last run is stopped with SIGTERM, which takes
# a savepoint and commits. A read_committed consumer (kcat) must then see every expected joined
# row exactly once: none lost, none duplicated (see the note on the dev cluster at the kill).
# Then, in the same job's life: an injected task failure recovered in-process by the restart
# strategy, and a rescale 2 -> 4 -> 2 through savepoints taken on graceful stops.
#
# The script runs as it is except for: the bootstrap servers, the sink's delivery guarantee
# ('exactly-once' + a transactional id prefix) and the checkpoint settings (SET lines in front).
set -u
SRC="${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
tmp=$(mktemp -d)
. "$SRC/tests/lib/common.sh"
need_kcat
dev_pid=""
feed_pid=""
job_pid=""
cleanup() {
  for p in $job_pid $feed_pid $dev_pid; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "FAIL: $1"; for f in "$tmp"/*.err*; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
N=${FLAGSHIP_EOS_ROWS:-20000}   # rows per input topic
RATE=${FLAGSHIP_EOS_RATE:-1500} # rows per second per topic written by the feeder
KILLS=${FLAGSHIP_EOS_KILLS:-3}
PAR=2

"$BIN" kafka-dev --brokers 1 --topic kafka_Flink_xiaoneng_1kb_006:4 --topic kafka_Flink_xiaoneng_1kb_005:4 \
  --topic kafka_Flink_1302:2 --bootstrap-file "$tmp/bs" </dev/null >"$tmp/dev.out" 2>"$tmp/dev.err" &
dev_pid=$!
wait_kafka_dev "$dev_pid"

# ---- the feeder: ids 1..N left (a quarter with name1 NULL), N/2+1..3N/2 right, at RATE rows/s
. "$SRC/scripts/flagship_fill.sh"
flagship_fill_sql "$N" "$bs" "$RATE" 300 >"$tmp/feed.sql"
"$BIN" sql -f "$tmp/feed.sql" >"$tmp/feed.out" 2>"$tmp/feed.err" &
feed_pid=$!

# ---- the flagship script: exactly-once sink, checkpoints every second
{
  echo "SET 'execution.checkpointing.interval' = '1s';"
  echo "SET 'execution.checkpointing.dir' = 'file://$tmp/chk';"
  echo "SET 'execution.checkpointing.savepoint-dir' = 'file://$tmp/sp';"
  echo "SET 'execution.checkpointing.externalized-checkpoint-retention' = 'RETAIN_ON_CANCELLATION';"
  echo "SET 'execution.checkpointing.num-retained' = '2';"
  sed -e "s/'properties.bootstrap.servers' = 'xxx'/'properties.bootstrap.servers' = '$bs'/" \
    -e "s/'properties.acks' = '1',/'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'flagship-eos',/" \
    "$SRC/examples/seed_join.sql"
} >"$tmp/job.sql"
grep -q "'sink.delivery-guarantee' = 'exactly-once'" "$tmp/job.sql"; check "the sink is exactly-once" $?

from=""
kills=0
for ((k = 0; k < KILLS; k++)); do
  "$BIN" sql -D parallelism.default=$PAR -D taskmanager.numberOfTaskSlots=$PAR -D io.tmp.dirs="$tmp/io" -f "$tmp/job.sql" \
    ${from:+-s "$from"} >"$tmp/job.out.$k" 2>"$tmp/job.err.$k" &
  job_pid=$!
  # wait for a checkpoint of this run, then kill at a random moment within the next 2 s
  before=$(latest_chk "$tmp/chk")
  for ((i = 0; i < 600; i++)); do
    now=$(latest_chk "$tmp/chk")
    [ -n "$now" ] && [ "$now" != "$before" ] && break
    kill -0 "$job_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$job_pid" 2>/dev/null || die "run $k ended by itself"
  if ((k < KILLS)); then
    # the dev cluster (librdkafka 2.0.2's mock) does not hide aborted or open transactions from
    # read_committed consumers, so a kill while the sink commits an epoch (the ~50 ms after a
    # checkpoint completes) shows that epoch twice there; real Kafka hides it. By default the kill
    # lands between commits (0.3-0.7 s after a checkpoint, interval 1 s);
    # FLAGSHIP_EOS_ANYTIME=1 kills at any moment and reports what the dev cluster shows.
    if [ -n "${FLAGSHIP_EOS_ANYTIME:-}" ]; then sleep "$((RANDOM % 2)).$((RANDOM % 10))"; else sleep "0.$((3 + RANDOM % 5))"; fi
    kill -KILL "$job_pid"
    wait "$job_pid" 2>/dev/null
    kills=$((kills + 1))
    from=$(latest_chk "$tmp/chk")
    [ -n "$from" ] || die "no checkpoint to restart from after kill $k"
  fi
done
check "killed with SIGKILL $kills times, restarted from the newest checkpoint each time" $((kills != KILLS))
# what the killed runs left in io.tmp.dirs (RocksDB stores, the join's changelog, local checkpoint
# directories, the sink's spill files) was removed by the run after them: only the running one's is there
stale=$(ls "$tmp/io" | grep -E '^sluice-(state|changelog|cp|kafka-wal)-[0-9]+-' | grep -c -v -E "^sluice-[a-z-]+-$job_pid-")
check "the killed runs' working directories in io.tmp.dirs are gone ($stale left)" $((stale != 0))

# an injected task failure in the next run: the restart strategy recovers in-process from the
# latest checkpoint; a graceful stop then takes a savepoint (and commits up to it)
stop_run() { # <run index>: SIGTERM, wait, the savepoint's path
  kill -TERM "$job_pid"
  wait "$job_pid"
  local st=$?
  job_pid=""
  sp=$(sed -n 's/^Savepoint completed. Path: file://p' "$tmp/job.err.$1")
  [ $st -eq 0 ] && [ -f "$sp/_metadata" ]
}
run_from() { # <run index> <parallelism> <from> [extra args]
  local k=$1 p=$2 f=$3
  shift 3
  "$BIN" sql -D parallelism.default=$p -D taskmanager.numberOfTaskSlots=$p -D io.tmp.dirs="$tmp/io" -f "$tmp/job.sql" -s "$f" "$@" \
    >"$tmp/job.out.$k" 2>"$tmp/job.err.$k" &
  job_pid=$!
}
k=$((KILLS + 1))
run_from $k $PAR "$from" -D sluice.testing.fail-after-records=200 -D restart-strategy.type=fixed-delay -D restart-strategy.fixed-delay.delay=200ms
for ((i = 0; i < 600; i++)); do grep -q "^Restarting in" "$tmp/job.err.$k" && break; kill -0 "$job_pid" 2>/dev/null || break; sleep 0.05; done
sleep 1.5
stop_run $k; check "an injected task failure: restarted in-process, then stopped with a savepoint" $?
grep -q "^Restarting in 200 ms from checkpoint" "$tmp/job.err.$k"; check "the in-process restart restored a checkpoint" $?
# rescale 2 -> 4 -> 2 through savepoints while the feeder still writes
run_from $((k + 1)) 4 "$sp"
sleep 2
stop_run $((k + 1)); check "restored at parallelism 4 from a parallelism-2 savepoint, stopped with a savepoint" $?
run_from $((k + 2)) $PAR "$sp"
# the last run: once the feeder is done and the job has read everything, a graceful stop takes a
# savepoint, which commits the last transaction
wait "$feed_pid"; st=$?; feed_pid=""
check "feeder wrote both inputs" $st
timeout 60 kcat -C -b "$bs" -t kafka_Flink_xiaoneng_1kb_006 -o beginning -e -q >"$tmp/left.json" 2>/dev/null
timeout 60 kcat -C -b "$bs" -t kafka_Flink_xiaoneng_1kb_005 -o beginning -e -q >"$tmp/right.json" 2>/dev/null
sleep 3
stop_run $((k + 2)); check "restored at parallelism 2 from the parallelism-4 savepoint, the last run stops with a savepoint" $?
grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$tmp"/job.err.*; check "no sanitizer report" $((! $?))

timeout 60 kcat -C -b "$bs" -t kafka_Flink_1302 -X isolation.level=read_committed -o beginning -e -q >"$tmp/out.json" 2>/dev/null
python3 - "$tmp/left.json" "$tmp/right.json" "$tmp/out.json" <<'EOF'
import json, sys, collections
left = [json.loads(l) for l in open(sys.argv[1])]
right = [json.loads(l) for l in open(sys.argv[2])]
out = [json.loads(l) for l in open(sys.argv[3])]
rname = {r["id"]: r["name"] for r in right}
expected = {l["id"]: rname[l["id"]] for l in left if l["name1"] is not None and l["id"] in rname}
seen = collections.Counter(o["id"] for o in out)
dups = sum(c - 1 for c in seen.values() if c > 1)
missing = set(expected) - set(seen)
extra = set(seen) - set(expected)
wrong = sum(1 for o in out if o["id"] in expected and o["name"] != expected[o["id"]])
print("flagship exactly-once: expected %d joined rows, read_committed consumer got %d (missing %d, duplicated %d, extra %d, wrong %d)"
      % (len(expected), len(out), len(missing), dups, len(extra), wrong))
sys.exit(1 if dups or missing or extra or wrong or not expected else 0)
EOF
check "every joined row exactly once after $KILLS SIGKILLs, a task failure and a rescale 2 -> 4 -> 2 (read_committed)" $?

kill -TERM "$dev_pid"; wait "$dev_pid"; dev_pid=""
echo "flagship_eos: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
