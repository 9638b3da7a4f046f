/* state/state_hashmap.c — the in-memory backend.
 *
 * Outer table: open addressing (linear probing, backward-shift deletion) of pointers to one record
 * per (sid, kg, key); pointers stay put when the table grows, so an iterator can hold one. Each
 * record keeps its user keys in a dense array (iteration walks only that array) with, once it holds
 * more than INNER_LINEAR entries, an open-addressing index of array positions. Deleting swaps the
 * last array entry into the hole; iterators walk the array from the end, so deleting the entry just
 * visited (TTL cleanup during a scan) neither skips nor repeats entries.
 *
 * Snapshots are asynchronous (copy-on-write, like Flink's CopyOnWriteStateMap): a view (hm_view)
 * is a copy of the outer slot array taken at sl_state_snapshot_begin plus the keys it points to.
 * Every key carries the epoch it was made in (ver); the view opened at epoch E sees the keys with
 * ver < E ("frozen" while it is open). The store's thread never changes or frees a frozen key: the
 * first put/delete/expiry on one clones it (entries and data) into the table and retires the old
 * one to the view, which frees it once its dump is written (or it is released). Keys made after
 * begin are not in the view and change freely. The writer thread only reads the view; the two
 * threads meet at h->lock (the view, its retired keys, its state) and at h->view_ver, an atomic the
 * store's thread reads on each change ("is this key frozen?"). Iterators hold keys (pins): a
 * frozen key that is retired while pinned stays with its iterators until the last one lets go,
 * and a scan skips expired entries of a frozen key instead of dropping them (dropped later). */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/mem.h"

#define INNER_LINEAR 8          /* entries searched linearly before an index is built */
#define UKEY_SEED 0x736c75696365ULL

typedef struct hm_entry {
    uint64_t hash; /* of the user key */
    int64_t ts;    /* last write (TTL) */
    uint32_t uklen, vlen, cap;
    uint8_t *data; /* ukey | value, cap bytes */
} hm_entry;

typedef struct hm_key {
    uint64_t hash;
    uint32_t klen;
    uint16_t kg;
    uint8_t sid;
    bool retired;     /* no longer in the table (replaced by a clone): kept for a view or an iterator */
    uint32_t pins;    /* live iterators on this key: it is not freed (or reordered by gets) meanwhile */
    uint32_t ver;     /* the epoch it was made in: a view opened at epoch E sees it if ver < E */
    hm_entry *ents;
    uint32_t n, cap;
    uint32_t *idx;    /* position + 1, 0 = empty; NULL while n <= INNER_LINEAR */
    uint32_t idx_cap; /* power of two */
    uint8_t key[];
} hm_key;

typedef struct hm_iter {
    sl_state_iter base;
    hm_key *k; /* NULL: key absent */
    uint32_t pos;
} hm_iter;

/* An iterator of sl_state_scan_group: the keys of the (sid, kg), each pinned until visited. */
typedef struct hm_giter {
    sl_state_iter base;
    hm_key **keys;
    size_t n, i; /* keys[i] is the key being visited */
    uint32_t pos;
} hm_giter;

struct hm_view;

typedef struct hm_store {
    sl_state base;
    hm_key **slots;
    size_t cap, n; /* cap: power of two */
    uint64_t mem;  /* heap bytes of the table (the store's thread) */
    uint64_t expired;
    hm_iter *spare; /* a freed iterator kept for the next scan */
    uint32_t epoch; /* stamps new keys (ver); begin moves it on */
    /* where the store's thread and a view's writer meet */
    _Atomic uint32_t view_ver;  /* epoch of the open view, 0 = none */
    _Atomic uint64_t retained;  /* heap bytes held only for the open view (retired keys, its slot array) */
    pthread_mutex_t lock;       /* guards view and the view's fields marked so */
    pthread_cond_t cond;        /* a view's state changed */
    struct hm_view *view;       /* the open view (attached), or NULL */
} hm_store;

enum { VIEW_OPEN, VIEW_WRITING, VIEW_DONE };

/* A copy-on-write view of the table (sl_state_snapshot_begin .. its write or free). */
typedef struct hm_view {
    hm_store *h;
    uint32_t ver;       /* sees the keys with ver < this */
    bool ttl;
    char *dir;
    hm_key **slots;     /* the outer slot array at begin (NULL once released) */
    size_t cap;
    /* under h->lock: */
    hm_key **retired;   /* frozen keys the table replaced: freed with the view */
    size_t nretired, capretired;
    int state;          /* VIEW_OPEN, VIEW_WRITING (by some thread), VIEW_DONE (result below) */
    sl_status rc;
    sl_error err;
} hm_view;

static uint64_t key_hash(int sid, int kg, const void *key, size_t klen)
{
    return sl_hash64_seed(klen ? key : "", klen, ((uint64_t)sid << 16) | (uint64_t)kg);
}

static uint64_t ukey_hash(const void *ukey, size_t uklen)
{
    return sl_hash64_seed(uklen ? ukey : "", uklen, UKEY_SEED);
}

/* ---- outer table ---- */

