#!/usr/bin/env bash
# `sluice kafka-dev` argument checking: bad arguments exit 2 with a message saying what is wrong
# (and never start a cluster).
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # name, condition result (0 = pass)
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; cat "$tmp/err"; fi
}
run() { # runs sluice with a bound on time (a bad argument must not start a cluster that waits)
  timeout 20 "$BIN" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
  status=$?
}
has() { grep -qF -- "$1" "$2"; }
bad() { # name, expected message, args...
  local name=$1 msg=$2
  shift 2
  run "$@"
  check "$name: exits 2 (got $status)" $((status != 2))
  has "$msg" "$tmp/err"; check "$name: message '$msg'" $?
  has "bootstrap.servers" "$tmp/out"; check "$name: no cluster started" $((! $?))
}

run kafka-dev --help
check "--help exits 0" $((status != 0))
has "--topic NAME:P[:R]" "$tmp/out"; check "--help documents --topic" $?
has "5 MiB" "$tmp/out"; check "--help states the partition limit" $?

run --help
has "kafka-dev" "$tmp/out"; check "sluice --help lists kafka-dev" $?

bad "topic without partitions" "topic 'foo' has no partition count" kafka-dev --topic foo
has "NAME:PARTITIONS" "$tmp/err"; check "topic without partitions: expected form" $?
bad "zero partitions" "invalid partition count '0' for topic 'foo'" kafka-dev --topic foo:0
bad "non-numeric partitions" "invalid partition count 'x' for topic 'foo'" kafka-dev --topic foo:x
bad "empty topic name" "topic ':3' has no name" kafka-dev --topic :3
bad "illegal topic name" "illegal character '/' in topic name 'a/b'" kafka-dev --topic a/b:3
bad "zero replication" "invalid replication factor '0' for topic 'foo'" kafka-dev --topic foo:3:0
bad "replication above brokers" "replication factor 3 for topic 'foo' is larger than the 2 brokers" \
  kafka-dev --brokers 2 --topic foo:3:3
bad "duplicate topic" "topic 'foo' is given twice" kafka-dev --topic foo:3 --topic foo:4
bad "zero brokers" "invalid number of brokers '0'" kafka-dev --brokers 0
bad "non-numeric brokers" "invalid number of brokers 'three'" kafka-dev --brokers three
bad "missing value" "option '--brokers' needs a value" kafka-dev --brokers
bad "unknown flag" "unknown option '--frob'" kafka-dev --frob
has "Try 'sluice kafka-dev --help'" "$tmp/err"; check "unknown flag: usage hint" $?

# A bootstrap file that cannot be written: exit 1 with the path and the reason, no leftover.
run kafka-dev --bootstrap-file "$tmp/no-such-dir/bs"
check "unwritable bootstrap file exits 1 (got $status)" $((status != 1))
has "$tmp/no-such-dir/bs" "$tmp/err"; check "unwritable bootstrap file: path named" $?
has "No such file or directory" "$tmp/err"; check "unwritable bootstrap file: reason" $?

echo "kafka_dev_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
