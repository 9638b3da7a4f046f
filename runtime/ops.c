/* runtime/ops.c — calc, union, scan and values operators; see ops.h. */
#include "runtime/ops.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mem.h"
#include "common/strbuf.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

const sql_type *sl_row_type_from_json(sl_arena *a, const json_t *fields, sl_error *err)
{
    if (!json_is_array(fields)) {
        sl_error_set(err, SL_ERR_INTERNAL, "malformed row type in the job graph");
        return NULL;
    }
    int n = (int)json_array_size(fields);
    sql_type *t = sl_arena_zalloc(a, sizeof *t);
    t->id = SQL_T_ROW;
    t->nullable = false;
    t->precision = t->scale = -1;
    t->nfields = n;
    t->field_names = sl_arena_zalloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    t->field_types = sl_arena_zalloc(a, sizeof(sql_type *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        const json_t *f = json_array_get(fields, (size_t)i);
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *type = json_string_value(json_object_get(f, "type"));
        const sql_type *ft = type ? sql_type_parse(a, type) : NULL;
        if (!name || !ft) {
            sl_error_set(err, SL_ERR_INTERNAL, "malformed field %d of a row type in the job graph (type '%s')", i,
                         type ? type : "?");
            return NULL;
        }
        t->field_names[i] = sl_arena_strdup(a, name);
        t->field_types[i] = ft;
    }
    return t;
}

sl_operator *sl_operator_new(const sl_op_vtable *vt, void *impl, const char *id, const char *description)
{
    sl_operator *op = sl_xcalloc(1, sizeof *op);
    op->vt = vt;
    op->impl = impl;
    op->id = id;
    op->description = description;
    return op;
}

void sl_operator_free(sl_operator *op)
{
    if (!op) return;
    if (op->vt->close) op->vt->close(op);
    free(op);
}

sl_expr_env sl_task_expr_env(const sl_job_context *job, uint64_t seed)
{
    sl_expr_env env = {0};
    env.ltz_offset = job ? job->ltz_offset : 0;
    env.rand_seed = seed;
    return env;
}

/* Checks that every field of `row` has a physical form, naming the first that does not. */
static sl_status check_phys(const sql_type *row, const char *what, sl_error *err)
{
    for (int i = 0; i < row->nfields; i++)
        if (sl_phys_of(row->field_types[i]) == SL_PHYS_UNSUPPORTED) {
            sl_strbuf tsb = SL_STRBUF_INIT;
            sql_type_print(&tsb, row->field_types[i]);
            const char *ts = sl_strbuf_cstr(&tsb);
            sl_error_set(err, SL_ERR_UNSUPPORTED, "%s column '%s' has type %s, which the Sluice runtime cannot hold yet", what,
                         row->field_names[i], ts);
            sl_strbuf_free(&tsb);
            sl_error_hint(err, "supported: BOOLEAN, numeric types (DECIMAL up to 18 digits), strings, binary strings, "
                               "DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ, INTERVAL; not yet ARRAY, MAP, MULTISET, ROW");
            return SL_ERR_UNSUPPORTED;
        }
    return SL_OK;
}

static const char *col_kind(const json_t *col)
{
    const char *k = json_string_value(json_object_get(col, "kind"));
    return k ? k : "";
}

/* ---- projection: a list of expressions written into an output row ------------------------------ */

typedef struct projection {
    int n;
    sl_expr **exprs;
    int *ref;          /* input field copied as is, or -1 */
    sl_phys *phys;     /* physical class of each output field */
    const sql_type *out;
    sl_row_writer w;
    bool identity;     /* output == input: rows pass through unchanged */
} projection;

static void projection_free(projection *p)
{
    for (int i = 0; i < p->n; i++) sl_expr_free(p->exprs[i]);
    free(p->exprs);
    free(p->ref);
    free(p->phys);
    sl_rw_free(&p->w);
}

static void projection_scratch_reset(projection *p)
{
    for (int i = 0; i < p->n; i++)
        if (p->ref[i] < 0) sl_expr_scratch_reset(p->exprs[i]);
}

/* Builds the output row in p->w; returns it, or NULL on a runtime error. */
static const uint8_t *project(projection *p, const uint8_t *row, sl_row_kind kind, sl_error *err)
{
    sl_rw_begin(&p->w, p->n, kind);
    for (int i = 0; i < p->n; i++) {
        if (p->ref[i] >= 0) {
            sl_rw_copy(&p->w, i, row, p->ref[i], p->phys[i]);
            continue;
        }
        sl_val v;
        if (sl_expr_eval(p->exprs[i], row, &v, err)) return NULL;
        sl_val_write(&p->w, i, &v, p->out->field_types[i]);
    }
    return sl_rw_finish(&p->w);
}

static sl_status projection_init(projection *p, const json_t *exprs, const sql_type *in, const sql_type *out,
                                 const sl_expr_env *env, sl_arena *types, sl_error *err)
{
    memset(p, 0, sizeof *p);
    p->n = (int)json_array_size(exprs);
    p->out = out;
    p->exprs = sl_xcalloc((size_t)(p->n ? p->n : 1), sizeof(sl_expr *));
    p->ref = sl_xcalloc((size_t)(p->n ? p->n : 1), sizeof(int));
    p->phys = sl_xcalloc((size_t)(p->n ? p->n : 1), sizeof(sl_phys));
    p->identity = p->n == in->nfields;
    for (int i = 0; i < p->n; i++) {
        sl_status st = sl_expr_compile(json_array_get(exprs, (size_t)i), in, env, types, &p->exprs[i], err);
        if (st) {
            p->n = i;
            projection_free(p);
            return st;
        }
        p->ref[i] = sl_expr_input_ref(p->exprs[i]);
        p->phys[i] = sl_phys_of(out->field_types[i]);
        /* a bare field reference of another physical class (INT read as DOUBLE) needs evaluation */
        if (p->ref[i] >= 0 && sl_phys_of(in->field_types[p->ref[i]]) != p->phys[i]) p->ref[i] = -1;
        if (p->ref[i] != i) p->identity = false;
    }
    return SL_OK;
}

/* ---- calc ------------------------------------------------------------------------------------ */

typedef struct calc {
    sl_expr *where;
    projection proj;
} calc;

static sl_status calc_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    calc *c = op->impl;
    if (c->where) {
        sl_val v;
        sl_expr_scratch_reset(c->where);
        if (sl_expr_eval(c->where, row, &v, err)) return err->code;
        if (v.null || !v.i) return SL_OK;
    }
    if (c->proj.identity) return sl_op_emit(op, row, err);
    projection_scratch_reset(&c->proj);
    const uint8_t *out = project(&c->proj, row, sl_row_get_kind(row), err);
    if (!out) return err->code;
    return sl_op_emit(op, out, err);
}

