/* common/memory.h — the TaskManager memory model (Flink's, natively).
 *
 *   process  = flink + overhead
 *   flink    = framework heap + task heap + framework off-heap + task off-heap + managed + network
 *
 * "Heap" in Sluice means general allocations of the framework and of operators; managed memory
 * is the state backend's budget (RocksDB block cache + write buffers), divided among the slots;
 * network memory holds the network buffers; the overhead (taskmanager.memory.jvm-overhead.*) is
 * a reserve for native allocations outside the budgets. Sluice has no JVM metaspace, so
 * taskmanager.memory.jvm-metaspace.size has no effect and is not subtracted.
 *
 * Derivation (as Flink's TaskExecutorProcessUtils):
 *  1. task.heap.size and managed.size both set: flink is the sum of the parts (network by
 *     fraction of that total, unless flink.size is also set).
 *  2. else flink.size set: managed and network by fraction of it (unless sizes are set), task
 *     heap is the remainder.
 *  3. else process.size (default 1728m): overhead = clamp(process x fraction, min, max),
 *     flink = process - overhead, then as 2.
 * Conflicts fail with Flink's messages, numbers in the message. */
#ifndef SLUICE_COMMON_MEMORY_H
#define SLUICE_COMMON_MEMORY_H

#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/error.h"

typedef struct sl_memory_breakdown {
    uint64_t process;
    uint64_t flink;
    uint64_t framework_heap;
    uint64_t task_heap;
    uint64_t framework_off_heap;
    uint64_t task_off_heap;
    uint64_t managed;
    uint64_t network;
    uint64_t overhead;
    int slots;
    uint64_t managed_per_slot; /* managed / slots: each slot's state budget */
    uint64_t segment_size;     /* taskmanager.memory.segment-size */
    uint64_t network_buffers;  /* network / segment_size */
} sl_memory_breakdown;

sl_status sl_memory_compute(const sl_config *cfg, sl_memory_breakdown *out, sl_error *err);

/* Prints the breakdown as a table (the form daemons log at startup). */
void sl_memory_print(FILE *out, const sl_memory_breakdown *mb);

#endif
