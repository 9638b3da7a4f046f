/* runtime/op_interval.c — the event-time interval join (Flink's IntervalJoin, RowTimeIntervalJoin):
 * INNER, LEFT, RIGHT and FULL OUTER on equi-keys plus a time bound
 *
 *     lower <= left time - right time <= upper      (ms; the planner's leftLowerBound / leftUpperBound)
 *
 * and a residual condition, over insert-only inputs; the output is insert-only.
 *
 * A row is stored in keyed state under its join key and joined with the other side's stored rows
 * of the key whose time is within the bounds. The watermark ends a row's window: a left row at
 * time t can match no future right row (those have times > watermark) once the watermark reaches
 * t - lower, a right row once it reaches t + upper; then it is removed, and on an outer side a row
 * that never matched goes out null-padded (once). A row that arrives when even the other side's
 * rows it could match are gone (watermark >= t + upper - lower) is late: dropped and counted
 * (sl_task_count_dropped). A row behind the watermark but not late joins with what is stored and
 * is not stored itself (on an outer side it goes out null-padded right away when nothing
 * matched). Rows without a time are dropped and counted; rows with a NULL join key never match
 * (an outer side emits them null-padded at once). The output watermark is held back by
 * max(-lower, upper), as Flink's (joined rows may carry times that far behind the input's).
 *
 * State (sid = side, 0 left, 1 right; key group = the join key's):
 *   key = join key bytes, user key = time ms (8 bytes big endian, sign flipped) ‖ sequence (8 bytes)
 *   value = [matched u8][7 bytes padding][row]  (matched: an outer side's row has had a match)
 * The pending removals are an in-memory min-heap of (removal time, side, key group, key, user
 * key): one entry per stored row, ordered by time, so a watermark finds what is due without
 * scanning. (Not checkpointed yet: the checkpoint issue rebuilds it with a scan per key group.) */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

typedef sl_time_join_side ivside;

typedef struct ivtimer {
    int64_t when;  /* the watermark at which the row is removed */
    uint64_t seq;
    int side, kg;
    uint32_t klen;
    uint8_t *key;  /* owned: join key bytes */
    uint8_t ukey[16];
} ivtimer;

typedef struct ivjoin {
    ivside s[2];
    int64_t lower, upper; /* ms */
    int64_t delay;        /* output watermark delay, ms */
    sl_expr *residual;    /* over left ++ right, or NULL */
    int max_parallelism;
    sl_state *st;
    int64_t wm;
    uint64_t seq;
    ivtimer *heap;
    int nheap, capheap;
    uint64_t late;
    /* scratch */
    sl_bytes key, val, other, upd;
    sl_row_writer w, cond_w;
} ivjoin;

enum { VAL_HEADER = 8 };


static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

static void put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) out[i] = (uint8_t)v;
}

/* ---- the removal heap --------------------------------------------------------------------------- */

static bool timer_less(const ivtimer *a, const ivtimer *b) { return a->when < b->when || (a->when == b->when && a->seq < b->seq); }

static void heap_push(ivjoin *j, const ivtimer *t)
{
    if (j->nheap == j->capheap) {
        j->capheap = j->capheap ? j->capheap * 2 : 64;
        j->heap = sl_xrealloc(j->heap, sizeof(ivtimer) * (size_t)j->capheap);
    }
    int i = j->nheap++;
    j->heap[i] = *t;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!timer_less(&j->heap[i], &j->heap[p])) break;
        ivtimer x = j->heap[i];
        j->heap[i] = j->heap[p];
        j->heap[p] = x;
        i = p;
    }
}

static ivtimer heap_pop(ivjoin *j)
{
    ivtimer top = j->heap[0];
    j->heap[0] = j->heap[--j->nheap];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < j->nheap && timer_less(&j->heap[l], &j->heap[m])) m = l;
        if (r < j->nheap && timer_less(&j->heap[r], &j->heap[m])) m = r;
        if (m == i) break;
        ivtimer x = j->heap[i];
        j->heap[i] = j->heap[m];
        j->heap[m] = x;
        i = m;
    }
    return top;
}

