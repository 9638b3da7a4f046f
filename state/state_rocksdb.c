/* state/state_rocksdb.c — the RocksDB backend (RocksDB's C API, Debian's librocksdb 7.8.3).
 *
 * One DB per store in its own working directory; no WAL (state is rebuilt from checkpoints), or
 * one for snapshots (snapshot_wal), or a write log of its own (write_log, below). Memory:
 * one LRU block cache of block_cache_bytes holding data, index and filter blocks (L0 index and
 * filter blocks pinned), memtables bounded by write_buffer_bytes (db_write_buffer_size; two
 * memtables of half of it, or sl_state_options.memtables of 1/n). TTL: an 8-byte little-endian write time precedes each value; reads and
 * scans drop expired entries, and a compaction filter drops them in background compactions.
 *
 * Hot path: keys are encoded into a buffer the store reuses, TTL values are assembled in another
 * one; gets use rocksdb_get_pinned (the value is read in place and kept pinned until the next call),
 * and iterators (with their read options and bound buffers) are reused. What still allocates is
 * inside RocksDB's C API (the pinnable slice of a get, the RocksDB iterator of a scan). */
#define _GNU_SOURCE /* sync_file_range */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/hash.h"
#include "common/mem.h"

#define DEFAULT_CACHE_BYTES (8u << 20)
#define DEFAULT_WRITE_BUFFER_BYTES (8u << 20)
#define MIN_WRITE_BUFFER_BYTES (64u << 10)
#define ROCKSDB_LOG_WARN 2 /* InfoLogLevel::WARN_LEVEL */
#define LOAD_BATCH_ROWS 1000 /* restore: rows per write batch */
#define PERF_LEVEL_OFF 1     /* rocksdb_disable (c.h's enum) */

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
    bool snapshot_wal;            /* writes go to a write-ahead log; snapshots copy it (sl_state_options) */
    /* The write log (sl_state_options.write_log; "The write log" below). wl_m orders every write
     * to the DB (and its record in the log) and snapshots; the rest is under it too. */
    bool wlog;
    pthread_mutex_t wl_m;
    int wl_fd;                  /* the log being written; -1: the next write opens a new one */
    uint64_t wl_bytes, wl_sent; /* of that log: bytes written, bytes handed to writeback */
    uint64_t wl_next;           /* number of the next log */
    struct wlog_file *wl;       /* the logs in the working directory, oldest first */
    size_t wl_n, wl_cap;
    sl_error wl_error; /* code != SL_OK: a record could not be written, the log is incomplete */
    rocksdb_writebatch_t *one; /* a single put or delete outside a batch, when logging */
    uint8_t *kbuf;
    size_t kcap;
    uint8_t *vbuf;
    size_t vcap;
    rdb_iter *spare;
    rdb_ttl ttl;
    char *parent, *name;        /* of the working directory (a restore makes a new one) */
    rocksdb_writebatch_t *load; /* restore: the batch being filled */
    int load_rows;
    rocksdb_writebatch_t *batch; /* sl_state_batch_begin .. commit: writes collected here */
    bool in_batch;
} rdb_store;

static sl_status rdb_error(sl_error *err, rdb_store *r, const char *what, char *e)
{
    sl_error_set(err, SL_ERR_STATE, "RocksDB %s failed in \"%s\": %s", what, r->base.workdir, e ? e : "unknown error");
    rocksdb_free(e);
    return SL_ERR_STATE;
}

static sl_status db_write(rdb_store *r, rocksdb_writebatch_t *b, const char *what, sl_error *err);
static sl_status db_write_one(rdb_store *r, const char *k, size_t kl, const char *v, size_t vl, const char *what, sl_error *err);

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
            sl_status st = db_write_one(r, (const char *)k, kl, NULL, 0, "delete", err);
            if (st) return st;
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
    if (r->in_batch) {
        rocksdb_writebatch_put(r->batch, (const char *)k, kl, v ? v : "", vl);
        return SL_OK;
    }
    return db_write_one(r, (const char *)k, kl, v ? v : "", vl, "put", err);
}

static void rdb_batch_begin(sl_state *s)
{
    rdb_store *r = (rdb_store *)s;
    if (!r->batch) r->batch = rocksdb_writebatch_create();
    r->in_batch = true;
}

static sl_status rdb_batch_commit(sl_state *s, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    r->in_batch = false;
    if (!r->batch || rocksdb_writebatch_count(r->batch) == 0) return SL_OK;
    sl_status st = db_write(r, r->batch, "write (batch)", err);
    rocksdb_writebatch_clear(r->batch);
    return st;
}

/* A taken batch is the rocksdb_writebatch_t itself; the next sl_state_batch_begin makes a new one. */
static sl_state_batch *rdb_batch_take(sl_state *s)
{
    rdb_store *r = (rdb_store *)s;
    r->in_batch = false;
    if (!r->batch || rocksdb_writebatch_count(r->batch) == 0) return NULL;
    rocksdb_writebatch_t *b = r->batch;
    r->batch = NULL;
    return (sl_state_batch *)b;
}

/* Another thread: only the DB handle, the write options (both fixed while the store is open)
 * and the write log (under its mutex). */
static sl_status rdb_batch_write(sl_state *s, sl_state_batch *b, sl_error *err)
{
    rocksdb_set_perf_level(PERF_LEVEL_OFF); /* (per thread: this is the cache's writer) */
    return db_write((rdb_store *)s, (rocksdb_writebatch_t *)b, "write (batch, written behind)", err);
}

static void rdb_batch_free(sl_state *s, sl_state_batch *b)
{
    (void)s;
    rocksdb_writebatch_destroy((rocksdb_writebatch_t *)b);
}

static sl_status rdb_del(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                         sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    size_t kl;
    const uint8_t *k = encode_key(r, sid, kg, key, klen, ukey, uklen, &kl);
    if (r->in_batch) {
        rocksdb_writebatch_delete(r->batch, (const char *)k, kl);
        return SL_OK;
    }
    return db_write_one(r, (const char *)k, kl, NULL, 0, "delete", err);
}

