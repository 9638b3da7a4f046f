/* state/state_rocksdb.c — the RocksDB backend (RocksDB's C API, Debian's librocksdb 7.8.3).
 *
 * One DB per store in its own working directory; no WAL (state is rebuilt from checkpoints). Memory:
 * one LRU block cache of block_cache_bytes holding data, index and filter blocks (L0 index and
 * filter blocks pinned), memtables bounded by write_buffer_bytes (db_write_buffer_size; two
 * memtables of half of it). TTL: an 8-byte little-endian write time precedes each value; reads and
 * scans drop expired entries, and a compaction filter drops them in background compactions.
 *
 * Hot path: keys are encoded into a buffer the store reuses, TTL values are assembled in another
 * one; gets use rocksdb_get_pinned (the value is read in place and kept pinned until the next call),
 * and iterators (with their read options and bound buffers) are reused. What still allocates is
 * inside RocksDB's C API (the pinnable slice of a get, the RocksDB iterator of a scan). */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define DEFAULT_CACHE_BYTES (8u << 20)
#define DEFAULT_WRITE_BUFFER_BYTES (8u << 20)
#define MIN_WRITE_BUFFER_BYTES (64u << 10)
#define ROCKSDB_LOG_WARN 2 /* InfoLogLevel::WARN_LEVEL */

typedef struct rdb_iter {
    sl_state_iter base;
    rocksdb_readoptions_t *ro;
    rocksdb_iterator_t *it; /* NULL once the scan ended */
    uint8_t *lo;            /* the key's prefix */
    size_t lo_cap, plen;
    uint8_t *hi; /* the first key after the prefix: the iterator's upper bound */
    size_t hi_cap;
    bool started;
} rdb_iter;

/* What the compaction filter needs; it runs on RocksDB's background threads. */
typedef struct rdb_ttl {
    int64_t ttl_ms;
    const sl_state *s; /* its clock */
    atomic_uint_least64_t expired; /* all expired drops: filter and reads */
} rdb_ttl;

typedef struct rdb_store {
    sl_state base;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_cache_t *cache;
    rocksdb_compactionfilter_t *filter;
    rocksdb_readoptions_t *ro;
    rocksdb_writeoptions_t *wo;
    rocksdb_pinnableslice_t *pin; /* the last get's value */
    uint8_t *kbuf;
    size_t kcap;
    uint8_t *vbuf;
    size_t vcap;
    rdb_iter *spare;
    rdb_ttl ttl;
} rdb_store;

static sl_status rdb_error(sl_error *err, rdb_store *r, const char *what, char *e)
{
    sl_error_set(err, SL_ERR_STATE, "RocksDB %s failed in \"%s\": %s", what, r->base.workdir, e ? e : "unknown error");
    rocksdb_free(e);
    return SL_ERR_STATE;
}

static uint8_t *encode_key(rdb_store *r, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                           size_t *len)
{
    size_t need = SL_STATE_KEY_HEADER + klen + uklen;
    if (need > r->kcap) SL_GROW(r->kbuf, r->kcap, need);
    *len = sl_state_key_encode(r->kbuf, sid, kg, key, klen, ukey, uklen);
    return r->kbuf;
}

static void release_pin(rdb_store *r)
{
    if (r->pin) {
        rocksdb_pinnableslice_destroy(r->pin);
        r->pin = NULL;
    }
}

/* ---- TTL compaction filter ---- */

static void ttl_destroy(void *state) { (void)state; }
static const char *ttl_name(void *state)
{
    (void)state;
    return "sluice.ttl";
}

static unsigned char ttl_filter(void *state, int level, const char *key, size_t key_length, const char *existing_value,
                                size_t value_length, char **new_value, size_t *new_value_length,
                                unsigned char *value_changed)
{
    rdb_ttl *t = state;
    (void)level;
    (void)key;
    (void)key_length;
    (void)new_value;
    (void)new_value_length;
    *value_changed = 0;
    if (value_length < SL_STATE_TTL_BYTES) return 0;
    int64_t ts = sl_state_ttl_decode((const uint8_t *)existing_value);
    if (!sl_state_expired(ts, t->ttl_ms, sl_state_now(t->s))) return 0;
    atomic_fetch_add_explicit(&t->expired, 1, memory_order_relaxed);
    return 1;
}

/* ---- operations ---- */

