/* runtime/kcache.c — see kcache.h.
 *
 * An open-addressing hash table (linear probing, backward-shift deletion) of entries that own
 * one heap block each: the key bytes followed by the value bytes. A block is allocated when a key
 * enters the cache and reused (grown by a quarter when a value outgrows it) while the key stays — state that is kept
 * costs memory somewhere, and here it is accounted against the budget and given back on eviction.
 * Eviction is the clock algorithm over the table slots, visited in a strided order (HAND_STRIDE)
 * so evictions thin the table evenly: an entry touched since the hand last passed gets a second
 * chance. */
#include "runtime/kcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/hash.h"
#include "common/mem.h"
#include "runtime/changelog.h"

/* F_GONE: evicted; freed once written (kept by its batch's pending set until then) */
enum { F_DIRTY = 1, F_REF = 2, F_DEL = 4, F_GONE = 8 };

/* A cached value: this header, then the key bytes, then the value bytes, in one heap block. */
typedef struct kc_block {
    uint32_t klen, vlen, cap; /* cap: bytes after the header */
    uint16_t kg;
    uint8_t sid;
    uint8_t flags;
    /* changelog (sl_kcache_changelog): a dirty value changed in epoch e has ep = 2e; once
     * captured into segment e (record ci) ep = 2e + 1; 0: no changelog record */
    uint32_t ep, ci;
} kc_block;

/* A table slot: 16 bytes, so the table costs little next to the values. */
typedef struct kc_entry {
    uint64_t hash; /* 0 = empty slot; the key's hash (bit 63 clear) | KC_CAP */
    kc_block *b;
} kc_entry;

/* In a slot's hash: its block changed since its last capture (set when it is made dirty with a
 * changelog, cleared by the capture's scan). The scan reads a block only where it is set: at
 * 10M keys a quarter of the slots, instead of a cache miss for every slot. */
#define KC_CAP (UINT64_C(1) << 63)

#define KDATA(b) ((uint8_t *)((b) + 1))

enum { WBQ_CAP = 2 }; /* write batches handed to the writer thread and not yet written, at most */

/* What one write batch holds, for the reads that come before the writer has written it: its
 * evicted values, kept and found by key hash (open addressing, cap slots, load <= 1/2; owned
 * here until the batch is written), and a bit set (two bits per key hash) of its other values,
 * for which a read waits for the writer. */
typedef struct kc_pset {
    uint64_t *bits;
    kc_entry *tab;
    size_t cap, n;
} kc_pset;

/* A changelog segment with records later checkpoints still need (changelog.h). */
typedef struct kc_seg {
    uint32_t ep;
    uint64_t nrec, nlive, cap; /* records written, still needed, expected */
    uint64_t *live;            /* cap bits */
    bool complete;
} kc_seg;

/* A value waiting to be written to the store: its key's place in the store's order, as far as
 * 64 bits tell (kc_order), and its block. */
typedef struct kc_wb {
    uint64_t order;
    kc_block *b;
    uint64_t hash; /* the key's (an evicted block's pending set is keyed by it) */
} kc_wb;

struct sl_kcache {
    sl_state *store;
    kc_entry *slots;
    size_t nslots, count, hand;
    uint64_t budget, used;
    uint64_t *bloom;
    uint64_t bloom_mask; /* bits - 1 */
    bool store_may_have_data;
    sl_kcache_stats st;
    size_t ndirty; /* dirty entries: values the store does not have */
    /* frozen (sl_kcache_freeze .. sl_kcache_thaw): a snapshot of the store is being taken on
     * another thread; the cache neither writes to the store nor evicts (so every value newer
     * than the store's stays here), up to freeze_cap bytes; past that, the owner waits */
    atomic_bool frozen;
    pthread_mutex_t fm;
    pthread_cond_t fcv;
    uint64_t freeze_gen; /* the current (or last) freeze */
    uint64_t freeze_cap;
    uint64_t freeze_waits;
    /* write-backs are queued here and written in the store's key order (wq_write): RocksDB's
     * memtable (a skip list) inserts keys in order several times faster than keys at random;
     * wq_hands: a full queue also hands the store's write batch to the writer (not a freeze's) */
    kc_wb *wq;
    size_t wq_len;
    bool wq_hands;
    /* write-behind: a full write batch goes to a writer thread (started with the first one),
     * which writes the batches to the store oldest first, while the owner goes on. A read that
     * misses the cache looks in the batches not yet written, newest first (pend_lookup): an
     * evicted value is taken from there; a value whose block stayed in the cache (it may have
     * changed since) makes the owner wait until every batch handed is written (wb_drain). So a
     * read never misses a value the cache has let go of; wb_waits counts the owner's waits */
    pthread_t wb_thread;
    bool wb_started, wb_stop, wb_hold;
    pthread_mutex_t wbm;
    pthread_cond_t wb_work, wb_done;
    sl_state_batch *wbq[WBQ_CAP]; /* handed, not yet written: at most WBQ_CAP, then the owner waits */
    size_t wbq_head, wbq_len;
    uint64_t wb_waits;
    /* the pending sets of the batch being built (pend[WBQ_CAP]) and of the batches in the
     * queue's slots (kept until the slot is reused; the owner's alone) */
    kc_pset pend[WBQ_CAP + 1];
    /* changelog (sl_kcache_changelog; cl_dir NULL: off): at a barrier the values dirty now are
     * captured into a segment after it (capture_step, or when touched), so that the checkpoint
     * needs from the store only what it has; see changelog.h */
    char *cl_dir; /* its last component is the instance id (SLUICE_INSTANCE) */
    uint32_t cur_ep;            /* the epoch values change in now (from 1) */
    size_t n_cur;               /* dirty entries changed in this epoch (ep == 2 * cur_ep) */
    bool capturing, cap_full, need_full;
    uint32_t cap_ep;            /* the epoch being captured */
    size_t cap_left, cap_pos;   /* entries still to capture; the scan's slot */
    sl_chg_writer cw;
    kc_seg *segs;
    size_t nsegs;
    uint64_t captured, cl_bytes;
    /* for other threads (under fm): the last epoch whose capture is over, and a failed one */
    pthread_cond_t ccv;
    uint32_t done_ep, fail_ep;
    sl_error cl_err;
    /* a thaw that reported a failure: the store lost values; every later call returns it */
    atomic_bool failed;
    sl_error failure;
};

