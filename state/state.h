/* state/state.h — keyed state of one operator subtask: RocksDB (default) or in memory (hashmap),
 * behind one interface.
 *
 * Model (Flink's keyed state, flattened): a store holds several named states (sid 0..255, e.g.
 * "left rows", "right rows", "accumulators"). Each state maps a *key* (the serialized partition
 * key of a record, e.g. a join key) to a map of *user keys* to values; a value state is the map
 * with an empty user key. Every key belongs to a key group (runtime/task.h sl_row_key_group), and
 * a store only holds the key groups of its subtask's range, so state can later be split or merged
 * by key-group range (rescaling) and snapshotted by range (checkpoints).
 *
 *   RocksDB layout: one DB per store; row key = kg (u16 big endian) | sid (u8) | len(key) (u32 BE) |
 *   key | user key — so a key group range is a contiguous key range and one key's entries are a
 *   prefix. Memory: one LRU block cache (with index and filter blocks charged to it and a
 *   high-priority pool) and a total memtable budget, both from the slot's managed memory; bloom
 *   filters on whole row keys (they serve gets; there is no prefix extractor, scans do not use
 *   them); index and filters partitioned so a small cache holds the parts in use. No WAL: state is
 *   rebuilt from checkpoints. The working directory
 *   <dir>/sluice-state-<pid>-<name>-<random> is created under `dir` and removed on close;
 *   directories left by a crashed process (named sluice-state-<pid>-..., pid no longer alive) are
 *   removed when a store opens.
 *
 *   hashmap layout: a hash table of (sid, kg, key) -> a small table of user key -> value, in the
 *   process heap.
 *
 *   Snapshots (checkpoints) and restore by key-group range: sl_state_snapshot / sl_state_restore
 *   below, docs/state.md.
 *
 * TTL (table.exec.state.ttl): with ttl_ms > 0 every value carries its last write time; a read of an
 * expired value finds nothing (and deletes it), scans skip expired entries, and RocksDB drops
 * expired entries in compaction (a compaction filter). Each expired entry that is dropped is
 * counted (sl_state_stats.expired); scans drop (delete) the expired entries they skip, so an entry
 * is counted once. An entry is expired when last write + ttl_ms < now. The stored value carries an
 * 8-byte little-endian write time in front of the user value (rocksdb); get/iterators return the
 * user value only.
 *
 * Threading: a store belongs to its subtask's thread; no call is thread-safe. Pointers returned by
 * get / iterators are valid until the next call on the store (or the iterator). RocksDB's own
 * background threads call now_ms (TTL compaction filter), so a custom clock must be thread-safe.
 * Free every iterator before closing its store. The exception: sl_state_snap_write and
 * sl_state_snap_free of a snapshot view run on another thread, concurrently with the store's
 * thread (see sl_state_snapshot_begin).
 *
 * Arguments: sid 0..255, kg 0..65535 (SL_ERR_INVALID otherwise); key and user key are any bytes
 * (zero bytes included; NULL with length 0 is allowed). */
#ifndef SLUICE_STATE_STATE_H
#define SLUICE_STATE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum sl_state_kind { SL_STATE_ROCKSDB, SL_STATE_HASHMAP } sl_state_kind;

