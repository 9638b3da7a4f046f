/* connectors/conn_util.c — see conn_util.h. */
#include "connectors/conn_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "connectors/formats/format.h"
#include "runtime/expr.h"
#include "runtime/operator.h"

sl_status sl_sink_conv_init(sl_sink_conv *c, const sql_type *in, const sql_type *out, int32_t ltz_offset, sl_error *err)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->out = out;
    c->ltz_offset = ltz_offset;
    if (in->nfields != out->nfields)
        return sl_error_set(err, SL_ERR_INTERNAL, "sink receives rows of %d fields for a table of %d columns", in->nfields,
                            out->nfields);
    c->cast = sl_xcalloc((size_t)(in->nfields ? in->nfields : 1), sizeof(bool));
    for (int i = 0; i < in->nfields; i++) {
        const sql_type *a = in->field_types[i], *b = out->field_types[i];
        /* strings go in as they are (Flink's table.exec.sink.type-length-enforcer defaults to
         * IGNORE: no truncation, no padding) */
        bool strings = (a->id == SQL_T_CHAR || a->id == SQL_T_VARCHAR) && (b->id == SQL_T_CHAR || b->id == SQL_T_VARCHAR);
        bool bytes = (a->id == SQL_T_BINARY || a->id == SQL_T_VARBINARY) && (b->id == SQL_T_BINARY || b->id == SQL_T_VARBINARY);
        bool same = strings || bytes ||
                    (a->id == b->id && (a->id != SQL_T_DECIMAL || a->scale == b->scale) && sl_phys_of(a) == sl_phys_of(b));
        if (a->id == SQL_T_NULL) same = false;
        if (a->id == SQL_T_MAP || b->id == SQL_T_MAP) same = sql_type_equals(a, b, true); /* else element by element */
        c->cast[i] = !same;
        c->any |= !same;
    }
    if (c->any) c->scratch = sl_arena_create(0);
    return SL_OK;
}

const uint8_t *sl_sink_conv_row(sl_sink_conv *c, const uint8_t *row, sl_error *err)
{
    if (!c->any) return row;
    sl_arena_reset(c->scratch);
    int n = c->in->nfields;
    sl_rw_begin(&c->w, n, sl_row_get_kind(row));
    for (int i = 0; i < n; i++) {
        const sql_type *ot = c->out->field_types[i];
        if (!c->cast[i]) {
            if (!sl_row_is_null(row, i)) sl_rw_copy(&c->w, i, row, i, sl_phys_of(ot));
            continue;
        }
        const sql_type *it = c->in->field_types[i];
        sl_val v = {.null = sl_row_is_null(row, i) || it->id == SQL_T_NULL};
        if (!v.null) {
            switch (sl_phys_of(it)) {
            case SL_PHYS_I64: v.i = sl_row_i64(row, i); break;
            case SL_PHYS_F64: v.d = sl_row_f64(row, i); break;
            default: v.s.p = sl_row_bytes(row, i, &v.s.n); break;
            }
        }
        sl_val o;
        char msg[256];
        if (v.null) {
            sl_rw_null(&c->w, i);
            continue;
        }
        if (!sl_cast_value(&v, it, ot, c->scratch, c->ltz_offset, &o, msg, sizeof msg)) {
            sl_error_set(err, SL_ERR_RUNTIME, "cannot write column '%s' as %s: %s", c->out->field_names[i],
                         sql_type_str(c->scratch, ot), msg);
            return NULL;
        }
        sl_val_write(&c->w, i, &o, ot);
    }
    return sl_rw_finish(&c->w);
}

void sl_sink_conv_free(sl_sink_conv *c)
{
    free(c->cast);
    sl_rw_free(&c->w);
    sl_arena_destroy(c->scratch);
    memset(c, 0, sizeof *c);
}

typedef struct decode_ctx {
    sl_operator *op;
    sl_status st;
    sl_error *err;
} decode_ctx;

static void decode_emit(void *ctx, const uint8_t *row)
{
    decode_ctx *c = ctx;
    if (!c->st) c->st = sl_op_emit(c->op, row, c->err);
}

sl_status sl_source_decode(sl_operator *op, sl_format *f, const char *rec, size_t len, sl_error *err)
{
    decode_ctx c = {op, SL_OK, err};
    uint64_t skipped = 0;
    sl_status st = sl_format_decode(f, rec, len, decode_emit, &c, &skipped, err);
    if (skipped) sl_task_count_dropped(op->task, skipped);
    return st ? st : c.st;
}

void sl_conn_ignore_key(const char *format, char *buf, size_t n)
{
    buf[0] = 0;
    if (!format) return;
    char key[96];
    snprintf(key, sizeof key, "%s.ignore-parse-errors", format);
    for (const char *const *k = sl_format_option_keys(format); k && *k; k++)
        if (strcmp(*k, key) == 0) snprintf(buf, n, "%s", key);
}
