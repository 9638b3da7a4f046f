#!/usr/bin/env bash
# `sluice kafka-dev` end to end with kcat as an independent client: the cluster comes up with the
# requested brokers and partitions, keeps every message produced to it, obeys broker down/up
# commands on stdin, and stops cleanly (exit 0, nothing left behind) on SIGTERM and SIGINT.
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
command -v kcat >/dev/null || { echo "kcat is not installed (scripts/install-deps.sh)"; exit 1; }
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  exec 3>&- 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
check() { # name, condition result (0 = pass)
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
has() { grep -qF -- "$1" "$2"; }
die() { echo "FAIL: $1"; echo "--- sluice stderr:"; cat "$tmp/err" 2>/dev/null; exit 1; }
# wait_for NAME CMD...: polls CMD (up to ~20 s) while the cluster process is alive.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 200); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || die "sluice kafka-dev exited while waiting for $what"
    sleep 0.1
  done
  die "timed out waiting for $what"
}
# stops the cluster with signal $1 and checks exit 0 within 10 s and the bootstrap file removed.
stop_with() {
  local sig=$1 file=$2
  kill -"$sig" "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null
  check "SIG$sig stops the cluster within 10 s" $((! $?))
  wait "$pid"
  local status=$?
  pid=""
  check "SIG$sig: exit status 0 (got $status)" "$status"
  has "SIG$sig received, stopping" "$tmp/err"; check "SIG$sig: says it is stopping" $?
  [ ! -e "$file" ]; check "SIG$sig: bootstrap file removed on exit" $?
  ls "$file".tmp.* >/dev/null 2>&1; check "SIG$sig: no temporary file left" $((! $?))
  grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$tmp/err"
  check "SIG$sig: no sanitizer reports" $((! $?))
}

# ---- a 3-broker cluster with topic t1 of 4 partitions; control commands through a FIFO
mkfifo "$tmp/ctl"
exec 3<>"$tmp/ctl" # read-write open: does not block, and keeps the FIFO open for the cluster
"$BIN" kafka-dev --brokers 3 --topic t1:4 --bootstrap-file "$tmp/bs" <"$tmp/ctl" >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for "the bootstrap file" test -s "$tmp/bs"
bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs")
[ -n "$bs" ]; check "bootstrap file has bootstrap.servers=" $?
[ "$(tr ',' '\n' <<<"$bs" | grep -cE '^[0-9.]+:[0-9]+$')" = 3 ]; check "three host:port bootstrap servers ($bs)" $?
has "bootstrap.servers=$bs" "$tmp/out"; check "stdout prints the same bootstrap.servers" $?
has "in-memory development Kafka cluster" "$tmp/err"; check "warns it is an in-memory cluster" $?
has "data is lost" "$tmp/err"; check "warns data is lost on exit" $?
has "5 MiB" "$tmp/err"; check "warns about the per-partition limit" $?

timeout 30 kcat -L -b "$bs" -t t1 >"$tmp/meta" 2>&1; check "kcat -L succeeds" $?
has " 3 brokers:" "$tmp/meta"; check "kcat -L shows 3 brokers" $?
has 'topic "t1" with 4 partitions:' "$tmp/meta"; check "kcat -L shows t1 with 4 partitions" $?

for i in $(seq 1000); do echo "key$i:value$i"; done >"$tmp/sent"
timeout 60 kcat -P -b "$bs" -t t1 -K: <"$tmp/sent" 2>"$tmp/perr"; check "kcat -P produces 1000 keyed messages" $?
timeout 60 kcat -C -b "$bs" -t t1 -o beginning -e -q -f '%p %k:%s\n' >"$tmp/recv" 2>"$tmp/cerr"
check "kcat -C consumes to the end" $?
[ "$(wc -l <"$tmp/recv")" -eq 1000 ]; rc=$?; check "1000 messages back (got $(wc -l <"$tmp/recv"))" $rc
diff <(sort "$tmp/sent") <(cut -d' ' -f2- "$tmp/recv" | sort) >/dev/null; check "the same keys and values back" $?
[ "$(cut -d' ' -f1 "$tmp/recv" | sort -u | tr '\n' ' ')" = "0 1 2 3 " ]; check "messages spread over all 4 partitions" $?

# topics not given with --topic are auto-created with librdkafka's default of 4 partitions
echo "a:1" | timeout 30 kcat -P -b "$bs" -t auto1 -K: 2>/dev/null; check "produce to an undeclared topic" $?
timeout 30 kcat -L -b "$bs" -t auto1 >"$tmp/meta2" 2>&1
has 'topic "auto1" with 4 partitions:' "$tmp/meta2"; check "undeclared topic auto-created with 4 partitions" $?

# ---- fault control on stdin: all brokers down -> metadata fails; up again -> it works
echo "frobnicate 1" >&3
wait_for "the unknown-command message" has "unknown command 'frobnicate'" "$tmp/err"
echo "down 9" >&3
wait_for "the no-such-broker message" has "no broker 9" "$tmp/err"
echo "down all" >&3
wait_for "'ok broker all down'" has "ok broker all down" "$tmp/out"
timeout 30 kcat -L -b "$bs" -m 2 >/dev/null 2>&1; check "metadata fails while all brokers are down" $((! $?))
echo "up all" >&3
wait_for "'ok broker all up'" has "ok broker all up" "$tmp/out"
timeout 30 kcat -L -b "$bs" -t t1 >"$tmp/meta3" 2>&1; check "metadata works after 'up all'" $?
timeout 60 kcat -C -b "$bs" -t t1 -o beginning -e -q >"$tmp/recv2" 2>/dev/null
[ "$(wc -l <"$tmp/recv2")" -eq 1000 ]; rc=$?; check "data still there after down/up (got $(wc -l <"$tmp/recv2"))" $rc

stop_with TERM "$tmp/bs"
exec 3>&-

# ---- one broker, SIGINT, stdin at end of file (as for a background job)
rm -f "$tmp/out" "$tmp/err"
"$BIN" kafka-dev --bootstrap-file "$tmp/bs1" </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for "the bootstrap file" test -s "$tmp/bs1"
bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs1")
timeout 30 kcat -L -b "$bs" >"$tmp/meta4" 2>&1
has " 1 brokers:" "$tmp/meta4"; check "default is 1 broker" $?
stop_with INT "$tmp/bs1"

echo "kafka_dev_roundtrip: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
