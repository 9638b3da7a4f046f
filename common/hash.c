#include "common/hash.h"

#include <xxhash.h>

uint64_t sl_hash64(const void *data, size_t len) { return XXH3_64bits(data, len); }

uint64_t sl_hash64_seed(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

sl_key_group_range sl_key_group_range_for(int max_parallelism, int parallelism, int index)
{
    sl_key_group_range r;
    r.start = (int)(((int64_t)index * max_parallelism + parallelism - 1) / parallelism);
    r.end = (int)((((int64_t)index + 1) * max_parallelism - 1) / parallelism);
    return r;
}

int sl_key_group_owner(int max_parallelism, int parallelism, int key_group)
{
    return (int)((int64_t)key_group * parallelism / max_parallelism);
}
