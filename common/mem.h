/* common/mem.h — allocation with one out-of-memory rule for all of Sluice.
 *
 * The rule: allocation failure is not recoverable. sl_xmalloc and friends print
 * "sluice: out of memory allocating N bytes" to stderr and abort(). Code never checks
 * their result. Memory that a job may legitimately run short of (state, buffers) is
 * bounded by budgets (managed memory, network memory), not by malloc failing. */
#ifndef SLUICE_COMMON_MEM_H
#define SLUICE_COMMON_MEM_H

#include <stddef.h>

void *sl_xmalloc(size_t n);
void *sl_xcalloc(size_t count, size_t size);
void *sl_xrealloc(void *p, size_t n);
char *sl_xstrdup(const char *s);
char *sl_xstrndup(const char *s, size_t n);
/* Grows *arr (element size elem) so it holds at least need elements; *cap is updated. */
void sl_grow(void **arr, size_t *cap, size_t need, size_t elem);

#define SL_GROW(arr, cap, need) sl_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

#endif