static rdb_iter *iter_get(rdb_store *r, bool group)
{
    release_pin(r);
    rdb_iter *it = r->spare;
    if (it) {
        r->spare = NULL;
    } else {
        it = sl_xcalloc(1, sizeof *it);
        it->ro = rocksdb_readoptions_create();
    }
    it->base.s = &r->base;
    it->base.group = group;
    sl_error_clear(&it->base.err);
    return it;
}

/* Positions a new RocksDB iterator on the prefix it->lo[0..plen), bounded by the prefix plus one
 * (carrying), so the iterator never leaves the prefix. */
static void iter_seek(rdb_store *r, rdb_iter *it)
{
    if (it->plen > it->hi_cap) SL_GROW(it->hi, it->hi_cap, it->plen);
    memcpy(it->hi, it->lo, it->plen);
    size_t hlen = it->plen;
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
}

static sl_status rdb_scan(sl_state *s, int sid, int kg, const void *key, size_t klen, sl_state_iter **out,
                          sl_error *err)
{
    (void)err;
    rdb_store *r = (rdb_store *)s;
    rdb_iter *it = iter_get(r, false);
    size_t plen = SL_STATE_KEY_HEADER + klen;
    if (plen > it->lo_cap) SL_GROW(it->lo, it->lo_cap, plen);
    it->plen = sl_state_key_encode(it->lo, sid, kg, key, klen, NULL, 0);
    iter_seek(r, it);
    *out = &it->base;
    return SL_OK;
}

/* All rows of (sid, kg): the prefix kg (u16 BE) | sid. */
static sl_status rdb_scan_group(sl_state *s, int sid, int kg, sl_state_iter **out, sl_error *err)
{
    (void)err;
    rdb_store *r = (rdb_store *)s;
    rdb_iter *it = iter_get(r, true);
    if (3 > it->lo_cap) SL_GROW(it->lo, it->lo_cap, 3);
    it->lo[0] = (uint8_t)((unsigned)kg >> 8);
    it->lo[1] = (uint8_t)kg;
    it->lo[2] = (uint8_t)sid;
    it->plen = 3;
    iter_seek(r, it);
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

/* The next live row of the iterator's prefix: its row key and its value without the TTL header. */
static bool rdb_step(rdb_iter *it, const char **key, size_t *klen, const char **val, size_t *vlen)
{
    rdb_store *r = (rdb_store *)it->base.s;
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
        *key = k;
        *klen = kl;
        *val = v;
        *vlen = vl;
        return true;
    }
    iter_end(it);
    return false;
}

/* The length of the key in row key k (kl bytes), or -1 if the row key is malformed. */
static int64_t row_key_len(const char *k, size_t kl)
{
    if (kl < SL_STATE_KEY_HEADER) return -1;
    const uint8_t *u = (const uint8_t *)k;
    uint32_t l = (uint32_t)u[3] << 24 | (uint32_t)u[4] << 16 | (uint32_t)u[5] << 8 | u[6];
    if ((uint64_t)l > kl - SL_STATE_KEY_HEADER) return -1;
    return l;
}

static bool rdb_next_entry(sl_state_iter *bit, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                           const void **val, size_t *vlen)
{
    rdb_iter *it = (rdb_iter *)bit;
    const char *k, *v;
    size_t kl, vl;
    if (!rdb_step(it, &k, &kl, &v, &vl)) return false;
    if (it->base.group) {
        int64_t l = row_key_len(k, kl);
        if (l < 0) {
            rdb_store *r = (rdb_store *)bit->s;
            sl_error_set(&bit->err, SL_ERR_STATE, "corrupt state row key of %zu bytes in \"%s\"", kl, r->base.workdir);
            iter_end(it);
            return false;
        }
        *key = k + SL_STATE_KEY_HEADER;
        *klen = (size_t)l;
        *ukey = k + SL_STATE_KEY_HEADER + l;
        *uklen = kl - SL_STATE_KEY_HEADER - (size_t)l;
    } else {
        *key = it->lo + SL_STATE_KEY_HEADER;
        *klen = it->plen - SL_STATE_KEY_HEADER;
        *ukey = k + it->plen;
        *uklen = kl - it->plen;
    }
    *val = v;
    *vlen = vl;
    return true;
}

static bool rdb_next(sl_state_iter *bit, const void **ukey, size_t *uklen, const void **val, size_t *vlen)
{
    rdb_iter *it = (rdb_iter *)bit;
    if (it->base.group) {
        const void *key;
        size_t klen;
        return rdb_next_entry(bit, &key, &klen, ukey, uklen, val, vlen);
    }
    const char *k, *v;
    size_t kl, vl;
    if (!rdb_step(it, &k, &kl, &v, &vl)) return false;
    *ukey = k + it->plen;
    *uklen = kl - it->plen;
    *val = v;
    *vlen = vl;
    return true;
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
    if (r->load) rocksdb_writebatch_destroy(r->load);
    if (r->batch) rocksdb_writebatch_destroy(r->batch);
    if (r->one) rocksdb_writebatch_destroy(r->one);
    if (r->wl_fd >= 0) close(r->wl_fd);
    if (r->wlog) pthread_mutex_destroy(&r->wl_m);
    free(r->wl);
    free(r->parent);
    free(r->name);
    free(r->kbuf);
    free(r->vbuf);
    free(r);
}

static void rdb_close(sl_state *s) { rdb_free((rdb_store *)s); }

/* SLUICE_INSTANCE: the working directory's name (pid, operator, subtask, random: unique). */
static void set_instance(rdb_store *r)
{
    const char *b = strrchr(r->base.workdir, '/');
    snprintf(r->base.instance, sizeof r->base.instance, "%s", b ? b + 1 : r->base.workdir);
}

/* ---- the write log (sl_state_options.write_log) ----
 *
 * Every write to the DB is first appended to a log file in the working directory (NNNNNN.wbl:
 * "SLWBL001", then per write batch: u32 length, u32 entry count (little endian), u64 XXH3 of the
 * batch, the batch as RocksDB encodes it). A snapshot ends the current file (the next write opens
 * a new one) and takes the RocksDB checkpoint without flushing the memtables; what the memtables
 * hold is the newest writes (RocksDB flushes memtables oldest first), so the snapshot links the
 * newest log files that together hold at least as many entries as the memtables (their entry
 * counts, read before the checkpoint, with writes held off) and a restore writes them again, in
 * order, over the checkpoint's files. Writes already in those files are written twice, which
 * changes nothing: replaying any suffix of the writes over a state that has at least the writes
 * before it gives the same state. Older files hold only flushed writes: the snapshot deletes them.
 * Every write goes through the log (restores flush what they wrote), so the count is never short. */

