/* bench_rocksdb_raw N VALUE_BYTES DIR — the baseline of bench/join: what one core gets from RocksDB
 * (Debian's 7.8.3) for the state accesses a join record needs at minimum: one get (probe the other
 * side) and one put (store the row), on random 8-byte keys, WAL off, bloom filter 10 bits, a 64 MiB
 * block cache. Prints put/s, get/s and (put+get) pairs/s. */
#include <rocksdb/c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_rocksdb_raw N VALUE_BYTES DIR\n");
        return 2;
    }
    long n = atol(argv[1]);
    size_t vlen = (size_t)atol(argv[2]);
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_block_based_table_options_t *t = rocksdb_block_based_options_create();
    rocksdb_cache_t *cache = rocksdb_cache_create_lru(64u << 20);
    rocksdb_block_based_options_set_block_cache(t, cache);
    rocksdb_block_based_options_set_filter_policy(t, rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(o, t);
    char *err = NULL;
    rocksdb_t *db = rocksdb_open(o, argv[3], &err);
    if (!db) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(wo, 1);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    char *val = calloc(1, vlen);
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        uint64_t k = mix((uint64_t)i);
        rocksdb_put(db, wo, (const char *)&k, 8, val, vlen, &err);
    }
    double t1 = now_s();
    long found = 0;
    for (long i = 0; i < n; i++) {
        uint64_t k = mix((uint64_t)(i * 7919 % n));
        size_t len;
        char *v = rocksdb_get(db, ro, (const char *)&k, 8, &len, &err);
        found += v != NULL;
        rocksdb_free(v);
    }
    double t2 = now_s();
    double put = (double)n / (t1 - t0), get = (double)n / (t2 - t1);
    printf("raw RocksDB (%ld keys, %zu B values): %.0f puts/s, %.0f gets/s (%ld found), %.0f put+get pairs/s\n", n, vlen, put, get,
           found, 1.0 / (1.0 / put + 1.0 / get));
    free(val);
    rocksdb_close(db);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_readoptions_destroy(ro);
    rocksdb_options_destroy(o);
    rocksdb_block_based_options_destroy(t);
    rocksdb_cache_destroy(cache);
    return 0;
}
