/* runtime/op_agg.c — the group aggregate without windows (Flink's GroupAggFunction): COUNT,
 * COUNT(*), SUM, AVG, MIN, MAX, each optionally DISTINCT and with FILTER (WHERE ...), over
 * insert-only or updating input. Per group key it keeps an accumulator row in keyed state and
 * emits +I for a new group, -U/+U when its result changes, -D when every row of the group has been
 * retracted — the row kinds Flink emits.
 *
 * State per group (key group, group key bytes):
 *   sid 0, no user key            the accumulator row: [rows] then per call its fields
 *                                 (COUNT: n; SUM/AVG: sum, n; MIN/MAX: current value)
 *   sid 1 + c, user key = value   a count per distinct value of call c: DISTINCT calls (a value is
 *                                 accumulated when its count goes 0 -> 1, retracted at 1 -> 0), and
 *                                 MIN/MAX over an updating input (the multiset needed to find the
 *                                 next MIN/MAX when the current one is retracted). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "runtime/aggcalls.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"

typedef struct agg {
    int ngroup;
    int *group;
    sl_phys *group_phys;
    sl_aggs aggs;
    bool *keep_values;  /* per call: a value multiset in state (DISTINCT, or MIN/MAX with retractions) */
    sl_bytes *best;     /* per call: MIN/MAX recomputed from the multiset, the value's bytes */
    const sql_type *in, *out;
    int max_parallelism;
    int64_t hint_ttl_ms; /* the STATE_TTL hint (spec "ttl_ms"), 0 = none: table.exec.state.ttl */
    sl_state *st;
    sl_bytes key, vkey, loaded; /* loaded: an aligned copy of the group's accumulator row */
    sl_bytes prev_out;          /* the group's previous result row (-U / -D) */
    sl_val *acc, *prev;
    sl_row_writer w, accw;
} agg;

static bool val_eq(const sl_val *a, const sl_val *b, sl_phys p)
{
    if (a->null || b->null) return a->null == b->null;
    return sl_val_cmp(a, b, p) == 0;
}

/* A value from its canonical bytes (sl_key_encode of one field). */
static sl_val decode_val(const uint8_t *k, size_t n, sl_phys p)
{
    sl_val v = {.null = n < 1 || k[0]};
    if (v.null) return v;
    if (p == SL_PHYS_BYTES) {
        memcpy(&v.s.n, k + 1, 4);
        v.s.p = (const char *)k + 5;
    } else {
        memcpy(&v.i, k + 1, 8);
    }
    return v;
}

/* Counts value v of call k up (delta 1) or down (-1) in its multiset; *now = the new count. */
static sl_status value_count(agg *a, int k, int kg, const uint8_t *row, int delta, int64_t *now, sl_error *err)
{
    sl_aggcall *c = &a->aggs.c[k];
    sl_bytes_reset(&a->vkey);
    sl_key_encode(&a->vkey, row, &c->arg, &c->arg_phys, 1);
    const void *v;
    size_t vn;
    bool found;
    sl_status st = sl_state_get(a->st, 1 + k, kg, a->key.p, a->key.n, a->vkey.p, a->vkey.n, &v, &vn, &found, err);
    if (st) return st;
    int64_t n = 0;
    if (found && vn == 8) memcpy(&n, v, 8);
    n += delta;
    *now = n;
    if (n <= 0) return found ? sl_state_delete(a->st, 1 + k, kg, a->key.p, a->key.n, a->vkey.p, a->vkey.n, err) : SL_OK;
    return sl_state_put(a->st, 1 + k, kg, a->key.p, a->key.n, a->vkey.p, a->vkey.n, &n, 8, err);
}

/* MIN/MAX after its current value was retracted: scan the multiset. */
static sl_status recompute_extreme(agg *a, int k, int kg, sl_error *err)
{
    sl_aggcall *c = &a->aggs.c[k];
    sl_state_iter *it;
    sl_status st = sl_state_scan(a->st, 1 + k, kg, a->key.p, a->key.n, &it, err);
    if (st) return st;
    bool any = false;
    const void *uk, *v;
    size_t ukn, vn;
    sl_val best = {.null = true};
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        sl_val x = decode_val(uk, ukn, c->arg_phys);
        if (x.null) continue;
        int cmp = any ? sl_val_cmp(&x, &best, c->arg_phys) : 0;
        if (!any || (c->fn == SL_AGG_MIN ? cmp < 0 : cmp > 0)) {
            any = true;
            best = x;
            if (c->arg_phys == SL_PHYS_BYTES) { /* keep the bytes past the iterator */
                sl_bytes_reset(&a->best[k]);
                sl_bytes_put(&a->best[k], x.s.p, x.s.n);
                best.s.p = (const char *)a->best[k].p;
            }
        }
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    if (st) return st;
    if (any && c->arg_phys == SL_PHYS_BYTES) best.s.p = (const char *)a->best[k].p;
    a->acc[c->base] = any ? best : (sl_val){.null = true};
    return SL_OK;
}

