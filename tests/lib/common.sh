# tests/lib/common.sh — what the end-to-end test scripts share. Source it after `set -u` and after
# creating $tmp; it defines the pass/fail counters and helpers, nothing runs.
BIN="${SLUICE_BIN_DIR:?}/sluice"
export SLUICE_NO_PROGRESS=1
pass=0
fail=0
# check <what> <status>: counts a check, prints the failures
check() { if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# has <text> <file>
has() { grep -qF -- "$1" "$2"; }
# clean_asan <file>: no sanitizer report in it
clean_asan() { ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"; }
# latest_chk <checkpoint dir>: the newest completed checkpoint (chk-<n> with _metadata) of any job under it
latest_chk() {
    ls -d "$1"/*/chk-*/ 2>/dev/null | sed 's|/$||' | while read -r d; do [ -f "$d/_metadata" ] && echo "${d##*chk-} $d"; done |
        sort -n | tail -1 | cut -d' ' -f2
}
# stop_procs <signal> <pid>...: each pid (empty ones skipped) still running gets the signal and is
# waited for (a test's EXIT trap: its kafka-dev and jobs)
stop_procs() {
    local sig=$1 p
    shift
    for p in "$@"; do
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill "-$sig" "$p" 2>/dev/null; wait "$p" 2>/dev/null; fi
    done
}
# die <message>: a failure the rest of the test cannot go on after (shows the dev cluster's stderr)
die() { echo "FAIL: $1"; cat "$tmp/dev.err" 2>/dev/null; exit 1; }
need_kcat() { command -v kcat >/dev/null || { echo "kcat is not installed (scripts/install-deps.sh)"; exit 1; }; }
# wait_kafka_dev <pid>: waits for the `sluice kafka-dev` started with --bootstrap-file "$tmp/bs";
# sets bs (the bootstrap servers); exits the test if the cluster does not come up
wait_kafka_dev() {
    local i
    for i in $(seq 200); do [ -s "$tmp/bs" ] && break; kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    [ -s "$tmp/bs" ] || { echo "FAIL: sluice kafka-dev did not start"; cat "$tmp/dev.err" 2>/dev/null; exit 1; }
    bs=$(sed -n 's/^bootstrap\.servers=//p' "$tmp/bs")
}
# show: the start of the last run's output; run <sluice args>: runs sluice (timeout 120 s) into
# $tmp/out and $tmp/err, sets status, and counts a sanitizer report as a failure
show() { echo "--- stdout"; head -20 "$tmp/out"; echo "--- stderr"; head -40 "$tmp/err"; }
run() {
    timeout 120 "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    clean_asan "$tmp/err" || { fail=$((fail + 1)); echo "FAIL: sanitizer report from: sluice $*"; head -60 "$tmp/err"; }
}
