#!/usr/bin/env python3
"""Differential correctness harness: Sluice's streaming results against SQLite's batch results.

For every case (a Flink SQL query and the same query written for SQLite) and every configuration
(parallelism x state backend) the harness
  1. writes seeded random input tables as JSON-lines files (duplicates, NULLs in keys and values,
     a few hot keys, keys present on one join side only),
  2. writes a Flink SQL script (filesystem/json sources, a filesystem/debezium-json sink) and runs
     `sluice sql -f script.sql -D parallelism.default=P -D taskmanager.numberOfTaskSlots=P
     -D state.backend.type=B` (SLUICE_NO_PROGRESS=1),
  3. materializes the sink's changelog (c = add "after", d = remove one "before"; a remove of a row
     that is not there is a bug),
  4. runs the batch query in an in-memory SQLite database over the same rows and compares the
     two multisets (DOUBLE rounded to 6 significant digits, BOOLEAN as 0/1, TIMESTAMP text
     without trailing zeros).

A run whose job Sluice refuses with "cannot run yet" or "not supported yet" is SKIPPED; any other
failure FAILS. The last line is `diff: N passed, M skipped, K failed` (runs: case x parallelism x
backend); the exit status is 1 iff K > 0.

Standard library only. Usage:
  SLUICE_BIN_DIR=build/bin python3 tests/diff/diff.py [--quick] [--case NAME|GLOB ...] [--list]
      [--seed N] [--rows N] [--files N] [-j N] [--keep] [-v]

Adding a case: append a Case(...) to the list of its section below (see "Windows and top-N" at the
end of the case list for the shape of the cases still to come).
"""

import argparse
import fnmatch
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

SKIP_MARKERS = ("cannot run yet", "not supported yet")
SANITIZER_MARKERS = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "ThreadSanitizer")
RUN_TIMEOUT_S = 180

# ------------------------------------------------------------------------------------------------
# Input tables
# ------------------------------------------------------------------------------------------------

# Column name -> SQL type, in table order. Both tables share their shape so that join cases can
# mix them freely; R's value column is `w` so that unqualified names stay unambiguous.
INPUT_SCHEMAS = {
    "L": [("k", "INT"), ("k2", "STRING"), ("v", "INT"), ("b", "BIGINT"), ("d", "DOUBLE"),
          ("s", "STRING"), ("f", "BOOLEAN"), ("ts", "TIMESTAMP(3)")],
    "R": [("k", "INT"), ("k2", "STRING"), ("w", "INT"), ("b", "BIGINT"), ("d", "DOUBLE"),
          ("s", "STRING"), ("f", "BOOLEAN"), ("ts", "TIMESTAMP(3)")],
}

# Key distributions: hot keys take a large share; the uniform ranges of L and R overlap only in
# part, so outer joins see keys on one side only. NULL keys on both sides.
KEY_SPEC = {
    "L": {"hot": [0, 1, 2], "hot_share": 0.30, "lo": 0, "hi": 39, "null": 0.05},
    "R": {"hot": [0, 1, 45], "hot_share": 0.30, "lo": 20, "hi": 59, "null": 0.05},
}
K2_VALUES = ["a", "b", "c"]
S_VALUES = ["s%02d" % i for i in range(20)] + ["", "s1", "zz"]
DUP_SHARE = 0.10  # share of rows that are exact copies of an earlier row


def gen_key(rng, spec):
    r = rng.random()
    if r < spec["null"]:
        return None
    if r < spec["null"] + spec["hot_share"]:
        return rng.choice(spec["hot"])
    return rng.randint(spec["lo"], spec["hi"])


def maybe_null(rng, share, value):
    return None if rng.random() < share else value


def gen_table(rng, name, nrows):
    """Rows as dicts (column -> python value; TIMESTAMP as 'yyyy-MM-dd HH:mm:ss.SSS' text)."""
    spec = KEY_SPEC[name]
    value_col = "v" if name == "L" else "w"
    rows = []
    base_ms = 1_704_067_200_000  # 2024-01-01 00:00:00 UTC
    for i in range(nrows):
        if rows and rng.random() < DUP_SHARE:
            rows.append(dict(rng.choice(rows)))
            continue
        ts_ms = base_ms + i * 100 + rng.randint(-500, 500)  # mostly ascending, a little disorder
        row = {
            "k": gen_key(rng, spec),
            "k2": maybe_null(rng, 0.10, rng.choice(K2_VALUES)),
            value_col: maybe_null(rng, 0.10, rng.randint(-100, 1000)),
            "b": maybe_null(rng, 0.10, rng.randint(-10**12, 10**12)),
            # multiples of 1/4 are exact in binary: sums do not depend on the order of additions
            "d": maybe_null(rng, 0.10, rng.randint(-4000, 4000) / 4.0),
            "s": maybe_null(rng, 0.10, rng.choice(S_VALUES)),
            "f": maybe_null(rng, 0.10, rng.random() < 0.5),
            "ts": maybe_null(rng, 0.02, fmt_ts(ts_ms)),
        }
        rows.append(row)
    return rows