/* ---- rows ---------------------------------------------------------------------------------------- */

static const uint8_t *joined(ivjoin *j, sl_row_writer *w, const uint8_t *left, const uint8_t *right)
{
    int nl = j->s[0].nf, nr = j->s[1].nf;
    sl_rw_begin(w, nl + nr, SL_ROW_INSERT);
    for (int i = 0; i < nl; i++)
        if (left && !sl_row_is_null(left, i)) sl_rw_copy(w, i, left, i, j->s[0].phys[i]);
    for (int i = 0; i < nr; i++)
        if (right && !sl_row_is_null(right, i)) sl_rw_copy(w, nl + i, right, i, j->s[1].phys[i]);
    return sl_rw_finish(w);
}

static sl_status emit_padded(sl_operator *op, int side, const uint8_t *row, sl_error *err)
{
    ivjoin *j = op->impl;
    return sl_op_emit(op, side == 0 ? joined(j, &j->w, row, NULL) : joined(j, &j->w, NULL, row), err);
}

/* Whether left and right (times in µs) satisfy the bounds and the residual. */
static sl_status matches(ivjoin *j, const uint8_t *left, const uint8_t *right, bool *out, sl_error *err)
{
    int64_t d = sl_row_i64(left, j->s[0].time) - sl_row_i64(right, j->s[1].time);
    /* bounds in µs: ms bounds saturate far beyond any timestamp difference */
    int64_t lo = j->lower > INT64_MIN / 1000 ? j->lower * 1000 : INT64_MIN, hi = j->upper < INT64_MAX / 1000 ? j->upper * 1000 : INT64_MAX;
    *out = d >= lo && d <= hi;
    if (!*out || !j->residual) return SL_OK;
    sl_val c;
    sl_expr_scratch_reset(j->residual);
    sl_status st = sl_expr_eval(j->residual, joined(j, &j->cond_w, left, right), &c, err);
    *out = !st && !c.null && c.i;
    return st;
}

