/* Window aggregate harness tests: the WindowAggregate operator built from real JobGraph specs
 * (SQL -> planner -> JobGraph), driven directly with rows, watermarks, processing-time timers and
 * end of input; outputs collected by a capturing operator. Both state backends. */
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

/* op_window.c: rows dropped as late (or without a time). */
uint64_t sl_op_window_late_rows(const sl_operator *op);

#define BASE_MS HARNESS_BASE_MS

typedef harness_op wh;

static void wh_init(wh *h, const char *sql, int backend, int32_t ltz_offset, const char *input_names)
{
    harness_op_init(h, sql, "window_aggregate", sl_op_window_create, backend, ltz_offset, input_names);
}
static void wh_free(wh *h) { harness_op_free(h); }
static void push(wh *h, const char *spec) { harness_push(h, spec); }
static void watermark(wh *h, int64_t ms_after_base) { harness_watermark(h, ms_after_base); }
static void finish(wh *h) { harness_finish(h); }

static void expect(wh *h, const char *want) { harness_expect_sorted(&h->cap, want); }

#define TABLE_T                                                                                                       \
    "CREATE TABLE t (id BIGINT, s STRING, v BIGINT, d DOUBLE, ts TIMESTAMP(3), pt AS PROCTIME(),"                     \
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');"

/* TUMBLE on event time: out-of-order rows, a window fires when the watermark reaches its end - 1,
 * a row for a fired window is late (dropped, counted), end of input fires the rest. */
static void test_tumble_event_time(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h,
                TABLE_T "SELECT id, COUNT(*), SUM(v), window_start, window_end "
                        "FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, id",
                backend, 0, "id,v,ts");
        push(&h, "1|10|1000");
        push(&h, "2|20|3000");
        push(&h, "1|5|12000");  /* the next window */
        push(&h, "1|7|9999");   /* out of order, still in the first window */
        push(&h, "~|1|500");    /* a NULL key is a group too */
        watermark(&h, 9998);    /* end - 2: nothing yet */
        expect(&h, "");
        assert_int_equal(h.cap.wm, BASE_MS + 9998); /* watermarks go on */
        watermark(&h, 9999);
        expect(&h, "+I[1, 2, 17, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000]\n"
                   "+I[2, 1, 20, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000]\n"
                   "+I[null, 1, 1, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000]\n");
        push(&h, "1|100|5000"); /* its window has fired: late */
        assert_int_equal(sl_op_window_late_rows(h.op), 1);
        watermark(&h, 9999);    /* the fired window is gone: nothing twice */
        expect(&h, "");
        push(&h, "2|1|10000");
        push(&h, "3|1|25000");
        finish(&h);             /* end of input: everything fires, in window order */
        const char *text = sl_strbuf_cstr(&h.cap.text);
        assert_true(strstr(text, "+I[3,") > strstr(text, "+I[1,") && strstr(text, "+I[3,") > strstr(text, "+I[2,"));
        expect(&h, "+I[1, 1, 5, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000]\n"
                   "+I[2, 1, 1, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000]\n"
                   "+I[3, 1, 1, 2024-01-01 00:00:20.000, 2024-01-01 00:00:30.000]\n");
        assert_int_equal(h.cap.wm, INT64_MAX);
        assert_int_equal(sl_op_window_late_rows(h.op), 1);
        wh_free(&h);
    }
}

/* HOP: a row belongs to size / slide windows; each fires on its own (the operator's output is the
 * aggregates, then window_start, window_end: the Calc above reorders them). */