enum { ENTRY_OVERHEAD = 16 }; /* malloc's own bookkeeping, roughly */
enum { WQ_CAP = 16384 };      /* write-backs sorted (and committed) together */
enum { PEND_BITS = 1 << 18 }; /* per pending batch: at most WQ_CAP keys, ~1.4% false positives */
enum { PSET_MAX = 2 * WQ_CAP }; /* a pending set's slots, at most: a batch of evictions holds at most WQ_CAP */
enum { CAP_PREFETCH = 8 };    /* the capture's scan prefetches the block this many slots ahead */
/* The clock hand's step: odd, so it visits every slot of the power-of-two table once per round,
 * but spread over the table. A hand that steps by one evicts runs of neighbouring slots while
 * inserts land everywhere: the slots far ahead of the hand fill up into probe clusters of
 * thousands (measured: a 4M-slot table at load 0.57 averaged thousands of probes per lookup
 * once full), which made every lookup and the checkpoint's write-back slow. */
#define HAND_STRIDE ((size_t)0x9e3779b97f4a7c15u)

static uint64_t key_hash(int sid, int kg, const void *key, size_t klen)
{
    uint64_t h = sl_hash64_seed(key, klen, ((uint64_t)(unsigned)sid << 16 | (unsigned)kg) * 0x9e3779b97f4a7c15u + 1) & ~KC_CAP;
    return h ? h : 1;
}

sl_kcache *sl_kcache_create(sl_state *store, uint64_t budget_bytes, bool store_may_have_data)
{
    sl_kcache *c = sl_xcalloc(1, sizeof *c);
    c->store = store;
    c->budget = budget_bytes < (1u << 20) ? (1u << 20) : budget_bytes;
    c->store_may_have_data = store_may_have_data;
    c->nslots = 1024;
    c->slots = sl_xcalloc(c->nslots, sizeof(kc_entry));
    /* the filter of keys written to the store: 1/16 of the budget */
    uint64_t bits = 1024;
    while (bits * 2 <= c->budget / 16 * 8) bits *= 2;
    c->bloom = sl_xcalloc(bits / 64, 8);
    c->bloom_mask = bits - 1;
    c->used = c->nslots * sizeof(kc_entry) + bits / 8;
    atomic_init(&c->frozen, false);
    pthread_mutex_init(&c->fm, NULL);
    pthread_cond_init(&c->fcv, NULL);
    pthread_mutex_init(&c->wbm, NULL);
    pthread_cond_init(&c->wb_work, NULL);
    pthread_cond_init(&c->wb_done, NULL);
    pthread_cond_init(&c->ccv, NULL);
    c->cw.fd = -1;
    c->freeze_cap = c->budget + c->budget / 4;
    return c;
}

/* Waits until a frozen cache is thawed (the snapshot of the store is taken). */
static void wait_thawed(sl_kcache *c)
{
    if (!atomic_load_explicit(&c->frozen, memory_order_acquire)) return;
    c->freeze_waits++;
    pthread_mutex_lock(&c->fm);
    while (atomic_load_explicit(&c->frozen, memory_order_acquire)) pthread_cond_wait(&c->fcv, &c->fm);
    pthread_mutex_unlock(&c->fm);
}

/* A failure a thaw reported (the owner's calls return it). */
static sl_status bg_failure(sl_kcache *c, sl_error *err)
{
    if (!atomic_load_explicit(&c->failed, memory_order_acquire)) return SL_OK;
    if (err) *err = c->failure;
    return c->failure.code ? c->failure.code : SL_ERR_STATE;
}

static bool is_frozen(const sl_kcache *c) { return atomic_load_explicit(&c->frozen, memory_order_acquire); }

/* Records a failure that lost values (the first one stays); every later call returns it. */
static void set_failure(sl_kcache *c, const sl_error *e)
{
    pthread_mutex_lock(&c->fm);
    if (!atomic_load_explicit(&c->failed, memory_order_relaxed)) {
        c->failure = *e;
        atomic_store_explicit(&c->failed, true, memory_order_release);
    }
    pthread_mutex_unlock(&c->fm);
}

static void *wb_main(void *arg)
{
    sl_kcache *c = arg;
    pthread_mutex_lock(&c->wbm);
    for (;;) {
        while ((!c->wbq_len || c->wb_hold) && !c->wb_stop) pthread_cond_wait(&c->wb_work, &c->wbm);
        if (!c->wbq_len) break;
        sl_state_batch *b = c->wbq[c->wbq_head]; /* stays queued until written: drained = empty */
        pthread_mutex_unlock(&c->wbm);
        sl_error e;
        sl_error_clear(&e);
        sl_status st = sl_state_batch_write(c->store, b, &e);
        sl_state_batch_free(c->store, b);
        if (st) {
            sl_error_detail(&e, "while writing the join's cached state to RocksDB (written behind; values are lost)");
            set_failure(c, &e);
        }
        pthread_mutex_lock(&c->wbm);
        c->wbq_head = (c->wbq_head + 1) % WBQ_CAP;
        c->wbq_len--;
        pthread_cond_broadcast(&c->wb_done);
    }
    pthread_mutex_unlock(&c->wbm);
    return NULL;
}

static void pend_add(uint64_t *bits, uint64_t h)
{
    uint64_t a = h & (PEND_BITS - 1), b = (h >> 32) & (PEND_BITS - 1);
    bits[a / 64] |= UINT64_C(1) << (a % 64);
    bits[b / 64] |= UINT64_C(1) << (b % 64);
}

static bool pend_has(const uint64_t *bits, uint64_t h)
{
    uint64_t a = h & (PEND_BITS - 1), b = (h >> 32) & (PEND_BITS - 1);
    return (bits[a / 64] >> (a % 64) & 1) && (bits[b / 64] >> (b % 64) & 1);
}

