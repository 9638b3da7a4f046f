/* common/arena.h — memory by lifetime (PostgreSQL memory contexts, simplified).
 *
 * An arena hands out memory from large blocks and frees it all at once: one arena per
 * statement, plan or batch. sl_arena_reset() keeps the first block for reuse, so a
 * per-batch scratch arena allocates nothing in steady state. Not thread-safe: an arena
 * belongs to one thread. */
#ifndef SLUICE_COMMON_ARENA_H
#define SLUICE_COMMON_ARENA_H

#include <stddef.h>

typedef struct sl_arena sl_arena;

/* block_size: bytes per block (0 = 64 KiB). Larger requests get a block of their own. */
sl_arena *sl_arena_create(size_t block_size);
void sl_arena_destroy(sl_arena *a);
/* Frees everything allocated since creation; keeps one block. */
void sl_arena_reset(sl_arena *a);
/* 16-byte aligned, uninitialised / zeroed memory that lives until reset or destroy. */
void *sl_arena_alloc(sl_arena *a, size_t n);
void *sl_arena_zalloc(sl_arena *a, size_t n);
char *sl_arena_strdup(sl_arena *a, const char *s);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);
void *sl_arena_memdup(sl_arena *a, const void *p, size_t n);
/* Total bytes of blocks held (for accounting and tests). */
size_t sl_arena_bytes(const sl_arena *a);

#endif
