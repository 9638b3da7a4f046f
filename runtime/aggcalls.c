/* runtime/aggcalls.c — see aggcalls.h. */
#include "runtime/aggcalls.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"

sl_val sl_row_val(const uint8_t *row, int f, sl_phys p)
{
    sl_val v = {.null = sl_row_is_null(row, f)};
    if (v.null) return v;
    if (p == SL_PHYS_I64) v.i = sl_row_i64(row, f);
    else if (p == SL_PHYS_F64) v.d = sl_row_f64(row, f);
    else v.s.p = sl_row_bytes(row, f, &v.s.n);
    return v;
}

int sl_val_cmp(const sl_val *a, const sl_val *b, sl_phys p)
{
    if (p == SL_PHYS_I64) return a->i < b->i ? -1 : a->i > b->i;
    if (p == SL_PHYS_F64) return a->d < b->d ? -1 : a->d > b->d;
    uint32_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
    int c = n ? memcmp(a->s.p, b->s.p, n) : 0;
    return c ? c : (a->s.n < b->s.n ? -1 : a->s.n > b->s.n);
}

sl_status sl_aggs_parse(sl_aggs *a, const json_t *calls, const sql_type *in, const sql_type *out, int first_out, sl_arena *types,
                        sl_error *err)
{
    memset(a, 0, sizeof *a);
    a->n = (int)json_array_size(calls);
    if (a->n > 250) return sl_error_set(err, SL_ERR_UNSUPPORTED, "more than 250 aggregate calls in one aggregation");
    a->c = sl_xcalloc((size_t)(a->n ? a->n : 1), sizeof(sl_aggcall));
    a->acc_phys = sl_xcalloc((size_t)(2 * a->n + 1), sizeof(sl_phys));
    a->nacc = 1;
    a->acc_phys[0] = SL_PHYS_I64;
    for (int k = 0; k < a->n; k++) {
        const json_t *j = json_array_get(calls, (size_t)k);
        sl_aggcall *c = &a->c[k];
        const char *fn = json_string_value(json_object_get(j, "fn"));
        const json_t *args = json_object_get(j, "args");
        if (first_out + k >= out->nfields) return sl_error_set(err, SL_ERR_INTERNAL, "malformed aggregate spec (output row)");
        c->type = out->field_types[first_out + k];
        c->distinct = json_is_true(json_object_get(j, "distinct"));
        c->filter = (int)json_integer_value(json_object_get(j, "filter"));
        c->arg = json_is_true(json_object_get(j, "star")) || json_array_size(args) == 0 ? -1 : (int)json_integer_value(json_array_get(args, 0));
        if (!fn || json_array_size(args) > 1)
            return sl_error_set(err, SL_ERR_UNSUPPORTED, "aggregate %s with %zu arguments is not supported by the runtime yet",
                                fn ? fn : "?", json_array_size(args));
        if (c->arg >= in->nfields || c->filter >= in->nfields)
            return sl_error_set(err, SL_ERR_INTERNAL, "malformed aggregate spec (arguments of %s)", fn);
        if (strcasecmp(fn, "COUNT") == 0) c->fn = SL_AGG_COUNT;
        else if (strcasecmp(fn, "SUM") == 0) c->fn = SL_AGG_SUM;
        else if (strcasecmp(fn, "AVG") == 0) c->fn = SL_AGG_AVG;
        else if (strcasecmp(fn, "MIN") == 0) c->fn = SL_AGG_MIN;
        else if (strcasecmp(fn, "MAX") == 0) c->fn = SL_AGG_MAX;
        else {
            sl_error_set(err, SL_ERR_UNSUPPORTED, "the aggregate function %s is not supported by the runtime yet", fn);
            sl_error_hint(err, "supported: COUNT, SUM, AVG, MIN, MAX (with DISTINCT and FILTER)");
            return SL_ERR_UNSUPPORTED;
        }
        if (c->arg >= 0) {
            c->arg_type = in->field_types[c->arg];
            c->arg_phys = sl_phys_of(c->arg_type);
        }
        bool sum = c->fn == SL_AGG_SUM || c->fn == SL_AGG_AVG;
        if (sl_phys_of(c->type) == SL_PHYS_UNSUPPORTED || (c->arg >= 0 && c->arg_phys == SL_PHYS_UNSUPPORTED) ||
            (sum && (c->type->id == SQL_T_DECIMAL || (c->arg_type && c->arg_type->id == SQL_T_DECIMAL)))) {
            sl_error_set(err, SL_ERR_UNSUPPORTED, "%s producing %s is not supported by the runtime yet", fn, sql_type_str(types, c->type));
            sl_error_hint(err, "DECIMAL sums and averages need DECIMAL(38) values; CAST the argument to DOUBLE or BIGINT");
            return SL_ERR_UNSUPPORTED;
        }
        c->float_sum = sum && (c->arg_phys == SL_PHYS_F64 || sl_phys_of(c->type) == SL_PHYS_F64);
        c->base = a->nacc;
        if (c->fn == SL_AGG_COUNT) {
            a->acc_phys[a->nacc++] = SL_PHYS_I64;
        } else if (sum) {
            a->acc_phys[a->nacc++] = c->float_sum ? SL_PHYS_F64 : SL_PHYS_I64;
            a->acc_phys[a->nacc++] = SL_PHYS_I64;
        } else {
            a->acc_phys[a->nacc++] = c->arg_phys;
        }
    }
    return SL_OK;
}

