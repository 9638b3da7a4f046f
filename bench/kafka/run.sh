#!/usr/bin/env bash
# bench/kafka/run.sh — the Kafka source's consume + decode rate against a plain librdkafka consume
# loop and a plain jansson parse of the same records, in one run (bench_kafka_source, Release
# build), then the whole flagship job over the dev cluster against the same two baselines
# (bench/kafka_join/run.sh with its defaults; KAFKA_JOIN=0 skips it). Figures and ratios are
# printed, never asserted.
#   bench/kafka/run.sh [records (100000)] [rounds (3)]     (BUILD_DIR overrides the build directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target sluice bench_kafka_source -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "== 1. KafkaSource vs raw librdkafka consume and raw jansson parse"
"$build/bench/bench_kafka_source" "$@"
if [ "${KAFKA_JOIN:-1}" != 0 ]; then
  echo "== 2. the flagship job (examples/seed_join.sql) over the dev cluster"
  BUILD_DIR="$build" SKIP_BUILD=1 bash "$root/bench/kafka_join/run.sh"
fi
