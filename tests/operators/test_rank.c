/* Top-N / Deduplicate harness tests: the rank operator built from real JobGraph specs (SQL ->
 * planner -> JobGraph), driven directly with rows; the exact changelog it emits (in order) is
 * compared with Flink's AppendOnlyTopNFunction / deduplicate functions. Both state backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "tests/operators/harness.h"
#include "sql/sql.h"
#include "sql/validate.h"

#define BASE_MS HARNESS_BASE_MS

typedef harness_op wh;

static void wh_init(wh *h, const char *sql, int backend, int32_t ltz_offset, const char *input_names)
{
    harness_op_init(h, sql, "rank", sl_op_rank_create, backend, ltz_offset, input_names);
}
static void wh_free(wh *h) { harness_op_free(h); }
static void push(wh *h, const char *spec) { harness_push(h, spec); }

/* The output since the last call, in emission order, must be `want`; then it is cleared. */
static void expect(wh *h, const char *want)
{
    assert_string_equal(sl_strbuf_cstr(&h->cap.text), want);
    sl_strbuf_reset(&h->cap.text);
}

#define TABLE_T                                                                                                       \
    "CREATE TABLE t (k STRING, x INT, v STRING, ts TIMESTAMP(3), pt AS PROCTIME(),"                                   \
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');"

#define TOP2(outer, cond) \
    TABLE_T "SELECT " outer " FROM (SELECT k, x, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM t) WHERE " cond

/* Top-2 with the row number: rank shifts are -U/+U pairs, new ranks +I; rows past N are dropped;
 * ties go after the rows they tie with. */
static void test_top2_with_rn(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, TOP2("*", "rn <= 2"), backend, 0, "k,x,v");
        push(&h, "a|1|p");
        expect(&h, "+I[a, 1, p, 1]\n");
        push(&h, "a|3|q"); /* new first: p moves to rank 2 */
        expect(&h, "-U[a, 1, p, 1]\n+U[a, 3, q, 1]\n+I[a, 1, p, 2]\n");
        push(&h, "b|5|r"); /* another partition */
        expect(&h, "+I[b, 5, r, 1]\n");
        push(&h, "a|0|z"); /* below the top 2: nothing */
        expect(&h, "");
        push(&h, "a|2|s"); /* rank 2: p leaves without a -D (its rank is taken) */
        expect(&h, "-U[a, 1, p, 2]\n+U[a, 2, s, 2]\n");
        push(&h, "a|3|t"); /* ties with q: goes after it */
        expect(&h, "-U[a, 2, s, 2]\n+U[a, 3, t, 2]\n");
        push(&h, "~|7|n"); /* a NULL key is a partition too */
        expect(&h, "+I[null, 7, n, 1]\n");
        wh_free(&h);
    }
}

/* Top-2 without the row number: -D for the row pushed out, then +I. */
static void test_top2_without_rn(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, TOP2("k, x, v", "rn < 3"), backend, 0, "k,x,v");
        push(&h, "a|1|p");
        push(&h, "a|3|q");
        expect(&h, "+I[a, 1, p]\n+I[a, 3, q]\n");
        push(&h, "a|0|z");
        expect(&h, "");
        push(&h, "a|2|s");
        expect(&h, "-D[a, 1, p]\n+I[a, 2, s]\n");
        push(&h, "a|4|t");
        expect(&h, "-D[a, 2, s]\n+I[a, 4, t]\n");
        push(&h, "a|~|n"); /* NULLs sort last under DESC */
        expect(&h, "");
        wh_free(&h);
    }
}