static sl_status apply(agg *a, int kg, const uint8_t *row, bool accumulate, sl_error *err)
{
    int delta = accumulate ? 1 : -1;
    a->acc[0].i += delta;
    for (int k = 0; k < a->aggs.n; k++) {
        sl_aggcall *c = &a->aggs.c[k];
        sl_val v;
        if (!sl_aggs_takes(c, row, &v)) continue;
        if (a->keep_values[k]) {
            int64_t now;
            sl_status st = value_count(a, k, kg, row, delta, &now, err);
            if (st) return st;
            if (c->distinct && !((accumulate && now == 1) || (!accumulate && now == 0))) continue;
        }
        if ((c->fn == SL_AGG_MIN || c->fn == SL_AGG_MAX) && !accumulate) {
            sl_val *x = &a->acc[c->base];
            if (!x->null && sl_val_cmp(&v, x, c->arg_phys) == 0) { /* the current MIN/MAX leaves */
                sl_status st = recompute_extreme(a, k, kg, err);
                if (st) return st;
            }
            continue;
        }
        sl_aggs_update(c, a->acc, &v, delta);
    }
    return SL_OK;
}

static const uint8_t *output_row(agg *a, const uint8_t *in, const sl_val *v, sl_row_kind kind)
{
    sl_rw_begin(&a->w, a->ngroup + a->aggs.n, kind);
    for (int g = 0; g < a->ngroup; g++)
        if (!sl_row_is_null(in, a->group[g])) sl_rw_copy(&a->w, g, in, a->group[g], a->group_phys[g]);
    for (int k = 0; k < a->aggs.n; k++) {
        sl_val r = sl_aggs_result(&a->aggs.c[k], v);
        sl_val_write(&a->w, a->ngroup + k, &r, a->aggs.c[k].type);
    }
    return sl_rw_finish(&a->w);
}

static sl_status agg_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    agg *a = op->impl;
    sl_row_kind kind = sl_row_get_kind(row);
    bool accumulate = kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER;
    sl_bytes_reset(&a->key);
    sl_key_encode(&a->key, row, a->group, a->group_phys, a->ngroup);
    int kg = a->ngroup ? sl_row_key_group(row, a->group, a->group_phys, a->ngroup, a->max_parallelism) : 0;
    const void *v;
    size_t vn;
    bool found;
    sl_status st = sl_state_get(a->st, 0, kg, a->key.p, a->key.n, NULL, 0, &v, &vn, &found, err);
    if (st) return st;
    if (!found && !accumulate) return SL_OK; /* a retraction for a group we do not have: ignored, as Flink */
    bool first = !found;
    if (first) {
        sl_aggs_init(&a->aggs, a->acc);
    } else {
        /* the state's bytes are only valid until the next state call: load an aligned copy */
        sl_bytes_reset(&a->loaded);
        sl_bytes_put_aligned(&a->loaded, v, vn);
        sl_aggs_load(&a->aggs, a->loaded.p, a->acc);
        for (int f = 0; f < a->aggs.nacc; f++) a->prev[f] = a->acc[f]; /* strings point into `loaded` */
        /* the previous result, materialized before the accumulators change */
        const uint8_t *r = output_row(a, row, a->prev, SL_ROW_UPDATE_BEFORE);
        sl_bytes_reset(&a->prev_out);
        sl_bytes_put(&a->prev_out, r, sl_row_len(r));
    }
    uint8_t *prev_row = first ? NULL : a->prev_out.p;
    if ((st = apply(a, kg, row, accumulate, err))) return st;
    if (a->acc[0].i <= 0) { /* every row of the group retracted */
        if (!first) {
            sl_row_set_kind(prev_row, SL_ROW_DELETE);
            if ((st = sl_op_emit(op, prev_row, err))) return st;
        }
        return sl_state_delete(a->st, 0, kg, a->key.p, a->key.n, NULL, 0, err);
    }
    /* store the accumulators */
    const uint8_t *accrow = sl_aggs_store(&a->aggs, a->acc, &a->accw);
    if ((st = sl_state_put(a->st, 0, kg, a->key.p, a->key.n, NULL, 0, accrow, sl_row_len(accrow), err))) return st;
    if (first) return sl_op_emit(op, output_row(a, row, a->acc, SL_ROW_INSERT), err);
    bool same = true;
    for (int k = 0; k < a->aggs.n && same; k++) {
        sl_val x = sl_aggs_result(&a->aggs.c[k], a->prev), y = sl_aggs_result(&a->aggs.c[k], a->acc);
        same = val_eq(&x, &y, sl_phys_of(a->aggs.c[k].type));
    }
    if (same) return SL_OK;
    if ((st = sl_op_emit(op, prev_row, err))) return st;
    return sl_op_emit(op, output_row(a, row, a->acc, SL_ROW_UPDATE_AFTER), err);
}

