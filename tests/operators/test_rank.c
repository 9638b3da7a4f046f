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
#include "sql/sql.h"
#include "sql/validate.h"

#define BASE_MS INT64_C(1704067200000) /* 2024-01-01 00:00:00 UTC */

static jobgraph *graph_of(const char *sql)
{
    sl_error err;
    sql_script *s = sql_parse("t.sql", sql, strlen(sql), &err);
    if (!s) fail_msg("%s", err.message);
    sql_session *session = sql_session_create();
    if (sql_session_validate(session, s, &err) != SL_OK) fail_msg("%s", err.message);
    sl_arena *a = sl_arena_create(0);
    plan_node *plan;
    if (plan_build(a, session, sql_script_stmt(s, sql_script_count(s) - 1), "t.sql", &plan, &err) != SL_OK) fail_msg("%s", err.message);
    jg_options opt = {"t", 1, 128};
    jobgraph *g;
    assert_int_equal(jg_build(plan, &opt, &g, &err), SL_OK);
    sl_arena_destroy(a);
    sql_session_destroy(session);
    return g;
}

static const jg_operator *find_op(const jobgraph *g, const char *kind)
{
    for (int v = 0; v < g->nvertices; v++)
        for (int k = 0; k < g->vertices[v].nops; k++)
            if (strcmp(g->vertices[v].ops[k].kind, kind) == 0) return &g->vertices[v].ops[k];
    fail_msg("no %s operator", kind);
    return NULL;
}

/* ---- the capturing operator and the harness --------------------------------------------------- */

typedef struct capture {
    const sql_type *type;
    sl_strbuf text; /* one line per row: the print form */
    int64_t wm;
} capture;

static sl_status cap_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    capture *c = op->impl;
    sl_row_format(&c->text, row, c->type, 0);
    sl_strbuf_putc(&c->text, '\n');
    return SL_OK;
}

static sl_status cap_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    ((capture *)op->impl)->wm = wm;
    return SL_OK;
}

static const sl_op_vtable cap_vt = {.name = "capture", .process = cap_process, .watermark = cap_watermark};

typedef struct wh {
    sl_job_context job;
    sl_arena *types;
    sl_task *task;
    sl_operator *op;
    capture cap;
    const sql_type *in;
    sl_row_writer w;
} wh;

/* Builds the rank operator of the script's last statement (backend 0 rocksdb, 1 hashmap) and
 * checks its input row's field names ("id,v,ts"). */
static void wh_init(wh *h, const char *sql, int backend, int32_t ltz_offset, const char *input_names)
{
    memset(h, 0, sizeof *h);
    jobgraph *g = graph_of(sql);
    sl_job_context_init(&h->job);
    h->job.state_backend = backend;
    h->job.state_budget_bytes = 8u << 20;
    h->job.ltz_offset = ltz_offset;
    h->types = sl_arena_create(0);
    sl_error err;
    const jg_operator *o = find_op(g, "rank");
    if (sl_op_rank_create(o->spec, &h->job, h->types, &h->op, &err)) fail_msg("%s", err.message);
    h->op->id = "test-rank";
    h->op->description = "Rank";
    h->in = sl_row_type_from_json(h->types, json_object_get(o->spec, "input"), &err);
    assert_non_null(h->in);
    sl_strbuf names = SL_STRBUF_INIT;
    for (int i = 0; i < h->in->nfields; i++) sl_strbuf_printf(&names, "%s%s", i ? "," : "", h->in->field_names[i]);
    assert_string_equal(sl_strbuf_cstr(&names), input_names);
    sl_strbuf_free(&names);
    h->cap.type = h->op->out_type;
    h->cap.wm = INT64_MIN;
    sl_operator *chain[2] = {h->op, sl_operator_new(&cap_vt, &h->cap, "cap", "cap")};
    h->task = sl_task_create(&h->job, "test", 1, 0, 1, 128);
    sl_task_set_chain(h->task, chain, 2);
    if (h->op->vt->open(h->op, &err)) fail_msg("%s", err.message);
    jobgraph_free(g);
}

static void wh_free(wh *h)
{
    sl_rw_free(&h->w);
    sl_task_destroy(h->task);
    sl_strbuf_free(&h->cap.text);
    sl_arena_destroy(h->types);
    sl_job_context_destroy(&h->job);
}

/* Pushes a row given as "a|b|c": per field of the input row, "~" for NULL, a number, a string, or
 * for TIMESTAMP / TIMESTAMP_LTZ fields ms after 2024-01-01 00:00:00 UTC. */
static void push(wh *h, const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    sl_rw_begin(&h->w, h->in->nfields, SL_ROW_INSERT);
    char *save = NULL, *tok = strtok_r(buf, "|", &save);
    for (int i = 0; i < h->in->nfields; i++, tok = strtok_r(NULL, "|", &save)) {
        assert_non_null(tok);
        if (strcmp(tok, "~") == 0) continue;
        const sql_type *t = h->in->field_types[i];
        if (t->id == SQL_T_TIMESTAMP || t->id == SQL_T_TIMESTAMP_LTZ) sl_rw_i64(&h->w, i, (BASE_MS + strtoll(tok, NULL, 10)) * 1000);
        else if (sl_phys_of(t) == SL_PHYS_F64) sl_rw_f64(&h->w, i, strtod(tok, NULL));
        else if (sl_phys_of(t) == SL_PHYS_BYTES) sl_rw_bytes(&h->w, i, tok, (uint32_t)strlen(tok));
        else sl_rw_i64(&h->w, i, strtoll(tok, NULL, 10));
    }
    sl_error err;
    if (h->op->vt->process(h->op, 0, sl_rw_finish(&h->w), &err)) fail_msg("%s", err.message);
}

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

/* Updating input is refused with SL_ERR_UNSUPPORTED when the operator is built. */
static void test_updating_input_refused(void **unused)
{
    (void)unused;
    jobgraph *g = graph_of("CREATE TABLE c (k STRING, x INT) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = 'debezium-json');"
                           "SELECT k, x FROM (SELECT k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x) AS rn FROM c) WHERE rn <= 2");
    const jg_operator *o = find_op(g, "rank");
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
