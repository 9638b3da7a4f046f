#!/usr/bin/env bash
# Golden tests: for every DIR/*.sql, the runner's output (AST, validated schemas, or error) must
# equal the .out file next to it. SLUICE_REGEN=1 rewrites the .out files (review the diff!).
# Usage: golden.sh RUNNER DIR [RUNNER-FLAGS...]
set -u
RUNNER="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
DIR="$2"
shift 2
pass=0; fail=0
cd "$DIR" || exit 1
for sql in *.sql; do
  out="${sql%.sql}.out"
  actual=$("$RUNNER" "$@" "$sql" 2>&1)
  if [ "${SLUICE_REGEN:-0}" = 1 ]; then printf '%s\n' "$actual" > "$out"; fi
  if [ -f "$out" ] && [ "$actual" = "$(cat "$out")" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $(basename "$sql")"
    diff <(printf '%s\n' "$actual") "$out" | head -20
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
