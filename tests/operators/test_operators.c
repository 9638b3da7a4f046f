/* Operator harness tests: operators built from real JobGraph specs (SQL -> planner -> JobGraph),
 * driven directly (rows, watermarks, end of input pushed by the test; no threads), outputs
 * collected by a capturing operator at the end of the chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "connectors/connector.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "sql/sql.h"
#include "sql/validate.h"
#include "tests/operators/harness.h"

#define graph_of harness_graph
#define find_op harness_find_op
typedef harness_capture capture;

typedef struct harness {
    sl_job_context job;
    sl_arena *types;
    sl_task *task;
    sl_operator *head;
    capture cap;
} harness;

/* Chains ops + a capture operator into a task that is never started: the test drives it. */
static void harness_init(harness *h, sl_operator **ops, int n)
{
    sl_operator *chain[8];
    for (int i = 0; i < n; i++) chain[i] = ops[i];
    h->cap.type = ops[n - 1]->out_type;
    h->cap.wm = INT64_MIN;
    chain[n] = harness_capture_op(&h->cap);
    h->task = sl_task_create(&h->job, "test", 1, 0, 1, 128);
    sl_task_set_chain(h->task, chain, n + 1);
    h->head = ops[0];
}

static void harness_free(harness *h)
{
    sl_task_destroy(h->task);
    sl_strbuf_free(&h->cap.text);
    sl_arena_destroy(h->types);
    sl_job_context_destroy(&h->job);
}

static const uint8_t *row2(sl_row_writer *w, sl_row_kind kind, const int64_t *id, const char *name)
{
    sl_rw_begin(w, 2, kind);
    if (id) sl_rw_i64(w, 0, *id);
    if (name) sl_rw_bytes(w, 1, name, (uint32_t)strlen(name));
    return sl_rw_finish(w);
}

static void test_calc_filter_project(void **unused)
{
    jobgraph *g = graph_of("CREATE TABLE t (id BIGINT, name STRING) WITH ('connector' = 'datagen');"
                           "CREATE TABLE p (a BIGINT, b STRING) WITH ('connector' = 'blackhole');"
                           "INSERT INTO p SELECT id + 1, UPPER(name) FROM t WHERE id > 1 OR name = 'z'");
    harness h = {0};
    sl_job_context_init(&h.job);
    h.types = sl_arena_create(0);
    sl_error err;
    sl_operator *calc;
    assert_int_equal(sl_op_calc_create(find_op(g, "calc")->spec, &h.job, h.types, &calc, &err), SL_OK);
    harness_init(&h, &calc, 1);
    sl_row_writer w = {0};
    int64_t one = 1, two = 2, three = 3;
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_INSERT, &one, "a"), &err), SL_OK);   /* filtered out */
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_INSERT, &two, "b"), &err), SL_OK);
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_INSERT, NULL, "c"), &err), SL_OK);   /* NULL > 1: unknown */
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_INSERT, NULL, "z"), &err), SL_OK);   /* unknown OR true */
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_DELETE, &three, NULL), &err), SL_OK); /* kind kept */
    assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[3, B]\n+I[null, Z]\n-D[4, null]\n");
    sl_rw_free(&w);
    harness_free(&h);
    jobgraph_free(g);
}

static void test_calc_runtime_error(void **unused)
{
    jobgraph *g = graph_of("CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'datagen');"
                           "CREATE TABLE p (a INT) WITH ('connector' = 'blackhole');"
                           "INSERT INTO p SELECT 10 / id FROM t");
    harness h = {0};
    sl_job_context_init(&h.job);
    h.types = sl_arena_create(0);
    sl_error err;
    sl_operator *calc;
    assert_int_equal(sl_op_calc_create(find_op(g, "calc")->spec, &h.job, h.types, &calc, &err), SL_OK);
    harness_init(&h, &calc, 1);
    sl_row_writer w = {0};
    int64_t five = 5, zero = 0;
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_INSERT, &five, "x"), &err), SL_OK);
    assert_int_equal(h.head->vt->process(h.head, 0, row2(&w, SL_ROW_INSERT, &zero, "x"), &err), SL_ERR_RUNTIME);
    assert_non_null(strstr(err.message, "Division by zero"));
    assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[2]\n");
    sl_rw_free(&w);
    harness_free(&h);
    jobgraph_free(g);
}

