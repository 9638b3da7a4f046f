#!/usr/bin/env bash
# `make demo`: shows the most end-to-end thing Sluice can do in this build, and finishes by itself.
# Today: configuration, memory model, SQL validation, the optimized plan, a pipeline run by `sluice sql`
# (datagen -> filter/project -> print + JSON part files), and the flagship Kafka join run for real against
# `sluice kafka-dev`. It ends by itself and leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=build/bin/sluice
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "sluice --version"
$SLUICE --version

step "The flagship job's Flink tuning, loaded as it is (examples/seed-tuning.yaml)"
echo "\$ sluice config -c examples/seed-tuning.yaml heartbeat.timeout taskmanager.numberOfTaskSlots parallelism.default execution.checkpointing.interval"
$SLUICE config -c examples/seed-tuning.yaml heartbeat.timeout taskmanager.numberOfTaskSlots \
  parallelism.default execution.checkpointing.interval execution.checkpointing.externalized-checkpoint-retention

step "The TaskManager memory budget that tuning gives (sluice config --memory)"
$SLUICE config -c examples/seed-tuning.yaml --memory

step "A typo in the configuration is caught, with the file, line, key and a suggestion"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'parallelism.default: 4\nheartbeat.timout: 60 s\ntaskmanager.memory.process.size: 4x\n' > "$tmp/conf.yaml"
cat -n "$tmp/conf.yaml"
set +e
$SLUICE config -c "$tmp/conf.yaml" parallelism.default
echo "(exit status $?)"
set -e

step "The flagship SQL script (examples/seed_join.sql) validates: sluice sql --validate"
$SLUICE sql --validate -f examples/seed_join.sql
step "...and mistakes in it are reported like a compiler would"
sed 's/`a`.`name1` IS NOT NULL/`a`.`nme1` IS NOT NULL/' examples/seed_join.sql > "$tmp/typo.sql"
set +e
$SLUICE sql --validate -f "$tmp/typo.sql"
echo "(exit status $?)"
sed 's/FROM `kafka01`/FORM `kafka01`/' examples/seed_join.sql > "$tmp/typo2.sql"
$SLUICE sql --validate -f "$tmp/typo2.sql"
echo "(exit status $?)"
set -e

step "The flagship job's optimized plan, and the warning that would have saved it on Flink: sluice explain"
$SLUICE explain -f examples/seed_join.sql
step "...the same with table.exec.state.ttl set: the state is bounded, no warning"
$SLUICE explain -f examples/seed_join.sql -D table.exec.state.ttl=1d | tail -4

step "A real job: examples/demo_pipeline.sql (datagen -> filter/project -> print + filesystem, one statement set)"
rm -rf build/demo-out
SLUICE_NO_PROGRESS=1 $SLUICE sql -f examples/demo_pipeline.sql
echo "\$ ls build/demo-out && head -3 build/demo-out/part-*"
ls build/demo-out
head -3 build/demo-out/part-*

step "The flagship job for real: examples/seed_join.sql against a development Kafka cluster"
# sluice kafka-dev: an in-memory Kafka (librdkafka's mock brokers); the inputs are written by a
# Sluice job (datagen -> Kafka, JSON in the seed's schema); the seed script runs with only its
# bootstrap servers changed and both sources bounded ('scan.bounded.mode' = 'latest-offset',
# so the demo ends by itself); kcat reads the output topic back.
N=5000
$SLUICE kafka-dev --brokers 3 --topic kafka_Flink_xiaoneng_1kb_006:4 --topic kafka_Flink_xiaoneng_1kb_005:4 \
  --topic kafka_Flink_1302:4 --bootstrap-file "$tmp/bs" </dev/null >"$tmp/dev.out" 2>"$tmp/dev.err" &
dev=$!
trap 'kill -TERM $dev 2>/dev/null || true; wait $dev 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 200); do [ -s "$tmp/bs" ] && break; sleep 0.1; done
bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs")
echo "kafka-dev: bootstrap.servers=$bs"
. scripts/flagship_fill.sh
flagship_fill_sql "$N" "$bs" >"$tmp/fill.sql"
echo "\$ sluice sql -f fill.sql     # datagen -> Kafka, $N records of ~1 KB per topic"
SLUICE_NO_PROGRESS=1 $SLUICE sql -f "$tmp/fill.sql"
sed -e "s/'properties.bootstrap.servers' = 'xxx'/'properties.bootstrap.servers' = '$bs'/" \
  -e "s/'scan.startup.mode' = 'earliest-offset'/'scan.startup.mode' = 'earliest-offset',\n   'scan.bounded.mode' = 'latest-offset'/" \
  examples/seed_join.sql >"$tmp/seed_join.sql"
echo "\$ sluice sql -f seed_join.sql -c examples/seed-tuning.yaml -D parallelism.default=2 -D taskmanager.numberOfTaskSlots=2"
SLUICE_NO_PROGRESS=1 $SLUICE sql -f "$tmp/seed_join.sql" -c examples/seed-tuning.yaml -D parallelism.default=2 \
  -D taskmanager.numberOfTaskSlots=2
echo "\$ kcat -C -b ... -t kafka_Flink_1302 -o beginning -e -q | head -3"
kcat -C -b "$bs" -t kafka_Flink_1302 -o beginning -e -q 2>/dev/null >"$tmp/out.json" || true
head -3 "$tmp/out.json"
echo "($(wc -l <"$tmp/out.json") joined records in the output topic; kafka-dev stops now)"
kill -TERM $dev
wait $dev 2>/dev/null || true

step "Done. Next: 'make test' runs every test under AddressSanitizer and UBSan."