typedef struct sl_state_options {
    sl_state_kind kind;
    const char *dir;             /* parent of the working directory (rocksdb): io.tmp.dirs or localdir;
                                    created if missing; NULL = /tmp */
    const char *name;            /* part of the working directory's name, e.g. "<operator id>-<subtask>" */
    uint64_t block_cache_bytes;  /* rocksdb: LRU block cache (index and filter blocks included); 0 = 8 MiB */
    uint64_t write_buffer_bytes; /* rocksdb: all memtables together (2 of half this size); 0 = 8 MiB */
    double high_prio_pool_ratio; /* rocksdb: share of the cache for index and filter blocks. Not
                                    applied: the RocksDB 7.8 C API cannot set it, RocksDB's 0.5 is
                                    used (index/filter blocks still go to the high-priority pool) */
    double bloom_bits_per_key;   /* rocksdb: 0 = no bloom filter */
    int64_t ttl_ms;              /* 0 = entries never expire */
    int64_t (*now_ms)(void *ctx);/* clock for TTL (NULL = wall clock); tests pass their own */
    void *now_ctx;
    bool snapshot_wal;           /* rocksdb, for stores that are snapshotted often: writes also go
                                    to a write-ahead log (buffered in memory, never synced), and a
                                    snapshot copies that log instead of flushing the memtables,
                                    which keeps the snapshot's synchronous part short */
    bool write_log;              /* rocksdb, for a store snapshotted off its thread while nothing
                                    writes to it (the join's cached store): no write-ahead log;
                                    every write is also appended to the store's own log files
                                    (*.wbl, SL_STATE_WLOG_SUFFIX), and a snapshot neither flushes
                                    nor copies anything: it links the newest log files holding
                                    what the memtables hold, which a restore replays
                                    (docs/state.md "The write log"). Overrides snapshot_wal. */
    int memtables;               /* rocksdb: the write buffer is split into this many memtables
                                    (0 = 2); with more than 2, a level-0 compaction starts at
                                    three times as many files.
                                    More, smaller memtables: a snapshot that flushes them (the
                                    join's) has less to flush, at the same compaction rate */
} sl_state_options;

/* Suffix of the write logs in a RocksDB snapshot (sl_state_options.write_log): immutable files,
 * like its *.sst. */
#define SL_STATE_WLOG_SUFFIX ".wbl"

typedef struct sl_state sl_state;

sl_status sl_state_open(const sl_state_options *o, sl_state **out, sl_error *err);
/* Closes the store and removes its working directory. */
void sl_state_close(sl_state *s);

/* The value of (sid, kg, key, user key); *found = false if absent or expired. */
sl_status sl_state_get(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                       const void **val, size_t *vlen, bool *found, sl_error *err);
sl_status sl_state_put(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                       const void *val, size_t vlen, sl_error *err);
sl_status sl_state_delete(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                          sl_error *err);

/* Iterates the entries of one key (all its user keys, in byte order for rocksdb, any order for
 * hashmap). Deleting or putting entries of the same key while iterating is not allowed. */
typedef struct sl_state_iter sl_state_iter;
sl_status sl_state_scan(sl_state *s, int sid, int kg, const void *key, size_t klen, sl_state_iter **it, sl_error *err);
/* Next live entry; false at the end (or on an error: sl_state_iter_error). */
bool sl_state_iter_next(sl_state_iter *it, const void **ukey, size_t *uklen, const void **val, size_t *vlen);
sl_status sl_state_iter_error(const sl_state_iter *it, sl_error *err);
void sl_state_iter_free(sl_state_iter *it);

/* Write batching: between sl_state_batch_begin and sl_state_batch_commit, puts and deletes are
 * collected and applied together at commit (rocksdb: one WriteBatch, much cheaper than one write
 * each); reads and scans during a batch do not see them. hashmap: applied at once. */
void sl_state_batch_begin(sl_state *s);
sl_status sl_state_batch_commit(sl_state *s, sl_error *err);
/* Write-behind: instead of committing it, the owner takes the batch begun with
 * sl_state_batch_begin (NULL: the backend applies writes at once, nothing to take), and another
 * thread writes it with sl_state_batch_write while the owner goes on reading and writing the
 * store; batches taken are written in the order taken by one thread. A read of the store sees a
 * taken batch only once it is written: the owner must wait for that before reading keys in it. */
typedef struct sl_state_batch sl_state_batch;
sl_state_batch *sl_state_batch_take(sl_state *s);
sl_status sl_state_batch_write(sl_state *s, sl_state_batch *b, sl_error *err); /* any thread */
void sl_state_batch_free(sl_state *s, sl_state_batch *b);
/* The order (state.h's RocksDB layout)  of two keys' row keys (no user key) in RocksDB (bytewise): <0, 0, >0. Writes given
 * to RocksDB in this order insert into its memtable much faster than in random order. */
int sl_state_key_cmp(int sid_a, int kg_a, const void *key_a, size_t klen_a, int sid_b, int kg_b, const void *key_b,
                     size_t klen_b);