static void test_hop(void **unused)
{
    wh h;
    wh_init(&h,
            TABLE_T "SELECT window_start, window_end, COUNT(*) AS c, MAX(v) AS mx "
                    "FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end",
            0, 0, "v,ts");
    push(&h, "1|7000");  /* [0, 10) and [5, 15) */
    push(&h, "3|12000"); /* [5, 15) and [10, 20) */
    push(&h, "2|-1");    /* [-10, 0) and [-5, 5) */
    watermark(&h, 9999);
    expect(&h, "+I[1, 1, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000]\n"
               "+I[1, 2, 2023-12-31 23:59:50.000, 2024-01-01 00:00:00.000]\n"
               "+I[1, 2, 2023-12-31 23:59:55.000, 2024-01-01 00:00:05.000]\n");
    push(&h, "9|4000"); /* [0, 10) fired, [-5, 5) fired: late */
    push(&h, "5|9000"); /* [0, 10) fired, but [5, 15) is open: counted there, not late */
    assert_int_equal(sl_op_window_late_rows(h.op), 1);
    watermark(&h, 14999);
    expect(&h, "+I[3, 5, 2024-01-01 00:00:05.000, 2024-01-01 00:00:15.000]\n");
    finish(&h);
    expect(&h, "+I[1, 3, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000]\n");
    wh_free(&h);
}

/* CUMULATE: a row belongs to every window of its period that ends after it; a late row still
 * counts in the windows of the period that have not fired. */
static void test_cumulate(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h,
                TABLE_T "SELECT id, window_start, window_end, COUNT(*) AS c, SUM(v) AS sv "
                        "FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND)) "
                        "GROUP BY id, window_start, window_end",
                backend, 0, "id,v,ts");
        push(&h, "1|1|2000");  /* ends 5, 10, 15 */
        push(&h, "1|2|7000");  /* ends 10, 15 */
        push(&h, "1|4|16000"); /* the next period: ends 20, 25, 30 */
        watermark(&h, 4999);
        expect(&h, "+I[1, 1, 1, 2024-01-01 00:00:00.000, 2024-01-01 00:00:05.000]\n");
        watermark(&h, 9999);
        expect(&h, "+I[1, 2, 3, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000]\n");
        push(&h, "1|8|3000"); /* ends 5 and 10 fired; 15 has not */
        assert_int_equal(sl_op_window_late_rows(h.op), 0);
        finish(&h);
        expect(&h, "+I[1, 1, 4, 2024-01-01 00:00:15.000, 2024-01-01 00:00:20.000]\n"
                   "+I[1, 1, 4, 2024-01-01 00:00:15.000, 2024-01-01 00:00:25.000]\n"
                   "+I[1, 1, 4, 2024-01-01 00:00:15.000, 2024-01-01 00:00:30.000]\n"
                   "+I[1, 3, 11, 2024-01-01 00:00:00.000, 2024-01-01 00:00:15.000]\n");
        wh_free(&h);
    }
}

/* TUMBLE with an offset: windows start at offset + k * size. */
static void test_tumble_offset(void **unused)
{
    wh h;
    wh_init(&h,
            TABLE_T "SELECT window_start, window_end, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), "
                    "INTERVAL '10' SECOND, INTERVAL '2' SECOND)) GROUP BY window_start, window_end",
            1, 0, "ts");
    push(&h, "1000");
    push(&h, "2000");
    push(&h, "11999");
    watermark(&h, 1999);
    expect(&h, "+I[1, 2023-12-31 23:59:52.000, 2024-01-01 00:00:02.000]\n");
    finish(&h);
    expect(&h, "+I[2, 2024-01-01 00:00:02.000, 2024-01-01 00:00:12.000]\n");
    wh_free(&h);
}

/* The aggregate functions: COUNT(col) and MIN/MAX/AVG skip NULLs, DISTINCT counts a value once per
 * window, FILTER; no group keys; window_time = window_end - 1 ms, a rowtime. */
