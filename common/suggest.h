/* common/suggest.h — "did you mean ...?" by edit distance. */
#ifndef SLUICE_COMMON_SUGGEST_H
#define SLUICE_COMMON_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein distance between a and b; case-insensitive when nocase. */
size_t sl_edit_distance(const char *a, const char *b, bool nocase);

/* Returns the candidate closest to word, or NULL if none is close enough (distance at most
 * max(2, strlen(word)/3)). Ties go to the earlier candidate. */
const char *sl_suggest(const char *word, const char *const *candidates, size_t n, bool nocase);

#endif
