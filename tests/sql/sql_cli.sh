#!/usr/bin/env bash
# End-to-end: `sluice sql` on real script files.
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
SRC="${SLUICE_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
run() { "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"; status=$?; }
has() { grep -qF -- "$1" "$2"; }

run sql --parse-only -f "$SRC/examples/seed_join.sql"
check "flagship parses" $((status != 0)); has "4 statements parsed" "$tmp/out"; check "flagship: 4 statements" $?

sed 's/FROM `kafka01`/FORM `kafka01`/' "$SRC/examples/seed_join.sql" > "$tmp/typo.sql"
run sql --parse-only -f "$tmp/typo.sql"
check "typo exits 2" $((status != 2))
grep -E "typo.sql:[0-9]+:[0-9]+: error: Encountered" "$tmp/err" >/dev/null; check "typo: file:line:col and token" $?
has "^" "$tmp/err"; check "typo: caret" $?

printf "SELECT 'open FROM t" > "$tmp/unterminated.sql"
run sql --parse-only -f "$tmp/unterminated.sql"
check "unterminated exits 2" $((status != 2)); has "unterminated.sql:1:8: error: Unterminated string literal" "$tmp/err"; check "unterminated message" $?

printf "SELECT 1;\nSELECT a FROM t MATCH_RECOGNIZE (x);\nSELECT 2" > "$tmp/unsupported.sql"
run sql --parse-only -f "$tmp/unsupported.sql"
check "unsupported exits 2" $((status != 2)); has "unsupported.sql:2:17: error: not supported yet: MATCH_RECOGNIZE" "$tmp/err"; check "unsupported message" $?

printf "SELECT 1" | "$BIN" sql --parse-only -f - >"$tmp/out" 2>&1; check "stdin" $?

# --validate: the flagship script is valid; a typo in a column name is reported precisely
run sql --validate -f "$SRC/examples/seed_join.sql"
check "flagship validates" $((status != 0)); has "4 statements validated" "$tmp/out"; check "flagship: validated message" $?
sed 's/`a`.`name1` IS NOT NULL/`a`.`nme1` IS NOT NULL/' "$SRC/examples/seed_join.sql" > "$tmp/coltypo.sql"
run sql --validate -f "$tmp/coltypo.sql"
check "column typo exits 2" $((status != 2))
grep -E "coltypo.sql:61:12: error: Column 'nme1' not found in table 'a'" "$tmp/err" >/dev/null; check "column typo: location and message" $?
has "did you mean 'name1'?" "$tmp/err"; check "column typo: suggestion" $?
has "^~~~~~" "$tmp/err"; check "column typo: caret under the name" $?
sed 's/FROM `kafka01` AS `a`/FROM `kafka1` AS `a`/' "$SRC/examples/seed_join.sql" > "$tmp/tabletypo.sql"
run sql --validate -f "$tmp/tabletypo.sql"
check "table typo exits 2" $((status != 2)); has "Object 'kafka1' not found within 'default_catalog.default_database'" "$tmp/err"; check "table typo message" $?
printf "CREATE TABLE s (a INT) WITH ('connector'='print');\nINSERT INTO s SELECT 'x';\nSELECT nope;\n" > "$tmp/insert.sql"
run sql --validate -f "$tmp/insert.sql"
check "insert mismatch exits 2" $((status != 2)); has "insert.sql:2:15: error: Column types of query result and sink for 'default_catalog.default_database.s' do not match." "$tmp/err"; check "insert mismatch message" $?
! has "nope" "$tmp/err"; check "first error stops the script" $?

run sql --parse-only -f "$tmp/missing.sql"
check "missing file exits 2" $((status != 2)); has "cannot read SQL script" "$tmp/err"; check "missing file message" $?

run sql -f "$SRC/examples/seed_join.sql"
check "the seed's placeholder bootstrap servers are refused (exit 2)" $((status != 2)); has "Invalid value for option 'properties.bootstrap.servers': 'xxx'" "$tmp/err"; check "refusal message" $?
has "seed_join.sql:" "$tmp/err"; check "refusal points into the script" $?

run sql --bogus; check "unknown option exits 2" $((status != 2))
run sql; check "no script exits 2" $((status != 2))
run sql --help; check "help exits 0" $((status != 0))

# SET statements are checked against the configuration registry, in statement order
printf "SET 'parallelism.default' = '4';\nSET 'heartbeat.timout' = '1 min';\nSET 'execution.checkpointing.interval' = 'often';\n" > "$tmp/set.sql"
run sql --validate -f "$tmp/set.sql"
check "bad SET value exits 2" $((status != 2))
has "set.sql:3:42: error: Could not parse value 'often' for key 'execution.checkpointing.interval'" "$tmp/err"; check "bad SET value: location at the value" $?
has "set.sql:2: unknown configuration key 'heartbeat.timout' has no effect; did you mean 'heartbeat.timeout'?" "$tmp/err"; check "unknown SET key: warning with suggestion" $?

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