/* Frees the evicted values set p kept (its batch is written) and empties it. */
static void pset_clear(kc_pset *p)
{
    if (p->n) {
        for (size_t i = 0; i < p->cap; i++)
            if (p->tab[i].hash) free(p->tab[i].b);
        memset(p->tab, 0, p->cap * sizeof *p->tab);
        p->n = 0;
    }
    if (p->bits) memset(p->bits, 0, PEND_BITS / 8);
}

/* Keeps evicted block b (hash h, its value in p's batch now) in p; false if p is full. A block of
 * the same key already there is older (a key is evicted once per shrink, and a shrink's
 * write-backs are written in one pass): b replaces it. */
static bool pset_keep(sl_kcache *c, kc_pset *p, uint64_t h, kc_block *b)
{
    if ((p->n + 1) * 2 > p->cap) { /* grow (the table stays for the set's later batches) */
        size_t cap = p->cap ? 2 * p->cap : 256;
        if (cap > PSET_MAX) return false;
        kc_entry *t = sl_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < p->cap; i++) {
            if (!p->tab[i].hash) continue;
            size_t j = p->tab[i].hash & (cap - 1);
            while (t[j].hash) j = (j + 1) & (cap - 1);
            t[j] = p->tab[i];
        }
        free(p->tab);
        c->used += (cap - p->cap) * sizeof *t;
        p->tab = t;
        p->cap = cap;
    }
    size_t i = h & (p->cap - 1);
    for (; p->tab[i].hash; i = (i + 1) & (p->cap - 1)) {
        kc_block *o = p->tab[i].b;
        if (p->tab[i].hash == h && o->sid == b->sid && o->kg == b->kg && o->klen == b->klen &&
            memcmp(KDATA(o), KDATA(b), b->klen) == 0) {
            free(o);
            p->tab[i].b = b;
            return true;
        }
    }
    p->tab[i] = (kc_entry){h, b};
    p->n++;
    return true;
}

static kc_block *pset_find(const kc_pset *p, uint64_t h, int sid, int kg, const void *key, size_t klen)
{
    if (!p->n) return NULL;
    for (size_t i = h & (p->cap - 1); p->tab[i].hash; i = (i + 1) & (p->cap - 1)) {
        const kc_block *b = p->tab[i].b;
        if (p->tab[i].hash == h && b->sid == sid && b->kg == kg && b->klen == klen && memcmp(KDATA(b), key, klen) == 0)
            return p->tab[i].b;
    }
    return NULL;
}

/* Where a read that missed the cache finds the key's newest value among the batches not yet
 * written: *kept = the evicted block holding it (NULL if none); returns true if the newest one
 * it may be in is a value that stayed in the cache (then the read must wait for the writer). */
static bool pend_lookup(sl_kcache *c, uint64_t h, int sid, int kg, const void *key, size_t klen, const kc_block **kept)
{
    *kept = NULL;
    if (!c->pend[WBQ_CAP].bits) return false; /* nothing was ever written back */
    pthread_mutex_lock(&c->wbm);
    size_t head = c->wbq_head, len = c->wbq_len;
    pthread_mutex_unlock(&c->wbm);
    /* newest first: the batch being built, then the queued ones; a slot out of the queue was
     * written (the store has its values, or newer ones) */
    for (size_t k = 0; k <= len; k++) {
        const kc_pset *p = k == 0 ? &c->pend[WBQ_CAP] : &c->pend[(head + len - k) % WBQ_CAP];
        if ((*kept = pset_find(p, h, sid, kg, key, klen))) return false;
        if (pend_has(p->bits, h)) return true;
    }
    return false;
}

/* Waits until every batch handed to the writer is in the store. */
static void wb_drain(sl_kcache *c)
{
    pthread_mutex_lock(&c->wbm);
    if (c->wbq_len) c->wb_waits++;
    while (c->wbq_len) pthread_cond_wait(&c->wb_done, &c->wbm);
    pthread_mutex_unlock(&c->wbm);
}

/* Ends the store's open write batch: hands it to the writer (which starts with the first one),
 * waiting while two are queued; a backend without batches to take has applied the writes. */
static sl_status wb_hand(sl_kcache *c, sl_error *err)
{
    sl_state_batch *b = sl_state_batch_take(c->store);
    if (!b) {
        sl_status st = sl_state_batch_commit(c->store, err);
        pset_clear(&c->pend[WBQ_CAP]);
        return st;
    }
    if (!c->wb_started) {
        if (pthread_create(&c->wb_thread, NULL, wb_main, c) != 0) { /* no thread: write it here */
            sl_status st = sl_state_batch_write(c->store, b, err);
            sl_state_batch_free(c->store, b);
            pset_clear(&c->pend[WBQ_CAP]);
            return st;
        }
        c->wb_started = true;
    }
    pthread_mutex_lock(&c->wbm);
    if (c->wbq_len == WBQ_CAP) c->wb_waits++;
    while (c->wbq_len == WBQ_CAP) pthread_cond_wait(&c->wb_done, &c->wbm);
    size_t slot = (c->wbq_head + c->wbq_len) % WBQ_CAP;
    kc_pset done = c->pend[slot]; /* that slot's last batch is written */
    c->pend[slot] = c->pend[WBQ_CAP];
    pset_clear(&done);
    c->pend[WBQ_CAP] = done;
    c->wbq[slot] = b;
    c->wbq_len++;
    pthread_cond_signal(&c->wb_work);
    pthread_mutex_unlock(&c->wbm);
    return bg_failure(c, err); /* an earlier batch that failed */
}