static void calc_close(sl_operator *op)
{
    calc *c = op->impl;
    if (!c) return;
    sl_expr_free(c->where);
    projection_free(&c->proj);
    free(c);
    op->impl = NULL;
}

static const sl_op_vtable calc_vt = {.name = "Calc", .process = calc_process, .close = calc_close};

sl_status sl_op_calc_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const sql_type *in = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
    const sql_type *outt = in ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    sl_status st;
    if ((st = check_phys(in, "input", err)) || (st = check_phys(outt, "output", err))) return st;
    calc *c = sl_xcalloc(1, sizeof *c);
    sl_expr_env env = sl_task_expr_env(job, 0);
    const json_t *where = json_object_get(spec, "where");
    if (where && !json_is_null(where) && (st = sl_expr_compile(where, in, &env, types, &c->where, err))) {
        free(c);
        return st;
    }
    if ((st = projection_init(&c->proj, json_object_get(spec, "select"), in, outt, &env, types, err))) {
        sl_expr_free(c->where);
        free(c);
        return st;
    }
    *out = sl_operator_new(&calc_vt, c, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}

/* ---- union ----------------------------------------------------------------------------------- */

/* UNION ALL: every input's rows go out unchanged (the planner gives every input the output's row
 * type); the task combines the inputs' watermarks (the minimum) and forwards them. */
static sl_status union_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    (void)input;
    return sl_op_emit(op, row, err);
}

static const sl_op_vtable union_vt = {.name = "Union", .process = union_process};

sl_status sl_op_union_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    (void)job;
    const sql_type *outt = sl_row_type_from_json(types, json_object_get(spec, "output"), err);
    if (!outt) return err->code;
    sl_status st = check_phys(outt, "output", err);
    if (st) return st;
    *out = sl_operator_new(&union_vt, NULL, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}

/* ---- scan ------------------------------------------------------------------------------------ */

