/* runtime/checkpoint.h — the checkpoint coordinator (the jobmanager's CheckpointCoordinator) and
 * the task side of snapshots and restores. Protocol, layout and settings: docs/checkpoints.md.
 *
 * One coordinator per job, living across the job's restarts (attempts). Threads:
 *   - the job's monitor thread calls sl_cp_tick(): it triggers checkpoints (sources get the
 *     trigger and emit barrier n in band), completes a checkpoint once every task acknowledged it
 *     and its files are uploaded (writes chk-<n>/_metadata atomically, then notifies the tasks),
 *     expires checkpoints past the timeout and enforces the tolerable failure count;
 *   - task threads call sl_cp_snapshot_task() (the synchronous phase: every operator of the chain
 *     snapshots into a local directory) and sl_cp_restore_task() (after open);
 *   - one upload thread copies snapshot files to the checkpoint storage (the asynchronous phase),
 *     referencing instead of uploading again the immutable state files (*.sst) an earlier
 *     checkpoint already holds (incremental checkpoints, reference-counted shared files).
 *
 * Storage layout (as Flink's): <dir>/<job-id>/chk-<n>/_metadata, <dir>/<job-id>/chk-<n>/<files of
 * the checkpoint>, <dir>/<job-id>/shared/<files shared by checkpoints>. Savepoints:
 * <savepoint-dir>/savepoint-<job-id prefix>-<random>/ with every file inside (self-contained). */
#ifndef SLUICE_RUNTIME_CHECKPOINT_H
#define SLUICE_RUNTIME_CHECKPOINT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/error.h"
#include "runtime/task.h"

enum { SL_CP_RETAIN_NONE, SL_CP_RETAIN_DELETE_ON_CANCEL, SL_CP_RETAIN_ON_CANCEL };

typedef struct sl_cp_settings {
    int64_t interval_ms; /* 0: periodic checkpoints off */
    int64_t timeout_ms, min_pause_ms;
    int max_concurrent, tolerable_failed, num_retained;
    bool exactly_once; /* execution.checkpointing.mode */
    bool unaligned;    /* execution.checkpointing.unaligned.enabled (with EXACTLY_ONCE only) */
    int64_t aligned_timeout_ms; /* execution.checkpointing.aligned-checkpoint-timeout (0: unaligned from the start) */
    bool incremental;
    int retention;     /* SL_CP_RETAIN_* */
    char *dir;         /* execution.checkpointing.dir as a local path, or NULL */
    char *savepoint_dir;
    char *restore_path;   /* execution.savepoint.path / sluice sql -s */
    bool ignore_unclaimed;
    bool log_each;     /* log.level DEBUG or TRACE: a line per completed checkpoint */
} sl_cp_settings;

/* Reads the execution.checkpointing.* / execution.savepoint.* settings; a directory that is not a
 * local path or file:// URI is a config error. With an interval but no directory, s->dir is NULL:
 * the caller picks a default (Flink keeps such checkpoints in the JobManager's memory). */
sl_status sl_cp_settings_load(const sl_config *cfg, sl_cp_settings *s, sl_error *err);
void sl_cp_settings_free(sl_cp_settings *s);
/* Whether the job needs a coordinator at all (checkpoints, savepoints or a restore). */
bool sl_cp_settings_needed(const sl_cp_settings *s);

typedef struct sl_checkpointer sl_checkpointer;

/* log/log_lock: where checkpoint failures and the summary are written (the job's stderr). */
sl_status sl_cp_create(const sl_cp_settings *s, const char *tmp_dir, FILE *log, pthread_mutex_t *log_lock, sl_checkpointer **out,
                       sl_error *err);
const char *sl_cp_job_id(const sl_checkpointer *cp);
int64_t sl_cp_interval_ms(const sl_checkpointer *cp); /* execution.checkpointing.interval (0: off) */
/* Ends the coordinator: waits for uploads, applies externalized-checkpoint-retention (stopped:
 * the job was stopped or cancelled; failed: it failed for good), prints the summary, frees. */
void sl_cp_destroy(sl_checkpointer *cp, bool stopped, bool failed);

/* Checks the restored checkpoint against the new job: every operator state in it must belong to
 * an operator of the job (unless execution.savepoint.ignore-unclaimed-state), same max
 * parallelism, an operator that had finished on some subtasks only at its old parallelism.
 * op_ids / op_par: the operators' ids and parallelism. */
sl_status sl_cp_check_restore(sl_checkpointer *cp, const char *const *op_ids, const int *op_par, int n, int max_parallelism, sl_error *err);