static sl_status iv_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    ivjoin *j = op->impl;
    ivside *in = &j->s[input], *other = &j->s[1 - input];
    sl_row_kind kind = sl_row_get_kind(row);
    if (kind != SL_ROW_INSERT && kind != SL_ROW_UPDATE_AFTER)
        return sl_error_set(err, SL_ERR_RUNTIME, "an interval join received a %s row; its inputs must be insert-only", sl_row_kind_str(kind));
    if (sl_row_is_null(row, in->time)) { /* no time: no window */
        j->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    int64_t t = sl_floor_div(sl_row_i64(row, in->time), 1000);
    /* late: every row of the other side it could match is gone already */
    if (j->wm != INT64_MIN && j->wm >= sat_add(t, j->upper - j->lower)) {
        j->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    if (sl_key_has_null(row, in->keys, in->nkeys)) return in->outer ? emit_padded(op, input, row, err) : SL_OK;
    sl_bytes_reset(&j->key);
    sl_key_encode(&j->key, row, in->keys, in->key_phys, in->nkeys);
    int kg = in->nkeys ? sl_row_key_group(row, in->keys, in->key_phys, in->nkeys, j->max_parallelism) : 0;

    /* join with the other side's rows of the key (their matched flags are updated after the scan) */
    bool any = false;
    sl_bytes_reset(&j->upd);
    sl_state_iter *it;
    sl_status st = sl_state_scan(j->st, 1 - input, kg, j->key.p, j->key.n, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (!st && sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        if (vn < VAL_HEADER || ukn != 16) {
            st = sl_error_set(err, SL_ERR_STATE, "corrupt interval join state");
            break;
        }
        sl_bytes_reset(&j->other); /* an aligned copy */
        sl_bytes_put(&j->other, v, vn);
        const uint8_t *orow = j->other.p + VAL_HEADER;
        const uint8_t *l = input == 0 ? row : orow, *r = input == 0 ? orow : row;
        bool m;
        if ((st = matches(j, l, r, &m, err)) || !m) continue;
        any = true;
        if ((st = sl_op_emit(op, joined(j, &j->w, l, r), err))) break;
        if (other->outer && j->other.p[0] == 0) { /* remember it: [ukey 16][vlen u32][pad 4][value] */
            uint32_t n32 = (uint32_t)vn;
            sl_bytes_put(&j->upd, uk, 16);
            sl_bytes_put_aligned(&j->upd, &n32, 4);
            sl_bytes_put_aligned(&j->upd, v, vn);
        }
    }
    if (!st) st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    if (st) return st;
    for (size_t off = 0; off < j->upd.n;) {
        uint32_t n32;
        memcpy(&n32, j->upd.p + off + 16, 4);
        uint8_t *val = j->upd.p + off + 24;
        val[0] = 1;
        if ((st = sl_state_put(j->st, 1 - input, kg, j->key.p, j->key.n, j->upd.p + off, 16, val, n32, err))) return st;
        off += 24 + sl_pad8(n32);
    }

    /* store the row while a future row of the other side can still match it */
    int64_t expiry = input == 0 ? sat_add(t, -j->lower) : sat_add(t, j->upper);
    if (j->wm != INT64_MIN && j->wm >= expiry) return in->outer && !any ? emit_padded(op, input, row, err) : SL_OK;
    ivtimer tm = {.when = expiry, .seq = j->seq++, .side = input, .kg = kg, .klen = (uint32_t)j->key.n};
    put_be64(tm.ukey, (uint64_t)t ^ (UINT64_C(1) << 63));
    put_be64(tm.ukey + 8, tm.seq);
    uint32_t len = sl_row_len(row);
    sl_bytes_reset(&j->val);
    uint8_t header[VAL_HEADER] = {any ? 1 : 0};
    sl_bytes_put(&j->val, header, VAL_HEADER);
    sl_bytes_put(&j->val, row, len);
    sl_row_set_kind(j->val.p + VAL_HEADER, SL_ROW_INSERT);
    if ((st = sl_state_put(j->st, input, kg, j->key.p, j->key.n, tm.ukey, 16, j->val.p, j->val.n, err))) return st;
    tm.key = sl_xmalloc(j->key.n ? j->key.n : 1);
    memcpy(tm.key, j->key.p, j->key.n);
    heap_push(j, &tm);
    return SL_OK;
}

/* Removes every row whose window the watermark has closed (outer sides: unmatched rows go out
 * null-padded), in time order. */
static sl_status expire(sl_operator *op, int64_t wm, sl_error *err)
{
    ivjoin *j = op->impl;
    sl_status st = SL_OK;
    while (!st && j->nheap > 0 && j->heap[0].when <= wm) {
        ivtimer tm = heap_pop(j);
        const void *v;
        size_t vn;
        bool found;
        st = sl_state_get(j->st, tm.side, tm.kg, tm.key, tm.klen, tm.ukey, 16, &v, &vn, &found, err);
        if (!st && found && j->s[tm.side].outer && vn > VAL_HEADER && ((const uint8_t *)v)[0] == 0) {
            sl_bytes_reset(&j->other);
            sl_bytes_put(&j->other, v, vn);
            st = emit_padded(op, tm.side, j->other.p + VAL_HEADER, err);
        }
        if (!st && found) st = sl_state_delete(j->st, tm.side, tm.kg, tm.key, tm.klen, tm.ukey, 16, err);
        free(tm.key);
    }
    return st;
}

static sl_status iv_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    ivjoin *j = op->impl;
    if (wm <= j->wm) return SL_OK;
    j->wm = wm;
    sl_status st = expire(op, wm, err);
    if (st) return st;
    return sl_op_emit_watermark(op, wm == INT64_MAX ? wm : sat_add(wm, -j->delay), err);
}

/* End of input: every window closes. */
/* End of input closes every row's window (outer rows that never matched go out); a graceful stop
 * keeps them in state for the savepoint, as Flink's stop without --drain. */
static sl_status iv_finish(sl_operator *op, sl_error *err)
{
    if (sl_task_stopping(op->task)) return SL_OK;
    return iv_watermark(op, INT64_MAX, err);
}

static sl_status iv_open(sl_operator *op, sl_error *err)
{
    ivjoin *j = op->impl;
    j->max_parallelism = sl_task_max_parallelism(op->task);
    return sl_op_state_open(op, &j->st, err);
}

static void iv_close(sl_operator *op)
{
    ivjoin *j = op->impl;
    if (!j) return;
    if (j->st) sl_state_close(j->st);
    sl_time_join_sides_free(j->s);
    for (int i = 0; i < j->nheap; i++) free(j->heap[i].key);
    free(j->heap);
    sl_expr_free(j->residual);
    sl_bytes_free(&j->key);
    sl_bytes_free(&j->val);
    sl_bytes_free(&j->other);
    sl_bytes_free(&j->upd);
    sl_rw_free(&j->w);
    sl_rw_free(&j->cond_w);
    free(j);
    op->impl = NULL;
}

/* Rows dropped as late (or without a time); for tests and metrics. */
uint64_t sl_op_interval_late_rows(const sl_operator *op);
uint64_t sl_op_interval_late_rows(const sl_operator *op) { return op && op->impl ? ((const ivjoin *)op->impl)->late : 0; }
/* Rows held in state (both sides); for tests. */
int sl_op_interval_pending_rows(const sl_operator *op);
int sl_op_interval_pending_rows(const sl_operator *op) { return op && op->impl ? ((const ivjoin *)op->impl)->nheap : 0; }

static sl_status iv_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    ivjoin *j = op->impl;
    *out = NULL;
    return sl_op_state_snapshot(j->st, NULL, ctx, err);
}

