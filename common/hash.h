/* common/hash.h — hashing (xxHash) and Flink-style key groups.
 *
 * A key's key group is hash(key) % max_parallelism (`pipeline.max-parallelism`). Key
 * groups are the unit of state redistribution: a subtask of an operator with parallelism p
 * owns a contiguous range of key groups, computed exactly as Flink's
 * KeyGroupRangeAssignment does, so rescaling splits and merges ranges. */
#ifndef SLUICE_COMMON_HASH_H
#define SLUICE_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t sl_hash64(const void *data, size_t len);
uint64_t sl_hash64_seed(const void *data, size_t len, uint64_t seed);

/* Key group of a key hash, in [0, max_parallelism). */
static inline int sl_key_group(uint64_t hash, int max_parallelism)
{
    return (int)(hash % (uint64_t)max_parallelism);
}

typedef struct sl_key_group_range {
    int start; /* inclusive */
    int end;   /* inclusive; end < start means empty */
} sl_key_group_range;

/* The range of key groups owned by subtask `index` of `parallelism` subtasks. */
sl_key_group_range sl_key_group_range_for(int max_parallelism, int parallelism, int index);
/* The subtask index that owns key_group. */
int sl_key_group_owner(int max_parallelism, int parallelism, int key_group);

#endif