static size_t find_slot(const hm_store *h, uint64_t hash, int sid, int kg, const void *key, size_t klen)
{
    size_t mask = h->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const hm_key *k = h->slots[i];
        if (!k) return i;
        if (k->hash == hash && k->sid == sid && k->kg == kg && k->klen == klen &&
            (klen == 0 || memcmp(k->key, key, klen) == 0))
            return i;
    }
}

static void outer_grow(hm_store *h)
{
    size_t ncap = h->cap * 2;
    hm_key **ns = sl_xcalloc(ncap, sizeof *ns);
    for (size_t i = 0; i < h->cap; i++) {
        hm_key *k = h->slots[i];
        if (!k) continue;
        size_t j = k->hash & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = k;
    }
    free(h->slots);
    h->mem += (ncap - h->cap) * sizeof *ns;
    h->slots = ns;
    h->cap = ncap;
}

/* Heap bytes of one key (as counted in h->mem). */
static uint64_t key_bytes(const hm_key *k)
{
    uint64_t b = sizeof *k + k->klen + (uint64_t)k->cap * sizeof(hm_entry) + (uint64_t)k->idx_cap * sizeof(uint32_t);
    for (uint32_t i = 0; i < k->n; i++) b += k->ents[i].cap;
    return b;
}

/* Frees a key without accounting (any thread). */
static void key_release(hm_key *k)
{
    for (uint32_t i = 0; i < k->n; i++) free(k->ents[i].data);
    free(k->ents);
    free(k->idx);
    free(k);
}

static void key_free(hm_store *h, hm_key *k)
{
    h->mem -= key_bytes(k);
    key_release(k);
}

/* ---- copy-on-write ---- */

/* Whether an open view may see k: then k must not change (the store's thread; cheap). A stale
 * answer after the view was released meanwhile only sends the caller to the locked path. */
static inline bool frozen(const hm_store *h, const hm_key *k)
{
    uint32_t v = atomic_load_explicit(&h->view_ver, memory_order_acquire);
    return v != 0 && k->ver < v;
}

/* Hands the frozen key k, no longer in the table, to the view v (under h->lock): it is freed with
 * the view, or, while iterators pin it, by the last one (key_unpinned). */
static void retire_locked(hm_store *h, hm_view *v, hm_key *k)
{
    uint64_t b = key_bytes(k);
    h->mem -= b;
    atomic_fetch_add(&h->retained, b);
    k->retired = true;
    if (k->pins) return;
    if (v->nretired == v->capretired) SL_GROW(v->retired, v->capretired, v->nretired + 1);
    v->retired[v->nretired++] = k;
}

/* Frees a key leaving the table: retired to the open view if it sees the key. */
static void drop_key(hm_store *h, hm_key *k)
{
    if (frozen(h, k)) {
        pthread_mutex_lock(&h->lock);
        bool kept = h->view != NULL;
        if (kept) retire_locked(h, h->view, k);
        pthread_mutex_unlock(&h->lock);
        if (kept) return;
    }
    key_free(h, k);
}

/* The last iterator let go of a retired key. */
static void key_unpinned(hm_store *h, hm_key *k)
{
    pthread_mutex_lock(&h->lock);
    hm_view *v = h->view;
    if (v) { /* still open: it goes with the view (that one may see it) */
        if (v->nretired == v->capretired) SL_GROW(v->retired, v->capretired, v->nretired + 1);
        v->retired[v->nretired++] = k;
    }
    pthread_mutex_unlock(&h->lock);
    if (!v) {
        atomic_fetch_sub(&h->retained, key_bytes(k));
        key_release(k);
    }
}

/* A deep copy of k (entries and their data), made in the current epoch. */
static hm_key *key_clone(hm_store *h, const hm_key *k)
{
    hm_key *c = sl_xmalloc(sizeof *c + (k->klen ? k->klen : 1));
    memcpy(c, k, sizeof *c + k->klen);
    c->pins = 0;
    c->retired = false;
    c->ver = h->epoch;
    c->ents = k->cap ? sl_xmalloc((size_t)k->cap * sizeof *c->ents) : NULL;
    if (k->n) memcpy(c->ents, k->ents, (size_t)k->n * sizeof *c->ents);
    for (uint32_t i = 0; i < k->n; i++) {
        c->ents[i].data = sl_xmalloc(k->ents[i].cap);
        memcpy(c->ents[i].data, k->ents[i].data, (size_t)k->ents[i].uklen + k->ents[i].vlen);
    }
    if (k->idx) {
        c->idx = sl_xmalloc((size_t)k->idx_cap * sizeof *c->idx);
        memcpy(c->idx, k->idx, (size_t)k->idx_cap * sizeof *c->idx);
    }
    h->mem += key_bytes(c);
    return c;
}

/* Before the first change of the frozen key k in slot i: the table gets a copy (returned), the
 * view keeps k. */
static hm_key *cow(hm_store *h, size_t i, hm_key *k)
{
    pthread_mutex_lock(&h->lock);
    hm_view *v = h->view;
    if (v) {
        hm_key *c = key_clone(h, k);
        h->slots[i] = c;
        retire_locked(h, v, k);
        k = c;
    }
    pthread_mutex_unlock(&h->lock);
    return k;
}

