/* Unit tests for the join's write-back cache in front of RocksDB (runtime/kcache.c), mainly its
 * freeze for asynchronous checkpoints: after sl_kcache_freeze + sl_state_snapshot_begin_frozen the
 * owner overwrites, deletes and inserts keys (past the cache's budget) while a second thread
 * writes the snapshot and thaws the cache; a restore of the snapshot gives exactly the values of
 * the freeze, the live cache the values after. Also: a snapshot abandoned before its write (the
 * checkpoint aborted) still puts the batched values into the store; a thaw of an older freeze
 * leaves a newer one frozen; a thaw that reports a lost batch fails every later call. And the
 * write-backs, which go to the store sorted by key on the cache's writer thread, lose nothing,
 * are seen by reads at once, and a write of theirs that fails is reported. With a changelog
 * (checkpoints since issue 8's changelog): every checkpoint, restored, has exactly the values of
 * its barrier, though the capture runs after it while keys change and get evicted; a segment that
 * cannot be written fails its checkpoint, and the next one captures everything again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "runtime/kcache.h"
#include "runtime/keyed.h"
#include "state/state.h"
#include "tests/lib/temp_root.h"

static char tmp_root[256];
static int seq;

static sl_state *open_store_of(sl_state_kind kind)
{
    char name[32];
    snprintf(name, sizeof name, "test-kcache-%d", ++seq);
    sl_state_options o = {0};
    o.kind = kind;
    o.dir = tmp_root;
    o.name = name;
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = 4u << 20;
    o.snapshot_wal = true;
    sl_state *s = NULL;
    sl_error err;
    if (sl_state_open(&o, &s, &err) != SL_OK) fail_msg("sl_state_open: %s", err.message);
    return s;
}

static sl_state *open_store(void) { return open_store_of(SL_STATE_ROCKSDB); }

enum { NKEYS = 6000 };

static void key_of(int i, char *k) { snprintf(k, 16, "k%06d", i); }

static void put(sl_kcache *c, int i, int ver)
{
    char k[16], v[64];
    key_of(i, k);
    int n = snprintf(v, sizeof v, "value-%d-%d-padding-to-make-it-longer", i, ver);
    sl_error err;
    if (sl_kcache_put(c, 0, i % 16, k, strlen(k), v, (size_t)n, &err) != SL_OK) fail_msg("put: %s", err.message);
}

/* Puts version v of every key (ver[i] = v). */
static void put_all(sl_kcache *c, int *ver, int v)
{
    for (int i = 0; i < NKEYS; i++) {
        put(c, i, v);
        ver[i] = v;
    }
}

static void del(sl_kcache *c, int i)
{
    char k[16];
    key_of(i, k);
    sl_error err;
    if (sl_kcache_delete(c, 0, i % 16, k, strlen(k), &err) != SL_OK) fail_msg("delete: %s", err.message);
}

/* ver[i]: the version key i must have (0: absent), read through the cache (c) or from the store
 * directly (s) */
static void check(sl_kcache *c, sl_state *s, const int *ver)
{
    for (int i = 0; i < NKEYS; i++) {
        char k[16], want[64];
        key_of(i, k);
        int n = snprintf(want, sizeof want, "value-%d-%d-padding-to-make-it-longer", i, ver[i]);
        const void *v;
        size_t vl;
        bool found;
        sl_error err;
        sl_status st = c ? sl_kcache_get(c, 0, i % 16, k, strlen(k), &v, &vl, &found, &err)
                         : sl_state_get(s, 0, i % 16, k, strlen(k), NULL, 0, &v, &vl, &found, &err);
        if (st != SL_OK) fail_msg("get: %s", err.message);
        if (found != (ver[i] != 0)) fail_msg("%s key %d: found %d, want version %d", c ? "cache" : "store", i, found, ver[i]);
        if (found && (vl != (size_t)n || memcmp(v, want, vl) != 0))
            fail_msg("%s key %d: got '%.*s', want '%s'", c ? "cache" : "store", i, (int)vl, (const char *)v, want);
    }
}