/* The scan: computed columns, the pushed filter, the projection, the watermark assigner. */
static void test_scan_computed_filter_watermark(void **unused)
{
    jobgraph *g = graph_of("CREATE TABLE t (id BIGINT, ts TIMESTAMP(3), d AS id * 2, pt AS PROCTIME(),"
                           "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'datagen');"
                           "CREATE TABLE p (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');"
                           "INSERT INTO p SELECT id, d FROM t WHERE d > 2");
    harness h = {0};
    sl_job_context_init(&h.job);
    h.types = sl_arena_create(0);
    sl_error err;
    sl_operator *scan;
    assert_int_equal(sl_op_scan_create(find_op(g, "source")->spec, &h.job, h.types, &scan, &err), SL_OK);
    sl_operator *ops[2] = {scan, NULL};
    int n = 1;
    const jg_operator *calc = NULL;
    for (int k = 0; k < g->vertices[0].nops; k++)
        if (strcmp(g->vertices[0].ops[k].kind, "calc") == 0) calc = &g->vertices[0].ops[k];
    if (calc) assert_int_equal(sl_op_calc_create(calc->spec, &h.job, h.types, &ops[n++], &err), SL_OK);
    harness_init(&h, ops, n);
    sl_row_writer w = {0};
    int64_t base = 1700000000000000LL; /* micros */
    for (int64_t id = 1; id <= 3; id++) {
        sl_rw_begin(&w, 2, SL_ROW_INSERT);
        sl_rw_i64(&w, 0, id);
        sl_rw_i64(&w, 1, base + id * 1000000 * (id == 2 ? 10 : 1)); /* out of order: 2 is the latest */
        assert_int_equal(h.head->vt->process(h.head, 0, sl_rw_finish(&w), &err), SL_OK);
    }
    assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[2, 4]\n+I[3, 6]\n");
    assert_int_equal(h.cap.wm, INT64_MIN); /* watermarks go out periodically, not per row */
    assert_int_equal(scan->vt->periodic(scan, 0, &err), SL_OK);
    assert_int_equal(h.cap.wm, (base + 20000000) / 1000 - 5000); /* max(ts) - 5 s, in ms */
    assert_int_equal(scan->vt->watermark(scan, INT64_MAX, &err), SL_OK); /* end of input */
    assert_int_equal(h.cap.wm, INT64_MAX);
    sl_rw_free(&w);
    harness_free(&h);
    jobgraph_free(g);
}

/* datagen: sequences end the source; rows-per-second throttles it. */
static void test_datagen(void **unused)
{
    jobgraph *g = graph_of("CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '5',"
                           "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3', 'fields.s.length' = '3');"
                           "CREATE TABLE p (id INT, s STRING) WITH ('connector' = 'blackhole');"
                           "INSERT INTO p SELECT * FROM t");
    harness h = {0};
    sl_job_context_init(&h.job);
    h.types = sl_arena_create(0);
    sl_error err;
    sl_operator *src;
    assert_int_equal(sl_connector_source(find_op(g, "source")->spec, &h.job, 0, 1, h.types, &src, &err), SL_OK);
    harness_init(&h, &src, 1);
    sl_source_state st;
    int wait_ms = 0;
    assert_int_equal(src->vt->poll(src, 100, &st, &wait_ms, &err), SL_OK);
    assert_int_equal(h.cap.rows, 1); /* 5 rows/s: one row now, then wait */
    assert_int_equal(st, SL_SOURCE_MORE);
    assert_int_equal(src->vt->poll(src, 100, &st, &wait_ms, &err), SL_OK);
    assert_int_equal(st, SL_SOURCE_IDLE);
    assert_true(wait_ms > 0 && wait_ms <= 200);
    for (int i = 0; i < 100 && st != SL_SOURCE_END; i++) {
        usleep((useconds_t)wait_ms * 1000);
        assert_int_equal(src->vt->poll(src, 100, &st, &wait_ms, &err), SL_OK);
    }
    assert_int_equal(st, SL_SOURCE_END);
    assert_int_equal(h.cap.rows, 3);
    assert_true(strncmp(sl_strbuf_cstr(&h.cap.text), "+I[1, ", 6) == 0);
    harness_free(&h);
    jobgraph_free(g);
}

/* Values: every tuple once (constant expressions evaluated by the operator, in the column's type),
 * then the end of input; a restored source goes on after the tuples its checkpoint had emitted, and
 * a malformed state is an error naming the operator. */
static void test_values_source(void **unused)
{
    jobgraph *g = graph_of("CREATE TABLE p (a INT, b STRING) WITH ('connector' = 'blackhole');"
                           "INSERT INTO p VALUES (1, 'x'), (1 + 1, UPPER('y')), (3, CAST(NULL AS STRING))");
    const jg_operator *o = find_op(g, "values");
    assert_int_equal(g->vertices[0].parallelism, 1);
    json_t *state = NULL;
    for (int run = 0; run < 3; run++) {
        harness h = {0};
        sl_job_context_init(&h.job);
        h.types = sl_arena_create(0);
        sl_error err;
        sl_operator *src;
        assert_int_equal(sl_op_values_create(o->spec, &h.job, h.types, &src, &err), SL_OK);
        src->description = o->description;
        harness_init(&h, &src, 1);
        sl_source_state st;
        int wait_ms = 0;
        if (run == 0) {
            assert_int_equal(src->vt->poll(src, 2, &st, &wait_ms, &err), SL_OK);
            assert_int_equal(st, SL_SOURCE_MORE);
            assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[1, x]\n+I[2, Y]\n");
            sl_snapshot_ctx sc = {.checkpoint_id = 7, .dir = "/tmp"};
            assert_int_equal(src->vt->snapshot(src, &sc, &state, &err), SL_OK);
            assert_int_equal(src->vt->poll(src, 100, &st, &wait_ms, &err), SL_OK);
            assert_int_equal(st, SL_SOURCE_END);
            assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[1, x]\n+I[2, Y]\n+I[3, null]\n");
        } else {
            json_t *bad = json_pack("{s:i}", "emitted", 9);
            sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .state = run == 1 ? state : bad};
            sl_restore_ctx rc = {.checkpoint_id = 7, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
            sl_status rst = src->vt->restore(src, &rc, &err);
            json_decref(bad);
            if (run == 2) {
                assert_int_equal(rst, SL_ERR_STATE);
                assert_non_null(strstr(err.message, "Values(tuples="));
                assert_non_null(strstr(err.message, "checkpoint 7"));
            } else {
                assert_int_equal(rst, SL_OK);
                assert_int_equal(src->vt->poll(src, 100, &st, &wait_ms, &err), SL_OK);
                assert_int_equal(st, SL_SOURCE_END);
                assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[3, null]\n");
            }
        }
        harness_free(&h);
    }
    json_decref(state);
    jobgraph_free(g);
}