#define WLOG_MAGIC "SLWBL001"
#define WLOG_HEADER 16
#define WLOG_WRITEBACK_BYTES (4u << 20) /* the kernel gets each 4 MB to write as it comes */

typedef struct wlog_file {
    uint64_t num, entries;
} wlog_file;

static void wlog_path(const rdb_store *r, uint64_t num, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%06llu%s", r->base.workdir, (unsigned long long)num, SL_STATE_WLOG_SUFFIX);
}

static sl_status wlog_fail(rdb_store *r, uint64_t num, const char *what, int e, sl_error *err)
{
    char path[4200];
    wlog_path(r, num, path, sizeof path);
    sl_error_set(&r->wl_error, SL_ERR_IO, "writing the state's write log '%s' failed (%s): %s", path, what, strerror(e));
    sl_error_hint(&r->wl_error, "check the free space and permissions of state.backend.rocksdb.localdir (or io.tmp.dirs); "
                                "the job restarts from its last checkpoint");
    *err = r->wl_error;
    return SL_ERR_IO;
}

/* Appends batch b to the log (wl_m held). */
static sl_status wlog_append(rdb_store *r, rocksdb_writebatch_t *b, sl_error *err)
{
    if (r->wl_error.code) {
        *err = r->wl_error;
        return r->wl_error.code;
    }
    if (r->wl_fd < 0) {
        char path[4200];
        wlog_path(r, r->wl_next, path, sizeof path);
        r->wl_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (r->wl_fd < 0) return wlog_fail(r, r->wl_next, "open", errno, err);
        if (r->wl_n == r->wl_cap) SL_GROW(r->wl, r->wl_cap, r->wl_n + 1);
        r->wl[r->wl_n++] = (wlog_file){r->wl_next++, 0};
        r->wl_bytes = r->wl_sent = 0;
        if (write(r->wl_fd, WLOG_MAGIC, 8) != 8) return wlog_fail(r, r->wl[r->wl_n - 1].num, "write", errno ? errno : EIO, err);
        r->wl_bytes = 8;
    }
    size_t len;
    const char *data = rocksdb_writebatch_data(b, &len);
    uint32_t count = (uint32_t)rocksdb_writebatch_count(b);
    uint8_t h[WLOG_HEADER];
    uint32_t l32 = (uint32_t)len;
    uint64_t sum = sl_hash64(data, len);
    for (int i = 0; i < 4; i++) h[i] = (uint8_t)(l32 >> (8 * i)), h[4 + i] = (uint8_t)(count >> (8 * i));
    for (int i = 0; i < 8; i++) h[8 + i] = (uint8_t)(sum >> (8 * i));
    if (len > UINT32_MAX) return wlog_fail(r, r->wl[r->wl_n - 1].num, "a write batch over 4 GB", EFBIG, err);
    struct iovec iov[2] = {{h, WLOG_HEADER}, {(void *)data, len}};
    size_t left = WLOG_HEADER + len;
    for (int i = 0; left;) { /* a short write goes on, so that a failure reports its errno */
        ssize_t n = writev(r->wl_fd, iov + i, 2 - i);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return wlog_fail(r, r->wl[r->wl_n - 1].num, "write", n < 0 ? errno : EIO, err);
        left -= (size_t)n;
        for (size_t k = (size_t)n; k;) {
            size_t step = k < iov[i].iov_len ? k : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + step;
            iov[i].iov_len -= step;
            k -= step;
            if (!iov[i].iov_len) i++;
        }
    }
    r->wl[r->wl_n - 1].entries += count;
    r->wl_bytes += WLOG_HEADER + len;
    if (r->wl_bytes - r->wl_sent >= WLOG_WRITEBACK_BYTES) {
        (void)sync_file_range(r->wl_fd, (off_t)r->wl_sent, (off_t)(r->wl_bytes - r->wl_sent), SYNC_FILE_RANGE_WRITE);
        r->wl_sent = r->wl_bytes;
    }
    return SL_OK;
}

/* Writes b to the DB; with the write log, to the log first (any thread: see rdb_batch_write). */
static sl_status db_write(rdb_store *r, rocksdb_writebatch_t *b, const char *what, sl_error *err)
{
    char *e = NULL;
    if (!r->wlog) {
        rocksdb_write(r->db, r->wo, b, &e);
        return e ? rdb_error(err, r, what, e) : SL_OK;
    }
    pthread_mutex_lock(&r->wl_m);
    sl_status st = wlog_append(r, b, err);
    if (!st) rocksdb_write(r->db, r->wo, b, &e);
    pthread_mutex_unlock(&r->wl_m);
    return e ? rdb_error(err, r, what, e) : st;
}

/* A put (v != NULL) or delete outside a batch. */
static sl_status db_write_one(rdb_store *r, const char *k, size_t kl, const char *v, size_t vl, const char *what, sl_error *err)
{
    char *e = NULL;
    if (!r->wlog) {
        if (v) rocksdb_put(r->db, r->wo, k, kl, v, vl, &e);
        else rocksdb_delete(r->db, r->wo, k, kl, &e);
        return e ? rdb_error(err, r, what, e) : SL_OK;
    }
    if (!r->one) r->one = rocksdb_writebatch_create();
    rocksdb_writebatch_clear(r->one);
    if (v) rocksdb_writebatch_put(r->one, k, kl, v, vl);
    else rocksdb_writebatch_delete(r->one, k, kl);
    return db_write(r, r->one, what, err);
}

/* Flushes db's memtables and waits; *e: RocksDB's error (NULL if none). */
static void flush_db(rocksdb_t *db, char **e)
{
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush(db, fo, e);
    rocksdb_flushoptions_destroy(fo);
}