void sl_kcache_destroy(sl_kcache *c)
{
    if (!c) return;
    if (c->wb_started) { /* the writer ends once the queue is written */
        pthread_mutex_lock(&c->wbm);
        c->wb_stop = true;
        pthread_cond_signal(&c->wb_work);
        pthread_mutex_unlock(&c->wbm);
        pthread_join(c->wb_thread, NULL);
    }
    for (size_t i = 0; i < c->nslots; i++)
        if (c->slots[i].hash) free(c->slots[i].b);
    free(c->slots);
    free(c->bloom);
    free(c->wq);
    for (size_t i = 0; i <= WBQ_CAP; i++) {
        pset_clear(&c->pend[i]);
        free(c->pend[i].bits);
        free(c->pend[i].tab);
    }
    sl_chg_free(&c->cw);
    for (size_t i = 0; i < c->nsegs; i++) free(c->segs[i].live);
    free(c->segs);
    if (c->cl_dir) sl_fs_remove_tree(c->cl_dir);
    free(c->cl_dir);
    pthread_cond_destroy(&c->ccv);
    pthread_mutex_destroy(&c->fm);
    pthread_cond_destroy(&c->fcv);
    pthread_mutex_destroy(&c->wbm);
    pthread_cond_destroy(&c->wb_work);
    pthread_cond_destroy(&c->wb_done);
    free(c);
}

static void bloom_add(sl_kcache *c, uint64_t h)
{
    uint64_t h2 = (h >> 32) | 1;
    for (int i = 0; i < 4; i++) {
        uint64_t b = (h + (uint64_t)i * h2) & c->bloom_mask;
        c->bloom[b / 64] |= UINT64_C(1) << (b % 64);
    }
}

static bool bloom_maybe(const sl_kcache *c, uint64_t h)
{
    if (c->store_may_have_data) return true;
    uint64_t h2 = (h >> 32) | 1;
    for (int i = 0; i < 4; i++) {
        uint64_t b = (h + (uint64_t)i * h2) & c->bloom_mask;
        if (!(c->bloom[b / 64] >> (b % 64) & 1)) return false;
    }
    return true;
}

static kc_entry *find(sl_kcache *c, uint64_t h, int sid, int kg, const void *key, size_t klen)
{
    for (size_t i = h & (c->nslots - 1);; i = (i + 1) & (c->nslots - 1)) {
        kc_entry *e = &c->slots[i];
        if (!e->hash) return NULL;
        if ((e->hash & ~KC_CAP) == h && e->b->sid == sid && e->b->kg == kg && e->b->klen == klen && memcmp(KDATA(e->b), key, klen) == 0)
            return e;
    }
}

/* Removes slot i, shifting the rest of its cluster back (no tombstones in the table). */
static void remove_slot(sl_kcache *c, size_t i)
{
    size_t mask = c->nslots - 1;
    c->slots[i].hash = 0;
    for (size_t j = (i + 1) & mask; c->slots[j].hash; j = (j + 1) & mask) {
        size_t home = c->slots[j].hash & mask;
        /* slot j may move to i if i lies cyclically in [home, j) */
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            c->slots[i] = c->slots[j];
            c->slots[j].hash = 0;
            i = j;
        }
    }
    c->count--;
}

/* Where a key falls in the store's order (state.h: kg, sid, key length, key), as far as 64 bits
 * tell: a smaller value sorts first; equal values need sl_state_key_cmp. */
static uint64_t kc_order(const kc_block *b)
{
    uint64_t o = (uint64_t)b->kg << 48 | (uint64_t)b->sid << 40;
    if (b->klen >= 0xffffffu) return o | (uint64_t)0xffffffu << 16;
    o |= (uint64_t)b->klen << 16;
    if (b->klen) o |= (uint64_t)KDATA(b)[0] << 8;
    if (b->klen > 1) o |= KDATA(b)[1];
    return o;
}

static int wb_cmp(const void *pa, const void *pb)
{
    const kc_wb *a = pa, *b = pb;
    if (a->order != b->order) return a->order < b->order ? -1 : 1;
    return sl_state_key_cmp(a->b->sid, a->b->kg, KDATA(a->b), a->b->klen, b->b->sid, b->b->kg, KDATA(b->b), b->b->klen);
}

/* Writes the queued values to the store (into its open write batch, if any) in the store's key
 * order and frees the evicted blocks among them. After a failed write the rest are still freed
 * (the caller fails with the error). */
static sl_status wq_write(sl_kcache *c, sl_error *err)
{
    if (c->wq_len > 1) qsort(c->wq, c->wq_len, sizeof *c->wq, wb_cmp);
    sl_status st = SL_OK;
    for (size_t i = 0; i < c->wq_len; i++) {
        kc_block *b = c->wq[i].b;
        if (!st)
            st = (b->flags & F_DEL) ? sl_state_delete(c->store, b->sid, b->kg, KDATA(b), b->klen, NULL, 0, err)
                                    : sl_state_put(c->store, b->sid, b->kg, KDATA(b), b->klen, NULL, 0, KDATA(b) + b->klen, b->vlen, err);
        if (!(b->flags & F_GONE)) continue;
        uint64_t h = c->wq[i].hash;
        if (!pset_keep(c, &c->pend[WBQ_CAP], h, b)) { /* (not expected: a batch of evictions fits) */
            pend_add(c->pend[WBQ_CAP].bits, h);
            free(b);
        }
    }
    c->wq_len = 0;
    return st;
}


/* ---- changelog: capturing the values a checkpoint needs (changelog.h) ---------------------------- */

static void seg_path(const sl_kcache *c, uint32_t ep, char *buf, size_t n) { snprintf(buf, n, "%s/%u%s", c->cl_dir, ep, SL_CHG_SUFFIX); }

static kc_seg *seg_of(sl_kcache *c, uint32_t ep)
{
    for (size_t i = 0; i < c->nsegs; i++)
        if (c->segs[i].ep == ep) return &c->segs[i];
    return NULL;
}

/* Forgets segment i (no checkpoint to come needs it; those taken link their own copy). */
static void seg_drop(sl_kcache *c, size_t i)
{
    char path[4200];
    seg_path(c, c->segs[i].ep, path, sizeof path);
    unlink(path);
    c->used -= (c->segs[i].cap + 63) / 64 * 8;
    free(c->segs[i].live);
    c->segs[i] = c->segs[--c->nsegs];
}

