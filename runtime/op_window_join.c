/* runtime/op_window_join.c — window table functions and the window join (Flink's
 * WindowTableFunction and WindowJoin, event time).
 *
 * The window table function (stateless) emits each input row once per TUMBLE / HOP / CUMULATE
 * window it is in, with window_start, window_end and window_time appended (as op_window.c assigns
 * windows; TIMESTAMP_LTZ attributes align windows in table.local-time-zone). Rows without a time
 * are dropped and counted (sl_task_count_dropped), as Flink's.
 *
 * The window join (INNER, LEFT, RIGHT, FULL OUTER on equi-keys plus a residual condition, over
 * insert-only inputs carrying the same windows) keeps each row in keyed state under its join key
 * and window — the window_end field of its input identifies the window. When the watermark reaches
 * window_end - 1 the window's rows of each key are joined, once: matching pairs go out, and on an
 * outer side the rows nothing matched go out null-padded; then the window's state is cleared. The
 * output is insert-only. A row whose window has fired already is late: dropped and counted. Rows
 * with a NULL join key never match (an outer side emits them null-padded when the window fires).
 * At end of input every window fires; a graceful stop keeps them for the savepoint.
 *
 * State (key group = the join key's; end = window end ms as 8 bytes big endian, sign flipped):
 *   sid 0 / 1,    key = join key ‖ end, user key = sequence (8 bytes)   left / right rows:
 *                 value = [nokey u8][7 bytes padding][row]  (nokey: the join key has a NULL)
 *   sid TIMERS,   key = end, user key = join key                          which keys a window has
 *   sid REGISTRY, key = "", user key = end                                the key group's windows
 * An in-memory index of the pending (end, key group) pairs, rebuilt from REGISTRY at restore,
 * finds the due windows without scanning (as op_window.c). The snapshot's JSON carries the next
 * sequence number. */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

enum { W_TUMBLE = SL_WIN_TUMBLE, W_HOP = SL_WIN_HOP, W_CUMULATE = SL_WIN_CUMULATE };

/* ---- the window table function ------------------------------------------------------------------- */

typedef struct wtvf {
    int kind;
    int64_t size, slide, offset; /* ms; slide: HOP's slide, CUMULATE's step */
    int time_field;
    bool ltz;
    int64_t shift; /* ltz: the table.local-time-zone offset, ms */
    int nf;
    sl_phys *phys;
    int64_t *ends;
    int nends_max;
    uint64_t dropped;
    sl_row_writer w;
} wtvf;


static sl_status tvf_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    (void)input;
    wtvf *a = op->impl;
    sl_row_kind kind = sl_row_get_kind(row);
    if (kind != SL_ROW_INSERT && kind != SL_ROW_UPDATE_AFTER)
        return sl_error_set(err, SL_ERR_RUNTIME, "a window table function received a %s row; its input must be insert-only",
                            sl_row_kind_str(kind));
    if (sl_row_is_null(row, a->time_field)) {
        a->dropped++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    int64_t local = sl_floor_div(sl_row_i64(row, a->time_field), 1000) + a->shift;
    int n = sl_win_assign(a->kind, a->size, a->slide, a->offset, local, a->ends);
    for (int i = 0; i < n; i++) {
        int64_t end = a->ends[i];
        int64_t start = sl_win_start(a->kind, a->size, a->offset, end);
        sl_rw_begin(&a->w, a->nf + 3, SL_ROW_INSERT);
        for (int f = 0; f < a->nf; f++)
            if (!sl_row_is_null(row, f)) sl_rw_copy(&a->w, f, row, f, a->phys[f]);
        sl_rw_i64(&a->w, a->nf, start * 1000);
        sl_rw_i64(&a->w, a->nf + 1, end * 1000);
        sl_rw_i64(&a->w, a->nf + 2, (end - 1 - a->shift) * 1000); /* ltz: the instant window_end - 1 ms */
        sl_status st = sl_op_emit(op, sl_rw_finish(&a->w), err);
        if (st) return st;
    }
    return SL_OK;
}

