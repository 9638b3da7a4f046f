/* runtime/op_rank.c — top-N (Flink's Rank with ROW_NUMBER, AppendFastStrategy; RANK and DENSE_RANK,
 * which Flink's streaming planner refuses: see rank_ties) and Deduplicate, over insert-only input
 * (spec: planner/jobgraph.c PLAN_RANK; "rank_type" absent means ROW_NUMBER).
 *
 * State per partition key (key group, partition key bytes): sid 0, no user key, one value holding
 * the partition's current top-N rows in rank order (ties keep arrival order: a new row goes after
 * the rows it ties with), each row padded to 8 bytes. Rows past rank N are never kept: with
 * insert-only input they can never come back into the top N.
 *
 * What it emits, as Flink's AppendOnlyTopNFunction:
 *   without the row number  a row entering the top N: -D for the row it pushes out (if the top N
 *                           was full), then +I for it
 *   with the row number     for every rank from the new row's down to the last: -U of the row
 *                           that held it, +U of the row that holds it now; +I for the row that
 *                           takes a rank nobody held yet (the top N was not full)
 * Deduplicate (one row per key): keep-first by processing time emits the first row and drops the
 * rest; keep-last by processing time +I the first, then -U old / +U new for every later row;
 * by event time the stored row is replaced (-U/+U) when the new one is earlier (keep first) or
 * not earlier (keep last), as Flink's RowTimeDeduplicateFunction. */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "runtime/aggcalls.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"

#define RANK_MAX_N 100000

enum { RK_ROW_NUMBER, RK_RANK, RK_DENSE_RANK };

typedef struct rank {
    int npart;
    int *part;
    sl_phys *part_phys;
    int norder;
    int *order;
    bool *desc, *nulls_first;
    sl_phys *order_phys;
    int64_t n;
    int rank_type; /* RK_ROW_NUMBER, RK_RANK, RK_DENSE_RANK */
    bool output_rn, dedup, keep_last, proctime;
    int arity;
    sl_phys *phys; /* per input field */
    int max_parallelism;
    sl_state *st;
    sl_bytes key, loaded, value, outbuf;
    sl_row_writer w;
    const uint8_t **rows, **next; /* the partition's rows before / after this record */
    int64_t *rk;                  /* RANK / DENSE_RANK: the rank of rows[i] before this record */
    int cap;
} rank;

/* <0: a sorts before b. */
static int cmp_rows(const rank *r, const uint8_t *a, const uint8_t *b)
{
    for (int k = 0; k < r->norder; k++) {
        int f = r->order[k];
        bool na = sl_row_is_null(a, f), nb = sl_row_is_null(b, f);
        if (na || nb) {
            if (na && nb) continue;
            return (na == r->nulls_first[k]) ? -1 : 1;
        }
        sl_val va = sl_row_val(a, f, r->order_phys[k]), vb = sl_row_val(b, f, r->order_phys[k]);
        int c = sl_val_cmp(&va, &vb, r->order_phys[k]);
        if (c) return r->desc[k] ? (c < 0 ? 1 : -1) : (c < 0 ? -1 : 1);
    }
    return 0;
}

static sl_status emit_row(sl_operator *op, rank *r, const uint8_t *row, sl_row_kind kind, int64_t rn, sl_error *err)
{
    if (!r->output_rn) {
        sl_bytes_reset(&r->outbuf);
        sl_bytes_put(&r->outbuf, row, sl_row_len(row));
        sl_row_set_kind(r->outbuf.p, kind);
        return sl_op_emit(op, r->outbuf.p, err);
    }
    sl_rw_begin(&r->w, r->arity + 1, kind);
    for (int f = 0; f < r->arity; f++)
        if (!sl_row_is_null(row, f)) sl_rw_copy(&r->w, f, row, f, r->phys[f]);
    sl_rw_i64(&r->w, r->arity, rn);
    return sl_op_emit(op, sl_rw_finish(&r->w), err);
}

static void reserve(rank *r, int n)
{
    if (n <= r->cap) return;
    r->cap = n * 2;
    r->rows = sl_xrealloc(r->rows, sizeof *r->rows * (size_t)r->cap);
    r->next = sl_xrealloc(r->next, sizeof *r->next * (size_t)r->cap);
    r->rk = sl_xrealloc(r->rk, sizeof *r->rk * (size_t)r->cap);
}

