/* bench/state/bench_state.c — keyed state throughput: raw RocksDB (its C API, the options the
 * rocksdb backend uses) vs sl_state_put / sl_state_get on the rocksdb backend, and the hashmap
 * backend. N random 8-byte keys, put all, then get all, for 32- and 200-byte values.
 *
 *   bench_state [N] [budget-MiB] [rounds] [dir]
 *     defaults: 2000000 keys, 128 MiB (half block cache, half memtables), 1 round, $TMPDIR or /tmp.
 *     With several rounds the order of the three alternates and the best figures are printed.
 *     Then the snapshot figures for 1M entries (below).
 *
 *   bench_state snapshot [N] [dir]
 *     only the snapshot figures: N (default 1000000) entries of 100-byte values in 128 key groups,
 *     per backend: sl_state_snapshot, and sl_state_restore of the whole range into the same backend
 *     (rocksdb: the fast path, files hard-linked), of half the key groups (scale-up; rocksdb: fast
 *     path + delete of the other half), of two half snapshots (scale-down; copies entries) and of
 *     the whole range into the other backend (copies entries).
 *
 *   bench_state cpsync [rounds] [dir]
 *     the synchronous part of a checkpoint on a store that takes writes all the time, as a keyed
 *     operator's with checkpoints on (16 MiB of memtables): 40 times, 100,000 random puts of
 *     100-byte values, then sl_state_snapshot (timed), for the two ways a snapshot can get the
 *     memtables' data: flushing them (no write-ahead log) or copying the log (snapshot_wal);
 *     the modes alternate `rounds` times (default 2). Prints put rate and snapshot p50/max.
 *
 *   bench_state hmasync [N] [rounds] [dir]
 *     the hashmap backend's asynchronous snapshot: N (default 1000000) random keys of 100-byte
 *     values, then per round (default 3): sl_state_snapshot on the task thread (what a checkpoint
 *     stalled for before); sl_state_snapshot_begin (the synchronous part now), then
 *     sl_state_snap_write on a second thread while the task thread overwrites N/2 random existing
 *     keys ("puts/s writing": copy-on-write of each key's first change, and a second thread
 *     writing); the same N/2 puts with a view open that is written only afterwards ("puts/s
 *     view": the copy-on-write cost alone); with no view open. The three put phases rotate order
 *     between rounds. "write ms": the write on the second thread during the puts; "alone ms": the
 *     write of the second view after its puts, nothing else running. "mem MiB": memory_bytes right after the puts with the writer running
 *     (the view's retained copies included unless the write finished first).
 */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <dirent.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POOL 4096

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static uint8_t pool[POOL + 256];
static const void *value_for(size_t i, size_t vlen) { return pool + (i * 7919) % (POOL - vlen); }

typedef struct result {
    double put_ops, get_ops;
} result;

static void die(const char *what, char *e)
{
    fprintf(stderr, "bench_state: %s: %s\n", what, e ? e : "error");
    exit(1);
}

