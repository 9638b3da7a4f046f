#!/usr/bin/env bash
# bench/kafka/run.sh — the Kafka source's consume + decode rate against a plain librdkafka consume
# loop and a plain jansson parse of the same records, in one run (bench_kafka_source, Release
# build), then the flagship join over the dev cluster through `sluice sql` (tests/kafka/flagship.sh
# with the Release binary). Figures and ratios are printed, never asserted.
#   bench/kafka/run.sh [records (100000)] [rounds (3)]     (BUILD_DIR overrides the build directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target sluice bench_kafka_source -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "== 1. KafkaSource vs raw librdkafka consume and raw jansson parse"
"$build/bench/bench_kafka_source" "$@"
echo "== 2. the flagship join (examples/seed_join.sql) over the dev cluster, 2 x 20000 records of ~1 KB"
SLUICE_BIN_DIR="$build/bin" SLUICE_SOURCE_DIR="$root" FLAGSHIP_ROWS=${FLAGSHIP_ROWS:-20000} bash "$root/tests/kafka/flagship.sh" |
  grep -E '^flagship:|finished in|FAIL'
