/* Window join harness tests: the WindowJoin operator (and the window table function feeding it)
 * built from real JobGraph specs (SQL -> planner -> JobGraph), driven directly with rows on both
 * inputs, watermarks and end of input; outputs collected by a capturing operator. Both state
 * backends. */
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
#include "runtime/ops.h"
#include "runtime/task.h"
#include "tests/operators/harness.h"

/* op_window_join.c: rows dropped as late, pending (window, key group) pairs, rows without a time
 * dropped by a window table function. */
uint64_t sl_op_window_join_late_rows(const sl_operator *op);
int sl_op_window_join_pending(const sl_operator *op);
uint64_t sl_op_window_tvf_dropped_rows(const sl_operator *op);

#define BASE_MS HARNESS_BASE_MS

typedef struct jh {
    sl_job_context job;
    sl_arena *types;
    sl_task *task;
    sl_operator *op;
    harness_capture cap;
    const sql_type *in[2];
    sl_row_writer w;
    jobgraph *g;
} jh;

#define TABLES                                                                                                                         \
    "CREATE TABLE a (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');" \
    "CREATE TABLE b (id INT, w BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');"

/* SELECT <cols> FROM TUMBLE(a, 10 s) L <kind> JOIN TUMBLE(b, 10 s) R ON L.id = R.id AND the windows [AND extra] */
typedef struct sqlbuf {
    char s[2048];
} sqlbuf;
static const char *wjoin_sql(sqlbuf *buf, const char *cols, const char *kind, const char *extra)
{
    snprintf(buf->s, sizeof buf->s,
             TABLES "SELECT %s FROM (SELECT * FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '10' SECOND))) L %s JOIN "
                    "(SELECT * FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '10' SECOND))) R "
                    "ON L.id = R.id AND L.window_start = R.window_start AND L.window_end = R.window_end%s%s",
             cols, kind, extra ? " AND " : "", extra ? extra : "");
    return buf->s;
}

static void jh_init_ltz(jh *h, const char *sql, int backend, int32_t ltz_offset, const char *left_names, const char *right_names)
{
    memset(h, 0, sizeof *h);
    h->g = harness_graph(sql);
    sl_job_context_init(&h->job);
    h->job.state_backend = backend;
    h->job.state_budget_bytes = 8u << 20;
    h->job.ltz_offset = ltz_offset;
    h->types = sl_arena_create(0);
    sl_error err;
    const jg_operator *o = harness_find_op(h->g, "window_join");
    if (sl_op_window_join_create(o->spec, &h->job, h->types, &h->op, &err)) fail_msg("%s", err.message);
    h->op->id = "test-window-join";
    static const char *const sides[2] = {"left", "right"};
    const char *want[2] = {left_names, right_names};
    for (int s = 0; s < 2; s++) {
        h->in[s] = sl_row_type_from_json(h->types, json_object_get(o->spec, sides[s]), &err);
        assert_non_null(h->in[s]);
        sl_strbuf names = SL_STRBUF_INIT;
        for (int i = 0; i < h->in[s]->nfields; i++) sl_strbuf_printf(&names, "%s%s", i ? "," : "", h->in[s]->field_names[i]);
        assert_string_equal(sl_strbuf_cstr(&names), want[s]);
        sl_strbuf_free(&names);
    }
    h->cap.type = h->op->out_type;
    h->cap.wm = INT64_MIN;
    sl_operator *chain[2] = {h->op, harness_capture_op(&h->cap)};
    h->task = sl_task_create(&h->job, "test", 1, 0, 1, 128);
    sl_task_set_chain(h->task, chain, 2);
    if (h->op->vt->open(h->op, &err)) fail_msg("%s", err.message);
}

static void jh_init(jh *h, const char *sql, int backend, const char *left_names, const char *right_names)
{
    jh_init_ltz(h, sql, backend, 0, left_names, right_names);
}

static void jh_free(jh *h)
{
    sl_rw_free(&h->w);
    sl_task_destroy(h->task);
    sl_strbuf_free(&h->cap.text);
    sl_arena_destroy(h->types);
    sl_job_context_destroy(&h->job);
    jobgraph_free(h->g);
}

/* A row "a|b|c" on input 0 (left) or 1 (right): "~" for NULL, numbers, strings, and for TIMESTAMP
 * fields ms after 2024-01-01 00:00:00 UTC. */
static void push(jh *h, int input, const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    const sql_type *in = h->in[input];
    sl_rw_begin(&h->w, in->nfields, SL_ROW_INSERT);
    char *save = NULL, *tok = strtok_r(buf, "|", &save);
    for (int i = 0; i < in->nfields; i++, tok = strtok_r(NULL, "|", &save)) {
        if (!tok) fail_msg("row '%s' has fewer fields than input %d (%d)", spec, input, in->nfields);
        if (strcmp(tok, "~") == 0) continue;
        const sql_type *t = in->field_types[i];
        if (t->id == SQL_T_TIMESTAMP || t->id == SQL_T_TIMESTAMP_LTZ) sl_rw_i64(&h->w, i, (BASE_MS + strtoll(tok, NULL, 10)) * 1000);
        else if (sl_phys_of(t) == SL_PHYS_BYTES) sl_rw_bytes(&h->w, i, tok, (uint32_t)strlen(tok));
        else sl_rw_i64(&h->w, i, strtoll(tok, NULL, 10));
    }
    sl_error err;
    if (h->op->vt->process(h->op, input, sl_rw_finish(&h->w), &err)) fail_msg("%s", err.message);
}

