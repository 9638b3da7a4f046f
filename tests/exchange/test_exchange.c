/* Exchanges between subtasks (runtime/task.h): every partitioner delivers each row where it
 * belongs; a slow consumer backpressures its producer with bounded memory; partially filled
 * buffers are flushed by execution.buffer-timeout; watermarks combine as the minimum over inputs,
 * idle inputs excepted. Real threads, real channels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/hash.h"
#include "runtime/ops.h"
#include "runtime/task.h"

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- a source that emits rows (key = producer*1e6 + i) and optionally watermarks ---------------- */

typedef struct src_state {
    int producer;
    long long n, i;
    int pad;                 /* bytes of string payload per row */
    int64_t wms[4];          /* watermarks to emit after the rows */
    int nwm;
    bool idle_after;         /* mark the output idle after the watermarks */
    bool stay;               /* stay IDLE (not ended) until the job stops */
    uint64_t emitted_ns;     /* when the last row was emitted */
    sl_row_writer w;
} src_state;

static sl_status src_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    src_state *s = op->impl;
    static const char pad[256] = {0};
    for (int k = 0; k < max && s->i < s->n; k++, s->i++) {
        sl_rw_begin(&s->w, 2, SL_ROW_INSERT);
        sl_rw_i64(&s->w, 0, s->producer * 1000000LL + s->i);
        sl_rw_bytes(&s->w, 1, pad, (uint32_t)s->pad);
        s->emitted_ns = mono_ns();
        sl_status st = sl_op_emit(op, sl_rw_finish(&s->w), err);
        if (st) return st;
    }
    if (s->i < s->n) {
        *state = SL_SOURCE_MORE;
        return SL_OK;
    }
    for (int k = 0; k < s->nwm; k++) sl_op_emit_watermark(op, s->wms[k], err);
    s->nwm = 0;
    if (s->idle_after) {
        sl_op_emit_idle(op, true);
        s->idle_after = false;
    }
    if (s->stay && !sl_task_stop_requested(op->task)) {
        *state = SL_SOURCE_IDLE;
        *wait_ms = 1000;
        return SL_OK;
    }
    *state = SL_SOURCE_END;
    return SL_OK;
}

static void src_close(sl_operator *op) { sl_rw_free(&((src_state *)op->impl)->w); }

static const sl_op_vtable src_vt = {.name = "src", .poll = src_poll, .close = src_close};

/* ---- a sink that records keys, arrival time, watermarks; optionally slow ----------------------- */

typedef struct sink_state {
    long long *keys;
    long long n, cap;
    int slow_iters;          /* busy work per row */
    uint64_t first_arrival_ns;
    _Atomic int64_t wm;
    _Atomic long long count;
} sink_state;

static sl_status sink_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    sink_state *s = op->impl;
    if (!s->first_arrival_ns) s->first_arrival_ns = mono_ns();
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->keys = realloc(s->keys, sizeof(long long) * (size_t)s->cap);
    }
    s->keys[s->n++] = sl_row_i64(row, 0);
    volatile double x = 1;
    for (int i = 0; i < s->slow_iters; i++) x = x * 1.0000001 + 1e-9;
    atomic_store(&s->count, s->n);
    return SL_OK;
}

static sl_status sink_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    sink_state *s = op->impl;
    atomic_store(&s->wm, wm);
    return SL_OK;
}

static const sl_op_vtable sink_vt = {.name = "sink", .process = sink_process, .watermark = sink_watermark};

/* A pass-through operator (the middle of a pipeline). */
static sl_status fwd_process(sl_operator *op, int input, const uint8_t *row, sl_error *err) { return sl_op_emit(op, row, err); }
static const sl_op_vtable fwd_vt = {.name = "fwd", .process = fwd_process};

/* Registers a processing-time timer 100 ms after its first row; records when it fired. */
typedef struct timer_state {
    int64_t registered_for;
    _Atomic int64_t fired_at;
} timer_state;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sl_status timer_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    timer_state *s = op->impl;
    if (!s->registered_for) {
        s->registered_for = wall_ms() + 100;
        sl_op_register_proctime_timer(op, s->registered_for);
    }
    return sl_op_emit(op, row, err);
}