typedef struct sl_state_stats {
    uint64_t expired;         /* entries dropped because their TTL passed */
    uint64_t memory_bytes;    /* hashmap: heap bytes held; rocksdb: memtables + block cache usage */
    uint64_t disk_bytes;      /* rocksdb: SST + WAL bytes on disk (approximate) */
} sl_state_stats;
void sl_state_get_stats(sl_state *s, sl_state_stats *st);

const char *sl_state_kind_name(sl_state_kind k);

/* ---- Snapshots and restore by key-group range (checkpoints, rescaling; docs/state.md) ----
 *
 * sl_state_snapshot writes a consistent, self-contained copy of the whole store into `dir`, which
 * must not exist yet (its parent is created if missing; SL_ERR_EXISTS if dir exists). Writes after
 * it returns are not in the snapshot, and nothing in `dir` changes afterwards. rocksdb: a RocksDB
 * checkpoint (memtables flushed into it, SST files hard-linked under RocksDB's own names, copied
 * when the file system cannot link); hashmap: one dump file. Either way `dir` also gets
 *   SLUICE_INSTANCE  one line: an id unique to this store instance (an uploader may dedup *.sst
 *                    files by (instance, file name): they never change);
 *   SLUICE_STATE     the backend and format version (written last: a snapshot without it is
 *                    incomplete).
 * TTL write times are kept as stored. On failure the partly written `dir` is removed.
 * sl_state_snapshot is sl_state_snapshot_begin + sl_state_snap_write + sl_state_snap_free. */
sl_status sl_state_snapshot(sl_state *s, const char *dir, sl_error *err);

/* The same snapshot in two steps, for checkpoints whose expensive part runs on another thread
 * (docs/state.md "Asynchronous snapshots"):
 *
 * sl_state_snapshot_begin (the store's thread; the synchronous part) fixes what the snapshot holds:
 *   the store as it is now. rocksdb: the whole snapshot is made here (a RocksDB checkpoint is
 *   cheap) and the write is a no-op. hashmap: creates `dir` and opens a copy-on-write view of the
 *   table (a copy of its slot array, nothing else); from then on the first change of a key the
 *   view holds (put, delete, TTL expiry) copies that key first, and the view keeps the old copy.
 * sl_state_snap_write (any one thread, at most once, while the store's thread keeps using the
 *   store) writes the files of the view into `dir`; the same files as sl_state_snapshot. On failure
 *   `dir` is removed. It releases what the view retained once the files are written.
 * sl_state_snap_free (any thread, exactly once, written or not) releases the view.
 *
 * One view per store at a time: a begin while the previous view of the store is still open
 * finishes that view first (writes its files on the calling thread, or waits for the thread
 * writing them); its own sl_state_snap_write then returns that result. Free every snap before
 * closing its store. */
typedef struct sl_state_snap sl_state_snap;
sl_status sl_state_snapshot_begin(sl_state *s, const char *dir, sl_state_snap **out, sl_error *err);
/* As sl_state_snapshot_begin, for a caller that writes nothing to the store until
 * sl_state_snap_write returned (the join's cache freezes: sl_kcache_freeze): rocksdb then makes
 * its checkpoint in sl_state_snap_write too, after writing the batch the caller left open
 * (sl_state_batch_begin without commit), so nothing of it runs on the store's thread. */
sl_status sl_state_snapshot_begin_frozen(sl_state *s, const char *dir, sl_state_snap **out, sl_error *err);
/* After a frozen snapshot's write failed, or when it will not run (the checkpoint was aborted):
 * applies to the store what begin took from the caller (rocksdb: the open write batch), so the
 * store holds every value again (any thread, before the caller writes again); a no-op when the
 * write got that far or for other snapshots. */
sl_status sl_state_snap_settle(sl_state_snap *snap, sl_error *err);
sl_status sl_state_snap_write(sl_state_snap *snap, sl_error *err);
void sl_state_snap_free(sl_state_snap *snap);

