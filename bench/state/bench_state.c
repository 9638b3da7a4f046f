/* bench/state/bench_state.c — keyed state throughput: raw RocksDB (its C API, the options the
 * rocksdb backend uses) vs sl_state_put / sl_state_get on the rocksdb backend, and the hashmap
 * backend. N random 8-byte keys, put all, then get all, for 32- and 200-byte values.
 *
 *   bench_state [N] [budget-MiB] [rounds] [dir]
 *     defaults: 2000000 keys, 128 MiB (half block cache, half memtables), 1 round, $TMPDIR or /tmp.
 *     With several rounds the order of the three alternates and the best figures are printed.
 */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
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
    return 0;
}