/* ORDER BY x ASC: NULLs first; several sort keys. */
static void test_asc_nulls_and_two_keys(void **unused)
{
    (void)unused;
    wh h;
    wh_init(&h,
            TABLE_T "SELECT k, x, v, rn FROM (SELECT k, x, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x, v DESC) AS rn FROM t) "
                    "WHERE rn <= 2",
            1, 0, "k,x,v");
    push(&h, "a|1|p");
    push(&h, "a|1|q"); /* same x, v DESC: q before p */
    expect(&h, "+I[a, 1, p, 1]\n-U[a, 1, p, 1]\n+U[a, 1, q, 1]\n+I[a, 1, p, 2]\n");
    push(&h, "a|~|n"); /* NULL x first under ASC */
    expect(&h, "-U[a, 1, q, 1]\n+U[a, null, n, 1]\n-U[a, 1, p, 2]\n+U[a, 1, q, 2]\n");
    wh_free(&h);
}

/* Deduplicate on processing time: keep the first row (insert-only), keep the last (-U/+U). */
static void test_dedup_proctime(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, TABLE_T "SELECT k, x FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY pt) AS rn FROM t) WHERE rn = 1",
                backend, 0, "k,x,pt");
        push(&h, "a|1|0");
        push(&h, "a|2|1");
        push(&h, "b|3|2");
        expect(&h, "+I[a, 1, 2024-01-01 00:00:00.000]\n+I[b, 3, 2024-01-01 00:00:00.002]\n");
        wh_free(&h);
        wh_init(&h, TABLE_T "SELECT k, x FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY pt DESC) AS rn FROM t) WHERE rn = 1",
                backend, 0, "k,x,pt");
        push(&h, "a|1|0");
        push(&h, "a|2|1");
        expect(&h, "+I[a, 1, 2024-01-01 00:00:00.000]\n-U[a, 1, 2024-01-01 00:00:00.000]\n+U[a, 2, 2024-01-01 00:00:00.001]\n");
        wh_free(&h);
    }
}

/* Deduplicate on event time: keep first replaces the row with an earlier one; keep last with a
 * row not earlier. */
static void test_dedup_rowtime(void **unused)
{
    (void)unused;
    wh h;
    wh_init(&h, TABLE_T "SELECT k, x FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS rn FROM t) WHERE rn = 1", 1, 0,
            "k,x,ts");
    push(&h, "a|1|5000");
    push(&h, "a|2|6000"); /* later: dropped */
    push(&h, "a|3|4000"); /* earlier: replaces */
    expect(&h, "+I[a, 1, 2024-01-01 00:00:05.000]\n-U[a, 1, 2024-01-01 00:00:05.000]\n+U[a, 3, 2024-01-01 00:00:04.000]\n");
    wh_free(&h);
    wh_init(&h, TABLE_T "SELECT k, x FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM t) WHERE rn = 1", 0,
            0, "k,x,ts");
    push(&h, "a|1|5000");
    push(&h, "a|2|4000"); /* earlier: dropped */
    push(&h, "a|3|5000"); /* as late: replaces */
    expect(&h, "+I[a, 1, 2024-01-01 00:00:05.000]\n-U[a, 1, 2024-01-01 00:00:05.000]\n+U[a, 3, 2024-01-01 00:00:05.000]\n");
    wh_free(&h);
}

#define TOPF2(fn, outer, cond) \
    TABLE_T "SELECT " outer " FROM (SELECT k, x, v, " fn "() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM t) WHERE " cond

/* RANK() <= 2: ties share a rank (more than 2 rows kept), a gap after them; rows pushed past rank 2
 * leave (-D), rows whose rank changes -U/+U; without the rank only -D/+I. */
