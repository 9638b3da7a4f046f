#!/usr/bin/env bash
# `make demo`: shows the most end-to-end thing Sluice can do in this build, and finishes by itself.
# Today: configuration, memory model, SQL validation, the optimized plan, and a real pipeline run by
# `sluice sql` (datagen -> filter/project -> print + JSON part files). As the engine grows (issues 6-8) this
# becomes the flagship Kafka join, run for real.
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

step "Done. Next: 'make test' runs every test under AddressSanitizer and UBSan."