/* Loads into a freshly opened, empty store (SL_ERR_INVALID otherwise) every entry whose key group
 * is in [kg_lo, kg_hi] from the n snapshot directories (made by sl_state_snapshot, by any store,
 * either backend, any key-group range), and nothing else: n = 1 with a superset range scales up,
 * several dirs scale down. The snapshot directories are only read. The store's TTL may differ from
 * the snapshot's: write times are kept; entries of a snapshot taken without TTL get the restore
 * time. rocksdb from one rocksdb snapshot (same TTL setting) takes the snapshot's files over (hard
 * links, copies across file systems) and deletes the key groups outside the range; every other
 * case copies entries. A missing, incomplete or corrupt directory, or one of an unknown format
 * version, fails with SL_ERR_STATE naming it; the store may then hold part of the data: close it. */
sl_status sl_state_restore(sl_state *s, const char *const *dirs, int n, int kg_lo, int kg_hi, sl_error *err);

/* Iterates every entry of one (sid, key group), with its key: in byte order of (key, user key) for
 * rocksdb, any order for hashmap; expired entries are skipped (and dropped) as by sl_state_scan.
 * Read it with sl_state_iter_next_entry (sl_state_iter_next also works: it omits the key). The
 * store may be read and written meanwhile, except the entries of this (sid, key group). hashmap: the
 * call walks the whole table (O(store size)); meant for rebuilding indexes after a restore. */
sl_status sl_state_scan_group(sl_state *s, int sid, int kg, sl_state_iter **it, sl_error *err);
/* Next live entry with its key; works on sl_state_scan iterators too (the scanned key). false at
 * the end or on an error (sl_state_iter_error). */
bool sl_state_iter_next_entry(sl_state_iter *it, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                              const void **val, size_t *vlen);

/* Removes the per-process working directories that dead processes left in dir (a crashed or killed
 * run's): sluice-state-, sluice-changelog-, sluice-cp-, sluice-kafka-wal- followed by the pid;
 * returns how many. */
int sl_state_workdir_cleanup(const char *dir);

#ifdef SL_STATE_INTERNAL
/* ---- Internal: shared by the sources in state/ and white-box tests; not part of the interface. ---- */
struct sl_state_entry;
typedef struct sl_state_vt {
    sl_status (*get)(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                     const void **val, size_t *vlen, bool *found, sl_error *err);
    sl_status (*put)(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                     const void *val, size_t vlen, sl_error *err);
    sl_status (*del)(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                     sl_error *err);
    sl_status (*scan)(sl_state *s, int sid, int kg, const void *key, size_t klen, sl_state_iter **it, sl_error *err);
    bool (*next)(sl_state_iter *it, const void **ukey, size_t *uklen, const void **val, size_t *vlen);
    void (*iter_free)(sl_state_iter *it);
    void (*stats)(sl_state *s, sl_state_stats *st);
    void (*close)(sl_state *s);
    /* snapshots: writes the backend's data into dir (the backend creates dir) */
    sl_status (*snapshot)(sl_state *s, const char *dir, sl_error *err);
    /* two-step snapshots (NULL: snapshot does it all in the synchronous part): snap_begin creates
     * dir and returns a view; snap_write writes its data into dir (another thread); snap_free
     * releases the view (any thread) */
    sl_status (*snap_begin)(sl_state *s, const char *dir, void **view, sl_error *err);
    /* sl_state_snapshot_begin_frozen (NULL: as snap_begin); it does not create dir */
    sl_status (*snap_begin_frozen)(sl_state *s, const char *dir, void **view, sl_error *err);
    sl_status (*snap_settle)(void *view, sl_error *err); /* sl_state_snap_settle (NULL: nothing to do) */
    sl_status (*snap_write)(void *view, sl_error *err);
    void (*snap_free)(void *view);
    bool (*is_empty)(sl_state *s);
    /* restore: adds one entry as stored (e->ts valid); load_end after the last one */
    sl_status (*load)(sl_state *s, const struct sl_state_entry *e, sl_error *err);
    sl_status (*load_end)(sl_state *s, sl_error *err);
    sl_status (*scan_group)(sl_state *s, int sid, int kg, sl_state_iter **it, sl_error *err);
    bool (*next_entry)(sl_state_iter *it, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                       const void **val, size_t *vlen);
    void (*batch_begin)(sl_state *s);                     /* NULL: writes apply at once */
    sl_status (*batch_commit)(sl_state *s, sl_error *err);
    sl_state_batch *(*batch_take)(sl_state *s);                                 /* NULL: nothing to take */
    sl_status (*batch_write)(sl_state *s, sl_state_batch *b, sl_error *err); /* thread-safe */
    void (*batch_free)(sl_state *s, sl_state_batch *b);
} sl_state_vt;