static sl_status rdb_get(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                         const void **val, size_t *vlen, bool *found, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    size_t kl;
    const uint8_t *k = encode_key(r, sid, kg, key, klen, ukey, uklen, &kl);
    release_pin(r);
    char *e = NULL;
    r->pin = rocksdb_get_pinned(r->db, r->ro, (const char *)k, kl, &e);
    if (e) return rdb_error(err, r, "get", e);
    if (!r->pin) return SL_OK;
    size_t vl;
    const char *v = rocksdb_pinnableslice_value(r->pin, &vl);
    if (s->ttl_ms > 0) {
        if (vl < SL_STATE_TTL_BYTES)
            return sl_error_set(err, SL_ERR_STATE, "corrupt state value of %zu bytes (no TTL header) in \"%s\"", vl,
                                s->workdir);
        if (sl_state_expired(sl_state_ttl_decode((const uint8_t *)v), s->ttl_ms, sl_state_now(s))) {
            release_pin(r);
            rocksdb_delete(r->db, r->wo, (const char *)k, kl, &e);
            if (e) return rdb_error(err, r, "delete", e);
            atomic_fetch_add_explicit(&r->ttl.expired, 1, memory_order_relaxed);
            return SL_OK;
        }
        v += SL_STATE_TTL_BYTES;
        vl -= SL_STATE_TTL_BYTES;
    }
    *val = v;
    *vlen = vl;
    *found = true;
    return SL_OK;
}

static sl_status rdb_put(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                         const void *val, size_t vlen, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    size_t kl;
    const uint8_t *k = encode_key(r, sid, kg, key, klen, ukey, uklen, &kl);
    const char *v = val;
    size_t vl = vlen;
    if (s->ttl_ms > 0) {
        size_t need = SL_STATE_TTL_BYTES + vlen;
        if (need > r->vcap) SL_GROW(r->vbuf, r->vcap, need);
        sl_state_ttl_encode(r->vbuf, sl_state_now(s));
        if (vlen) memcpy(r->vbuf + SL_STATE_TTL_BYTES, val, vlen);
        v = (const char *)r->vbuf;
        vl = need;
    }
    char *e = NULL;
    rocksdb_put(r->db, r->wo, (const char *)k, kl, v ? v : "", vl, &e);
    if (e) return rdb_error(err, r, "put", e);
    return SL_OK;
}

static sl_status rdb_del(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                         sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    size_t kl;
    const uint8_t *k = encode_key(r, sid, kg, key, klen, ukey, uklen, &kl);
    char *e = NULL;
    rocksdb_delete(r->db, r->wo, (const char *)k, kl, &e);
    if (e) return rdb_error(err, r, "delete", e);
    return SL_OK;
}

static sl_status rdb_scan(sl_state *s, int sid, int kg, const void *key, size_t klen, sl_state_iter **out,
                          sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    rdb_iter *it = r->spare;
    if (it) {
        r->spare = NULL;
    } else {
        it = sl_xcalloc(1, sizeof *it);
        it->ro = rocksdb_readoptions_create();
    }
    it->base.s = s;
    sl_error_clear(&it->base.err);
    size_t plen = SL_STATE_KEY_HEADER + klen;
    if (plen > it->lo_cap) SL_GROW(it->lo, it->lo_cap, plen);
    if (plen > it->hi_cap) SL_GROW(it->hi, it->hi_cap, plen);
    it->plen = sl_state_key_encode(it->lo, sid, kg, key, klen, NULL, 0);
    /* Upper bound: the prefix plus one (carrying), so the iterator never leaves the key. */
    memcpy(it->hi, it->lo, plen);
    size_t hlen = plen;
    while (hlen > 0 && it->hi[hlen - 1] == 0xFF) hlen--;
    if (hlen > 0) {
        it->hi[hlen - 1]++;
        rocksdb_readoptions_set_iterate_upper_bound(it->ro, (const char *)it->hi, hlen);
    } else {
        rocksdb_readoptions_set_iterate_upper_bound(it->ro, NULL, 0);
    }
    it->it = rocksdb_create_iterator(r->db, it->ro);
    rocksdb_iter_seek(it->it, (const char *)it->lo, it->plen);
    it->started = false;
    *out = &it->base;
    return SL_OK;
}

