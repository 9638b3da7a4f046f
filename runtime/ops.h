/* runtime/ops.h — the stateless operators of the runtime, built from JobGraph operator specs
 * (planner/jobgraph.c spec_of), and the helpers other builders share.
 *
 *   calc  projection + filter over one input ({"input", "select", "where", "output"})
 *   union UNION ALL: rows of any input go out unchanged ({"inputs", "output"})
 *   scan  what a table source adds to its connector's rows: computed columns (PROCTIME(), any
 *         expression over the physical and metadata columns), the WATERMARK assigner, the pushed
 *         filter and the projection down to the columns the plan reads. Connectors produce rows of
 *         the table's non-computed columns in table order; the scan turns them into the source
 *         vertex's output rows.
 *   values Flink's Values: a bounded source (parallelism 1) of constant rows ({"tuples": [[expr,
 *         ...], ...], "output"}), each emitted once, then end of input; checkpoints keep how many
 *         went out
 *
 * Keyed operators (state in state/state.h): the regular streaming join (op_join.c), the group
 * aggregate (op_agg.c), window aggregates (op_window.c), top-N and deduplication (op_rank.c), the
 * interval join (op_interval.c), the window join (op_window_join.c, with the stateless window
 * table function). */
#ifndef SLUICE_RUNTIME_OPS_H
#define SLUICE_RUNTIME_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/arena.h"
#include "common/error.h"
#include "runtime/expr.h"
#include "runtime/operator.h"

/* A ROW type from the JobGraph's [{"name": ..., "type": ...}, ...] form (in arena). NULL with
 * err set when the JSON is malformed. */
const sql_type *sl_row_type_from_json(sl_arena *a, const json_t *fields, sl_error *err);

/* An operator with impl and vtable set; the rest zeroed. */
sl_operator *sl_operator_new(const sl_op_vtable *vt, void *impl, const char *id, const char *description);
/* Frees an operator after calling its close hook. */
void sl_operator_free(sl_operator *op);

/* The expression environment of a task's operators: time zone, processing time. */
sl_expr_env sl_task_expr_env(const struct sl_job_context *job, uint64_t seed);

sl_status sl_op_calc_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                            sl_error *err);

/* UNION ALL: forwards the rows of every input ({"inputs", "output"}; the inputs have the output's
 * row type). */
sl_status sl_op_union_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                             sl_error *err);

/* The Values source (spec: jobgraph.c PLAN_VALUES). */
sl_status sl_op_values_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                              sl_error *err);

/* Per-split watermarks (e.g. the Kafka source's, per partition). take_over: when `op` is a scan
 * with a WATERMARK, the source chained before it generates the watermarks (and idleness) from now
 * on: the scan forwards the source's watermarks instead of computing its own; false when there is
 * nothing to take over. row_watermark: the watermark expression's value (ms) for the row the scan
 * processed last (call right after sl_op_emit); false when it was NULL. */
bool sl_scan_take_over_watermarks(sl_operator *op);
bool sl_scan_row_watermark(const sl_operator *op, int64_t *ms);

/* Keyed operators (state in state/state.h; the input arrives HASH-partitioned by the key). */
sl_status sl_op_join_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                            sl_error *err);
sl_status sl_op_agg_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                           sl_error *err);
/* The window aggregate over TUMBLE / HOP / CUMULATE (op_window.c; spec: jobgraph.c PLAN_WINDOW_AGG). */
sl_status sl_op_window_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                              sl_error *err);

/* What the window operators share (op_window.c; used by op_rank.c's window top-N): a window end
 * as 8 state-key bytes whose byte order is numeric order (big endian, sign flipped), and the
 * in-memory index of pending (window end, key group) pairs, sorted, that finds due windows
 * without scanning state (rebuilt from the operator's registry state at restore). */
enum { SL_WIN_TUMBLE, SL_WIN_HOP, SL_WIN_CUMULATE, SL_WIN_SESSION };
/* The ends (local ms) of the TUMBLE / HOP / CUMULATE windows time t (local ms) belongs to, into
 * ends (room for size / slide + 1); returns how many. slide: HOP's slide, CUMULATE's step. */
int sl_win_assign(int kind, int64_t size, int64_t slide, int64_t offset, int64_t t, int64_t *ends);
/* The start of the window that ends at end. */
int64_t sl_win_start(int kind, int64_t size, int64_t offset, int64_t end);
void sl_win_put_be64(uint8_t out[8], int64_t v);
int64_t sl_win_get_be64(const uint8_t b[8]);
typedef struct sl_win_pending {
    int64_t end;
    int kg;
} sl_win_pending;
typedef struct sl_win_index {
    sl_win_pending *p; /* sorted by (end, kg) */
    int n, cap;
} sl_win_index;
/* Adds (end, kg) if absent: *added says whether it was; *new_end (new_end may be NULL) whether no
 * other key group had that end yet. */
void sl_win_index_add(sl_win_index *x, int64_t end, int kg, bool *added, bool *new_end);
void sl_win_index_remove(sl_win_index *x, int64_t end, int kg);
/* Drops the first n pairs (the windows just fired). */
void sl_win_index_pop(sl_win_index *x, int n);
void sl_win_index_free(sl_win_index *x);

/* One input of a time-bounded join (interval join, window join): its fields, join keys, the field
 * that bounds its rows in time (the row time / window_end, BIGINT-backed) and whether unmatched
 * rows are padded (outer). */
typedef struct sl_time_join_side {
    int nf;
    sl_phys *phys;
    int nkeys;
    int *keys;
    sl_phys *key_phys;
    int time;
    bool outer;
} sl_time_join_side;
/* Reads both sides from a join spec: rows left/right, "left_keys"/"right_keys", the time fields
 * named time_keys[0..1], "join_type" kind (LEFT/RIGHT/FULL: outer sides), and checks the output
 * row is left ++ right. what: the operator's name for messages ("interval join"). Frees nothing
 * on error: sl_time_join_sides_free does (also on success, at close). */
sl_status sl_time_join_sides(const json_t *spec, const sql_type *const rows[2], const sql_type *out, const char *kind,
                             const char *const time_keys[2], const char *what, sl_time_join_side s[2], sl_error *err);
void sl_time_join_sides_free(sl_time_join_side s[2]);

/* The event-time interval join (op_interval.c; spec: jobgraph.c PLAN_JOIN with interval). */
sl_status sl_op_interval_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                                sl_error *err);

/* Window table functions outside window aggregates and the event-time window join
 * (op_window_join.c; specs: jobgraph.c PLAN_WINDOW_TVF and PLAN_JOIN with wjoin). */
sl_status sl_op_window_tvf_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                                  sl_error *err);
sl_status sl_op_window_join_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                                   sl_error *err);

/* Top-N (ROW_NUMBER) and Deduplicate over insert-only input (op_rank.c; spec: jobgraph.c PLAN_RANK). */
sl_status sl_op_rank_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                            sl_error *err);

/* spec: the JobGraph source spec ("schema", "columns", "output", "watermark", "filter"). */
sl_status sl_op_scan_create(const json_t *spec, const struct sl_job_context *job, sl_arena *types, sl_operator **out,
                            sl_error *err);
/* The row type connectors produce for a source spec: the non-computed columns in table order;
 * and the physical columns only (what a format decodes). */
const sql_type *sl_scan_connector_row(const json_t *spec, sl_arena *types, sl_error *err);
const sql_type *sl_scan_physical_row(const json_t *spec, sl_arena *types, sl_error *err);

#endif