/* The state, then the removal heap rebuilt from it: one scan per (side, key group). */
static sl_status iv_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    ivjoin *j = op->impl;
    sl_status st = sl_op_state_restore(j->st, NULL, ctx, err);
    for (int side = 0; side < 2 && !st; side++)
        for (int kg = ctx->kg_lo; !st && kg <= ctx->kg_hi; kg++) {
            sl_state_iter *it;
            if ((st = sl_state_scan_group(j->st, side, kg, &it, err))) break;
            const void *k, *uk, *v;
            size_t kn, ukn, vn;
            while (sl_state_iter_next_entry(it, &k, &kn, &uk, &ukn, &v, &vn)) {
                if (ukn != 16) continue;
                const uint8_t *b = uk;
                uint64_t tt = 0, seq = 0;
                for (int i = 0; i < 8; i++) tt = tt << 8 | b[i];
                for (int i = 8; i < 16; i++) seq = seq << 8 | b[i];
                int64_t t = (int64_t)(tt ^ (UINT64_C(1) << 63));
                ivtimer tm = {.when = side == 0 ? sat_add(t, -j->lower) : sat_add(t, j->upper), .seq = seq, .side = side, .kg = kg,
                              .klen = (uint32_t)kn};
                memcpy(tm.ukey, uk, 16);
                tm.key = sl_xmalloc(kn ? kn : 1);
                memcpy(tm.key, k, kn);
                heap_push(j, &tm);
                if (seq >= j->seq) j->seq = seq + 1;
            }
            st = sl_state_iter_error(it, err);
            sl_state_iter_free(it);
        }
    return st;
}

static const sl_op_vtable iv_vt = {
    .snapshot = iv_snapshot,
    .restore = iv_restore,
    .name = "IntervalJoin", .open = iv_open, .process = iv_process, .watermark = iv_watermark, .finish = iv_finish, .close = iv_close};

static sl_status bad_spec(sl_error *err, const char *op, const char *what)
{
    return sl_error_set(err, SL_ERR_INTERNAL, "malformed %s in the job graph: %s", op, what);
}

