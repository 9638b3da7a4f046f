/* runtime/task.h — subtasks, their threads, and the exchanges between them.
 *
 * Every JobGraph vertex runs as `parallelism` subtasks; each subtask is one thread running a
 * mailbox loop over its input channels, its timers (buffer flush, periodic watermarks) and control
 * messages (stop, cancel).
 *
 * Exchanges: a channel connects one producer subtask to one consumer subtask. The producer fills
 * fixed-size buffers (taskmanager.memory.segment-size) with serialized rows and in-band events
 * (watermarks, end of partition, and later checkpoint barriers), and hands a buffer over when it
 * is full, when execution.buffer-timeout has passed since its first row, or at an event that must
 * not wait. Each channel has a fixed number of credits (buffers the consumer has room for:
 * taskmanager.network.memory.buffers-per-channel + a share of the floating buffers): a producer
 * that finds no credit blocks — backpressure — so a slow consumer throttles its producers and,
 * transitively, the sources, and memory never grows with the backlog. Consumed buffers go back
 * to their channel's free list, so steady state allocates nothing.
 *
 * Output partitioning per edge: FORWARD (same subtask index), HASH (key fields → key group →
 * owning subtask, Flink's assignment), REBALANCE (round robin), BROADCAST, GLOBAL (subtask 0).
 * Watermarks and end-of-partition go to every channel. */
#ifndef SLUICE_RUNTIME_TASK_H
#define SLUICE_RUNTIME_TASK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "runtime/operator.h"

/* Settings and shared services of one running job (read-only while it runs, except the atomics
 * and what the locks guard). */
typedef struct sl_job_context {
    int32_t ltz_offset;                /* table.local-time-zone, seconds east of UTC */
    int64_t buffer_timeout_ms;         /* execution.buffer-timeout (0 = flush every record) */
    int64_t watermark_interval_ms;     /* pipeline.auto-watermark-interval */
    int64_t idle_timeout_ms;           /* table.exec.source.idle-timeout (0 = never idle) */
    uint32_t segment_size;             /* taskmanager.memory.segment-size */
    int credits_per_channel;           /* buffers a channel may have in flight */
    const char *tmp_dir;               /* io.tmp.dirs (first) */
    /* keyed state of stateful operators (state/state.h) */
    int state_backend;                 /* 0 rocksdb, 1 hashmap (sl_state_kind) */
    const char *state_dir;             /* state.backend.rocksdb.localdir or tmp_dir */
    uint64_t state_budget_bytes;       /* RocksDB memory per stateful operator subtask */
    double state_write_buffer_ratio;   /* state.backend.rocksdb.memory.write-buffer-ratio */
    double state_high_prio_ratio;      /* ...high-prio-pool-ratio */
    double state_bloom_bits;           /* 0 = no bloom filter */
    int64_t state_ttl_ms;              /* table.exec.state.ttl (0 = keep forever) */
    int64_t (*state_clock)(void *ctx); /* TTL clock (NULL = wall clock; tests set their own) */
    void *state_clock_ctx;
    const struct sl_config *config;
    struct sl_checkpointer *cp;        /* the checkpoint coordinator (runtime/checkpoint.h); NULL: off */
    int64_t checkpoint_interval_ms;    /* execution.checkpointing.interval (0 = no periodic checkpoints) */
    FILE *out;                         /* print connector's stdout / stderr */
    FILE *err_out;
    pthread_mutex_t out_lock;
    atomic_bool stop;                  /* graceful stop: sources end their input */
    atomic_bool stopping;              /* a stop with savepoint is under way: sources end at the
                                          savepoint's barrier; operators flush nothing partial */
    atomic_bool cancel;                /* failure: every task leaves at once */
    pthread_mutex_t fail_lock;
    bool failed;
    sl_error failure;                  /* the first failure (root cause) */
    char failed_task[256];
} sl_job_context;

void sl_job_context_init(sl_job_context *job);
void sl_job_context_destroy(sl_job_context *job);
/* Records a task failure (the first one is the root cause) and cancels the job. */
void sl_job_fail(sl_job_context *job, const char *task_name, const sl_error *err);

typedef enum sl_partitioning { SL_PART_FORWARD, SL_PART_HASH, SL_PART_REBALANCE, SL_PART_BROADCAST, SL_PART_GLOBAL } sl_partitioning;

typedef struct sl_channel sl_channel;

/* Per-subtask figures, Flink's names where Flink has one. Times in nanoseconds. */
typedef struct sl_task_metrics {
    uint64_t records_in, records_out, bytes_in, bytes_out, dropped;
    uint64_t busy_ns, idle_ns, backpressured_ns;
    uint64_t buffers_out;
    int64_t current_watermark;
    uint64_t source_records; /* rows the chain's source operator produced (source subtasks) */
    uint64_t sink_records;   /* rows the chain's sink operator received (sink subtasks) */
    uint64_t buffers_allocated; /* network buffers this producer ever allocated (bounded by
                                 * channels x (credits + 2) whatever the backlog:
                                 * queued, one being consumed, one being filled) */
} sl_task_metrics;

sl_task *sl_task_create(sl_job_context *job, const char *vertex_name, int vertex_id, int subtask, int parallelism,
                        int max_parallelism);
void sl_task_destroy(sl_task *t);
/* The operator chain, head first (the task owns the operators: close + free at destroy). */
void sl_task_set_chain(sl_task *t, sl_operator **ops, int n);

/* Declares an output edge of the task with its partitioning; returns its index. */
int sl_task_add_output(sl_task *t, sl_partitioning p, const int *keys, const sl_phys *key_phys, int nkeys);
/* Connects output `out` of producer to an input of consumer (input: which input of the consumer's
 * head operator the rows are for). Call once per consumer subtask, in subtask order. */
sl_channel *sl_task_connect(sl_task *producer, int out, sl_task *consumer, int input);

sl_status sl_task_start(sl_task *t, sl_error *err);
void sl_task_join(sl_task *t);
/* Wakes a task waiting for input or credit (after stop/cancel was set). */
void sl_task_wake(sl_task *t);

/* A consistent-enough copy of the task's figures (read from another thread while it runs). */
void sl_task_metrics_get(const sl_task *t, sl_task_metrics *m);
bool sl_task_is_source(const sl_task *t);
bool sl_task_is_sink(const sl_task *t);
bool sl_task_finished(const sl_task *t);
/* The operator chain, head first. */
sl_operator *const *sl_task_chain(const sl_task *t, int *n);
/* Checkpoint coordinator → task (any thread): a source takes checkpoint id at its next poll; the
 * operators hear that checkpoint id completed (notify_complete). */
void sl_task_trigger_checkpoint(sl_task *t, int64_t id);
void sl_task_notify_checkpoint(sl_task *t, int64_t id);

/* The hash and key group of a row's key fields (HASH partitioning and keyed state agree on them);
 * phys[k] is the physical class of field keys[k]. */
uint64_t sl_row_key_hash(const uint8_t *row, const int *keys, const sl_phys *phys, int nkeys);
int sl_row_key_group(const uint8_t *row, const int *keys, const sl_phys *phys, int nkeys, int max_parallelism);

#endif