static sl_status tvf_open(sl_operator *op, sl_error *err)
{
    (void)err;
    wtvf *a = op->impl;
    const sl_job_context *job = sl_task_job(op->task);
    a->shift = a->ltz && job ? (int64_t)job->ltz_offset * 1000 : 0;
    return SL_OK;
}

static void tvf_close(sl_operator *op)
{
    wtvf *a = op->impl;
    if (!a) return;
    free(a->phys);
    free(a->ends);
    sl_rw_free(&a->w);
    free(a);
    op->impl = NULL;
}

static const sl_op_vtable tvf_vt = {.name = "WindowTableFunction", .open = tvf_open, .process = tvf_process, .close = tvf_close};

/* The window of a spec ({"kind", "size_ms", "slide_ms" / "step_ms", "offset_ms", "time_field",
 * "ltz"}; jobgraph.c window_json) checked as op_window.c does. */
static sl_status window_of(const json_t *wj, const sql_type *in, wtvf *a, sl_error *err)
{
    const char *kind = json_string_value(json_object_get(wj, "kind"));
    const char *time = json_string_value(json_object_get(wj, "time"));
    if (!kind || !time) return sl_error_set(err, SL_ERR_INTERNAL, "malformed window table function in the job graph: window");
    if (strcmp(kind, "TUMBLE") != 0 && strcmp(kind, "HOP") != 0 && strcmp(kind, "CUMULATE") != 0)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "%s window table functions outside window aggregates are not supported by the runtime",
                            kind);
    a->kind = strcmp(kind, "HOP") == 0 ? W_HOP : strcmp(kind, "CUMULATE") == 0 ? W_CUMULATE : W_TUMBLE;
    a->size = (int64_t)json_integer_value(json_object_get(wj, "size_ms"));
    a->slide = (int64_t)json_integer_value(json_object_get(wj, a->kind == W_CUMULATE ? "step_ms" : "slide_ms"));
    a->offset = (int64_t)json_integer_value(json_object_get(wj, "offset_ms"));
    a->time_field = (int)json_integer_value(json_object_get(wj, "time_field"));
    a->ltz = json_is_true(json_object_get(wj, "ltz"));
    const int64_t max = INT64_C(10000000000000);
    if (a->size <= 0 || a->size > max || a->offset > max || a->offset < -max ||
        (a->kind != W_TUMBLE && (a->slide <= 0 || a->size % a->slide)))
        return sl_error_set(err, SL_ERR_INTERNAL, "malformed window table function in the job graph: window sizes");
    if (a->kind != W_TUMBLE && a->size / a->slide > 100000)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "%s windows of %lld ms every %lld ms put each row into %lld windows; the runtime takes up to 100000",
                            kind, (long long)a->size, (long long)a->slide, (long long)(a->size / a->slide));
    if (a->time_field < 0 || a->time_field >= in->nfields || sl_phys_of(in->field_types[a->time_field]) != SL_PHYS_I64)
        return sl_error_set(err, SL_ERR_INTERNAL, "malformed window table function in the job graph: time_field");
    return SL_OK;
}

sl_status sl_op_window_tvf_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    (void)job;
    const sql_type *in = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
    const sql_type *outt = in ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    wtvf *a = sl_xcalloc(1, sizeof *a);
    sl_status st = window_of(json_object_get(spec, "window"), in, a, err);
    if (!st && outt->nfields != in->nfields + 3)
        st = sl_error_set(err, SL_ERR_INTERNAL, "malformed window table function in the job graph: output row");
    a->nf = in->nfields;
    a->phys = sl_xcalloc((size_t)(a->nf ? a->nf : 1), sizeof(sl_phys));
    for (int f = 0; f < a->nf && !st; f++) {
        a->phys[f] = sl_phys_of(in->field_types[f]);
        if (a->phys[f] == SL_PHYS_UNSUPPORTED)
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "window table function input column '%s' has a type the runtime cannot hold yet",
                              in->field_names[f]);
    }
    if (st) {
        tvf_close(&(sl_operator){.impl = a});
        return st;
    }
    a->nends_max = a->kind == W_TUMBLE ? 1 : (int)(a->size / a->slide) + 1;
    a->ends = sl_xcalloc((size_t)a->nends_max, sizeof(int64_t));
    *out = sl_operator_new(&tvf_vt, a, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}

