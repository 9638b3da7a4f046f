/* runtime/keyed.c — see keyed.h. */
#include "runtime/keyed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"
#include "runtime/changelog.h"
#include "runtime/kcache.h"
#include "runtime/task.h"

void sl_bytes_reset(sl_bytes *b) { b->n = 0; }

void sl_bytes_put(sl_bytes *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n) cap *= 2;
        b->p = sl_xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
}

void sl_bytes_put_aligned(sl_bytes *b, const void *data, size_t n)
{
    static const uint8_t zeros[8];
    sl_bytes_put(b, data, n);
    sl_bytes_put(b, zeros, sl_pad8(b->n) - b->n);
}

void sl_bytes_free(sl_bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void sl_key_encode(sl_bytes *b, const uint8_t *row, const int *fields, const sl_phys *phys, int n)
{
    for (int k = 0; k < n; k++) {
        int f = fields[k];
        uint8_t isnull = sl_row_is_null(row, f);
        sl_bytes_put(b, &isnull, 1);
        if (isnull) continue;
        if (phys[k] == SL_PHYS_BYTES) {
            uint32_t len;
            const char *p = sl_row_bytes(row, f, &len);
            sl_bytes_put(b, &len, 4);
            sl_bytes_put(b, p, len);
        } else {
            uint64_t v;
            memcpy(&v, sl_row_slot(row, f), 8);
            if (phys[k] == SL_PHYS_F64 && v == (UINT64_C(1) << 63)) v = 0;
            sl_bytes_put(b, &v, 8);
        }
    }
}

bool sl_key_has_null(const uint8_t *row, const int *fields, int n)
{
    for (int k = 0; k < n; k++)
        if (sl_row_is_null(row, fields[k])) return true;
    return false;
}

/* Whether the job snapshots its state (periodic checkpoints or savepoints): its stores keep what a
 * snapshot must write synchronously small. */
static bool takes_checkpoints(const sl_job_context *job) { return job->checkpoint_interval_ms > 0 || job->cp; }

/* memtables of a store whose job takes checkpoints and which is snapshotted on the task thread
 * (two of half this size) */
#define SL_CHECKPOINT_MEMTABLE_BYTES (16u << 20)

/* async_snapshots: the store's checkpoints are made on the upload thread (a cached store, whose
 * cache is frozen meanwhile), so their cost does not grow the synchronous phase */
static sl_status open_store(sl_operator *op, uint64_t budget, int64_t ttl_ms, bool async_snapshots, sl_state **out, sl_error *err)
{
    sl_job_context *job = sl_task_job(op->task);
    char name[160];
    snprintf(name, sizeof name, "%.40s-%d", op->id ? op->id : "op", sl_task_subtask(op->task));
    double wr = job->state_write_buffer_ratio > 0 ? job->state_write_buffer_ratio : 0.5;
    uint64_t wb = (uint64_t)((double)budget * wr);
    /* With checkpoints, a snapshot copies the write-ahead log of what the memtables hold. Made on
     * the task thread, that copy is synchronous: keep the memtables small (the rest of the budget
     * goes to the block cache) so that it stays in the tens of milliseconds. Made on the upload
     * thread, it is not, and small memtables would cost far more: every flush is a small level-0
     * file, and every 4 of them an L0->L1 compaction rewrites all of L1 (keys spread over the
     * whole key range): at 10M keys, 15 such compactions in a 5-minute run instead of 4, and
     * 66K rows/s with checkpoints instead of 77-83K (bench/checkpoint). */
    if (takes_checkpoints(job) && !async_snapshots && wb > SL_CHECKPOINT_MEMTABLE_BYTES) wb = SL_CHECKPOINT_MEMTABLE_BYTES;
    sl_state_options o = {
        .kind = job->state_backend == 1 ? SL_STATE_HASHMAP : SL_STATE_ROCKSDB,
        .dir = job->state_dir ? job->state_dir : (job->tmp_dir ? job->tmp_dir : "/tmp"),
        .name = name,
        .block_cache_bytes = budget - wb,
        .write_buffer_bytes = wb,
        .high_prio_pool_ratio = job->state_high_prio_ratio,
        .bloom_bits_per_key = job->state_bloom_bits,
        .ttl_ms = ttl_ms,
        .now_ms = job->state_clock,
        .now_ctx = job->state_clock_ctx,
        .snapshot_wal = takes_checkpoints(job) && !async_snapshots,
        /* a cached store's checkpoint (made while its cache is frozen) neither flushes the
         * memtables nor copies a write-ahead log: its writes (the cache's evictions) also go to
         * log files of its own, and the checkpoint links those still needed (state.h). Flushing
         * took 190-730 ms of each checkpoint at 10M keys and added a small level-0 file each
         * time; copying RocksDB's WAL (5-36 MB, synced) 50-460 ms (bench/checkpoint). */
        .write_log = takes_checkpoints(job) && async_snapshots,
        /* and four memtables instead of two (level-0 compactions start at 12 files instead of
         * 4: see state_rocksdb.c). Chosen when its checkpoints flushed the memtables (p99
         * 1.3-1.6 s -> 0.93 s at 10M keys); with the write log, still better in one run each:
         * 145.4 s, p99 872 ms against 153.8 s, p99 1234 ms with two (bench/checkpoint) */
        .memtables = async_snapshots && takes_checkpoints(job) ? 4 : 0,
    };
    return sl_state_open(&o, out, err);
}

static uint64_t budget_of(const sl_operator *op)
{
    sl_job_context *job = sl_task_job(op->task);
    return job->state_budget_bytes ? job->state_budget_bytes : 64u << 20;
}

sl_status sl_op_state_open(sl_operator *op, sl_state **out, sl_error *err)
{
    return sl_op_state_open_ttl(op, sl_task_job(op->task)->state_ttl_ms, out, err);
}

sl_status sl_op_state_open_ttl(sl_operator *op, int64_t ttl_ms, sl_state **out, sl_error *err)
{
    return open_store(op, budget_of(op), ttl_ms, false, out, err);
}

sl_status sl_op_state_open_cached(sl_operator *op, int64_t ttl_ms, sl_state **out, sl_kcache **cache, sl_error *err)
{
    sl_job_context *job = sl_task_job(op->task);
    uint64_t budget = budget_of(op);
    *cache = NULL;
    if (job->state_backend == 1) return open_store(op, budget, ttl_ms, false, out, err);
    /* half for the cache of recent values, half for RocksDB (block cache and memtables); its
     * snapshots are asynchronous (sl_op_state_snapshot: the cache is frozen) */
    sl_status st = open_store(op, budget / 2, ttl_ms, true, out, err);
    if (st) return st;
    *cache = sl_kcache_create(*out, budget / 2, false);
    if (!takes_checkpoints(job)) return SL_OK;
    /* with checkpoints, the values dirty at a barrier go to the checkpoint's changelog segment
     * (captured after the barrier), not to RocksDB: the store only ever gets evictions. The
     * segments live next to the local checkpoint directories (io.tmp.dirs), so they can be
     * hard-linked into them. */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/sluice-changelog-%d-%.40s-%d-XXXXXX", job->tmp_dir ? job->tmp_dir : "/tmp", (int)getpid(),
             op->id ? op->id : "op", sl_task_subtask(op->task));
    if (!mkdtemp(dir)) st = sl_error_set(err, SL_ERR_IO, "cannot create the join's changelog directory '%s' (io.tmp.dirs): %s", dir, strerror(errno));
    if (!st) st = sl_kcache_changelog(*cache, dir, err);
    if (st) {
        sl_kcache_destroy(*cache);
        *cache = NULL;
        sl_state_close(*out);
        *out = NULL;
    }
    return st;
}

