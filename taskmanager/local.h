/* taskmanager/local.h — runs a JobGraph in this process: the embedded mini-cluster behind
 * `sluice sql -f` (one jobmanager + one taskmanager with taskmanager.numberOfTaskSlots slots).
 *
 * Deploying: every vertex becomes `parallelism` subtasks (one thread each, runtime/task.h); a
 * vertex's operators are chained in its thread; each JobGraph edge becomes channels between the
 * producer's and the consumer's subtasks with the edge's partitioning. Before anything starts the
 * job is checked against the cluster: slots (the largest vertex parallelism, as Flink's slot
 * sharing), network buffers (channels x credits x segment size against the network memory of
 * the memory model), and operators the runtime cannot run yet.
 *
 * Running: a bounded job ends when its sources are drained; *stop (set from a signal handler)
 * makes sources stop reading, then in-flight records drain and sinks commit (graceful stop). A
 * task failure cancels every task; the first failure is the root cause reported. */
#ifndef SLUICE_TASKMANAGER_LOCAL_H
#define SLUICE_TASKMANAGER_LOCAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/error.h"
#include "planner/jobgraph.h"

typedef struct sl_run_options {
    FILE *out;                         /* print sink's standard output */
    FILE *err_out;                     /* print sink's standard error, progress line */
    bool progress;                     /* a progress line on err_out (a terminal) */
    volatile sig_atomic_t *stop;       /* set to 1 to stop the job gracefully; may be NULL */
} sl_run_options;

typedef struct sl_job_result {
    uint64_t records_read;    /* rows produced by the sources */
    uint64_t records_written; /* rows received by the sinks */
    uint64_t bytes_exchanged; /* bytes moved between subtasks */
    uint64_t dropped;         /* records skipped (malformed with ignore-parse-errors) */
    double seconds;
    bool stopped;             /* ended by a stop request rather than end of input */
    uint64_t backpressured_ms; /* summed over subtasks */
    int tasks;
    int restarts;             /* restarts after task failures (restart-strategy) */
} sl_job_result;

/* Runs the job to its end. Returns SL_OK when it finished or was stopped gracefully; otherwise
 * the error says which task failed and why (err->detail names the task). */
sl_status sl_job_run_local(const jobgraph *g, const sl_config *cfg, const sl_run_options *opt, sl_job_result *res, sl_error *err);

#endif