static void test_functions_and_window_time(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h,
                TABLE_T "SELECT COUNT(s), COUNT(DISTINCT s), MIN(s), MAX(s), AVG(d), SUM(id) FILTER (WHERE id > 1), "
                        "window_start, window_end, window_time FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) "
                        "GROUP BY window_start, window_end, window_time",
                backend, 0, "s,d,id,$f3,ts");
        push(&h, "b|1.5|1|0|1000");
        push(&h, "a|~|2|1|2000");
        push(&h, "b|2.5|3|1|3000");
        push(&h, "~|~|~|~|4000");
        push(&h, "z|~|5|1|60000"); /* the next window: DISTINCT starts over */
        push(&h, "b|~|5|1|60001");
        watermark(&h, 59999);
        expect(&h, "+I[3, 2, a, b, 2.0, 5, 2024-01-01 00:00:00.000, 2024-01-01 00:01:00.000, 2024-01-01 00:00:59.999]\n");
        finish(&h);
        expect(&h, "+I[2, 2, b, z, null, 10, 2024-01-01 00:01:00.000, 2024-01-01 00:02:00.000, 2024-01-01 00:01:59.999]\n");
        assert_string_equal(h.op->out_type->field_names[8], "window_time");
        wh_free(&h);
    }
}

/* Processing time: windows fire on processing-time timers; a row is never late; end of input
 * fires what is left. */
static void test_proctime(void **unused)
{
    wh h;
    wh_init(&h,
            TABLE_T "SELECT id, COUNT(*), window_start, window_end FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(pt), INTERVAL '10' SECOND)) "
                    "GROUP BY window_start, window_end, id",
            1, 0, "id,pt");
    push(&h, "1|1000");
    push(&h, "1|2000");
    push(&h, "2|12000");
    watermark(&h, 100000); /* event time does not fire processing-time windows */
    expect(&h, "");
    sl_error err;
    assert_int_equal(h.op->vt->on_timer(h.op, BASE_MS + 9999, &err), SL_OK);
    expect(&h, "+I[1, 2, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000]\n");
    push(&h, "1|3000"); /* read before the timer fired, processed after: the current window */
    assert_int_equal(sl_op_window_late_rows(h.op), 0);
    finish(&h);
    expect(&h, "+I[1, 1, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000]\n"
               "+I[2, 1, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000]\n");
    wh_free(&h);
}

/* A TIMESTAMP_LTZ rowtime aligns windows in table.local-time-zone (here UTC+2): a day window is a
 * local day; window_start/window_end are local TIMESTAMPs, window_time the instant end - 1 ms. */
static void test_ltz_day_windows(void **unused)
{
    wh h;
    wh_init(&h,
            "CREATE TABLE e (id BIGINT, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');"
            "SELECT window_start, window_end, window_time, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE e, DESCRIPTOR(ts), INTERVAL '1' DAY)) "
            "GROUP BY window_start, window_end, window_time",
            0, 7200, "ts");
    push(&h, "-7200001"); /* 2023-12-31 21:59:59.999 UTC = 23:59:59.999 local */
    push(&h, "-7200000"); /* 2023-12-31 22:00 UTC = 2024-01-01 00:00 local */
    push(&h, "79199999"); /* 2024-01-01 21:59:59.999 UTC: the same local day */
    watermark(&h, -7200002);
    expect(&h, "");
    watermark(&h, -7200001);
    expect(&h, "+I[1, 2023-12-31 00:00:00.000, 2024-01-01 00:00:00.000, 2023-12-31 21:59:59.999]\n");
    watermark(&h, 79199998);
    expect(&h, "");
    watermark(&h, 79199999);
    expect(&h, "+I[2, 2024-01-01 00:00:00.000, 2024-01-02 00:00:00.000, 2024-01-01 21:59:59.999]\n");
    wh_free(&h);
}

/* SESSION on event time: rows of a key within the gap form one session [first, last + gap); the
 * session's end moves as it grows (its firing moves with it); a row whose own session would have
 * fired already is late; two keys have their own sessions. */
