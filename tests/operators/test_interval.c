/* Interval join harness tests: the IntervalJoin operator built from real JobGraph specs (SQL ->
 * planner -> JobGraph), driven directly with rows on both inputs, watermarks and end of input;
 * outputs collected by a capturing operator. Both state backends. */
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

/* op_interval.c: rows dropped as late (or without a time), rows held in state. */
uint64_t sl_op_interval_late_rows(const sl_operator *op);
int sl_op_interval_pending_rows(const sl_operator *op);

#define BASE_MS HARNESS_BASE_MS
#define graph_of harness_graph
#define find_op harness_find_op
typedef harness_capture capture;

typedef struct ih {
    sl_job_context job;
    sl_arena *types;
    sl_task *task;
    sl_operator *op;
    capture cap;
    const sql_type *in[2];
    sl_row_writer w;
} ih;

#define TABLES                                                                                                      \
    "CREATE TABLE a (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');" \
    "CREATE TABLE b (id INT, w BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');"

/* Builds the interval join of the script's last statement (backend 0 rocksdb, 1 hashmap), checks
 * its spec's bounds and time fields, and returns the spec's residual (NULL if none). */
static const json_t *ih_init(ih *h, const char *sql, int backend, int64_t lower, int64_t upper, int ltime, int rtime, jobgraph **g)
{
    memset(h, 0, sizeof *h);
    *g = graph_of(sql);
    sl_job_context_init(&h->job);
    h->job.state_backend = backend;
    h->job.state_budget_bytes = 8u << 20;
    h->types = sl_arena_create(0);
    sl_error err;
    const jg_operator *o = find_op(*g, "interval_join");
    assert_int_equal(json_integer_value(json_object_get(o->spec, "left_lower_ms")), lower);
    assert_int_equal(json_integer_value(json_object_get(o->spec, "left_upper_ms")), upper);
    assert_int_equal(json_integer_value(json_object_get(o->spec, "left_time")), ltime);
    assert_int_equal(json_integer_value(json_object_get(o->spec, "right_time")), rtime);
    if (sl_op_interval_create(o->spec, &h->job, h->types, &h->op, &err)) fail_msg("%s", err.message);
    h->op->id = "test-interval";
    h->in[0] = sl_row_type_from_json(h->types, json_object_get(o->spec, "left"), &err);
    h->in[1] = sl_row_type_from_json(h->types, json_object_get(o->spec, "right"), &err);
    assert_non_null(h->in[0]);
    assert_non_null(h->in[1]);
    h->cap.type = h->op->out_type;
    h->cap.wm = INT64_MIN;
    sl_operator *chain[2] = {h->op, harness_capture_op(&h->cap)};
    h->task = sl_task_create(&h->job, "test", 1, 0, 1, 128);
    sl_task_set_chain(h->task, chain, 2);
    if (h->op->vt->open(h->op, &err)) fail_msg("%s", err.message);
    const json_t *res = json_object_get(o->spec, "residual");
    return json_is_null(res) ? NULL : res;
}

static void ih_free(ih *h, jobgraph *g)
{
    sl_rw_free(&h->w);
    sl_task_destroy(h->task);
    sl_strbuf_free(&h->cap.text);
    sl_arena_destroy(h->types);
    sl_job_context_destroy(&h->job);
    jobgraph_free(g);
}

/* Pushes a row "a|b|c" on input 0 (left) or 1 (right): "~" for NULL, numbers, and for TIMESTAMP
 * fields ms after 2024-01-01 00:00:00 UTC. */
static void push(ih *h, int input, const char *spec)
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

static void watermark(ih *h, int64_t ms_after_base)
{
    sl_error err;
    if (h->op->vt->watermark(h->op, BASE_MS + ms_after_base, &err)) fail_msg("%s", err.message);
}

static void finish(ih *h)
{
    sl_error err;
    if (h->op->vt->finish(h->op, &err)) fail_msg("%s", err.message);
}

static void expect(ih *h, const char *want) { harness_expect_sorted(&h->cap, want); }

/* INNER, a.ts BETWEEN b.ts - 4 s AND b.ts: matches within the bounds only, rows removed as the
 * watermark closes their windows (left: t + 4 s, right: t), late rows dropped and counted, the
 * output watermark held back by 4 s. */