/* Flushes the memtables (waits): after a restore, whose writes are not in the log. */
static sl_status flush_memtables(rdb_store *r, sl_error *err)
{
    char *e = NULL;
    flush_db(r->db, &e);
    return e ? rdb_error(err, r, "flush", e) : SL_OK;
}

/* Links (or copies) src to dst. */
static int link_or_copy(const char *src, const char *dst)
{
    if (link(src, dst) == 0) return 0;
    return sl_fs_copy_file(src, dst, true, false, NULL);
}

/* The RocksDB checkpoint of a store with the write log into dir, plus the log files it needs
 * (wl_m held: no write meanwhile). */
static sl_status wlog_checkpoint(rdb_store *r, const char *dir, sl_error *err)
{
    if (r->wl_error.code) {
        *err = r->wl_error;
        sl_error_detail(err, "so the state of \"%s\" cannot be snapshotted", r->base.workdir);
        return err->code;
    }
    /* entries in the memtables: the active one first (a switch between the two reads would count
     * a memtable twice, never miss it) */
    uint64_t act = 0, imm = 0;
    bool known = rocksdb_property_int(r->db, "rocksdb.num-entries-active-mem-table", &act) == 0 &&
                 rocksdb_property_int(r->db, "rocksdb.num-entries-imm-mem-tables", &imm) == 0;
    uint64_t need = known ? act + imm : UINT64_MAX;
    if (r->wl_fd >= 0) { /* the next write opens a new file */
        close(r->wl_fd);
        r->wl_fd = -1;
    }
    char *e = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(r->db, &e);
    if (!e) rocksdb_checkpoint_create(cp, dir, UINT64_MAX, &e); /* no flush */
    if (cp) rocksdb_checkpoint_object_destroy(cp);
    if (e) {
        sl_error_set(err, SL_ERR_STATE, "RocksDB checkpoint of \"%s\" into \"%s\" failed: %s", r->base.workdir, dir, e);
        rocksdb_free(e);
        return SL_ERR_STATE;
    }
    size_t first = r->wl_n;
    for (uint64_t have = 0; first > 0 && have < need;) have += r->wl[--first].entries;
    for (size_t i = first; i < r->wl_n; i++) {
        char src[4200], dst[4200];
        wlog_path(r, r->wl[i].num, src, sizeof src);
        snprintf(dst, sizeof dst, "%s/%06llu%s", dir, (unsigned long long)r->wl[i].num, SL_STATE_WLOG_SUFFIX);
        if (link_or_copy(src, dst) != 0)
            return sl_error_set(err, SL_ERR_IO, "cannot link the state's write log '%s' into the snapshot \"%s\": %s", src, dir,
                                strerror(errno));
    }
    for (size_t i = 0; i < first; i++) { /* every write in them is in an SST file */
        char path[4200];
        wlog_path(r, r->wl[i].num, path, sizeof path);
        unlink(path);
    }
    if (first) {
        memmove(r->wl, r->wl + first, (r->wl_n - first) * sizeof *r->wl);
        r->wl_n -= first;
    }
    return SL_OK;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Writes the log files (*.wbl) of the snapshot directory dir, oldest first, into db (a store being
 * restored; its memtables should be vectors: appends). Log files are checked record by record. */
static sl_status wlog_replay(rocksdb_t *db, const char *dir, sl_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return sl_error_set(err, SL_ERR_IO, "cannot read the directory \"%s\": %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    size_t sl = strlen(SL_STATE_WLOG_SUFFIX);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l <= sl || strcmp(de->d_name + l - sl, SL_STATE_WLOG_SUFFIX) != 0) continue;
        if (n == cap) SL_GROW(names, cap, n + 1);
        names[n++] = sl_xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names); /* NNNNNN: zero-padded, so in number order */
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(wo, 1);
    sl_status st = SL_OK;
    for (size_t i = 0; i < n && !st; i++) {
        char path[4200], what[160];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd < 0 || fstat(fd, &sb) != 0) {
            st = sl_error_set(err, SL_ERR_IO, "cannot read the state's write log '%s': %s", path, strerror(errno));
            if (fd >= 0) close(fd);
            break;
        }
        size_t size = (size_t)sb.st_size;
        const uint8_t *m = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
        close(fd);
        if (m == MAP_FAILED) {
            st = sl_error_set(err, SL_ERR_IO, "cannot read the state's write log '%s': %s", path, strerror(errno));
            break;
        }
        size_t at = 0;
        what[0] = '\0';
        if (size < 8 || memcmp(m, WLOG_MAGIC, 8) != 0) snprintf(what, sizeof what, "not a write log (no %s header)", WLOG_MAGIC);
        else at = 8;
        while (!what[0] && at < size) {
            if (size - at < WLOG_HEADER) {
                snprintf(what, sizeof what, "a record header cut after %zu of %d bytes", size - at, WLOG_HEADER);
                break;
            }
            uint32_t len = 0, count = 0;
            uint64_t sum = 0;
            for (int k = 0; k < 4; k++) len |= (uint32_t)m[at + k] << (8 * k), count |= (uint32_t)m[at + 4 + k] << (8 * k);
            for (int k = 0; k < 8; k++) sum |= (uint64_t)m[at + 8 + k] << (8 * k);
            if (len > size - at - WLOG_HEADER) {
                snprintf(what, sizeof what, "a record of %u bytes, of which %zu are there", len, size - at - WLOG_HEADER);
                break;
            }
            const char *data = (const char *)m + at + WLOG_HEADER;
            if (len < 12) { /* RocksDB's batch header: sequence number and count */
                snprintf(what, sizeof what, "a record of %u bytes, shorter than a write batch", len);
                break;
            }
            if (sl_hash64(data, len) != sum) {
                snprintf(what, sizeof what, "a record's checksum does not match");
                break;
            }
            rocksdb_writebatch_t *b = rocksdb_writebatch_create_from(data, len);
            if ((uint32_t)rocksdb_writebatch_count(b) != count) {
                snprintf(what, sizeof what, "a record of %u entries holds %d", count, rocksdb_writebatch_count(b));
            } else {
                char *e = NULL;
                rocksdb_write(db, wo, b, &e);
                if (e) {
                    snprintf(what, sizeof what, "RocksDB could not write a record: %.100s", e);
                    rocksdb_free(e);
                }
            }
            rocksdb_writebatch_destroy(b);
            if (!what[0]) at += WLOG_HEADER + len;
        }
        if (m) munmap((void *)m, size);
        if (what[0]) {
            st = sl_error_set(err, SL_ERR_STATE, "the state's write log '%s' is damaged at byte %zu: %s", path, at, what);
            sl_error_hint(err, "restore from another checkpoint (an older retained one), or start the job without restoring state");
        }
    }
    rocksdb_writeoptions_destroy(wo);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return st;
}

