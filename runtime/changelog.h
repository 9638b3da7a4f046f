/* runtime/changelog.h — changelog segments of a cached keyed store (docs/checkpoints.md,
 * "The join's changelog").
 *
 * A checkpoint of a cached store (runtime/kcache.h) is the RocksDB checkpoint of the store plus the
 * values the cache held dirty at the barrier, which the store does not have. Those values are
 * captured (copied) after the barrier, while records flow, into a segment file: the records of one
 * epoch, in capture order. A value stays needed by later checkpoints until it is overwritten or
 * written to the store; a checkpoint therefore lists every segment that still has needed records,
 * each with a bit set of which ones (none for the newest segment: all of its records are).
 *
 * Files, in the checkpoint part's "changelog" directory:
 *   SLUICE_INSTANCE  the id of the cache instance: its segments are immutable, shared between
 *                    checkpoints and uploaded once (like RocksDB's SST files)
 *   <n>.chg          a segment: "SLCHG1\n\0", then records: u8 op (1 put, 2 delete), u8 state id,
 *                    u16 key group, u32 key length, u32 value length (host byte order), key, value
 *   <n>.live         the records of <n>.chg this checkpoint needs: bit i of 64-bit word i/64 for
 *                    record i; absent = all of them */
#ifndef SLUICE_RUNTIME_CHANGELOG_H
#define SLUICE_RUNTIME_CHANGELOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "state/state.h"

enum { SL_CHG_PUT = 1, SL_CHG_DELETE = 2 };
#define SL_CHG_MAGIC "SLCHG1\n"
#define SL_CHG_SUFFIX ".chg"
#define SL_CHG_LIVE_SUFFIX ".live"

/* A segment being written by its owner (buffered; a failed write is kept and reported once).
 * The owner fills one buffer while a thread of the writer's own (started by the first full
 * buffer, ended by close) writes the other to the file: the kernel's copy into the page cache
 * costs the owner (the join's thread, during a capture) nothing. */
typedef struct sl_chg_writer {
    int fd;
    char *path;
    uint8_t *buf; /* the owner's */
    size_t len;
    uint64_t bytes; /* appended (the owner's) */
    /* under m: a full buffer handed to the thread (out, NULL: none), the free one (spare), what
     * the thread wrote to the file, and the first failure */
    pthread_mutex_t m;
    pthread_cond_t cv;
    pthread_t th;
    bool th_started, stop;
    uint8_t *out, *spare;
    size_t out_len;
    uint64_t written;
    atomic_bool failed;
    sl_error err;
} sl_chg_writer;

/* Creates the segment file at path (truncating it). */
sl_status sl_chg_open(sl_chg_writer *w, const char *path, sl_error *err);
/* Appends one record; a write error is recorded in w (and later ones skipped). */
void sl_chg_append(sl_chg_writer *w, int op, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen);
/* Writes what is buffered and closes the file; returns the first write error. */
sl_status sl_chg_close(sl_chg_writer *w, sl_error *err);
/* Frees w (closing it unwritten if still open). */
void sl_chg_free(sl_chg_writer *w);

/* Fails the segment with e (the owner's own finding); close returns it. */
void sl_chg_fail(sl_chg_writer *w, const sl_error *e);

/* Restore: calls fn for every needed record of every segment in dir (see above) whose key group
 * is in [kg_lo, kg_hi] (val NULL: a delete). A damaged segment or bit set is an error naming the
 * file and byte. */
typedef sl_status (*sl_chg_apply_fn)(void *ctx, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen,
                                     sl_error *err);
sl_status sl_chg_replay(const char *dir, int kg_lo, int kg_hi, sl_chg_apply_fn fn, void *ctx, sl_error *err);

#endif
