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
struct sl_snapshot_ctx;
struct sl_restore_ctx;

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
    /* Checkpoints (docs/checkpoints.md). NULL = the operator has no state to keep.
     * snapshot: the synchronous phase of checkpoint ctx->checkpoint_id, called on the subtask's
     *   thread when the barrier has arrived on every input (before it is forwarded): return the
     *   operator's small state as JSON (*out; NULL = none) and write bulky state as files into
     *   ctx->dir, cheaply (hard links, a RocksDB checkpoint), or defer writing them (ctx->defer:
     *   e.g. a copy-on-write view of hashmap state, written on the upload thread); the runtime
     *   uploads them afterwards, while records flow again, so the files must not change once
     *   snapshot returns (or once the deferred work is done).
     * restore: after open, before the first record: the state of the checkpoint the job starts
     *   from (ctx->parts: see sl_restore_ctx).
     * notify_complete: checkpoint `checkpoint_id` is complete (every subtask acknowledged it and its
     *   _metadata is durable): publish what it covers (commit a Kafka transaction, publish pending
     *   files, commit offsets). Called on the subtask's thread; may come for several ids in
     *   order, and not at all for a checkpoint that failed. */
    sl_status (*snapshot)(sl_operator *op, const struct sl_snapshot_ctx *ctx, json_t **out, sl_error *err);
    sl_status (*restore)(sl_operator *op, const struct sl_restore_ctx *ctx, sl_error *err);
    sl_status (*notify_complete)(sl_operator *op, int64_t checkpoint_id, sl_error *err);
} sl_op_vtable;

/* Work an operator's snapshot leaves to the asynchronous phase (sl_snapshot_ctx.defer). */
typedef sl_status (*sl_snapshot_deferred_fn)(void *arg, sl_error *err); /* the asynchronous part */
typedef void (*sl_snapshot_release_fn)(void *arg);                       /* always called once, after
                                                                            fn or instead of it */

/* What the synchronous phase of a checkpoint gives an operator. */
typedef struct sl_snapshot_ctx {
    int64_t checkpoint_id;
    bool savepoint;          /* a savepoint: self-contained, the job may be rescaled from it */
    const char *dir;         /* an existing, empty local directory private to this operator subtask
                                and checkpoint; what the operator puts here is uploaded and given
                                back at restore (sl_restore_part.dir). A subdirectory holding a
                                file named SLUICE_INSTANCE (one line: an id unique to the store
                                instance) has immutable *.sst files: an .sst name already uploaded
                                for that instance is referenced, not uploaded again (incremental) */
    /* Defers the expensive part of the snapshot to the asynchronous phase: fn(arg) runs on the
     * checkpoint's upload thread, in the order deferred, before the files of this part (dir) are
     * uploaded, while the subtask processes records again; it may write into dir. A failure fails
     * the checkpoint. release(arg) runs once, after fn and the upload of the task's files, or
     * instead of fn when the checkpoint was aborted or failed first; always before the job
     * attempt ends, so before the operator closes.
     * NULL (tests, tools): no asynchronous phase; do the work in snapshot. */
    void (*defer)(const struct sl_snapshot_ctx *ctx, sl_snapshot_deferred_fn fn, sl_snapshot_release_fn release,
                  void *arg);
    void *defer_arg; /* the checkpoint's own bookkeeping */
    /* set once the checkpoint is aborted (valid until the deferred work is released): deferred
     * work that waits for the subtask (e.g. the join's changelog capture) stops waiting */
    const _Atomic bool *cancelled;
} sl_snapshot_ctx;

/* What one old subtask of the operator left in the checkpoint being restored. */
typedef struct sl_restore_part {
    int subtask, parallelism; /* the old subtask index and the old parallelism */
    int kg_lo, kg_hi;         /* its key-group range, inclusive */
    const json_t *state;      /* what its snapshot returned (NULL: nothing) */
    const char *dir;          /* a local copy of the files it wrote (NULL: none); read-only for
                                 the operator, removed by the runtime after restore returns */
} sl_restore_part;

typedef struct sl_restore_ctx {
    int64_t checkpoint_id;
    int kg_lo, kg_hi; /* this subtask's key-group range, inclusive */
    /* Keyed operators (those that open keyed state) get the old subtasks whose key-group range
     * overlaps theirs and keep only their own key groups of it; every other operator gets every
     * old subtask's part (Flink's union list state: e.g. a source picks its partitions' offsets
     * from all of them). */
    int nparts;
    const sl_restore_part *parts;
} sl_restore_ctx;

struct sl_operator {
    const sl_op_vtable *vt;
    sl_operator *next;       /* chained successor; NULL: the subtask's output */
    sl_task *task;
    void *impl;              /* the operator's own state */
    const char *id;          /* stable operator id from the JobGraph */
    const char *description; /* EXPLAIN line */
    const sql_type *out_type;
    bool keyed;              /* keeps keyed state (restores by key-group range) */
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
/* Whether the job is ending by a stop rather than by the end of its input (a stop requested, or a
 * stop with savepoint under way): at finish, operators must not emit partial results (windows
 * that have not closed) or publish what the savepoint does not cover. */
bool sl_task_stopping(const sl_task *t);

#endif
