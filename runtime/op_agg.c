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
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"

enum { F_COUNT, F_SUM, F_AVG, F_MIN, F_MAX };

typedef struct call {
    int fn;
    int arg;           /* input field, -1 for COUNT(*) */
    sl_phys arg_phys;
    const sql_type *arg_type, *type;
    bool distinct;
    int filter;        /* input field holding FILTER's condition, or -1 */
    int base;          /* first accumulator field */
    bool keep_values;  /* a value multiset in state (DISTINCT, or MIN/MAX with retractions) */
    bool float_sum;    /* SUM/AVG accumulate in double */
    sl_bytes best;     /* MIN/MAX recomputed from the multiset: the value's bytes */
} call;

typedef struct agg {
    int ngroup;
    int *group;
    sl_phys *group_phys;
    int ncalls;
    call *c;
    int nacc;          /* accumulator fields */
    sl_phys *acc_phys;
    const sql_type *in, *out;
    int max_parallelism;
    sl_state *st;
    sl_bytes key, vkey, loaded; /* loaded: an aligned copy of the group's accumulator row */
    sl_val *acc, *prev;
    sl_row_writer w, accw;
} agg;

/* ---- values -------------------------------------------------------------------------------------- */

static sl_val read_field(const uint8_t *row, int f, sl_phys p)
{
    sl_val v = {.null = sl_row_is_null(row, f)};
    if (v.null) return v;
    if (p == SL_PHYS_I64) v.i = sl_row_i64(row, f);
    else if (p == SL_PHYS_F64) v.d = sl_row_f64(row, f);
    else v.s.p = sl_row_bytes(row, f, &v.s.n);
    return v;
}

static int cmp_val(const sl_val *a, const sl_val *b, sl_phys p)
{
    if (p == SL_PHYS_I64) return a->i < b->i ? -1 : a->i > b->i;
    if (p == SL_PHYS_F64) return a->d < b->d ? -1 : a->d > b->d;
    uint32_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
    int c = n ? memcmp(a->s.p, b->s.p, n) : 0;
    return c ? c : (a->s.n < b->s.n ? -1 : a->s.n > b->s.n);
}

