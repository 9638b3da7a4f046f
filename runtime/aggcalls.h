/* runtime/aggcalls.h — the aggregate calls shared by the group aggregate (op_agg.c) and the
 * window aggregate (op_window.c): COUNT, COUNT(*), SUM, AVG, MIN, MAX with DISTINCT and FILTER,
 * parsed from the JobGraph's "calls", and their accumulators.
 *
 * Accumulators are an array of values (sl_val): [0] the number of rows, then per call its fields
 * (COUNT: n; SUM/AVG: sum, n; MIN/MAX: the current value). They are stored in state as a row
 * (sl_aggs_store / sl_aggs_load), so strings need no extra framing. */
#ifndef SLUICE_RUNTIME_AGGCALLS_H
#define SLUICE_RUNTIME_AGGCALLS_H

#include <jansson.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "runtime/expr.h"
#include "runtime/row.h"

enum { SL_AGG_COUNT, SL_AGG_SUM, SL_AGG_AVG, SL_AGG_MIN, SL_AGG_MAX };

typedef struct sl_aggcall {
    int fn;
    int arg;           /* input field, -1 for COUNT(*) */
    sl_phys arg_phys;
    const sql_type *arg_type, *type;
    bool distinct;
    int filter;        /* input field holding FILTER's condition, or -1 */
    int base;          /* first accumulator field */
    bool float_sum;    /* SUM/AVG accumulate in double */
} sl_aggcall;

typedef struct sl_aggs {
    int n;
    sl_aggcall *c;
    int nacc;          /* accumulator fields */
    sl_phys *acc_phys;
} sl_aggs;

/* Parses the calls; call k's result type is out->field_types[first_out + k]. Functions or types the
 * runtime cannot aggregate are SL_ERR_UNSUPPORTED naming them. */
sl_status sl_aggs_parse(sl_aggs *a, const json_t *calls, const sql_type *in, const sql_type *out, int first_out, sl_arena *types,
                        sl_error *err);
void sl_aggs_free(sl_aggs *a);

void sl_aggs_init(const sl_aggs *a, sl_val *acc);
/* acc from a stored accumulator row (8-byte aligned); strings point into the row. */
void sl_aggs_load(const sl_aggs *a, const uint8_t *row, sl_val *acc);
/* The accumulator row to store (valid until the writer's next use). */
const uint8_t *sl_aggs_store(const sl_aggs *a, const sl_val *acc, sl_row_writer *w);

/* Whether call c takes this row (its FILTER holds and its argument is not NULL); *v = the argument. */
bool sl_aggs_takes(const sl_aggcall *c, const uint8_t *row, sl_val *v);
/* Adds (delta 1) or removes (delta -1) a taken value; MIN/MAX only add (their retraction needs
 * the values' multiset, which the operator keeps). */
void sl_aggs_update(const sl_aggcall *c, sl_val *acc, const sl_val *v, int delta);
/* The result of call c (integers wrap at their type's width, as Java's). */
sl_val sl_aggs_result(const sl_aggcall *c, const sl_val *acc);

/* A field of a row as a value of physical class p; comparison of two non-NULL values. */
sl_val sl_row_val(const uint8_t *row, int f, sl_phys p);
int sl_val_cmp(const sl_val *a, const sl_val *b, sl_phys p);

#endif