/* What keyed.c's asynchronous part does on the upload thread: write, settle, thaw. */
typedef struct writer {
    sl_state_snap *snap;
    sl_kcache *c;
    uint64_t gen;
    sl_status st;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    sl_error err;
    w->st = sl_state_snap_write(w->snap, &err);
    sl_status s2 = sl_state_snap_settle(w->snap, &err);
    sl_kcache_thaw(w->c, w->gen, s2 ? &err : NULL);
    return NULL;
}

static void test_freeze_snapshot_is_exact(void **state)
{
    (void)state;
    sl_state *s = open_store();
    /* a budget small enough that the changes while frozen go past it (the owner then waits) */
    sl_kcache *c = sl_kcache_create(s, 256u << 10, false);
    static int before[NKEYS], after[NKEYS];
    for (int i = 0; i < NKEYS / 2; i++) {
        put(c, i, 1);
        before[i] = after[i] = 1;
    }
    char dir[400];
    snprintf(dir, sizeof dir, "%s/snap-%d", tmp_root, ++seq);
    writer w = {.c = c};
    sl_error err;
    assert_int_equal(sl_kcache_freeze(c, &w.gen, &err), SL_OK);
    assert_int_equal(sl_state_snapshot_begin_frozen(s, dir, &w.snap, &err), SL_OK);
    pthread_t th;
    /* while frozen: overwrites, deletes, inserts; the writer starts after the first changes (the
     * cache then soon reaches its frozen cap and waits for the thaw) */
    for (int i = 0; i < NKEYS; i++) {
        if (i == 200) assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
        if (i < NKEYS / 2 && i % 3 == 0) {
            del(c, i);
            after[i] = 0;
        } else {
            put(c, i, 2);
            after[i] = 2;
        }
    }
    pthread_join(th, NULL);
    assert_int_equal(w.st, SL_OK);
    sl_state_snap_free(w.snap);
    check(c, NULL, after);
    /* the snapshot holds the values of the freeze */
    sl_state *r = open_store();
    const char *dirs[] = {dir};
    if (sl_state_restore(r, dirs, 1, 0, 127, &err) != SL_OK) fail_msg("restore: %s", err.message);
    check(NULL, r, before);
    /* and after a flush the store holds the newest */
    assert_int_equal(sl_kcache_flush(c, &err), SL_OK);
    check(NULL, s, after);
    sl_state_close(r);
    sl_kcache_destroy(c);
    sl_state_close(s);
}

static void test_abandoned_snapshot_keeps_values(void **state)
{
    (void)state;
    sl_state *s = open_store();
    sl_kcache *c = sl_kcache_create(s, 4u << 20, false);
    static int ver[NKEYS];
    put_all(c, ver, 1);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/snap-%d", tmp_root, ++seq);
    uint64_t gen;
    sl_state_snap *snap;
    sl_error err;
    assert_int_equal(sl_kcache_freeze(c, &gen, &err), SL_OK);
    assert_int_equal(sl_state_snapshot_begin_frozen(s, dir, &snap, &err), SL_OK);
    /* the checkpoint is aborted: its write never runs; the release settles and thaws */
    assert_int_equal(sl_state_snap_settle(snap, &err), SL_OK);
    sl_kcache_thaw(c, gen, NULL);
    sl_state_snap_free(snap);
    /* the freeze marked every value clean: the store must have them all */
    check(NULL, s, ver);
    check(c, NULL, ver);
    sl_kcache_destroy(c);
    sl_state_close(s);
}

