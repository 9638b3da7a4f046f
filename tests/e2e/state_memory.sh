#!/usr/bin/env bash
# Memory by construction: a join whose state is more than ten times its managed memory runs to the
# end with the process's peak RSS under taskmanager.memory.process.size — and under the size of the
# state itself, so the state really lives on disk (RocksDB), not in the heap.
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SLUICE_NO_PROGRESS=1
# AddressSanitizer keeps freed memory in a quarantine (256 MB by default): keep it small so RSS
# measures Sluice, not the sanitizer
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
N=200000; PAD=300; MANAGED_MB=10; PROCESS_MB=768
cat > "$tmp/join.sql" <<EOF
CREATE TABLE l (id INT, pad STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000', 'number-of-rows' = '$N',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$N', 'fields.pad.length' = '$PAD', 'seed' = '1');
CREATE TABLE r (id INT, pad STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000', 'number-of-rows' = '$N',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$N', 'fields.pad.length' = '$PAD', 'seed' = '2');
CREATE TABLE o (id INT, a STRING, b STRING) WITH ('connector' = 'filesystem', 'path' = '$tmp/out', 'format' = 'csv');
INSERT INTO o SELECT l.id, l.pad, r.pad FROM l JOIN r ON l.id = r.id;
EOF
"$BIN" sql -f "$tmp/join.sql" -D state.backend.type=rocksdb -D taskmanager.memory.managed.size=${MANAGED_MB}m \
  -D taskmanager.memory.process.size=${PROCESS_MB}m -D io.tmp.dirs="$tmp" >"$tmp/stdout" 2>"$tmp/err"
status=$?
check "the join runs to the end (exit 0)" $status; [ $status -eq 0 ] || tail -20 "$tmp/err"
n=$(cat "$tmp"/out/part-* 2>/dev/null | wc -l | tr -d ' ')
check "every id joined once ($n of $N)" $(( n != N ))
cut -d, -f1 "$tmp"/out/part-* | sort -n | uniq | wc -l | grep -qx "$N"; check "no id twice" $?
rss=$(sed -n 's/.*peak RSS of the process .*(\([0-9]*\) bytes).*/\1/p' "$tmp/err")
state=$(( 2 * N * PAD ))   # the padding alone, both sides
echo "state >= $((state / 1048576)) MiB (managed memory ${MANAGED_MB} MiB), peak RSS $((rss / 1048576)) MiB, process size ${PROCESS_MB} MiB"
[ -n "$rss" ] && [ "$state" -gt $(( 10 * MANAGED_MB * 1048576 )) ]; check "the state is over 10x managed memory" $?
[ -n "$rss" ] && [ "$rss" -lt $(( PROCESS_MB * 1048576 )) ]; check "peak RSS under taskmanager.memory.process.size" $?
[ -n "$rss" ] && [ "$rss" -lt "$state" ]; check "peak RSS under the state's size: the state is on disk" $?
! ls -d "$tmp"/sluice-state-* >/dev/null 2>&1; check "the state's working directory is removed at the end" $?
echo "state_memory: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