/* filesystem source: rows in file order; a malformed line is an error at file:line. */
static void test_filesystem_source(void **unused)
{
    char path[] = "/tmp/sluice_op_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *data = "{\"id\": 1, \"s\": \"a\"}\r\n{\"id\": 2}\n\n{\"id\": }\n";
    assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    close(fd);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json');"
             "CREATE TABLE p (id INT, s STRING) WITH ('connector' = 'blackhole');"
             "INSERT INTO p SELECT * FROM t",
             path);
    jobgraph *g = graph_of(sql);
    harness h = {0};
    sl_job_context_init(&h.job);
    h.types = sl_arena_create(0);
    sl_error err;
    sl_operator *src;
    assert_int_equal(sl_connector_source(find_op(g, "source")->spec, &h.job, 0, 1, h.types, &src, &err), SL_OK);
    harness_init(&h, &src, 1);
    sl_source_state st;
    int wait_ms;
    assert_int_equal(src->vt->poll(src, 100, &st, &wait_ms, &err), SL_ERR_INVALID);
    assert_string_equal(sl_strbuf_cstr(&h.cap.text), "+I[1, a]\n+I[2, null]\n");
    assert_string_equal(err.source, path);
    assert_int_equal(err.line, 4);
    harness_free(&h);
    jobgraph_free(g);
    unlink(path);
}

/* print: Flink's prefixes; rows of a narrower type are cast to the table's column types. */
static void test_print_sink(void **unused)
{
    jobgraph *g = graph_of("CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'datagen');"
                           "CREATE TABLE p (id BIGINT, s STRING) WITH ('connector' = 'print', 'print-identifier' = 'x');"
                           "INSERT INTO p SELECT id, s FROM t");
    harness h = {0};
    sl_job_context_init(&h.job);
    h.types = sl_arena_create(0);
    char *buf = NULL;
    size_t len = 0;
    h.job.out = open_memstream(&buf, &len);
    sl_error err;
    for (int sub = 0; sub < 2; sub++) {
        sl_operator *sink;
        assert_int_equal(sl_connector_sink(find_op(g, "sink")->spec, &h.job, sub, sub + 1, h.types, &sink, &err), SL_OK);
        sl_task *t = sl_task_create(&h.job, "print", 1, sub, sub + 1, 128);
        sl_task_set_chain(t, &sink, 1);
        sl_row_writer w = {0};
        int64_t id = 7;
        assert_int_equal(sink->vt->process(sink, 0, row2(&w, sub ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT, &id, "q"), &err), SL_OK);
        sl_rw_free(&w);
        sl_task_destroy(t);
    }
    fclose(h.job.out);
    assert_string_equal(buf, "x> +I[7, q]\nx:2> +U[7, q]\n");
    free(buf);
    harness_free(&h);
    jobgraph_free(g);
}

/* ---- keyed operators: join and group aggregate, driven with changelog sequences ----------------- */

typedef struct keyed {
    harness h;
    sl_operator *op;
    sl_row_writer w;
    int64_t now;
} keyed;

static int64_t fake_clock(void *ctx) { return *(int64_t *)ctx; }

static void keyed_init(keyed *k, const char *sql, const char *kind, int backend, int64_t ttl_ms)
{
    memset(k, 0, sizeof *k);
    jobgraph *g = graph_of(sql);
    sl_job_context_init(&k->h.job);
    k->h.job.state_backend = backend;
    k->h.job.state_ttl_ms = ttl_ms;
    k->h.job.state_clock = fake_clock;
    k->h.job.state_clock_ctx = &k->now;
    k->h.job.state_budget_bytes = 8u << 20;
    k->h.types = sl_arena_create(0);
    sl_error err;
    const jg_operator *o = find_op(g, kind);
    sl_status st = strcmp(kind, "join") == 0 ? sl_op_join_create(o->spec, &k->h.job, k->h.types, &k->op, &err)
                                             : sl_op_agg_create(o->spec, &k->h.job, k->h.types, &k->op, &err);
    if (st) fail_msg("%s", err.message);
    k->op->id = "test";
    harness_init(&k->h, &k->op, 1);
    assert_int_equal(k->op->vt->open(k->op, &err), SL_OK);
    jobgraph_free(g);
}