/* A computed column, evaluated over the connector row (non-computed columns in table order). */
typedef struct scan {
    int ncols;                 /* table columns */
    int *conn_index;           /* per table column: its field in the connector row, or -1 (computed) */
    sl_expr **computed;        /* per table column: expression, or NULL */
    sl_phys *phys;             /* per table column */
    const sql_type *table_row; /* all table columns */
    bool need_full;            /* computed columns, watermark: build the full table row first */
    sl_row_writer full;
    sl_expr *watermark;        /* over the full row, or NULL */
    int64_t max_wm;            /* largest watermark expression value seen (ms) */
    int64_t emitted_wm;
    projection proj;           /* full row (or connector row) -> output row */
    bool passthrough;          /* connector row == output row */
    sl_expr *filter;           /* over the output row */
    int64_t idle_timeout_ms;   /* table.exec.source.idle-timeout (0 = never idle) */
    uint64_t seen;             /* rows since the last periodic call */
    int64_t last_active_ms;
    bool idle;
    /* per-split watermarks: the source before this scan generates watermarks and idleness
     * itself (sl_scan_take_over_watermarks); the scan reports each row's watermark value */
    bool delegated;
    bool row_wm_valid;         /* the last row's watermark expression was not NULL */
    int64_t row_wm;            /* its value (ms) */
} scan;

const sql_type *sl_scan_connector_row(const json_t *spec, sl_arena *types, sl_error *err)
{
    const json_t *schema = json_object_get(spec, "schema");
    json_t *fields = json_array();
    size_t i;
    const json_t *col;
    json_array_foreach(schema, i, col)
    {
        if (strcmp(col_kind(col), "computed") == 0) continue;
        json_array_append(fields, (json_t *)col);
    }
    const sql_type *t = sl_row_type_from_json(types, fields, err);
    json_decref(fields);
    return t;
}

const sql_type *sl_scan_physical_row(const json_t *spec, sl_arena *types, sl_error *err)
{
    const json_t *schema = json_object_get(spec, "schema");
    json_t *fields = json_array();
    size_t i;
    const json_t *col;
    json_array_foreach(schema, i, col)
    {
        if (strcmp(col_kind(col), "physical") != 0) continue;
        json_array_append(fields, (json_t *)col);
    }
    const sql_type *t = sl_row_type_from_json(types, fields, err);
    json_decref(fields);
    return t;
}

static void scan_reset(scan *s)
{
    for (int i = 0; i < s->ncols; i++)
        if (s->computed[i]) sl_expr_scratch_reset(s->computed[i]);
    if (s->watermark) sl_expr_scratch_reset(s->watermark);
    if (s->filter) sl_expr_scratch_reset(s->filter);
    projection_scratch_reset(&s->proj);
}

static sl_status scan_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    scan *s = op->impl;
    scan_reset(s);
    s->seen++;
    s->row_wm_valid = false;
    if (s->idle && !s->delegated) {
        s->idle = false;
        sl_op_emit_idle(op, false);
    }
    sl_row_kind kind = sl_row_get_kind(row);
    const uint8_t *full = row;
    if (s->need_full) {
        sl_rw_begin(&s->full, s->ncols, kind);
        for (int i = 0; i < s->ncols; i++) {
            if (s->conn_index[i] >= 0) {
                sl_rw_copy(&s->full, i, row, s->conn_index[i], s->phys[i]);
            } else {
                sl_val v;
                if (sl_expr_eval(s->computed[i], row, &v, err)) return err->code;
                sl_val_write(&s->full, i, &v, s->table_row->field_types[i]);
            }
        }
        full = sl_rw_finish(&s->full);
    }
    if (s->watermark) {
        sl_val v;
        if (sl_expr_eval(s->watermark, full, &v, err)) return err->code;
        if (!v.null) {
            int64_t ms = sl_floor_div(v.i, 1000);
            if (ms > s->max_wm) s->max_wm = ms;
            s->row_wm_valid = true;
            s->row_wm = ms;
        }
    }
    const uint8_t *out = full;
    if (!s->passthrough && !(out = project(&s->proj, full, kind, err))) return err->code;
    if (s->filter) {
        sl_val v;
        if (sl_expr_eval(s->filter, out, &v, err)) return err->code;
        if (v.null || !v.i) return SL_OK;
    }
    return sl_op_emit(op, out, err);
}

/* Periodic watermark emission (pipeline.auto-watermark-interval), as Flink's
 * WatermarkAssignerOperator: the largest watermark expression value seen, when it advanced. */