/* Rows without a time dropped by a window table function; for tests. */
uint64_t sl_op_window_tvf_dropped_rows(const sl_operator *op);
uint64_t sl_op_window_tvf_dropped_rows(const sl_operator *op) { return op && op->impl ? ((const wtvf *)op->impl)->dropped : 0; }

/* ---- the window join ------------------------------------------------------------------------------ */

enum { SID_TIMERS = 2, SID_REGISTRY = 3 };
enum { VAL_HEADER = 8 };

typedef sl_time_join_side wjside; /* time: the window_end field */

/* One stored row of a window being joined: where it is in the rows buffer. */
typedef struct wjrow {
    uint64_t seq;
    size_t off;
    bool nokey, matched;
} wjrow;

typedef struct wjoin {
    wjside s[2];
    sl_expr *residual; /* over left ++ right, or NULL */
    bool ltz;
    int64_t shift;
    int max_parallelism;
    sl_state *st;
    int64_t wm;
    uint64_t seq;
    sl_win_index pend; /* the windows with rows, by (end, kg) */
    uint64_t late;
    /* scratch */
    sl_bytes key, val, keys, buf[2];
    wjrow *rows[2];
    int nrows[2], caprows[2];
    sl_row_writer w, cond_w;
} wjoin;

static int64_t trigger_of(const wjoin *j, int64_t end) { return end - 1 - j->shift; }
static bool fired(const wjoin *j, int64_t end) { return j->wm != INT64_MIN && j->wm >= trigger_of(j, end); }