/* One entry read from a snapshot. */
typedef struct sl_state_entry {
    int sid, kg;
    const void *key, *ukey, *val;
    size_t klen, uklen, vlen;
    int64_t ts;  /* write time (valid when has_ts) */
    bool has_ts; /* the snapshot's store had a TTL */
} sl_state_entry;
typedef sl_status (*sl_state_entry_fn)(void *ctx, const sl_state_entry *e, sl_error *err);

/* First member of every backend's store and iterator. */
struct sl_state {
    const sl_state_vt *vt;
    sl_state_kind kind;
    int64_t ttl_ms;
    int64_t (*now_ms)(void *ctx);
    void *now_ctx;
    char *workdir; /* rocksdb: the working directory; NULL for hashmap */
    char instance[160]; /* SLUICE_INSTANCE of its snapshots */
};
struct sl_state_iter {
    sl_state *s;
    sl_error err; /* err.code != SL_OK after a failed next */
    bool group;   /* made by sl_state_scan_group */
};

#define SL_STATE_TTL_BYTES 8
int64_t sl_state_now(const sl_state *s);
/* True if a value written at ts has expired at now (ts + ttl < now); never with ttl <= 0. */
bool sl_state_expired(int64_t ts, int64_t ttl_ms, int64_t now);
void sl_state_ttl_encode(uint8_t out[SL_STATE_TTL_BYTES], int64_t ts);
int64_t sl_state_ttl_decode(const uint8_t in[SL_STATE_TTL_BYTES]);
/* RocksDB row key: kg (u16 BE) | sid (u8) | klen (u32 BE) | key | ukey. The prefix is all but ukey. */
#define SL_STATE_KEY_HEADER 7
size_t sl_state_key_encode(uint8_t *out, int sid, int kg, const void *key, size_t klen, const void *ukey,
                           size_t uklen);
/* Working directories: <dir>/sluice-state-<pid>-<name>-<random>. */
sl_status sl_state_workdir_create(const char *dir, const char *name, char **path, sl_error *err);
void sl_state_workdir_remove(const char *path);

sl_status sl_state_rocksdb_open(const sl_state_options *o, sl_state **out, sl_error *err);
sl_status sl_state_hashmap_open(const sl_state_options *o, sl_state **out, sl_error *err);

/* Snapshot formats. SLUICE_STATE (text): "sluice-state <version>", "backend <name>", "ttl <0|1>"
 * (whether values carry write times), one per line. */
#define SL_STATE_SNAPSHOT_VERSION 1
#define SL_STATE_FILE_META "SLUICE_STATE"
#define SL_STATE_FILE_INSTANCE "SLUICE_INSTANCE"
#define SL_STATE_FILE_DUMP "hashmap.dump"
/* Calls fn for each entry of the snapshot in dir with kg_lo <= kg <= kg_hi. */
sl_status sl_state_rocksdb_read_snapshot(const char *dir, bool has_ts, int kg_lo, int kg_hi, sl_state_entry_fn fn,
                                         void *ctx, sl_error *err);
sl_status sl_state_hashmap_read_snapshot(const char *dir, bool has_ts, int kg_lo, int kg_hi, sl_state_entry_fn fn,
                                         void *ctx, sl_error *err);
/* rocksdb fast restore: the store (empty) takes over the files of the rocksdb snapshot in dir and
 * deletes the key groups outside [kg_lo, kg_hi]. */
sl_status sl_state_rocksdb_restore_files(sl_state *s, const char *dir, int kg_lo, int kg_hi, sl_error *err);
/* rocksdb white-box hooks for tests: flush + full compaction; number of raw rows in the DB (expired
 * or not). */
void sl_state_rocksdb_compact(sl_state *s);
uint64_t sl_state_rocksdb_raw_count(sl_state *s);
#endif

#endif