def fmt_ts(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", t) + ".%03d" % (ms % 1000)


def write_table_files(rows, directory, nfiles, cols):
    """Spread rows over nfiles JSON-lines files (contiguous chunks; source subtasks read whole
    files, so at parallelism > 1 several subtasks produce each table)."""
    os.makedirs(directory, exist_ok=True)
    n = max(1, nfiles)
    per = (len(rows) + n - 1) // n
    for i in range(n):
        with open(os.path.join(directory, "in-%d.json" % i), "w") as f:
            for row in rows[i * per:(i + 1) * per]:
                f.write(json.dumps({c: row[c] for c, _ in cols}, separators=(",", ":")) + "\n")


# ------------------------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------------------------

class Stage:
    """An intermediate table: its query runs as its own INSERT job into a filesystem table with
    format debezium-json, which later stages and the final query read back as a changelog source.
    On the SQLite side it is a view over the same query. Its result is checked as well."""

    def __init__(self, name, cols, flink, sqlite=None):
        self.name, self.cols, self.flink, self.sqlite = name, cols, flink, sqlite or flink


class Case:
    """name: unique; group: section; sink: [(column, Flink type)]; flink: the SELECT that feeds the
    sink; sqlite: the same query for SQLite (default: the Flink text); stages: [Stage] run first;
    settings: {key: value} as SET statements; watermarks: {table: 'WATERMARK FOR ... AS ...'}."""

    def __init__(self, name, group, sink, flink, sqlite=None, stages=(), settings=None,
                 watermarks=None):
        self.name, self.group, self.sink = name, group, sink
        self.flink, self.sqlite = flink.strip(), (sqlite or flink).strip()
        self.stages = list(stages)
        self.settings = dict(settings or {})
        self.watermarks = dict(watermarks or {})


def cols(spec):
    """'a INT, b STRING' -> [('a', 'INT'), ('b', 'STRING')] (types without commas)."""
    out = []
    for part in spec.split(","):
        name, typ = part.strip().split(None, 1)
        out.append((name, typ.strip()))
    return out


# ---- stateless (filter / project): these work today and validate the harness itself ----------

STATELESS = [
    Case("project_all", "stateless",
         cols("k INT, k2 STRING, v INT, b BIGINT, d DOUBLE, s STRING, f BOOLEAN, ts TIMESTAMP(3)"),
         "SELECT k, k2, v, b, d, s, f, ts FROM L"),
    Case("filter_project", "stateless",
         cols("k INT, v1 INT, b2 BIGINT, d2 DOUBLE, su STRING, sx STRING"),
         "SELECT k, v + 1, b * 2, d * 2, UPPER(s), s || '-x' FROM L "
         "WHERE (v > 10 AND s IS NOT NULL) OR k IS NULL"),
    Case("filter_three_valued", "stateless",
         cols("k INT, w INT, d DOUBLE, f BOOLEAN"),
         "SELECT k, w, d, f FROM R WHERE NOT (w > 500) OR (d < 0 AND f) OR f IS NULL"),
    Case("case_coalesce_mod", "stateless",
         cols("k INT, sz STRING, cv INT, cs STRING, m INT, ft BOOLEAN, fu BOOLEAN"),
         "SELECT k, CASE WHEN v > 500 THEN 'big' WHEN v > 0 THEN 'sml' ELSE 'neg' END, "
         "COALESCE(v, -1), COALESCE(s, 'none'), v % 7, f IS TRUE, f IS NOT FALSE FROM L"),
    Case("in_between_like", "stateless",
         cols("k INT, k2 STRING, v INT, s STRING"),
         "SELECT k, k2, v, s FROM L WHERE k IN (0, 3, 5, 45) OR v BETWEEN 100 AND 200 "
         "OR s LIKE 's1%' OR k2 NOT IN ('a', 'b')"),
    # Through a changelog round trip: a first job writes a debezium-json table, the second reads
    # it back as a changelog source (checks the staging machinery the join_over_agg cases use).
    Case("staged_stateless_roundtrip", "stateless",
         cols("k INT, v INT, su STRING"),
         "SELECT k, v, UPPER(s) FROM P WHERE k IS NOT NULL OR v < 0",
         stages=[Stage("P", cols("k INT, v INT, s STRING, f BOOLEAN"),
                       "SELECT k, v, s, f FROM L WHERE v > 100 OR f")]),
    Case("cast_arith", "stateless",
         cols("bv BIGINT, dq DOUBLE, dv DOUBLE, vs STRING"),
         "SELECT CAST(v AS BIGINT) + b, CAST(v AS DOUBLE) / 4, d + v, CAST(v AS STRING) FROM L",
         "SELECT CAST(v AS INTEGER) + b, CAST(v AS REAL) / 4, d + v, CAST(v AS TEXT) FROM L"),
]


# ---- regular equi-joins ----------------------------------------------------------------------

JOIN_SINK = cols("lk INT, lk2 STRING, v INT, ls STRING, rk INT, rk2 STRING, w INT, rs STRING")
JOIN_SELECT = "l.k, l.k2, l.v, l.s, r.k, r.k2, r.w, r.s"


def sqlite_join(kind, select, on, where="", left="L l", right="R r", left_marker="l.rowid"):
    """SQLite text for `SELECT select FROM <left> <kind> JOIN <right> ON on [WHERE where]`: RIGHT
    is a LEFT JOIN with the inputs swapped, FULL is a LEFT JOIN plus the unmatched rows of the
    right input (right LEFT JOIN left ... WHERE left_marker IS NULL, left_marker being a column of
    the left input that is never NULL, e.g. its rowid), so no native RIGHT/FULL is needed."""
    w = (" WHERE " + where) if where else ""
    if kind == "INNER":
        return "SELECT %s FROM %s JOIN %s ON %s%s" % (select, left, right, on, w)
    if kind == "LEFT":
        return "SELECT %s FROM %s LEFT JOIN %s ON %s%s" % (select, left, right, on, w)
    if kind == "RIGHT":
        return "SELECT %s FROM %s LEFT JOIN %s ON %s%s" % (select, right, left, on, w)
    if kind == "FULL":
        w2 = " AND (%s)" % where if where else ""
        return ("SELECT %s FROM %s LEFT JOIN %s ON %s%s UNION ALL "
                "SELECT %s FROM %s LEFT JOIN %s ON %s WHERE %s IS NULL%s"
                % (select, left, right, on, w, select, right, left, on, left_marker, w2))
    raise ValueError(kind)


def flink_join(kind, select, on, where=""):
    j = {"INNER": "JOIN", "LEFT": "LEFT JOIN", "RIGHT": "RIGHT JOIN", "FULL": "FULL OUTER JOIN"}[kind]
    w = (" WHERE " + where) if where else ""
    return "SELECT %s FROM L l %s R r ON %s%s" % (select, j, on, w)


def join_case(kind, keys, residual, where=""):
    on = "l.k = r.k" if keys == 1 else "l.k = r.k AND l.k2 = r.k2"
    if residual:
        on += " AND " + residual
    name = "join_%s_%dkey%s%s" % (kind.lower(), keys, "_residual" if residual else "",
                                  "_where" if where else "")
    return Case(name, "join", JOIN_SINK, flink_join(kind, JOIN_SELECT, on, where),
                sqlite_join(kind, JOIN_SELECT, on, where))


JOINS = [
    join_case("INNER", 1, None),
    join_case("INNER", 1, "l.v < r.w"),
    join_case("INNER", 2, "l.s <> r.s"),
    join_case("LEFT", 1, "l.v < r.w"),
    join_case("LEFT", 2, "l.d + r.d > 0"),
    join_case("RIGHT", 1, "l.v < r.w"),
    join_case("RIGHT", 2, None),
    join_case("FULL", 1, None),
    join_case("FULL", 1, "l.v < r.w"),
    join_case("FULL", 2, "l.s <> r.s"),
    # WHERE on the null-padded side above an outer join (must not be pushed below it)
    join_case("LEFT", 1, "l.v < r.w", where="r.w IS NULL OR r.w > 300"),
]


# ---- group aggregates ------------------------------------------------------------------------

AGGREGATES = [
    Case("agg_counts", "agg",
         cols("k INT, c_all BIGINT, c_v BIGINT, cd_s BIGINT"),
         "SELECT k, COUNT(*), COUNT(v), COUNT(DISTINCT s) FROM L GROUP BY k"),
    Case("agg_int", "agg",
         cols("k INT, sum_v INT, min_v INT, max_v INT, avg_v INT"),
         "SELECT k, SUM(v), MIN(v), MAX(v), AVG(v) FROM L GROUP BY k",
         # Flink's AVG(INT) is an INT: the long sum divided by the count, truncated toward zero
         "SELECT k, SUM(v), MIN(v), MAX(v), SUM(v) / COUNT(v) FROM L GROUP BY k"),
    Case("agg_bigint_2keys", "agg",
         cols("k INT, k2 STRING, sum_b BIGINT, min_b BIGINT, max_b BIGINT, avg_b BIGINT"),
         "SELECT k, k2, SUM(b), MIN(b), MAX(b), AVG(b) FROM L GROUP BY k, k2",
         "SELECT k, k2, SUM(b), MIN(b), MAX(b), SUM(b) / COUNT(b) FROM L GROUP BY k, k2"),
    Case("agg_double", "agg",
         cols("k2 STRING, sum_d DOUBLE, min_d DOUBLE, max_d DOUBLE, avg_d DOUBLE, c BIGINT"),
         "SELECT k2, SUM(d), MIN(d), MAX(d), AVG(d), COUNT(d) FROM L GROUP BY k2"),
    Case("agg_strings", "agg",
         cols("k INT, min_s STRING, max_s STRING, cd_k2 BIGINT"),
         "SELECT k, MIN(s), MAX(s), COUNT(DISTINCT k2) FROM R GROUP BY k"),
    Case("agg_distinct_sums", "agg",
         cols("k2 STRING, cd_v BIGINT, sd_v INT, c_v BIGINT"),
         "SELECT k2, COUNT(DISTINCT v), SUM(DISTINCT v), COUNT(v) FROM L GROUP BY k2"),
    Case("agg_filter", "agg",
         cols("k INT, c_pos BIGINT, sum_f INT, max_d DOUBLE, cd_k2 BIGINT, avg_v INT"),
         "SELECT k, COUNT(*) FILTER (WHERE v > 0), SUM(v) FILTER (WHERE f), "
         "MAX(d) FILTER (WHERE s IS NOT NULL), COUNT(DISTINCT k2) FILTER (WHERE v < 500), "
         "AVG(v) FILTER (WHERE d > 0) FROM L GROUP BY k",
         "SELECT k, COUNT(*) FILTER (WHERE v > 0), SUM(v) FILTER (WHERE f), "
         "MAX(d) FILTER (WHERE s IS NOT NULL), COUNT(DISTINCT k2) FILTER (WHERE v < 500), "
         "SUM(v) FILTER (WHERE d > 0) / COUNT(v) FILTER (WHERE d > 0) FROM L GROUP BY k"),
    Case("agg_having", "agg",
         cols("k INT, c BIGINT, sum_b BIGINT"),
         # groups enter and leave the result while rows arrive (the parity of SUM(v) flips)
         "SELECT k, COUNT(*), SUM(b) FROM L GROUP BY k "
         "HAVING COUNT(*) > 5 AND (SUM(v) < 5000 OR SUM(v) % 2 = 0)"),
    Case("agg_global", "agg",
         cols("c BIGINT, cd_k BIGINT, sum_v INT, min_s STRING, max_s STRING, avg_d DOUBLE"),
         "SELECT COUNT(*), COUNT(DISTINCT k), SUM(v), MIN(s), MAX(s), AVG(d) FROM L"),
    Case("select_distinct", "agg",
         cols("k INT, k2 STRING"),
         "SELECT DISTINCT k, k2 FROM R"),
    Case("agg_where_expr_args", "agg",
         cols("k2 STRING, c BIGINT, sum_x BIGINT, max_len INT"),
         "SELECT k2, COUNT(*), SUM(b + v), MAX(CHAR_LENGTH(s)) FROM L WHERE k IS NOT NULL GROUP BY k2",
         "SELECT k2, COUNT(*), SUM(b + v), MAX(LENGTH(s)) FROM L WHERE k IS NOT NULL GROUP BY k2"),
]


# ---- aggregates on top of joins (insert-only and retracting inputs) --------------------------

def agg_over_join(name, kind, select, on, group_by, sink, sqlite_select=None):
    j = {"INNER": "JOIN", "LEFT": "LEFT JOIN", "RIGHT": "RIGHT JOIN", "FULL": "FULL OUTER JOIN"}[kind]
    flink = "SELECT %s FROM L l %s R r ON %s GROUP BY %s" % (select, j, on, group_by)
    inner = sqlite_join(kind, "l.k AS lk, l.k2 AS lk2, l.v AS lv, l.b AS lb, l.d AS ld, l.s AS ls, "
                        "r.k AS rk, r.k2 AS rk2, r.w AS rw, r.d AS rd, r.s AS rs", on)
    # SQLite side: the join as a subquery with flat names (l.x -> lx, r.x -> rx)
    def flat(text):
        return re.sub(r"\b([lr])\.(\w+)", lambda m: m.group(1) + m.group(2), text)
    sq = "SELECT %s FROM (%s) GROUP BY %s" % (flat(sqlite_select or select), inner, flat(group_by))
    return Case(name, "agg_over_join", sink, flink, sq)


AGG_OVER_JOIN = [
    agg_over_join("join_inner_then_agg", "INNER",
                  "l.k, COUNT(*), SUM(r.w), MAX(l.d), COUNT(DISTINCT r.s)", "l.k = r.k AND l.v < r.w",
                  "l.k", cols("k INT, c BIGINT, sum_w INT, max_d DOUBLE, cd_s BIGINT")),
    agg_over_join("join_left_then_agg", "LEFT",
                  "l.k2, COUNT(*), COUNT(r.w), SUM(r.w), MIN(r.w), MAX(r.s), AVG(l.v), "
                  "COUNT(DISTINCT r.s)",
                  "l.k = r.k AND l.v < r.w", "l.k2",
                  cols("k2 STRING, c BIGINT, c_w BIGINT, sum_w INT, min_w INT, max_s STRING, "
                       "avg_v INT, cd_s BIGINT"),
                  "l.k2, COUNT(*), COUNT(r.w), SUM(r.w), MIN(r.w), MAX(r.s), "
                  "SUM(l.v) / COUNT(l.v), COUNT(DISTINCT r.s)"),
    agg_over_join("join_full_then_agg", "FULL",
                  "r.k2, COUNT(*), COUNT(l.v), SUM(l.b), MIN(l.s), MAX(r.d), "
                  "SUM(r.w) FILTER (WHERE l.k IS NULL)",
                  "l.k = r.k AND l.k2 = r.k2", "r.k2",
                  cols("k2 STRING, c BIGINT, c_v BIGINT, sum_b BIGINT, min_s STRING, max_d DOUBLE, "
                       "sum_w_unmatched INT")),
    agg_over_join("join_right_then_agg_having", "RIGHT",
                  "r.k, COUNT(l.v), MIN(l.v), MAX(l.v)", "l.k = r.k AND l.s <> r.s", "r.k",
                  cols("k INT, c_v BIGINT, min_v INT, max_v INT")),
]
AGG_OVER_JOIN[-1].flink += " HAVING COUNT(l.v) > 10"
AGG_OVER_JOIN[-1].sqlite += " HAVING COUNT(lv) > 10"


# ---- joins on top of aggregates (updating join inputs) ---------------------------------------

A_COLS = cols("k INT, cnt BIGINT, sv INT, mx STRING")
A_FLINK = "SELECT k, COUNT(*), SUM(v), MAX(s) FROM L GROUP BY k"
A_SQLITE = "SELECT k, COUNT(*) AS cnt, SUM(v) AS sv, MAX(s) AS mx FROM L GROUP BY k"
A_SUBQ = "(SELECT k, COUNT(*) AS cnt, SUM(v) AS sv, MAX(s) AS mx FROM L GROUP BY k)"

JOIN_OVER_AGG = [
    # The natural form: a subquery in FROM.
    Case("agg_then_join_inner", "join_over_agg",
         cols("k INT, cnt BIGINT, sv INT, w INT, rs STRING"),
         "SELECT a.k, a.cnt, a.sv, r.w, r.s FROM %s a JOIN R r ON a.k = r.k AND a.cnt * 40 > r.w"
         % A_SUBQ),
    Case("agg_then_join_left", "join_over_agg",
         cols("k INT, k2 STRING, w INT, cnt BIGINT, mx STRING"),
         "SELECT r.k, r.k2, r.w, a.cnt, a.mx FROM R r LEFT JOIN %s a ON r.k = a.k AND a.mx > r.s"
         % A_SUBQ),
    # The same through a changelog: the aggregate is written to a debezium-json table by a first
    # job and read back by the second as an updating source.
    Case("staged_agg_then_join_inner", "join_over_agg",
         cols("k INT, cnt BIGINT, sv INT, w INT, rs STRING"),
         "SELECT a.k, a.cnt, a.sv, r.w, r.s FROM A a JOIN R r ON a.k = r.k AND a.cnt * 40 > r.w",
         stages=[Stage("A", A_COLS, A_FLINK, A_SQLITE)]),
    Case("staged_agg_then_join_full", "join_over_agg",
         cols("ak INT, cnt BIGINT, rk INT, w INT"),
         "SELECT a.k, a.cnt, r.k, r.w FROM A a FULL OUTER JOIN R r ON a.k = r.k AND a.sv > r.w",
         sqlite_join("FULL", "a.k, a.cnt, r.k, r.w", "a.k = r.k AND a.sv > r.w",
                     left="A a", left_marker="a.cnt"),  # COUNT(*) is never NULL
         stages=[Stage("A", A_COLS, A_FLINK, A_SQLITE)]),
    # Stateless and aggregate operators over a changelog source.
    Case("staged_changelog_filter", "join_over_agg",
         cols("k INT, cnt BIGINT, mx STRING"),
         "SELECT k, cnt, mx FROM A WHERE cnt > 12 OR k IS NULL",
         stages=[Stage("A", A_COLS, A_FLINK, A_SQLITE)]),
    Case("staged_agg_then_agg", "join_over_agg",
         cols("cnt BIGINT, nk BIGINT, sum_sv INT, min_k INT"),
         "SELECT cnt, COUNT(*), SUM(sv), MIN(k) FROM A GROUP BY cnt",
         stages=[Stage("A", A_COLS, A_FLINK, A_SQLITE)]),
]

# ---- windows and top-N (to come) -------------------------------------------------------------
# (Cases below.) Window aggregates need an event-time attribute: Case(..., watermarks=_WM) adds it
# to L's DDL (ts is mostly ascending with up to 1 s of disorder, duplicates copy older times, and
# 2 % NULL: filter them). SQLite side of a TUMBLE of 10 s over ts, e.g.:
#   strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', ts) AS INTEGER) / 10) * 10, 'unixepoch')
# Top-N: `SELECT * FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn
# FROM L) WHERE rn <= 3` in both dialects (SQLite has window functions); ties need a total order
# (add ts and the other columns to ORDER BY) for the multisets to be comparable.
def _sqlite_window(size_s, shift_s=0):
    """SQLite's window_start / window_end of a window of size_s seconds starting shift_s before
    the TUMBLE bucket of ts (ts text 'yyyy-MM-dd HH:mm:ss.SSS', after 1970)."""
    start = "((CAST(strftime('%%s', ts) AS INTEGER) / %d) * %d - %d)" % (size_s, size_s, shift_s)
    return ("strftime('%%Y-%%m-%%d %%H:%%M:%%S.000', %s, 'unixepoch')" % start,
            "strftime('%%Y-%%m-%%d %%H:%%M:%%S.000', %s + %d, 'unixepoch')" % (start, size_s + shift_s))


# The watermark waits 2 minutes (more than the inputs' whole time range): the duplicated rows
# (DUP_SHARE) copy earlier rows' times, and a periodic watermark between two input files (a loaded
# machine) would rightly make such a copy late and drop it, which the batch result cannot show.
# (Windows firing on the watermark mid-stream: tests/operators/test_window*.c, tests/e2e/window.sh.)
_WM = {"L": "WATERMARK FOR ts AS ts - INTERVAL '2' MINUTE"}
_WS, _WE = _sqlite_window(10)

# Rows with a NULL rowtime never enter a window (Sluice drops and counts them): SQLite filters them.
WINDOWS = [
    Case("window_tumble_10s", "window",
         cols("k INT, ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, sv INT, mx STRING"),
         "SELECT k, window_start, window_end, COUNT(*), SUM(v), MAX(s) FROM TABLE(TUMBLE(TABLE L, DESCRIPTOR(ts), "
         "INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end",
         "SELECT k, %s, %s, COUNT(*), SUM(v), MAX(s) FROM L WHERE ts IS NOT NULL GROUP BY 1, 2, 3" % (_WS, _WE),
         watermarks=_WM),
    Case("window_tumble_global_distinct", "window",
         cols("ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, cd BIGINT, mn DOUBLE"),
         "SELECT window_start, window_end, COUNT(*), COUNT(DISTINCT k2), MIN(d) FROM TABLE(TUMBLE(TABLE L, DESCRIPTOR(ts), "
         "INTERVAL '10' SECOND)) GROUP BY window_start, window_end",
         "SELECT %s, %s, COUNT(*), COUNT(DISTINCT k2), MIN(d) FROM L WHERE ts IS NOT NULL GROUP BY 1, 2" % (_WS, _WE),
         watermarks=_WM),
    # HOP of 20 s every 10 s: each row is in the window of its 10 s bucket and the one before
    Case("window_hop_20s_10s", "window",
         cols("k2 STRING, ws TIMESTAMP(3), we TIMESTAMP(3), c BIGINT, av DOUBLE"),
         "SELECT k2, window_start, window_end, COUNT(*), AVG(d) FROM TABLE(HOP(TABLE L, DESCRIPTOR(ts), "
         "INTERVAL '10' SECOND, INTERVAL '20' SECOND)) GROUP BY k2, window_start, window_end",
         "SELECT k2, ws, we, COUNT(*), AVG(d) FROM ("
         "SELECT k2, d, %s AS ws, %s AS we FROM L WHERE ts IS NOT NULL UNION ALL "
         "SELECT k2, d, strftime('%%Y-%%m-%%d %%H:%%M:%%S.000', (CAST(strftime('%%s', ts) AS INTEGER) / 10) * 10, 'unixepoch'), "
         "strftime('%%Y-%%m-%%d %%H:%%M:%%S.000', (CAST(strftime('%%s', ts) AS INTEGER) / 10) * 10 + 20, 'unixepoch') "
         "FROM L WHERE ts IS NOT NULL) GROUP BY k2, ws, we" % _sqlite_window(10, 10),
         watermarks=_WM),
]

# Interval joins: rows of L and R with the same key whose times are at most 2 s apart. At end of
# input every row's interval closes, so the result equals the batch join (LEFT: unmatched L rows
# come out null-padded when their interval closes; rows with a NULL time never match).
_IV = "l.ts BETWEEN r.ts - INTERVAL '2' SECOND AND r.ts + INTERVAL '2' SECOND"
_IV_SQLITE = "l.ts BETWEEN strftime('%Y-%m-%d %H:%M:%f', r.ts, '-2 seconds') AND strftime('%Y-%m-%d %H:%M:%f', r.ts, '+2 seconds')"
_WM2 = {"L": _WM["L"], "R": "WATERMARK FOR ts AS ts - INTERVAL '2' MINUTE"}  # (see _WM)
INTERVAL_JOINS = [
    Case("interval_join_inner", "interval",
         cols("k INT, v INT, w INT, lts TIMESTAMP(3), rts TIMESTAMP(3)"),
         "SELECT l.k, l.v, r.w, l.ts, r.ts FROM L l JOIN R r ON l.k = r.k AND " + _IV,
         "SELECT l.k, l.v, r.w, l.ts, r.ts FROM L l JOIN R r ON l.k = r.k AND " + _IV_SQLITE,
         watermarks=_WM2),
    Case("interval_join_left", "interval",
         cols("k INT, v INT, w INT"),
         "SELECT l.k, l.v, r.w FROM L l LEFT JOIN R r ON l.k = r.k AND " + _IV,
         "SELECT l.k, l.v, r.w FROM L l LEFT JOIN R r ON l.k = r.k AND " + _IV_SQLITE + " WHERE l.ts IS NOT NULL",
         watermarks=_WM2),
]
# Window joins: L and R windowed by the same TUMBLE / HOP over ts, joined on k and the windows. At
# end of input every window fires, so the result equals the batch join of the windowed rows (rows
# with a NULL time are in no window: SQLite filters them; NULL keys never match). R covers the
# first half of L's time range only, so the outer joins pad rows of windows R has no rows in.
# The watermarks wait 2 minutes, as _WM's (windows firing mid-stream: tests/operators/test_window_join.c).
def _wj_windows(table, hop):
    """SQLite: table's rows with window_start / window_end (and rid, the rowid: never NULL) once
    per window: TUMBLE of 10 s, or HOP of 20 s every 10 s (the window starting at the row's 10 s
    bucket and the one starting 10 s before)."""
    bucket = "((CAST(strftime('%s', ts) AS INTEGER) / 10) * 10)"
    def one(shift_s, size_s):
        return ("SELECT *, rowid AS rid, strftime('%%Y-%%m-%%d %%H:%%M:%%S.000', %s - %d, 'unixepoch') AS window_start, "
                "strftime('%%Y-%%m-%%d %%H:%%M:%%S.000', %s - %d + %d, 'unixepoch') AS window_end FROM %s WHERE ts IS NOT NULL"
                % (bucket, shift_s, bucket, shift_s, size_s, table))
    if not hop:
        return "(%s)" % one(0, 10)
    return "(%s UNION ALL %s)" % (one(0, 20), one(10, 20))


def window_join_case(kind, hop=False, residual=None):
    fn = ("HOP(TABLE %s, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '20' SECOND)" if hop
          else "TUMBLE(TABLE %s, DESCRIPTOR(ts), INTERVAL '10' SECOND)")
    on = "l.k = r.k AND l.window_start = r.window_start AND l.window_end = r.window_end"
    if residual:
        on += " AND " + residual
    select = "l.k, l.v, r.w, l.window_start, l.window_end, r.window_start"
    j = {"INNER": "JOIN", "LEFT": "LEFT JOIN", "RIGHT": "RIGHT JOIN", "FULL": "FULL OUTER JOIN"}[kind]
    flink = "SELECT %s FROM (SELECT * FROM TABLE(%s)) l %s (SELECT * FROM TABLE(%s)) r ON %s" % (
        select, fn % "L", j, fn % "R", on)
    sqlite = sqlite_join(kind, select, on, left=_wj_windows("L", hop) + " l", right=_wj_windows("R", hop) + " r",
                         left_marker="l.rid")
    name = "window_join_%s_%s%s" % (kind.lower(), "hop" if hop else "tumble", "_residual" if residual else "")
    return Case(name, "window_join",
                cols("k INT, v INT, w INT, lws TIMESTAMP(3), lwe TIMESTAMP(3), rws TIMESTAMP(3)"),
                flink, sqlite, watermarks=_WM2)


WINDOW_JOINS = [
    window_join_case("INNER"),
    window_join_case("LEFT"),
    window_join_case("RIGHT"),
    window_join_case("FULL"),
    window_join_case("INNER", residual="l.v < r.w"),
    window_join_case("FULL", residual="l.v < r.w"),
    window_join_case("LEFT", hop=True),
]

# Top-N and deduplication (ROW_NUMBER): every sort key list ends in enough columns for a total
# order, or the output only has columns the ties share (the dedup cases), so that the multisets
# compare. NULLs sort first under ASC and last under DESC in both (SQLite: NULL is the smallest).
TOPN_ORDER = "v DESC, ts, s, b, d, k2, f"
TOPN = [
    Case("topn_rank_top3_rn", "topn",
         cols("k INT, v INT, s STRING, ts TIMESTAMP(3), rn BIGINT"),
         "SELECT k, v, s, ts, rn FROM (SELECT k, v, s, ts, ROW_NUMBER() OVER (PARTITION BY k "
         "ORDER BY %s) AS rn FROM L) WHERE rn <= 3" % TOPN_ORDER),
    Case("topn_rank_top3_no_rn", "topn",
         cols("k2 STRING, b BIGINT, s STRING, v INT"),
         "SELECT k2, b, s, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k2 "
         "ORDER BY b ASC, s DESC, d, k, v, ts, f) AS rn FROM L WHERE v > 0) WHERE rn < 4 AND s <> 'zz'"),
    Case("topn_rank_global_top5", "topn",
         cols("k INT, v INT, rn BIGINT"),
         "SELECT k, v, rn FROM (SELECT k, v, ROW_NUMBER() OVER (ORDER BY v DESC, ts, s, b, d, k, k2, f) AS rn "
         "FROM L) WHERE rn <= 5"),
    Case("topn_rank_dedup_first_row", "topn",
         cols("k INT, ts TIMESTAMP(3)"),
         "SELECT k, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts ASC) AS rn FROM L) "
         "WHERE rn = 1",
         watermarks={"L": "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND"}),
    Case("topn_rank_dedup_last_row", "topn",
         cols("k INT, ts TIMESTAMP(3)"),
         "SELECT k, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM L) "
         "WHERE rn = 1",
         watermarks={"L": "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND"}),
    # RANK / DENSE_RANK: ties share a rank, so the kept rows are a set without tie-breaking; sort
    # keys with many ties (and the exact duplicate rows of L) on purpose
    Case("topn_rank_ties_rn", "topn",
         cols("k INT, v INT, s STRING, rn BIGINT"),
         "SELECT k, v, s, rn FROM (SELECT k, v, s, RANK() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM L) "
         "WHERE rn <= 3"),
    Case("topn_rank_ties_no_rn", "topn",
         cols("k2 STRING, f BOOLEAN, v INT"),
         "SELECT k2, f, v FROM (SELECT *, RANK() OVER (PARTITION BY k2 ORDER BY f DESC, k) AS r FROM L) "
         "WHERE r < 4"),
    Case("topn_dense_rank_rn", "topn",
         cols("k INT, s STRING, v INT, rn BIGINT"),
         "SELECT k, s, v, rn FROM (SELECT k, s, v, DENSE_RANK() OVER (PARTITION BY k ORDER BY s ASC) AS rn FROM L) "
         "WHERE rn <= 2"),
    Case("topn_dense_rank_global_no_rn", "topn",
         cols("k2 STRING, b BIGINT"),
         "SELECT k2, b FROM (SELECT k2, b, DENSE_RANK() OVER (ORDER BY k2 DESC) AS rn FROM L) WHERE rn = 1"),
    # Top-N over an updating input (a GROUP BY: RetractStrategy): rows leave and re-enter the top N
    # as the groups' sums change; the materialized changelog is the batch top-N of the final sums
    Case("topn_over_group_by_rn", "topn",
         cols("k2 STRING, k INT, sv INT, rn BIGINT"),
         "SELECT k2, k, sv, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k2 ORDER BY sv DESC, k) AS rn FROM "
         "(SELECT k2, k, SUM(v) AS sv FROM L GROUP BY k2, k)) WHERE rn <= 3"),
    Case("topn_over_group_by_global_no_rn", "topn",
         cols("k INT, c BIGINT, mx STRING"),
         "SELECT k, c, mx FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY c DESC, k) AS rn FROM "
         "(SELECT k, COUNT(*) AS c, MAX(s) AS mx FROM L WHERE v > 0 GROUP BY k)) WHERE rn <= 5"),
]

# Window top-N and window deduplication: the top N of each window (PARTITION BY window_start,
# window_end, ...), emitted once when the window fires (at end of input here: the watermark waits
# 2 minutes, as _WM's; firing mid-stream and late rows: tests/operators/test_rank.c). Rows with a
# NULL time are in no window (SQLite filters them).
_WTOP_SQLITE = "(SELECT *, %s AS ws, %s AS we FROM L WHERE ts IS NOT NULL)" % (_WS, _WE)
WINDOW_TOPN = [
    Case("window_topn_over_window_agg", "window_topn",
         cols("ws TIMESTAMP(3), we TIMESTAMP(3), k INT, sv INT, rn BIGINT"),
         "SELECT window_start, window_end, k, sv, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end "
         "ORDER BY sv DESC, k) AS rn FROM (SELECT window_start, window_end, k, SUM(v) AS sv FROM TABLE(TUMBLE(TABLE L, "
         "DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, k)) WHERE rn <= 3",
         "SELECT ws, we, k, sv, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ws, we ORDER BY sv DESC, k) AS rn FROM "
         "(SELECT %s AS ws, %s AS we, k, SUM(v) AS sv FROM L WHERE ts IS NOT NULL GROUP BY 1, 2, 3)) WHERE rn <= 3" % (_WS, _WE),
         watermarks=_WM),
    Case("window_topn_over_tvf_no_rn", "window_topn",
         cols("k2 STRING, v INT, s STRING, ws TIMESTAMP(3), we TIMESTAMP(3)"),
         "SELECT k2, v, s, window_start, window_end FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, k2 "
         "ORDER BY %s) AS rn FROM TABLE(TUMBLE(TABLE L, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn <= 2" % TOPN_ORDER,
         "SELECT k2, v, s, ws, we FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ws, we, k2 ORDER BY %s) AS rn FROM %s) "
         "WHERE rn <= 2" % (TOPN_ORDER, _WTOP_SQLITE),
         watermarks=_WM),
    # deduplication: the output has only columns the rows tying on ts share
    Case("window_dedup_first_row", "window_topn",
         cols("k INT, ts TIMESTAMP(3), ws TIMESTAMP(3), we TIMESTAMP(3)"),
         "SELECT k, ts, window_start, window_end FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, k "
         "ORDER BY ts ASC) AS rn FROM TABLE(TUMBLE(TABLE L, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn = 1",
         "SELECT k, ts, ws, we FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ws, we, k ORDER BY ts ASC) AS rn FROM %s) "
         "WHERE rn = 1" % _WTOP_SQLITE,
         watermarks=_WM),
    Case("window_dedup_last_row", "window_topn",
         cols("k2 STRING, ts TIMESTAMP(3), ws TIMESTAMP(3), we TIMESTAMP(3)"),
         "SELECT k2, ts, window_start, window_end FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, k2 "
         "ORDER BY ts DESC) AS rn FROM TABLE(TUMBLE(TABLE L, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn <= 1",
         "SELECT k2, ts, ws, we FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ws, we, k2 ORDER BY ts DESC) AS rn FROM %s) "
         "WHERE rn = 1" % _WTOP_SQLITE,
         watermarks=_WM),
]

# UNION ALL / UNION, WITH (CTEs) and subqueries in FROM: the planner inlines CTEs and subqueries,
# coerces union inputs to their common type and plans UNION as UNION ALL under a grouping.
SETOPS = [
    Case("union_all_coerce", "setops",
         cols("k INT, v BIGINT, s STRING"),
         "SELECT k, v, s FROM L WHERE v > 0 UNION ALL SELECT k, b, k2 FROM R WHERE f"),
    Case("union_all_filter_above", "setops",
         cols("k INT, v INT"),
         "SELECT k, v FROM (SELECT k, v FROM L UNION ALL SELECT k, w FROM R UNION ALL SELECT v, k FROM L) AS u "
         "WHERE v > 200 OR k IS NULL"),
    Case("union_distinct", "setops",
         cols("k INT, k2 STRING"),
         "SELECT k, k2 FROM L UNION SELECT k, k2 FROM R"),
    Case("union_all_agg", "setops",
         cols("k INT, c BIGINT, sv BIGINT"),
         "SELECT k, COUNT(*), SUM(CAST(v AS BIGINT)) FROM (SELECT k, v FROM L UNION ALL SELECT k, w FROM R) AS u GROUP BY k"),
    Case("cte_join", "setops",
         cols("k INT, v INT, w INT"),
         "WITH a AS (SELECT k, v FROM L WHERE v > 100), b (key, w) AS (SELECT k, w FROM R) "
         "SELECT a.k, a.v, b.w FROM a JOIN b ON a.k = b.key"),
    Case("cte_twice_subquery", "setops",
         cols("k INT, v INT, v2 INT"),
         "WITH x AS (SELECT k, v FROM L WHERE s IS NOT NULL) "
         "SELECT p.k, p.v, q.v FROM x AS p JOIN (SELECT k, v + 1 AS v FROM x) AS q ON p.k = q.k WHERE p.v < q.v"),
]

# IN / NOT IN / EXISTS / NOT EXISTS subqueries in WHERE (semi and anti joins; NOT IN null-aware:
# a NULL on either side makes NOT IN unknown), INTERSECT / EXCEPT (set semantics, NULL = NULL);
# over insert-only and updating inputs (an aggregate on the right, a staged changelog on the left).
SEMI_ANTI = [
    Case("semi_in", "semi",
         cols("k INT, k2 STRING, v INT, s STRING"),
         "SELECT k, k2, v, s FROM L WHERE k IN (SELECT k FROM R WHERE w > 100) AND v > 0"),
    Case("semi_in_two_columns", "semi",
         cols("k INT, k2 STRING, v INT"),
         "SELECT k, k2, v FROM L WHERE (k, k2) IN (SELECT k, k2 FROM R)",
         "SELECT k, k2, v FROM L WHERE (k, k2) IN (SELECT k, k2 FROM R)"),
    Case("anti_not_in_nulls", "semi",
         cols("k INT, v INT, s STRING"),
         # R.k has NULLs: NOT IN is never true once one is there
         "SELECT k, v, s FROM L WHERE k NOT IN (SELECT k FROM R WHERE w > 500)"),
    Case("anti_not_in_left_nulls", "semi",
         cols("k INT, v INT, s STRING"),
         # no NULL on the right: a NULL on the left is unknown (dropped) unless the right is empty
         "SELECT k, v, s FROM L WHERE k NOT IN (SELECT k FROM R WHERE k IS NOT NULL AND w > 200)"),
    Case("anti_not_in_two_columns", "semi",
         cols("k INT, k2 STRING, v INT"),
         "SELECT k, k2, v FROM L WHERE (k, k2) NOT IN (SELECT k, k2 FROM R WHERE k IS NOT NULL AND w > 300)"),
    Case("semi_exists_correlated", "semi",
         cols("k INT, v INT, s STRING"),
         "SELECT k, v, s FROM L l WHERE EXISTS (SELECT * FROM R r WHERE r.k = l.k AND r.w > l.v)"),
    Case("anti_not_exists_correlated", "semi",
         cols("k INT, k2 STRING, v INT"),
         "SELECT k, k2, v FROM L l WHERE NOT EXISTS (SELECT 1 FROM R r WHERE r.k = l.k AND r.k2 = l.k2) AND v < 900"),
    Case("semi_in_updating_right", "semi",
         cols("k INT, v INT"),
         # groups enter and leave the subquery's result as R's rows arrive
         "SELECT k, v FROM L WHERE k IN (SELECT k FROM R GROUP BY k HAVING COUNT(*) % 2 = 0)"),
    Case("anti_not_exists_updating_right", "semi",
         cols("k INT, v INT"),
         "SELECT k, v FROM L l WHERE NOT EXISTS "
         "(SELECT * FROM (SELECT k, COUNT(*) AS c FROM R GROUP BY k) a WHERE a.k = l.k AND a.c % 2 = 1)"),
    Case("semi_in_updating_left", "semi",
         cols("k INT, c BIGINT"),
         "SELECT k, c FROM P WHERE k IN (SELECT k FROM R WHERE w > 200)",
         stages=[Stage("P", cols("k INT, c BIGINT"), "SELECT k, COUNT(*) AS c FROM L GROUP BY k")]),
    Case("anti_not_in_updating_left", "semi",
         cols("k INT, c BIGINT"),
         "SELECT k, c FROM P WHERE k NOT IN (SELECT k FROM R WHERE k IS NOT NULL AND w > 200)",
         stages=[Stage("P", cols("k INT, c BIGINT"), "SELECT k, COUNT(*) AS c FROM L GROUP BY k")]),
    Case("semi_in_then_agg", "semi",
         cols("k2 STRING, c BIGINT, sv INT"),
         "SELECT k2, COUNT(*), SUM(v) FROM L WHERE k IN (SELECT k FROM R) AND v > 0 GROUP BY k2"),
    Case("semi_in_expression_operand", "semi",
         cols("k INT, v INT"),
         "SELECT k, v FROM L WHERE v % 50 IN (SELECT w % 50 + 1 FROM R WHERE k IS NOT NULL)"),
    Case("semi_in_correlated", "semi",
         cols("k INT, k2 STRING, v INT"),
         "SELECT k, k2, v FROM L l WHERE k2 IN (SELECT r.k2 FROM R r WHERE r.k = l.k AND r.w > l.v)"),
    Case("semi_exists_uncorrelated", "semi",
         cols("k INT, v INT"),
         # true once R has a row with w > 990 (no key: one parallel instance)
         "SELECT k, v FROM L WHERE EXISTS (SELECT * FROM R WHERE w > 990) AND v > 500"),
    Case("anti_not_exists_uncorrelated", "semi",
         cols("k INT, v INT"),
         "SELECT k, v FROM L WHERE NOT EXISTS (SELECT k FROM R WHERE w > 2000)"),
    Case("intersect", "semi",
         cols("k INT, k2 STRING"),
         "SELECT k, k2 FROM L INTERSECT SELECT k, k2 FROM R"),
    Case("except", "semi",
         cols("k INT, k2 STRING"),
         "SELECT k, k2 FROM L EXCEPT SELECT k, k2 FROM R WHERE w > 100"),
    # SQLite has no INTERSECT ALL / EXCEPT ALL: the n-th copy of a row is kept if the other side
    # has an n-th copy (ALL: min of the counts) / has none (EXCEPT ALL: the left's excess)
    Case("intersect_all", "semi",
         cols("k INT, k2 STRING"),
         "SELECT k, k2 FROM L INTERSECT ALL SELECT k, k2 FROM R",
         "SELECT k, k2 FROM (SELECT k, k2, ROW_NUMBER() OVER (PARTITION BY k, k2) AS n FROM L) a WHERE EXISTS "
         "(SELECT 1 FROM (SELECT k, k2, ROW_NUMBER() OVER (PARTITION BY k, k2) AS n FROM R) b "
         "WHERE a.k IS b.k AND a.k2 IS b.k2 AND a.n = b.n)"),
    Case("except_all", "semi",
         cols("k INT, k2 STRING"),
         "SELECT k, k2 FROM L EXCEPT ALL SELECT k, k2 FROM R WHERE w > 100",
         "SELECT k, k2 FROM (SELECT k, k2, ROW_NUMBER() OVER (PARTITION BY k, k2) AS n FROM L) a WHERE NOT EXISTS "
         "(SELECT 1 FROM (SELECT k, k2, ROW_NUMBER() OVER (PARTITION BY k, k2) AS n FROM R WHERE w > 100) b "
         "WHERE a.k IS b.k AND a.k2 IS b.k2 AND a.n = b.n)"),
]

# VALUES tables (SQLite names VALUES columns column1, column2 ...: a CTE names them there).
VALUES = [
    Case("values_join", "values",
         cols("k INT, tag STRING, v INT"),
         "SELECT l.k, t.tag, l.v FROM L l JOIN (VALUES (0, 'zero'), (3, 'three'), (45, 'x'), (CAST(NULL AS INT), 'n')) "
         "AS t(k, tag) ON l.k = t.k",
         "WITH t(k, tag) AS (VALUES (0, 'zero'), (3, 'three'), (45, 'x'), (NULL, 'n')) "
         "SELECT l.k, t.tag, l.v FROM L l JOIN t ON l.k = t.k"),
    Case("values_union_agg", "values",
         cols("k INT, c BIGINT"),
         "SELECT k, COUNT(*) FROM (SELECT k FROM L UNION ALL SELECT * FROM (VALUES 1, 1 + 1, 1, CAST(NULL AS INT))) GROUP BY k",
         "SELECT k, COUNT(*) FROM (SELECT k FROM L UNION ALL SELECT * FROM (VALUES (1), (2), (1), (NULL))) GROUP BY k"),
]

CASES = (STATELESS + JOINS + AGGREGATES + AGG_OVER_JOIN + JOIN_OVER_AGG + WINDOWS + INTERVAL_JOINS + WINDOW_JOINS + TOPN
         + WINDOW_TOPN + SETOPS + SEMI_ANTI + VALUES)


# ------------------------------------------------------------------------------------------------
# Scripts and runs
# ------------------------------------------------------------------------------------------------

def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def ddl(name, columns, path, fmt, watermark=None):
    lines = ["  %s %s" % (c, t) for c, t in columns]
    if watermark:
        lines.append("  " + watermark)
    return ("CREATE TABLE %s (\n%s\n) WITH (\n  'connector' = 'filesystem',\n  'path' = %s,\n"
            "  'format' = %s\n);\n" % (name, ",\n".join(lines), sql_str(path), sql_str(fmt)))


def build_script(case, input_dirs, workdir):
    parts = ["-- differential case %s (generated by tests/diff/diff.py)\n" % case.name]
    for key, value in case.settings.items():
        parts.append("SET %s = %s;\n" % (sql_str(key), sql_str(value)))
    for name, columns in INPUT_SCHEMAS.items():
        parts.append(ddl(name, columns, input_dirs[name], "json", case.watermarks.get(name)))
    for st in case.stages:
        parts.append(ddl(st.name, st.cols, os.path.join(workdir, "stage_" + st.name), "debezium-json"))
    parts.append(ddl("sink", case.sink, os.path.join(workdir, "sink"), "debezium-json"))
    for st in case.stages:
        parts.append("INSERT INTO %s\n%s;\n" % (st.name, st.flink))
    parts.append("INSERT INTO sink\n%s;\n" % case.flink)
    return "".join(parts)


class ChangelogError(Exception):
    pass


class _Where:
    """file:line of a changelog record, formatted only when an error is reported."""

    def __init__(self, path, directory, lineno):
        self.path, self.directory, self.lineno = path, directory, lineno

    def __str__(self):
        return "%s:%d" % (os.path.relpath(self.path, self.directory), self.lineno)


def materialize(directory, columns):
    """Apply the debezium-json changelog in the part files under directory to a multiset.
    Each file in order; files in any order (sorted, for a stable report)."""
    names = [c for c, _ in columns]
    bag = Counter()
    hidden = []
    nchanges = 0
    files = []
    for root, dirs, fnames in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for fn in sorted(fnames):
            if fn.startswith("."):
                hidden.append(os.path.join(root, fn))
            elif fn.startswith("part-"):
                files.append(os.path.join(root, fn))
    for path in files:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line:
                    continue
                where = _Where(path, directory, lineno)
                try:
                    msg = json.loads(line)
                except ValueError as e:
                    raise ChangelogError("%s: not JSON (%s): %s" % (where, e, line[:200]))
                op = msg.get("op")
                side = {"c": "after", "d": "before"}.get(op)
                if side is None:
                    raise ChangelogError("%s: unexpected op %r: %s" % (where, op, line[:200]))
                rec = msg.get(side)
                other = msg.get("before" if side == "after" else "after", "missing")
                if other is not None:
                    raise ChangelogError("%s: op %r needs a null %r: %s"
                                         % (where, op, "before" if side == "after" else "after",
                                            line[:200]))
                if not isinstance(rec, dict) or set(rec) != set(names):
                    raise ChangelogError("%s: %r should be an object with the sink columns %s: %s"
                                         % (where, side, names, line[:200]))
                row = tuple(rec[c] for c in names)
                nchanges += 1
                if op == "c":
                    bag[row] += 1
                else:
                    if bag[row] <= 0:
                        raise ChangelogError("%s: retraction of a row that is not in the result: %s"
                                             % (where, line[:300]))
                    bag[row] -= 1
                    if bag[row] == 0:
                        del bag[row]
    return bag, nchanges, hidden


TS_RE = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d*))?Z?$")