static void iter_end(rdb_iter *it)
{
    if (!it->it) return;
    char *e = NULL;
    rocksdb_iter_get_error(it->it, &e);
    if (e) {
        rdb_store *r = (rdb_store *)it->base.s;
        rdb_error(&it->base.err, r, "scan", e);
    }
    rocksdb_iter_destroy(it->it);
    it->it = NULL;
}

static bool rdb_next(sl_state_iter *bit, const void **ukey, size_t *uklen, const void **val, size_t *vlen)
{
    rdb_iter *it = (rdb_iter *)bit;
    rdb_store *r = (rdb_store *)bit->s;
    if (!it->it) return false;
    if (it->started) rocksdb_iter_next(it->it);
    it->started = true;
    int64_t ttl = r->base.ttl_ms;
    int64_t now = ttl > 0 ? sl_state_now(&r->base) : 0;
    for (; rocksdb_iter_valid(it->it); rocksdb_iter_next(it->it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it->it, &kl);
        if (kl < it->plen || memcmp(k, it->lo, it->plen) != 0) break;
        const char *v = rocksdb_iter_value(it->it, &vl);
        if (ttl > 0) {
            if (vl < SL_STATE_TTL_BYTES) {
                sl_error_set(&it->base.err, SL_ERR_STATE, "corrupt state value of %zu bytes (no TTL header) in \"%s\"",
                             vl, r->base.workdir);
                break;
            }
            if (sl_state_expired(sl_state_ttl_decode((const uint8_t *)v), ttl, now)) {
                char *e = NULL;
                rocksdb_delete(r->db, r->wo, k, kl, &e);
                if (e) {
                    rdb_error(&it->base.err, r, "delete", e);
                    break;
                }
                atomic_fetch_add_explicit(&r->ttl.expired, 1, memory_order_relaxed);
                continue;
            }
            v += SL_STATE_TTL_BYTES;
            vl -= SL_STATE_TTL_BYTES;
        }
        *ukey = k + it->plen;
        *uklen = kl - it->plen;
        *val = v;
        *vlen = vl;
        return true;
    }
    iter_end(it);
    return false;
}

static void iter_destroy(rdb_iter *it)
{
    if (it->it) rocksdb_iter_destroy(it->it);
    rocksdb_readoptions_destroy(it->ro);
    free(it->lo);
    free(it->hi);
    free(it);
}

static void rdb_iter_free(sl_state_iter *bit)
{
    rdb_iter *it = (rdb_iter *)bit;
    rdb_store *r = (rdb_store *)bit->s;
    if (it->it) { /* release the RocksDB iterator now: it pins memtables and files */
        rocksdb_iter_destroy(it->it);
        it->it = NULL;
    }
    if (!r->spare) r->spare = it;
    else iter_destroy(it);
}

static uint64_t prop(rdb_store *r, const char *name)
{
    uint64_t v = 0;
    if (rocksdb_property_int(r->db, name, &v) != 0) return 0;
    return v;
}

static void rdb_stats(sl_state *s, sl_state_stats *st)
{
    rdb_store *r = (rdb_store *)s;
    st->expired = atomic_load_explicit(&r->ttl.expired, memory_order_relaxed);
    st->memory_bytes = prop(r, "rocksdb.size-all-mem-tables") + rocksdb_cache_get_usage(r->cache);
    st->disk_bytes = prop(r, "rocksdb.total-sst-files-size"); /* no WAL */
}

static void rdb_free(rdb_store *r)
{
    release_pin(r);
    if (r->spare) iter_destroy(r->spare);
    if (r->db) rocksdb_close(r->db);
    if (r->ro) rocksdb_readoptions_destroy(r->ro);
    if (r->wo) rocksdb_writeoptions_destroy(r->wo);
    if (r->opts) rocksdb_options_destroy(r->opts);
    if (r->filter) rocksdb_compactionfilter_destroy(r->filter); /* after the DB: it uses the filter */
    if (r->cache) rocksdb_cache_destroy(r->cache);
    if (r->base.workdir) {
        sl_state_workdir_remove(r->base.workdir);
        free(r->base.workdir);
    }
    free(r->kbuf);
    free(r->vbuf);
    free(r);
}

static void rdb_close(sl_state *s) { rdb_free((rdb_store *)s); }

static const sl_state_vt rdb_vt = {rdb_get, rdb_put, rdb_del, rdb_scan, rdb_next, rdb_iter_free, rdb_stats, rdb_close};