/* Block b's record (if any) is no longer needed: its value changes or goes to the store. */
static void seg_unlive(sl_kcache *c, kc_block *b)
{
    kc_seg *g = seg_of(c, (b->ep - 1) / 2);
    if (g && b->ci < g->cap && (g->live[b->ci / 64] >> (b->ci % 64) & 1)) {
        g->live[b->ci / 64] &= ~(UINT64_C(1) << (b->ci % 64));
        if (--g->nlive == 0 && g->complete) seg_drop(c, (size_t)(g - c->segs));
    }
}

/* Epoch ep's capture is over (failed with *failure, or NULL): other threads are told. */
static void signal_done(sl_kcache *c, uint32_t ep, const sl_error *failure)
{
    pthread_mutex_lock(&c->fm);
    if (failure) {
        c->fail_ep = ep;
        c->cl_err = *failure;
    }
    c->done_ep = ep;
    pthread_cond_broadcast(&c->ccv);
    pthread_mutex_unlock(&c->fm);
}

/* The capture of epoch cap_ep is over: the segment is closed and other threads are told. */
static void cap_complete(sl_kcache *c)
{
    sl_error e;
    sl_error_clear(&e);
    sl_status st = sl_chg_close(&c->cw, &e);
    c->cl_bytes += c->cw.bytes;
    sl_chg_free(&c->cw);
    c->capturing = false;
    kc_seg *g = seg_of(c, c->cap_ep);
    if (g) {
        g->complete = true;
        /* a failed segment: the next barrier captures every dirty value again */
        if (st || g->nlive == 0) seg_drop(c, (size_t)(g - c->segs));
    }
    if (st) c->need_full = true;
    signal_done(c, c->cap_ep, st ? &e : NULL);
}

static bool needs_capture(const sl_kcache *c, const kc_block *b)
{
    if (!c->capturing || !(b->flags & F_DIRTY)) return false;
    return c->cap_full ? b->ep <= 2 * c->cap_ep : b->ep == 2 * c->cap_ep;
}

/* Copies b's value (as at the barrier: unchanged since) into the segment being captured. */
static void capture(sl_kcache *c, kc_block *b)
{
    if (b->ep & 1) seg_unlive(c, b); /* (a full capture: this record replaces an older one) */
    kc_seg *g = seg_of(c, c->cap_ep);
    sl_chg_append(&c->cw, (b->flags & F_DEL) ? SL_CHG_DELETE : SL_CHG_PUT, b->sid, b->kg, KDATA(b), b->klen, KDATA(b) + b->klen,
                  b->vlen);
    b->ep = 2 * c->cap_ep + 1;
    b->ci = (uint32_t)g->nrec;
    g->live[g->nrec / 64] |= UINT64_C(1) << (g->nrec % 64);
    g->nrec++;
    g->nlive++;
    c->captured++;
    if (--c->cap_left == 0) cap_complete(c);
}

/* Block b's value is about to change, or to go to the store, or b to go away: capture it first
 * if the running capture needs it, and drop its record or its count in this epoch. */
static void cl_touch(sl_kcache *c, kc_block *b)
{
    if (!c->cl_dir || !(b->flags & F_DIRTY)) return;
    if (needs_capture(c, b)) capture(c, b);
    if (b->ep & 1) seg_unlive(c, b);
    else if (b->ep && b->ep == 2 * c->cur_ep) c->n_cur--;
    b->ep = 0;
}

/* Entry e's block was made dirty now (after cl_touch). */
static void cl_dirtied(sl_kcache *c, kc_entry *e)
{
    if (!c->cl_dir) return;
    e->b->ep = 2 * c->cur_ep;
    e->hash |= KC_CAP;
    c->n_cur++;
}

/* The value of block b (hash h) is headed for the store: a dirty one is marked clean and queued
 * (written by wq_write, at the latest when the queue is full). An evicted block (F_GONE) is freed
 * here if nothing of it needs writing, else after its write. */
static sl_status write_back(sl_kcache *c, uint64_t h, kc_block *b, sl_error *err)
{
    bool queue = false;
    if (b->flags & F_DIRTY) {
        cl_touch(c, b);
        b->flags &= (uint8_t)~F_DIRTY;
        c->ndirty--;
        c->st.store_writes++;
        if (b->flags & F_DEL) {
            queue = bloom_maybe(c, h); /* a key never written there needs no tombstone */
        } else {
            bloom_add(c, h);
            queue = true;
        }
    }
    if (!queue) {
        if (b->flags & F_GONE) free(b);
        return SL_OK;
    }
    if (!c->wq) {
        c->wq = sl_xmalloc(sizeof *c->wq * WQ_CAP);
        for (size_t i = 0; i <= WBQ_CAP; i++) c->pend[i].bits = sl_xcalloc(PEND_BITS / 64, sizeof(uint64_t));
        c->used += sizeof *c->wq * WQ_CAP + (WBQ_CAP + 1) * PEND_BITS / 8;
    }
    c->wq[c->wq_len++] = (kc_wb){kc_order(b), b, h};
    if (!(b->flags & F_GONE)) pend_add(c->pend[WBQ_CAP].bits, h); /* (evicted ones: wq_write keeps them) */
    if (c->wq_len < WQ_CAP) return SL_OK;
    sl_status st = wq_write(c, err);
    if (!st && c->wq_hands) { /* a batch holds its values: keep it small */
        st = wb_hand(c, err);
        sl_state_batch_begin(c->store);
    }
    return st;
}

/* Ends a run of write_back calls begun with the store's batch open: writes what is queued and,
 * if hand, hands the batch to the writer (else leaves it open). */
static sl_status wq_finish(sl_kcache *c, sl_status st, bool hand, sl_error *err)
{
    sl_status wst = wq_write(c, st ? NULL : err);
    if (!st) st = wst;
    if (!hand) return st;
    sl_status hst = wb_hand(c, st ? NULL : err);
    return st ? st : hst;
}

