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

/* Updating input is refused with SL_ERR_UNSUPPORTED when the operator is built. */
static void test_updating_input_refused(void **unused)
{
    (void)unused;
    jobgraph *g = harness_graph("CREATE TABLE c (k STRING, x INT) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = 'debezium-json');"
                           "SELECT k, x FROM (SELECT k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x) AS rn FROM c) WHERE rn <= 2");
    const jg_operator *o = harness_find_op(g, "rank");
    assert_non_null(strstr(o->description, "RetractStrategy"));
    sl_job_context job;
    sl_job_context_init(&job);
    sl_arena *types = sl_arena_create(0);
    sl_operator *op = NULL;
    sl_error err;
    assert_int_equal(sl_op_rank_create(o->spec, &job, types, &op, &err), SL_ERR_UNSUPPORTED);
    assert_null(op);
    sl_arena_destroy(types);
    sl_job_context_destroy(&job);
    jobgraph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top2_with_rn),          cmocka_unit_test(test_top2_without_rn),
        cmocka_unit_test(test_asc_nulls_and_two_keys), cmocka_unit_test(test_dedup_proctime),
        cmocka_unit_test(test_dedup_rowtime),          cmocka_unit_test(test_updating_input_refused),
        cmocka_unit_test(test_rank_ties),              cmocka_unit_test(test_dense_rank_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