static void test_rank_ties(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, TOPF2("RANK", "*", "rn <= 2"), backend, 0, "k,x,v");
        push(&h, "a|3|p");
        push(&h, "a|1|q");
        push(&h, "a|1|r"); /* ties with q: rank 2 too */
        expect(&h, "+I[a, 3, p, 1]\n+I[a, 1, q, 2]\n+I[a, 1, r, 2]\n");
        push(&h, "a|5|s"); /* rank 1: p to 2, q and r to 3 (leave) */
        expect(&h, "+I[a, 5, s, 1]\n-U[a, 3, p, 1]\n+U[a, 3, p, 2]\n-D[a, 1, q, 2]\n-D[a, 1, r, 2]\n");
        push(&h, "a|5|t"); /* ties with s: p to 3 (gap after the tie) */
        expect(&h, "+I[a, 5, t, 1]\n-D[a, 3, p, 2]\n");
        push(&h, "a|4|u"); /* rank 3 */
        expect(&h, "");
        push(&h, "b|4|u");
        expect(&h, "+I[b, 4, u, 1]\n");
        wh_free(&h);
        wh_init(&h, TOPF2("RANK", "k, x, v", "rn <= 2"), backend, 0, "k,x,v");
        push(&h, "a|3|p");
        push(&h, "a|1|q");
        push(&h, "a|1|r");
        expect(&h, "+I[a, 3, p]\n+I[a, 1, q]\n+I[a, 1, r]\n");
        push(&h, "a|5|s");
        expect(&h, "-D[a, 1, q]\n-D[a, 1, r]\n+I[a, 5, s]\n");
        push(&h, "a|5|t");
        expect(&h, "-D[a, 3, p]\n+I[a, 5, t]\n");
        push(&h, "a|~|n"); /* NULLs last under DESC */
        expect(&h, "");
        wh_free(&h);
    }
}

/* DENSE_RANK() <= 2: ties share a rank, no gap; a row tying a kept rank moves nobody. */
static void test_dense_rank_ties(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, TOPF2("DENSE_RANK", "*", "rn <= 2"), backend, 0, "k,x,v");
        push(&h, "a|3|p");
        push(&h, "a|1|q");
        push(&h, "a|1|r");
        expect(&h, "+I[a, 3, p, 1]\n+I[a, 1, q, 2]\n+I[a, 1, r, 2]\n");
        push(&h, "a|5|s"); /* a new rank 1: p to 2, q and r to 3 (leave) */
        expect(&h, "+I[a, 5, s, 1]\n-U[a, 3, p, 1]\n+U[a, 3, p, 2]\n-D[a, 1, q, 2]\n-D[a, 1, r, 2]\n");
        push(&h, "a|3|t"); /* ties with p: rank 2, nobody moves */
        expect(&h, "+I[a, 3, t, 2]\n");
        push(&h, "a|4|u"); /* a new rank 2: p and t leave */
        expect(&h, "+I[a, 4, u, 2]\n-D[a, 3, p, 2]\n-D[a, 3, t, 2]\n");
        push(&h, "a|5|w"); /* ties with s */
        expect(&h, "+I[a, 5, w, 1]\n");
        push(&h, "a|0|z"); /* rank 3 */
        expect(&h, "");
        wh_free(&h);
        /* rn = 1 keeps every row tied first; never a Deduplicate */
        wh_init(&h, TABLE_T "SELECT k, x FROM (SELECT *, DENSE_RANK() OVER (PARTITION BY k ORDER BY ts) AS rn FROM t) WHERE rn = 1",
                backend, 0, "k,x,ts");
        push(&h, "a|1|5000");
        push(&h, "a|2|5000");
        push(&h, "a|3|6000");
        expect(&h, "+I[a, 1, 2024-01-01 00:00:05.000]\n+I[a, 2, 2024-01-01 00:00:05.000]\n");
        push(&h, "a|4|4000");
        expect(&h, "-D[a, 1, 2024-01-01 00:00:05.000]\n-D[a, 2, 2024-01-01 00:00:05.000]\n+I[a, 4, 2024-01-01 00:00:04.000]\n");
        wh_free(&h);
    }
}

#define CDC_T "CREATE TABLE c (k STRING, x INT, v STRING) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = 'debezium-json');"
#define RETRACT_TOP2(outer) CDC_T "SELECT " outer " FROM (SELECT k, x, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM c) WHERE rn <= 2"

