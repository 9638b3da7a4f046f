#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

typedef struct block {
    struct block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(16) unsigned char data[];
} block;

struct sl_arena {
    block *head;
    size_t block_size;
    size_t total;
};

static block *new_block(sl_arena *a, size_t size)
{
    block *b = sl_xmalloc(sizeof(block) + size);
    b->size = size;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    a->total += size;
    return b;
}

sl_arena *sl_arena_create(size_t block_size)
{
    sl_arena *a = sl_xcalloc(1, sizeof *a);
    a->block_size = block_size ? block_size : 64 * 1024;
    return a;
}

void sl_arena_destroy(sl_arena *a)
{
    if (!a) return;
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(a);
}

void sl_arena_reset(sl_arena *a)
{
    block *keep = NULL;
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        if (!keep && b->size == a->block_size) {
            keep = b;
        } else {
            free(b);
        }
    }
    a->head = keep;
    a->total = 0;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        a->total = keep->size;
    }
}

void *sl_arena_alloc(sl_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need == 0) need = 16;
    block *b = a->head;
    if (!b || b->size - b->used < need) {
        if (need > a->block_size / 4) {
            /* Big request: own block, placed behind the current head so the head keeps serving. */
            block *big = sl_xmalloc(sizeof(block) + need);
            big->size = need;
            big->used = need;
            a->total += need;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                big->next = NULL;
                a->head = big;
            }
            return big->data;
        }
        b = new_block(a, a->block_size);
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

void *sl_arena_zalloc(sl_arena *a, size_t n)
{
    void *p = sl_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

void *sl_arena_memdup(sl_arena *a, const void *p, size_t n)
{
    void *q = sl_arena_alloc(a, n);
    if (n) memcpy(q, p, n);
    return q;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *q = sl_arena_alloc(a, len + 1);
    memcpy(q, s, len);
    q[len] = '\0';
    return q;
}

char *sl_arena_strdup(sl_arena *a, const char *s) { return sl_arena_strndup(a, s, strlen(s)); }

size_t sl_arena_bytes(const sl_arena *a) { return a->total; }