def norm_value(v, typ):
    if v is None:
        return None
    t = typ.upper()
    if t.startswith(("DOUBLE", "FLOAT", "REAL")):
        if isinstance(v, str):  # NaN / Infinity are written as strings
            return v
        x = float(v)
        return 0.0 if x == 0 else float("%.6g" % x)
    if t.startswith("BOOLEAN"):
        if isinstance(v, str):
            return 1 if v.lower() == "true" else 0
        return 1 if v else 0
    if t.startswith(("INT", "BIGINT", "SMALLINT", "TINYINT")):
        return int(v)
    if t.startswith("TIMESTAMP") and isinstance(v, str):
        m = TS_RE.match(v)
        if m:
            frac = (m.group(3) or "").rstrip("0")
            return "%s %s%s" % (m.group(1), m.group(2), "." + frac if frac else "")
    return v


def normalize(bag, columns):
    types = [t for _, t in columns]
    out = Counter()
    for row, n in bag.items():
        out[tuple(v if v is None or (t == "STRING" and isinstance(v, str)) else norm_value(v, t)
                  for v, t in zip(row, types))] += n
    return out


def sort_key(row):
    return tuple((0, "") if v is None else (1, repr(v)) if isinstance(v, str) else (2, v) for v in row)


def sqlite_type(t):
    t = t.upper()
    if t.startswith(("INT", "BIGINT", "SMALLINT", "TINYINT", "BOOLEAN")):
        return "INTEGER"
    if t.startswith(("DOUBLE", "FLOAT", "REAL")):
        return "REAL"
    return "TEXT"


