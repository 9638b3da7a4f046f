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
 * not earlier (keep last), as Flink's RowTimeDeduplicateFunction.
 *
 * Over an updating input (Flink's RetractableTopNFunction; ROW_NUMBER only, "input_changelog" not
 * insert-only) the value holds every row of the partition in rank order, not only the top N: a
 * retraction can bring row N + 1 back. +I / +U rows are inserted as above; -U / -D rows remove the
 * stored row equal to them in every field (one that is not there is ignored, as Flink's does when
 * its state is stale) and the rows after it move up one rank. What it emits:
 *   without the row number  insert: +I for the new row if it is in the top N, then -D for the row
 *                           it pushed to rank N + 1; retraction: -D for the removed row if it was
 *                           in the top N, then +I for the row that moved up to rank N
 *   with the row number     for every rank from the changed one down to N whose row changed: -U
 *                           of the old row / +U of the new one, +I for a rank nobody held, -D for
 *                           a rank nobody holds now
 * Every record rewrites its partition's row list: O(rows of the partition) per record.
 *
 * Window top-N and window deduplication (Flink's WindowRank and WindowDeduplicate; "window" in the
 * spec, event time, insert-only input carrying window_start / window_end): the partition key
 * without the window columns keys the state, the window is identified by its end. Each (window,
 * partition) keeps its top N rows as above (deduplication: its one row, replaced by an earlier row
 * (keep first) or a row not earlier (keep last)); nothing is emitted until the watermark reaches
 * window_end - 1: then every partition of the window emits its rows once, +I in rank order (with
 * the row number if selected), and the window's state is cleared. Rows of a window that has fired
 * are late: dropped and counted. At end of input every window fires; a graceful stop keeps them
 * for the savepoint.
 *   sid WROWS,    key = end (8 bytes big endian, sign flipped), user key = partition key   the rows
 *   sid REGISTRY, key = "", user key = end                              the key group's windows
 * The in-memory index of the pending (end, key group) pairs (op_window.c's sl_win_index), rebuilt
 * from REGISTRY at restore, finds the due windows without scanning. */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "runtime/aggcalls.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

#define RANK_MAX_N 100000

enum { SID_ROWS = 0, SID_WROWS = 1, SID_REGISTRY = 2 };

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
    bool retract; /* updating input: every row of the partition is kept */
    /* window top-N / deduplication */
    bool window, ltz;
    int wend;      /* the window_end field */
    int64_t shift; /* ltz: table.local-time-zone offset (ms) */
    int64_t wm;
    sl_win_index pend; /* the pending (end, kg) pairs */
    uint64_t late;
    sl_bytes scan; /* a window's partitions: [u32 key length][key][u32 value length][value], 8-aligned */
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

/* Where a partition's rows live: sid 0 under the partition key, or (window) sid WROWS under the
 * window end with the partition key as user key. wk: the window end's 8 bytes (window only). */
typedef struct rk_loc {
    int sid;
    const void *key, *ukey;
    size_t keyn, ukeyn;
} rk_loc;

static rk_loc loc_of(const rank *r, const uint8_t *wk)
{
    if (!r->window) return (rk_loc){SID_ROWS, r->key.p, NULL, r->key.n, 0};
    return (rk_loc){SID_WROWS, wk, r->key.p, 8, r->key.n};
}

static sl_status store(rank *r, int kg, const rk_loc *l, const uint8_t *const *rows, int m, sl_error *err)
{
    if (!m) return sl_state_delete(r->st, l->sid, kg, l->key, l->keyn, l->ukey, l->ukeyn, err);
    sl_bytes_reset(&r->value);
    for (int i = 0; i < m; i++) sl_bytes_put_aligned(&r->value, rows[i], sl_row_len(rows[i]));
    return sl_state_put(r->st, l->sid, kg, l->key, l->keyn, l->ukey, l->ukeyn, r->value.p, r->value.n, err);
}

/* Every field equal (NULLs equal NULLs): the stored row a retraction removes. */
static bool rows_equal(const rank *r, const uint8_t *a, const uint8_t *b)
{
    for (int f = 0; f < r->arity; f++) {
        bool na = sl_row_is_null(a, f), nb = sl_row_is_null(b, f);
        if (na != nb) return false;
        if (na) continue;
        sl_val va = sl_row_val(a, f, r->phys[f]), vb = sl_row_val(b, f, r->phys[f]);
        if (sl_val_cmp(&va, &vb, r->phys[f]) != 0) return false;
    }
    return true;
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
static sl_status rank_ties(sl_operator *op, rank *r, int kg, const rk_loc *l, const uint8_t *row, int m, sl_error *err)
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
    return store(r, kg, l, r->next, mn, err);
}

/* Loads the partition's stored rows into r->rows[0..*m) (an aligned copy: state bytes are only
 * valid until the next state call). */
static sl_status load(rank *r, int kg, const rk_loc *l, int *m, sl_error *err)
{
    const void *v;
    size_t vn;
    bool found;
    sl_status st = sl_state_get(r->st, l->sid, kg, l->key, l->keyn, l->ukey, l->ukeyn, &v, &vn, &found, err);
    if (st) return st;
    sl_bytes_reset(&r->loaded);
    *m = 0;
    if (found) {
        sl_bytes_put(&r->loaded, v, vn);
        for (size_t off = 0; off + SL_ROW_HEADER <= r->loaded.n; (*m)++) {
            reserve(r, *m + 2);
            r->rows[*m] = r->loaded.p + off;
            off += sl_pad8(sl_row_len(r->rows[*m]));
        }
    }
    reserve(r, *m + 2);
    return SL_OK;
}

/* The new row's place: after every row that sorts before it or ties with it. */
static int place_of(const rank *r, const uint8_t *row, int m)
{
    int p = 0;
    while (p < m && cmp_rows(r, r->rows[p], row) <= 0) p++;
    return p;
}

/* Over an updating input: the partition's rows change by one (an insert at p or a removal at p;
 * r->rows: before, r->next: after); emits how its top N changed (see the top of the file). */
static sl_status retract_emit(sl_operator *op, rank *r, bool insert, int p, int m, int mn, sl_error *err)
{
    sl_status st;
    if (p >= r->n) return SL_OK;
    if (!r->output_rn) {
        if (insert) {
            if ((st = emit_row(op, r, r->next[p], SL_ROW_INSERT, 0, err))) return st;
            return m >= r->n ? emit_row(op, r, r->rows[r->n - 1], SL_ROW_DELETE, 0, err) : SL_OK;
        }
        if ((st = emit_row(op, r, r->rows[p], SL_ROW_DELETE, 0, err))) return st;
        return mn >= r->n ? emit_row(op, r, r->next[r->n - 1], SL_ROW_INSERT, 0, err) : SL_OK;
    }
    for (int i = p; i < r->n && (i < m || i < mn); i++) {
        const uint8_t *was = i < m ? r->rows[i] : NULL, *now = i < mn ? r->next[i] : NULL;
        if (was && now) {
            if ((st = emit_row(op, r, was, SL_ROW_UPDATE_BEFORE, i + 1, err))) return st;
            if ((st = emit_row(op, r, now, SL_ROW_UPDATE_AFTER, i + 1, err))) return st;
        } else if ((st = emit_row(op, r, now ? now : was, now ? SL_ROW_INSERT : SL_ROW_DELETE, i + 1, err))) {
            return st;
        }
    }
    return SL_OK;
}

static sl_status retract_process(sl_operator *op, rank *r, int kg, const rk_loc *l, const uint8_t *row, int m, sl_error *err)
{
    sl_row_kind kind = sl_row_get_kind(row);
    int mn = 0, p;
    if (kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER) {
        p = place_of(r, row, m);
        for (int i = 0; i < p; i++) r->next[mn++] = r->rows[i];
        r->next[mn++] = row;
        for (int i = p; i < m; i++) r->next[mn++] = r->rows[i];
    } else {
        /* the first stored row equal to it (rows tying with it in sort order are next to each other) */
        for (p = 0; p < m; p++) {
            int c = cmp_rows(r, r->rows[p], row);
            if (c > 0) p = m;
            if (p < m && c == 0 && rows_equal(r, r->rows[p], row)) break;
        }
        if (p >= m) return SL_OK; /* not there: stale or expired state, as Flink's, ignored */
        for (int i = 0; i < m; i++)
            if (i != p) r->next[mn++] = r->rows[i];
    }
    sl_status st = retract_emit(op, r, mn > m, p, m, mn, err);
    return st ? st : store(r, kg, l, r->next, mn, err);
}

/* ---- window top-N: the pending windows ---------------------------------------------------------- */

static int64_t trigger_of(const rank *r, int64_t end) { return end - 1 - r->shift; }
static bool fired(const rank *r, int64_t end) { return r->wm != INT64_MIN && r->wm >= trigger_of(r, end); }

/* A row of a window: into its (window, partition)'s top N; nothing is emitted before the window fires. */
static sl_status window_process(sl_operator *op, rank *r, const uint8_t *row, sl_error *err)
{
    if (sl_row_get_kind(row) != SL_ROW_INSERT && sl_row_get_kind(row) != SL_ROW_UPDATE_AFTER)
        return sl_error_set(err, SL_ERR_RUNTIME, "%s received a %s row; its input must be insert-only",
                            op->description ? op->description : "WindowRank", sl_row_kind_str(sl_row_get_kind(row)));
    if (sl_row_is_null(row, r->wend)) {
        r->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    int64_t end = sl_floor_div(sl_row_i64(row, r->wend), 1000);
    if (fired(r, end)) { /* late: its window has fired already */
        r->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    uint8_t wk[8];
    sl_win_put_be64(wk, end);
    sl_bytes_reset(&r->key);
    sl_key_encode(&r->key, row, r->part, r->part_phys, r->npart);
    int kg = r->npart ? sl_row_key_group(row, r->part, r->part_phys, r->npart, r->max_parallelism) : 0;
    bool added;
    sl_win_index_add(&r->pend, end, kg, &added, NULL);
    static const uint8_t one = 1;
    sl_status st = added ? sl_state_put(r->st, SID_REGISTRY, kg, NULL, 0, wk, 8, &one, 1, err) : SL_OK;
    rk_loc l = loc_of(r, wk);
    int m;
    if (st || (st = load(r, kg, &l, &m, err))) return st;
    if (r->dedup) {
        bool replace = !m || (r->keep_last ? cmp_rows(r, row, r->rows[0]) <= 0 : cmp_rows(r, row, r->rows[0]) < 0);
        return replace ? store(r, kg, &l, &row, 1, err) : SL_OK;
    }
    int p = place_of(r, row, m), mn = 0;
    if (p >= r->n) return SL_OK;
    for (int i = 0; i < p; i++) r->next[mn++] = r->rows[i];
    r->next[mn++] = row;
    for (int i = p; i < m && mn < r->n; i++) r->next[mn++] = r->rows[i];
    return store(r, kg, &l, r->next, mn, err);
}

/* Emits every partition of the window ending at `end` in key group kg (+I, rank order) and
 * clears the window's state. */
static sl_status fire_window(sl_operator *op, rank *r, int64_t end, int kg, sl_error *err)
{
    uint8_t wk[8];
    sl_win_put_be64(wk, end);
    sl_bytes_reset(&r->scan);
    sl_state_iter *it;
    sl_status st = sl_state_scan(r->st, SID_WROWS, kg, wk, 8, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        uint32_t len[2] = {(uint32_t)ukn, (uint32_t)vn};
        sl_bytes_put_aligned(&r->scan, len, 8);
        sl_bytes_put_aligned(&r->scan, uk, ukn);
        sl_bytes_put_aligned(&r->scan, v, vn);
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    for (size_t o = 0; o + 8 <= r->scan.n && !st;) {
        uint32_t len[2];
        memcpy(len, r->scan.p + o, 8);
        const uint8_t *key = r->scan.p + o + 8, *rows = key + sl_pad8(len[0]);
        o += 8 + sl_pad8(len[0]) + sl_pad8(len[1]);
        int64_t rn = 1;
        for (size_t off = 0; off + SL_ROW_HEADER <= len[1] && !st; off += sl_pad8(sl_row_len(rows + off)))
            st = emit_row(op, r, rows + off, SL_ROW_INSERT, rn++, err);
        if (!st) st = sl_state_delete(r->st, SID_WROWS, kg, wk, 8, key, len[0], err);
    }
    if (!st) st = sl_state_delete(r->st, SID_REGISTRY, kg, NULL, 0, wk, 8, err);
    return st;
}

static sl_status rank_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    rank *r = op->impl;
    if (r->window && wm > r->wm) {
        r->wm = wm;
        int done = 0;
        sl_status st = SL_OK;
        while (!st && done < r->pend.n && fired(r, r->pend.p[done].end)) {
            sl_win_pending p = r->pend.p[done++];
            st = fire_window(op, r, p.end, p.kg, err);
        }
        sl_win_index_pop(&r->pend, done);
        if (st) return st;
    }
    return sl_op_emit_watermark(op, wm, err);
}

/* End of input fires every window; a graceful stop does not: the windows stay for the savepoint. */
static sl_status rank_finish(sl_operator *op, sl_error *err)
{
    rank *r = op->impl;
    if (!r->window || sl_task_stopping(op->task)) return SL_OK;
    return rank_watermark(op, INT64_MAX, err);
}

static sl_status rank_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    (void)input;
    rank *r = op->impl;
    if (r->window) return window_process(op, r, row, err);
    if (sl_row_get_kind(row) != SL_ROW_INSERT && !r->retract)
        return sl_error_set(err, SL_ERR_RUNTIME, "%s received a %s row; its input must be insert-only",
                            op->description ? op->description : "Rank", sl_row_kind_str(sl_row_get_kind(row)));
    sl_bytes_reset(&r->key);
    sl_key_encode(&r->key, row, r->part, r->part_phys, r->npart);
    int kg = r->npart ? sl_row_key_group(row, r->part, r->part_phys, r->npart, r->max_parallelism) : 0;
    rk_loc l = loc_of(r, NULL);
    int m;
    sl_status st = load(r, kg, &l, &m, err);
    if (st) return st;
    if (r->retract) return retract_process(op, r, kg, &l, row, m, err);
    if (r->dedup) {
        if (!m) {
            if ((st = store(r, kg, &l, &row, 1, err))) return st;
            return emit_row(op, r, row, SL_ROW_INSERT, 1, err);
        }
        bool replace = r->proctime ? r->keep_last : r->keep_last ? cmp_rows(r, row, r->rows[0]) <= 0 : cmp_rows(r, row, r->rows[0]) < 0;
        if (!replace) return SL_OK;
        if ((st = emit_row(op, r, r->rows[0], SL_ROW_UPDATE_BEFORE, 1, err))) return st;
        if ((st = emit_row(op, r, row, SL_ROW_UPDATE_AFTER, 1, err))) return st;
        return store(r, kg, &l, &row, 1, err);
    }
    if (r->rank_type != RK_ROW_NUMBER) return rank_ties(op, r, kg, &l, row, m, err);
    int p = place_of(r, row, m);
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
    return store(r, kg, &l, r->next, mn, err);
}

static sl_status rank_open(sl_operator *op, sl_error *err)
{
    rank *r = op->impl;
    r->max_parallelism = sl_task_max_parallelism(op->task);
    const sl_job_context *job = sl_task_job(op->task);
    r->shift = r->ltz && job ? (int64_t)job->ltz_offset * 1000 : 0;
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
    sl_win_index_free(&r->pend);
    sl_bytes_free(&r->scan);
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
    sl_status st = sl_op_state_restore(r->st, NULL, ctx, err);
    /* window top-N: the pending index from REGISTRY (one scan per key group) */
    for (int kg = ctx->kg_lo; !st && r->window && kg <= ctx->kg_hi; kg++) {
        sl_state_iter *it;
        if ((st = sl_state_scan(r->st, SID_REGISTRY, kg, NULL, 0, &it, err))) break;
        const void *uk, *v;
        size_t ukn, vn;
        while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
            bool added;
            if (ukn == 8) sl_win_index_add(&r->pend, sl_win_get_be64(uk), kg, &added, NULL);
        }
        st = sl_state_iter_error(it, err);
        sl_state_iter_free(it);
    }
    return st;
}

/* Window top-N: rows dropped as late, and the pending (window, key group) pairs; for tests. */
uint64_t sl_op_rank_late_rows(const sl_operator *op);
uint64_t sl_op_rank_late_rows(const sl_operator *op) { return op && op->impl ? ((const rank *)op->impl)->late : 0; }
int sl_op_rank_pending(const sl_operator *op);
int sl_op_rank_pending(const sl_operator *op) { return op && op->impl ? ((const rank *)op->impl)->pend.n : 0; }

static const sl_op_vtable rank_vt = {.name = "Rank",
                                     .open = rank_open,
                                     .process = rank_process,
                                     .watermark = rank_watermark,
                                     .finish = rank_finish,
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
    rank *r = sl_xcalloc(1, sizeof *r);
    r->retract = (json_integer_value(json_object_get(spec, "input_changelog")) & ~1) != 0;
    r->wm = INT64_MIN;
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
    const json_t *win = json_object_get(spec, "window");
    if (!st && win) { /* window top-N / deduplication: the window_end field identifies the window */
        const json_t *we = json_object_get(spec, "window_end");
        r->window = true;
        r->ltz = json_is_true(json_object_get(win, "ltz"));
        r->wend = json_is_integer(we) ? (int)json_integer_value(we) : -1;
        if (r->wend < 0 || r->wend >= r->arity || r->phys[r->wend] != SL_PHYS_I64) st = bad_spec(err, "window_end");
        else if ((json_string_value(json_object_get(win, "time")) && strcmp(json_string_value(json_object_get(win, "time")), "processing") == 0))
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "Processing time Window TopN and Window Deduplication are not supported yet.");
        else if (r->retract || r->rank_type != RK_ROW_NUMBER) st = bad_spec(err, "window top-N over updating input or with RANK");
    }
    if (!st && r->retract && (r->rank_type != RK_ROW_NUMBER || r->dedup)) {
        st = sl_error_set(err, SL_ERR_UNSUPPORTED, "%s over an updating input is not supported yet.",
                          r->dedup ? "Deduplicate" : "Top-N with RANK() or DENSE_RANK()");
        sl_error_hint(err, "rank updating input with ROW_NUMBER(), or read the input with an insert-only format (json, csv, ...)");
    }
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