/* Top-2 over an updating input (RetractStrategy), with the row number: a retraction moves the rows
 * after it up one rank (-U/+U per rank whose row changed, -D for a rank nobody holds any more), a
 * row past rank N comes back; a retraction of a row that is not there changes nothing. */
static void test_retract_with_rn(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, RETRACT_TOP2("*"), backend, 0, "k,x,v");
        push(&h, "a|5|p");
        push(&h, "a|3|q");
        expect(&h, "+I[a, 5, p, 1]\n+I[a, 3, q, 2]\n");
        push(&h, "a|1|r"); /* rank 3: kept in state, not emitted */
        expect(&h, "");
        push(&h, "-D:a|5|p"); /* q and r move up */
        expect(&h, "-U[a, 5, p, 1]\n+U[a, 3, q, 1]\n-U[a, 3, q, 2]\n+U[a, 1, r, 2]\n");
        push(&h, "-U:a|3|q"); /* r moves up, rank 2 is empty */
        expect(&h, "-U[a, 3, q, 1]\n+U[a, 1, r, 1]\n-D[a, 1, r, 2]\n");
        push(&h, "+U:a|4|q");
        expect(&h, "-U[a, 1, r, 1]\n+U[a, 4, q, 1]\n+I[a, 1, r, 2]\n");
        push(&h, "-D:a|9|zz"); /* not there */
        push(&h, "-D:a|4|other"); /* ties with q in sort order, but another row */
        expect(&h, "");
        push(&h, "b|7|s"); /* another partition */
        push(&h, "-D:b|7|s");
        expect(&h, "+I[b, 7, s, 1]\n-D[b, 7, s, 1]\n");
        wh_free(&h);
    }
}

/* The same without the row number: +I for a row entering the top N then -D for the row it pushed
 * out; -D for a retracted row then +I for the row moving up into rank N. Equal rows are counted. */
static void test_retract_without_rn(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, RETRACT_TOP2("k, x, v"), backend, 0, "k,x,v");
        push(&h, "a|5|p");
        push(&h, "a|3|q");
        push(&h, "a|1|r");
        expect(&h, "+I[a, 5, p]\n+I[a, 3, q]\n");
        push(&h, "a|4|s");
        expect(&h, "+I[a, 4, s]\n-D[a, 3, q]\n");
        push(&h, "-D:a|5|p");
        expect(&h, "-D[a, 5, p]\n+I[a, 3, q]\n");
        push(&h, "-D:a|1|r"); /* rank 3: nothing visible changes */
        expect(&h, "");
        push(&h, "-D:a|4|s"); /* nobody moves up into rank 2 */
        expect(&h, "-D[a, 4, s]\n");
        push(&h, "a|3|q"); /* an equal row: both kept, one retracted */
        expect(&h, "+I[a, 3, q]\n");
        push(&h, "-D:a|3|q");
        expect(&h, "-D[a, 3, q]\n");
        push(&h, "-D:a|3|q");
        expect(&h, "-D[a, 3, q]\n");
        push(&h, "-D:a|3|q"); /* none left */
        expect(&h, "");
        wh_free(&h);
    }
}