/* Evicts entries (clock) once the cache is over its budget, down to 1/64 under it, so evictions
 * come in groups and their write-backs go to the store in write batches (one RocksDB write per
 * group instead of one per value); `keep` is not evicted. */
static sl_status shrink(sl_kcache *c, const kc_entry *keep_e, sl_error *err)
{
    const kc_block *keep = keep_e ? keep_e->b : NULL;
    if (is_frozen(c)) {
        if (c->used <= c->freeze_cap) return SL_OK; /* nothing leaves the cache while frozen */
        wait_thawed(c);
    }
    if (c->used <= c->budget) return SL_OK;
    uint64_t target = c->budget - c->budget / 64;
    size_t guard = 0;
    sl_status st = SL_OK;
    sl_state_batch_begin(c->store);
    c->wq_hands = true;
    while (c->used > target && c->count > 1 && guard++ < 4 * c->nslots) {
        c->hand &= c->nslots - 1;
        kc_entry *e = &c->slots[c->hand];
        if (!e->hash || e->b == keep) {
            c->hand += HAND_STRIDE;
            continue;
        }
        if (e->b->flags & F_REF) {
            e->b->flags &= (uint8_t)~F_REF;
            c->hand += HAND_STRIDE;
            continue;
        }
        kc_block *b = e->b;
        uint64_t h = e->hash & ~KC_CAP;
        b->flags |= F_GONE;
        c->used -= (uint64_t)b->cap + sizeof(kc_block) + ENTRY_OVERHEAD;
        c->st.evictions++;
        remove_slot(c, c->hand); /* (the entry shifted into this slot waits for the next round) */
        c->hand += HAND_STRIDE;
        if ((st = write_back(c, h, b, err))) break;
    }
    return wq_finish(c, st, true, err);
}

static void grow_table(sl_kcache *c)
{
    kc_entry *old = c->slots;
    size_t n = c->nslots;
    c->nslots *= 2;
    c->slots = sl_xcalloc(c->nslots, sizeof(kc_entry));
    c->used += n * sizeof(kc_entry);
    for (size_t i = 0; i < n; i++) {
        if (!old[i].hash) continue;
        size_t j = old[i].hash & (c->nslots - 1);
        while (c->slots[j].hash) j = (j + 1) & (c->nslots - 1);
        c->slots[j] = old[i];
    }
    free(old);
    c->hand = 0;
}

static uint32_t round_cap(size_t n) { return (uint32_t)((n + 15u) & ~(size_t)15u); }

/* Sets the value of e (growing its block) and marks it. */
static void set_value(sl_kcache *c, kc_entry *e, const void *val, size_t vlen, uint8_t flags)
{
    size_t need = e->b->klen + vlen;
    if (need > e->b->cap) {
        uint32_t cap = round_cap(need + need / 4); /* room for a list to grow a little */
        c->used += cap - e->b->cap;
        e->b = sl_xrealloc(e->b, sizeof(kc_block) + cap);
        e->b->cap = cap;
    }
    if (vlen) memcpy(KDATA(e->b) + e->b->klen, val, vlen);
    e->b->vlen = (uint32_t)vlen;
    e->b->flags = flags;
}

static kc_entry *insert(sl_kcache *c, uint64_t h, int sid, int kg, const void *key, size_t klen)
{
    if ((c->count + 1) * 10 > c->nslots * 7) grow_table(c);
    size_t i = h & (c->nslots - 1);
    while (c->slots[i].hash) i = (i + 1) & (c->nslots - 1);
    kc_entry *e = &c->slots[i];
    uint32_t cap = round_cap(klen);
    e->hash = h;
    e->b = sl_xmalloc(sizeof(kc_block) + cap);
    memset(e->b, 0, sizeof(kc_block));
    e->b->sid = (uint8_t)sid;
    e->b->kg = (uint16_t)kg;
    e->b->klen = (uint32_t)klen;
    e->b->cap = cap;
    memcpy(KDATA(e->b), key, klen);
    c->used += (uint64_t)cap + sizeof(kc_block) + ENTRY_OVERHEAD;
    c->count++;
    return e;
}

/* After shrink() an entry may have moved (backward shift): find it again. */
static kc_entry *refind(sl_kcache *c, uint64_t h, int sid, int kg, const void *key, size_t klen)
{
    return find(c, h, sid, kg, key, klen);
}

sl_status sl_kcache_get(sl_kcache *c, int sid, int kg, const void *key, size_t klen, const void **val, size_t *vlen, bool *found,
                        sl_error *err)
{
    if (atomic_load_explicit(&c->failed, memory_order_relaxed)) return bg_failure(c, err);
    uint64_t h = key_hash(sid, kg, key, klen);
    kc_entry *e = find(c, h, sid, kg, key, klen);
    if (e) {
        c->st.hits++;
        e->b->flags |= F_REF;
        *found = !(e->b->flags & F_DEL);
        *val = KDATA(e->b) + e->b->klen;
        *vlen = e->b->vlen;
        return SL_OK;
    }
    c->st.misses++;
    *found = false;
    if (!bloom_maybe(c, h)) return SL_OK; /* never written to the store: absent */
    const kc_block *kept;
    if (pend_lookup(c, h, sid, kg, key, klen, &kept)) wb_drain(c); /* its value is in a batch not yet written */
    sl_status st = bg_failure(c, err);
    if (st) return st;
    const void *v;
    size_t vn;
    bool in_store;
    if (kept) { /* evicted a moment ago: its batch is not written yet */
        c->st.pending_reads++;
        if (kept->flags & F_DEL) return SL_OK;
        v = KDATA(kept) + kept->klen;
        vn = kept->vlen;
    } else {
        c->st.store_reads++;
        st = sl_state_get(c->store, sid, kg, key, klen, NULL, 0, &v, &vn, &in_store, err);
        if (st || !in_store) return st;
    }
    e = insert(c, h, sid, kg, key, klen);
    set_value(c, e, v, vn, F_REF); /* clean: the store has it (or will, once its batch is written) */
    if ((st = shrink(c, e, err))) return st;
    e = refind(c, h, sid, kg, key, klen);
    *found = true;
    *val = KDATA(e->b) + e->b->klen;
    *vlen = e->b->vlen;
    return SL_OK;
}