static sl_status timer_fire(sl_operator *op, int64_t when, sl_error *err)
{
    timer_state *s = op->impl;
    assert_int_equal(when, s->registered_for);
    atomic_store(&s->fired_at, wall_ms());
    return SL_OK;
}

static const sl_op_vtable timer_vt = {.name = "timer", .process = timer_process, .on_timer = timer_fire};

typedef struct harness {
    sl_job_context job;
    int np, nc;
    sl_task *prod[4], *cons[4], *mid;
    src_state src[4];
    sink_state sink[4];
    timer_state *timer;
} harness;

static void setup(harness *h, int np, int nc, sl_partitioning part, long long rows, int pad)
{
    memset(h, 0, sizeof *h);
    sl_job_context_init(&h->job);
    h->np = np;
    h->nc = nc;
    int keys[1] = {0};
    sl_phys kp[1] = {SL_PHYS_I64};
    for (int c = 0; c < nc; c++) {
        h->cons[c] = sl_task_create(&h->job, "sink", 2, c, nc, 128);
        atomic_init(&h->sink[c].wm, INT64_MIN);
        atomic_init(&h->sink[c].count, 0);
        sl_operator *op = sl_operator_new(&sink_vt, &h->sink[c], "sink", "sink");
        sl_task_set_chain(h->cons[c], &op, 1);
    }
    for (int p = 0; p < np; p++) {
        h->src[p] = (src_state){.producer = p, .n = rows, .pad = pad};
        h->prod[p] = sl_task_create(&h->job, "src", 1, p, np, 128);
        sl_operator *op = sl_operator_new(&src_vt, &h->src[p], "src", "src");
        sl_task_set_chain(h->prod[p], &op, 1);
        int out = sl_task_add_output(h->prod[p], part, keys, kp, part == SL_PART_HASH ? 1 : 0);
        if (part == SL_PART_FORWARD) sl_task_connect(h->prod[p], out, h->cons[p], 0);
        else
            for (int c = 0; c < nc; c++) sl_task_connect(h->prod[p], out, h->cons[c], 0);
    }
}

static void start(harness *h)
{
    sl_error err;
    for (int c = 0; c < h->nc; c++) assert_int_equal(sl_task_start(h->cons[c], &err), SL_OK);
    if (h->mid) assert_int_equal(sl_task_start(h->mid, &err), SL_OK);
    for (int p = 0; p < h->np; p++) assert_int_equal(sl_task_start(h->prod[p], &err), SL_OK);
}

static void stop_and_join(harness *h)
{
    atomic_store(&h->job.stop, true);
    for (int p = 0; p < h->np; p++) sl_task_wake(h->prod[p]);
    for (int p = 0; p < h->np; p++) sl_task_join(h->prod[p]);
    if (h->mid) sl_task_join(h->mid);
    for (int c = 0; c < h->nc; c++) sl_task_join(h->cons[c]);
    assert_false(h->job.failed);
}

static void teardown(harness *h)
{
    for (int p = 0; p < h->np; p++) sl_task_destroy(h->prod[p]);
    if (h->mid) sl_task_destroy(h->mid);
    for (int c = 0; c < h->nc; c++) {
        sl_task_destroy(h->cons[c]);
        free(h->sink[c].keys);
    }
    sl_job_context_destroy(&h->job);
}