static sl_status agg_open(sl_operator *op, sl_error *err)
{
    agg *a = op->impl;
    a->max_parallelism = sl_task_max_parallelism(op->task);
    /* the STATE_TTL hint (when set) replaces table.exec.state.ttl for this store: a group's
     * state expires hint_ttl_ms after its last write */
    if (!a->hint_ttl_ms) return sl_op_state_open(op, &a->st, err);
    return sl_op_state_open_ttl(op, a->hint_ttl_ms, &a->st, err);
}

static void agg_close(sl_operator *op)
{
    agg *a = op->impl;
    if (!a) return;
    if (a->st) sl_state_close(a->st);
    free(a->group);
    free(a->group_phys);
    for (int k = 0; a->best && k < a->aggs.n; k++) sl_bytes_free(&a->best[k]);
    free(a->best);
    free(a->keep_values);
    sl_aggs_free(&a->aggs);
    free(a->acc);
    free(a->prev);
    sl_bytes_free(&a->key);
    sl_bytes_free(&a->vkey);
    sl_bytes_free(&a->loaded);
    sl_bytes_free(&a->prev_out);
    sl_rw_free(&a->w);
    sl_rw_free(&a->accw);
    free(a);
    op->impl = NULL;
}

static sl_status agg_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    agg *a = op->impl;
    *out = NULL;
    return sl_op_state_snapshot(a->st, NULL, ctx, err);
}

static sl_status agg_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    agg *a = op->impl;
    return sl_op_state_restore(a->st, NULL, ctx, err);
}

static const sl_op_vtable agg_vt = {.name = "GroupAggregate",
                                    .open = agg_open,
                                    .process = agg_process,
                                    .close = agg_close,
                                    .snapshot = agg_snapshot,
                                    .restore = agg_restore};

sl_status sl_op_agg_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const sql_type *in = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
    const sql_type *outt = in ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    agg *a = sl_xcalloc(1, sizeof *a);
    a->in = in;
    a->out = outt;
    a->ngroup = (int)json_integer_value(json_object_get(spec, "group"));
    a->hint_ttl_ms = (int64_t)json_integer_value(json_object_get(spec, "ttl_ms"));
    a->group = sl_xcalloc((size_t)(a->ngroup ? a->ngroup : 1), sizeof(int));
    a->group_phys = sl_xcalloc((size_t)(a->ngroup ? a->ngroup : 1), sizeof(sl_phys));
    for (int g = 0; g < a->ngroup; g++) {
        a->group[g] = g;
        a->group_phys[g] = sl_phys_of(in->field_types[g]);
    }
    bool updating_input = (json_integer_value(json_object_get(spec, "input_changelog")) & ~1) != 0;
    sl_status st = sl_aggs_parse(&a->aggs, json_object_get(spec, "calls"), in, outt, a->ngroup, types, err);
    if (st) {
        agg_close(&(sl_operator){.impl = a});
        return st;
    }
    a->keep_values = sl_xcalloc((size_t)(a->aggs.n ? a->aggs.n : 1), sizeof(bool));
    a->best = sl_xcalloc((size_t)(a->aggs.n ? a->aggs.n : 1), sizeof(sl_bytes));
    for (int k = 0; k < a->aggs.n; k++) {
        const sl_aggcall *c = &a->aggs.c[k];
        a->keep_values[k] = c->arg >= 0 && (c->distinct || ((c->fn == SL_AGG_MIN || c->fn == SL_AGG_MAX) && updating_input));
    }
    a->acc = sl_xcalloc((size_t)a->aggs.nacc, sizeof(sl_val));
    a->prev = sl_xcalloc((size_t)a->aggs.nacc, sizeof(sl_val));
    (void)job;
    *out = sl_operator_new(&agg_vt, a, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
