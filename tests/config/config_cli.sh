#!/usr/bin/env bash
# End-to-end: the built `sluice` binary on real configuration files. Checks exit statuses and
# that error messages name the file, line, key, value and the expected form.
set -u
BIN="${SLUICE_BIN_DIR:?}/sluice"
SRC="${SLUICE_SOURCE_DIR:?}"
DATA="$SRC/tests/config/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

check() { # name, condition result
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
run() { # runs sluice, capturing stdout/stderr/status
  "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"
  status=$?
}
has() { grep -qF -- "$1" "$2"; }

# --- CLI skeleton
run --version;            check "--version exits 0" $((status != 0)); has "sluice " "$tmp/out"; check "--version prints version" $?
run --help;               check "--help exits 0" $((status != 0)); has "config" "$tmp/out"; check "--help lists config" $?
run frobnicate;           check "unknown command exits 2" $((status != 2)); has "unknown command 'frobnicate'" "$tmp/err"; check "unknown command message" $?
run --frob;               check "unknown flag exits 2" $((status != 2))
run;                      check "no command exits 2" $((status != 2))
run config --frob;        check "config: unknown flag exits 2" $((status != 2)); has "Try 'sluice config --help'" "$tmp/err"; check "config: usage hint" $?
run config --help;        check "config --help exits 0" $((status != 0))

# --- broken files: exit 2, file:line, key, value, expected form
run config -c "$DATA/bad-memory.yaml"
check "bad memory exits 2" $((status != 2))
has "bad-memory.yaml:3:34: error: Could not parse value '4x' for key 'taskmanager.memory.process.size'" "$tmp/err"; check "bad memory: location, key, value" $?
has "memory size such as 1728m" "$tmp/err"; check "bad memory: expected form" $?

run config -c "$DATA/bad-enum.yaml"
check "bad enum exits 2" $((status != 2))
has "bad-enum.yaml:1:" "$tmp/err"; check "bad enum: location" $?
has "one of EXACTLY_ONCE, AT_LEAST_ONCE" "$tmp/err"; check "bad enum: expected values" $?

run config -c "$DATA/duplicate.yaml"
check "duplicate exits 2" $((status != 2))
has "duplicate.yaml:3:1: error: Duplicate configuration key 'parallelism.default'" "$tmp/err"; check "duplicate: message" $?
has "first set at" "$tmp/err"; check "duplicate: both lines" $?

run config -c "$DATA/syntax.yaml"
check "yaml syntax exits 2" $((status != 2))
has "syntax.yaml:" "$tmp/err"; check "yaml syntax: location" $?
has "Invalid YAML" "$tmp/err"; check "yaml syntax: message" $?

run config -c "$tmp/does-not-exist.yaml"
check "missing -c file exits 2" $((status != 2))
has "does-not-exist.yaml' does not exist" "$tmp/err"; check "missing file named" $?

run config -D parallelism.default=zero
check "bad -D exits 2" $((status != 2))
has "Could not parse value 'zero' for key 'parallelism.default'" "$tmp/err"; check "bad -D message" $?

# --- the seed tuning file: loads with exactly one warning
run config -c "$DATA/seed-tuning.yaml"
check "seed tuning exits 0" $((status != 0))
[ "$(grep -c 'warning' "$tmp/err")" -eq 1 ]; check "seed tuning: exactly one warning" $?
has "'env.java.opts' has no effect in Sluice" "$tmp/err"; check "seed tuning: env.java.opts warning" $?
grep -E "^heartbeat.timeout +180000 +.*seed-tuning.yaml:5" "$tmp/out" >/dev/null; check "seed tuning: heartbeat.timeout from file:line" $?

# --- precedence and sources: -D over file
run config -c "$DATA/seed-tuning.yaml" -D parallelism.default=4 -Dheartbeat.timeout=2min parallelism.default heartbeat.timeout rest.port
check "-D exits 0" $((status != 0))
grep -E "^parallelism.default +4 +-D" "$tmp/out" >/dev/null; check "-D overrides file" $?
grep -E "^heartbeat.timeout +2min +-D" "$tmp/out" >/dev/null; check "-Dkey=value form" $?
grep -E "^rest.port +8081 +default" "$tmp/out" >/dev/null; check "default source" $?

# --- unknown key: warning with suggestion, listed as unknown
run config -c "$DATA/unknown-key.yaml"
check "unknown key exits 0" $((status != 0))
has "did you mean 'heartbeat.timeout'?" "$tmp/err"; check "unknown key suggestion" $?
has "Unknown keys" "$tmp/out"; check "unknown keys listed" $?
run config heartbeat.timout
check "asking for an unknown key exits 2" $((status != 2))

# --- SLUICE_CONF_DIR
mkdir -p "$tmp/confdir" && printf 'parallelism.default: 7\n' > "$tmp/confdir/sluice-conf.yaml"
SLUICE_CONF_DIR="$tmp/confdir" "$BIN" config parallelism.default >"$tmp/out" 2>"$tmp/err"
grep -E "^parallelism.default +7 +.*confdir/sluice-conf.yaml:1" "$tmp/out" >/dev/null; check "SLUICE_CONF_DIR is used" $?

# --- memory breakdown
run config -c "$DATA/seed-tuning.yaml" --memory
check "--memory exits 0" $((status != 0))
has "Managed Memory" "$tmp/out" && has "2457.600 mb" "$tmp/out"; check "--memory shows managed 0.6 x 4g" $?
run config -D taskmanager.memory.flink.size=1g -D taskmanager.memory.managed.size=2g --memory
check "memory conflict exits 2" $((status != 2))
has "exceed configured Total Flink Memory" "$tmp/err"; check "memory conflict message" $?

# --- docs/configuration.md is generated from the registry and up to date
"$BIN" config --docs > "$tmp/docs.md"
if diff -u "$SRC/docs/configuration.md" "$tmp/docs.md" > "$tmp/docs.diff"; then check "docs up to date" 0; else
  head -20 "$tmp/docs.diff"; echo "regenerate with: build/bin/sluice config --docs > docs/configuration.md"; check "docs up to date" 1; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
