/* runtime/kcache.h — a write-back cache of keyed state values in front of the state backend,
 * inside the operator's managed-memory budget.
 *
 * Why: a stateful operator that reads and writes RocksDB for every record is capped by RocksDB's
 * point lookups (~50-70K/s per core here). Most joins find their partner while its state is still
 * recent, and most keys are new: the cache keeps recent values in memory, writes a value to the
 * backend only when it is evicted (coldest first, clock algorithm; in groups down to 1/64 under
 * the budget, written in RocksDB write batches sorted in the store's key order, by the cache's
 * writer thread: sl_kcache_wait_written), and remembers in a Bloom filter
 * which keys it has ever written there, so a key that was never evicted costs no backend lookup at
 * all. Memory is bounded by the budget given at creation; beyond it, values live in RocksDB.
 *
 * Keys are (sid, key group, key bytes) as in state/state.h, for value states (no user key).
 * A cache belongs to its operator's thread (the owner); its writer thread only writes the
 * batches handed to it. */
#ifndef SLUICE_RUNTIME_KCACHE_H
#define SLUICE_RUNTIME_KCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"

typedef struct sl_kcache sl_kcache;

/* budget_bytes: memory for cached keys and values (entries, table and filter included).
 * store_may_have_data: the backend may already hold keys (a restore): then every miss is looked
 * up there; otherwise only keys this cache evicted are. */
sl_kcache *sl_kcache_create(sl_state *store, uint64_t budget_bytes, bool store_may_have_data);
/* Frees the cache without writing anything back (the state is being discarded). */
void sl_kcache_destroy(sl_kcache *c);
/* The store behind the cache was filled from elsewhere (a restore): reads must consult it for
 * keys the cache never wrote. */
void sl_kcache_store_has_data(sl_kcache *c);
/* Bounds the dirty values (written to the cache, not yet to the backend) to about `limit`: past it,
 * the oldest dirty values are written back (newest stay cached, clean). With checkpoints on, this
 * bounds what a snapshot must write synchronously (sl_kcache_flush); 0 (the default) = no bound,
 * values go to the backend only when evicted. */
void sl_kcache_set_dirty_limit(sl_kcache *c, size_t limit);
#define SL_KCACHE_CHECKPOINT_DIRTY_LIMIT 16384
/* Writes every dirty value to the backend (before a snapshot, or to keep the state); on return
 * the backend holds them all. */
sl_status sl_kcache_flush(sl_kcache *c, sl_error *err);
/* Write-behind: the write batches of evictions and of the dirty bound are written to the backend
 * by the cache's writer thread (one per cache, started with the first batch; at most two batches
 * queued, then the owner waits), oldest first, while the owner goes on; the owner waits for them
 * before it reads the backend itself. This waits (any thread) until every batch handed is
 * written, and returns a failure of the writer (values lost). A snapshot of the backend taken
 * off the owner's thread must call it first: the cache's frozen batch is newer than those. */
sl_status sl_kcache_wait_written(sl_kcache *c, sl_error *err);
/* The synchronous part of an asynchronous snapshot: every dirty value goes into the store's
 * write batch, which is left open for the caller to take (sl_state_snapshot_frozen), and the
 * cache freezes: until sl_kcache_thaw it neither writes to the store nor evicts from it, so
 * the store keeps exactly the state of this moment (plus the batch) while another thread
 * snapshots it, and every newer value stays in the cache. Reads of other keys still go to the
 * store. A frozen cache may grow to 1.25x its budget; past that (a snapshot slower than the
 * records' pace) the owner waits for the thaw. */
sl_status sl_kcache_freeze(sl_kcache *c, uint64_t *gen, sl_error *err);
/* Ends freeze *gen (any thread; once the snapshot of the store is taken or abandoned and the
 * batch is in the store; a thaw of an older freeze does nothing). failure (or NULL): the batch
 * could not be written to the store: values are lost, every later call on the cache returns it. */
void sl_kcache_thaw(sl_kcache *c, uint64_t gen, const sl_error *failure);

/* The value of a key; *val is valid until the next call on the cache. */
sl_status sl_kcache_get(sl_kcache *c, int sid, int kg, const void *key, size_t klen, const void **val, size_t *vlen, bool *found,
                        sl_error *err);
sl_status sl_kcache_put(sl_kcache *c, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen, sl_error *err);
sl_status sl_kcache_delete(sl_kcache *c, int sid, int kg, const void *key, size_t klen, sl_error *err);

typedef struct sl_kcache_stats {
    uint64_t hits, misses, store_reads, evictions, store_writes;
    uint64_t freeze_waits; /* times the owner waited for a thaw (the cache was full while frozen) */
    uint64_t write_waits;  /* times the owner waited for the writer thread (queue full, or a read) */
    uint64_t bytes, entries;
} sl_kcache_stats;
void sl_kcache_get_stats(const sl_kcache *c, sl_kcache_stats *st);

#endif