static void test_generations_and_failure(void **state)
{
    (void)state;
    sl_state *s = open_store();
    sl_kcache *c = sl_kcache_create(s, 4u << 20, false);
    put(c, 1, 1);
    uint64_t g1, g2;
    sl_error err;
    assert_int_equal(sl_kcache_freeze(c, &g1, &err), SL_OK);
    sl_state_batch_commit(s, &err); /* (no snapshot here: the batched values go in directly) */
    sl_kcache_thaw(c, g1, NULL);
    assert_int_equal(sl_kcache_freeze(c, &g2, &err), SL_OK);
    sl_state_batch_commit(s, &err);
    assert_true(g2 > g1);
    /* a late thaw of the first freeze must not end the second: writes stay in the cache, so
     * 1000 puts past the dirty limit write nothing to the store */
    sl_kcache_thaw(c, g1, NULL);
    sl_kcache_stats st0, st1;
    sl_kcache_get_stats(c, &st0);
    for (int i = 0; i < 1000; i++) put(c, i, 2);
    sl_kcache_get_stats(c, &st1);
    assert_int_equal(st1.store_writes, st0.store_writes);
    sl_error failure;
    sl_error_clear(&failure);
    sl_error_set(&failure, SL_ERR_STATE, "RocksDB write (batch) failed: disk full");
    sl_kcache_thaw(c, g2, &failure);
    /* the values of that batch are lost: every later call says why */
    char k[16] = "k000001";
    const void *v;
    size_t vl;
    bool found;
    assert_int_equal(sl_kcache_get(c, 0, 1, k, strlen(k), &v, &vl, &found, &err), SL_ERR_STATE);
    assert_non_null(strstr(err.message, "disk full"));
    assert_int_equal(sl_kcache_put(c, 0, 1, k, strlen(k), "x", 1, &err), SL_ERR_STATE);
    assert_int_equal(sl_kcache_flush(c, &err), SL_ERR_STATE);
    sl_kcache_destroy(c);
    sl_state_close(s);
}

/* Write-backs are queued and written in the store's key order (kcache.c wq_write), from
 * evictions and a flush alike. Whatever the order, every value and every delete
 * must reach the store: keys of several lengths, in several states and key groups, overwritten
 * and deleted at random past the cache's budget, with and without a changelog; after a flush
 * the store itself (read without the cache) holds exactly the last version of each key. Reads
 * through the cache right after the writes must see them too, though the cache's writer thread
 * may not have written them yet (write-behind). */
enum { WB_KEYS = 4000, WB_OPS = 30000 };

static void wb_key(int i, char *k, size_t *klen) { *klen = (size_t)snprintf(k, 16, "%x", i * 7919); }

static int wb_value(int i, int ver, char *v)
{
    return snprintf(v, 512, "%d/%d/%0400d", i, ver, ver); /* 400+ bytes: 4000 keys do not fit in 1 MB */
}

static void write_backs_reach_store(bool changelog)
{
    sl_state *s = open_store();
    sl_kcache *c = sl_kcache_create(s, 1u << 20, false);
    if (changelog) { /* (a changelog changes what an eviction does: it drops the value's record) */
        char cl[400];
        snprintf(cl, sizeof cl, "%s/cl-%d", tmp_root, ++seq);
        sl_error e;
        assert_int_equal(sl_kcache_changelog(c, cl, &e), SL_OK);
    }
    static int ver[WB_KEYS];
    memset(ver, 0, sizeof ver);
    uint64_t rnd = 88172645463325252u;
    char k[16], v[512];
    size_t kl;
    sl_error err;
    for (int step = 1; step <= WB_OPS; step++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        int i = (int)(rnd % WB_KEYS);
        wb_key(i, k, &kl);
        if ((rnd >> 32) % 10 < 7) {
            int n = wb_value(i, step, v);
            if (sl_kcache_put(c, i % 3, i % 7, k, kl, v, (size_t)n, &err) != SL_OK) fail_msg("put: %s", err.message);
            ver[i] = step;
        } else {
            if (sl_kcache_delete(c, i % 3, i % 7, k, kl, &err) != SL_OK) fail_msg("delete: %s", err.message);
            ver[i] = 0;
        }
    }
    sl_kcache_stats st;
    sl_kcache_get_stats(c, &st);
    assert_true(st.evictions > 1000); /* the budget made it write back on eviction */
    /* at once, through the cache: an evicted key's value may still be in a batch the writer
     * thread has not written, and the read must wait for it rather than find the older value */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < WB_KEYS; i++) {
            const void *got;
            size_t gl;
            bool found;
            wb_key(i, k, &kl);
            if (sl_kcache_get(c, i % 3, i % 7, k, kl, &got, &gl, &found, &err) != SL_OK) fail_msg("get: %s", err.message);
            if (found != (ver[i] != 0)) fail_msg("key %d (changelog %d): through the cache %d, want version %d", i, changelog, found, ver[i]);
            int n = found ? wb_value(i, ver[i], v) : 0;
            if (found && (gl != (size_t)n || memcmp(got, v, gl) != 0)) fail_msg("key %d: the cache gives '%.20s...', want '%.20s...'", i, (const char *)got, v);
        }
        /* the reads brought keys back and evicted others: now overwrite them all, and read again */
        for (int i = 0; pass == 0 && i < WB_KEYS; i += 2) {
            wb_key(i, k, &kl);
            int n = wb_value(i, WB_OPS + i + 1, v);
            if (sl_kcache_put(c, i % 3, i % 7, k, kl, v, (size_t)n, &err) != SL_OK) fail_msg("put: %s", err.message);
            ver[i] = WB_OPS + i + 1;
        }
    }
    assert_int_equal(sl_kcache_flush(c, &err), SL_OK);
    for (int i = 0; i < WB_KEYS; i++) {
        const void *got;
        size_t gl;
        bool found;
        wb_key(i, k, &kl);
        if (sl_state_get(s, i % 3, i % 7, k, kl, NULL, 0, &got, &gl, &found, &err) != SL_OK) fail_msg("get: %s", err.message);
        if (found != (ver[i] != 0)) fail_msg("key %d (changelog %d): in the store %d, want version %d", i, changelog, found, ver[i]);
        int n = found ? wb_value(i, ver[i], v) : 0;
        if (found && (gl != (size_t)n || memcmp(got, v, gl) != 0)) fail_msg("key %d: the store has '%.20s...', want '%.20s...'", i, (const char *)got, v);
    }
    sl_kcache_destroy(c);
    sl_state_close(s);
}