/* An attempt of the job starts with these tasks / ends (pending checkpoints are aborted). */
void sl_cp_attach(sl_checkpointer *cp, sl_task **tasks, int n);
void sl_cp_detach(sl_checkpointer *cp);
/* After a failed attempt: the next attempt restores the latest completed checkpoint (if any;
 * else what the job started from). Returns that checkpoint's id (0: none, a fresh start). */
int64_t sl_cp_prepare_restart(sl_checkpointer *cp);

/* The monitor's periodic call; an error when the tolerable failed checkpoints are exceeded. */
sl_status sl_cp_tick(sl_checkpointer *cp, sl_error *err);
/* Requests a savepoint (taken as soon as no checkpoint is in flight); the request's number, -1
 * without execution.checkpointing.savepoint-dir. terminal: a stop with savepoint (sources end at
 * its barrier, tasks end once it completed). */
int64_t sl_cp_request_savepoint(sl_checkpointer *cp, bool terminal);
/* Whether checkpoint id is a stop-with-savepoint (task threads). */
bool sl_cp_is_terminal(sl_checkpointer *cp, int64_t id);
/* 0 in progress, 1 completed (*path: its directory, owned by cp), -1 failed (*path: the reason). */
int sl_cp_savepoint_status(sl_checkpointer *cp, int64_t req, const char **path);

/* ---- task side (task threads) ---- */
bool sl_cp_exactly_once(const sl_checkpointer *cp);
/* Whether checkpoint id may be unaligned (unaligned checkpoints on, EXACTLY_ONCE, not a savepoint:
 * savepoints are always aligned, as Flink's), and after how long an alignment switches to
 * unaligned (*timeout_ms; 0: unaligned from the start). */
bool sl_cp_unaligned(sl_checkpointer *cp, int64_t id, int64_t *timeout_ms);
/* The synchronous phase on task t for checkpoint id: snapshots every operator of its chain and
 * hands the files to the upload thread. SL_OK with *declined = true when the checkpoint failed
 * here (it is reported to the coordinator; the task goes on and forwards a cancellation).
 * inflight_dir (unaligned checkpoints; NULL otherwise): the task's snapshot is not complete yet,
 * the in-flight data of its inputs follows: the function creates a local directory for it (its
 * path in inflight_dir, size n) and the acknowledgement waits for sl_cp_inflight_done(). */
sl_status sl_cp_snapshot_task(sl_checkpointer *cp, sl_task *t, int64_t id, bool *declined, char *inflight_dir, size_t n, sl_error *err);
/* The in-flight data of checkpoint id on task t is in its directory (bytes of it): the task's
 * snapshot is complete. failure: the collection failed (the checkpoint fails with that reason);
 * abandoned: the task gave the checkpoint up (a newer one overtook it): nothing is reported. */
void sl_cp_inflight_done(sl_checkpointer *cp, sl_task *t, int64_t id, uint64_t bytes, const char *failure);
/* Checkpoint id fails because of task t (it counts towards tolerable-failed-checkpoints). */
void sl_cp_decline(sl_checkpointer *cp, sl_task *t, int64_t id, const char *reason);
/* Task t ended (its thread is about to end). finished: its input ended (not a stop or a failure):
 * every pending checkpoint it has not acknowledged, and every later one, takes it as finished (a
 * part without state per operator, "finished": true; Flink's checkpoints after tasks finished,
 * FLIP-147). Otherwise the pending checkpoints it did not reach fail (benign) and no checkpoint
 * is triggered any more. */
void sl_cp_task_ended(sl_checkpointer *cp, sl_task *t, bool finished);
/* Whether t had finished when the checkpoint being restored was taken (then it does not run: it
 * ends its outputs at once): 1 yes, 0 no, -1 an error (an operator that had partly finished,
 * restored at another parallelism). */
int sl_cp_restored_finished(sl_checkpointer *cp, sl_task *t, sl_error *err);
/* Restores every operator of t's chain that has state in the checkpoint being restored. */
sl_status sl_cp_restore_task(sl_checkpointer *cp, sl_task *t, sl_error *err);
/* The in-flight data an unaligned checkpoint holds for the inputs of t's head operator. At the
 * same parallelism fn gets the records of t's own old subtask; rescaled, every record of every
 * old subtask's part (old subtask, old parallelism, head-operator input, the row) and decides
 * which are t's (key groups, subtask mapping). It replays them and says so in *taken. */
typedef sl_status (*sl_cp_inflight_fn)(void *ctx, int old_subtask, int old_parallelism, int input, const uint8_t *row, uint32_t len,
                                       bool *taken, sl_error *err);
sl_status sl_cp_restore_inflight(sl_checkpointer *cp, sl_task *t, sl_cp_inflight_fn fn, void *ctx, sl_error *err);

#endif