static void keyed_free(keyed *k)
{
    sl_rw_free(&k->w);
    harness_free(&k->h);
}

/* Pushes a row "(kind) id, text" on an input and returns the output so far, then clears it. */
static void push(keyed *k, int input, sl_row_kind kind, int64_t id, const char *text)
{
    sl_error err;
    sl_status st = k->op->vt->process(k->op, input, row2(&k->w, kind, id == INT64_MIN ? NULL : &id, text), &err);
    if (st) fail_msg("%s", err.message);
}

static void expect(keyed *k, const char *out)
{
    assert_string_equal(sl_strbuf_cstr(&k->h.cap.text), out);
    sl_strbuf_reset(&k->h.cap.text);
}

#define JOIN_SQL(kind)                                                                                                \
    "CREATE TABLE l (id BIGINT, a STRING) WITH ('connector' = 'datagen');"                                            \
    "CREATE TABLE r (id BIGINT, b STRING) WITH ('connector' = 'datagen');"                                            \
    "CREATE TABLE p (id BIGINT, a STRING, id2 BIGINT, b STRING) WITH ('connector' = 'print');"                        \
    "INSERT INTO p SELECT l.id, a, r.id, b FROM l " kind " JOIN r ON l.id = r.id"

/* LEFT JOIN with retractions on both sides: null-padded rows come and go as matches do. */
static void test_join_left_retractions(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k, JOIN_SQL("LEFT"), "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "a1");
        expect(&k, "+I[1, a1, null, null]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "b1");
        expect(&k, "-D[1, a1, null, null]\n+I[1, a1, 1, b1]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "b2"); /* a second match: no null row to retract */
        expect(&k, "+I[1, a1, 1, b2]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "b1");
        expect(&k, "-D[1, a1, 1, b1]\n");
        push(&k, 1, SL_ROW_UPDATE_BEFORE, 1, "b2"); /* the last match goes (its kind passed on, as Flink's) */
        expect(&k, "-U[1, a1, 1, b2]\n+I[1, a1, null, null]\n"); /* and the null-padded row returns */
        push(&k, 0, SL_ROW_INSERT, 1, "a1"); /* a duplicate left row, unmatched */
        expect(&k, "+I[1, a1, null, null]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "b3"); /* matches both copies: both null-padded copies go */
        expect(&k, "-D[1, a1, null, null]\n-D[1, a1, null, null]\n+I[1, a1, 1, b3]\n+I[1, a1, 1, b3]\n");
        push(&k, 0, SL_ROW_DELETE, 1, "a1");
        expect(&k, "-D[1, a1, 1, b3]\n");
        push(&k, 0, SL_ROW_INSERT, INT64_MIN, "n"); /* NULL keys never match */
        expect(&k, "+I[null, n, null, null]\n");
        push(&k, 1, SL_ROW_INSERT, INT64_MIN, "m");
        expect(&k, "");
        keyed_free(&k);
    }
}

/* INNER JOIN passes the input's row kind on; FULL JOIN pads both ways. */
static void test_join_inner_and_full(void **unused)
{
    keyed k;
    keyed_init(&k, JOIN_SQL("INNER"), "join", 0, 0);
    push(&k, 0, SL_ROW_INSERT, 7, "a");
    push(&k, 1, SL_ROW_UPDATE_AFTER, 7, "b");
    expect(&k, "+U[7, a, 7, b]\n");
    push(&k, 0, SL_ROW_UPDATE_BEFORE, 7, "a");
    expect(&k, "-U[7, a, 7, b]\n");
    keyed_free(&k);

    keyed_init(&k, JOIN_SQL("FULL"), "join", 1, 0);
    push(&k, 1, SL_ROW_INSERT, 5, "b");
    expect(&k, "+I[null, null, 5, b]\n");
    push(&k, 0, SL_ROW_INSERT, 5, "a");
    expect(&k, "-D[null, null, 5, b]\n+I[5, a, 5, b]\n");
    push(&k, 1, SL_ROW_DELETE, 5, "b");
    expect(&k, "-D[5, a, 5, b]\n+I[5, a, null, null]\n");
    keyed_free(&k);
}

/* TTL: a row older than table.exec.state.ttl no longer matches. */
static void test_join_ttl(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k, JOIN_SQL("INNER"), "join", backend, 1000);
        k.now = 10000;
        push(&k, 0, SL_ROW_INSERT, 3, "old");
        k.now = 10500;
        push(&k, 1, SL_ROW_INSERT, 3, "x");
        expect(&k, "+I[3, old, 3, x]\n");
        k.now = 12000; /* the left row was written at 10000: expired */
        push(&k, 1, SL_ROW_INSERT, 3, "y");
        expect(&k, "");
        keyed_free(&k);
    }
}

/* The STATE_TTL hint: each input's rows expire after its own time (here only the left's). */
static void test_join_state_ttl_hint(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k,
                   "CREATE TABLE l (id BIGINT, a STRING) WITH ('connector' = 'datagen');"
                   "CREATE TABLE r (id BIGINT, b STRING) WITH ('connector' = 'datagen');"
                   "CREATE TABLE p (id BIGINT, a STRING, id2 BIGINT, b STRING) WITH ('connector' = 'print');"
                   "INSERT INTO p SELECT /*+ STATE_TTL('l' = '1 s') */ l.id, a, r.id, b FROM l JOIN r ON l.id = r.id",
                   "join", backend, 0);
        k.now = 10000;
        push(&k, 0, SL_ROW_INSERT, 3, "old");
        k.now = 10500;
        push(&k, 1, SL_ROW_INSERT, 3, "x");
        expect(&k, "+I[3, old, 3, x]\n");
        k.now = 12000; /* the left row (written at 10000, TTL 1 s) has expired; the right rows do not */
        push(&k, 1, SL_ROW_INSERT, 3, "y");
        expect(&k, "");
        push(&k, 0, SL_ROW_INSERT, 3, "new");
        expect(&k, "+I[3, new, 3, x]\n+I[3, new, 3, y]\n");
        keyed_free(&k);
    }
}