/* The rows past rank N survive a snapshot and restore: a retraction after it brings one back. */
static void test_retract_snapshot_restore(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        char dir[] = "/tmp/sluice-test-rank-XXXXXX";
        assert_non_null(mkdtemp(dir));
        wh h;
        wh_init(&h, RETRACT_TOP2("*"), backend, 0, "k,x,v");
        push(&h, "a|5|p");
        push(&h, "a|3|q");
        push(&h, "a|1|r");
        expect(&h, "+I[a, 5, p, 1]\n+I[a, 3, q, 2]\n");
        sl_error err;
        json_t *meta = NULL;
        sl_snapshot_ctx sc = {.checkpoint_id = 1, .dir = dir};
        assert_int_equal(h.op->vt->snapshot(h.op, &sc, &meta, &err), SL_OK);
        wh_free(&h);
        wh r;
        wh_init(&r, RETRACT_TOP2("*"), backend, 0, "k,x,v");
        sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .state = meta, .dir = dir};
        sl_restore_ctx rc = {.checkpoint_id = 1, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
        if (r.op->vt->restore(r.op, &rc, &err)) fail_msg("%s", err.message);
        json_decref(meta);
        push(&r, "-D:a|3|q");
        expect(&r, "-U[a, 3, q, 2]\n+U[a, 1, r, 2]\n");
        wh_free(&r);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* Over updating input the operator takes ROW_NUMBER only: a spec asking for RANK over it (the
 * planner refuses that query, see tests/planner/plan_141) is refused when the operator is built. */
static void test_retract_rank_refused(void **unused)
{
    (void)unused;
    jobgraph *g = harness_graph(RETRACT_TOP2("k, x"));
    const jg_operator *o = harness_find_op(g, "rank");
    assert_non_null(strstr(o->description, "RetractStrategy"));
    json_t *spec = json_deep_copy(o->spec);
    json_object_set_new(spec, "rank_type", json_string("RANK"));
    sl_job_context job;
    sl_job_context_init(&job);
    sl_arena *types = sl_arena_create(0);
    sl_operator *op = NULL;
    sl_error err;
    assert_int_equal(sl_op_rank_create(spec, &job, types, &op, &err), SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "updating input"));
    assert_null(op);
    json_decref(spec);
    sl_arena_destroy(types);
    sl_job_context_destroy(&job);
    jobgraph_free(g);
}

/* ---- window top-N and window deduplication --------------------------------------------------- */

uint64_t sl_op_rank_late_rows(const sl_operator *op);
int sl_op_rank_pending(const sl_operator *op);

#define W0 "2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000"
#define W1 "2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000"
#define WTOP2(outer, cond)                                                                                            \
    TABLE_T "SELECT " outer " FROM (SELECT k, x, v, window_start, window_end, ROW_NUMBER() OVER (PARTITION BY "      \
            "window_start, window_end, k ORDER BY x DESC) AS rn FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' " \
            "SECOND))) WHERE " cond
#define WIN_IN "k,x,v,window_start,window_end"

/* Window top-2 per key: nothing before the watermark passes window_end - 1, then each partition's
 * top 2 once, +I in rank order; rows of a fired window are late (dropped, counted); end of input
 * fires the rest. */
static void test_window_topn(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h, WTOP2("*", "rn <= 2"), backend, 0, WIN_IN);
        push(&h, "a|1|p|0|10000");
        push(&h, "a|3|q|0|10000");
        push(&h, "a|2|r|0|10000");
        push(&h, "b|7|s|0|10000");
        push(&h, "a|9|t|10000|20000");
        harness_watermark(&h, 9998);
        expect(&h, "");
        assert_int_equal(sl_op_rank_pending(h.op), 3); /* (window, key group): a and b of [0, 10), a of [10, 20) */
        harness_watermark(&h, 9999);
        harness_expect_sorted(&h.cap, "+I[a, 2, r, " W0 ", 2]\n+I[a, 3, q, " W0 ", 1]\n+I[b, 7, s, " W0 ", 1]\n");
        push(&h, "a|8|late|0|10000");
        expect(&h, "");
        assert_int_equal(sl_op_rank_late_rows(h.op), 1);
        push(&h, "a|1|u|10000|20000");
        push(&h, "a|5|w|10000|20000");
        harness_finish(&h);
        expect(&h, "+I[a, 9, t, " W1 ", 1]\n+I[a, 5, w, " W1 ", 2]\n");
        assert_int_equal(sl_op_rank_pending(h.op), 0);
        wh_free(&h);
    }
}

/* Window deduplication: keep the first row (ts ASC: an equal time keeps the earlier arrival) or the
 * last (ts DESC: an equal time takes the later arrival), one +I per key and window when it fires. */