/* Raw RocksDB with the rocksdb backend's options (state/state_rocksdb.c). */
static result bench_raw(const char *dir, const uint64_t *keys, size_t n, size_t vlen, uint64_t cache_bytes,
                        uint64_t wb)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench-state-raw-%ld-XXXXXX", dir, (long)getpid());
    if (!mkdtemp(path)) die("mkdtemp", path);
    rocksdb_options_t *opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(opts, 1);
    rocksdb_options_set_info_log_level(opts, 2);
    rocksdb_options_set_keep_log_file_num(opts, 2);
    rocksdb_cache_t *cache = rocksdb_cache_create_lru(cache_bytes);
    rocksdb_block_based_table_options_t *bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(bbto, cache);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(bbto, 1);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(bbto, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(bbto, 1);
    rocksdb_block_based_options_set_index_type(bbto, rocksdb_block_based_table_index_type_two_level_index_search);
    rocksdb_block_based_options_set_pin_top_level_index_and_filter(bbto, 1);
    rocksdb_block_based_options_set_metadata_block_size(bbto, 4096);
    rocksdb_block_based_options_set_filter_policy(bbto, rocksdb_filterpolicy_create_bloom(10));
    rocksdb_block_based_options_set_partition_filters(bbto, 1);
    rocksdb_options_set_block_based_table_factory(opts, bbto);
    rocksdb_block_based_options_destroy(bbto);
    rocksdb_options_set_db_write_buffer_size(opts, wb);
    rocksdb_options_set_write_buffer_size(opts, wb / 2);
    rocksdb_options_set_max_write_buffer_number(opts, 2);
    char *e = NULL;
    rocksdb_t *db = rocksdb_open(opts, path, &e);
    if (e) die("rocksdb_open", e);
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(wo, 1);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();

    result r;
    double t = now_s();
    for (size_t i = 0; i < n; i++) {
        rocksdb_put(db, wo, (const char *)&keys[i], 8, value_for(i, vlen), vlen, &e);
        if (e) die("rocksdb_put", e);
    }
    r.put_ops = n / (now_s() - t);
    size_t found = 0;
    t = now_s();
    for (size_t i = 0; i < n; i++) {
        rocksdb_pinnableslice_t *p = rocksdb_get_pinned(db, ro, (const char *)&keys[i], 8, &e);
        if (e) die("rocksdb_get_pinned", e);
        if (p) {
            size_t vl;
            rocksdb_pinnableslice_value(p, &vl);
            found += vl == vlen;
            rocksdb_pinnableslice_destroy(p);
        }
    }
    r.get_ops = n / (now_s() - t);
    if (found != n) fprintf(stderr, "bench_state: raw: %zu of %zu found\n", found, n);
    rocksdb_readoptions_destroy(ro);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_close(db);
    rocksdb_options_destroy(opts);
    rocksdb_cache_destroy(cache);
    sl_state_workdir_remove(path);
    return r;
}

static result bench_state(sl_state_kind kind, const char *dir, const uint64_t *keys, size_t n, size_t vlen,
                          uint64_t cache_bytes, uint64_t wb, sl_state_stats *st)
{
    sl_state_options o = {0};
    o.kind = kind;
    o.dir = dir;
    o.name = "bench";
    o.block_cache_bytes = cache_bytes;
    o.write_buffer_bytes = wb;
    o.high_prio_pool_ratio = 0.1;
    o.bloom_bits_per_key = 10;
    sl_state *s;
    sl_error err;
    if (sl_state_open(&o, &s, &err) != SL_OK) die("sl_state_open", err.message);
    result r;
    double t = now_s();
    for (size_t i = 0; i < n; i++) {
        int kg = (int)(keys[i] % 128);
        if (sl_state_put(s, 0, kg, &keys[i], 8, NULL, 0, value_for(i, vlen), vlen, &err) != SL_OK)
            die("sl_state_put", err.message);
    }
    r.put_ops = n / (now_s() - t);
    size_t found = 0;
    t = now_s();
    for (size_t i = 0; i < n; i++) {
        int kg = (int)(keys[i] % 128);
        const void *v;
        size_t vl;
        bool f;
        if (sl_state_get(s, 0, kg, &keys[i], 8, NULL, 0, &v, &vl, &f, &err) != SL_OK) die("sl_state_get", err.message);
        found += f && vl == vlen;
    }
    r.get_ops = n / (now_s() - t);
    if (found != n) fprintf(stderr, "bench_state: %s: %zu of %zu found\n", sl_state_kind_name(kind), found, n);
    sl_state_get_stats(s, st);
    sl_state_close(s);
    return r;
}

/* ---- snapshot and restore ---- */

/* MiB of the files in dir (snapshot dirs are flat). */
static double dir_mib(const char *dir)
{
    uint64_t total = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total / 1048576.0;
}

static sl_state *bench_open(sl_state_kind kind, const char *dir)
{
    sl_state_options o = {0};
    o.kind = kind;
    o.dir = dir;
    o.name = "bench-snap";
    o.block_cache_bytes = 64u << 20;
    o.write_buffer_bytes = 64u << 20;
    o.bloom_bits_per_key = 10;
    sl_state *s;
    sl_error err;
    if (sl_state_open(&o, &s, &err) != SL_OK) die("sl_state_open", err.message);
    return s;
}