/* ---- snapshots and restore ---- */

/* The RocksDB checkpoint of r into dir. Thread-safe: uses only r->db, r->base.workdir and the
 * write log (under its mutex). */
static sl_status checkpoint_into(rdb_store *r, const char *dir, sl_error *err)
{
    if (r->wlog) {
        pthread_mutex_lock(&r->wl_m);
        sl_status st = wlog_checkpoint(r, dir, err);
        pthread_mutex_unlock(&r->wl_m);
        return st;
    }
    char *e = NULL;
    /* With the write-ahead log (snapshot_wal): hand the buffered log to the file, then the
     * checkpoint hard-links the SST files and copies the log as it is now (no memtable flush;
     * opening the copy replays it). Without: log_size_for_flush 0 flushes the memtables. */
    if (r->snapshot_wal) rocksdb_flush_wal(r->db, 0, &e);
    rocksdb_checkpoint_t *cp = e ? NULL : rocksdb_checkpoint_object_create(r->db, &e);
    if (!e) rocksdb_checkpoint_create(cp, dir, r->snapshot_wal ? UINT64_MAX : 0, &e);
    if (cp) rocksdb_checkpoint_object_destroy(cp);
    if (e) {
        sl_error_set(err, SL_ERR_STATE, "RocksDB checkpoint of \"%s\" into \"%s\" failed: %s", r->base.workdir, dir, e);
        rocksdb_free(e);
        return SL_ERR_STATE;
    }
    return SL_OK;
}

static sl_status rdb_snapshot(sl_state *s, const char *dir, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    return checkpoint_into(r, dir, err);
}

/* A snapshot made later on another thread (sl_state_snapshot_begin_frozen): the owner writes
 * nothing to the store until then, so the store stays as it was at begin, except for the write
 * batch the owner left open (sl_state_batch_begin), which begin takes and the write applies
 * first. Only r->db, r->wo and r->base.workdir are used off the owner's thread (RocksDB's calls
 * are thread-safe; the other two do not change while the store is open). */
typedef struct rdb_frozen {
    rdb_store *r;
    rocksdb_writebatch_t *batch; /* NULL: no batch was open, or it is written */
    char *dir;
} rdb_frozen;

/* Writes the batch begin took (once). */
static sl_status frozen_apply(rdb_frozen *f, sl_error *err)
{
    if (!f->batch) return SL_OK;
    char *e = NULL;
    if (rocksdb_writebatch_count(f->batch) > 0) rocksdb_write(f->r->db, f->r->wo, f->batch, &e);
    if (e) return rdb_error(err, f->r, "write (batch)", e);
    rocksdb_writebatch_destroy(f->batch);
    f->batch = NULL;
    return SL_OK;
}

static sl_status rdb_snap_begin_frozen(sl_state *s, const char *dir, void **out, sl_error *err)
{
    (void)err;
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    rdb_frozen *f = sl_xcalloc(1, sizeof *f);
    f->r = r;
    f->dir = sl_xstrdup(dir);
    if (r->in_batch) { /* the next sl_state_batch_begin makes a new one */
        f->batch = r->batch;
        r->batch = NULL;
        r->in_batch = false;
    }
    *out = f;
    return SL_OK;
}

static sl_status rdb_snap_write(void *view, sl_error *err)
{
    rdb_frozen *f = view;
    sl_status st = frozen_apply(f, err);
    return st ? st : checkpoint_into(f->r, f->dir, err);
}

static sl_status rdb_snap_settle(void *view, sl_error *err) { return frozen_apply(view, err); }

static void rdb_snap_free(void *view)
{
    rdb_frozen *f = view;
    if (f->batch) rocksdb_writebatch_destroy(f->batch);
    free(f->dir);
    free(f);
}

static bool rdb_is_empty(sl_state *s)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
    rocksdb_iter_seek_to_first(it);
    bool empty = !rocksdb_iter_valid(it);
    rocksdb_iter_destroy(it);
    return empty;
}

static sl_status load_flush(rdb_store *r, sl_error *err)
{
    if (!r->load || r->load_rows == 0) return SL_OK;
    char *e = NULL;
    rocksdb_write(r->db, r->wo, r->load, &e);
    rocksdb_writebatch_clear(r->load);
    r->load_rows = 0;
    if (e) return rdb_error(err, r, "write (restore)", e);
    return SL_OK;
}

static sl_status rdb_load(sl_state *s, const sl_state_entry *en, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    size_t kl;
    const uint8_t *k = encode_key(r, en->sid, en->kg, en->key, en->klen, en->ukey, en->uklen, &kl);
    const char *v = en->val;
    size_t vl = en->vlen;
    if (s->ttl_ms > 0) {
        size_t need = SL_STATE_TTL_BYTES + vl;
        if (need > r->vcap) SL_GROW(r->vbuf, r->vcap, need);
        sl_state_ttl_encode(r->vbuf, en->ts);
        if (vl) memcpy(r->vbuf + SL_STATE_TTL_BYTES, v, vl);
        v = (const char *)r->vbuf;
        vl = need;
    }
    if (!r->load) r->load = rocksdb_writebatch_create();
    rocksdb_writebatch_put(r->load, (const char *)k, kl, v ? v : "", vl);
    if (++r->load_rows >= LOAD_BATCH_ROWS) return load_flush(r, err);
    return SL_OK;
}

static sl_status rdb_load_end(sl_state *s, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    sl_status st = load_flush(r, err);
    if (r->load) rocksdb_writebatch_destroy(r->load);
    r->load = NULL;
    r->load_rows = 0;
    if (!st && r->wlog) st = flush_memtables(r, err); /* the write log never holds restored rows */
    return st;
}

