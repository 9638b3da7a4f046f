/* bench_exchange [ROWS] — throughput of the runtime's exchanges (runtime/task.h), no SQL:
 * a generator source (3 fields: BIGINT key, BIGINT value, 16-byte string) feeding
 *   chain:   a counting sink in the same subtask (operator chaining, the floor)
 *   forward: one consumer subtask over a FORWARD channel
 *   hash:    two consumer subtasks over HASH(key) channels (key groups, as a keyed exchange)
 * Prints rows/s and rows/s per core used (threads capped by the machine's cores). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/ops.h"
#include "runtime/task.h"

typedef struct gen {
    long long left, next;
    sl_row_writer w;
} gen;

static sl_status gen_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    gen *g = op->impl;
    for (int i = 0; i < max && g->left > 0; i++, g->left--) {
        sl_rw_begin(&g->w, 3, SL_ROW_INSERT);
        sl_rw_i64(&g->w, 0, g->next);
        sl_rw_i64(&g->w, 1, g->next * 7);
        sl_rw_bytes(&g->w, 2, "0123456789abcdef", 16);
        g->next++;
        sl_status st = sl_op_emit(op, sl_rw_finish(&g->w), err);
        if (st) return st;
    }
    *state = g->left > 0 ? SL_SOURCE_MORE : SL_SOURCE_END;
    return SL_OK;
}

static void gen_close(sl_operator *op)
{
    gen *g = op->impl;
    sl_rw_free(&g->w);
    free(g);
}

static sl_status count_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    long long *n = op->impl;
    (*n) += sl_row_i64(row, 0) >= 0;
    return SL_OK;
}

static void count_close(sl_operator *op) { free(op->impl); }

static const sl_op_vtable gen_vt = {.name = "gen", .poll = gen_poll, .close = gen_close};
static const sl_op_vtable count_vt = {.name = "count", .process = count_process, .close = count_close};

static sl_operator *new_gen(long long rows)
{
    gen *g = calloc(1, sizeof *g);
    g->left = rows;
    return sl_operator_new(&gen_vt, g, "gen", "gen");
}
static sl_operator *new_count(void) { return sl_operator_new(&count_vt, calloc(1, sizeof(long long)), "count", "count"); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const char *mode, long long rows, int consumers, sl_partitioning part)
{
    sl_job_context job;
    sl_job_context_init(&job);
    sl_task *src = sl_task_create(&job, "gen", 1, 0, 1, 128);
    sl_task *dst[2] = {0};
    sl_operator *ops[2] = {new_gen(rows), new_count()};
    sl_error err;
    if (consumers == 0) {
        sl_task_set_chain(src, ops, 2);
    } else {
        sl_task_set_chain(src, ops, 1);
        sl_operator_free(ops[1]);
        int keys[1] = {0};
        sl_phys kp[1] = {SL_PHYS_I64};
        int out = sl_task_add_output(src, part, keys, kp, part == SL_PART_HASH ? 1 : 0);
        for (int c = 0; c < consumers; c++) {
            dst[c] = sl_task_create(&job, "count", 2, c, consumers, 128);
            sl_operator *cnt = new_count();
            sl_task_set_chain(dst[c], &cnt, 1);
            sl_task_connect(src, out, dst[c], 0);
        }
    }
    double t0 = now_s();
    for (int c = 0; c < consumers; c++) sl_task_start(dst[c], &err);
    sl_task_start(src, &err);
    sl_task_join(src);
    for (int c = 0; c < consumers; c++) sl_task_join(dst[c]);
    double s = now_s() - t0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = 1 + consumers;
    int used = threads < cores ? threads : (int)cores;
    sl_task_metrics m;
    sl_task_metrics_get(src, &m);
    printf("%-8s %lld rows in %.3f s = %6.2f M rows/s; %d threads on %d cores: %6.2f M rows/s per core; "
           "source backpressured %.0f%%\n",
           mode, rows, s, (double)rows / s / 1e6, threads, used, (double)rows / s / 1e6 / used,
           100.0 * (double)m.backpressured_ns / 1e9 / s);
    sl_task_destroy(src);
    for (int c = 0; c < consumers; c++) sl_task_destroy(dst[c]);
    sl_job_context_destroy(&job);
}

int main(int argc, char **argv)
{
    long long rows = argc > 1 ? atoll(argv[1]) : 20000000;
    run("chain", rows, 0, SL_PART_FORWARD);
    run("forward", rows, 1, SL_PART_FORWARD);
    run("hash", rows, 2, SL_PART_HASH);
    return 0;
}