static void test_inner(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        ih h;
        jobgraph *g;
        const json_t *res = ih_init(&h,
                                    TABLES "SELECT a.id, a.v, a.ts, b.ts FROM a JOIN b ON a.id = b.id AND a.ts BETWEEN b.ts - INTERVAL '4' SECOND AND b.ts",
                                    backend, -4000, 0, 2, 1, &g);
        assert_null(res);
        push(&h, 0, "1|10|1000");
        expect(&h, "");
        push(&h, 1, "1|3000");   /* 1000 - 3000 = -2000: in */
        expect(&h, "+I[1, 10, 2024-01-01 00:00:01.000, 1, 2024-01-01 00:00:03.000]\n");
        push(&h, 1, "1|6000");   /* -5000: out */
        expect(&h, "");
        push(&h, 0, "1|10|5000"); /* with 3000: +2000 out; with 6000: -1000 in */
        push(&h, 0, "2|10|5000"); /* another key */
        expect(&h, "+I[1, 10, 2024-01-01 00:00:05.000, 1, 2024-01-01 00:00:06.000]\n");
        assert_int_equal(sl_op_interval_pending_rows(h.op), 5);
        watermark(&h, 4999);     /* the right row at 3000 can match no future left row */
        assert_int_equal(sl_op_interval_pending_rows(h.op), 4);
        assert_int_equal(h.cap.wm, BASE_MS + 4999 - 4000);
        push(&h, 0, "1|10|2000"); /* behind the watermark, not late: joins 6000 (3000 is gone) */
        expect(&h, "+I[1, 10, 2024-01-01 00:00:02.000, 1, 2024-01-01 00:00:06.000]\n");
        watermark(&h, 6000);     /* left 1000 (due 5000), right 6000 (6000), left 2000 (6000) go */
        assert_int_equal(sl_op_interval_pending_rows(h.op), 2);
        push(&h, 1, "1|7000");   /* joins left 5000 */
        expect(&h, "+I[1, 10, 2024-01-01 00:00:05.000, 1, 2024-01-01 00:00:07.000]\n");
        push(&h, 0, "1|10|1000"); /* late: its partners (right <= 5000) are all gone */
        push(&h, 1, "1|~");      /* no time */
        expect(&h, "");
        assert_int_equal(sl_op_interval_late_rows(h.op), 2);
        watermark(&h, 5000);     /* not an advance: nothing */
        assert_int_equal(h.cap.wm, BASE_MS + 6000 - 4000);
        finish(&h);
        expect(&h, "");
        assert_int_equal(sl_op_interval_pending_rows(h.op), 0);
        assert_int_equal(h.cap.wm, INT64_MAX);
        ih_free(&h, g);
    }
}

/* FULL OUTER with a residual, a.ts >= b.ts - 2 s AND a.ts < b.ts + 2 s (bounds -2000, 1999):
 * unmatched rows go out null-padded once, when the watermark closes their window (or at once for
 * a NULL key or a row behind the watermark that nothing matched); the residual filters pairs. */
static void test_full_outer(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        ih h;
        jobgraph *g;
        const json_t *res = ih_init(&h,
                                    TABLES "SELECT * FROM a FULL JOIN b ON a.id = b.id AND a.ts >= b.ts - INTERVAL '2' SECOND "
                                           "AND a.ts < b.ts + INTERVAL '2' SECOND AND a.v < b.w",
                                    backend, -2000, 1999, 2, 2, &g);
        assert_non_null(res);
        push(&h, 0, "1|5|1000");
        push(&h, 1, "1|3|2000");  /* in the bounds, but 5 < 3 fails */
        push(&h, 1, "1|9|3000");  /* matches */
        push(&h, 0, "2|1|1000");  /* never matched */
        push(&h, 1, "3|1|10000");
        push(&h, 0, "~|1|1500");  /* NULL key: out at once */
        expect(&h, "+I[1, 5, 2024-01-01 00:00:01.000, 1, 9, 2024-01-01 00:00:03.000]\n"
                   "+I[null, 1, 2024-01-01 00:00:01.500, null, null, null]\n");
        watermark(&h, 2999);      /* nothing is due before 3000 */
        expect(&h, "");
        watermark(&h, 3999);      /* lefts 1000 (due 3000): id 1 matched, id 2 not; right 2000 (due 3999) never matched */
        expect(&h, "+I[2, 1, 2024-01-01 00:00:01.000, null, null, null]\n"
                   "+I[null, null, null, 1, 3, 2024-01-01 00:00:02.000]\n");
        watermark(&h, 5000);      /* right 3000 (due 4999) matched: nothing */
        expect(&h, "");
        assert_int_equal(sl_op_interval_pending_rows(h.op), 1);
        push(&h, 1, "4|1|4000");  /* behind the watermark, its window still open (due 5999): stored */
        assert_int_equal(sl_op_interval_pending_rows(h.op), 2);
        watermark(&h, 6000);
        expect(&h, "+I[null, null, null, 4, 1, 2024-01-01 00:00:04.000]\n");
        push(&h, 1, "5|1|3500");  /* window closed (5499 <= 6000), not late (3500 + 3999 > 6000): out at once */
        expect(&h, "+I[null, null, null, 5, 1, 2024-01-01 00:00:03.500]\n");
        assert_int_equal(sl_op_interval_late_rows(h.op), 0);
        finish(&h);
        expect(&h, "+I[null, null, null, 3, 1, 2024-01-01 00:00:10.000]\n");
        assert_int_equal(sl_op_interval_pending_rows(h.op), 0);
        ih_free(&h, g);
    }
}

/* LEFT OUTER: a right row only joins; a left row that matched later is not null-padded. */
static void test_left_outer(void **unused)
{
    ih h;
    jobgraph *g;
    ih_init(&h, TABLES "SELECT a.id, a.v, b.w FROM a LEFT JOIN b ON a.id = b.id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND", 0,
            -1000, 0, 2, 2, &g);
    push(&h, 0, "1|1|1000");
    push(&h, 0, "1|2|5000");
    push(&h, 1, "1|7|1500"); /* matches left 1000 */
    push(&h, 1, "9|7|1500"); /* no left: nothing (right is not outer) */
    expect(&h, "+I[1, 1, 2024-01-01 00:00:01.000, 1, 7, 2024-01-01 00:00:01.500]\n");
    watermark(&h, 2000);     /* left 1000 (due 2000) matched: nothing */
    expect(&h, "");
    finish(&h);
    expect(&h, "+I[1, 2, 2024-01-01 00:00:05.000, null, null, null]\n");
    ih_free(&h, g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner),
        cmocka_unit_test(test_full_outer),
        cmocka_unit_test(test_left_outer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