static sl_status snapshot_error(sl_error *err, const char *dir, const char *what, const char *detail)
{
    sl_error_set(err, SL_ERR_STATE, "cannot restore state from \"%s\": %s", dir, what);
    if (detail && *detail) sl_error_detail(err, "%s", detail);
    sl_error_hint(err, "restore from a complete checkpoint or savepoint whose files were written by "
                       "sl_state_snapshot, or start the job without restoring state");
    return SL_ERR_STATE;
}

/* Memtables for replaying a snapshot's write-ahead log: a vector (appends, sorted once when
 * flushed or scanned) instead of the skip list. Replaying ~60 MB of a join's WAL into a skip list
 * took 4.9 s at 10M keys, nearly all of it skip-list inserts; with a vector 2.2 s (bench/checkpoint). */
static void replay_memtables(rocksdb_options_t *o)
{
    rocksdb_options_set_memtable_vector_rep(o);
    rocksdb_options_set_allow_concurrent_memtable_write(o, 0); /* the vector does not support it */
}

/* Read-only options for a snapshot: nothing is written into its directory (a read-only open
 * creates no LOG, LOCK or OPTIONS file). Its WAL, if any, is replayed into vector memtables (one
 * scan reads them). */
static rocksdb_options_t *read_only_options(void)
{
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(o, 0);
    rocksdb_options_set_info_log_level(o, ROCKSDB_LOG_WARN);
    rocksdb_options_set_max_open_files(o, 256);
    replay_memtables(o);
    return o;
}

static sl_status take_files(const char *dir, const char *to, bool *wal, bool *wlogs, sl_error *err);

/* A snapshot with write logs cannot be read in place: it is opened in a working copy next to it
 * (<dir>.replay-XXXXXX: SST files linked), and the logs are written into that. */
static rocksdb_t *open_replayed(const char *dir, rocksdb_options_t *opts, char **copy, sl_error *err)
{
    size_t n = strlen(dir) + 32;
    *copy = sl_xmalloc(n);
    snprintf(*copy, n, "%s.replay-XXXXXX", dir);
    if (!mkdtemp(*copy)) {
        snapshot_error(err, dir, "cannot make a working copy to replay its write logs into", strerror(errno));
        free(*copy);
        *copy = NULL;
        return NULL;
    }
    bool wal, wlogs;
    rocksdb_t *db = NULL;
    char *e = NULL;
    sl_status st = take_files(dir, *copy, &wal, &wlogs, err);
    if (!st) db = rocksdb_open(opts, *copy, &e);
    if (e) {
        snapshot_error(err, dir, "RocksDB could not open the snapshot", e);
        rocksdb_free(e);
        db = NULL;
    }
    if (db && (st = wlog_replay(db, dir, err))) {
        rocksdb_close(db);
        db = NULL;
    }
    if (!db) {
        sl_state_workdir_remove(*copy);
        free(*copy);
        *copy = NULL;
    }
    return db;
}