/* Removes the key in slot i (it must be empty and unpinned). */
static void outer_remove(hm_store *h, size_t i)
{
    size_t mask = h->cap - 1;
    drop_key(h, h->slots[i]);
    h->slots[i] = NULL;
    h->n--;
    for (size_t j = (i + 1) & mask; h->slots[j]; j = (j + 1) & mask) {
        size_t home = h->slots[j]->hash & mask;
        /* Move j back into the hole i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        h->slots[i] = h->slots[j];
        h->slots[j] = NULL;
        i = j;
    }
}

static void outer_remove_key(hm_store *h, hm_key *k)
{
    size_t i = find_slot(h, k->hash, k->sid, k->kg, k->key, k->klen);
    if (h->slots[i] == k) outer_remove(h, i);
}

/* ---- inner table ---- */

static uint32_t *idx_slot(hm_key *k, uint64_t hash, uint32_t pos1)
{
    uint32_t mask = k->idx_cap - 1;
    for (uint32_t i = (uint32_t)hash & mask;; i = (i + 1) & mask)
        if (k->idx[i] == pos1) return &k->idx[i];
}

static void idx_insert(hm_key *k, uint32_t pos)
{
    *idx_slot(k, k->ents[pos].hash, 0) = pos + 1;
}

static void idx_build(hm_store *h, hm_key *k, uint32_t cap)
{
    h->mem += ((uint64_t)cap - k->idx_cap) * sizeof(uint32_t);
    free(k->idx);
    k->idx = sl_xcalloc(cap, sizeof *k->idx);
    k->idx_cap = cap;
    for (uint32_t p = 0; p < k->n; p++) idx_insert(k, p);
}

static void idx_remove(hm_key *k, uint32_t *slot)
{
    uint32_t mask = k->idx_cap - 1;
    uint32_t i = (uint32_t)(slot - k->idx);
    k->idx[i] = 0;
    for (uint32_t j = (i + 1) & mask; k->idx[j]; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)k->ents[k->idx[j] - 1].hash & mask;
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        k->idx[i] = k->idx[j];
        k->idx[j] = 0;
        i = j;
    }
}

/* Position of the user key in k->ents, or -1. */
static int64_t inner_find(hm_key *k, uint64_t hash, const void *ukey, size_t uklen)
{
    if (!k->idx) {
        for (uint32_t p = 0; p < k->n; p++) {
            const hm_entry *e = &k->ents[p];
            if (e->hash == hash && e->uklen == uklen && (uklen == 0 || memcmp(e->data, ukey, uklen) == 0)) return p;
        }
        return -1;
    }
    uint32_t mask = k->idx_cap - 1;
    for (uint32_t i = (uint32_t)hash & mask;; i = (i + 1) & mask) {
        uint32_t p1 = k->idx[i];
        if (!p1) return -1;
        const hm_entry *e = &k->ents[p1 - 1];
        if (e->hash == hash && e->uklen == uklen && (uklen == 0 || memcmp(e->data, ukey, uklen) == 0)) return p1 - 1;
    }
}

/* Removes entry pos: the last entry moves into its place. */
static void inner_remove(hm_store *h, hm_key *k, uint32_t pos)
{
    hm_entry *e = &k->ents[pos];
    uint32_t last = k->n - 1;
    if (k->idx) {
        idx_remove(k, idx_slot(k, e->hash, pos + 1));
        if (pos != last) *idx_slot(k, k->ents[last].hash, last + 1) = pos + 1;
    }
    h->mem -= e->cap;
    free(e->data);
    if (pos != last) k->ents[pos] = k->ents[last];
    k->n--;
}

/* ---- operations ---- */

static hm_key *lookup(hm_store *h, int sid, int kg, const void *key, size_t klen, size_t *slot)
{
    uint64_t hash = key_hash(sid, kg, key, klen);
    size_t i = find_slot(h, hash, sid, kg, key, klen);
    if (slot) *slot = i;
    return h->slots[i];
}

static sl_status hm_get(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                        const void **val, size_t *vlen, bool *found, sl_error *err)
{
    hm_store *h = (hm_store *)s;
    size_t slot;
    hm_key *k = lookup(h, sid, kg, key, klen, &slot);
    if (!k) return SL_OK;
    int64_t p = inner_find(k, ukey_hash(ukey, uklen), ukey, uklen);
    if (p < 0) return SL_OK;
    hm_entry *e = &k->ents[p];
    if (s->ttl_ms > 0 && sl_state_expired(e->ts, s->ttl_ms, sl_state_now(s))) {
        if (k->pins == 0) { /* an iterator walks this key: leave the cleanup to it */
            if (frozen(h, k)) k = cow(h, slot, k); /* same entry positions */
            inner_remove(h, k, (uint32_t)p);
            h->expired++;
            if (k->n == 0) outer_remove(h, slot);
        }
        return SL_OK;
    }
    *val = e->data + e->uklen;
    *vlen = e->vlen;
    *found = true;
    return SL_OK;
}

/* Puts with write time ts. */
static sl_status put_at(hm_store *h, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                        const void *val, size_t vlen, int64_t ts, sl_error *err)
{
    if ((uint64_t)uklen + vlen > UINT32_MAX)
        return sl_error_set(err, SL_ERR_INVALID, "state entry of %zu bytes is too large for the hashmap backend",
                            uklen + vlen);
    uint64_t hash = key_hash(sid, kg, key, klen);
    size_t slot = find_slot(h, hash, sid, kg, key, klen);
    hm_key *k = h->slots[slot];
    if (!k) {
        if ((h->n + 1) * 4 > h->cap * 3) {
            outer_grow(h);
            slot = find_slot(h, hash, sid, kg, key, klen);
        }
        k = sl_xcalloc(1, sizeof *k + (klen ? klen : 1));
        k->hash = hash;
        k->klen = (uint32_t)klen;
        k->kg = (uint16_t)kg;
        k->sid = (uint8_t)sid;
        k->ver = h->epoch;
        if (klen) memcpy(k->key, key, klen);
        h->slots[slot] = k;
        h->n++;
        h->mem += sizeof *k + klen;
    } else if (frozen(h, k)) {
        k = cow(h, slot, k);
    }
    uint64_t uh = ukey_hash(ukey, uklen);
    int64_t p = inner_find(k, uh, ukey, uklen);
    hm_entry *e;
    size_t need = uklen + vlen;
    if (p >= 0) {
        e = &k->ents[p];
        if (need > e->cap) {
            h->mem += need - e->cap;
            e->data = sl_xrealloc(e->data, need);
            e->cap = (uint32_t)need;
        }
    } else {
        if (k->n == k->cap) {
            uint32_t ncap = k->cap ? k->cap * 2 : 1;
            k->ents = sl_xrealloc(k->ents, (size_t)ncap * sizeof *k->ents);
            h->mem += (uint64_t)(ncap - k->cap) * sizeof *k->ents;
            k->cap = ncap;
        }
        e = &k->ents[k->n];
        e->hash = uh;
        e->uklen = (uint32_t)uklen;
        e->cap = (uint32_t)(need ? need : 1);
        e->data = sl_xmalloc(e->cap);
        h->mem += e->cap;
        if (uklen) memcpy(e->data, ukey, uklen);
        k->n++;
        if (k->idx) {
            if ((uint64_t)k->n * 2 > k->idx_cap) idx_build(h, k, k->idx_cap * 2);
            else idx_insert(k, k->n - 1);
        } else if (k->n > INNER_LINEAR) {
            idx_build(h, k, 32);
        }
    }
    e->vlen = (uint32_t)vlen;
    if (vlen) memcpy(e->data + e->uklen, val, vlen);
    e->ts = ts;
    return SL_OK;
}

static sl_status hm_put(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                        const void *val, size_t vlen, sl_error *err)
{
    return put_at((hm_store *)s, sid, kg, key, klen, ukey, uklen, val, vlen, s->ttl_ms > 0 ? sl_state_now(s) : 0, err);
}

static sl_status hm_del(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                        sl_error *err)
{
    hm_store *h = (hm_store *)s;
    size_t slot;
    hm_key *k = lookup(h, sid, kg, key, klen, &slot);
    if (!k) return SL_OK;
    int64_t p = inner_find(k, ukey_hash(ukey, uklen), ukey, uklen);
    if (p < 0) return SL_OK;
    if (k->n == 1 && k->pins == 0) { /* the key goes (a frozen one to the view, not copied) */
        outer_remove(h, slot);
        return SL_OK;
    }
    if (frozen(h, k)) k = cow(h, slot, k);
    inner_remove(h, k, (uint32_t)p);
    if (k->n == 0 && k->pins == 0) outer_remove(h, slot);
    return SL_OK;
}

static sl_status hm_scan(sl_state *s, int sid, int kg, const void *key, size_t klen, sl_state_iter **out,
                         sl_error *err)
{
    hm_store *h = (hm_store *)s;
    hm_iter *it = h->spare;
    if (it) h->spare = NULL;
    else it = sl_xmalloc(sizeof *it);
    it->base.s = s;
    it->base.group = false;
    sl_error_clear(&it->base.err);
    it->k = lookup(h, sid, kg, key, klen, NULL);
    it->pos = 0;
    if (it->k) {
        it->k->pins++;
        it->pos = it->k->n;
    }
    *out = &it->base;
    return SL_OK;
}

/* Drops the iterator's pin; frees the key if the scan emptied it. */
static void iter_release(hm_iter *it)
{
    hm_key *k = it->k;
    if (!k) return;
    it->k = NULL;
    if (--k->pins) return;
    if (k->retired) key_unpinned((hm_store *)it->base.s, k);
    else if (k->n == 0) outer_remove_key((hm_store *)it->base.s, k);
}

static bool hm_gnext(sl_state_iter *bit, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                     const void **val, size_t *vlen);

/* The next live entry of k below *pos (iterators walk a key's entries downwards; expired ones are
 * dropped on the way: the last entry, already visited, moves into their place), or NULL. */
static hm_entry *next_live(hm_store *h, hm_key *k, uint32_t *pos, int64_t now)
{
    while (*pos > 0) {
        uint32_t p = --*pos;
        if (p >= k->n) continue; /* entries removed behind our back */
        hm_entry *e = &k->ents[p];
        if (h->base.ttl_ms > 0 && sl_state_expired(e->ts, h->base.ttl_ms, now)) {
            if (k->retired || frozen(h, k)) continue; /* a view holds it: dropped by a later access */
            inner_remove(h, k, p);
            h->expired++;
            continue;
        }
        return e;
    }
    return NULL;
}

static bool hm_next(sl_state_iter *bit, const void **ukey, size_t *uklen, const void **val, size_t *vlen)
{
    if (bit->group) {
        const void *key;
        size_t klen;
        return hm_gnext(bit, &key, &klen, ukey, uklen, val, vlen);
    }
    hm_iter *it = (hm_iter *)bit;
    hm_store *h = (hm_store *)bit->s;
    hm_key *k = it->k;
    if (!k) return false;
    int64_t now = h->base.ttl_ms > 0 ? sl_state_now(&h->base) : 0;
    hm_entry *e = next_live(h, k, &it->pos, now);
    if (e) {
        *ukey = e->data;
        *uklen = e->uklen;
        *val = e->data + e->uklen;
        *vlen = e->vlen;
        return true;
    }
    iter_release(it);
    return false;
}

/* ---- group scans ---- */

static void key_unpin(hm_store *h, hm_key *k)
{
    if (--k->pins) return;
    if (k->retired) key_unpinned(h, k);
    else if (k->n == 0) outer_remove_key(h, k);
}

static sl_status hm_scan_group(sl_state *s, int sid, int kg, sl_state_iter **out, sl_error *err)
{
    (void)err;
    hm_store *h = (hm_store *)s;
    hm_giter *it = sl_xcalloc(1, sizeof *it);
    it->base.s = s;
    it->base.group = true;
    sl_error_clear(&it->base.err);
    size_t cap = 0;
    for (size_t i = 0; i < h->cap; i++) {
        hm_key *k = h->slots[i];
        if (!k || k->sid != sid || k->kg != kg || k->n == 0) continue;
        if (it->n == cap) SL_GROW(it->keys, cap, it->n + 1);
        k->pins++; /* not freed (nor its entries reordered by gets) until visited */
        it->keys[it->n++] = k;
    }
    if (it->n) it->pos = it->keys[0]->n;
    *out = &it->base;
    return SL_OK;
}

static bool hm_gnext(sl_state_iter *bit, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                     const void **val, size_t *vlen)
{
    hm_giter *it = (hm_giter *)bit;
    hm_store *h = (hm_store *)bit->s;
    int64_t now = h->base.ttl_ms > 0 ? sl_state_now(&h->base) : 0;
    while (it->i < it->n) {
        hm_key *k = it->keys[it->i];
        hm_entry *e = next_live(h, k, &it->pos, now);
        if (e) {
            *key = k->key;
            *klen = k->klen;
            *ukey = e->data;
            *uklen = e->uklen;
            *val = e->data + e->uklen;
            *vlen = e->vlen;
            return true;
        }
        it->keys[it->i++] = NULL;
        key_unpin(h, k);
        if (it->i < it->n) it->pos = it->keys[it->i]->n;
    }
    return false;
}

static bool hm_next_entry(sl_state_iter *bit, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                          const void **val, size_t *vlen)
{
    if (bit->group) return hm_gnext(bit, key, klen, ukey, uklen, val, vlen);
    hm_key *k = ((hm_iter *)bit)->k;
    if (!hm_next(bit, ukey, uklen, val, vlen)) return false;
    *key = k->key; /* pinned: the iterator holds it while it returns entries */
    *klen = k->klen;
    return true;
}

static void giter_free(hm_giter *it)
{
    hm_store *h = (hm_store *)it->base.s;
    for (size_t i = it->i; i < it->n; i++) key_unpin(h, it->keys[i]);
    free(it->keys);
    free(it);
}

static void hm_iter_free(sl_state_iter *bit)
{
    if (bit->group) {
        giter_free((hm_giter *)bit);
        return;
    }
    hm_iter *it = (hm_iter *)bit;
    hm_store *h = (hm_store *)bit->s;
    iter_release(it);
    if (!h->spare) h->spare = it;
    else free(it);
}

static void hm_stats(sl_state *s, sl_state_stats *st)
{
    hm_store *h = (hm_store *)s;
    st->expired = h->expired;
    st->memory_bytes = h->mem + atomic_load(&h->retained);
    st->disk_bytes = 0;
}

static void hm_close(sl_state *s)
{
    hm_store *h = (hm_store *)s;
    /* a view must be freed before its store is closed (sl_state_snap_free) */
    assert(h->view == NULL);
    for (size_t i = 0; i < h->cap; i++)
        if (h->slots[i]) key_free(h, h->slots[i]);
    free(h->slots);
    free(h->spare);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
}

/* ---- snapshots: one dump file ----
 *
 * header   "SLUICEHM" | version u32 | flags u32 (bit 0: write times are meaningful) | 0 u64
 * entry    1 u8 | sid u8 | kg u16 | klen u32 | uklen u32 | vlen u32 | write time i64 | key | ukey | value
 * end      0 u8 | entries u64 | checksum u64 (sl_hash64_seed chained over every entry's bytes)
 * Integers little endian. The file ends after the end record. */
#define DUMP_MAGIC "SLUICEHM"
#define DUMP_VERSION 1
#define DUMP_HEADER 24
#define DUMP_ENTRY 24
#define DUMP_END 17
#define DUMP_SEED 0x64756d70ULL

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Writes the dump of the keys in slots[0..cap) into dir (which exists). Reads the keys only. */
static sl_status dump_write(const char *dir, hm_key *const *slots, size_t cap, bool ttl, sl_error *err)
{
    size_t pl = strlen(dir) + sizeof SL_STATE_FILE_DUMP + 2;
    char *path = sl_xmalloc(pl);
    snprintf(path, pl, "%s/%s", dir, SL_STATE_FILE_DUMP);
    FILE *f = fopen(path, "wx");
    if (!f) {
        sl_error_set(err, SL_ERR_IO, "could not create the state snapshot file \"%s\": %s", path, strerror(errno));
        free(path);
        return SL_ERR_IO;
    }
    setvbuf(f, NULL, _IOFBF, 1u << 20);
    uint8_t hd[DUMP_HEADER] = {0};
    memcpy(hd, DUMP_MAGIC, 8);
    put_le(hd + 8, DUMP_VERSION, 4);
    put_le(hd + 12, ttl ? 1 : 0, 4);
    bool ok = fwrite(hd, 1, sizeof hd, f) == sizeof hd;
    uint64_t count = 0, sum = DUMP_SEED;
    for (size_t i = 0; ok && i < cap; i++) {
        const hm_key *k = slots[i];
        if (!k) continue;
        for (uint32_t p = 0; ok && p < k->n; p++) {
            const hm_entry *e = &k->ents[p];
            uint8_t eh[DUMP_ENTRY];
            eh[0] = 1;
            eh[1] = k->sid;
            put_le(eh + 2, k->kg, 2);
            put_le(eh + 4, k->klen, 4);
            put_le(eh + 8, e->uklen, 4);
            put_le(eh + 12, e->vlen, 4);
            put_le(eh + 16, (uint64_t)e->ts, 8);
            sum = sl_hash64_seed(eh, sizeof eh, sum);
            sum = sl_hash64_seed(k->klen ? k->key : (const uint8_t *)"", k->klen, sum);
            sum = sl_hash64_seed(e->data, (size_t)e->uklen + e->vlen, sum);
            ok = fwrite(eh, 1, sizeof eh, f) == sizeof eh && fwrite(k->key, 1, k->klen, f) == k->klen &&
                 fwrite(e->data, 1, (size_t)e->uklen + e->vlen, f) == (size_t)e->uklen + e->vlen;
            count++;
        }
    }
    uint8_t end[DUMP_END];
    end[0] = 0;
    put_le(end + 1, count, 8);
    put_le(end + 9, sum, 8);
    ok = ok && fwrite(end, 1, sizeof end, f) == sizeof end && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) sl_error_set(err, SL_ERR_IO, "could not write the state snapshot file \"%s\": %s", path, strerror(e));
    free(path);
    return ok ? SL_OK : SL_ERR_IO;
}

