/* tests/operators/harness.h — what the operator harness tests share: JobGraph specs from SQL
 * (the real parser, validator, planner), an operator chained to a capturing operator in a task that
 * is never started (the test drives it: rows, watermarks, end of input), rows written from text. */
#ifndef SLUICE_TESTS_OPERATORS_HARNESS_H
#define SLUICE_TESTS_OPERATORS_HARNESS_H

#include <stdint.h>

#include "common/strbuf.h"
#include "planner/jobgraph.h"
#include "runtime/ops.h"
#include "runtime/task.h"

#define HARNESS_BASE_MS INT64_C(1704067200000) /* 2024-01-01 00:00:00 UTC */

/* The JobGraph of the script's last statement (parallelism 1); fails the test on an error. */
jobgraph *harness_graph(const char *sql);
/* The first operator of that kind (fails the test if none). */
const jg_operator *harness_find_op(const jobgraph *g, const char *kind);

/* Rows reaching the end of the chain, in print form, one per line; the last watermark. */
typedef struct harness_capture {
    const sql_type *type;
    sl_strbuf text;
    int rows;
    int64_t wm;
} harness_capture;
/* A capturing operator writing into c (c->type must be set). */
sl_operator *harness_capture_op(harness_capture *c);

/* One keyed operator built from a spec, with its task, job context and capture. */
typedef sl_status (*harness_create_fn)(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                                       sl_error *err);
typedef struct harness_op {
    sl_job_context job;
    sl_arena *types;
    sl_task *task;
    sl_operator *op;
    harness_capture cap;
    const sql_type *in;
    sl_row_writer w;
} harness_op;

/* Builds and opens the `kind` operator of the script's last statement (backend 0 rocksdb, 1
 * hashmap) and checks its input row's field names ("id,v,ts"). */
void harness_op_init(harness_op *h, const char *sql, const char *kind, harness_create_fn create, int backend, int32_t ltz_offset,
                     const char *input_names);
void harness_op_free(harness_op *h);
/* Pushes a row given as "a|b|c" (an insert; "-U:a|b|c", "+U:...", "-D:..." another kind): per input field "~" for NULL, a number, a string, or for
 * TIMESTAMP / TIMESTAMP_LTZ fields ms after HARNESS_BASE_MS. */
void harness_push(harness_op *h, const char *spec);
void harness_watermark(harness_op *h, int64_t ms_after_base);
void harness_finish(harness_op *h);
/* The captured output since the last call, lines sorted, must be `want` (lines sorted too); then
 * it is cleared. For operators whose output order within one step follows state order. */
void harness_expect_sorted(harness_capture *c, const char *want);

#endif
