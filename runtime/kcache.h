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

#include <stdatomic.h>
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
/* Writes every dirty value to the backend (before a snapshot, or to keep the state); on return
 * the backend holds them all. */
sl_status sl_kcache_flush(sl_kcache *c, sl_error *err);
/* Write-behind: the write batches of evictions (and of a flush) are written to the backend
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

/* Changelog checkpoints (runtime/changelog.h; docs/checkpoints.md "The join's changelog"): the
 * cache keeps its segments in dir (created; removed with the cache) and a checkpoint needs none
 * of its dirty values written to the store, which then only gets evictions. Set before the
 * first put; sl_kcache_freeze then writes nothing back. */
sl_status sl_kcache_changelog(sl_kcache *c, const char *dir, sl_error *err);
/* A checkpoint's barrier (owner; before sl_kcache_freeze): ends the epoch, writes into the
 * directory `out` the checkpoint's changelog (links to the segments it needs and which of their
 * records) and starts capturing the values dirty now into a new segment, also linked there; with
 * `now`, the capture is done before it returns (savepoints), else the owner does it in steps
 * (sl_kcache_capture_step) and whenever it touches one of them. *ep: the epoch; the segment is
 * complete once sl_kcache_wait_captured(ep) returns. Without a changelog it does nothing (*ep 0). */
sl_status sl_kcache_changelog_barrier(sl_kcache *c, const char *out, bool now, uint32_t *ep, sl_error *err);
bool sl_kcache_capturing(const sl_kcache *c);
/* Captures what the running capture needs among the next `slots` table slots (owner). */
void sl_kcache_capture_step(sl_kcache *c, size_t slots);
/* Ends the running capture now (owner; end of input). */
void sl_kcache_capture_finish(sl_kcache *c);
/* Waits (any thread) until the capture of epoch ep is over; its failure (a segment write), or an
 * error once *cancelled is set (the checkpoint was aborted). */
sl_status sl_kcache_wait_captured(sl_kcache *c, uint32_t ep, const atomic_bool *cancelled, sl_error *err);

/* The value of a key; *val is valid until the next call on the cache. */
sl_status sl_kcache_get(sl_kcache *c, int sid, int kg, const void *key, size_t klen, const void **val, size_t *vlen, bool *found,
                        sl_error *err);
sl_status sl_kcache_put(sl_kcache *c, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen, sl_error *err);
sl_status sl_kcache_delete(sl_kcache *c, int sid, int kg, const void *key, size_t klen, sl_error *err);

typedef struct sl_kcache_stats {
    uint64_t hits, misses, store_reads, evictions, store_writes;
    uint64_t pending_reads; /* misses answered from a write batch not yet written (no store read, no wait) */
    uint64_t freeze_waits; /* times the owner waited for a thaw (the cache was full while frozen) */
    uint64_t write_waits;  /* times the owner waited for the writer thread (queue full, or a read) */
    uint64_t captured, changelog_bytes; /* values copied into changelog segments, and their bytes */
    uint64_t bytes, entries;
} sl_kcache_stats;
void sl_kcache_get_stats(const sl_kcache *c, sl_kcache_stats *st);

/* For tests: while held, the writer thread writes no batch (so the batches handed stay
 * unwritten and reads of their values are answered from them). The owner must not hand more
 * than two batches meanwhile (the third would wait for the writer forever). */
void sl_kcache_hold_writer(sl_kcache *c, bool hold);

#endif