/* Waits (up to 10 s) until cond(h, arg) holds. */
static bool wait_for(bool (*cond)(harness *, long long), harness *h, long long arg)
{
    uint64_t until = mono_ns() + 10000000000ull;
    while (mono_ns() < until) {
        if (cond(h, arg)) return true;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return cond(h, arg);
}

static void test_forward(void **unused)
{
    harness h;
    setup(&h, 2, 2, SL_PART_FORWARD, 5000, 8);
    start(&h);
    stop_and_join(&h);
    for (int c = 0; c < 2; c++) {
        assert_int_equal(h.sink[c].n, 5000);
        for (long long i = 0; i < h.sink[c].n; i++) assert_int_equal(h.sink[c].keys[i], c * 1000000LL + i); /* in order */
    }
    teardown(&h);
}

static void test_hash(void **unused)
{
    harness h;
    setup(&h, 2, 3, SL_PART_HASH, 20000, 8);
    start(&h);
    stop_and_join(&h);
    long long total = 0;
    int keys[1] = {0};
    sl_phys kp[1] = {SL_PHYS_I64};
    sl_row_writer w = {0};
    for (int c = 0; c < 3; c++) {
        total += h.sink[c].n;
        assert_true(h.sink[c].n > 20000 * 2 / 3 / 2); /* roughly even */
        for (long long i = 0; i < h.sink[c].n; i++) {
            sl_rw_begin(&w, 1, SL_ROW_INSERT);
            sl_rw_i64(&w, 0, h.sink[c].keys[i]);
            int kg = sl_row_key_group(sl_rw_finish(&w), keys, kp, 1, 128);
            assert_int_equal(sl_key_group_owner(128, 3, kg), c); /* each key lands on its key group's owner */
        }
    }
    sl_rw_free(&w);
    assert_int_equal(total, 40000);
    teardown(&h);
}

static void test_rebalance_broadcast_global(void **unused)
{
    harness h;
    setup(&h, 1, 3, SL_PART_REBALANCE, 3000, 8);
    start(&h);
    stop_and_join(&h);
    for (int c = 0; c < 3; c++) assert_int_equal(h.sink[c].n, 1000);
    teardown(&h);

    setup(&h, 2, 3, SL_PART_BROADCAST, 1000, 8);
    start(&h);
    stop_and_join(&h);
    for (int c = 0; c < 3; c++) assert_int_equal(h.sink[c].n, 2000);
    teardown(&h);

    setup(&h, 2, 1, SL_PART_GLOBAL, 1000, 8);
    start(&h);
    stop_and_join(&h);
    assert_int_equal(h.sink[0].n, 2000);
    teardown(&h);
}

/* A slow consumer throttles the producer: it spends time backpressured, and the buffers it ever
 * allocated stay within credits + 2 (queued, one being consumed, one being filled) however many rows it sends. */
static void test_backpressure_bounded_memory(void **unused)
{
    uint64_t allocated[2];
    long long rows[2] = {20000, 80000};
    for (int r = 0; r < 2; r++) {
        harness h;
        setup(&h, 1, 1, SL_PART_FORWARD, rows[r], 200);
        h.sink[0].slow_iters = 400;
        start(&h);
        stop_and_join(&h);
        assert_int_equal(h.sink[0].n, rows[r]);
        sl_task_metrics m;
        sl_task_metrics_get(h.prod[0], &m);
        assert_true(m.backpressured_ns > 0);
        allocated[r] = m.buffers_allocated;
        assert_true(m.buffers_allocated <= (uint64_t)h.job.credits_per_channel + 2);
        teardown(&h);
    }
    assert_true(allocated[1] <= allocated[0] + 1); /* 4x the rows, no more memory */
}

/* source -> middle -> sink: the middle task holds a partial buffer until buffer-timeout. */
static bool sink_has(harness *h, long long n) { return atomic_load(&h->sink[0].count) >= n; }

static void run_timeout(int64_t timeout_ms, uint64_t *latency_ns)
{
    harness h;
    setup(&h, 1, 1, SL_PART_FORWARD, 1, 8);
    h.job.buffer_timeout_ms = timeout_ms;
    h.src[0].stay = true;
    /* re-wire: producer -> mid -> consumer */
    sl_task_destroy(h.prod[0]);
    sl_task_destroy(h.cons[0]);
    h.cons[0] = sl_task_create(&h.job, "sink", 3, 0, 1, 128);
    sl_operator *op = sl_operator_new(&sink_vt, &h.sink[0], "sink", "sink");
    sl_task_set_chain(h.cons[0], &op, 1);
    h.mid = sl_task_create(&h.job, "mid", 2, 0, 1, 128);
    op = sl_operator_new(&fwd_vt, NULL, "fwd", "fwd");
    sl_task_set_chain(h.mid, &op, 1);
    h.prod[0] = sl_task_create(&h.job, "src", 1, 0, 1, 128);
    op = sl_operator_new(&src_vt, &h.src[0], "src", "src");
    sl_task_set_chain(h.prod[0], &op, 1);
    sl_task_connect(h.prod[0], sl_task_add_output(h.prod[0], SL_PART_FORWARD, NULL, NULL, 0), h.mid, 0);
    sl_task_connect(h.mid, sl_task_add_output(h.mid, SL_PART_FORWARD, NULL, NULL, 0), h.cons[0], 0);
    start(&h);
    assert_true(wait_for(sink_has, &h, 1)); /* arrives while the source is still running */
    *latency_ns = h.sink[0].first_arrival_ns - h.src[0].emitted_ns;
    stop_and_join(&h);
    teardown(&h);
}

static void test_buffer_timeout(void **unused)
{
    uint64_t lat;
    run_timeout(300, &lat);
    assert_true(lat >= 250000000u); /* held by the middle task until the timeout, not earlier */
    run_timeout(0, &lat);           /* 0: every record is flushed at once */
    assert_true(lat < 250000000u);
}

static bool wm_is(harness *h, long long v) { return atomic_load(&h->sink[0].wm) == v; }

/* Watermarks: the minimum over inputs; an idle input no longer holds it back. */
static void test_watermark_min_and_idle(void **unused)
{
    harness h;
    setup(&h, 2, 1, SL_PART_REBALANCE, 10, 8);
    h.src[0] = (src_state){.producer = 0, .n = 10, .pad = 8, .wms = {100}, .nwm = 1, .stay = true};
    h.src[1] = (src_state){.producer = 1, .n = 10, .pad = 8, .wms = {50, 300}, .nwm = 2, .stay = true};
    start(&h);
    assert_true(wait_for(wm_is, &h, 100));
    stop_and_join(&h);
    teardown(&h);

    setup(&h, 2, 1, SL_PART_REBALANCE, 10, 8);
    h.src[0] = (src_state){.producer = 0, .n = 10, .pad = 8, .wms = {100}, .nwm = 1, .idle_after = true, .stay = true};
    h.src[1] = (src_state){.producer = 1, .n = 10, .pad = 8, .wms = {50, 300}, .nwm = 2, .stay = true};
    start(&h);
    assert_true(wait_for(wm_is, &h, 300)); /* producer 0 is idle: producer 1 alone decides */
    stop_and_join(&h);
    teardown(&h);
}

static bool timer_fired(harness *h, long long unused) { return atomic_load(&h->timer->fired_at) != 0; }

/* A processing-time timer fires on the subtask's thread while its input is quiet. */
static void test_proctime_timer(void **unused)
{
    harness h;
    setup(&h, 1, 1, SL_PART_FORWARD, 1, 8);
    h.src[0].stay = true;
    timer_state ts = {0};
    atomic_init(&ts.fired_at, 0);
    h.timer = &ts;
    sl_task_destroy(h.cons[0]); /* consumer chain: timer -> sink */
    h.cons[0] = sl_task_create(&h.job, "timer", 2, 0, 1, 128);
    sl_operator *ops[2] = {sl_operator_new(&timer_vt, &ts, "timer", "timer"), sl_operator_new(&sink_vt, &h.sink[0], "sink", "sink")};
    sl_task_set_chain(h.cons[0], ops, 2);
    sl_task_destroy(h.prod[0]);
    h.prod[0] = sl_task_create(&h.job, "src", 1, 0, 1, 128);
    sl_operator *op = sl_operator_new(&src_vt, &h.src[0], "src", "src");
    sl_task_set_chain(h.prod[0], &op, 1);
    sl_task_connect(h.prod[0], sl_task_add_output(h.prod[0], SL_PART_FORWARD, NULL, NULL, 0), h.cons[0], 0);
    start(&h);
    assert_true(wait_for(timer_fired, &h, 0));
    assert_true(atomic_load(&ts.fired_at) >= ts.registered_for); /* not before its time */
    stop_and_join(&h);
    assert_int_equal(h.sink[0].n, 1);
    teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_rebalance_broadcast_global),
        cmocka_unit_test(test_backpressure_bounded_memory),
        cmocka_unit_test(test_buffer_timeout),
        cmocka_unit_test(test_watermark_min_and_idle),
        cmocka_unit_test(test_proctime_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