static void watermark(jh *h, int64_t ms_after_base)
{
    sl_error err;
    if (h->op->vt->watermark(h->op, BASE_MS + ms_after_base, &err)) fail_msg("%s", err.message);
}

static void finish(jh *h)
{
    sl_error err;
    if (h->op->vt->finish(h->op, &err)) fail_msg("%s", err.message);
}

static void expect(jh *h, const char *want) { harness_expect_sorted(&h->cap, want); }

#define W0 "2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000"
#define W1 "2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000"

/* INNER: nothing goes out before the watermark passes the window's end; then every pair of the
 * key and window, once; the window's state is gone; a row for a fired window is late (dropped and
 * counted); rows of another window wait for theirs. */
static void test_inner(void **unused)
{
    (void)unused;
    for (int backend = 0; backend < 2; backend++) {
        jh h;
        sqlbuf sql;
        jh_init(&h, wjoin_sql(&sql, "L.id, L.v, R.w, L.window_start, L.window_end", "", NULL), backend, "id,v,window_start,window_end",
                "id,w,window_start,window_end");
        push(&h, 0, "1|10|0|10000");
        push(&h, 0, "1|11|0|10000");
        push(&h, 1, "1|20|0|10000");
        push(&h, 1, "2|30|0|10000");  /* no partner */
        push(&h, 1, "1|21|10000|20000"); /* the next window: no partner there */
        push(&h, 0, "1|12|10000|20000");
        expect(&h, "");
        assert_int_equal(sl_op_window_join_pending(h.op), 3); /* (window, key group): keys 1 and 2 of [0, 10), key 1 of [10, 20) */
        watermark(&h, 9998);
        expect(&h, "");
        watermark(&h, 9999); /* window_end - 1: [0, 10) fires */
        expect(&h, "+I[1, 10, " W0 ", 1, 20, " W0 "]\n"
                   "+I[1, 11, " W0 ", 1, 20, " W0 "]\n");
        assert_int_equal(h.cap.wm, BASE_MS + 9999);
        assert_int_equal(sl_op_window_join_pending(h.op), 1);
        push(&h, 1, "1|22|0|10000"); /* late: [0, 10) was joined already */
        expect(&h, "");
        assert_int_equal(sl_op_window_join_late_rows(h.op), 1);
        watermark(&h, 5000); /* not an advance */
        expect(&h, "");
        finish(&h);          /* end of input: [10, 20) fires */
        expect(&h, "+I[1, 12, " W1 ", 1, 21, " W1 "]\n");
        assert_int_equal(sl_op_window_join_pending(h.op), 0);
        assert_int_equal(h.cap.wm, INT64_MAX);
        jh_free(&h);
    }
}

/* LEFT, RIGHT and FULL OUTER with a residual: at the window's end every row nothing matched goes
 * out null-padded (once), a NULL key never matches, the residual filters pairs. */
static void test_outer(void **unused)
{
    (void)unused;
    static const char *const kinds[] = {"LEFT", "RIGHT", "FULL OUTER"};
    for (int backend = 0; backend < 2; backend++)
        for (int k = 0; k < 3; k++) {
            jh h;
            sqlbuf sql;
            jh_init(&h, wjoin_sql(&sql, "L.id, L.v, R.id, R.w", kinds[k], "L.v < R.w"), backend, "id,v,window_start,window_end",
                    "id,w,window_start,window_end");
            push(&h, 0, "1|5|0|10000");
            push(&h, 1, "1|3|0|10000");  /* 5 < 3 fails */
            push(&h, 1, "1|9|0|10000");  /* matches */
            push(&h, 0, "2|1|0|10000");  /* no right row */
            push(&h, 0, "~|1|0|10000");  /* NULL key */
            push(&h, 1, "~|1|0|10000");  /* NULL key */
            push(&h, 1, "3|1|0|10000");  /* no left row */
            watermark(&h, 9000);
            expect(&h, "");
            watermark(&h, 10000);
            /* the join's rows: left [id, v, window_start, window_end] ++ right [id, w, window_start, window_end] */
            const char *both = "+I[1, 5, " W0 ", 1, 9, " W0 "]\n";
            const char *left = "+I[2, 1, " W0 ", null, null, null, null]\n+I[null, 1, " W0 ", null, null, null, null]\n";
            const char *right = "+I[null, null, null, null, 1, 3, " W0 "]\n+I[null, null, null, null, 3, 1, " W0 "]\n"
                                "+I[null, null, null, null, null, 1, " W0 "]\n";
            char want[1024];
            snprintf(want, sizeof want, "%s%s%s", both, k != 1 ? left : "", k != 0 ? right : "");
            expect(&h, want);
            assert_int_equal(sl_op_window_join_pending(h.op), 0);
            finish(&h); /* nothing is left */
            expect(&h, "");
            assert_int_equal(sl_op_window_join_late_rows(h.op), 0);
            jh_free(&h);
        }
}

