/* runtime/keyed.h — what keyed (stateful) operators share: their state store (state/state.h),
 * canonical bytes of key fields, and key groups. */
#ifndef SLUICE_RUNTIME_KEYED_H
#define SLUICE_RUNTIME_KEYED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/operator.h"
#include "runtime/row.h"
#include "state/state.h"

/* A growable byte buffer, reused across records. */
typedef struct sl_bytes {
    uint8_t *p;
    size_t n, cap;
} sl_bytes;
void sl_bytes_reset(sl_bytes *b);
void sl_bytes_put(sl_bytes *b, const void *data, size_t n);
void sl_bytes_free(sl_bytes *b);
/* Appends n bytes (data may be NULL when n is 0), then zeros up to the next multiple of 8 of the
 * buffer's length: rows copied out of state (whose bytes are not aligned) stay 8-aligned. */
void sl_bytes_put_aligned(sl_bytes *b, const void *data, size_t n);
static inline size_t sl_pad8(size_t n) { return (n + 7u) & ~(size_t)7u; }

/* Appends the canonical bytes of fields[0..n) of row: per field a NULL flag byte, then 8 bytes for
 * numbers (-0.0 as 0.0) or a 4-byte length and the bytes of a string. Equal values give equal
 * bytes whatever the row's layout; INT 7 and BIGINT 7 agree (as the HASH exchange does). */
void sl_key_encode(sl_bytes *b, const uint8_t *row, const int *fields, const sl_phys *phys, int n);
bool sl_key_has_null(const uint8_t *row, const int *fields, int n);

/* Opens the operator subtask's state store with the job's backend, directory, memory budget and
 * TTL (sl_job_context). */
sl_status sl_op_state_open(sl_operator *op, sl_state **out, sl_error *err);
/* The same with the operator's own TTL (a STATE_TTL hint) instead of table.exec.state.ttl. */
sl_status sl_op_state_open_ttl(sl_operator *op, int64_t ttl_ms, sl_state **out, sl_error *err);

/* The same, with a write-back cache (runtime/kcache.h) in front of a RocksDB store: the budget
 * is split between the cache and RocksDB's block cache and memtables. *cache is NULL for the
 * hashmap backend (already in memory). ttl_ms: the store's TTL (the operator's own, e.g. from a
 * STATE_TTL hint; 0 = none). */
struct sl_kcache;
sl_status sl_op_state_open_cached(sl_operator *op, int64_t ttl_ms, sl_state **out, struct sl_kcache **cache, sl_error *err);

/* Checkpoints of keyed state (the operators' snapshot/restore hooks call these). Snapshot: writes
 * the cache's dirty entries to the store, then the store's snapshot (a RocksDB checkpoint: hard
 * links) into <ctx->dir>/state; with ctx->defer only its synchronous part (sl_state_snapshot_begin:
 * a copy-on-write view for hashmap), the write is deferred to the upload thread. Restore: loads this subtask's key groups from the parts' state
 * directories into the (empty) store; the cache then consults the store. cache may be NULL. */
sl_status sl_op_state_snapshot(sl_state *st, struct sl_kcache *cache, const sl_snapshot_ctx *ctx, sl_error *err);
sl_status sl_op_state_restore(sl_state *st, struct sl_kcache *cache, const sl_restore_ctx *ctx, sl_error *err);

#endif