static sl_status scan_periodic(sl_operator *op, int64_t now_ms, sl_error *err)
{
    scan *s = op->impl;
    if (s->delegated) return SL_OK; /* the source does both (per split) */
    /* idleness: no rows for idle-timeout, so downstream stops waiting for this source's
     * watermark */
    if (s->seen || !s->last_active_ms) s->last_active_ms = now_ms;
    s->seen = 0;
    if (s->idle_timeout_ms > 0 && !s->idle && now_ms - s->last_active_ms >= s->idle_timeout_ms) {
        s->idle = true;
        sl_op_emit_idle(op, true);
    }
    if (!s->watermark || s->max_wm <= s->emitted_wm) return SL_OK;
    s->emitted_wm = s->max_wm;
    return sl_op_emit_watermark(op, s->max_wm, err);
}

static sl_status scan_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    scan *s = op->impl;
    if (s->delegated) return sl_op_emit_watermark(op, wm, err); /* the source's per-split watermark */
    /* end of input (the maximum watermark) always passes; otherwise a table with a WATERMARK
     * clause makes its own and a table without one has no event time */
    if (wm == INT64_MAX || !s->watermark) return wm == INT64_MAX ? sl_op_emit_watermark(op, wm, err) : SL_OK;
    return SL_OK;
}

static void scan_close(sl_operator *op)
{
    scan *s = op->impl;
    if (!s) return;
    for (int i = 0; i < s->ncols; i++) sl_expr_free(s->computed[i]);
    free(s->computed);
    free(s->conn_index);
    free(s->phys);
    sl_expr_free(s->watermark);
    sl_expr_free(s->filter);
    projection_free(&s->proj);
    sl_rw_free(&s->full);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable scan_vt = {
    .name = "Scan", .process = scan_process, .watermark = scan_watermark, .periodic = scan_periodic, .close = scan_close};

bool sl_scan_take_over_watermarks(sl_operator *op)
{
    if (!op || op->vt != &scan_vt || !op->impl) return false;
    scan *s = op->impl;
    if (!s->watermark) return false;
    s->delegated = true;
    return true;
}

bool sl_scan_row_watermark(const sl_operator *op, int64_t *ms)
{
    const scan *s = op->impl;
    if (!s->row_wm_valid) return false;
    *ms = s->row_wm;
    return true;
}

sl_status sl_op_scan_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const json_t *schema = json_object_get(spec, "schema");
    const sql_type *table_row = sl_row_type_from_json(types, schema, err);
    const sql_type *conn_row = table_row ? sl_scan_connector_row(spec, types, err) : NULL;
    const sql_type *out_row = conn_row ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!out_row) return err->code;
    sl_status st;
    if ((st = check_phys(table_row, "table", err))) return st;
    scan *s = sl_xcalloc(1, sizeof *s);
    s->ncols = table_row->nfields;
    s->table_row = table_row;
    s->conn_index = sl_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof(int));
    s->computed = sl_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof(sl_expr *));
    s->phys = sl_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof(sl_phys));
    s->max_wm = s->emitted_wm = INT64_MIN;
    s->idle_timeout_ms = job ? job->idle_timeout_ms : 0;
    *out = sl_operator_new(&scan_vt, s, NULL, NULL);
    (*out)->out_type = out_row;
    sl_expr_env env = sl_task_expr_env(job, 0);
    int k = 0;
    for (int i = 0; i < s->ncols; i++) {
        const json_t *col = json_array_get(schema, (size_t)i);
        s->phys[i] = sl_phys_of(table_row->field_types[i]);
        if (strcmp(col_kind(col), "computed") == 0) {
            s->conn_index[i] = -1;
            s->need_full = true;
            if ((st = sl_expr_compile(json_object_get(col, "expr"), conn_row, &env, types, &s->computed[i], err))) goto fail;
        } else {
            s->conn_index[i] = k++;
        }
    }
    const json_t *wm = json_object_get(spec, "watermark");
    if (wm && !json_is_null(wm)) {
        s->need_full = true;
        if ((st = sl_expr_compile(json_object_get(wm, "expr"), table_row, &env, types, &s->watermark, err))) goto fail;
    }
    /* the projection reads the full row (or, without computed columns, the connector row, whose
     * fields are then the table's) */
    const json_t *cols = json_object_get(spec, "columns");
    json_t *sel = json_array();
    size_t i;
    const json_t *c;
    json_array_foreach(cols, i, c)
    {
        int f = (int)json_integer_value(c);
        json_array_append_new(sel, json_pack("{s:i, s:s}", "input", f, "type", sql_type_str(types, table_row->field_types[f])));
    }
    st = projection_init(&s->proj, sel, table_row, out_row, &env, types, err);
    json_decref(sel);
    if (st) goto fail;
    s->passthrough = s->proj.identity && s->proj.n == s->ncols;
    const json_t *filter = json_object_get(spec, "filter");
    if (filter && !json_is_null(filter) && (st = sl_expr_compile(filter, out_row, &env, types, &s->filter, err))) goto fail;
    return SL_OK;