static void test_session_gaps(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h,
                TABLE_T "SELECT id, COUNT(*), SUM(v), window_start, window_end "
                        "FROM TABLE(SESSION(TABLE t PARTITION BY id, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY window_start, window_end, id",
                backend, 0, "id,v,ts");
        push(&h, "1|1|1000");
        push(&h, "1|2|3000");  /* [1, 8) */
        push(&h, "1|4|20000"); /* more than the gap later: its own session [20, 25) */
        push(&h, "2|8|2000");  /* key 2: [2, 7) */
        watermark(&h, 6998);
        expect(&h, "");
        watermark(&h, 6999);
        expect(&h, "+I[2, 1, 8, 2024-01-01 00:00:02.000, 2024-01-01 00:00:07.000]\n");
        push(&h, "1|16|7500"); /* extends [1, 8) to [1, 12.5): it no longer fires at 7999 */
        watermark(&h, 7999);
        expect(&h, "");
        watermark(&h, 12499);
        expect(&h, "+I[1, 3, 19, 2024-01-01 00:00:01.000, 2024-01-01 00:00:12.500]\n");
        push(&h, "1|100|5000"); /* [5, 10) would have fired, and no open session is near: late */
        assert_int_equal(sl_op_window_late_rows(h.op), 1);
        push(&h, "2|32|10000"); /* [10, 15) has not fired: a new session */
        push(&h, "1|64|15000"); /* touches [20, 25) (15 + 5 = 20): one session [15, 25), as Flink's intersects */
        assert_int_equal(sl_op_window_late_rows(h.op), 1);
        finish(&h);
        expect(&h, "+I[1, 2, 68, 2024-01-01 00:00:15.000, 2024-01-01 00:00:25.000]\n"
                   "+I[2, 1, 32, 2024-01-01 00:00:10.000, 2024-01-01 00:00:15.000]\n");
        assert_int_equal(h.cap.wm, INT64_MAX);
        wh_free(&h);
    }
}

/* SESSION without PARTITION BY (the GROUP BY keys are the session key): out-of-order rows open
 * separate sessions that a later row bridges; the accumulators merge (COUNT, SUM, AVG, MIN, MAX) and
 * DISTINCT merges its value sets (a value both sessions saw counts once). */
static void test_session_merge_distinct(void **unused)
{
    for (int backend = 0; backend < 2; backend++) {
        wh h;
        wh_init(&h,
                TABLE_T "SELECT id, COUNT(*), COUNT(DISTINCT s), SUM(DISTINCT v), MIN(s), MAX(v), AVG(v), window_start, window_end "
                        "FROM TABLE(SESSION(TABLE t, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY window_start, window_end, id",
                backend, 0, "id,s,v,ts");
        push(&h, "1|a|1|0");     /* [0, 5) */
        push(&h, "1|b|2|20000"); /* [20, 25) */
        push(&h, "1|a|1|12000"); /* [12, 17) */
        push(&h, "2|z|7|1000");  /* key 2: [1, 6) */
        watermark(&h, 4998);
        expect(&h, "");
        push(&h, "1|c|3|8000");  /* [8, 13) overlaps [12, 17): [8, 17) */
        push(&h, "1|b|2|4000");  /* [4, 9) bridges [0, 5) and [8, 17): [0, 17) */
        watermark(&h, 16998);    /* key 2's session fires; key 1's [0, 17) not yet */
        expect(&h, "+I[2, 1, 1, 7, z, 7, 7, 2024-01-01 00:00:01.000, 2024-01-01 00:00:06.000]\n");
        push(&h, "1|a|5|16000"); /* [16, 21) bridges [0, 17) and [20, 25): one session [0, 25) */
        watermark(&h, 16999);
        expect(&h, "");
        watermark(&h, 24999);
        /* 6 rows; s: a, b, c; v: 1, 2, 3, 5; AVG of integers is an integer: 14 / 6 = 2 */
        expect(&h, "+I[1, 6, 3, 11, a, 5, 2, 2024-01-01 00:00:00.000, 2024-01-01 00:00:25.000]\n");
        push(&h, "1|a|9|26000"); /* a new session: its DISTINCT sets start over */
        finish(&h);
        expect(&h, "+I[1, 1, 1, 9, a, 9, 9, 2024-01-01 00:00:26.000, 2024-01-01 00:00:31.000]\n");
        assert_int_equal(sl_op_window_late_rows(h.op), 0);
        wh_free(&h);
    }
}

/* SESSION state survives a snapshot and restore: the sessions, their accumulators and DISTINCT
 * sets are in keyed state, the pending index is rebuilt from it; a row after the restore still
 * bridges sessions opened before. */