def load_db(tables):
    db = sqlite3.connect(":memory:")
    for name, columns in INPUT_SCHEMAS.items():
        db.execute("CREATE TABLE %s (%s)" % (name, ", ".join("%s %s" % (c, sqlite_type(t))
                                                              for c, t in columns)))
        db.executemany("INSERT INTO %s VALUES (%s)" % (name, ", ".join("?" * len(columns))),
                       [tuple(int(r[c]) if isinstance(r[c], bool) else r[c] for c, _ in columns)
                        for r in tables[name]])
    return db


def sqlite_expected(case, tables):
    """{stage name or 'sink': normalized Counter} computed by SQLite."""
    db = load_db(tables)
    try:
        out = {}
        for st in case.stages:
            # a view with the stage's column names over the stage's query
            db.execute("CREATE TEMP VIEW %s (%s) AS %s"
                       % (st.name, ", ".join(c for c, _ in st.cols), st.sqlite))
            out[st.name] = normalize(Counter(db.execute("SELECT * FROM %s" % st.name).fetchall()),
                                     st.cols)
        rows = db.execute(case.sqlite).fetchall()
        out["sink"] = normalize(Counter(rows), case.sink)
        return out
    finally:
        db.close()


def encode_value(v, typ):
    if v is not None and typ.upper().startswith("BOOLEAN"):
        return bool(v)
    return v


