#include "common/suggest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

size_t sl_edit_distance(const char *a, const char *b, bool nocase)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = sl_xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            char ca = a[i - 1], cb = b[j - 1];
            if (nocase) {
                ca = (char)tolower((unsigned char)ca);
                cb = (char)tolower((unsigned char)cb);
            }
            size_t cost = ca == cb ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            prev = row[j];
            row[j] = best;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

const char *sl_suggest(const char *word, const char *const *candidates, size_t n, bool nocase)
{
    size_t limit = strlen(word) / 3;
    if (limit < 2) limit = 2;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = sl_edit_distance(word, candidates[i], nocase);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}