/* Releases what the view holds and detaches it from the store (under h->lock): the table's keys
 * change freely again. */
static void view_detach_locked(hm_store *h, hm_view *v)
{
    uint64_t b = 0;
    for (size_t i = 0; i < v->nretired; i++) {
        b += key_bytes(v->retired[i]);
        key_release(v->retired[i]);
    }
    free(v->retired);
    v->retired = NULL;
    v->nretired = v->capretired = 0;
    b += v->cap * sizeof *v->slots;
    free(v->slots);
    v->slots = NULL;
    atomic_fetch_sub(&h->retained, b);
    h->view = NULL;
    atomic_store_explicit(&h->view_ver, 0, memory_order_release);
    pthread_cond_broadcast(&h->cond);
}

/* Writes the view (state VIEW_WRITING, taken by the caller), then records the result and releases
 * the view (takes h->lock). */
static void view_write(hm_view *v)
{
    hm_store *h = v->h;
    sl_error e;
    sl_error_clear(&e);
    sl_status rc = dump_write(v->dir, v->slots, v->cap, v->ttl, &e);
    pthread_mutex_lock(&h->lock);
    v->rc = rc;
    v->err = e;
    v->state = VIEW_DONE;
    if (h->view == v) view_detach_locked(h, v);
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

static sl_status hm_snap_begin(sl_state *s, const char *dir, void **out, sl_error *err)
{
    hm_store *h = (hm_store *)s;
    *out = NULL;
    /* one view at a time: finish the previous one first (write it here if nobody is writing it) */
    pthread_mutex_lock(&h->lock);
    while (h->view) {
        hm_view *prev = h->view;
        if (prev->state == VIEW_OPEN) {
            prev->state = VIEW_WRITING;
            pthread_mutex_unlock(&h->lock);
            view_write(prev);
            pthread_mutex_lock(&h->lock);
        } else {
            pthread_cond_wait(&h->cond, &h->lock);
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (mkdir(dir, 0777) != 0)
        return sl_error_set(err, SL_ERR_IO, "could not create the state snapshot directory \"%s\": %s", dir,
                            strerror(errno));
    hm_view *v = sl_xcalloc(1, sizeof *v);
    v->h = h;
    v->ttl = s->ttl_ms > 0;
    v->dir = sl_xstrdup(dir);
    v->cap = h->cap;
    v->slots = sl_xmalloc(h->cap * sizeof *v->slots);
    memcpy(v->slots, h->slots, h->cap * sizeof *v->slots);
    v->state = VIEW_OPEN;
    v->ver = ++h->epoch; /* keys made from now on are not in the view */
    atomic_fetch_add(&h->retained, h->cap * sizeof *v->slots);
    pthread_mutex_lock(&h->lock);
    h->view = v;
    atomic_store_explicit(&h->view_ver, v->ver, memory_order_release);
    pthread_mutex_unlock(&h->lock);
    *out = v;
    return SL_OK;
}

static sl_status hm_snap_write(void *vv, sl_error *err)
{
    hm_view *v = vv;
    hm_store *h = v->h;
    pthread_mutex_lock(&h->lock);
    bool mine = v->state == VIEW_OPEN;
    if (mine) v->state = VIEW_WRITING;
    while (!mine && v->state != VIEW_DONE) pthread_cond_wait(&h->cond, &h->lock); /* a later begin writes it */
    pthread_mutex_unlock(&h->lock);
    if (mine) view_write(v);
    if (v->rc != SL_OK && err) *err = v->err;
    return v->rc;
}

static void hm_snap_free(void *vv)
{
    hm_view *v = vv;
    hm_store *h = v->h;
    pthread_mutex_lock(&h->lock);
    while (v->state == VIEW_WRITING) pthread_cond_wait(&h->cond, &h->lock);
    if (h->view == v) view_detach_locked(h, v);
    pthread_mutex_unlock(&h->lock);
    free(v->dir);
    free(v);
}

static sl_status dump_error(sl_error *err, const char *dir, const char *what)
{
    sl_error_set(err, SL_ERR_STATE, "cannot restore state from \"%s\": %s", dir, what);
    sl_error_hint(err, "restore from a complete checkpoint or savepoint whose files were written by "
                       "sl_state_snapshot, or start the job without restoring state");
    return SL_ERR_STATE;
}

sl_status sl_state_hashmap_read_snapshot(const char *dir, bool has_ts, int kg_lo, int kg_hi, sl_state_entry_fn fn,
                                         void *ctx, sl_error *err)
{
    size_t pl = strlen(dir) + sizeof SL_STATE_FILE_DUMP + 2;
    char *path = sl_xmalloc(pl);
    snprintf(path, pl, "%s/%s", dir, SL_STATE_FILE_DUMP);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) {
        char what[300];
        snprintf(what, sizeof what, "cannot open " SL_STATE_FILE_DUMP ": %s", strerror(errno));
        return dump_error(err, dir, what);
    }
    setvbuf(f, NULL, _IOFBF, 1u << 20);
    struct stat st;
    uint64_t size = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
    uint8_t hd[DUMP_HEADER];
    sl_status rc = SL_OK;
    const char *bad = NULL;
    if (fread(hd, 1, sizeof hd, f) != sizeof hd || memcmp(hd, DUMP_MAGIC, 8) != 0)
        bad = "corrupt " SL_STATE_FILE_DUMP " (no dump header)";
    else if (get_le(hd + 8, 4) != DUMP_VERSION)
        bad = "unknown " SL_STATE_FILE_DUMP " format version";
    else if ((get_le(hd + 12, 4) & 1) != (has_ts ? 1u : 0u))
        bad = "corrupt snapshot (" SL_STATE_FILE_DUMP " and " SL_STATE_FILE_META " disagree on the TTL)";
    uint64_t pos = DUMP_HEADER, count = 0, sum = DUMP_SEED;
    uint8_t *buf = NULL;
    size_t cap = 0;
    while (!bad && rc == SL_OK) {
        uint8_t eh[DUMP_ENTRY];
        if (fread(eh, 1, 1, f) != 1) {
            bad = "truncated " SL_STATE_FILE_DUMP;
            break;
        }
        if (eh[0] == 0) { /* the end record */
            uint8_t end[DUMP_END - 1];
            if (fread(end, 1, sizeof end, f) != sizeof end) bad = "truncated " SL_STATE_FILE_DUMP;
            else if (get_le(end, 8) != count || get_le(end + 8, 8) != sum)
                bad = "corrupt " SL_STATE_FILE_DUMP " (checksum or entry count mismatch)";
            else if (fgetc(f) != EOF) bad = "corrupt " SL_STATE_FILE_DUMP " (data after the end)";
            break;
        }
        if (eh[0] != 1 || fread(eh + 1, 1, DUMP_ENTRY - 1, f) != DUMP_ENTRY - 1) {
            bad = eh[0] != 1 ? "corrupt " SL_STATE_FILE_DUMP " (bad entry tag)" : "truncated " SL_STATE_FILE_DUMP;
            break;
        }
        pos += DUMP_ENTRY;
        uint64_t kl = get_le(eh + 4, 4), ukl = get_le(eh + 8, 4), vl = get_le(eh + 12, 4);
        uint64_t n = kl + ukl + vl;
        if (size < pos || n > size - pos) { /* never allocate more than the file holds */
            bad = "corrupt or truncated " SL_STATE_FILE_DUMP " (entry longer than the file)";
            break;
        }
        if (n > cap) SL_GROW(buf, cap, (size_t)n);
        if (n && fread(buf, 1, (size_t)n, f) != n) {
            bad = "truncated " SL_STATE_FILE_DUMP;
            break;
        }
        pos += n;
        sum = sl_hash64_seed(eh, sizeof eh, sum);
        sum = sl_hash64_seed(buf ? buf : (const uint8_t *)"", (size_t)kl, sum);
        sum = sl_hash64_seed(buf ? buf + kl : (const uint8_t *)"", (size_t)(ukl + vl), sum);
        count++;
        sl_state_entry e = {0};
        e.sid = eh[1];
        e.kg = (int)get_le(eh + 2, 2);
        if (e.kg < kg_lo || e.kg > kg_hi) continue;
        e.key = buf;
        e.klen = (size_t)kl;
        e.ukey = buf ? buf + kl : NULL;
        e.uklen = (size_t)ukl;
        e.val = buf ? buf + kl + ukl : NULL;
        e.vlen = (size_t)vl;
        e.ts = (int64_t)get_le(eh + 16, 8);
        e.has_ts = has_ts;
        rc = fn(ctx, &e, err);
    }
    if (!bad && rc == SL_OK && ferror(f)) bad = "read error";
    if (bad) rc = dump_error(err, dir, bad);
    free(buf);
    fclose(f);
    return rc;
}

/* ---- restore ---- */

static bool hm_is_empty(sl_state *s)
{
    hm_store *h = (hm_store *)s;
    for (size_t i = 0; i < h->cap && h->n; i++)
        if (h->slots[i] && h->slots[i]->n) return false;
    return true;
}

static sl_status hm_load(sl_state *s, const sl_state_entry *e, sl_error *err)
{
    return put_at((hm_store *)s, e->sid, e->kg, e->key, e->klen, e->ukey, e->uklen, e->val, e->vlen,
                  s->ttl_ms > 0 ? e->ts : 0, err);
}

static sl_status hm_load_end(sl_state *s, sl_error *err)
{
    (void)s;
    (void)err;
    return SL_OK;
}

static const sl_state_vt hm_vt = {
    .get = hm_get,
    .put = hm_put,
    .del = hm_del,
    .scan = hm_scan,
    .next = hm_next,
    .iter_free = hm_iter_free,
    .stats = hm_stats,
    .close = hm_close,
    .snap_begin = hm_snap_begin,
    .snap_write = hm_snap_write,
    .snap_free = hm_snap_free,
    .is_empty = hm_is_empty,
    .load = hm_load,
    .load_end = hm_load_end,
    .scan_group = hm_scan_group,
    .next_entry = hm_next_entry,
};

/* SLUICE_INSTANCE of a hashmap store: pid, address, time and random bits. */
static void make_instance(hm_store *h)
{
    uint64_t rnd = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &rnd, sizeof rnd) != (ssize_t)sizeof rnd) rnd = 0;
        close(fd);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (!rnd) rnd = sl_hash64_seed(&ts, sizeof ts, (uint64_t)(uintptr_t)h);
    snprintf(h->base.instance, sizeof h->base.instance, "hashmap-%ld-%jx-%jx-%016jx", (long)getpid(),
             (uintmax_t)(uintptr_t)h, (uintmax_t)t, (uintmax_t)rnd);
}

sl_status sl_state_hashmap_open(const sl_state_options *o, sl_state **out, sl_error *err)
{
    hm_store *h = sl_xcalloc(1, sizeof *h);
    h->base.vt = &hm_vt;
    h->base.kind = SL_STATE_HASHMAP;
    h->base.ttl_ms = o->ttl_ms;
    h->base.now_ms = o->now_ms;
    h->base.now_ctx = o->now_ctx;
    h->cap = 64;
    h->slots = sl_xcalloc(h->cap, sizeof *h->slots);
    h->mem = sizeof *h + h->cap * sizeof *h->slots;
    h->epoch = 1;
    atomic_init(&h->view_ver, 0);
    atomic_init(&h->retained, 0);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    make_instance(h);
    *out = &h->base;
    return SL_OK;
}