static void test_window_dedup(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        for (int last = 0; last < 2; last++) {
            char sql[1024];
            snprintf(sql, sizeof sql,
                     TABLE_T "SELECT k, x, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, k ORDER BY "
                             "ts %s) AS rn FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn = 1",
                     last ? "DESC" : "ASC");
            wh h;
            wh_init(&h, sql, backend, 0, "k,x,ts,window_start,window_end");
            push(&h, "a|1|5000|0|10000");
            push(&h, "a|2|3000|0|10000");
            push(&h, "a|3|3000|0|10000"); /* ties with x=2 */
            push(&h, "a|4|8000|0|10000");
            push(&h, "b|5|1000|0|10000");
            expect(&h, "");
            harness_watermark(&h, 10000);
            if (last)
                harness_expect_sorted(&h.cap, "+I[a, 4, 2024-01-01 00:00:08.000, " W0 "]\n+I[b, 5, 2024-01-01 00:00:01.000, " W0 "]\n");
            else
                harness_expect_sorted(&h.cap, "+I[a, 2, 2024-01-01 00:00:03.000, " W0 "]\n+I[b, 5, 2024-01-01 00:00:01.000, " W0 "]\n");
            push(&h, "a|6|9000|0|10000"); /* late */
            harness_finish(&h);
            expect(&h, "");
            assert_int_equal(sl_op_rank_late_rows(h.op), 1);
            wh_free(&h);
        }
    }
    /* ties under keep-last: the later arrival */
    wh h;
    wh_init(&h,
            TABLE_T "SELECT k, x, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, k ORDER BY ts DESC) "
                    "AS rn FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn = 1",
            1, 0, "k,x,ts,window_start,window_end");
    push(&h, "a|1|3000|0|10000");
    push(&h, "a|2|3000|0|10000");
    harness_finish(&h);
    expect(&h, "+I[a, 2, 2024-01-01 00:00:03.000, " W0 "]\n");
    wh_free(&h);
}

/* The windows' rows and the pending windows survive a snapshot and restore; a graceful stop's end
 * of input does not fire them (they stay for the savepoint) — here: finish without stopping after
 * the restore fires both windows, including rows from before it. */
static void test_window_snapshot_restore(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        char dir[] = "/tmp/sluice-test-wrank-XXXXXX";
        assert_non_null(mkdtemp(dir));
        wh h;
        wh_init(&h, WTOP2("*", "rn <= 2"), backend, 0, WIN_IN);
        push(&h, "a|1|p|0|10000");
        push(&h, "a|3|q|0|10000");
        push(&h, "c|4|z|10000|20000");
        harness_watermark(&h, 500);
        sl_error err;
        json_t *meta = NULL;
        sl_snapshot_ctx sc = {.checkpoint_id = 1, .dir = dir};
        assert_int_equal(h.op->vt->snapshot(h.op, &sc, &meta, &err), SL_OK);
        wh_free(&h);
        wh r;
        wh_init(&r, WTOP2("*", "rn <= 2"), backend, 0, WIN_IN);
        sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .state = meta, .dir = dir};
        sl_restore_ctx rc = {.checkpoint_id = 1, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
        if (r.op->vt->restore(r.op, &rc, &err)) fail_msg("%s", err.message);
        json_decref(meta);
        assert_true(sl_op_rank_pending(r.op) >= 2);
        push(&r, "a|2|s|0|10000"); /* between p and q */
        harness_watermark(&r, 9999);
        expect(&r, "+I[a, 3, q, " W0 ", 1]\n+I[a, 2, s, " W0 ", 2]\n");
        harness_finish(&r);
        expect(&r, "+I[c, 4, z, " W1 ", 1]\n");
        wh_free(&r);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* A window top-N spec the runtime cannot run is refused when the operator is built: processing
 * time (the planner refuses it first, tests/planner/plan_140), a bad window_end field. */
static void test_window_spec_refused(void **unused)
{
    (void)unused;
    jobgraph *g = harness_graph(WTOP2("*", "rn <= 2"));
    const jg_operator *o = harness_find_op(g, "rank");
    assert_non_null(strstr(o->description, "WindowRank"));
    sl_job_context job;
    sl_job_context_init(&job);
    sl_arena *types = sl_arena_create(0);
    sl_operator *op = NULL;
    sl_error err;
    json_t *spec = json_deep_copy(o->spec);
    json_object_set_new(json_object_get(spec, "window"), "time", json_string("processing"));
    assert_int_equal(sl_op_rank_create(spec, &job, types, &op, &err), SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "Processing time Window TopN"));
    json_decref(spec);
    spec = json_deep_copy(o->spec);
    json_object_set_new(spec, "window_end", json_integer(2)); /* v: a STRING, not a timestamp */
    assert_int_equal(sl_op_rank_create(spec, &job, types, &op, &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.message, "window_end"));
    assert_null(op);
    json_decref(spec);
    sl_arena_destroy(types);
    sl_job_context_destroy(&job);
    jobgraph_free(g);
}