static double timed_restore(sl_state_kind kind, const char *dir, const char *const *dirs, int n, int lo, int hi,
                            uint64_t want)
{
    sl_state *r = bench_open(kind, dir);
    sl_error err;
    double t = now_s();
    if (sl_state_restore(r, dirs, n, lo, hi, &err) != SL_OK) die("sl_state_restore", err.message);
    double el = now_s() - t;
    uint64_t got = 0; /* count (not timed): every entry of the range is back */
    for (int kg = lo; kg <= hi && kg < 128; kg++) { /* the bench's key groups: 0..127 */
        sl_state_iter *it;
        if (sl_state_scan_group(r, 0, kg, &it, &err) != SL_OK) die("sl_state_scan_group", err.message);
        const void *k, *u, *v;
        size_t kl, ul, vl;
        while (sl_state_iter_next_entry(it, &k, &kl, &u, &ul, &v, &vl)) got++;
        sl_state_iter_free(it);
    }
    if (got != want)
        fprintf(stderr, "bench_state: restore into %s: %llu of %llu entries\n", sl_state_kind_name(kind),
                (unsigned long long)got, (unsigned long long)want);
    sl_state_close(r);
    return el;
}

static void bench_snapshots(size_t n, const char *dir)
{
    enum { VLEN = 100, KGS = 128 };
    char root[512];
    snprintf(root, sizeof root, "%s/sluice-state-%ld-bench-snapshots-XXXXXX", dir, (long)getpid());
    if (!mkdtemp(root)) die("mkdtemp", root);
    printf("\nsnapshot/restore: N=%zu entries (8-byte keys, %d-byte values, %d key groups); seconds\n", n, VLEN, KGS);
    printf("%-8s %9s %9s | %-22s %-22s %-22s %-22s\n", "backend", "snapshot", "snap MiB", "restore all (same)",
           "restore half (same)", "restore 2 halves->all", "restore all (other)");
    for (int b = 0; b < 2; b++) {
        sl_state_kind kind = b ? SL_STATE_HASHMAP : SL_STATE_ROCKSDB, other = b ? SL_STATE_ROCKSDB : SL_STATE_HASHMAP;
        sl_state *s = bench_open(kind, dir);
        sl_error err;
        uint64_t per_kg[KGS] = {0};
        for (size_t i = 0; i < n; i++) {
            uint64_t k = rnd();
            int kg = (int)(k % KGS);
            per_kg[kg]++;
            if (sl_state_put(s, 0, kg, &k, 8, NULL, 0, value_for(i, VLEN), VLEN, &err) != SL_OK)
                die("sl_state_put", err.message);
        }
        uint64_t half = 0;
        for (int kg = 0; kg < KGS / 2; kg++) half += per_kg[kg];
        char full[600], lo[600], hi[600];
        snprintf(full, sizeof full, "%s/%s-full", root, sl_state_kind_name(kind));
        double t = now_s();
        if (sl_state_snapshot(s, full, &err) != SL_OK) die("sl_state_snapshot", err.message);
        double snap = now_s() - t;
        sl_state_close(s);
        const char *one[] = {full};
        double all_same = timed_restore(kind, dir, one, 1, 0, 65535, n);
        double half_same = timed_restore(kind, dir, one, 1, 0, KGS / 2 - 1, half);
        /* the two halves' snapshots (from restored stores), then both into one store */
        snprintf(lo, sizeof lo, "%s/%s-lo", root, sl_state_kind_name(kind));
        snprintf(hi, sizeof hi, "%s/%s-hi", root, sl_state_kind_name(kind));
        for (int h = 0; h < 2; h++) {
            sl_state *x = bench_open(kind, dir);
            if (sl_state_restore(x, one, 1, h ? KGS / 2 : 0, h ? 65535 : KGS / 2 - 1, &err) != SL_OK)
                die("sl_state_restore", err.message);
            if (sl_state_snapshot(x, h ? hi : lo, &err) != SL_OK) die("sl_state_snapshot", err.message);
            sl_state_close(x);
        }
        const char *two[] = {lo, hi};
        double merge = timed_restore(kind, dir, two, 2, 0, 65535, n);
        double all_other = timed_restore(other, dir, one, 1, 0, 65535, n);
        printf("%-8s %9.3f %9.1f | %-22.3f %-22.3f %-22.3f %-22.3f\n", sl_state_kind_name(kind), snap, dir_mib(full),
               all_same, half_same, merge, all_other);
        fflush(stdout);
    }
    sl_state_workdir_remove(root);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run of the cpsync mode: put rate (ops/s) and the snapshot times (seconds, sorted). */
static double cpsync_run(const char *dir, bool wal, double *snaps, int nsnaps)
{
    enum { BATCH = 100000, VLEN = 100 };
    char root[512];
    snprintf(root, sizeof root, "%s/sluice-state-%ld-bench-cpsync-XXXXXX", dir, (long)getpid());
    if (!mkdtemp(root)) die("mkdtemp", root);
    sl_state_options o = {0};
    o.kind = SL_STATE_ROCKSDB;
    o.dir = dir;
    o.name = "bench-cpsync";
    o.block_cache_bytes = 112u << 20;
    o.write_buffer_bytes = 16u << 20; /* runtime/keyed.c: SL_CHECKPOINT_MEMTABLE_BYTES */
    o.bloom_bits_per_key = 10;
    o.snapshot_wal = wal;
    sl_state *s;
    sl_error err;
    if (sl_state_open(&o, &s, &err) != SL_OK) die("sl_state_open", err.message);
    double put_time = 0;
    size_t i = 0;
    for (int r = 0; r < nsnaps; r++) {
        double t = now_s();
        for (int k = 0; k < BATCH; k++, i++) {
            uint64_t key = rnd();
            if (sl_state_put(s, 0, (int)(key % 128), &key, 8, NULL, 0, value_for(i, VLEN), VLEN, &err) != SL_OK)
                die("sl_state_put", err.message);
        }
        put_time += now_s() - t;
        char snap[600];
        snprintf(snap, sizeof snap, "%s/chk-%d", root, r);
        t = now_s();
        if (sl_state_snapshot(s, snap, &err) != SL_OK) die("sl_state_snapshot", err.message);
        snaps[r] = now_s() - t;
        sl_state_workdir_remove(snap);
    }
    sl_state_close(s);
    sl_state_workdir_remove(root);
    qsort(snaps, (size_t)nsnaps, sizeof *snaps, cmp_dbl);
    return (double)i / put_time;
}

static void bench_cpsync(int rounds, const char *dir)
{
    enum { NSNAP = 40 };
    printf("checkpoint synchronous part under writes: %d x (100000 random puts of 100 B, then sl_state_snapshot); "
           "16 MiB memtables; %d round(s), modes alternating\n", NSNAP, rounds);
    printf("%-34s %5s %12s %12s %12s\n", "mode", "round", "put ops/s", "snap p50 ms", "snap max ms");
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 2; j++) {
            bool wal = (r % 2 ? 1 - j : j) == 1;
            double snaps[NSNAP];
            double ops = cpsync_run(dir, wal, snaps, NSNAP);
            printf("%-34s %5d %12.0f %12.1f %12.1f\n", wal ? "write-ahead log copied (snapshot_wal)" : "memtables flushed (no WAL)", r + 1, ops,
                   snaps[NSNAP / 2] * 1e3, snaps[NSNAP - 1] * 1e3);
            fflush(stdout);
        }
}