static sl_status snap_write(void *snap, sl_error *err) { return sl_state_snap_write(snap, err); }
static void snap_free(void *snap) { sl_state_snap_free(snap); }

/* A snapshot of a cached store taken off the task thread: the cache is frozen meanwhile; then the
 * capture of its changelog segment (epoch ep) is waited for. */
typedef struct frozen_snap {
    sl_state_snap *snap;
    sl_kcache *cache;
    uint64_t gen;
    bool thawed;
    uint32_t ep;
    const atomic_bool *cancelled;
} frozen_snap;

/* The store holds every value again (the batch the freeze left is written, by the snapshot or
 * now): the cache may write to it again. */
static void frozen_thaw(frozen_snap *f)
{
    if (f->thawed) return;
    f->thawed = true;
    sl_error e;
    sl_error_clear(&e);
    sl_status st = sl_kcache_wait_written(f->cache, &e); /* older batches first */
    if (!st) st = sl_state_snap_settle(f->snap, &e);
    if (st) sl_error_detail(&e, "while writing the join's cached state to RocksDB for a checkpoint (asynchronous phase)");
    sl_kcache_thaw(f->cache, f->gen, st ? &e : NULL);
}

static sl_status frozen_write(void *arg, sl_error *err)
{
    frozen_snap *f = arg;
    /* the batches the cache handed to its writer before the freeze go in first */
    sl_status st = sl_kcache_wait_written(f->cache, err);
    if (!st) st = sl_state_snap_write(f->snap, err);
    frozen_thaw(f); /* as soon as the checkpoint of the store is made, not after its upload */
    if (!st && f->ep) {
        st = sl_kcache_wait_captured(f->cache, f->ep, f->cancelled, err);
        if (st) sl_error_detail(err, "while capturing the join's changelog for a checkpoint (asynchronous phase)");
    }
    return st;
}

