/* state/state_hashmap.c — the in-memory backend.
 *
 * Outer table: open addressing (linear probing, backward-shift deletion) of pointers to one record
 * per (sid, kg, key); pointers stay put when the table grows, so an iterator can hold one. Each
 * record keeps its user keys in a dense array (iteration walks only that array) with, once it holds
 * more than INNER_LINEAR entries, an open-addressing index of array positions. Deleting swaps the
 * last array entry into the hole; iterators walk the array from the end, so deleting the entry just
 * visited (TTL cleanup during a scan) neither skips nor repeats entries. */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <stdlib.h>
#include <string.h>

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
    uint32_t pins;    /* live iterators on this key: it is not freed (or reordered by gets) meanwhile */
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

typedef struct hm_store {
    sl_state base;
    hm_key **slots;
    size_t cap, n; /* cap: power of two */
    uint64_t mem;
    uint64_t expired;
    hm_iter *spare; /* a freed iterator kept for the next scan */
} hm_store;

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

static void key_free(hm_store *h, hm_key *k)
{
    for (uint32_t i = 0; i < k->n; i++) {
        h->mem -= k->ents[i].cap;
        free(k->ents[i].data);
    }
    h->mem -= sizeof *k + k->klen + (uint64_t)k->cap * sizeof(hm_entry) + (uint64_t)k->idx_cap * sizeof(uint32_t);
    free(k->ents);
    free(k->idx);
    free(k);
}

/* Removes the key in slot i (it must be empty and unpinned). */
static void outer_remove(hm_store *h, size_t i)
{
    size_t mask = h->cap - 1;
    key_free(h, h->slots[i]);
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

static sl_status hm_put(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                        const void *val, size_t vlen, sl_error *err)
{
    hm_store *h = (hm_store *)s;
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
        if (klen) memcpy(k->key, key, klen);
        h->slots[slot] = k;
        h->n++;
        h->mem += sizeof *k + klen;
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
    e->ts = s->ttl_ms > 0 ? sl_state_now(s) : 0;
    return SL_OK;
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
    if (--k->pins == 0 && k->n == 0) outer_remove_key((hm_store *)it->base.s, k);
}

static bool hm_next(sl_state_iter *bit, const void **ukey, size_t *uklen, const void **val, size_t *vlen)
{
    hm_iter *it = (hm_iter *)bit;
    hm_store *h = (hm_store *)bit->s;
    hm_key *k = it->k;
    if (!k) return false;
    int64_t now = h->base.ttl_ms > 0 ? sl_state_now(&h->base) : 0;
    while (it->pos > 0) {
        uint32_t p = --it->pos;
        if (p >= k->n) continue; /* entries removed behind our back */
        hm_entry *e = &k->ents[p];
        if (h->base.ttl_ms > 0 && sl_state_expired(e->ts, h->base.ttl_ms, now)) {
            inner_remove(h, k, p); /* the last entry (already visited) moves to p */
            h->expired++;
            continue;
        }
        *ukey = e->data;
        *uklen = e->uklen;
        *val = e->data + e->uklen;
        *vlen = e->vlen;
        return true;
    }
    iter_release(it);
    return false;
}

static void hm_iter_free(sl_state_iter *bit)
{
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
    st->memory_bytes = h->mem;
    st->disk_bytes = 0;
}

static void hm_close(sl_state *s)
{
    hm_store *h = (hm_store *)s;
    for (size_t i = 0; i < h->cap; i++)
        if (h->slots[i]) key_free(h, h->slots[i]);
    free(h->slots);
    free(h->spare);
    free(h);
}

static const sl_state_vt hm_vt = {hm_get, hm_put, hm_del, hm_scan, hm_next, hm_iter_free, hm_stats, hm_close};

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
    *out = &h->base;
    return SL_OK;
}