SELF_TEST_ROWS = 300  # rows of each case's expected result used by the self-test


def sentinel(typ):
    """A value no case produces."""
    t = typ.upper()
    if t.startswith(("DOUBLE", "FLOAT")):
        return -1.25e300
    if t.startswith(("INT", "BIGINT", "SMALLINT", "TINYINT")):
        return -987654321
    if t.startswith("BOOLEAN"):
        return 1
    if t.startswith("TIMESTAMP"):
        return "1900-01-01 00:00:00"
    return "no such row"


def self_test(tables, cases, expected, workdir, seed):
    """Checks the harness without Sluice: (1) the RIGHT/FULL emulation against SQLite's native
    RIGHT/FULL JOIN (SQLite >= 3.39); (2) the changelog materializer on synthetic changelogs of
    every case's expected result (spread over part files, with retract/re-add pairs and rows
    that come and go, plus a hidden file), and that it catches a bad retraction and a lost row.
    Returns a list of problems."""
    problems = []
    checked = 0
    if sqlite3.sqlite_version_info >= (3, 39, 0):
        db = load_db(tables)
        for kind in ("RIGHT", "FULL"):
            for on in ("l.k = r.k AND l.v < r.w", "l.k = r.k AND l.k2 = r.k2"):
                for where in ("", "r.w IS NULL OR l.v > 300"):
                    emu = Counter(db.execute(sqlite_join(kind, JOIN_SELECT, on, where)).fetchall())
                    nat = Counter(db.execute(flink_join(kind, JOIN_SELECT, on, where)).fetchall())
                    checked += 1
                    if emu != nat or not emu:
                        problems.append("self-test: %s JOIN emulation differs from SQLite's own "
                                        "(ON %s WHERE %s): %d vs %d rows"
                                        % (kind, on, where or "-", sum(emu.values()), sum(nat.values())))
        db.close()
    rng = random.Random(seed)
    for case in cases:
        if case.name not in expected:
            continue
        want = Counter()
        for row in sorted(expected[case.name]["sink"].elements(), key=sort_key)[:SELF_TEST_ROWS]:
            want[row] += 1
        d = os.path.join(workdir, "selftest", case.name)
        os.makedirs(d)
        files = [[] for _ in range(3)]

        def line(op, row, _case=case):
            rec = {c: encode_value(v, t) for v, (c, t) in zip(row, _case.sink)}
            return json.dumps({"before": rec if op == "d" else None,
                               "after": rec if op == "c" else None, "op": op})
        for row in sorted(want.elements(), key=sort_key):
            out = files[rng.randrange(3)]
            r = rng.random()
            if r < 0.2:  # retract and re-add
                out += [line("c", row), line("d", row), line("c", row)]
            elif r < 0.4:  # a row that comes and goes first
                ghost = tuple("ghost" if t.upper().startswith(("STRING", "VARCHAR")) else v
                              for v, (_, t) in zip(row, case.sink))
                out += [line("c", ghost), line("c", row), line("d", ghost)]
            else:
                out.append(line("c", row))
        for i, lines in enumerate(files):
            with open(os.path.join(d, "part-selftest-%d-0" % i), "w") as f:
                f.write("".join(l + "\n" for l in lines))
        with open(os.path.join(d, ".part-selftest-9-0.inprogress"), "w") as f:
            f.write("not json\n")
        bag, _, hidden = materialize(d, case.sink)
        checked += 1
        if normalize(bag, case.sink) != want or len(hidden) != 1:
            problems.append("self-test: the changelog materializer got a wrong result for %s" % case.name)
        if want:
            # a lost row is a difference; a retraction of an absent row is an error
            victim = next(i for i, l in enumerate(files) if l)
            with open(os.path.join(d, "part-selftest-%d-0" % victim), "w") as f:
                f.write("".join(l + "\n" for l in files[victim][1:]))
            try:
                bag, _, _ = materialize(d, case.sink)
                if normalize(bag, case.sink) == want:
                    problems.append("self-test: a lost row went unnoticed for %s" % case.name)
            except ChangelogError:
                pass  # the lost line was a "c" whose "d" follows: also caught
            with open(os.path.join(d, "part-selftest-%d-0" % victim), "a") as f:
                f.write(line("d", tuple(sentinel(t) for _, t in case.sink)) + "\n")
            try:
                materialize(d, case.sink)
                problems.append("self-test: a bad retraction went unnoticed for %s" % case.name)
            except ChangelogError:
                pass
    return problems, checked