sl_status sl_time_join_sides(const json_t *spec, const sql_type *const rows[2], const sql_type *out, const char *kind,
                             const char *const time_keys[2], const char *what, sl_time_join_side sides[2], sl_error *err)
{
    static const char *const keyn[2] = {"left_keys", "right_keys"};
    sl_status st = SL_OK;
    for (int i = 0; i < 2 && !st; i++) {
        sl_time_join_side *s = &sides[i];
        s->nf = rows[i]->nfields;
        s->phys = sl_xcalloc((size_t)(s->nf ? s->nf : 1), sizeof(sl_phys));
        for (int f = 0; f < s->nf; f++) s->phys[f] = sl_phys_of(rows[i]->field_types[f]);
        const json_t *ks = json_object_get(spec, keyn[i]);
        s->nkeys = (int)json_array_size(ks);
        s->keys = sl_xcalloc((size_t)(s->nkeys ? s->nkeys : 1), sizeof(int));
        s->key_phys = sl_xcalloc((size_t)(s->nkeys ? s->nkeys : 1), sizeof(sl_phys));
        for (int k = 0; k < s->nkeys && !st; k++) {
            s->keys[k] = (int)json_integer_value(json_array_get(ks, (size_t)k));
            if (s->keys[k] < 0 || s->keys[k] >= s->nf) st = bad_spec(err, what, keyn[i]);
            else s->key_phys[k] = s->phys[s->keys[k]];
        }
        const json_t *tj = json_object_get(spec, time_keys[i]);
        s->time = json_is_integer(tj) ? (int)json_integer_value(tj) : -1;
        if (!st && (s->time < 0 || s->time >= s->nf || s->phys[s->time] != SL_PHYS_I64)) st = bad_spec(err, what, time_keys[i]);
        for (int f = 0; f < s->nf && !st; f++)
            if (s->phys[f] == SL_PHYS_UNSUPPORTED)
                st = sl_error_set(err, SL_ERR_UNSUPPORTED, "%s input column '%s' has a type the runtime cannot hold yet", what,
                                  rows[i]->field_names[f]);
    }
    if (!st && sides[0].nkeys != sides[1].nkeys) st = bad_spec(err, what, "left_keys / right_keys");
    if (!st && out->nfields != sides[0].nf + sides[1].nf) st = bad_spec(err, what, "output row");
    sides[0].outer = strcmp(kind, "LEFT") == 0 || strcmp(kind, "FULL") == 0;
    sides[1].outer = strcmp(kind, "RIGHT") == 0 || strcmp(kind, "FULL") == 0;
    return st;
}

void sl_time_join_sides_free(sl_time_join_side s[2])
{
    for (int i = 0; i < 2; i++) {
        free(s[i].phys);
        free(s[i].keys);
        free(s[i].key_phys);
    }
}

sl_status sl_op_interval_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const char *kind = json_string_value(json_object_get(spec, "join_type"));
    const sql_type *rows[2] = {sl_row_type_from_json(types, json_object_get(spec, "left"), err), NULL};
    if (rows[0]) rows[1] = sl_row_type_from_json(types, json_object_get(spec, "right"), err);
    const sql_type *outt = rows[1] ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    if (!kind) return bad_spec(err, "interval join", "join_type");
    ivjoin *j = sl_xcalloc(1, sizeof *j);
    j->wm = INT64_MIN;
    j->lower = (int64_t)json_integer_value(json_object_get(spec, "left_lower_ms"));
    j->upper = (int64_t)json_integer_value(json_object_get(spec, "left_upper_ms"));
    j->delay = -j->lower > j->upper ? -j->lower : j->upper;
    if (j->delay < 0) j->delay = 0;
    static const char *const timen[2] = {"left_time", "right_time"};
    sl_status st = sl_time_join_sides(spec, rows, outt, kind, timen, "interval join", j->s, err);
    const json_t *res = json_object_get(spec, "residual");
    if (!st && res && !json_is_null(res)) {
        /* the residual reads left ++ right: the output row's layout */
        sl_expr_env env = sl_task_expr_env(job, 0);
        st = sl_expr_compile(res, outt, &env, types, &j->residual, err);
    }
    if (st) {
        iv_close(&(sl_operator){.impl = j});
        return st;
    }
    *out = sl_operator_new(&iv_vt, j, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