/* ---- hmasync ---- */

typedef struct snap_writer {
    sl_state_snap *snap;
    double secs;
    sl_status rc;
    sl_error err;
} snap_writer;

static void *snap_writer_main(void *arg)
{
    snap_writer *w = arg;
    double t = now_s();
    w->rc = sl_state_snap_write(w->snap, &w->err);
    w->secs = now_s() - t;
    return NULL;
}

/* m random overwrites of existing keys; ops/s. */
static double overwrite(sl_state *s, const uint64_t *keys, size_t n, size_t m)
{
    sl_error err;
    double t = now_s();
    for (size_t i = 0; i < m; i++) {
        uint64_t key = keys[rnd() % n];
        if (sl_state_put(s, 0, (int)(key % 128), &key, 8, NULL, 0, value_for(i, 100), 100, &err) != SL_OK)
            die("sl_state_put", err.message);
    }
    return (double)m / (now_s() - t);
}

static void bench_hmasync(size_t n, int rounds, const char *dir)
{
    char root[512];
    snprintf(root, sizeof root, "%s/sluice-state-%ld-bench-hmasync-XXXXXX", dir, (long)getpid());
    if (!mkdtemp(root)) die("mkdtemp", root);
    sl_state_options o = {0};
    o.kind = SL_STATE_HASHMAP;
    o.name = "bench-hmasync";
    sl_state *s;
    sl_error err;
    if (sl_state_open(&o, &s, &err) != SL_OK) die("sl_state_open", err.message);
    uint64_t *keys = malloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        keys[i] = rnd();
        if (sl_state_put(s, 0, (int)(keys[i] % 128), &keys[i], 8, NULL, 0, value_for(i, 100), 100, &err) != SL_OK)
            die("sl_state_put", err.message);
    }
    sl_state_stats st0;
    sl_state_get_stats(s, &st0);
    size_t m = n / 2;
    printf("hashmap asynchronous snapshot: %zu keys of 100-byte values (%.0f MiB), %zu random overwrites per put "
           "phase; dir %s\n", n, st0.memory_bytes / 1048576.0, m, root);
    printf("%5s %12s %10s %10s %10s %14s %14s %14s %9s\n", "round", "sync snap ms", "begin ms", "write ms", "alone ms", "puts/s writing",
           "puts/s view", "puts/s no view", "mem MiB");
    for (int r = 0; r < rounds; r++) {
        char snap[600];
        snprintf(snap, sizeof snap, "%s/sync-%d", root, r);
        double t = now_s();
        if (sl_state_snapshot(s, snap, &err) != SL_OK) die("sl_state_snapshot", err.message);
        double sync_s = now_s() - t;
        sl_state_workdir_remove(snap);

        double plain = 0, viewed = 0, idle = 0, begin_s = 0, alone_s = 0;
        snap_writer w = {0};
        uint64_t peak = 0;
        for (int j = 0; j < 3; j++) {
            int phase = (r + j) % 3;
            if (phase == 0) {
                plain = overwrite(s, keys, n, m);
                continue;
            }
            if (phase == 1) { /* a view open, written only after the puts */
                snprintf(snap, sizeof snap, "%s/idle-%d", root, r);
                sl_state_snap *sn;
                if (sl_state_snapshot_begin(s, snap, &sn, &err) != SL_OK) die("sl_state_snapshot_begin", err.message);
                idle = overwrite(s, keys, n, m);
                t = now_s();
                if (sl_state_snap_write(sn, &err) != SL_OK) die("sl_state_snap_write", err.message);
                alone_s = now_s() - t;
                sl_state_snap_free(sn);
                sl_state_workdir_remove(snap);
                continue;
            }
            snprintf(snap, sizeof snap, "%s/async-%d", root, r);
            t = now_s();
            if (sl_state_snapshot_begin(s, snap, &w.snap, &err) != SL_OK) die("sl_state_snapshot_begin", err.message);
            begin_s = now_s() - t;
            pthread_t th;
            if (pthread_create(&th, NULL, snap_writer_main, &w) != 0) die("pthread_create", NULL);
            viewed = overwrite(s, keys, n, m);
            sl_state_stats st;
            sl_state_get_stats(s, &st);
            peak = st.memory_bytes;
            pthread_join(th, NULL);
            if (w.rc != SL_OK) die("sl_state_snap_write", w.err.message);
            sl_state_snap_free(w.snap);
            sl_state_workdir_remove(snap);
        }
        printf("%5d %12.1f %10.2f %10.1f %10.1f %14.0f %14.0f %14.0f %9.0f\n", r + 1, sync_s * 1e3, begin_s * 1e3,
               w.secs * 1e3, alone_s * 1e3, viewed, idle, plain, peak / 1048576.0);
        fflush(stdout);
    }
    sl_state_close(s);
    free(keys);
    sl_state_workdir_remove(root);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "hmasync") == 0) {
        size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
        int rounds = argc > 3 ? atoi(argv[3]) : 3;
        const char *dir = argc > 4 ? argv[4] : getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        if (n == 0 || rounds < 1) {
            fprintf(stderr, "usage: bench_state hmasync [N] [rounds] [dir]\n");
            return 2;
        }
        for (size_t i = 0; i < sizeof pool; i++) pool[i] = (uint8_t)rnd();
        bench_hmasync(n, rounds, dir);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "cpsync") == 0) {
        int rounds = argc > 2 ? atoi(argv[2]) : 2;
        const char *dir = argc > 3 ? argv[3] : getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        for (size_t i = 0; i < sizeof pool; i++) pool[i] = (uint8_t)rnd();
        bench_cpsync(rounds < 1 ? 1 : rounds, dir);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "snapshot") == 0) {
        size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
        const char *dir = argc > 3 ? argv[3] : getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        if (n == 0) {
            fprintf(stderr, "usage: bench_state snapshot [N] [dir]\n");
            return 2;
        }
        bench_snapshots(n, dir);
        return 0;
    }
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    uint64_t budget = (argc > 2 ? strtoull(argv[2], NULL, 10) : 128) << 20;
    int rounds = argc > 3 ? atoi(argv[3]) : 1;
    const char *dir = argc > 4 ? argv[4] : getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    if (n == 0 || budget == 0 || rounds < 1) {
        fprintf(stderr, "usage: bench_state [N] [budget-MiB] [rounds] [dir]\n");
        return 2;
    }
    uint64_t wb = budget / 2, cache = budget - wb; /* write-buffer-ratio 0.5 */
    uint64_t *keys = malloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) keys[i] = rnd();
    for (size_t i = 0; i < sizeof pool; i++) pool[i] = (uint8_t)rnd();

    printf("N=%zu random 8-byte keys; budget %llu MiB (block cache %llu MiB, memtables %llu MiB), bloom 10 bits/key, "
           "no WAL; best of %d round(s); dir %s\n",
           n, (unsigned long long)(budget >> 20), (unsigned long long)(cache >> 20), (unsigned long long)(wb >> 20),
           rounds, dir);
    printf("%-5s %-18s %12s %7s %12s %7s %10s %10s\n", "value", "backend", "put ops/s", "vs raw", "get ops/s", "vs raw",
           "mem MiB", "disk MiB");
    static const size_t vlens[] = {32, 200};
    static const char *const names[] = {"raw rocksdb", "sl_state rocksdb", "sl_state hashmap"};
    for (int v = 0; v < 2; v++) {
        size_t vlen = vlens[v];
        result best[3] = {{0, 0}, {0, 0}, {0, 0}};
        sl_state_stats stats[3];
        memset(stats, 0, sizeof stats);
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < 3; j++) {
                int b = r % 2 ? 2 - j : j; /* alternate the order between rounds */
                result x;
                if (b == 0) x = bench_raw(dir, keys, n, vlen, cache, wb);
                else x = bench_state(b == 1 ? SL_STATE_ROCKSDB : SL_STATE_HASHMAP, dir, keys, n, vlen, cache, wb,
                                     &stats[b]);
                if (x.put_ops > best[b].put_ops) best[b].put_ops = x.put_ops;
                if (x.get_ops > best[b].get_ops) best[b].get_ops = x.get_ops;
            }
        }
        for (int b = 0; b < 3; b++) {
            char mem[16] = "-", disk[16] = "-";
            if (b > 0) {
                snprintf(mem, sizeof mem, "%.1f", stats[b].memory_bytes / 1048576.0);
                snprintf(disk, sizeof disk, "%.1f", stats[b].disk_bytes / 1048576.0);
            }
            printf("%-5zu %-18s %12.0f %7.2f %12.0f %7.2f %10s %10s\n", vlen, names[b], best[b].put_ops,
                   best[b].put_ops / best[0].put_ops, best[b].get_ops, best[b].get_ops / best[0].get_ops, mem, disk);
        }
        fflush(stdout);
    }
    free(keys);
    bench_snapshots(1000000, dir);
    return 0;
}