sl_status sl_state_rocksdb_open(const sl_state_options *o, sl_state **out, sl_error *err)
{
    rdb_store *r = sl_xcalloc(1, sizeof *r);
    r->base.vt = &rdb_vt;
    r->base.kind = SL_STATE_ROCKSDB;
    r->base.ttl_ms = o->ttl_ms;
    r->base.now_ms = o->now_ms;
    r->base.now_ctx = o->now_ctx;
    r->ttl.ttl_ms = o->ttl_ms;
    r->ttl.s = &r->base;
    atomic_init(&r->ttl.expired, 0);

    sl_status st = sl_state_workdir_create(o->dir, o->name, &r->base.workdir, err);
    if (st != SL_OK) {
        rdb_free(r);
        return st;
    }

    uint64_t cache_bytes = o->block_cache_bytes ? o->block_cache_bytes : DEFAULT_CACHE_BYTES;
    uint64_t wb = o->write_buffer_bytes ? o->write_buffer_bytes : DEFAULT_WRITE_BUFFER_BYTES;
    if (wb < 2 * MIN_WRITE_BUFFER_BYTES) wb = 2 * MIN_WRITE_BUFFER_BYTES;

    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, 1);
    rocksdb_options_set_info_log_level(r->opts, ROCKSDB_LOG_WARN);
    rocksdb_options_set_keep_log_file_num(r->opts, 2);

    r->cache = rocksdb_cache_create_lru((size_t)cache_bytes);
    rocksdb_block_based_table_options_t *bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(bbto, r->cache);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(bbto, 1);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(bbto, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(bbto, 1);
    /* Partitioned index and filters: a whole-file index or filter (hundreds of KiB for a 64 MiB SST)
     * does not fit a small cache's shards and would be read again for nearly every get; 4 KiB
     * partitions are cached like data blocks, only the small top level stays pinned. */
    rocksdb_block_based_options_set_index_type(bbto, rocksdb_block_based_table_index_type_two_level_index_search);
    rocksdb_block_based_options_set_pin_top_level_index_and_filter(bbto, 1);
    rocksdb_block_based_options_set_metadata_block_size(bbto, 4096);
    if (o->bloom_bits_per_key > 0) { /* the table options take ownership of the policy */
        rocksdb_block_based_options_set_filter_policy(bbto, rocksdb_filterpolicy_create_bloom(o->bloom_bits_per_key));
        rocksdb_block_based_options_set_partition_filters(bbto, 1);
    }
    rocksdb_options_set_block_based_table_factory(r->opts, bbto);
    rocksdb_block_based_options_destroy(bbto);

    rocksdb_options_set_db_write_buffer_size(r->opts, (size_t)wb);
    rocksdb_options_set_write_buffer_size(r->opts, (size_t)(wb / 2));
    rocksdb_options_set_max_write_buffer_number(r->opts, 2);

    if (o->ttl_ms > 0) {
        r->filter = rocksdb_compactionfilter_create(&r->ttl, ttl_destroy, ttl_filter, ttl_name);
        rocksdb_options_set_compaction_filter(r->opts, r->filter);
    }

    char *e = NULL;
    r->db = rocksdb_open(r->opts, r->base.workdir, &e);
    if (e) {
        sl_error_set(err, SL_ERR_STATE, "could not open RocksDB in \"%s\": %s", r->base.workdir, e);
        sl_error_hint(err, "check state.backend.rocksdb.localdir (or io.tmp.dirs): it must be a writable local "
                           "directory");
        rocksdb_free(e);
        r->db = NULL;
        rdb_free(r);
        return SL_ERR_STATE;
    }
    r->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(r->wo, 1);
    r->ro = rocksdb_readoptions_create();
    *out = &r->base;
    return SL_OK;
}

/* ---- white-box hooks for tests ---- */

void sl_state_rocksdb_compact(sl_state *s)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    char *e = NULL;
    rocksdb_flush(r->db, fo, &e);
    rocksdb_free(e);
    rocksdb_flushoptions_destroy(fo);
    rocksdb_compact_range(r->db, NULL, 0, NULL, 0);
}

uint64_t sl_state_rocksdb_raw_count(sl_state *s)
{
    rdb_store *r = (rdb_store *)s;
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, ro);
    uint64_t n = 0;
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) n++;
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return n;
}