fail:
    sl_operator_free(*out);
    *out = NULL;
    return st;
}

/* ---- values ---------------------------------------------------------------------------------- */

/* Flink's Values: a bounded source of constant rows. Each tuple's expressions are compiled once
 * (a projection over an empty input row) and evaluated when the row goes out; the source emits
 * every tuple once, then ends its input (the task then sends the final watermark). Its state is
 * how many tuples it has emitted, so a restored job does not emit them again. */
typedef struct values_src {
    int ntuples, next;
    projection *tuples;
} values_src;

static sl_status values_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    values_src *v = op->impl;
    *wait_ms = 0;
    for (int k = 0; k < max && v->next < v->ntuples; k++) {
        projection *p = &v->tuples[v->next];
        projection_scratch_reset(p);
        const uint8_t *row = project(p, NULL, SL_ROW_INSERT, err);
        if (!row) return err->code;
        v->next++;
        sl_status st = sl_op_emit(op, row, err);
        if (st) return st;
    }
    *state = v->next < v->ntuples ? SL_SOURCE_MORE : SL_SOURCE_END;
    return SL_OK;
}

static sl_status values_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    (void)ctx;
    (void)err;
    values_src *v = op->impl;
    *out = json_pack("{s:i}", "emitted", v->next);
    return SL_OK;
}

static sl_status values_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    values_src *v = op->impl;
    for (int i = 0; i < ctx->nparts; i++) {
        const json_t *s = ctx->parts[i].state;
        if (!s) continue;
        const json_t *n = json_object_get(s, "emitted");
        if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > v->ntuples) {
            sl_error_set(err, SL_ERR_STATE, "The state of %s in checkpoint %" PRId64 " is malformed or from other VALUES rows",
                         op->description ? op->description : "Values", ctx->checkpoint_id);
            sl_error_hint(err, "restore with the statement of the run that took the checkpoint, or start the job without it");
            return SL_ERR_STATE;
        }
        if ((int)json_integer_value(n) > v->next) v->next = (int)json_integer_value(n);
    }
    return SL_OK;
}

static void values_close(sl_operator *op)
{
    values_src *v = op->impl;
    if (!v) return;
    for (int i = 0; i < v->ntuples; i++) projection_free(&v->tuples[i]);
    free(v->tuples);
    free(v);
    op->impl = NULL;
}

static const sl_op_vtable values_vt = {.name = "Values",
                                       .poll = values_poll,
                                       .close = values_close,
                                       .snapshot = values_snapshot,
                                       .restore = values_restore};

sl_status sl_op_values_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const sql_type *outt = sl_row_type_from_json(types, json_object_get(spec, "output"), err);
    if (!outt) return err->code;
    sl_status st = check_phys(outt, "output", err);
    if (st) return st;
    const json_t *tuples = json_object_get(spec, "tuples");
    if (!json_is_array(tuples)) return sl_error_set(err, SL_ERR_INTERNAL, "malformed Values tuples in the job graph");
    sql_type *none = sl_arena_zalloc(types, sizeof *none);
    none->id = SQL_T_ROW;
    none->precision = none->scale = -1;
    values_src *v = sl_xcalloc(1, sizeof *v);
    int n = (int)json_array_size(tuples);
    v->tuples = sl_xcalloc((size_t)(n ? n : 1), sizeof(projection));
    *out = sl_operator_new(&values_vt, v, NULL, NULL);
    (*out)->out_type = outt;
    sl_expr_env env = sl_task_expr_env(job, 0);
    for (int r = 0; r < n; r++) {
        const json_t *t = json_array_get(tuples, (size_t)r);
        if (!json_is_array(t) || (int)json_array_size(t) != outt->nfields) {
            st = sl_error_set(err, SL_ERR_INTERNAL, "malformed Values tuple %d in the job graph", r);
            break;
        }
        if ((st = projection_init(&v->tuples[r], t, none, outt, &env, types, err))) break;
        v->ntuples = r + 1;
    }
    if (st) {
        sl_operator_free(*out);
        *out = NULL;
    }
    return st;
}