/* The window join's state survives a snapshot and restore (rows, the keys of each window, the
 * pending windows rebuilt from state); rows after the restore join rows from before it. */
static void test_snapshot_restore(void **unused)
{
    (void)unused;
    sqlbuf buf;
    const char *sql = wjoin_sql(&buf, "L.id, L.v, R.w", "FULL OUTER", NULL);
    for (int backend = 0; backend < 2; backend++) {
        char dir[] = "/tmp/sluice-test-wjoin-XXXXXX";
        assert_non_null(mkdtemp(dir));
        jh h;
        jh_init(&h, sql, backend, "id,v,window_start,window_end", "id,w,window_start,window_end");
        push(&h, 0, "1|10|0|10000");
        push(&h, 0, "2|20|10000|20000");
        push(&h, 1, "3|30|10000|20000");
        watermark(&h, 500);
        sl_error err;
        json_t *meta = NULL;
        sl_snapshot_ctx sc = {.checkpoint_id = 1, .dir = dir};
        assert_int_equal(h.op->vt->snapshot(h.op, &sc, &meta, &err), SL_OK);
        jh_free(&h);

        jh r;
        jh_init(&r, sql, backend, "id,v,window_start,window_end", "id,w,window_start,window_end");
        sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .state = meta, .dir = dir};
        sl_restore_ctx rc = {.checkpoint_id = 1, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
        if (r.op->vt->restore(r.op, &rc, &err)) fail_msg("%s", err.message);
        json_decref(meta);
        assert_int_equal(sl_op_window_join_pending(r.op), 3); /* key 1 of [0, 10), keys 2 and 3 of [10, 20) */
        push(&r, 1, "1|11|0|10000");  /* joins the left row from before the restore */
        push(&r, 0, "1|12|0|10000");  /* a second left row: its sequence number must not overwrite the first */
        watermark(&r, 9999);
        expect(&r, "+I[1, 10, " W0 ", 1, 11, " W0 "]\n+I[1, 12, " W0 ", 1, 11, " W0 "]\n");
        finish(&r);
        expect(&r, "+I[2, 20, " W1 ", null, null, null, null]\n+I[null, null, null, null, 3, 30, " W1 "]\n");
        jh_free(&r);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* TIMESTAMP_LTZ windows align in table.local-time-zone (here UTC+2): window_end is the local wall
 * clock, so the window [00:00, 00:10) local fires when the watermark (an instant) reaches 00:00:09.999
 * local = 2 hours earlier in UTC. */
static void test_ltz(void **unused)
{
    (void)unused;
    const char *sql =
        "CREATE TABLE a (id INT, v BIGINT, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');"
        "CREATE TABLE b (id INT, w BIGINT, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');"
        "SELECT L.id, L.v, R.w FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '10' SECOND)) L "
        "JOIN TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '10' SECOND)) R "
        "ON L.id = R.id AND L.window_start = R.window_start AND L.window_end = R.window_end";
    jh h;
    jh_init_ltz(&h, sql, 1, 7200, "id,v,window_start,window_end", "id,w,window_start,window_end");
    push(&h, 0, "1|10|0|10000");
    push(&h, 1, "1|20|0|10000");
    watermark(&h, 9999 - 7200000 - 1);
    expect(&h, "");
    watermark(&h, 9999 - 7200000);
    expect(&h, "+I[1, 10, " W0 ", 1, 20, " W0 "]\n");
    push(&h, 0, "1|11|0|10000"); /* late */
    assert_int_equal(sl_op_window_join_late_rows(h.op), 1);
    jh_free(&h);
}

/* The window table function: a HOP row goes out once per window with window_start, window_end
 * and window_time; a row without a time is dropped and counted. */
static void test_window_tvf(void **unused)
{
    (void)unused;
    harness_op h;
    harness_op_init(&h,
                    TABLES "SELECT * FROM (SELECT * FROM TABLE(HOP(TABLE a, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))) L "
                           "JOIN (SELECT * FROM TABLE(HOP(TABLE b, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))) R "
                           "ON L.window_start = R.window_start AND L.window_end = R.window_end",
                    "window_table_function", sl_op_window_tvf_create, 0, 0, "id,v,ts");
    harness_push(&h, "1|10|7000");
    harness_expect_sorted(&h.cap, "+I[1, 10, 2024-01-01 00:00:07.000, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000, 2024-01-01 00:00:09.999]\n"
                                  "+I[1, 10, 2024-01-01 00:00:07.000, 2024-01-01 00:00:05.000, 2024-01-01 00:00:15.000, 2024-01-01 00:00:14.999]\n");
    harness_push(&h, "2|20|~");
    harness_expect_sorted(&h.cap, "");
    assert_int_equal(sl_op_window_tvf_dropped_rows(h.op), 1);
    harness_op_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner),
        cmocka_unit_test(test_outer),
        cmocka_unit_test(test_snapshot_restore),
        cmocka_unit_test(test_ltz),
        cmocka_unit_test(test_window_tvf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