static void frozen_free(void *arg)
{
    frozen_snap *f = arg;
    frozen_thaw(f);
    sl_state_snap_free(f->snap);
    free(f);
}

sl_status sl_op_state_snapshot(sl_state *st, sl_kcache *cache, const sl_snapshot_ctx *ctx, sl_error *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/state", ctx->dir);
    sl_status s;
    if (cache && ctx->defer) {
        /* the synchronous phase only starts the capture of the cache's dirty values into the
         * checkpoint's changelog (without a changelog: puts them into a write batch) and freezes
         * the cache; the RocksDB checkpoint runs on the upload thread, which then waits for the
         * capture */
        frozen_snap *f = sl_xcalloc(1, sizeof *f);
        f->cache = cache;
        f->cancelled = ctx->cancelled;
        char cl[4200];
        snprintf(cl, sizeof cl, "%s/changelog", ctx->dir);
        /* a savepoint's capture is done now: it may be the job's last act */
        if ((s = sl_kcache_changelog_barrier(cache, cl, ctx->savepoint, &f->ep, err))) {
            free(f);
            return s;
        }
        if ((s = sl_kcache_freeze(cache, &f->gen, err))) {
            free(f);
            return s;
        }
        if ((s = sl_state_snapshot_begin_frozen(st, dir, &f->snap, err))) {
            sl_error e;
            sl_status cs = sl_kcache_wait_written(cache, &e); /* older batches first */
            if (!cs) cs = sl_state_batch_commit(st, &e);      /* the dirty values the freeze batched */
            sl_kcache_thaw(cache, f->gen, cs ? &e : NULL);
            free(f);
            return s;
        }
        ctx->defer(ctx, frozen_write, frozen_free, f);
        return SL_OK;
    }
    s = cache ? sl_kcache_flush(cache, err) : SL_OK;
    if (s) return s;
    if (!ctx->defer) return sl_state_snapshot(st, dir, err);
    /* the synchronous phase only fixes the view; the upload thread writes it (a no-op for rocksdb) */
    sl_state_snap *snap;
    if ((s = sl_state_snapshot_begin(st, dir, &snap, err))) return s;
    ctx->defer(ctx, snap_write, snap_free, snap);
    return SL_OK;
}

/* A changelog record of a restored checkpoint: into the cache, dirty, as it was at the barrier
 * (the next checkpoint captures it again); into the store without a cache. */
typedef struct replay_target {
    sl_state *st;
    sl_kcache *cache;
} replay_target;

static sl_status replay_apply(void *ctx, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen, sl_error *err)
{
    replay_target *t = ctx;
    if (t->cache)
        return val ? sl_kcache_put(t->cache, sid, kg, key, klen, val, vlen, err) : sl_kcache_delete(t->cache, sid, kg, key, klen, err);
    return val ? sl_state_put(t->st, sid, kg, key, klen, NULL, 0, val, vlen, err) : sl_state_delete(t->st, sid, kg, key, klen, NULL, 0, err);
}

sl_status sl_op_state_restore(sl_state *st, sl_kcache *cache, const sl_restore_ctx *ctx, sl_error *err)
{
    char **paths = sl_xcalloc((size_t)(ctx->nparts ? ctx->nparts : 1), sizeof(char *));
    int n = 0;
    for (int i = 0; i < ctx->nparts; i++) {
        if (!ctx->parts[i].dir) continue;
        size_t len = strlen(ctx->parts[i].dir) + 8;
        paths[n] = sl_xmalloc(len);
        snprintf(paths[n++], len, "%s/state", ctx->parts[i].dir);
    }
    sl_status s = n ? sl_state_restore(st, (const char *const *)paths, n, ctx->kg_lo, ctx->kg_hi, err) : SL_OK;
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
    if (!s && cache && n) sl_kcache_store_has_data(cache);
    /* then the values the parts' caches held at the barrier (changelog segments) */
    replay_target t = {st, cache};
    for (int i = 0; i < ctx->nparts && !s; i++) {
        if (!ctx->parts[i].dir) continue;
        char cl[4200];
        snprintf(cl, sizeof cl, "%s/changelog", ctx->parts[i].dir);
        s = sl_chg_replay(cl, ctx->kg_lo, ctx->kg_hi, replay_apply, &t, err);
    }
    return s;
}
