/* common/memory.c — see memory.h. */
#include "common/memory.h"

#include <string.h>

#include "common/units.h"

#define K_PROCESS "taskmanager.memory.process.size"
#define K_FLINK "taskmanager.memory.flink.size"
#define K_FW_HEAP "taskmanager.memory.framework.heap.size"
#define K_FW_OFF "taskmanager.memory.framework.off-heap.size"
#define K_TASK_HEAP "taskmanager.memory.task.heap.size"
#define K_TASK_OFF "taskmanager.memory.task.off-heap.size"
#define K_MANAGED "taskmanager.memory.managed.size"
#define K_MANAGED_FR "taskmanager.memory.managed.fraction"
#define K_NET_FR "taskmanager.memory.network.fraction"
#define K_NET_MIN "taskmanager.memory.network.min"
#define K_NET_MAX "taskmanager.memory.network.max"
#define K_OVH_FR "taskmanager.memory.jvm-overhead.fraction"
#define K_OVH_MIN "taskmanager.memory.jvm-overhead.min"
#define K_OVH_MAX "taskmanager.memory.jvm-overhead.max"

/* Flink's MemorySize.multiply: truncates toward zero. */
static uint64_t mul(uint64_t bytes, double f) { return (uint64_t)((double)bytes * f); }

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

#define HUMAN(var, bytes)                                                                                    \
    char var[64];                                                                                            \
    sl_format_memory_human((bytes), var, sizeof var)

static sl_status check_range(const char *what, const char *keys, uint64_t v, uint64_t lo, uint64_t hi,
                             sl_error *err)
{
    if (lo > hi) {
        HUMAN(a, lo);
        HUMAN(b, hi);
        sl_error_set(err, SL_ERR_CONFIG, "Configured %s min (%s) is larger than its max (%s)", what, a, b);
        sl_error_hint(err, "check %s", keys);
        return SL_ERR_CONFIG;
    }
    if (v < lo || v > hi) {
        HUMAN(a, v);
        HUMAN(b, lo);
        HUMAN(c, hi);
        sl_error_set(err, SL_ERR_CONFIG, "Derived %s size (%s) is not in configured %s range [%s, %s]", what, a,
                     what, b, c);
        sl_error_hint(err, "adjust %s, or the total memory sizes", keys);
        return SL_ERR_CONFIG;
    }
    return SL_OK;
}

/* Network memory as a fraction of the total flink memory, clamped. */
static uint64_t network_of_total(const sl_config *cfg, uint64_t flink)
{
    return clamp(mul(flink, sl_config_get_double(cfg, K_NET_FR)), sl_config_get_memory(cfg, K_NET_MIN),
                 sl_config_get_memory(cfg, K_NET_MAX));
}

/* Derives the flink-internal components from a known total flink memory. */
static sl_status from_total_flink(const sl_config *cfg, uint64_t flink, sl_memory_breakdown *mb, sl_error *err)
{
    mb->flink = flink;
    mb->managed = sl_config_is_set(cfg, K_MANAGED) ? sl_config_get_memory(cfg, K_MANAGED)
                                                   : mul(flink, sl_config_get_double(cfg, K_MANAGED_FR));
    mb->network = network_of_total(cfg, flink);
    uint64_t fixed = mb->framework_heap + mb->framework_off_heap + mb->task_off_heap + mb->managed + mb->network;
    if (sl_config_is_set(cfg, K_TASK_HEAP)) {
        mb->task_heap = sl_config_get_memory(cfg, K_TASK_HEAP);
        /* Both the total and the task heap are given: the network takes what is left. */
        uint64_t others = fixed - mb->network + mb->task_heap;
        if (others > flink) goto exceed;
        mb->network = flink - others;
        return check_range("Network Memory", K_NET_MIN ", " K_NET_MAX, mb->network,
                           sl_config_get_memory(cfg, K_NET_MIN), sl_config_get_memory(cfg, K_NET_MAX), err);
    }
    if (fixed > flink) goto exceed;
    mb->task_heap = flink - fixed;
    return SL_OK;
exceed: {
    HUMAN(a, mb->framework_heap);
    HUMAN(b, mb->framework_off_heap);
    HUMAN(c, mb->task_off_heap);
    HUMAN(d, mb->managed);
    HUMAN(e, mb->network);
    HUMAN(f, flink);
    sl_error_set(err, SL_ERR_CONFIG,
                 "Sum of configured Framework Heap Memory (%s), Framework Off-Heap Memory (%s), Task Off-Heap "
                 "Memory (%s), Managed Memory (%s) and Network Memory (%s) exceed configured Total Flink Memory (%s)",
                 a, b, c, d, e, f);
    sl_error_hint(err, "increase " K_FLINK " or " K_PROCESS ", or lower " K_MANAGED_FR " / " K_MANAGED);
    return SL_ERR_CONFIG;
}
}