static sl_status store(rank *r, int kg, const uint8_t *const *rows, int m, sl_error *err)
{
    sl_bytes_reset(&r->value);
    for (int i = 0; i < m; i++) sl_bytes_put_aligned(&r->value, rows[i], sl_row_len(rows[i]));
    return sl_state_put(r->st, 0, kg, r->key.p, r->key.n, NULL, 0, r->value.p, r->value.n, err);
}

/* RANK / DENSE_RANK: the stored rows are every row ranked <= N (ties share a rank, so there may be
 * more than N), in rank order, ties in arrival order. A new row ranked <= N goes after the rows it
 * ties with; every row sorting after it moves down one rank (RANK), or one rank if the new row
 * opens a new rank (DENSE_RANK); rows pushed past N leave. With insert-only input a rank never
 * goes down, so a row that left (or never entered) cannot come back.
 * Emits: without the rank  -D for every row that leaves (in rank order), then +I for the new row;
 *        with the rank     +I for the new row with its rank, then in rank order for every row
 *                          after it whose rank changes: -U (old rank) / +U (new rank) if it stays,
 *                          -D (old rank) if it leaves. */
static sl_status rank_ties(sl_operator *op, rank *r, int kg, const uint8_t *row, int m, sl_error *err)
{
    sl_status st;
    bool dense = r->rank_type == RK_DENSE_RANK;
    /* the stored rows' ranks; p: the new row's place (after every row sorting before or tying with it) */
    int p = 0;
    bool tie = false;
    int64_t newrk = 1;
    for (int i = 0; i < m; i++) {
        r->rk[i] = i == 0 ? 1 : cmp_rows(r, r->rows[i - 1], r->rows[i]) == 0 ? r->rk[i - 1] : dense ? r->rk[i - 1] + 1 : i + 1;
        int c = cmp_rows(r, r->rows[i], row);
        if (c > 0) continue;
        p = i + 1;
        if (c == 0) {
            tie = true;
            newrk = r->rk[i];
        } else {
            newrk = dense ? r->rk[i] + 1 : i + 2;
        }
    }
    if (newrk > r->n) return SL_OK;
    /* rows after the new one: one rank down (DENSE_RANK: only when the new row opens a rank) */
    int64_t shift = (dense && tie) ? 0 : 1;
    int mn = 0;
    for (int i = 0; i < p; i++) r->next[mn++] = r->rows[i];
    r->next[mn++] = row;
    int keep = m; /* rows[p..keep) stay */
    for (int i = p; i < m; i++)
        if (r->rk[i] + shift > r->n) {
            keep = i;
            break;
        }
    for (int i = p; i < keep; i++) r->next[mn++] = r->rows[i];
    if (!r->output_rn) {
        for (int i = keep; i < m; i++)
            if ((st = emit_row(op, r, r->rows[i], SL_ROW_DELETE, 0, err))) return st;
        if ((st = emit_row(op, r, row, SL_ROW_INSERT, 0, err))) return st;
    } else {
        if ((st = emit_row(op, r, row, SL_ROW_INSERT, newrk, err))) return st;
        for (int i = p; shift && i < m; i++) {
            if ((st = emit_row(op, r, r->rows[i], i < keep ? SL_ROW_UPDATE_BEFORE : SL_ROW_DELETE, r->rk[i], err))) return st;
            if (i < keep && (st = emit_row(op, r, r->rows[i], SL_ROW_UPDATE_AFTER, r->rk[i] + shift, err))) return st;
        }
    }
    return store(r, kg, r->next, mn, err);
}