sl_status sl_kcache_put(sl_kcache *c, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen, sl_error *err)
{
    if (atomic_load_explicit(&c->failed, memory_order_relaxed)) return bg_failure(c, err);
    uint64_t h = key_hash(sid, kg, key, klen);
    kc_entry *e = find(c, h, sid, kg, key, klen);
    if (!e) e = insert(c, h, sid, kg, key, klen);
    bool was_dirty = e->b->flags & F_DIRTY;
    cl_touch(c, e->b);
    set_value(c, e, val, vlen, F_DIRTY | F_REF);
    cl_dirtied(c, e);
    if (!was_dirty) c->ndirty++;
    return shrink(c, e, err);
}

sl_status sl_kcache_delete(sl_kcache *c, int sid, int kg, const void *key, size_t klen, sl_error *err)
{
    if (atomic_load_explicit(&c->failed, memory_order_relaxed)) return bg_failure(c, err);
    uint64_t h = key_hash(sid, kg, key, klen);
    kc_entry *e = find(c, h, sid, kg, key, klen);
    bool maybe_stored = bloom_maybe(c, h);
    if (!maybe_stored) {
        if (e) {
            cl_touch(c, e->b);
            if (e->b->flags & F_DIRTY) c->ndirty--;
            c->used -= (uint64_t)e->b->cap + sizeof(kc_block) + ENTRY_OVERHEAD;
            free(e->b);
            remove_slot(c, (size_t)(e - c->slots));
        }
        return SL_OK;
    }
    if (!e) e = insert(c, h, sid, kg, key, klen);
    bool was_dirty = e->b->flags & F_DIRTY;
    cl_touch(c, e->b);
    set_value(c, e, NULL, 0, F_DIRTY | F_DEL | F_REF); /* a tombstone, written back on eviction */
    cl_dirtied(c, e);
    if (!was_dirty) c->ndirty++;
    return shrink(c, e, err);
}

void sl_kcache_store_has_data(sl_kcache *c) { c->store_may_have_data = true; }

/* Every dirty value into the store's write batch (begun here, left open when `hand` is false),
 * handed to the writer in batches of WQ_CAP when `hand`. */
static sl_status write_back_all(sl_kcache *c, bool hand, sl_error *err)
{
    sl_status st = SL_OK;
    sl_state_batch_begin(c->store);
    c->wq_hands = hand;
    for (size_t i = 0; i < c->nslots && c->ndirty && !st; i++)
        if (c->slots[i].hash) st = write_back(c, c->slots[i].hash & ~KC_CAP, c->slots[i].b, err);
    return wq_finish(c, st, hand, err);
}

sl_status sl_kcache_flush(sl_kcache *c, sl_error *err)
{
    wait_thawed(c);
    sl_status st = bg_failure(c, err);
    if (!st) st = write_back_all(c, true, err);
    sl_status wst = sl_kcache_wait_written(c, st ? NULL : err);
    return st ? st : wst;
}

sl_status sl_kcache_wait_written(sl_kcache *c, sl_error *err)
{
    wb_drain(c);
    return bg_failure(c, err);
}

sl_status sl_kcache_freeze(sl_kcache *c, uint64_t *gen, sl_error *err)
{
    wait_thawed(c);
    /* with a changelog the dirty values go to the checkpoint's segment, not to the store */
    sl_status st = SL_OK;
    if (c->cl_dir) sl_state_batch_begin(c->store);
    else st = write_back_all(c, false, err);
    if (st) return st;
    /* the snapshot writes this batch before the thaw, and nothing is evicted until then: reads
     * need not wait for it */
    if (c->pend[WBQ_CAP].bits) memset(c->pend[WBQ_CAP].bits, 0, PEND_BITS / 8);
    pthread_mutex_lock(&c->fm);
    *gen = ++c->freeze_gen;
    atomic_store_explicit(&c->frozen, true, memory_order_release);
    pthread_mutex_unlock(&c->fm);
    return SL_OK;
}

void sl_kcache_thaw(sl_kcache *c, uint64_t gen, const sl_error *failure)
{
    if (failure) set_failure(c, failure);
    pthread_mutex_lock(&c->fm);
    if (gen == c->freeze_gen) atomic_store_explicit(&c->frozen, false, memory_order_release);
    pthread_cond_broadcast(&c->fcv);
    pthread_mutex_unlock(&c->fm);
}


void sl_kcache_hold_writer(sl_kcache *c, bool hold)
{
    pthread_mutex_lock(&c->wbm);
    c->wb_hold = hold;
    pthread_cond_signal(&c->wb_work);
    pthread_mutex_unlock(&c->wbm);
}

void sl_kcache_get_stats(const sl_kcache *c, sl_kcache_stats *st)
{
    *st = c->st;
    st->freeze_waits = c->freeze_waits;
    st->write_waits = c->wb_waits;
    st->captured = c->captured;
    st->changelog_bytes = c->cl_bytes + (c->capturing ? c->cw.bytes : 0);
    st->bytes = c->used;
    st->entries = c->count;
}

/* ---- changelog: barriers and the capture ------------------------------------------------------- */

sl_status sl_kcache_changelog(sl_kcache *c, const char *dir, sl_error *err)
{
    if (sl_fs_mkdirs(dir) != 0) return sl_error_set(err, SL_ERR_IO, "cannot create the changelog directory '%s': %s", dir, strerror(errno));
    c->cl_dir = sl_xstrdup(dir);
    c->cur_ep = 1;
    return SL_OK;
}

bool sl_kcache_capturing(const sl_kcache *c) { return c->capturing; }

