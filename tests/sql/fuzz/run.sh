#!/usr/bin/env bash
# Builds the SQL parser fuzzer with clang (libFuzzer + ASan + UBSan) and runs it for a bounded
# time (SLUICE_FUZZ_SECONDS, default 60) over the corpus in tests/sql/fuzz/corpus plus the golden
# SQL files. Fails on any crash, leak or timeout. New inputs found go to a temporary directory;
# add interesting ones to the corpus by hand.
set -euo pipefail
SRC="${SLUICE_SOURCE_DIR:?}"
GEN="$1"   # build directory holding the generated parser.c/parser.h/lexer.c/lexer.h
SECONDS_TO_RUN="${SLUICE_FUZZ_SECONDS:-60}"
if ! command -v clang >/dev/null; then echo "clang not found (scripts/install-deps.sh installs it)"; exit 1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DSLUICE_VERSION='"fuzz"' \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$SRC" -I"$GEN" \
  "$SRC"/tests/sql/fuzz/fuzz_sql.c "$SRC"/sql/*.c "$GEN"/parser.c "$GEN"/lexer.c \
  "$SRC"/planner/*.c "$SRC"/common/*.c "$SRC"/runtime/expr.c "$SRC"/runtime/expr_fn.c "$SRC"/runtime/row.c "$SRC"/runtime/temporal.c $(pkg-config --cflags --libs yaml-0.1 libxxhash jansson) \
  -o "$work/fuzz_sql" -w
mkdir -p "$work/corpus"
cp "$SRC"/tests/sql/fuzz/corpus/* "$SRC"/tests/sql/parse/*.sql "$SRC"/tests/sql/validate/*.sql "$SRC"/tests/planner/*.sql "$work/corpus/" 2>/dev/null || true
"$work/fuzz_sql" -max_total_time="$SECONDS_TO_RUN" -timeout=5 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$SRC/tests/sql/fuzz/sql.dict" -print_final_stats=1 "$work/corpus" 2>&1 | tail -15
echo "fuzz_sql: no crash, leak or timeout in ${SECONDS_TO_RUN}s"
