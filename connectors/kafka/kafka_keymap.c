/* connectors/kafka/kafka_keymap.c — the per-key map of upsert-kafka (kafka_int.h): the source's
 * last row per (partition, key) and the sink's buffer of the latest change per key. */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"
#include "connectors/kafka/kafka_int.h"

uint64_t kafka_kmap_hash(int part, const void *key, uint32_t klen) { return sl_hash64_seed(key, klen, (uint64_t)part * 0x9e3779b97f4a7c15ull); }

kafka_kentry **kafka_kmap_find(kafka_kmap *m, int part, const void *key, uint32_t klen, uint64_t h)
{
    if (!m->nb) {
        m->nb = 1024;
        m->b = sl_xcalloc(m->nb, sizeof(kafka_kentry *));
    }
    kafka_kentry **pe = &m->b[h & (m->nb - 1)];
    for (; *pe; pe = &(*pe)->next)
        if ((*pe)->hash == h && (*pe)->part == part && (*pe)->klen == klen && memcmp(kafka_kentry_key(*pe), key, klen) == 0) return pe;
    return pe;
}

static void grow(kafka_kmap *m)
{
    size_t nb = m->nb * 2;
    kafka_kentry **b = sl_xcalloc(nb, sizeof(kafka_kentry *));
    for (size_t i = 0; i < m->nb; i++)
        for (kafka_kentry *e = m->b[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

kafka_kentry *kafka_kmap_store(kafka_kmap *m, kafka_kentry **slot, int part, uint64_t h, const void *key, uint32_t klen, const void *val,
                               uint32_t vlen)
{
    kafka_kentry *e = *slot;
    bool is_new = e == NULL;
    if (is_new) {
        if (m->spare) { /* an entry a clear kept, with its buffer */
            e = m->spare;
            m->spare = e->next;
        } else {
            e = sl_xcalloc(1, sizeof *e);
        }
        e->next = NULL;
        e->hash = h;
        e->part = part;
        *slot = e;
    }
    if ((size_t)vlen + klen + 1 > e->cap) {
        e->cap = vlen + klen + 1;
        free(e->data);
        e->data = sl_xmalloc(e->cap);
    }
    e->klen = klen;
    e->vlen = vlen;
    e->null_value = false;
    if (vlen) memcpy(e->data, val, vlen);
    if (klen) memcpy(e->data + vlen, key, klen);
    if (is_new && ++m->n > m->nb) grow(m);
    return e;
}

void kafka_kmap_remove(kafka_kmap *m, kafka_kentry **slot)
{
    kafka_kentry *e = *slot;
    *slot = e->next;
    e->next = m->spare;
    m->spare = e;
    m->n--;
}

void kafka_kmap_clear(kafka_kmap *m)
{
    if (!m->n) return;
    for (size_t i = 0; i < m->nb; i++) {
        for (kafka_kentry *e = m->b[i], *next; e; e = next) {
            next = e->next;
            e->next = m->spare;
            m->spare = e;
        }
        m->b[i] = NULL;
    }
    m->n = 0;
}

static void free_list(kafka_kentry *e)
{
    for (kafka_kentry *next; e; e = next) {
        next = e->next;
        free(e->data);
        free(e);
    }
}

void kafka_kmap_free(kafka_kmap *m)
{
    for (size_t i = 0; i < m->nb; i++) free_list(m->b[i]);
    free_list(m->spare);
    free(m->b);
    memset(m, 0, sizeof *m);
}