void sl_aggs_free(sl_aggs *a)
{
    free(a->c);
    free(a->acc_phys);
    memset(a, 0, sizeof *a);
}

void sl_aggs_init(const sl_aggs *a, sl_val *acc)
{
    acc[0] = (sl_val){.i = 0};
    for (int k = 0; k < a->n; k++) {
        const sl_aggcall *c = &a->c[k];
        switch (c->fn) {
        case SL_AGG_COUNT: acc[c->base] = (sl_val){.i = 0}; break;
        case SL_AGG_SUM:
        case SL_AGG_AVG:
            acc[c->base] = c->float_sum ? (sl_val){.d = 0} : (sl_val){.i = 0};
            acc[c->base + 1] = (sl_val){.i = 0};
            break;
        default: acc[c->base] = (sl_val){.null = true}; break;
        }
    }
}

void sl_aggs_load(const sl_aggs *a, const uint8_t *row, sl_val *acc)
{
    for (int f = 0; f < a->nacc; f++) acc[f] = sl_row_val(row, f, a->acc_phys[f]);
}

const uint8_t *sl_aggs_store(const sl_aggs *a, const sl_val *acc, sl_row_writer *w)
{
    sl_rw_begin(w, a->nacc, SL_ROW_INSERT);
    for (int f = 0; f < a->nacc; f++) {
        if (acc[f].null) continue;
        if (a->acc_phys[f] == SL_PHYS_I64) sl_rw_i64(w, f, acc[f].i);
        else if (a->acc_phys[f] == SL_PHYS_F64) sl_rw_f64(w, f, acc[f].d);
        else sl_rw_bytes(w, f, acc[f].s.p, acc[f].s.n);
    }
    return sl_rw_finish(w);
}

bool sl_aggs_takes(const sl_aggcall *c, const uint8_t *row, sl_val *v)
{
    if (c->filter >= 0 && (sl_row_is_null(row, c->filter) || !sl_row_i64(row, c->filter))) return false;
    if (c->arg < 0) { /* COUNT(*) */
        *v = (sl_val){.i = 1};
        return true;
    }
    *v = sl_row_val(row, c->arg, c->arg_phys);
    return !v->null; /* aggregates ignore NULLs */
}

void sl_aggs_update(const sl_aggcall *c, sl_val *acc, const sl_val *v, int delta)
{
    sl_val *x = &acc[c->base];
    switch (c->fn) {
    case SL_AGG_COUNT: x->i += delta; break;
    case SL_AGG_SUM:
    case SL_AGG_AVG:
        if (c->float_sum) x->d += delta * (c->arg_phys == SL_PHYS_F64 ? v->d : (double)v->i);
        else x->i = (int64_t)((uint64_t)x->i + (uint64_t)(delta * v->i));
        acc[c->base + 1].i += delta;
        break;
    default:
        if (delta > 0 &&
            (x->null || (c->fn == SL_AGG_MIN ? sl_val_cmp(v, x, c->arg_phys) < 0 : sl_val_cmp(v, x, c->arg_phys) > 0)))
            *x = *v;
        break;
    }
}

sl_val sl_aggs_result(const sl_aggcall *c, const sl_val *v)
{
    sl_val r = {.null = false};
    switch (c->fn) {
    case SL_AGG_COUNT: r.i = v[c->base].i; break;
    case SL_AGG_SUM:
        if (v[c->base + 1].i == 0) return (sl_val){.null = true};
        r = v[c->base];
        break;
    case SL_AGG_AVG: {
        int64_t n = v[c->base + 1].i;
        if (n == 0) return (sl_val){.null = true};
        if (c->float_sum) r.d = v[c->base].d / (double)n;
        else r.i = v[c->base].i / n; /* AVG of integers is an integer, as in Flink */
        if (sl_phys_of(c->type) == SL_PHYS_F64 && !c->float_sum) r.d = (double)r.i;
        break;
    }
    default: r = v[c->base]; break;
    }
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