static sl_status wj_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    wjoin *j = op->impl;
    wjside *in = &j->s[input];
    sl_row_kind kind = sl_row_get_kind(row);
    if (kind != SL_ROW_INSERT && kind != SL_ROW_UPDATE_AFTER)
        return sl_error_set(err, SL_ERR_RUNTIME, "a window join received a %s row; its inputs must be insert-only", sl_row_kind_str(kind));
    if (sl_row_is_null(row, in->time)) { /* (window table functions never emit one) */
        j->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    int64_t end = sl_floor_div(sl_row_i64(row, in->time), 1000);
    if (fired(j, end)) { /* late: its window has been joined already */
        j->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    bool nokey = sl_key_has_null(row, in->keys, in->nkeys);
    if (nokey && !in->outer) return SL_OK; /* can never match, and nothing pads it */
    uint8_t ek[8];
    sl_win_put_be64(ek, end);
    sl_bytes_reset(&j->key);
    sl_key_encode(&j->key, row, in->keys, in->key_phys, in->nkeys);
    size_t jklen = j->key.n;
    int kg = in->nkeys ? sl_row_key_group(row, in->keys, in->key_phys, in->nkeys, j->max_parallelism) : 0;
    static const uint8_t one = 1;
    /* the key has the window: TIMERS and, for a new (window, key group), the index and REGISTRY */
    sl_status st = sl_state_put(j->st, SID_TIMERS, kg, ek, 8, j->key.p, jklen, &one, 1, err);
    bool added;
    if (!st) sl_win_index_add(&j->pend, end, kg, &added, NULL);
    if (!st && added) st = sl_state_put(j->st, SID_REGISTRY, kg, NULL, 0, ek, 8, &one, 1, err);
    if (st) return st;
    sl_bytes_put(&j->key, ek, 8);
    uint8_t sk[8];
    sl_win_put_be64(sk, (int64_t)(j->seq++ ^ (UINT64_C(1) << 63))); /* big endian sequence */
    sl_bytes_reset(&j->val);
    uint8_t header[VAL_HEADER] = {nokey ? 1 : 0};
    sl_bytes_put(&j->val, header, VAL_HEADER);
    sl_bytes_put(&j->val, row, sl_row_len(row));
    sl_row_set_kind(j->val.p + VAL_HEADER, SL_ROW_INSERT);
    return sl_state_put(j->st, input, kg, j->key.p, j->key.n, sk, 8, j->val.p, j->val.n, err);
}

static int row_cmp(const void *a, const void *b)
{
    const wjrow *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Loads the rows of side `side` for (join key ‖ end) in j->key into j->buf[side] / j->rows[side],
 * in arrival order, and deletes them from state. */
static sl_status load_rows(wjoin *j, int side, int kg, sl_error *err)
{
    sl_bytes *b = &j->buf[side];
    sl_bytes_reset(b);
    j->nrows[side] = 0;
    sl_state_iter *it;
    sl_status st = sl_state_scan(j->st, side, kg, j->key.p, j->key.n, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        if (ukn != 8 || vn <= VAL_HEADER) {
            st = sl_error_set(err, SL_ERR_STATE, "corrupt window join state");
            break;
        }
        if (j->nrows[side] == j->caprows[side]) {
            j->caprows[side] = j->caprows[side] ? j->caprows[side] * 2 : 16;
            j->rows[side] = sl_xrealloc(j->rows[side], sizeof(wjrow) * (size_t)j->caprows[side]);
        }
        /* [user key 8][value], each 8-aligned: the row starts aligned */
        wjrow *r = &j->rows[side][j->nrows[side]++];
        r->seq = (uint64_t)sl_win_get_be64(uk) ^ (UINT64_C(1) << 63);
        r->nokey = ((const uint8_t *)v)[0] != 0;
        r->matched = false;
        sl_bytes_put_aligned(b, uk, 8);
        r->off = b->n;
        sl_bytes_put_aligned(b, (const uint8_t *)v + VAL_HEADER, vn - VAL_HEADER);
    }
    if (!st) st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    if (st) return st;
    if (j->nrows[side] > 1) qsort(j->rows[side], (size_t)j->nrows[side], sizeof(wjrow), row_cmp);
    for (int i = 0; i < j->nrows[side] && !st; i++) {
        uint8_t sk[8];
        memcpy(sk, b->p + j->rows[side][i].off - 8, 8);
        st = sl_state_delete(j->st, side, kg, j->key.p, j->key.n, sk, 8, err);
    }
    return st;
}

static const uint8_t *joined(wjoin *j, sl_row_writer *w, const uint8_t *left, const uint8_t *right)
{
    int nl = j->s[0].nf, nr = j->s[1].nf;
    sl_rw_begin(w, nl + nr, SL_ROW_INSERT);
    for (int i = 0; i < nl; i++)
        if (left && !sl_row_is_null(left, i)) sl_rw_copy(w, i, left, i, j->s[0].phys[i]);
    for (int i = 0; i < nr; i++)
        if (right && !sl_row_is_null(right, i)) sl_rw_copy(w, nl + i, right, i, j->s[1].phys[i]);
    return sl_rw_finish(w);
}

/* Joins the loaded rows of one key and window: pairs in left arrival order, each left row followed
 * by its null-padded form if nothing matched it (LEFT, FULL), then the right rows nothing matched
 * (RIGHT, FULL), as Flink's WindowJoinOperator. */
static sl_status join_window(sl_operator *op, wjoin *j, sl_error *err)
{
    sl_status st = SL_OK;
    int nl = j->nrows[0], nr = j->nrows[1];
    for (int a = 0; a < nl && !st; a++) {
        wjrow *l = &j->rows[0][a];
        const uint8_t *lrow = j->buf[0].p + l->off;
        for (int b = 0; b < nr && !st && !l->nokey; b++) {
            wjrow *r = &j->rows[1][b];
            if (r->nokey) continue;
            const uint8_t *rrow = j->buf[1].p + r->off;
            if (j->residual) {
                sl_val c;
                sl_expr_scratch_reset(j->residual);
                if ((st = sl_expr_eval(j->residual, joined(j, &j->cond_w, lrow, rrow), &c, err))) break;
                if (c.null || !c.i) continue;
            }
            l->matched = r->matched = true;
            st = sl_op_emit(op, joined(j, &j->w, lrow, rrow), err);
        }
        if (!st && j->s[0].outer && !l->matched) st = sl_op_emit(op, joined(j, &j->w, lrow, NULL), err);
    }
    for (int b = 0; b < nr && !st && j->s[1].outer; b++)
        if (!j->rows[1][b].matched) st = sl_op_emit(op, joined(j, &j->w, NULL, j->buf[1].p + j->rows[1][b].off), err);
    return st;
}

/* Joins every key of the window ending at `end` in key group kg and clears the window's state. */
static sl_status fire_window(sl_operator *op, wjoin *j, int64_t end, int kg, sl_error *err)
{
    uint8_t ek[8];
    sl_win_put_be64(ek, end);
    /* the window's join keys, as [u32 length][key]... */
    sl_bytes_reset(&j->keys);
    sl_state_iter *it;
    sl_status st = sl_state_scan(j->st, SID_TIMERS, kg, ek, 8, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        uint32_t len = (uint32_t)ukn;
        sl_bytes_put(&j->keys, &len, 4);
        sl_bytes_put(&j->keys, uk, ukn);
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    for (size_t o = 0; o + 4 <= j->keys.n && !st;) {
        uint32_t klen;
        memcpy(&klen, j->keys.p + o, 4);
        const uint8_t *jk = j->keys.p + o + 4;
        o += 4 + klen;
        sl_bytes_reset(&j->key);
        sl_bytes_put(&j->key, jk, klen);
        sl_bytes_put(&j->key, ek, 8);
        if ((st = load_rows(j, 0, kg, err)) || (st = load_rows(j, 1, kg, err))) break;
        if ((st = join_window(op, j, err))) break;
        st = sl_state_delete(j->st, SID_TIMERS, kg, ek, 8, jk, klen, err);
    }
    if (!st) st = sl_state_delete(j->st, SID_REGISTRY, kg, NULL, 0, ek, 8, err);
    return st;
}

static sl_status fire_due(sl_operator *op, wjoin *j, sl_error *err)
{
    int done = 0;
    sl_status st = SL_OK;
    while (done < j->pend.n && fired(j, j->pend.p[done].end)) {
        sl_win_pending p = j->pend.p[done++];
        if ((st = fire_window(op, j, p.end, p.kg, err))) break;
    }
    sl_win_index_pop(&j->pend, done);
    return st;
}

static sl_status wj_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    wjoin *j = op->impl;
    if (wm > j->wm) {
        j->wm = wm;
        sl_status st = fire_due(op, j, err);
        if (st) return st;
    }
    return sl_op_emit_watermark(op, wm, err);
}

/* End of input fires every window; a graceful stop does not (as Flink's stop without --drain):
 * the windows stay in state for the savepoint. */
static sl_status wj_finish(sl_operator *op, sl_error *err)
{
    if (sl_task_stopping(op->task)) return SL_OK;
    return wj_watermark(op, INT64_MAX, err);
}

static sl_status wj_open(sl_operator *op, sl_error *err)
{
    wjoin *j = op->impl;
    j->max_parallelism = sl_task_max_parallelism(op->task);
    const sl_job_context *job = sl_task_job(op->task);
    j->shift = j->ltz && job ? (int64_t)job->ltz_offset * 1000 : 0;
    return sl_op_state_open(op, &j->st, err);
}

static void wj_close(sl_operator *op)
{
    wjoin *j = op->impl;
    if (!j) return;
    if (j->st) sl_state_close(j->st);
    sl_time_join_sides_free(j->s);
    for (int i = 0; i < 2; i++) {
        free(j->rows[i]);
        sl_bytes_free(&j->buf[i]);
    }
    sl_win_index_free(&j->pend);
    sl_expr_free(j->residual);
    sl_bytes_free(&j->key);
    sl_bytes_free(&j->val);
    sl_bytes_free(&j->keys);
    sl_rw_free(&j->w);
    sl_rw_free(&j->cond_w);
    free(j);
    op->impl = NULL;
}

/* Rows dropped as late by the window join, and its pending (window, key group) pairs; for tests. */
uint64_t sl_op_window_join_late_rows(const sl_operator *op);
uint64_t sl_op_window_join_late_rows(const sl_operator *op) { return op && op->impl ? ((const wjoin *)op->impl)->late : 0; }
int sl_op_window_join_pending(const sl_operator *op);
int sl_op_window_join_pending(const sl_operator *op) { return op && op->impl ? ((const wjoin *)op->impl)->pend.n : 0; }

static sl_status wj_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    wjoin *j = op->impl;
    *out = NULL;
    sl_status st = sl_op_state_snapshot(j->st, NULL, ctx, err);
    if (!st) *out = json_pack("{s:I}", "seq", (json_int_t)j->seq);
    return st;
}

/* The state, then the pending index from REGISTRY (one scan per key group); sequence numbers go
 * on after the largest any old subtask had handed out. */
static sl_status wj_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    wjoin *j = op->impl;
    for (int p = 0; p < ctx->nparts; p++) {
        json_int_t s = json_integer_value(json_object_get(ctx->parts[p].state, "seq"));
        if (s > 0 && (uint64_t)s > j->seq) j->seq = (uint64_t)s;
    }
    sl_status st = sl_op_state_restore(j->st, NULL, ctx, err);
    for (int kg = ctx->kg_lo; !st && kg <= ctx->kg_hi; kg++) {
        sl_state_iter *it;
        if ((st = sl_state_scan(j->st, SID_REGISTRY, kg, NULL, 0, &it, err))) break;
        const void *uk, *v;
        size_t ukn, vn;
        while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
            bool added;
            if (ukn == 8) sl_win_index_add(&j->pend, sl_win_get_be64(uk), kg, &added, NULL);
        }
        st = sl_state_iter_error(it, err);
        sl_state_iter_free(it);
    }
    return st;
}