/* Whether dir holds write logs (*.wbl). */
static bool has_wlogs(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    size_t sl = strlen(SL_STATE_WLOG_SUFFIX);
    for (struct dirent *de; !found && (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        found = l > sl && strcmp(de->d_name + l - sl, SL_STATE_WLOG_SUFFIX) == 0;
    }
    closedir(d);
    return found;
}

sl_status sl_state_rocksdb_read_snapshot(const char *dir, bool has_ts, int kg_lo, int kg_hi, sl_state_entry_fn fn,
                                         void *ctx, sl_error *err)
{
    rocksdb_options_t *opts = read_only_options();
    char *e = NULL, *copy = NULL;
    rocksdb_t *db;
    if (has_wlogs(dir)) {
        db = open_replayed(dir, opts, &copy, err);
        if (!db) {
            rocksdb_options_destroy(opts);
            return err->code;
        }
    } else {
        db = rocksdb_open_for_read_only(opts, dir, 0, &e);
    }
    if (e) {
        snapshot_error(err, dir, "RocksDB could not open the snapshot", e);
        rocksdb_free(e);
        rocksdb_options_destroy(opts);
        return SL_ERR_STATE;
    }
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_fill_cache(ro, 0);
    rocksdb_readoptions_set_readahead_size(ro, 2u << 20);
    char lo[2] = {(char)(kg_lo >> 8), (char)(kg_lo & 0xFF)};
    char hi[2] = {(char)((kg_hi + 1) >> 8), (char)((kg_hi + 1) & 0xFF)};
    if (kg_hi < 65535) rocksdb_readoptions_set_iterate_upper_bound(ro, hi, 2);
    rocksdb_iterator_t *it = rocksdb_create_iterator(db, ro);
    sl_status st = SL_OK;
    for (rocksdb_iter_seek(it, lo, 2); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl);
        const char *v = rocksdb_iter_value(it, &vl);
        int64_t l = row_key_len(k, kl);
        if (l < 0) {
            char what[96];
            snprintf(what, sizeof what, "corrupt row key of %zu bytes", kl);
            st = snapshot_error(err, dir, what, NULL);
            break;
        }
        const uint8_t *u = (const uint8_t *)k;
        sl_state_entry en = {0};
        en.kg = u[0] << 8 | u[1];
        en.sid = u[2];
        if (en.kg > kg_hi) break;
        en.key = k + SL_STATE_KEY_HEADER;
        en.klen = (size_t)l;
        en.ukey = k + SL_STATE_KEY_HEADER + l;
        en.uklen = kl - SL_STATE_KEY_HEADER - (size_t)l;
        en.has_ts = has_ts;
        if (has_ts) {
            if (vl < SL_STATE_TTL_BYTES) {
                char what[96];
                snprintf(what, sizeof what, "corrupt value of %zu bytes (no TTL header)", vl);
                st = snapshot_error(err, dir, what, NULL);
                break;
            }
            en.ts = sl_state_ttl_decode((const uint8_t *)v);
            v += SL_STATE_TTL_BYTES;
            vl -= SL_STATE_TTL_BYTES;
        }
        en.val = v;
        en.vlen = vl;
        st = fn(ctx, &en, err);
        if (st != SL_OK) break;
    }
    if (st == SL_OK) {
        rocksdb_iter_get_error(it, &e);
        if (e) {
            st = snapshot_error(err, dir, "RocksDB could not read the snapshot", e);
            rocksdb_free(e);
        }
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    rocksdb_close(db);
    rocksdb_options_destroy(opts);
    if (copy) {
        sl_state_workdir_remove(copy);
        free(copy);
    }
    return st;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Links (or copies) the snapshot's files into the empty directory to. SST (and blob) files are
 * immutable and hard-linked; the small metadata files RocksDB rewrites (CURRENT, MANIFEST, OPTIONS)
 * and write-ahead logs are copied, so nothing RocksDB does in `to` can reach the snapshot. Info
 * logs, locks, the IDENTITY (a restored DB gets a new one) and Sluice's own files are left out.
 * *wal: whether a non-empty write-ahead log was taken; *wlogs: whether dir has write logs (not
 * taken: the caller replays them from dir, wlog_replay). */
static sl_status take_files(const char *dir, const char *to, bool *wal, bool *wlogs, sl_error *err)
{
    *wal = *wlogs = false;
    DIR *d = opendir(dir);
    if (!d) return snapshot_error(err, dir, strerror(errno), NULL);
    sl_status st = SL_OK;
    bool can_link = true;
    size_t dl = strlen(dir), tl = strlen(to);
    for (struct dirent *de; st == SL_OK && (de = readdir(d)) != NULL;) {
        const char *n = de->d_name;
        /* (*.log files are write-ahead logs: a snapshot of a store with snapshot_wal has its
         * unflushed writes in one; "LOG*" are RocksDB's info logs) */
        if (n[0] == '.' || strncmp(n, "SLUICE_", 7) == 0 || strncmp(n, "LOG", 3) == 0 || strcmp(n, "LOCK") == 0 ||
            strcmp(n, "IDENTITY") == 0)
            continue;
        size_t nl = strlen(n);
        char *src = sl_xmalloc(dl + nl + 2), *dst = sl_xmalloc(tl + nl + 2);
        snprintf(src, dl + nl + 2, "%s/%s", dir, n);
        snprintf(dst, tl + nl + 2, "%s/%s", to, n);
        struct stat sb;
        if (lstat(src, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            st = snapshot_error(err, dir, "unexpected entry in a RocksDB snapshot", n);
        } else {
            bool immutable = has_suffix(n, ".sst") || has_suffix(n, ".blob");
            if (has_suffix(n, ".log") && sb.st_size > 0) *wal = true;
            bool done = false;
            if (has_suffix(n, SL_STATE_WLOG_SUFFIX)) { /* replayed from dir, not taken */
                *wlogs = true;
                done = true;
            }
            if (immutable && can_link) {
                done = link(src, dst) == 0;
                if (!done) can_link = false; /* EXDEV, EPERM, EMLINK...: copy from now on */
            }
            if (!done && sl_fs_copy_file(src, dst, true, false, NULL) != 0) {
                char what[600];
                snprintf(what, sizeof what, "could not copy %s to \"%s\": %s", n, to, strerror(errno));
                st = snapshot_error(err, dir, what, NULL);
            }
        }
        free(src);
        free(dst);
    }
    closedir(d);
    return st;
}

/* Deletes [begin, end) from the store: first the SST files wholly inside it (cheap, gives the disk
 * back), then a range tombstone for the rest. */
static sl_status delete_range(rdb_store *r, const char *begin, size_t bl, const char *end, size_t el, sl_error *err)
{
    char *e = NULL;
    rocksdb_delete_file_in_range(r->db, begin, bl, end, el, &e);
    if (e) return rdb_error(err, r, "delete files in range (restore)", e);
    /* rocksdb_delete_range_cf needs a column family handle, which RocksDB 7.8's C API only gives
     * for column families opened by name; a write batch's delete_range works on the default one. */
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writebatch_delete_range(wb, begin, bl, end, el);
    rocksdb_write(r->db, r->wo, wb, &e);
    rocksdb_writebatch_destroy(wb);
    if (e) return rdb_error(err, r, "delete range (restore)", e);
    return SL_OK;
}

/* Deletes every row whose key group is outside [kg_lo, kg_hi] (nothing when there is none). */
static sl_status trim_key_groups(rdb_store *r, int kg_lo, int kg_hi, sl_error *err)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
    sl_status st = SL_OK;
    size_t kl;
    rocksdb_iter_seek_to_first(it);
    if (rocksdb_iter_valid(it)) {
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl < 2 || (k[0] << 8 | k[1]) < kg_lo) {
            char end[2] = {(char)(kg_lo >> 8), (char)(kg_lo & 0xFF)};
            st = delete_range(r, "", 0, end, 2, err);
        }
    }
    if (st == SL_OK) rocksdb_iter_seek_to_last(it);
    if (st == SL_OK && rocksdb_iter_valid(it)) {
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        if (kl >= 2 && (k[0] << 8 | k[1]) > kg_hi) { /* then kg_hi < 65535 */
            char begin[2] = {(char)((kg_hi + 1) >> 8), (char)((kg_hi + 1) & 0xFF)};
            char *end = sl_xmalloc(kl + 1); /* just past the last row */
            memcpy(end, k, kl);
            end[kl] = '\0';
            st = delete_range(r, begin, 2, end, kl + 1, err);
            free(end);
        }
    }
    if (st == SL_OK) {
        char *e = NULL;
        rocksdb_iter_get_error(it, &e);
        if (e) st = rdb_error(err, r, "scan (restore)", e);
    }
    rocksdb_iter_destroy(it);
    return st;
}

sl_status sl_state_rocksdb_restore_files(sl_state *s, const char *dir, int kg_lo, int kg_hi, sl_error *err)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    char *nd = NULL;
    sl_status st = sl_state_workdir_create(r->parent, r->name, &nd, err);
    if (st != SL_OK) return st;
    bool wal = false, wlogs = false;
    st = take_files(dir, nd, &wal, &wlogs, err);
    rocksdb_t *db = NULL;
    if (st == SL_OK) {
        char *e = NULL;
        rocksdb_options_set_create_if_missing(r->opts, 0); /* no CURRENT: an error, not an empty DB */
        if (wal || wlogs) {
            /* replay the WAL into vector memtables, which the open flushes into SST files and
             * then drops the log, and the write logs (written into them and flushed, then
             * removed); the store's own open below has nothing left to replay */
            rocksdb_options_t *ro = rocksdb_options_create_copy(r->opts);
            replay_memtables(ro);
            rocksdb_t *rdb = rocksdb_open(ro, nd, &e);
            if (rdb && wlogs && !(st = wlog_replay(rdb, dir, err))) flush_db(rdb, &e);
            if (rdb) rocksdb_close(rdb);
            rocksdb_options_destroy(ro);
        }
        if (!e && !st) db = rocksdb_open(r->opts, nd, &e);
        rocksdb_options_set_create_if_missing(r->opts, 1);
        if (e) {
            st = snapshot_error(err, dir, "RocksDB could not open (or replay the logs into) the restored copy", e);
            rocksdb_free(e);
            db = NULL;
        }
    }
    if (st != SL_OK) {
        sl_state_workdir_remove(nd);
        free(nd);
        return st;
    }
    /* The store now works in the new directory; the empty one goes. */
    rocksdb_close(r->db);
    r->db = db;
    sl_state_workdir_remove(r->base.workdir);
    free(r->base.workdir);
    r->base.workdir = nd;
    set_instance(r);
    if (r->wl_fd >= 0) close(r->wl_fd); /* (logs of the old directory, if any: gone with it) */
    r->wl_fd = -1;
    r->wl_n = 0;
    st = trim_key_groups(r, kg_lo, kg_hi, err);
    if (!st && r->wlog) st = flush_memtables(r, err); /* the write log never holds restored rows */
    return st;
}