/* TIMESTAMP_LTZ windows align in table.local-time-zone (here UTC+2): window_end is the local wall
 * clock, so the window [00:00, 00:10) local fires when the watermark (an instant) reaches
 * 00:00:09.999 local = 2 hours earlier in UTC. */
static void test_window_ltz(void **unused)
{
    (void)unused;
    wh h;
    wh_init(&h,
            "CREATE TABLE a (k STRING, x INT, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');"
            "SELECT * FROM (SELECT k, x, window_start, window_end, ROW_NUMBER() OVER (PARTITION BY window_start, window_end "
            "ORDER BY x) AS rn FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rn <= 1",
            1, 7200, "k,x,window_start,window_end");
    push(&h, "a|2|0|10000");
    push(&h, "b|1|0|10000");
    harness_watermark(&h, 9999 - 7200000 - 1);
    expect(&h, "");
    harness_watermark(&h, 9999 - 7200000);
    expect(&h, "+I[b, 1, " W0 ", 1]\n");
    wh_free(&h);
}

/* A window top-N takes insert-only rows: anything else is a runtime error naming the row kind. */
static void test_window_updating_row_refused(void **unused)
{
    (void)unused;
    wh h;
    wh_init(&h, WTOP2("*", "rn <= 2"), 1, 0, WIN_IN);
    sl_rw_begin(&h.w, h.in->nfields, SL_ROW_DELETE);
    sl_rw_bytes(&h.w, 0, "a", 1);
    sl_rw_i64(&h.w, 4, (BASE_MS + 10000) * 1000);
    sl_error err;
    assert_int_equal(h.op->vt->process(h.op, 0, sl_rw_finish(&h.w), &err), SL_ERR_RUNTIME);
    assert_non_null(strstr(err.message, "-D"));
    assert_non_null(strstr(err.message, "insert-only"));
    wh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top2_with_rn),          cmocka_unit_test(test_top2_without_rn),
        cmocka_unit_test(test_asc_nulls_and_two_keys), cmocka_unit_test(test_dedup_proctime),
        cmocka_unit_test(test_dedup_rowtime),          cmocka_unit_test(test_rank_ties),
        cmocka_unit_test(test_dense_rank_ties),        cmocka_unit_test(test_retract_with_rn),
        cmocka_unit_test(test_retract_without_rn),     cmocka_unit_test(test_retract_snapshot_restore),
        cmocka_unit_test(test_retract_rank_refused),   cmocka_unit_test(test_window_topn),
        cmocka_unit_test(test_window_dedup),           cmocka_unit_test(test_window_snapshot_restore),
        cmocka_unit_test(test_window_updating_row_refused), cmocka_unit_test(test_window_ltz),
        cmocka_unit_test(test_window_spec_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