sl_status sl_memory_compute(const sl_config *cfg, sl_memory_breakdown *mb, sl_error *err)
{
    memset(mb, 0, sizeof *mb);
    mb->framework_heap = sl_config_get_memory(cfg, K_FW_HEAP);
    mb->framework_off_heap = sl_config_get_memory(cfg, K_FW_OFF);
    mb->task_off_heap = sl_config_get_memory(cfg, K_TASK_OFF);
    mb->slots = sl_config_get_int(cfg, "taskmanager.numberOfTaskSlots");
    mb->segment_size = sl_config_get_memory(cfg, "taskmanager.memory.segment-size");

    double ovh_fr = sl_config_get_double(cfg, K_OVH_FR);
    uint64_t ovh_min = sl_config_get_memory(cfg, K_OVH_MIN), ovh_max = sl_config_get_memory(cfg, K_OVH_MAX);
    uint64_t net_min = sl_config_get_memory(cfg, K_NET_MIN), net_max = sl_config_get_memory(cfg, K_NET_MAX);
    if (net_min > net_max)
        return check_range("Network Memory", K_NET_MIN ", " K_NET_MAX, net_min, net_min, net_max, err);
    if (ovh_min > ovh_max)
        return check_range("JVM Overhead", K_OVH_MIN ", " K_OVH_MAX, ovh_min, ovh_min, ovh_max, err);

    bool process_set = sl_config_is_set(cfg, K_PROCESS);
    sl_status st;
    if (sl_config_is_set(cfg, K_TASK_HEAP) && sl_config_is_set(cfg, K_MANAGED)) {
        /* 1. Fine-grained: the parts define the total. */
        mb->task_heap = sl_config_get_memory(cfg, K_TASK_HEAP);
        mb->managed = sl_config_get_memory(cfg, K_MANAGED);
        uint64_t base = mb->framework_heap + mb->framework_off_heap + mb->task_heap + mb->task_off_heap + mb->managed;
        if (sl_config_is_set(cfg, K_FLINK)) {
            uint64_t flink = sl_config_get_memory(cfg, K_FLINK);
            if (base > flink) {
                mb->network = 0;
                return from_total_flink(cfg, flink, mb, err);
            }
            mb->network = flink - base;
            st = check_range("Network Memory", K_NET_MIN ", " K_NET_MAX, mb->network, net_min, net_max, err);
            if (st) return st;
            mb->flink = flink;
        } else {
            double fr = sl_config_get_double(cfg, K_NET_FR);
            mb->network = clamp(mul(base, fr / (1.0 - fr)), net_min, net_max);
            mb->flink = base + mb->network;
        }
    } else if (sl_config_is_set(cfg, K_FLINK)) {
        /* 2. Total flink memory given. */
        st = from_total_flink(cfg, sl_config_get_memory(cfg, K_FLINK), mb, err);
        if (st) return st;
    } else {
        /* 3. Total process memory (explicit or the 1728m default). */
        uint64_t process = sl_config_get_memory(cfg, K_PROCESS);
        uint64_t ovh = clamp(mul(process, ovh_fr), ovh_min, ovh_max);
        if (ovh >= process) {
            HUMAN(a, process);
            HUMAN(b, ovh);
            sl_error_set(err, SL_ERR_CONFIG,
                         "Configured Total Process Memory (%s) is not larger than the derived overhead reserve (%s)", a, b);
            sl_error_hint(err, "increase " K_PROCESS);
            return SL_ERR_CONFIG;
        }
        mb->process = process;
        mb->overhead = ovh;
        st = from_total_flink(cfg, process - ovh, mb, err);
        if (st) return st;
    }

    /* Overhead for cases 1 and 2 (case 3 derived it from the process size). */
    if (mb->process) {
        /* done */
    } else if (process_set) {
        uint64_t process = sl_config_get_memory(cfg, K_PROCESS);
        if (process < mb->flink) {
            HUMAN(a, mb->flink);
            HUMAN(b, process);
            sl_error_set(err, SL_ERR_CONFIG, "Total Flink Memory (%s) is larger than the configured Total Process Memory (%s)", a, b);
            sl_error_hint(err, "increase " K_PROCESS " or lower " K_FLINK);
            return SL_ERR_CONFIG;
        }
        mb->overhead = process - mb->flink;
        st = check_range("JVM Overhead", K_OVH_MIN ", " K_OVH_MAX ", " K_OVH_FR, mb->overhead, ovh_min, ovh_max, err);
        if (st) return st;
        mb->process = process;
    } else {
        mb->overhead = clamp(mul(mb->flink, ovh_fr / (1.0 - ovh_fr)), ovh_min, ovh_max);
        mb->process = mb->flink + mb->overhead;
    }
    mb->managed_per_slot = mb->managed / (uint64_t)mb->slots;
    mb->network_buffers = mb->network / mb->segment_size;
    return SL_OK;
}

void sl_memory_print(FILE *out, const sl_memory_breakdown *mb)
{
    struct {
        const char *indent, *name;
        uint64_t v;
    } rows[] = {
        {"", "Total Process Memory", mb->process},
        {"  ", "Total Flink Memory", mb->flink},
        {"    ", "Framework Heap", mb->framework_heap},
        {"    ", "Task Heap", mb->task_heap},
        {"    ", "Framework Off-Heap", mb->framework_off_heap},
        {"    ", "Task Off-Heap", mb->task_off_heap},
        {"    ", "Managed Memory", mb->managed},
        {"    ", "Network Memory", mb->network},
        {"  ", "Native Overhead", mb->overhead},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s%s", rows[i].indent, rows[i].name);
        fprintf(out, "%-26s %12.3f mb  (%llu bytes)\n", label, (double)rows[i].v / 1048576.0,
                (unsigned long long)rows[i].v);
    }
    fprintf(out, "Slots                      %12d\n", mb->slots);
    fprintf(out, "Managed Memory per slot    %12.3f mb  (%llu bytes)\n", (double)mb->managed_per_slot / 1048576.0,
            (unsigned long long)mb->managed_per_slot);
    fprintf(out, "Network buffers            %12llu x %llu bytes\n", (unsigned long long)mb->network_buffers,
            (unsigned long long)mb->segment_size);
}