void sl_kcache_capture_step(sl_kcache *c, size_t slots)
{
    while (c->capturing && slots--) {
        if (c->cap_pos >= c->nslots) c->cap_pos = 0;
        /* the blocks are all over the heap: fetch the one a few slots ahead meanwhile (halves
         * the capture's time at 10M keys) */
        const kc_entry *ahead = &c->slots[(c->cap_pos + CAP_PREFETCH) & (c->nslots - 1)];
        if ((ahead->hash & KC_CAP) || (c->cap_full && ahead->hash)) __builtin_prefetch(ahead->b);
        kc_entry *e = &c->slots[c->cap_pos++];
        /* a full capture also takes the values captured before (their flags are clear) */
        if (!(e->hash & KC_CAP) && !(c->cap_full && e->hash)) continue;
        if (needs_capture(c, e->b)) capture(c, e->b);
        if (e->b->ep != 2 * c->cur_ep) e->hash &= ~KC_CAP; /* (else: changed since the barrier) */
    }
}

/* Finishes the running capture now: one pass over the whole table, where nothing moves meanwhile
 * (entries move between steps: inserts, backward shifts, growth; hence the count of what is
 * left). Values still missing after it mean the count is wrong (a bug): the segment fails rather
 * than the task hang. */
static void capture_rest(sl_kcache *c)
{
    if (!c->capturing) return;
    sl_kcache_capture_step(c, c->nslots);
    if (!c->capturing) return;
    sl_error e;
    sl_error_set(&e, SL_ERR_INTERNAL, "the changelog capture of epoch %u lost track of %zu values", c->cap_ep, c->cap_left);
    sl_chg_fail(&c->cw, &e);
    c->cap_left = 0;
    cap_complete(c);
}

void sl_kcache_capture_finish(sl_kcache *c) { capture_rest(c); }

static sl_status write_file(const char *path, const void *data, size_t n, sl_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        sl_status st = sl_error_set(err, SL_ERR_IO, "cannot write '%s' (checkpoint of the join's cached state): %s", path, strerror(errno));
        return st;
    }
    return SL_OK;
}

/* Puts segment ep into the checkpoint directory out: a hard link (required for the segment still
 * being written: the checkpoint must see what the capture appends), or a copy if allowed. */
static sl_status link_segment(const sl_kcache *c, uint32_t ep, const char *out, bool copy_ok, sl_error *err)
{
    char src[4400], dst[4400];
    seg_path(c, ep, src, sizeof src);
    snprintf(dst, sizeof dst, "%s/%u%s", out, ep, SL_CHG_SUFFIX);
    if ((copy_ok ? sl_fs_link_or_copy(src, dst) : link(src, dst)) == 0) return SL_OK;
    return sl_error_set(err, SL_ERR_IO, "cannot link the changelog segment '%s' into '%s': %s", src, out, strerror(errno));
}

sl_status sl_kcache_changelog_barrier(sl_kcache *c, const char *out, bool now, uint32_t *ep, sl_error *err)
{
    *ep = 0;
    if (!c->cl_dir) return SL_OK; /* no changelog: the freeze writes the dirty values back */
    if (c->capturing) capture_rest(c); /* the last epoch's capture first (usually over long ago) */
    if (sl_fs_mkdirs(out) != 0) return sl_error_set(err, SL_ERR_IO, "cannot create '%s': %s", out, strerror(errno));
    char path[4400];
    snprintf(path, sizeof path, "%s/SLUICE_INSTANCE", out);
    const char *instance = strrchr(c->cl_dir, '/') ? strrchr(c->cl_dir, '/') + 1 : c->cl_dir;
    sl_status st = write_file(path, instance, strlen(instance), err);
    bool full = c->need_full;
    /* the older segments this checkpoint needs, with which of their records */
    for (size_t i = 0; i < c->nsegs && !st && !full; i++) {
        kc_seg *g = &c->segs[i];
        if ((st = link_segment(c, g->ep, out, true, err))) break;
        snprintf(path, sizeof path, "%s/%u%s", out, g->ep, SL_CHG_LIVE_SUFFIX);
        st = write_file(path, g->live, (g->nrec + 63) / 64 * 8, err);
    }
    size_t left = full ? c->ndirty : c->n_cur;
    uint32_t e = c->cur_ep;
    if (!st && left) { /* this epoch's segment: linked now, written by the capture */
        seg_path(c, e, path, sizeof path);
        if (!(st = sl_chg_open(&c->cw, path, err)) && (st = link_segment(c, e, out, false, err))) {
            sl_chg_free(&c->cw);
            unlink(path);
        }
    }
    if (st) return st;
    c->cur_ep++;
    c->n_cur = 0;
    *ep = e;
    if (!left) { /* nothing to capture: the epoch is over already */
        signal_done(c, e, NULL);
        return SL_OK;
    }
    c->segs = sl_xrealloc(c->segs, (c->nsegs + 1) * sizeof *c->segs);
    kc_seg *g = &c->segs[c->nsegs++];
    memset(g, 0, sizeof *g);
    g->ep = e;
    g->cap = left;
    g->live = sl_xcalloc((left + 63) / 64, 8);
    c->used += (left + 63) / 64 * 8;
    c->capturing = true;
    c->cap_full = full;
    c->cap_ep = e;
    c->cap_left = left;
    c->cap_pos = 0;
    c->need_full = false;
    if (now) capture_rest(c);
    return SL_OK;
}

sl_status sl_kcache_wait_captured(sl_kcache *c, uint32_t ep, const atomic_bool *cancelled, sl_error *err)
{
    sl_status st = SL_OK;
    pthread_mutex_lock(&c->fm);
    while (c->done_ep < ep) {
        if (cancelled && atomic_load_explicit(cancelled, memory_order_acquire)) {
            st = sl_error_set(err, SL_ERR_STATE, "the checkpoint was aborted while the join's changelog was being captured");
            break;
        }
        /* (the owner captures as records flow; the poll only notices a cancellation) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->ccv, &c->fm, &ts);
    }
    if (!st && c->fail_ep == ep) {
        if (err) *err = c->cl_err;
        st = c->cl_err.code ? c->cl_err.code : SL_ERR_IO;
    }
    pthread_mutex_unlock(&c->fm);
    return st;
}