static bool val_eq(const sl_val *a, const sl_val *b, sl_phys p)
{
    if (a->null || b->null) return a->null == b->null;
    return cmp_val(a, b, p) == 0;
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

/* ---- accumulators -------------------------------------------------------------------------------- */

static void acc_init(agg *a)
{
    a->acc[0] = (sl_val){.i = 0};
    for (int k = 0; k < a->ncalls; k++) {
        call *c = &a->c[k];
        switch (c->fn) {
        case F_COUNT: a->acc[c->base] = (sl_val){.i = 0}; break;
        case F_SUM:
        case F_AVG:
            a->acc[c->base] = c->float_sum ? (sl_val){.d = 0} : (sl_val){.i = 0};
            a->acc[c->base + 1] = (sl_val){.i = 0};
            break;
        default: a->acc[c->base] = (sl_val){.null = true}; break;
        }
    }
}

static void acc_load(agg *a, const uint8_t *row)
{
    for (int f = 0; f < a->nacc; f++) a->acc[f] = read_field(row, f, a->acc_phys[f]);
}

/* The result of call c from the accumulator values v. */
static sl_val result(const agg *a, const call *c, const sl_val *v)
{
    sl_val r = {.null = false};
    switch (c->fn) {
    case F_COUNT: r.i = v[c->base].i; break;
    case F_SUM:
        if (v[c->base + 1].i == 0) return (sl_val){.null = true};
        r = v[c->base];
        break;
    case F_AVG: {
        int64_t n = v[c->base + 1].i;
        if (n == 0) return (sl_val){.null = true};
        if (c->float_sum) r.d = v[c->base].d / (double)n;
        else r.i = v[c->base].i / n; /* AVG of integers is an integer, as in Flink */
        if (sl_phys_of(c->type) == SL_PHYS_F64 && !c->float_sum) r.d = (double)r.i;
        break;
    }
    default: r = v[c->base]; break;
    }
    /* integer results wrap at their width, as Java's */
    if (!r.null && sl_phys_of(c->type) == SL_PHYS_I64) {
        switch (c->type->id) {
        case SQL_T_TINYINT: r.i = (int8_t)(uint8_t)r.i; break;
        case SQL_T_SMALLINT: r.i = (int16_t)(uint16_t)r.i; break;
        case SQL_T_INT: r.i = (int32_t)(uint32_t)r.i; break;
        default: break;
        }
    }
    return r;
}

/* Counts value v of call k up (delta 1) or down (-1) in its multiset; *now = the new count. */
static sl_status value_count(agg *a, int k, int kg, const uint8_t *row, int delta, int64_t *now, sl_error *err)
{
    call *c = &a->c[k];
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
    call *c = &a->c[k];
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
        int cmp = any ? cmp_val(&x, &best, c->arg_phys) : 0;
        if (!any || (c->fn == F_MIN ? cmp < 0 : cmp > 0)) {
            any = true;
            best = x;
            if (c->arg_phys == SL_PHYS_BYTES) { /* keep the bytes past the iterator */
                sl_bytes_reset(&c->best);
                sl_bytes_put(&c->best, x.s.p, x.s.n);
                best.s.p = (const char *)c->best.p;
            }
        }
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    if (st) return st;
    if (any && c->arg_phys == SL_PHYS_BYTES) best.s.p = (const char *)c->best.p;
    a->acc[c->base] = any ? best : (sl_val){.null = true};
    return SL_OK;
}

static sl_status apply(agg *a, int kg, const uint8_t *row, bool accumulate, sl_error *err)
{
    int delta = accumulate ? 1 : -1;
    a->acc[0].i += delta;
    for (int k = 0; k < a->ncalls; k++) {
        call *c = &a->c[k];
        if (c->filter >= 0 && (sl_row_is_null(row, c->filter) || !sl_row_i64(row, c->filter))) continue;
        if (c->arg < 0) { /* COUNT(*) */
            a->acc[c->base].i += delta;
            continue;
        }
        sl_val v = read_field(row, c->arg, c->arg_phys);
        if (v.null) continue; /* aggregates ignore NULLs */
        if (c->keep_values) {
            int64_t now;
            sl_status st = value_count(a, k, kg, row, delta, &now, err);
            if (st) return st;
            if (c->distinct && !((accumulate && now == 1) || (!accumulate && now == 0))) continue;
        }
        sl_val *x = &a->acc[c->base];
        switch (c->fn) {
        case F_COUNT: x->i += delta; break;
        case F_SUM:
        case F_AVG:
            if (c->float_sum) x->d += delta * (c->arg_phys == SL_PHYS_F64 ? v.d : (double)v.i);
            else x->i = (int64_t)((uint64_t)x->i + (uint64_t)(delta * v.i));
            a->acc[c->base + 1].i += delta;
            break;
        default: {
            bool better = x->null || (c->fn == F_MIN ? cmp_val(&v, x, c->arg_phys) < 0 : cmp_val(&v, x, c->arg_phys) > 0);
            if (accumulate) {
                if (better) *x = v;
            } else if (!x->null && cmp_val(&v, x, c->arg_phys) == 0) {
                sl_status st = recompute_extreme(a, k, kg, err);
                if (st) return st;
            }
            break;
        }
        }
    }
    return SL_OK;
}

static const uint8_t *output_row(agg *a, const uint8_t *in, const sl_val *v, sl_row_kind kind)
{
    sl_rw_begin(&a->w, a->ngroup + a->ncalls, kind);
    for (int g = 0; g < a->ngroup; g++)
        if (!sl_row_is_null(in, a->group[g])) sl_rw_copy(&a->w, g, in, a->group[g], a->group_phys[g]);
    for (int k = 0; k < a->ncalls; k++) {
        sl_val r = result(a, &a->c[k], v);
        sl_val_write(&a->w, a->ngroup + k, &r, a->c[k].type);
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
        acc_init(a);
    } else {
        /* the state's bytes are only valid until the next state call: load an aligned copy */
        sl_bytes_reset(&a->loaded);
        sl_bytes_put(&a->loaded, v, vn);
        static const uint8_t zeros[8];
        sl_bytes_put(&a->loaded, zeros, ((vn + 7u) & ~(size_t)7u) - vn);
        acc_load(a, a->loaded.p);
        for (int f = 0; f < a->nacc; f++) a->prev[f] = a->acc[f]; /* strings point into `loaded` */
    }
    const uint8_t *prev_row = NULL;
    sl_bytes prev_bytes = {0};
    if (!first) { /* the previous result, materialized before the accumulators change */
        const uint8_t *r = output_row(a, row, a->prev, SL_ROW_UPDATE_BEFORE);
        sl_bytes_put(&prev_bytes, r, sl_row_len(r));
        prev_row = prev_bytes.p;
    }
    if ((st = apply(a, kg, row, accumulate, err))) goto out;
    if (a->acc[0].i <= 0) { /* every row of the group retracted */
        if (!first) {
            sl_row_set_kind((uint8_t *)prev_row, SL_ROW_DELETE);
            if ((st = sl_op_emit(op, prev_row, err))) goto out;
        }
        if ((st = sl_state_delete(a->st, 0, kg, a->key.p, a->key.n, NULL, 0, err))) goto out;
        goto out;
    }
    /* store the accumulators */
    sl_rw_begin(&a->accw, a->nacc, SL_ROW_INSERT);
    for (int f = 0; f < a->nacc; f++) {
        if (a->acc[f].null) continue;
        if (a->acc_phys[f] == SL_PHYS_I64) sl_rw_i64(&a->accw, f, a->acc[f].i);
        else if (a->acc_phys[f] == SL_PHYS_F64) sl_rw_f64(&a->accw, f, a->acc[f].d);
        else sl_rw_bytes(&a->accw, f, a->acc[f].s.p, a->acc[f].s.n);
    }
    const uint8_t *accrow = sl_rw_finish(&a->accw);
    if ((st = sl_state_put(a->st, 0, kg, a->key.p, a->key.n, NULL, 0, accrow, sl_row_len(accrow), err))) goto out;
    if (first) {
        st = sl_op_emit(op, output_row(a, row, a->acc, SL_ROW_INSERT), err);
        goto out;
    }
    bool same = true;
    for (int k = 0; k < a->ncalls && same; k++) {
        sl_val x = result(a, &a->c[k], a->prev), y = result(a, &a->c[k], a->acc);
        same = val_eq(&x, &y, sl_phys_of(a->c[k].type));
    }
    if (same) goto out;
    if ((st = sl_op_emit(op, prev_row, err))) goto out;
    st = sl_op_emit(op, output_row(a, row, a->acc, SL_ROW_UPDATE_AFTER), err);
out:
    sl_bytes_free(&prev_bytes);
    return st;
}

static sl_status agg_open(sl_operator *op, sl_error *err)
{
    agg *a = op->impl;
    a->max_parallelism = sl_task_max_parallelism(op->task);
    return sl_op_state_open(op, &a->st, err);
}

static void agg_close(sl_operator *op)
{
    agg *a = op->impl;
    if (!a) return;
    if (a->st) sl_state_close(a->st);
    free(a->group);
    free(a->group_phys);
    for (int k = 0; k < a->ncalls; k++) sl_bytes_free(&a->c[k].best);
    free(a->c);
    free(a->acc_phys);
    free(a->acc);
    free(a->prev);
    sl_bytes_free(&a->key);
    sl_bytes_free(&a->vkey);
    sl_bytes_free(&a->loaded);
    sl_rw_free(&a->w);
    sl_rw_free(&a->accw);
    free(a);
    op->impl = NULL;
}

static const sl_op_vtable agg_vt = {.name = "GroupAggregate", .open = agg_open, .process = agg_process, .close = agg_close};

sl_status sl_op_agg_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const sql_type *in = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
    const sql_type *outt = in ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    agg *a = sl_xcalloc(1, sizeof *a);
    a->in = in;
    a->out = outt;
    a->ngroup = (int)json_integer_value(json_object_get(spec, "group"));
    a->group = sl_xcalloc((size_t)(a->ngroup ? a->ngroup : 1), sizeof(int));
    a->group_phys = sl_xcalloc((size_t)(a->ngroup ? a->ngroup : 1), sizeof(sl_phys));
    for (int g = 0; g < a->ngroup; g++) {
        a->group[g] = g;
        a->group_phys[g] = sl_phys_of(in->field_types[g]);
    }
    bool updating_input = (json_integer_value(json_object_get(spec, "input_changelog")) & ~1) != 0;
    const json_t *calls = json_object_get(spec, "calls");
    a->ncalls = (int)json_array_size(calls);
    a->c = sl_xcalloc((size_t)(a->ncalls ? a->ncalls : 1), sizeof(call));
    a->acc_phys = sl_xcalloc((size_t)(2 * a->ncalls + 1), sizeof(sl_phys));
    a->nacc = 1;
    a->acc_phys[0] = SL_PHYS_I64;
    sl_status st = SL_OK;
    for (int k = 0; k < a->ncalls && !st; k++) {
        const json_t *j = json_array_get(calls, (size_t)k);
        call *c = &a->c[k];
        const char *fn = json_string_value(json_object_get(j, "fn"));
        const json_t *args = json_object_get(j, "args");
        c->type = outt->field_types[a->ngroup + k];
        c->distinct = json_is_true(json_object_get(j, "distinct"));
        c->filter = (int)json_integer_value(json_object_get(j, "filter"));
        c->arg = json_is_true(json_object_get(j, "star")) || json_array_size(args) == 0 ? -1 : (int)json_integer_value(json_array_get(args, 0));
        if (!fn || json_array_size(args) > 1) {
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "aggregate %s with %zu arguments is not supported by the runtime yet",
                              fn ? fn : "?", json_array_size(args));
            break;
        }
        if (strcasecmp(fn, "COUNT") == 0) c->fn = F_COUNT;
        else if (strcasecmp(fn, "SUM") == 0) c->fn = F_SUM;
        else if (strcasecmp(fn, "AVG") == 0) c->fn = F_AVG;
        else if (strcasecmp(fn, "MIN") == 0) c->fn = F_MIN;
        else if (strcasecmp(fn, "MAX") == 0) c->fn = F_MAX;
        else {
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "the aggregate function %s is not supported by the runtime yet", fn);
            sl_error_hint(err, "supported: COUNT, SUM, AVG, MIN, MAX (with DISTINCT and FILTER)");
            break;
        }
        if (c->arg >= 0) {
            c->arg_type = in->field_types[c->arg];
            c->arg_phys = sl_phys_of(c->arg_type);
        }
        if (sl_phys_of(c->type) == SL_PHYS_UNSUPPORTED || (c->arg >= 0 && c->arg_phys == SL_PHYS_UNSUPPORTED) ||
            ((c->fn == F_SUM || c->fn == F_AVG) && (c->type->id == SQL_T_DECIMAL || (c->arg_type && c->arg_type->id == SQL_T_DECIMAL)))) {
            sl_strbuf tsb = SL_STRBUF_INIT;
            sql_type_print(&tsb, c->type);
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "%s producing %s is not supported by the runtime yet", fn, sl_strbuf_cstr(&tsb));
            sl_strbuf_free(&tsb);
            sl_error_hint(err, "DECIMAL sums and averages need DECIMAL(38) values; CAST the argument to DOUBLE or BIGINT");
            break;
        }
        c->float_sum = (c->fn == F_SUM || c->fn == F_AVG) && (c->arg_phys == SL_PHYS_F64 || sl_phys_of(c->type) == SL_PHYS_F64);
        c->keep_values = c->arg >= 0 && (c->distinct || ((c->fn == F_MIN || c->fn == F_MAX) && updating_input));
        c->base = a->nacc;
        switch (c->fn) {
        case F_COUNT: a->acc_phys[a->nacc++] = SL_PHYS_I64; break;
        case F_SUM:
        case F_AVG:
            a->acc_phys[a->nacc++] = c->float_sum ? SL_PHYS_F64 : SL_PHYS_I64;
            a->acc_phys[a->nacc++] = SL_PHYS_I64;
            break;
        default: a->acc_phys[a->nacc++] = c->arg_phys; break;
        }
    }
    if (!st && 1 + a->ncalls > 255) st = sl_error_set(err, SL_ERR_UNSUPPORTED, "more than 254 aggregate calls in one GROUP BY");
    if (st) {
        agg_close(&(sl_operator){.impl = a});
        return st;
    }
    a->acc = sl_xcalloc((size_t)a->nacc, sizeof(sl_val));
    a->prev = sl_xcalloc((size_t)a->nacc, sizeof(sl_val));
    (void)job;
    *out = sl_operator_new(&agg_vt, a, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