static const sl_op_vtable wj_vt = {.name = "WindowJoin",
                                   .snapshot = wj_snapshot,
                                   .restore = wj_restore,
                                   .open = wj_open,
                                   .process = wj_process,
                                   .watermark = wj_watermark,
                                   .finish = wj_finish,
                                   .close = wj_close};

sl_status sl_op_window_join_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const char *kind = json_string_value(json_object_get(spec, "join_type"));
    const sql_type *rows[2] = {sl_row_type_from_json(types, json_object_get(spec, "left"), err), NULL};
    if (rows[0]) rows[1] = sl_row_type_from_json(types, json_object_get(spec, "right"), err);
    const sql_type *outt = rows[1] ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    if (!kind) return sl_error_set(err, SL_ERR_INTERNAL, "malformed window join in the job graph: join_type");
    wjoin *j = sl_xcalloc(1, sizeof *j);
    j->wm = INT64_MIN;
    j->ltz = json_is_true(json_object_get(spec, "ltz"));
    static const char *const endn[2] = {"left_window_end", "right_window_end"};
    sl_status st = sl_time_join_sides(spec, rows, outt, kind, endn, "window join", j->s, err);
    const json_t *res = json_object_get(spec, "residual");
    if (!st && res && !json_is_null(res)) {
        sl_expr_env env = sl_task_expr_env(job, 0);
        st = sl_expr_compile(res, outt, &env, types, &j->residual, err);
    }
    if (st) {
        wj_close(&(sl_operator){.impl = j});
        return st;
    }
    *out = sl_operator_new(&wj_vt, j, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