static const sl_state_vt rdb_vt = {
    .get = rdb_get,
    .put = rdb_put,
    .del = rdb_del,
    .scan = rdb_scan,
    .next = rdb_next,
    .iter_free = rdb_iter_free,
    .stats = rdb_stats,
    .close = rdb_close,
    .batch_begin = rdb_batch_begin,
    .batch_commit = rdb_batch_commit,
    .batch_take = rdb_batch_take,
    .batch_write = rdb_batch_write,
    .batch_free = rdb_batch_free,
    .snapshot = rdb_snapshot,
    .snap_begin_frozen = rdb_snap_begin_frozen,
    .snap_write = rdb_snap_write,
    .snap_free = rdb_snap_free,
    .snap_settle = rdb_snap_settle,
    .is_empty = rdb_is_empty,
    .load = rdb_load,
    .load_end = rdb_load_end,
    .scan_group = rdb_scan_group,
    .next_entry = rdb_next_entry,
};

sl_status sl_state_rocksdb_open(const sl_state_options *o, sl_state **out, sl_error *err)
{
    rdb_store *r = sl_xcalloc(1, sizeof *r);
    r->wl_fd = -1;
    r->base.vt = &rdb_vt;
    r->base.kind = SL_STATE_ROCKSDB;
    r->base.ttl_ms = o->ttl_ms;
    r->base.now_ms = o->now_ms;
    r->base.now_ctx = o->now_ctx;
    r->ttl.ttl_ms = o->ttl_ms;
    r->ttl.s = &r->base;
    atomic_init(&r->ttl.expired, 0);

    r->parent = o->dir && *o->dir ? sl_xstrdup(o->dir) : NULL;
    r->name = o->name && *o->name ? sl_xstrdup(o->name) : NULL;
    sl_status st = sl_state_workdir_create(o->dir, o->name, &r->base.workdir, err);
    if (st != SL_OK) {
        rdb_free(r);
        return st;
    }
    set_instance(r);

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

    r->snapshot_wal = o->snapshot_wal && !o->write_log;
    if (r->snapshot_wal) rocksdb_options_set_manual_wal_flush(r->opts, 1);
    r->wlog = o->write_log;
    if (r->wlog) {
        pthread_mutex_init(&r->wl_m, NULL);
        r->wl_next = 1;
    }
    rocksdb_options_set_db_write_buffer_size(r->opts, (size_t)wb);
    int nmem = o->memtables > 0 ? o->memtables : 2;
    rocksdb_options_set_write_buffer_size(r->opts, (size_t)(wb / (uint64_t)nmem));
    rocksdb_options_set_max_write_buffer_number(r->opts, nmem);
    /* more memtables: a level-0 compaction at 3 files per memtable, not RocksDB's 4 files. The
     * store with more memtables is the join's in a job with checkpoints. When each checkpoint's
     * flush added a level-0 file smaller than a memtable (before its write log), at 2 files per
     * memtable (8) its L0->L1
     * compactions (each rewrites all of L1: join keys are spread over the whole key range) came
     * often enough to cost 40% more compaction CPU than the same job without checkpoints; at 12
     * they cost less than without (perf, 10M keys: 12,248 -> 7,232 and 7,472 samples; A 8,611).
     * Below RocksDB's write slowdown at 20 files; at 16 the job slowed down (172 s, p99 1.9 s). */
    if (nmem > 2) rocksdb_options_set_level0_file_num_compaction_trigger(r->opts, 3 * nmem);
    /* SST files go to disk as they are written (1 MB at a time), not in one sync at their end: a
     * checkpoint that flushes the memtables waits far less for the disk */
    rocksdb_options_set_bytes_per_sync(r->opts, 1u << 20);

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
    /* RocksDB's perf counters (on by default: kEnableCount) cost every get and write a
     * thread-local lookup through __tls_get_addr in Debian's shared librocksdb; nothing reads
     * them. The level is per thread: the owner's here, the writer's in rdb_batch_write. */
    rocksdb_set_perf_level(PERF_LEVEL_OFF);
    r->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(r->wo, r->snapshot_wal ? 0 : 1);
    r->ro = rocksdb_readoptions_create();
    *out = &r->base;
    return SL_OK;
}

/* ---- white-box hooks for tests ---- */

void sl_state_rocksdb_compact(sl_state *s)
{
    rdb_store *r = (rdb_store *)s;
    release_pin(r);
    char *e = NULL;
    flush_db(r->db, &e);
    rocksdb_free(e);
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