static void test_write_backs_reach_store(void **state)
{
    (void)state;
    write_backs_reach_store(false);
    write_backs_reach_store(true);
}

/* A read of a value evicted a moment ago, whose write batch the writer thread has not written
 * yet, is answered from that batch (no wait, no store read): the newest value, or "absent" for
 * a delete. The writer is held here, so the values are certainly unwritten when read. */
static void test_reads_of_unwritten_evictions(void **state)
{
    (void)state;
    sl_state *s = open_store();
    sl_kcache *c = sl_kcache_create(s, 1u << 20, false);
    char k[16], v[512];
    size_t kl;
    sl_error err;
    enum { OLD = 200 };
    for (int i = 0; i < OLD; i++) { /* in the store, then deleted while the writer is held */
        wb_key(i, k, &kl);
        int n = wb_value(i, 1, v);
        assert_int_equal(sl_kcache_put(c, 0, i % 7, k, kl, v, (size_t)n, &err), SL_OK);
    }
    assert_int_equal(sl_kcache_flush(c, &err), SL_OK);
    sl_kcache_hold_writer(c, true);
    for (int i = 0; i < OLD; i++) {
        wb_key(i, k, &kl);
        assert_int_equal(sl_kcache_delete(c, 0, i % 7, k, kl, &err), SL_OK);
    }
    /* new keys until the first eviction: one batch handed, not written */
    sl_kcache_stats st;
    int top = OLD;
    do {
        wb_key(top, k, &kl);
        int n = wb_value(top, 2, v);
        assert_int_equal(sl_kcache_put(c, 0, top % 7, k, kl, v, (size_t)n, &err), SL_OK);
        top++;
        sl_kcache_get_stats(c, &st);
    } while (st.evictions == 0);
    uint64_t writes = st.store_writes;
    /* the deleted keys read as absent (reading them inserts nothing, so nothing more is evicted) */
    for (int i = 0; i < OLD; i++) {
        const void *got;
        size_t gl;
        bool found;
        wb_key(i, k, &kl);
        assert_int_equal(sl_kcache_get(c, 0, i % 7, k, kl, &got, &gl, &found, &err), SL_OK);
        if (found) fail_msg("key %d was deleted, but a read while its delete waits for the writer finds it", i);
    }
    /* the new keys read as written: at most 10 of them from the batch (each comes back into the
     * cache, and the cache has room for that many before it evicts again) */
    for (int i = OLD; i < top && st.pending_reads < 10; i++) {
        const void *got;
        size_t gl;
        bool found;
        wb_key(i, k, &kl);
        assert_int_equal(sl_kcache_get(c, 0, i % 7, k, kl, &got, &gl, &found, &err), SL_OK);
        int n = wb_value(i, 2, v);
        if (!found || gl != (size_t)n || memcmp(got, v, gl) != 0) fail_msg("key %d: found %d, want its value", i, found);
        sl_kcache_get_stats(c, &st);
    }
    sl_kcache_get_stats(c, &st);
    if (st.pending_reads == 0) fail_msg("no read was answered from the batch the writer holds (%llu evicted)", (unsigned long long)writes);
    assert_int_equal(st.store_writes, writes); /* nothing more was evicted */
    for (int i = OLD; i < OLD + 3; i++) { /* not written yet: the store still has none of them */
        const void *got;
        size_t gl;
        bool found;
        wb_key(i, k, &kl);
        assert_int_equal(sl_state_get(s, 0, i % 7, k, kl, NULL, 0, &got, &gl, &found, &err), SL_OK);
        assert_false(found);
    }
    sl_kcache_hold_writer(c, false);
    assert_int_equal(sl_kcache_flush(c, &err), SL_OK);
    for (int i = 0; i < top; i++) {
        const void *got;
        size_t gl;
        bool found;
        wb_key(i, k, &kl);
        assert_int_equal(sl_state_get(s, 0, i % 7, k, kl, NULL, 0, &got, &gl, &found, &err), SL_OK);
        int n = wb_value(i, 2, v);
        if (found != (i >= OLD) || (found && (gl != (size_t)n || memcmp(got, v, gl) != 0)))
            fail_msg("key %d: the store has %d, want %s", i, found, i >= OLD ? "its value" : "none");
    }
    sl_kcache_destroy(c);
    sl_state_close(s);
}