static sl_status rank_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    (void)input;
    rank *r = op->impl;
    if (sl_row_get_kind(row) != SL_ROW_INSERT)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "%s received a %s row: top-N and deduplication over updating input are not supported yet",
                            op->description ? op->description : "Rank", sl_row_kind_str(sl_row_get_kind(row)));
    sl_bytes_reset(&r->key);
    sl_key_encode(&r->key, row, r->part, r->part_phys, r->npart);
    int kg = r->npart ? sl_row_key_group(row, r->part, r->part_phys, r->npart, r->max_parallelism) : 0;
    const void *v;
    size_t vn;
    bool found;
    sl_status st = sl_state_get(r->st, 0, kg, r->key.p, r->key.n, NULL, 0, &v, &vn, &found, err);
    if (st) return st;
    /* an aligned copy of the stored rows (state bytes are only valid until the next state call) */
    sl_bytes_reset(&r->loaded);
    int m = 0;
    if (found) {
        sl_bytes_put(&r->loaded, v, vn);
        for (size_t off = 0; off + SL_ROW_HEADER <= r->loaded.n; m++) {
            reserve(r, m + 2);
            r->rows[m] = r->loaded.p + off;
            off += (sl_row_len(r->rows[m]) + 7u) & ~(size_t)7u;
        }
    }
    reserve(r, m + 2);
    if (r->dedup) {
        if (!m) {
            if ((st = store(r, kg, &row, 1, err))) return st;
            return emit_row(op, r, row, SL_ROW_INSERT, 1, err);
        }
        bool replace = r->proctime ? r->keep_last : r->keep_last ? cmp_rows(r, row, r->rows[0]) <= 0 : cmp_rows(r, row, r->rows[0]) < 0;
        if (!replace) return SL_OK;
        if ((st = emit_row(op, r, r->rows[0], SL_ROW_UPDATE_BEFORE, 1, err))) return st;
        if ((st = emit_row(op, r, row, SL_ROW_UPDATE_AFTER, 1, err))) return st;
        return store(r, kg, &row, 1, err);
    }
    if (r->rank_type != RK_ROW_NUMBER) return rank_ties(op, r, kg, row, m, err);
    /* the new row's place: after every row that sorts before it or ties with it */
    int p = 0;
    while (p < m && cmp_rows(r, r->rows[p], row) <= 0) p++;
    if (p >= r->n) return SL_OK;
    int mn = 0;
    for (int i = 0; i < p; i++) r->next[mn++] = r->rows[i];
    r->next[mn++] = row;
    for (int i = p; i < m && mn < r->n; i++) r->next[mn++] = r->rows[i];
    if (!r->output_rn) {
        if (m >= r->n && (st = emit_row(op, r, r->rows[m - 1], SL_ROW_DELETE, 0, err))) return st;
        if ((st = emit_row(op, r, row, SL_ROW_INSERT, 0, err))) return st;
    } else {
        for (int i = p; i < m && i < r->n; i++) {
            if ((st = emit_row(op, r, r->rows[i], SL_ROW_UPDATE_BEFORE, i + 1, err))) return st;
            if ((st = emit_row(op, r, r->next[i], SL_ROW_UPDATE_AFTER, i + 1, err))) return st;
        }
        if (m < r->n && (st = emit_row(op, r, r->next[m], SL_ROW_INSERT, m + 1, err))) return st;
    }
    return store(r, kg, r->next, mn, err);
}

static sl_status rank_open(sl_operator *op, sl_error *err)
{
    rank *r = op->impl;
    r->max_parallelism = sl_task_max_parallelism(op->task);
    return sl_op_state_open(op, &r->st, err);
}

static void rank_close(sl_operator *op)
{
    rank *r = op->impl;
    if (!r) return;
    if (r->st) sl_state_close(r->st);
    free(r->part);
    free(r->part_phys);
    free(r->order);
    free(r->desc);
    free(r->nulls_first);
    free(r->order_phys);
    free(r->phys);
    free(r->rows);
    free(r->next);
    free(r->rk);
    sl_bytes_free(&r->key);
    sl_bytes_free(&r->loaded);
    sl_bytes_free(&r->value);
    sl_bytes_free(&r->outbuf);
    sl_rw_free(&r->w);
    free(r);
    op->impl = NULL;
}

static sl_status rank_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    rank *r = op->impl;
    *out = NULL;
    return sl_op_state_snapshot(r->st, NULL, ctx, err);
}

static sl_status rank_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    rank *r = op->impl;
    return sl_op_state_restore(r->st, NULL, ctx, err);
}

static const sl_op_vtable rank_vt = {.name = "Rank",
                                     .open = rank_open,
                                     .process = rank_process,
                                     .close = rank_close,
                                     .snapshot = rank_snapshot,
                                     .restore = rank_restore};

static sl_status bad_spec(sl_error *err, const char *what)
{
    return sl_error_set(err, SL_ERR_INVALID, "Invalid rank operator spec: %s", what);
}