def format_diff(only_s, only_q, limit):
    lines = []
    for title, bag in (("only in Sluice", only_s), ("only in SQLite", only_q)):
        total = sum(bag.values())
        lines.append("  %s: %d row(s)" % (title, total))
        for row in sorted(bag, key=sort_key)[:limit]:
            n = bag[row]
            lines.append("    %s%s" % ("%d x " % n if n > 1 else "", list(row)))
        if len(bag) > limit:
            lines.append("    ... (%d more distinct rows)" % (len(bag) - limit))
    return "\n".join(lines)


def skip_reason(text):
    for line in text.splitlines():
        if any(m in line for m in SKIP_MARKERS):
            return line.strip()
    return None


def run_one(ctx, case, expected, p, backend):
    """Returns (status, summary line, details)."""
    tag = "%s p=%d %s" % (case.name, p, backend)
    workdir = os.path.join(ctx.root, "runs", "%s-p%d-%s" % (case.name, p, backend))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    script = build_script(case, ctx.input_dirs, workdir)
    script_path = os.path.join(workdir, "job.sql")
    with open(script_path, "w") as f:
        f.write(script)
    cmd = [ctx.sluice, "sql", "-f", script_path, "-D", "parallelism.default=%d" % p,
           "-D", "taskmanager.numberOfTaskSlots=%d" % p, "-D", "state.backend.type=%s" % backend]
    env = dict(os.environ, SLUICE_NO_PROGRESS="1")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
        return ("FAIL", "FAIL %s: timed out after %d s" % (tag, RUN_TIMEOUT_S),
                failure_details(ctx, case, p, backend, script, out, ""))
    elapsed = time.monotonic() - t0
    output = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        reason = skip_reason(output)
        if reason:
            reason = reason.replace(workdir + os.sep, "")
            return ("SKIP", "SKIP %s: %s" % (tag, reason), "")
        return ("FAIL", "FAIL %s: sluice exited %d" % (tag, proc.returncode),
                failure_details(ctx, case, p, backend, script, output, ""))
    problems = []
    sanitizer = [l for l in output.splitlines() if any(m in l for m in SANITIZER_MARKERS)]
    if sanitizer:
        problems.append("sanitizer report (exit status 0): %s" % sanitizer[0].strip())
    counts = []
    for name, columns in [(st.name, st.cols) for st in case.stages] + [("sink", case.sink)]:
        directory = os.path.join(workdir, "sink" if name == "sink" else "stage_" + name)
        try:
            bag, nchanges, hidden = materialize(directory, columns)
        except ChangelogError as e:
            problems.append("changelog of %s: %s" % (name, e))
            continue
        if hidden:
            problems.append("%s: hidden (uncommitted) files left after a successful job: %s"
                            % (name, ", ".join(os.path.basename(h) for h in hidden[:5])))
        got = normalize(bag, columns)
        want = expected[name]
        counts.append("%s %d rows/%d changes" % (name, sum(got.values()), nchanges))
        if got != want:
            problems.append("result of %s differs (Sluice %d rows, SQLite %d rows)\n%s"
                            % (name, sum(got.values()), sum(want.values()),
                               format_diff(got - want, want - got, ctx.diff_limit)))
    if problems:
        return ("FAIL", "FAIL %s: %s" % (tag, problems[0].splitlines()[0]),
                failure_details(ctx, case, p, backend, script, output, "\n".join(problems)))
    if not ctx.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return ("PASS", "PASS %s (%s, %.2f s)" % (tag, ", ".join(counts), elapsed), "")