/* The writer thread's write fails (a file size limit here, as a full disk would make it): the
 * owner's next call returns the error, saying the values were written behind and are lost, and
 * so does every call after it; nothing crashes and nothing goes on silently. */
static void test_writer_failure_is_reported(void **state)
{
    (void)state;
    sl_state *s = open_store(); /* with a write-ahead log, so every write touches a file */
    sl_kcache *c = sl_kcache_create(s, 1u << 20, false);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
    lim.rlim_cur = 256 * 1024;
    lim.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sl_status st = SL_OK;
    sl_error err;
    sl_error_clear(&err);
    char k[16], v[512];
    size_t kl;
    for (int i = 0; i < 50000 && st == SL_OK; i++) {
        wb_key(i, k, &kl);
        int n = wb_value(i, 1, v);
        st = sl_kcache_put(c, 0, i % 7, k, kl, v, (size_t)n, &err);
    }
    if (st == SL_OK) st = sl_kcache_flush(c, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    assert_int_not_equal(st, SL_OK);
    if (!strstr(err.message, "written behind")) fail_msg("the error does not say how the values were lost: %s", err.message);
    sl_error again;
    assert_int_equal(sl_kcache_put(c, 0, 1, "x", 1, "y", 1, &again), st);
    assert_string_equal(again.message, err.message);
    sl_kcache_destroy(c);
    sl_state_close(s);
}


/* ---- changelog checkpoints -------------------------------------------------------------------- */

/* keyed.c's deferred work, run on a thread of its own as the checkpoint's upload thread would */
typedef struct deferred_job {
    sl_snapshot_deferred_fn fn;
    sl_snapshot_release_fn release;
    void *arg;
    sl_status st;
    sl_error err;
    pthread_t th;
} deferred_job;

static void defer_one(const sl_snapshot_ctx *ctx, sl_snapshot_deferred_fn fn, sl_snapshot_release_fn release, void *arg)
{
    deferred_job *d = ctx->defer_arg;
    d->fn = fn;
    d->release = release;
    d->arg = arg;
}

static void *deferred_main(void *arg)
{
    deferred_job *d = arg;
    d->st = d->fn(d->arg, &d->err);
    d->release(d->arg);
    return NULL;
}

/* Restores the checkpoint part in dir as keyed.c does (RocksDB checkpoint, then the changelog into
 * the cache) into a new store and cache of `budget`; returns the status. */
static sl_status restore_part(const char *dir, uint64_t budget, sl_state **rs, sl_kcache **rc, sl_error *err)
{
    *rs = open_store();
    *rc = sl_kcache_create(*rs, budget, false);
    sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .dir = dir};
    sl_restore_ctx rctx = {.checkpoint_id = 1, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
    return sl_op_state_restore(*rs, *rc, &rctx, err);
}

static int cl_ver(int i, int round) { return (int)((unsigned)(i * 2654435761u + (unsigned)round * 40503u) % 5u); }

static void cl_apply(sl_kcache *c, int i, int v)
{
    if (v) put(c, i, v);
    else del(c, i);
}

/* Checkpoints every round while keys change, get deleted and get evicted (a budget far below the
 * state); after each barrier some keys change before the capture reached them. Each checkpoint,
 * restored into a new store and cache, must read exactly as the state at its barrier. */
static void test_changelog_checkpoints_are_exact(void **state)
{
    (void)state;
    enum { ROUNDS = 6 };
    sl_state *s = open_store();
    sl_kcache *c = sl_kcache_create(s, 256u << 10, false);
    char cl[400];
    snprintf(cl, sizeof cl, "%s/cl-%d", tmp_root, ++seq);
    sl_error err;
    assert_int_equal(sl_kcache_changelog(c, cl, &err), SL_OK);
    static int cur[NKEYS], at[ROUNDS][NKEYS];
    char dirs[ROUNDS][400];
    atomic_bool cancelled;
    atomic_init(&cancelled, false);
    for (int r = 0; r < ROUNDS; r++) {
        /* a third of the keys change each round (deletes included) */
        for (int i = 0; i < NKEYS; i++) {
            if ((i + r) % 3) continue;
            int v = cl_ver(i, r);
            if (!v && !cur[i]) continue;
            cl_apply(c, i, v ? v + 10 * r : 0);
            cur[i] = v ? v + 10 * r : 0;
        }
        memcpy(at[r], cur, sizeof cur);
        snprintf(dirs[r], sizeof dirs[r], "%s/chk-%d-%d", tmp_root, ++seq, r);
        assert_int_equal(sl_fs_mkdirs(dirs[r]), 0);
        deferred_job d = {0};
        sl_snapshot_ctx ctx = {.checkpoint_id = r + 1, .dir = dirs[r], .defer = defer_one, .defer_arg = &d, .cancelled = &cancelled};
        if (sl_op_state_snapshot(s, c, &ctx, &err) != SL_OK) fail_msg("snapshot %d: %s", r, err.message);
        assert_non_null(d.fn);
        assert_true(sl_kcache_capturing(c));
        assert_int_equal(pthread_create(&d.th, NULL, deferred_main, &d), 0);
        /* keys change before the capture got to them, some twice */
        for (int i = 1; i < NKEYS; i += 7) {
            int v = cur[i] ? 0 : 3 + 10 * r;
            cl_apply(c, i, v);
            cur[i] = v;
        }
        for (long k = 0; sl_kcache_capturing(c); k++) {
            if (k > 1000000) fail_msg("checkpoint %d: the capture never ends", r);
            sl_kcache_capture_step(c, 97);
        }
        pthread_join(d.th, NULL);
        if (d.st != SL_OK) fail_msg("checkpoint %d, asynchronous part: %s", r, d.err.message);
    }
    /* the live state is the newest */
    check(c, NULL, cur);
    for (int r = 0; r < ROUNDS; r++) {
        sl_state *rs;
        sl_kcache *rc;
        if (restore_part(dirs[r], 256u << 10, &rs, &rc, &err) != SL_OK) fail_msg("restore %d: %s", r, err.message);
        check(rc, NULL, at[r]);
        sl_kcache_destroy(rc);
        sl_state_close(rs);
    }
    sl_kcache_destroy(c);
    sl_state_close(s);
    /* a job restored with the other backend (hashmap: no cache) gets the same state, the
     * changelog's values put into the store itself */
    {
        sl_state *hs = open_store_of(SL_STATE_HASHMAP);
        sl_restore_part part = {.subtask = 0, .parallelism = 1, .kg_lo = 0, .kg_hi = 127, .dir = dirs[ROUNDS - 1]};
        sl_restore_ctx rctx = {.checkpoint_id = ROUNDS, .kg_lo = 0, .kg_hi = 127, .nparts = 1, .parts = &part};
        if (sl_op_state_restore(hs, NULL, &rctx, &err) != SL_OK) fail_msg("restore into hashmap: %s", err.message);
        check(NULL, hs, at[ROUNDS - 1]);
        sl_state_close(hs);
    }
    /* a segment cut short (a damaged checkpoint) fails the restore, naming the file and byte */
    char seg[600];
    snprintf(seg, sizeof seg, "%s/changelog/%d.chg", dirs[ROUNDS - 1], ROUNDS);
    struct stat sb;
    assert_int_equal(stat(seg, &sb), 0);
    assert_int_equal(truncate(seg, sb.st_size - 5), 0);
    sl_state *rs;
    sl_kcache *rc;
    assert_int_not_equal(restore_part(dirs[ROUNDS - 1], 256u << 10, &rs, &rc, &err), SL_OK);
    if (!strstr(err.message, seg) || !strstr(err.message, "is damaged at byte") || !strstr(err.message, "cut short"))
        fail_msg("the error does not say which segment is damaged where: %s", err.message);
    sl_kcache_destroy(rc);
    sl_state_close(rs);
}

/* A segment that cannot be written (a file size limit, as a full disk) fails its checkpoint with
 * the file and the reason; the next checkpoint captures every dirty value again and restores
 * exactly. */
static void test_changelog_write_failure(void **state)
{
    (void)state;
    sl_state *s = open_store();
    sl_kcache *c = sl_kcache_create(s, 8u << 20, false); /* everything stays cached, dirty */
    char cl[400];
    snprintf(cl, sizeof cl, "%s/cl-%d", tmp_root, ++seq);
    sl_error err;
    assert_int_equal(sl_kcache_changelog(c, cl, &err), SL_OK);
    static int cur[NKEYS];
    put_all(c, cur, 1);
    char out[400];
    snprintf(out, sizeof out, "%s/failing-%d", tmp_root, ++seq);
    uint32_t ep;
    assert_int_equal(sl_kcache_changelog_barrier(c, out, false, &ep, &err), SL_OK);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    lim.rlim_cur = 4096;
    lim.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sl_kcache_capture_finish(c);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    sl_status st = sl_kcache_wait_captured(c, ep, NULL, &err);
    assert_int_not_equal(st, SL_OK);
    if (!strstr(err.message, "changelog segment") || !strstr(err.message, "File too large"))
        fail_msg("the error does not say which file failed and why: %s", err.message);
    /* the cache goes on; the next checkpoint is whole */
    for (int i = 0; i < NKEYS; i += 5) {
        put(c, i, 2);
        cur[i] = 2;
    }
    char dir[400];
    snprintf(dir, sizeof dir, "%s/chk-%d", tmp_root, ++seq);
    assert_int_equal(sl_fs_mkdirs(dir), 0);
    deferred_job d = {0};
    sl_snapshot_ctx ctx = {.checkpoint_id = 2, .dir = dir, .defer = defer_one, .defer_arg = &d};
    if (sl_op_state_snapshot(s, c, &ctx, &err) != SL_OK) fail_msg("snapshot: %s", err.message);
    assert_int_equal(pthread_create(&d.th, NULL, deferred_main, &d), 0);
    sl_kcache_capture_finish(c);
    pthread_join(d.th, NULL);
    if (d.st != SL_OK) fail_msg("checkpoint after the failure: %s", d.err.message);
    sl_state *rs;
    sl_kcache *rc;
    if (restore_part(dir, 8u << 20, &rs, &rc, &err) != SL_OK) fail_msg("restore: %s", err.message);
    check(rc, NULL, cur);
    sl_kcache_destroy(rc);
    sl_state_close(rs);
    sl_kcache_destroy(c);
    sl_state_close(s);
}

static int setup(void **state)
{
    (void)state;
    return sl_test_temp_root(tmp_root, sizeof tmp_root, "kcache");
}

static int teardown(void **state)
{
    (void)state;
    sl_fs_remove_tree(tmp_root);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freeze_snapshot_is_exact),
        cmocka_unit_test(test_abandoned_snapshot_keeps_values),
        cmocka_unit_test(test_generations_and_failure),
        cmocka_unit_test(test_write_backs_reach_store),
        cmocka_unit_test(test_reads_of_unwritten_evictions),
        cmocka_unit_test(test_writer_failure_is_reported),
        cmocka_unit_test(test_changelog_checkpoints_are_exact),
        cmocka_unit_test(test_changelog_write_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