static void test_session_snapshot_restore(void **unused)
{
    const char *sql = TABLE_T "SELECT id, COUNT(*), COUNT(DISTINCT v), window_start, window_end, window_time "
                              "FROM TABLE(SESSION(TABLE t PARTITION BY id, DESCRIPTOR(ts), INTERVAL '5' SECOND)) "
                              "GROUP BY window_start, window_end, window_time, id";
    for (int backend = 0; backend < 2; backend++) {
        char dir[] = "/tmp/sluice-test-session-XXXXXX";
        assert_non_null(mkdtemp(dir));
        wh h;
        wh_init(&h, sql, backend, 0, "id,v,ts");
        push(&h, "1|1|0");
        push(&h, "1|2|10000"); /* [0, 5) and [10, 15) */
        push(&h, "2|1|3000");  /* [3, 8) */
        sl_error err;
        json_t *meta = NULL;
        sl_snapshot_ctx sc = {.checkpoint_id = 1, .dir = dir};
        assert_int_equal(h.op->vt->snapshot(h.op, &sc, &meta, &err), SL_OK);
        wh_free(&h);

        wh r;
        wh_init(&r, sql, backend, 0, "id,v,ts");
        sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .state = meta, .dir = dir};
        sl_restore_ctx rc = {.checkpoint_id = 1, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
        if (r.op->vt->restore(r.op, &rc, &err)) fail_msg("%s", err.message);
        json_decref(meta);
        watermark(&r, 4000);
        expect(&r, "");
        push(&r, "1|1|5000"); /* bridges [0, 5) and [10, 15): [0, 15); v = 1 is in both sets */
        watermark(&r, 7999);  /* key 2's [3, 8) fires from the rebuilt index */
        expect(&r, "+I[2, 1, 1, 2024-01-01 00:00:03.000, 2024-01-01 00:00:08.000, 2024-01-01 00:00:07.999]\n");
        watermark(&r, 14998);
        expect(&r, "");
        watermark(&r, 14999);
        expect(&r, "+I[1, 3, 2, 2024-01-01 00:00:00.000, 2024-01-01 00:00:15.000, 2024-01-01 00:00:14.999]\n");
        finish(&r);
        expect(&r, "");
        wh_free(&r);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* SESSION on processing time: the session's timer moves with its end; a stale timer fires nothing. */
static void test_session_proctime(void **unused)
{
    wh h;
    wh_init(&h,
            TABLE_T "SELECT id, COUNT(*), window_start, window_end FROM TABLE(SESSION(TABLE t, DESCRIPTOR(pt), INTERVAL '10' SECOND)) "
                    "GROUP BY window_start, window_end, id",
            1, 0, "id,pt");
    push(&h, "1|1000");
    push(&h, "1|6000"); /* [1, 16) */
    sl_error err;
    assert_int_equal(h.op->vt->on_timer(h.op, BASE_MS + 10999, &err), SL_OK); /* the first end's timer: stale */
    expect(&h, "");
    assert_int_equal(h.op->vt->on_timer(h.op, BASE_MS + 15999, &err), SL_OK);
    expect(&h, "+I[1, 2, 2024-01-01 00:00:01.000, 2024-01-01 00:00:16.000]\n");
    push(&h, "1|2000"); /* read before the timer fired: moved past it, a new session */
    finish(&h);
    expect(&h, "+I[1, 1, 2024-01-01 00:00:16.000, 2024-01-01 00:00:26.000]\n");
    assert_int_equal(sl_op_window_late_rows(h.op), 0);
    wh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumble_event_time),
        cmocka_unit_test(test_hop),
        cmocka_unit_test(test_cumulate),
        cmocka_unit_test(test_tumble_offset),
        cmocka_unit_test(test_functions_and_window_time),
        cmocka_unit_test(test_proctime),
        cmocka_unit_test(test_ltz_day_windows),
        cmocka_unit_test(test_session_gaps),
        cmocka_unit_test(test_session_merge_distinct),
        cmocka_unit_test(test_session_snapshot_restore),
        cmocka_unit_test(test_session_proctime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