def failure_details(ctx, case, p, backend, script, output, problems):
    lines = ["---- case %s, parallelism %d, state.backend.type %s, seed %d ----"
             % (case.name, p, backend, ctx.seed)]
    if problems:
        lines.append(problems)
    if output.strip():
        out_lines = output.strip().splitlines()
        lines.append("sluice output%s:" % (" (last 40 lines)" if len(out_lines) > 40 else ""))
        lines.extend("  " + l for l in out_lines[-40:])
    lines.append("script:")
    lines.extend("  " + l for l in script.rstrip().splitlines())
    lines.append("SQLite query:")
    for st in case.stages:
        lines.append("  %s := %s" % (st.name, st.sqlite))
    lines.append("  " + case.sqlite)
    lines.append("rerun: SLUICE_BIN_DIR=%s python3 tests/diff/diff.py --case %s --seed %d "
                 "--rows %d --files %d -p %d -b %s --keep"
                 % (os.path.dirname(ctx.sluice), case.name, ctx.seed, ctx.rows, ctx.files, p, backend))
    return "\n".join(lines)


class Ctx:
    pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", action="append", default=[],
                    help="run only this case (an exact name), or the cases matching a glob or containing "
                         "the text; repeatable")
    ap.add_argument("--quick", action="store_true", help="parallelism 1 and hashmap only")
    ap.add_argument("-p", "--parallelism", type=int, action="append",
                    help="parallelism to run (repeatable; default 1 and 4)")
    ap.add_argument("-b", "--backend", action="append", choices=["rocksdb", "hashmap"],
                    help="state backend (repeatable; default rocksdb and hashmap)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SLUICE_DIFF_SEED", "20240101")))
    ap.add_argument("--rows", type=int, default=600, help="rows of L (R has half); default 600")
    ap.add_argument("--files", type=int, default=3, help="JSON files per input table; default 3")
    ap.add_argument("-j", "--jobs", type=int, default=4,
                    help="runs at once (default 4: runs wait on disk much of the time)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory and print it")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--diff-limit", type=int, default=10, help="rows shown per side of a diff")
    args = ap.parse_args(argv)

    cases = CASES
    if args.case:
        names = {c.name for c in CASES}

        def matches(name, pat):
            if pat in names:  # an exact name selects that case only
                return name == pat
            if any(ch in pat for ch in "*?["):
                return fnmatch.fnmatchcase(name, pat)
            return pat in name
        cases = [c for c in CASES if any(matches(c.name, pat) for pat in args.case)]
        if not cases:
            print("diff: no case matches %s (see --list)" % args.case, file=sys.stderr)
            return 2
    if args.list:
        for c in cases:
            print("%-32s %-14s %s" % (c.name, c.group, c.flink.replace("\n", " ")[:110]))
        return 0
    names = [c.name for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        print("diff: duplicate case names %s" % sorted(dup), file=sys.stderr)
        return 2

    parallelisms = args.parallelism or ([1] if args.quick else [1, 4])
    backends = args.backend or (["hashmap"] if args.quick else ["rocksdb", "hashmap"])

    bin_dir = os.environ.get("SLUICE_BIN_DIR")
    if not bin_dir:
        src = os.environ.get("SLUICE_SOURCE_DIR") or os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))
        bin_dir = os.path.join(src, "build", "bin")
    sluice = os.path.join(bin_dir, "sluice")
    if not os.access(sluice, os.X_OK):
        print("diff: no sluice binary at %s (set SLUICE_BIN_DIR)" % sluice, file=sys.stderr)
        return 2

    ctx = Ctx()
    ctx.sluice, ctx.seed, ctx.rows, ctx.files = os.path.abspath(sluice), args.seed, args.rows, args.files
    ctx.keep, ctx.diff_limit = args.keep, args.diff_limit
    ctx.root = tempfile.mkdtemp(prefix="sluice-diff-")
    t_start = time.monotonic()
    try:
        # One data set per run of the harness; every case reads the same tables.
        tables = {}
        ctx.input_dirs = {}
        for name, columns in INPUT_SCHEMAS.items():
            rng = random.Random(args.seed * 1_000_003 + zlib.crc32(name.encode()))
            n = args.rows if name == "L" else max(1, args.rows // 2)
            tables[name] = gen_table(rng, name, n)
            ctx.input_dirs[name] = os.path.join(ctx.root, "input", name)
            write_table_files(tables[name], ctx.input_dirs[name], args.files, columns)
        print("diff: %d case(s) x parallelism %s x backend %s; seed %d; L %d rows, R %d rows, "
              "%d file(s) each; %s" % (len(cases), parallelisms, backends, args.seed,
                                       len(tables["L"]), len(tables["R"]), args.files, sluice),
              flush=True)

        expected = {}
        harness_errors = []
        for c in cases:
            try:
                expected[c.name] = sqlite_expected(c, tables)
            except sqlite3.Error as e:
                harness_errors.append("FAIL %s: the SQLite query fails (harness bug): %s\n  %s"
                                      % (c.name, e, c.sqlite))
        st_problems, st_checked = self_test(tables, cases, expected, ctx.root, args.seed)
        harness_errors += st_problems
        print("diff: harness self-test: %d check(s), %d problem(s)" % (st_checked, len(st_problems)),
              flush=True)
        runs = [(c, p, b) for c in cases if c.name in expected for p in parallelisms for b in backends]
        lock = threading.Lock()
        results = []

        def work(item):
            c, p, b = item
            try:
                res = run_one(ctx, c, expected[c.name], p, b)
            except Exception as e:  # a harness bug must not look like a pass
                res = ("FAIL", "FAIL %s p=%d %s: harness error %r" % (c.name, p, b, e), "")
            with lock:
                print(res[1], flush=True)
            return res

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(work, runs))

        for line in harness_errors:
            print(line)
        details = [r[2] for r in results if r[0] == "FAIL" and r[2]]
        for d in details:
            print("\n" + d)
        npass = sum(1 for r in results if r[0] == "PASS")
        nskip = sum(1 for r in results if r[0] == "SKIP")
        nfail = sum(1 for r in results if r[0] == "FAIL") + len(harness_errors)
        skipped_cases = sorted({c.name for (c, _, _), r in zip(runs, results) if r[0] == "SKIP"})
        if skipped_cases:
            print("\nskipped cases (Sluice cannot run them yet): %s" % ", ".join(skipped_cases))
        empty = sorted(c.name for c in cases if c.name in expected and not expected[c.name]["sink"])
        if empty:
            print("note: the expected result is empty for %s" % ", ".join(empty))
        if args.keep:
            print("work directory kept: %s" % ctx.root)
        print("(%.1f s)" % (time.monotonic() - t_start))
        print("diff: %d passed, %d skipped, %d failed" % (npass, nskip, nfail), flush=True)
        return 1 if nfail else 0
    finally:
        if not args.keep:
            shutil.rmtree(ctx.root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