/* ---- semi and anti joins (IN / EXISTS subqueries, INTERSECT / EXCEPT) -------------------------- */

#define SEMI_TABLES                                                                                                   \
    "CREATE TABLE l (id BIGINT, a STRING) WITH ('connector' = 'datagen');"                                            \
    "CREATE TABLE r (id BIGINT, b STRING) WITH ('connector' = 'datagen');"                                            \
    "CREATE TABLE p (id BIGINT, a STRING) WITH ('connector' = 'print');"

/* EXISTS with a residual: a left row goes out when its first match arrives and is retracted when
 * its last match leaves; every copy of a duplicate left row; the left row's kind passes on. */
static void test_semi_join(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k, SEMI_TABLES "INSERT INTO p SELECT id, a FROM l WHERE EXISTS (SELECT * FROM r WHERE r.id = l.id AND r.b <> l.a)",
                   "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        expect(&k, "");
        push(&k, 1, SL_ROW_INSERT, 1, "y"); /* the first match */
        expect(&k, "+I[1, x]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "z"); /* a second one: nothing new */
        expect(&k, "");
        push(&k, 1, SL_ROW_INSERT, 1, "x"); /* fails the residual (b <> a) */
        expect(&k, "");
        push(&k, 1, SL_ROW_DELETE, 1, "y");
        expect(&k, "");
        push(&k, 1, SL_ROW_UPDATE_BEFORE, 1, "z"); /* the last match leaves */
        expect(&k, "-D[1, x]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "nope"); /* retracting what is not there changes nothing */
        expect(&k, "");
        push(&k, 0, SL_ROW_INSERT, 1, "x"); /* a duplicate left row, unmatched */
        expect(&k, "");
        push(&k, 1, SL_ROW_INSERT, 1, "w"); /* matches both copies */
        expect(&k, "+I[1, x]\n+I[1, x]\n");
        push(&k, 0, SL_ROW_DELETE, 1, "x");
        expect(&k, "-D[1, x]\n");
        push(&k, 0, SL_ROW_UPDATE_AFTER, 1, "q"); /* arrives matched: out with its kind */
        expect(&k, "+U[1, q]\n");
        push(&k, 0, SL_ROW_INSERT, INT64_MIN, "n"); /* NULL keys never match */
        expect(&k, "");
        push(&k, 1, SL_ROW_INSERT, INT64_MIN, "m");
        expect(&k, "");
        push(&k, 1, SL_ROW_DELETE, 1, "w"); /* the last match of x; q keeps the right row x */
        expect(&k, "-D[1, x]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "x");
        expect(&k, "-D[1, q]\n");
        keyed_free(&k);
    }
}

/* NOT EXISTS: the reverse; a left row with a NULL key never matches and passes at once. */
static void test_anti_join(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k, SEMI_TABLES "INSERT INTO p SELECT id, a FROM l WHERE NOT EXISTS (SELECT * FROM r WHERE r.id = l.id AND r.b <> l.a)",
                   "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        expect(&k, "+I[1, x]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "y");
        expect(&k, "-D[1, x]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "z");
        expect(&k, "");
        push(&k, 0, SL_ROW_INSERT, 1, "y"); /* matched by z only (y <> y fails) */
        expect(&k, "");
        push(&k, 1, SL_ROW_DELETE, 1, "z"); /* x keeps y; y loses its only match */
        expect(&k, "+I[1, y]\n");
        push(&k, 1, SL_ROW_UPDATE_BEFORE, 1, "y"); /* x's last match */
        expect(&k, "+I[1, x]\n");
        push(&k, 0, SL_ROW_DELETE, 1, "x");
        expect(&k, "-D[1, x]\n");
        push(&k, 0, SL_ROW_INSERT, INT64_MIN, "n");
        expect(&k, "+I[null, n]\n");
        push(&k, 0, SL_ROW_DELETE, INT64_MIN, "n");
        expect(&k, "-D[null, n]\n");
        keyed_free(&k);
    }
}

/* NOT IN is null-aware (Flink's): a NULL on either side is a match, except that nothing matches an
 * empty subquery; (a, b) NOT IN compares column by column. */
static void test_anti_join_not_in_nulls(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k, SEMI_TABLES "INSERT INTO p SELECT id, a FROM l WHERE (id, a) NOT IN (SELECT id, b FROM r)", "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        expect(&k, "+I[1, x]\n");
        push(&k, 0, SL_ROW_INSERT, INT64_MIN, "n"); /* (NULL, n) NOT IN (empty): true */
        expect(&k, "+I[null, n]\n");
        push(&k, 1, SL_ROW_INSERT, 2, "y"); /* (NULL, n) vs (2, y): n <> y, so NOT IN stays true */
        expect(&k, "");
        push(&k, 1, SL_ROW_INSERT, 2, NULL); /* (NULL, n) vs (2, NULL): unknown: out */
        expect(&k, "-D[null, n]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "x");
        expect(&k, "-D[1, x]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "x");
        expect(&k, "+I[1, x]\n");
        push(&k, 0, SL_ROW_INSERT, 3, "z");
        expect(&k, "+I[3, z]\n");
        push(&k, 1, SL_ROW_DELETE, 2, NULL);
        expect(&k, "+I[null, n]\n");
        keyed_free(&k);
    }
}

/* An upsert right input (a unique key, +U without -U): a row replacing the one with its key ends
 * that row's matches first. */
static void test_semi_join_upsert_right(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k,
                   "CREATE TABLE l (id BIGINT, a STRING) WITH ('connector' = 'datagen');"
                   "CREATE TABLE r (id BIGINT, b STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', "
                   "'topic' = 'r', 'properties.bootstrap.servers' = 'localhost:9092', 'key.format' = 'json', 'value.format' = 'json');"
                   "CREATE TABLE p (id BIGINT, a STRING) WITH ('connector' = 'print');"
                   "INSERT INTO p SELECT id, a FROM l WHERE EXISTS (SELECT * FROM r WHERE r.id = l.id AND r.b <> l.a)",
                   "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        push(&k, 1, SL_ROW_INSERT, 1, "y");
        expect(&k, "+I[1, x]\n");
        push(&k, 1, SL_ROW_UPDATE_AFTER, 1, "x"); /* replaces y and fails the residual: the match ends */
        expect(&k, "-D[1, x]\n");
        push(&k, 1, SL_ROW_UPDATE_AFTER, 1, "z");
        expect(&k, "+I[1, x]\n");
        push(&k, 1, SL_ROW_UPDATE_AFTER, 1, "w"); /* one match replaced by another */
        expect(&k, "-D[1, x]\n+I[1, x]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "w");
        expect(&k, "-D[1, x]\n");
        keyed_free(&k);
    }
}

/* INTERSECT's semi join matches NULL keys with NULL keys (IS NOT DISTINCT FROM). */
static void test_semi_join_null_safe_keys(void **unused)
{
    keyed k;
    keyed_init(&k, SEMI_TABLES "INSERT INTO p SELECT id, a FROM l INTERSECT SELECT id, b FROM r", "join", 0, 0);
    push(&k, 0, SL_ROW_INSERT, INT64_MIN, "n");
    expect(&k, "");
    push(&k, 1, SL_ROW_INSERT, INT64_MIN, "n");
    expect(&k, "+I[null, n]\n");
    push(&k, 1, SL_ROW_INSERT, INT64_MIN, NULL);
    push(&k, 0, SL_ROW_INSERT, INT64_MIN, NULL);
    expect(&k, "+I[null, null]\n");
    keyed_free(&k);
}

/* INTERSECT ALL keeps min(left copies, right copies) of each row, EXCEPT ALL the left's excess;
 * NULL equals NULL. */
static void test_set_all_joins(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k, SEMI_TABLES "INSERT INTO p SELECT id, a FROM l INTERSECT ALL SELECT id, b FROM r", "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        expect(&k, "");
        push(&k, 1, SL_ROW_INSERT, 1, "x");
        push(&k, 1, SL_ROW_INSERT, 1, "x");
        expect(&k, "+I[1, x]\n+I[1, x]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "x"); /* a third right copy: still two on the left */
        expect(&k, "");
        push(&k, 0, SL_ROW_DELETE, 1, "x");
        expect(&k, "-D[1, x]\n");
        push(&k, 0, SL_ROW_INSERT, INT64_MIN, "n");
        push(&k, 1, SL_ROW_INSERT, INT64_MIN, "n");
        expect(&k, "+I[null, n]\n");
        keyed_free(&k);

        keyed_init(&k, SEMI_TABLES "INSERT INTO p SELECT id, a FROM l EXCEPT ALL SELECT id, b FROM r", "join", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        push(&k, 0, SL_ROW_INSERT, 1, "x");
        expect(&k, "+I[1, x]\n+I[1, x]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "x");
        expect(&k, "-D[1, x]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "x");
        expect(&k, "+I[1, x]\n");
        push(&k, 1, SL_ROW_INSERT, 1, "x");
        push(&k, 1, SL_ROW_INSERT, 1, "x");
        push(&k, 1, SL_ROW_INSERT, 1, "x"); /* more right copies than left ones: nothing left to take */
        expect(&k, "-D[1, x]\n-D[1, x]\n");
        push(&k, 1, SL_ROW_DELETE, 1, "y"); /* not there */
        expect(&k, "");
        keyed_free(&k);
    }
}

/* What a snapshot deferred to the asynchronous phase (sl_snapshot_ctx.defer), run by the test. */
typedef struct deferred_rec {
    sl_snapshot_deferred_fn fn[4];
    sl_snapshot_release_fn release[4];
    void *arg[4];
    int n;
} deferred_rec;

static void defer_rec(const sl_snapshot_ctx *ctx, sl_snapshot_deferred_fn fn, sl_snapshot_release_fn release, void *arg)
{
    deferred_rec *r = ctx->defer_arg;
    assert_true(r->n < 4);
    r->fn[r->n] = fn;
    r->release[r->n] = release;
    r->arg[r->n++] = arg;
}

/* The semi join's state (left rows with their match counts, right rows) survives a snapshot and a
 * restore: a retraction after the restore ends a match from before it. With an asynchronous phase
 * (ctx->defer, as checkpoints do) the state written afterwards is still the state at the snapshot,
 * though the operator changed it (a retraction) before the deferred write ran. */
static void test_semi_join_snapshot_restore(void **unused)
{
    const char *sql = SEMI_TABLES "INSERT INTO p SELECT id, a FROM l WHERE id IN (SELECT id FROM r)";
    for (int run = 0; run < 4; run++) {
        int backend = run % 2;
        bool deferred = run >= 2;
        char dir[] = "/tmp/sluice-test-semi-XXXXXX";
        assert_non_null(mkdtemp(dir));
        keyed k;
        keyed_init(&k, sql, "join", backend, 0);
        sl_row_writer w1 = {0};
        int64_t id = 4;
        sl_rw_begin(&w1, 1, SL_ROW_INSERT); /* the right input is the subquery's one column */
        sl_rw_i64(&w1, 0, id);
        sl_error err;
        assert_int_equal(k.op->vt->process(k.op, 1, sl_rw_finish(&w1), &err), SL_OK);
        push(&k, 0, SL_ROW_INSERT, 4, "x");
        expect(&k, "+I[4, x]\n");
        json_t *meta = NULL;
        deferred_rec rec = {0};
        sl_snapshot_ctx sc = {.checkpoint_id = 1, .dir = dir, .defer = deferred ? defer_rec : NULL, .defer_arg = &rec};
        assert_int_equal(k.op->vt->snapshot(k.op, &sc, &meta, &err), SL_OK);
        if (deferred) {
            assert_int_equal(rec.n, 1);
            sl_rw_begin(&w1, 1, SL_ROW_DELETE); /* after the snapshot: not in it */
            sl_rw_i64(&w1, 0, id);
            assert_int_equal(k.op->vt->process(k.op, 1, sl_rw_finish(&w1), &err), SL_OK);
            expect(&k, "-D[4, x]\n");
            for (int i = 0; i < rec.n; i++) {
                if (rec.fn[i](rec.arg[i], &err) != SL_OK) fail_msg("deferred snapshot: %s", err.message);
                rec.release[i](rec.arg[i]);
            }
        }
        keyed_free(&k);

        keyed_init(&k, sql, "join", backend, 0);
        sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .state = meta, .dir = dir};
        sl_restore_ctx rc = {.checkpoint_id = 1, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
        if (k.op->vt->restore(k.op, &rc, &err)) fail_msg("%s", err.message);
        json_decref(meta);
        push(&k, 0, SL_ROW_INSERT, 4, "y"); /* matches the right row from before */
        expect(&k, "+I[4, y]\n");
        sl_rw_begin(&w1, 1, SL_ROW_DELETE);
        sl_rw_i64(&w1, 0, id);
        assert_int_equal(k.op->vt->process(k.op, 1, sl_rw_finish(&w1), &err), SL_OK);
        expect(&k, "-D[4, x]\n-D[4, y]\n");
        sl_rw_free(&w1);
        keyed_free(&k);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

#define AGG_SQL                                                                                                        \
    "CREATE TABLE t (id BIGINT, s STRING) WITH ('connector' = 'filesystem', 'path' = '/nonexistent', "                    \
    "'format' = 'debezium-json');" /* an updating input */                                                              \
    "CREATE TABLE p (id BIGINT, c BIGINT, n BIGINT, mn STRING, mx STRING, d BIGINT, sm BIGINT, av BIGINT) "             \
    "WITH ('connector' = 'print');"                                                                                      \
    "INSERT INTO p SELECT id, COUNT(*), COUNT(s), MIN(s), MAX(s), COUNT(DISTINCT s), SUM(id), AVG(id) " \
    "FROM t GROUP BY id"

/* Group aggregate over a changelog: +I for a new group, -U/+U when the result changes, nothing when
 * it does not, -D when the group empties; MIN/MAX follow retractions. */
static void test_agg_retractions(void **unused)
{
    for (int backend = 1; backend >= 0; backend--) {
        keyed k;
        keyed_init(&k, AGG_SQL, "aggregate", backend, 0);
        push(&k, 0, SL_ROW_INSERT, 1, "b");
        expect(&k, "+I[1, 1, 1, b, b, 1, 1, 1]\n");
        push(&k, 0, SL_ROW_INSERT, 1, "a");
        expect(&k, "-U[1, 1, 1, b, b, 1, 1, 1]\n+U[1, 2, 2, a, b, 2, 2, 1]\n");
        push(&k, 0, SL_ROW_INSERT, 1, "a"); /* a duplicate: COUNT DISTINCT stays */
        expect(&k, "-U[1, 2, 2, a, b, 2, 2, 1]\n+U[1, 3, 3, a, b, 2, 3, 1]\n");
        push(&k, 0, SL_ROW_INSERT, 1, NULL);
        expect(&k, "-U[1, 3, 3, a, b, 2, 3, 1]\n+U[1, 4, 3, a, b, 2, 4, 1]\n");
        push(&k, 0, SL_ROW_DELETE, 1, "a"); /* one of two: the MIN stays */
        expect(&k, "-U[1, 4, 3, a, b, 2, 4, 1]\n+U[1, 3, 2, a, b, 2, 3, 1]\n");
        push(&k, 0, SL_ROW_DELETE, 1, "a"); /* the MIN goes: the next one is found */
        expect(&k, "-U[1, 3, 2, a, b, 2, 3, 1]\n+U[1, 2, 1, b, b, 1, 2, 1]\n");
        push(&k, 0, SL_ROW_UPDATE_BEFORE, 1, NULL);
        expect(&k, "-U[1, 2, 1, b, b, 1, 2, 1]\n+U[1, 1, 1, b, b, 1, 1, 1]\n");
        push(&k, 0, SL_ROW_DELETE, 1, "b");
        expect(&k, "-D[1, 1, 1, b, b, 1, 1, 1]\n");
        push(&k, 0, SL_ROW_DELETE, 9, "x"); /* a retraction for an unknown group: ignored */
        expect(&k, "");
        keyed_free(&k);
    }
}

/* The STATE_TTL hint on a group aggregate: a group's accumulators expire that long after their last
 * write (no table.exec.state.ttl here); the group then starts over. */
static void test_agg_state_ttl_hint(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        keyed k;
        keyed_init(&k,
                   "CREATE TABLE t (id BIGINT, s STRING) WITH ('connector' = 'datagen');"
                   "CREATE TABLE p (id BIGINT, c BIGINT) WITH ('connector' = 'print');"
                   "INSERT INTO p SELECT /*+ STATE_TTL('t' = '1 s') */ id, COUNT(*) FROM t GROUP BY id",
                   "aggregate", backend, 0);
        k.now = 10000;
        push(&k, 0, SL_ROW_INSERT, 1, "a");
        expect(&k, "+I[1, 1]\n");
        k.now = 10500;
        push(&k, 0, SL_ROW_INSERT, 1, "b");
        expect(&k, "-U[1, 1]\n+U[1, 2]\n");
        push(&k, 0, SL_ROW_INSERT, 2, "c");
        expect(&k, "+I[2, 1]\n");
        k.now = 11400; /* group 1 was written at 10500: still there */
        push(&k, 0, SL_ROW_INSERT, 1, "d");
        expect(&k, "-U[1, 2]\n+U[1, 3]\n");
        k.now = 12000; /* group 2 (written at 10500, TTL 1 s) has expired: it starts over */
        push(&k, 0, SL_ROW_INSERT, 2, "e");
        expect(&k, "+I[2, 1]\n");
        k.now = 13000; /* and so has group 1 (written at 11400) */
        push(&k, 0, SL_ROW_INSERT, 1, "f");
        expect(&k, "+I[1, 1]\n");
        keyed_free(&k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calc_filter_project),
        cmocka_unit_test(test_calc_runtime_error),
        cmocka_unit_test(test_scan_computed_filter_watermark),
        cmocka_unit_test(test_datagen),
        cmocka_unit_test(test_values_source),
        cmocka_unit_test(test_filesystem_source),
        cmocka_unit_test(test_print_sink),
        cmocka_unit_test(test_join_left_retractions),
        cmocka_unit_test(test_join_inner_and_full),
        cmocka_unit_test(test_join_ttl),
        cmocka_unit_test(test_join_state_ttl_hint),
        cmocka_unit_test(test_semi_join),
        cmocka_unit_test(test_anti_join),
        cmocka_unit_test(test_anti_join_not_in_nulls),
        cmocka_unit_test(test_semi_join_upsert_right),
        cmocka_unit_test(test_semi_join_null_safe_keys),
        cmocka_unit_test(test_set_all_joins),
        cmocka_unit_test(test_semi_join_snapshot_restore),
        cmocka_unit_test(test_agg_retractions),
        cmocka_unit_test(test_agg_state_ttl_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