sl_status sl_op_rank_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    (void)job;
    const sql_type *in = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
    const sql_type *outt = in ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    json_t *part = json_object_get(spec, "partition"), *order = json_object_get(spec, "order");
    if (!json_is_array(part) || !json_is_array(order) || !json_array_size(order)) return bad_spec(err, "partition and order");
    if ((json_integer_value(json_object_get(spec, "input_changelog")) & ~1) != 0) {
        sl_error_set(err, SL_ERR_UNSUPPORTED, "Top-N and deduplication over updating input (RetractStrategy) are not supported yet.");
        sl_error_hint(err, "read the input with an insert-only format (json, csv, ...), or rank an insert-only table");
        return SL_ERR_UNSUPPORTED;
    }
    rank *r = sl_xcalloc(1, sizeof *r);
    r->arity = in->nfields;
    r->phys = sl_xcalloc((size_t)(r->arity ? r->arity : 1), sizeof(sl_phys));
    for (int f = 0; f < r->arity; f++) r->phys[f] = sl_phys_of(in->field_types[f]);
    r->npart = (int)json_array_size(part);
    r->part = sl_xcalloc((size_t)(r->npart ? r->npart : 1), sizeof(int));
    r->part_phys = sl_xcalloc((size_t)(r->npart ? r->npart : 1), sizeof(sl_phys));
    r->norder = (int)json_array_size(order);
    r->order = sl_xcalloc((size_t)r->norder, sizeof(int));
    r->desc = sl_xcalloc((size_t)r->norder, sizeof(bool));
    r->nulls_first = sl_xcalloc((size_t)r->norder, sizeof(bool));
    r->order_phys = sl_xcalloc((size_t)r->norder, sizeof(sl_phys));
    r->n = json_integer_value(json_object_get(spec, "rank_end"));
    r->output_rn = json_is_true(json_object_get(spec, "output_rn"));
    const char *rt = json_string_value(json_object_get(spec, "rank_type"));
    r->rank_type = !rt || strcmp(rt, "ROW_NUMBER") == 0 ? RK_ROW_NUMBER : strcmp(rt, "RANK") == 0 ? RK_RANK
                 : strcmp(rt, "DENSE_RANK") == 0 ? RK_DENSE_RANK : -1;
    r->dedup = json_is_true(json_object_get(spec, "dedup"));
    r->keep_last = json_is_true(json_object_get(spec, "keep_last"));
    r->proctime = json_is_true(json_object_get(spec, "proctime"));
    sl_status st = SL_OK;
    if (r->rank_type < 0 || (r->rank_type != RK_ROW_NUMBER && r->dedup)) st = bad_spec(err, "rank_type");
    for (int k = 0; k < r->npart && !st; k++) {
        r->part[k] = (int)json_integer_value(json_array_get(part, (size_t)k));
        if (r->part[k] < 0 || r->part[k] >= r->arity) st = bad_spec(err, "partition field out of range");
        else r->part_phys[k] = r->phys[r->part[k]];
    }
    for (int k = 0; k < r->norder && !st; k++) {
        json_t *o = json_array_get(order, (size_t)k);
        r->order[k] = (int)json_integer_value(json_object_get(o, "field"));
        r->desc[k] = json_is_true(json_object_get(o, "desc"));
        r->nulls_first[k] = json_is_true(json_object_get(o, "nulls_first"));
        if (r->order[k] < 0 || r->order[k] >= r->arity) st = bad_spec(err, "order field out of range");
        else r->order_phys[k] = r->phys[r->order[k]];
    }
    for (int f = 0; f < r->arity && !st; f++)
        if (r->phys[f] == SL_PHYS_UNSUPPORTED)
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "Top-N over a row with a field of type ARRAY, MAP, MULTISET, ROW or DECIMAL(p > 18) is not supported yet.");
    if (!st && (r->n < 1 || r->n > RANK_MAX_N))
        st = sl_error_set(err, SL_ERR_UNSUPPORTED, "Top-N with N = %lld is not supported (1 <= N <= %d).", (long long)r->n, RANK_MAX_N);
    if (!st && outt->nfields != r->arity + (r->output_rn ? 1 : 0)) st = bad_spec(err, "output row width");
    if (st) {
        rank_close(&(sl_operator){.impl = r});
        return st;
    }
    *out = sl_operator_new(&rank_vt, r, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
