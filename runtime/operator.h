/* runtime/operator.h — the operator lifecycle and how operators hand rows on.
 *
 * A subtask runs a chain of operators on one thread: the chain's head receives the subtask's
 * input (or, for a source, produces it), each operator calls the next one directly through
 * sl_op_emit(), and the last one's output goes to the subtask's output partitions. An operator
 * instance is only ever called from its subtask's thread, never concurrently:
 *
 *   open → (process | watermark | on_timer | periodic)* → finish (end of input: flush) → close
 *
 * snapshot/restore hooks are where the checkpoint issue plugs in; operators without state leave
 * them NULL. */
#ifndef SLUICE_RUNTIME_OPERATOR_H
#define SLUICE_RUNTIME_OPERATOR_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"
#include "runtime/row.h"
#include "sql/types.h"

typedef struct sl_operator sl_operator;
typedef struct sl_task sl_task;

/* What a source's poll() reports. */
typedef enum sl_source_state {
    SL_SOURCE_MORE,   /* may have more right away */
    SL_SOURCE_IDLE,   /* nothing now; poll again after *wait_ms (rate limit, no data yet) */
    SL_SOURCE_END     /* bounded input drained: end of input */
} sl_source_state;

typedef struct sl_op_vtable {
    const char *name;
    sl_status (*open)(sl_operator *op, sl_error *err);
    /* One row on input `input` (0, or 1 for the right side of a two-input operator). */
    sl_status (*process)(sl_operator *op, int input, const uint8_t *row, sl_error *err);
    /* The operator's combined input watermark advanced (ms since the epoch); NULL = forward. */
    sl_status (*watermark)(sl_operator *op, int64_t wm, sl_error *err);
    /* End of all input: emit what is pending. NULL = nothing to do. */
    sl_status (*finish)(sl_operator *op, sl_error *err);
    void (*close)(sl_operator *op);
    /* Called every pipeline.auto-watermark-interval on source subtasks (watermark assigners,
     * idleness). NULL = not needed. */
    sl_status (*periodic)(sl_operator *op, int64_t now_ms, sl_error *err);
    /* A processing-time timer registered with sl_op_register_proctime_timer is due (when_ms:
     * the time it was registered for, ms since the epoch). */
    sl_status (*on_timer)(sl_operator *op, int64_t when_ms, sl_error *err);
    /* Sources only: produce up to max rows through sl_op_emit; set *state (and *wait_ms for
     * IDLE). */
    sl_status (*poll)(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err);
    /* Checkpoint hooks (issue 8): write the operator's state / read it back. NULL = stateless. */
    sl_status (*snapshot)(sl_operator *op, json_t **out, sl_error *err);
    sl_status (*restore)(sl_operator *op, const json_t *in, sl_error *err);
} sl_op_vtable;

struct sl_operator {
    const sl_op_vtable *vt;
    sl_operator *next;       /* chained successor; NULL: the subtask's output */
    sl_task *task;
    void *impl;              /* the operator's own state */
    const char *id;          /* stable operator id from the JobGraph */
    const char *description; /* EXPLAIN line */
    const sql_type *out_type;
    uint64_t records_in, records_out;
};

/* Hands a row to the next operator in the chain or to the subtask's outputs. */
sl_status sl_op_emit(sl_operator *op, const uint8_t *row, sl_error *err);
/* Forwards a watermark downstream (what an operator without its own watermark logic does). */
sl_status sl_op_emit_watermark(sl_operator *op, int64_t wm, sl_error *err);

/* Registers a processing-time timer: on_timer(op, when_ms) runs on the subtask's thread once the
 * wall clock reaches when_ms (between records, never concurrently with the operator). Keyed
 * timers that must survive a restart live in keyed state (state/), not here. */
void sl_op_register_proctime_timer(sl_operator *op, int64_t when_ms);

/* Marks the subtask's output idle (or active again): consumers stop waiting for its watermark
 * (table.exec.source.idle-timeout). A record sent after idle makes it active implicitly. */
void sl_op_emit_idle(sl_operator *op, bool idle);

/* Information every operator may read: which subtask it is and the job's settings. */
int sl_task_subtask(const sl_task *t);
int sl_task_parallelism(const sl_task *t);
int sl_task_max_parallelism(const sl_task *t);
const char *sl_task_name(const sl_task *t);
struct sl_job_context;
struct sl_job_context *sl_task_job(const sl_task *t);
/* Counts a record dropped by this subtask (bad records skipped, late records) for the job summary. */
void sl_task_count_dropped(sl_task *t, uint64_t n);
/* Whether the job asked its sources to stop (SIGINT/SIGTERM, or a failure elsewhere). */
bool sl_task_stop_requested(const sl_task *t);

#endif
