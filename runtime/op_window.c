/* runtime/op_window.c — the window aggregate over window table functions (Flink's WindowAggregate
 * on TUMBLE, HOP, CUMULATE and SESSION, whose state is described at "SESSION windows" below):
 * COUNT, COUNT(*), SUM, AVG, MIN, MAX, each optionally DISTINCT and with FILTER (WHERE ...), over
 * an insert-only input. Each row is assigned to its windows; each
 * (group key, window) keeps an accumulator in keyed state; when a window ends — the watermark
 * reaches window_end - 1 (event time), or the processing-time timer for it is due (processing
 * time) — every group of the window emits one final +I row [keys..., aggregates..., window_start,
 * window_end(, window_time)] and its state is cleared. A row whose windows have all fired already
 * is late: dropped and counted (sl_task_count_dropped). At end of input every window fires.
 *
 * Windows are identified by their end (for CUMULATE too: an end determines its start). Times are
 * in ms; a TIMESTAMP_LTZ attribute (PROCTIME() is one) aligns windows in table.local-time-zone, as
 * Flink does: window_start/window_end are that zone's wall-clock TIMESTAMPs, window_time the
 * instant window_end - 1 ms.
 *
 * State (key group = the group key's; end = the window end as 8 bytes big endian, so RocksDB keeps
 * one key's windows in time order):
 *   sid 0,        key = group key, user key = end   the accumulator row: [rows] then per call its
 *                                                   fields (COUNT: n; SUM/AVG: sum, n; MIN/MAX: value)
 *   sid 1 + c,    key = group key ‖ end,            DISTINCT call c: the values seen in the window
 *                 user key = value
 *   sid TIMERS,   key = end, user key = group key   which groups have the window: what fires it
 *   sid REGISTRY, key = "", user key = end          the key group's pending window ends
 *
 * The registry of pending windows: keyed state says which groups a window end has (per key group,
 * as Flink keeps timers per key group, so state splits by key-group range); an in-memory index holds
 * the pending (window end, key group) pairs in order, so a watermark finds what is due without
 * scanning. The index is sized by the open windows times the key groups that have them — not by
 * the number of keys — and REGISTRY holds the same pairs in state, so a restore (issue 8) can
 * rebuild the index with one scan per key group. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "runtime/aggcalls.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

enum { W_TUMBLE = SL_WIN_TUMBLE, W_HOP = SL_WIN_HOP, W_CUMULATE = SL_WIN_CUMULATE, W_SESSION = SL_WIN_SESSION };
enum { SID_ACC = 0, SID_SESSIONS = 253, SID_TIMERS = 254, SID_REGISTRY = 255 };

/* One session of a group (SESSION windows): its id (the time of the row that opened it), [start, end). */
typedef struct sess_t {
    int64_t id, start, end;
} sess_t;

typedef struct win {
    /* the window */
    int kind;
    int64_t size, slide, offset; /* slide: HOP's slide, CUMULATE's step; size: SESSION's gap */
    int time_field;
    bool proctime, window_time, ltz;
    int64_t shift;               /* ltz: table.local-time-zone offset in ms (windows align in local time) */
    /* the aggregate */
    int ngroup;
    int *group;
    sl_phys *group_phys;
    sl_aggs aggs;
    const sql_type *in, *out;
    int max_parallelism;
    sl_state *st;
    /* progress: the watermark (event time) or the last processing-time timer that fired */
    int64_t progress;
    sl_win_index pend;           /* the pending (end, kg) pairs */
    int64_t *ends;               /* the windows of the row at hand */
    int nends_max;
    uint64_t late;
    /* scratch */
    sess_t *sess;               /* SESSION: the group's open sessions (scratch) */
    int nsess, capsess;
    sl_bytes key, dkey, vkey, loaded, loaded2, list;
    sl_val *acc, *acc2;
    sl_row_writer w, accw;
} win;

/* ---- windows ------------------------------------------------------------------------------------- */

void sl_win_put_be64(uint8_t out[8], int64_t v)
{
    uint64_t u = (uint64_t)v ^ (UINT64_C(1) << 63); /* sign flipped: byte order = numeric order */
    for (int i = 7; i >= 0; i--, u >>= 8) out[i] = (uint8_t)u;
}

int64_t sl_win_get_be64(const uint8_t b[8])
{
    uint64_t e = 0;
    for (int i = 0; i < 8; i++) e = e << 8 | b[i];
    return (int64_t)(e ^ (UINT64_C(1) << 63)); /* sl_win_put_be64 flips the sign bit so negative values sort first */
}

/* When the window ending at `end` (local ms) fires, in the progress domain (the watermark's, UTC
 * for TIMESTAMP_LTZ): the watermark (or processing time) reaches window_end - 1. */
static int64_t trigger_of(const win *a, int64_t end) { return end - 1 - a->shift; }

static bool fired(const win *a, int64_t end) { return a->progress != INT64_MIN && a->progress >= trigger_of(a, end); }

int64_t sl_win_start(int kind, int64_t size, int64_t offset, int64_t end)
{
    if (kind != W_CUMULATE) return end - size;
    return (end - 1) - sl_floor_mod(end - 1 - offset, size);
}

static int64_t start_of(const win *a, int64_t end) { return sl_win_start(a->kind, a->size, a->offset, end); }

int sl_win_assign(int kind, int64_t size, int64_t slide, int64_t offset, int64_t t, int64_t *ends)
{
    int n = 0;
    switch (kind) {
    case W_TUMBLE: ends[n++] = t - sl_floor_mod(t - offset, size) + size; break;
    case W_HOP: {
        int64_t last = t - sl_floor_mod(t - offset, slide);
        for (int64_t s = last; s > t - size; s -= slide) ends[n++] = s + size;
        break;
    }
    default: { /* CUMULATE: [start, start + step), [start, start + 2 step), ... up to max size */
        int64_t start = t - sl_floor_mod(t - offset, size);
        for (int64_t e = start + slide; e <= start + size; e += slide)
            if (e > t) ends[n++] = e;
        break;
    }
    }
    return n;
}

/* The ends of the windows a time (local ms) belongs to, in a->ends; returns how many. */
static int assign(win *a, int64_t t) { return sl_win_assign(a->kind, a->size, a->slide, a->offset, t, a->ends); }

/* ---- the pending index ----------------------------------------------------------------------------- */

static int pend_cmp(const sl_win_pending *x, int64_t end, int kg)
{
    if (x->end != end) return x->end < end ? -1 : 1;
    return x->kg < kg ? -1 : x->kg > kg;
}

void sl_win_index_add(sl_win_index *x, int64_t end, int kg, bool *added, bool *new_end)
{
    int lo = 0, hi = x->n;
    while (lo < hi) { /* first entry >= (end, kg) */
        int mid = (lo + hi) / 2;
        if (pend_cmp(&x->p[mid], end, kg) < 0) lo = mid + 1;
        else hi = mid;
    }
    *added = !(lo < x->n && x->p[lo].end == end && x->p[lo].kg == kg);
    if (!*added) {
        if (new_end) *new_end = false;
        return;
    }
    if (new_end) *new_end = !(lo < x->n && x->p[lo].end == end) && !(lo > 0 && x->p[lo - 1].end == end);
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        x->p = sl_xrealloc(x->p, sizeof(sl_win_pending) * (size_t)x->cap);
    }
    memmove(&x->p[lo + 1], &x->p[lo], sizeof(sl_win_pending) * (size_t)(x->n - lo));
    x->p[lo] = (sl_win_pending){end, kg};
    x->n++;
}

void sl_win_index_remove(sl_win_index *x, int64_t end, int kg)
{
    for (int lo = 0, hi = x->n; lo < hi;) {
        int mid = (lo + hi) / 2, c = pend_cmp(&x->p[mid], end, kg);
        if (c == 0) {
            memmove(&x->p[mid], &x->p[mid + 1], sizeof(sl_win_pending) * (size_t)(x->n - mid - 1));
            x->n--;
            return;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
}

void sl_win_index_pop(sl_win_index *x, int n)
{
    if (n <= 0) return; /* (an index that never had a window has no array at all) */
    memmove(x->p, x->p + n, sizeof(sl_win_pending) * (size_t)(x->n - n));
    x->n -= n;
}

void sl_win_index_free(sl_win_index *x)
{
    free(x->p);
    *x = (sl_win_index){0};
}

/* Collects every entry of (sid, kg, key) into a->list as [u32 length][user key][u32 length][value]... */
static sl_status collect(win *a, int sid, int kg, const void *key, size_t klen, sl_error *err)
{
    sl_bytes_reset(&a->list);
    sl_state_iter *it;
    sl_status st = sl_state_scan(a->st, sid, kg, key, klen, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        uint32_t len = (uint32_t)ukn;
        sl_bytes_put(&a->list, &len, 4);
        sl_bytes_put(&a->list, uk, ukn);
        len = (uint32_t)vn;
        sl_bytes_put(&a->list, &len, 4);
        sl_bytes_put(&a->list, v, vn);
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    return st;
}

/* ---- processing -------------------------------------------------------------------------------------- */

/* Loads the accumulator of (the group in a->key, window wk) into acc (an aligned copy in buf), or
 * initializes it; *found says which. */
static sl_status acc_load(win *a, int kg, const uint8_t wk[8], sl_val *acc, sl_bytes *buf, bool *found, sl_error *err)
{
    const void *v;
    size_t vn;
    sl_status st = sl_state_get(a->st, SID_ACC, kg, a->key.p, a->key.n, wk, 8, &v, &vn, found, err);
    if (st) return st;
    if (!*found) {
        sl_aggs_init(&a->aggs, acc);
        return SL_OK;
    }
    /* the state's bytes are only valid until the next state call: load an aligned copy */
    sl_bytes_reset(buf);
    sl_bytes_put_aligned(buf, v, vn);
    sl_aggs_load(&a->aggs, buf->p, acc);
    return SL_OK;
}

/* Adds row to a->acc, the accumulator of (the group in a->key, window wk); DISTINCT calls count a
 * value the window has not seen yet only. */
static sl_status acc_add(win *a, int kg, const uint8_t wk[8], const uint8_t *row, sl_error *err)
{
    sl_status st;
    a->acc[0].i++;
    for (int k = 0; k < a->aggs.n; k++) {
        sl_aggcall *c = &a->aggs.c[k];
        sl_val x;
        if (!sl_aggs_takes(c, row, &x)) continue;
        if (c->distinct) { /* only a value the window has not seen yet counts */
            sl_bytes_reset(&a->dkey);
            sl_bytes_put(&a->dkey, a->key.p, a->key.n);
            sl_bytes_put(&a->dkey, wk, 8);
            sl_bytes_reset(&a->vkey);
            sl_key_encode(&a->vkey, row, &c->arg, &c->arg_phys, 1);
            const void *dv;
            size_t dvn;
            bool seen;
            if ((st = sl_state_get(a->st, 1 + k, kg, a->dkey.p, a->dkey.n, a->vkey.p, a->vkey.n, &dv, &dvn, &seen, err))) return st;
            if (seen) continue;
            static const uint8_t one = 1;
            if ((st = sl_state_put(a->st, 1 + k, kg, a->dkey.p, a->dkey.n, a->vkey.p, a->vkey.n, &one, 1, err))) return st;
        }
        sl_aggs_update(c, a->acc, &x, 1);
    }
    return SL_OK;
}

/* Stores a->acc (MIN/MAX strings point into the row or the load buffers, all still valid). */
static sl_status acc_store(win *a, int kg, const uint8_t wk[8], sl_error *err)
{
    const uint8_t *accrow = sl_aggs_store(&a->aggs, a->acc, &a->accw);
    return sl_state_put(a->st, SID_ACC, kg, a->key.p, a->key.n, wk, 8, accrow, sl_row_len(accrow), err);
}

/* Registers that the group in a->key has a window ending at `end` in key group kg: its timer (the
 * value: SESSION's session id, else nothing), the pair in the index and REGISTRY, and for processing
 * time a timer for a new end. */
static sl_status timer_put(sl_operator *op, win *a, int kg, int64_t end, const uint8_t *val, size_t vn, sl_error *err)
{
    uint8_t ek[8];
    sl_win_put_be64(ek, end);
    static const uint8_t one = 1;
    sl_status st = sl_state_put(a->st, SID_TIMERS, kg, ek, 8, a->key.p, a->key.n, val ? val : &one, val ? vn : 1, err);
    if (st) return st;
    bool added, new_end;
    sl_win_index_add(&a->pend, end, kg, &added, &new_end);
    if (added && (st = sl_state_put(a->st, SID_REGISTRY, kg, NULL, 0, ek, 8, &one, 1, err))) return st;
    if (new_end && a->proctime) sl_op_register_proctime_timer(op, trigger_of(a, end));
    return SL_OK;
}

/* Accumulates row into the window ending at `end` of the group in a->key (key group kg). */
static sl_status accumulate(sl_operator *op, win *a, int kg, int64_t end, const uint8_t *row, sl_error *err)
{
    uint8_t ek[8];
    sl_win_put_be64(ek, end);
    bool found;
    sl_status st = acc_load(a, kg, ek, a->acc, &a->loaded, &found, err);
    if (!st && !found) st = timer_put(op, a, kg, end, NULL, 0, err); /* a new (group, window) */
    if (!st) st = acc_add(a, kg, ek, row, err);
    return st ? st : acc_store(a, kg, ek, err);
}

/* ---- SESSION windows ---------------------------------------------------------------------------------
 * A group's open sessions are in SID_SESSIONS (user key: the session id, the time of the row that
 * opened it, as 8 bytes big endian; value: start, end). A session's accumulator and DISTINCT sets are
 * keyed by its id, which stays while the session grows, so extending a session only moves its timer
 * (SID_TIMERS under the new end, the id as value) and the index pair; merging sessions merges the
 * accumulators and DISTINCT sets into the first one and drops the others. */

/* Drops the group's (a->key) timer at `end`; the (end, kg) pair leaves the index and REGISTRY when no
 * other group of the key group has that end. */
static sl_status timer_drop(win *a, int kg, int64_t end, sl_error *err)
{
    uint8_t ek[8];
    sl_win_put_be64(ek, end);
    sl_status st = sl_state_delete(a->st, SID_TIMERS, kg, ek, 8, a->key.p, a->key.n, err);
    if (st) return st;
    sl_state_iter *it;
    if ((st = sl_state_scan(a->st, SID_TIMERS, kg, ek, 8, &it, err))) return st;
    const void *uk, *v;
    size_t ukn, vn;
    bool others = sl_state_iter_next(it, &uk, &ukn, &v, &vn);
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    if (st || others) return st;
    sl_win_index_remove(&a->pend, end, kg);
    return sl_state_delete(a->st, SID_REGISTRY, kg, NULL, 0, ek, 8, err);
}

/* The open sessions of the group in a->key, into a->sess. */
static sl_status sess_load(win *a, int kg, sl_error *err)
{
    a->nsess = 0;
    sl_state_iter *it;
    sl_status st = sl_state_scan(a->st, SID_SESSIONS, kg, a->key.p, a->key.n, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        if (ukn != 8 || vn != 16) continue;
        if (a->nsess == a->capsess) {
            a->capsess = a->capsess ? a->capsess * 2 : 8;
            a->sess = sl_xrealloc(a->sess, sizeof(sess_t) * (size_t)a->capsess);
        }
        sess_t *s = &a->sess[a->nsess++];
        s->id = sl_win_get_be64(uk);
        memcpy(&s->start, v, 8);
        memcpy(&s->end, (const uint8_t *)v + 8, 8);
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    return st;
}

static sl_status sess_put(win *a, int kg, const sess_t *s, sl_error *err)
{
    uint8_t ik[8], val[16];
    sl_win_put_be64(ik, s->id);
    memcpy(val, &s->start, 8);
    memcpy(val + 8, &s->end, 8);
    return sl_state_put(a->st, SID_SESSIONS, kg, a->key.p, a->key.n, ik, 8, val, 16, err);
}

/* Merges accumulator y into x: rows, COUNT, SUM, AVG add, MIN/MAX compare. DISTINCT COUNT/SUM/AVG
 * are left out: their values are merged with the value sets (sess_move_distinct). */
static void acc_merge(win *a, sl_val *x, const sl_val *y)
{
    x[0].i += y[0].i;
    for (int k = 0; k < a->aggs.n; k++) {
        const sl_aggcall *c = &a->aggs.c[k];
        int b = c->base;
        switch (c->fn) {
        case SL_AGG_COUNT:
            if (!c->distinct) x[b].i += y[b].i;
            break;
        case SL_AGG_SUM:
        case SL_AGG_AVG:
            if (c->distinct) break;
            if (c->float_sum) x[b].d += y[b].d;
            else x[b].i = (int64_t)((uint64_t)x[b].i + (uint64_t)y[b].i);
            x[b + 1].i += y[b + 1].i;
            break;
        default:
            if (!y[b].null) sl_aggs_update(c, x, &y[b], 1);
            break;
        }
    }
}

/* Moves the DISTINCT value sets of session `from` into session `to` (the group in a->key): a value
 * `to` has not seen yet joins its set and counts in a->acc (COUNT/SUM/AVG; MIN/MAX merge by value). */
static sl_status sess_move_distinct(win *a, int kg, int64_t from, int64_t to, sl_error *err)
{
    uint8_t fk[8], tk[8];
    sl_win_put_be64(fk, from);
    sl_win_put_be64(tk, to);
    sl_status st = SL_OK;
    for (int k = 0; k < a->aggs.n && !st; k++) {
        const sl_aggcall *c = &a->aggs.c[k];
        if (!c->distinct) continue;
        sl_bytes_reset(&a->dkey);
        sl_bytes_put(&a->dkey, a->key.p, a->key.n);
        sl_bytes_put(&a->dkey, fk, 8);
        if ((st = collect(a, 1 + k, kg, a->dkey.p, a->dkey.n, err))) break;
        sl_bytes_reset(&a->vkey); /* the target's key: group key ‖ to */
        sl_bytes_put(&a->vkey, a->key.p, a->key.n);
        sl_bytes_put(&a->vkey, tk, 8);
        for (size_t q = 0; q + 4 <= a->list.n && !st;) {
            uint32_t vl, dl;
            memcpy(&vl, a->list.p + q, 4);
            const uint8_t *val = a->list.p + q + 4;
            memcpy(&dl, val + vl, 4);
            q += 8 + vl + dl;
            const void *dv;
            size_t dvn;
            bool seen;
            if ((st = sl_state_get(a->st, 1 + k, kg, a->vkey.p, a->vkey.n, val, vl, &dv, &dvn, &seen, err))) break;
            if (!seen) {
                static const uint8_t one = 1;
                if ((st = sl_state_put(a->st, 1 + k, kg, a->vkey.p, a->vkey.n, val, vl, &one, 1, err))) break;
                sl_val x = {.null = false};
                if (c->fn == SL_AGG_COUNT) sl_aggs_update(c, a->acc, &x, 1); /* any type: only the count */
                else if ((c->fn == SL_AGG_SUM || c->fn == SL_AGG_AVG) && vl == 9 && !val[0]) {
                    memcpy(&x.i, val + 1, 8); /* i64 or f64: the same 8 bytes */
                    sl_aggs_update(c, a->acc, &x, 1);
                }
            }
            st = sl_state_delete(a->st, 1 + k, kg, a->dkey.p, a->dkey.n, val, vl, err);
        }
    }
    return st;
}

/* A row at local time t of the group in a->key: into the session it extends or bridges (merging
 * them), or a new session [t, t + gap) unless that one would have fired already (*late). Sessions
 * [s, e) and [t, t + gap) merge when they intersect or touch, as Flink's TimeWindow.intersects. */
static sl_status session_row(sl_operator *op, win *a, int kg, int64_t t, const uint8_t *row, bool *late, sl_error *err)
{
    *late = false;
    sl_status st = sess_load(a, kg, err);
    if (st) return st;
    int64_t lo = t, hi = t + a->size;
    int target = -1;
    for (int i = 0; i < a->nsess; i++) {
        const sess_t *s = &a->sess[i];
        if (s->start <= hi && t <= s->end) {
            if (target < 0) target = i;
            if (s->start < lo) lo = s->start;
            if (s->end > hi) hi = s->end;
        }
    }
    uint8_t ik[8];
    if (target < 0) {
        if (fired(a, hi)) { /* its session would have fired already */
            *late = true;
            return SL_OK;
        }
        sess_t s = {t, t, hi};
        sl_win_put_be64(ik, s.id);
        sl_aggs_init(&a->aggs, a->acc);
        if ((st = timer_put(op, a, kg, hi, ik, 8, err)) || (st = sess_put(a, kg, &s, err))) return st;
    } else {
        sess_t s = a->sess[target];
        sl_win_put_be64(ik, s.id);
        bool found;
        if ((st = acc_load(a, kg, ik, a->acc, &a->loaded, &found, err))) return st;
        for (int i = target + 1; i < a->nsess; i++) { /* the other sessions the row bridges */
            const sess_t o = a->sess[i];
            if (!(o.start <= t + a->size && t <= o.end)) continue;
            uint8_t ok[8];
            sl_win_put_be64(ok, o.id);
            bool ofound;
            if ((st = acc_load(a, kg, ok, a->acc2, &a->loaded2, &ofound, err))) return st;
            if (ofound) acc_merge(a, a->acc, a->acc2);
            /* a->acc may point into loaded2 now: keep it in its own copy before the next load */
            const uint8_t *r = sl_aggs_store(&a->aggs, a->acc, &a->accw);
            sl_bytes_reset(&a->loaded);
            sl_bytes_put_aligned(&a->loaded, r, sl_row_len(r));
            sl_aggs_load(&a->aggs, a->loaded.p, a->acc);
            if ((st = sess_move_distinct(a, kg, o.id, s.id, err))) return st;
            if ((st = sl_state_delete(a->st, SID_ACC, kg, a->key.p, a->key.n, ok, 8, err))) return st;
            if ((st = sl_state_delete(a->st, SID_SESSIONS, kg, a->key.p, a->key.n, ok, 8, err))) return st;
            if ((st = timer_drop(a, kg, o.end, err))) return st;
        }
        if (hi != s.end) { /* the session's end moves: so does its timer */
            if ((st = timer_drop(a, kg, s.end, err)) || (st = timer_put(op, a, kg, hi, ik, 8, err))) return st;
        }
        if (lo != s.start || hi != s.end) {
            s.start = lo;
            s.end = hi;
            if ((st = sess_put(a, kg, &s, err))) return st;
        }
    }
    if ((st = acc_add(a, kg, ik, row, err))) return st;
    return acc_store(a, kg, ik, err);
}

static sl_status win_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    win *a = op->impl;
    sl_row_kind kind = sl_row_get_kind(row);
    if (kind != SL_ROW_INSERT && kind != SL_ROW_UPDATE_AFTER)
        return sl_error_set(err, SL_ERR_RUNTIME, "a window aggregate received a %s row; its input must be insert-only",
                            sl_row_kind_str(kind));
    if (sl_row_is_null(row, a->time_field)) { /* no time: no window */
        a->late++;
        sl_task_count_dropped(op->task, 1);
        return SL_OK;
    }
    int64_t t = sl_floor_div(sl_row_i64(row, a->time_field), 1000);
    /* processing time: the attribute was taken when the row was read; a row is never late in
     * processing time (Flink assigns it by the clock, which is past every timer that fired) */
    if (a->proctime && a->progress != INT64_MIN && t <= a->progress) t = a->progress + 1;
    int64_t local = t + a->shift;
    sl_bytes_reset(&a->key);
    sl_key_encode(&a->key, row, a->group, a->group_phys, a->ngroup);
    int kg = a->ngroup ? sl_row_key_group(row, a->group, a->group_phys, a->ngroup, a->max_parallelism) : 0;
    bool any = false;
    if (a->kind == W_SESSION) {
        bool late;
        sl_status st = session_row(op, a, kg, local, row, &late, err);
        if (st) return st;
        any = !late;
    } else {
        int n = assign(a, local);
        for (int i = 0; i < n; i++) {
            if (fired(a, a->ends[i])) continue; /* that window has already emitted its result */
            any = true;
            sl_status st = accumulate(op, a, kg, a->ends[i], row, err);
            if (st) return st;
        }
    }
    if (!any) { /* every window of the row has fired: late */
        a->late++;
        sl_task_count_dropped(op->task, 1);
    }
    return SL_OK;
}

/* Writes the group key fields decoded from their canonical bytes (sl_key_encode) into the output. */
static void write_keys(win *a, const uint8_t *k, size_t n)
{
    size_t o = 0;
    for (int g = 0; g < a->ngroup && o < n; g++) {
        uint8_t isnull = k[o++];
        if (isnull) continue;
        if (a->group_phys[g] == SL_PHYS_BYTES) {
            uint32_t len;
            memcpy(&len, k + o, 4);
            sl_rw_bytes(&a->w, g, k + o + 4, len);
            o += 4 + len;
        } else if (a->group_phys[g] == SL_PHYS_F64) {
            double d;
            memcpy(&d, k + o, 8);
            sl_rw_f64(&a->w, g, d);
            o += 8;
        } else {
            int64_t v;
            memcpy(&v, k + o, 8);
            sl_rw_i64(&a->w, g, v);
            o += 8;
        }
    }
}

/* Emits the result of every group of the window ending at `end` in key group kg and clears them
 * (SESSION: the groups' sessions ending there; the timer's value is the session id). */
static sl_status fire_window(sl_operator *op, win *a, int64_t end, int kg, sl_error *err)
{
    uint8_t ek[8];
    sl_win_put_be64(ek, end);
    sl_status st = collect(a, SID_TIMERS, kg, ek, 8, err);
    if (st) return st;
    /* the group keys, out of the scratch list (collect is reused below for DISTINCT sets) */
    sl_bytes groups = {0};
    sl_bytes_put(&groups, a->list.p, a->list.n);
    bool session = a->kind == W_SESSION;
    int64_t ws = session ? 0 : start_of(a, end), wt = end - 1 - a->shift;
    for (size_t o = 0; o + 4 <= groups.n && !st;) {
        uint32_t klen, vlen;
        memcpy(&klen, groups.p + o, 4);
        const uint8_t *gk = groups.p + o + 4;
        memcpy(&vlen, gk + klen, 4);
        const uint8_t *tv = gk + klen + 4;
        o += 8 + klen + vlen;
        const uint8_t *wk = ek; /* the window's user key in ACC and DISTINCT: its end, or the session id */
        const void *v;
        size_t vn;
        bool found;
        if (session) {
            if (vlen != 8) continue;
            wk = tv;
            if ((st = sl_state_get(a->st, SID_SESSIONS, kg, gk, klen, wk, 8, &v, &vn, &found, err))) break;
            if (found && vn == 16) memcpy(&ws, v, 8);
            if (found && (st = sl_state_delete(a->st, SID_SESSIONS, kg, gk, klen, wk, 8, err))) break;
        }
        if ((st = sl_state_get(a->st, SID_ACC, kg, gk, klen, wk, 8, &v, &vn, &found, err))) break;
        if (found) {
            sl_bytes_reset(&a->loaded);
            sl_bytes_put_aligned(&a->loaded, v, vn);
            sl_aggs_load(&a->aggs, a->loaded.p, a->acc);
            sl_rw_begin(&a->w, a->out->nfields, SL_ROW_INSERT);
            write_keys(a, gk, klen);
            for (int k = 0; k < a->aggs.n; k++) {
                sl_val r = sl_aggs_result(&a->aggs.c[k], a->acc);
                sl_val_write(&a->w, a->ngroup + k, &r, a->aggs.c[k].type);
            }
            int p = a->ngroup + a->aggs.n;
            sl_rw_i64(&a->w, p, ws * 1000);
            sl_rw_i64(&a->w, p + 1, end * 1000);
            if (a->window_time) sl_rw_i64(&a->w, p + 2, wt * 1000);
            if ((st = sl_op_emit(op, sl_rw_finish(&a->w), err))) break;
            if ((st = sl_state_delete(a->st, SID_ACC, kg, gk, klen, wk, 8, err))) break;
        }
        for (int k = 0; k < a->aggs.n && !st; k++) {
            if (!a->aggs.c[k].distinct) continue;
            sl_bytes_reset(&a->dkey);
            sl_bytes_put(&a->dkey, gk, klen);
            sl_bytes_put(&a->dkey, wk, 8);
            if ((st = collect(a, 1 + k, kg, a->dkey.p, a->dkey.n, err))) break;
            for (size_t q = 0; q + 4 <= a->list.n && !st;) {
                uint32_t vl, dl;
                memcpy(&vl, a->list.p + q, 4);
                memcpy(&dl, a->list.p + q + 4 + vl, 4);
                st = sl_state_delete(a->st, 1 + k, kg, a->dkey.p, a->dkey.n, a->list.p + q + 4, vl, err);
                q += 8 + vl + dl;
            }
        }
        if (!st) st = sl_state_delete(a->st, SID_TIMERS, kg, ek, 8, gk, klen, err);
    }
    sl_bytes_free(&groups);
    if (!st) st = sl_state_delete(a->st, SID_REGISTRY, kg, NULL, 0, ek, 8, err);
    return st;
}

/* Fires every pending window whose trigger time has been reached, in window-end order. */
static sl_status fire_due(sl_operator *op, win *a, sl_error *err)
{
    int done = 0;
    sl_status st = SL_OK;
    while (done < a->pend.n && fired(a, a->pend.p[done].end)) {
        sl_win_pending p = a->pend.p[done++];
        if ((st = fire_window(op, a, p.end, p.kg, err))) break;
    }
    sl_win_index_pop(&a->pend, done);
    return st;
}

static sl_status win_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    win *a = op->impl;
    if (!a->proctime && wm > a->progress) {
        a->progress = wm;
        sl_status st = fire_due(op, a, err);
        if (st) return st;
    }
    return sl_op_emit_watermark(op, wm, err);
}

static sl_status win_on_timer(sl_operator *op, int64_t when_ms, sl_error *err)
{
    win *a = op->impl;
    if (!a->proctime || when_ms <= a->progress) return SL_OK;
    a->progress = when_ms;
    return fire_due(op, a, err);
}

/* End of input: every window fires (event time: the maximum watermark; processing time too, so a
 * bounded job does not lose its last windows). */
/* End of input fires every window; a graceful stop does not (as Flink's stop without --drain):
 * the windows stay in state, which the savepoint taken on stop carries to the next run. */
static sl_status win_finish(sl_operator *op, sl_error *err)
{
    win *a = op->impl;
    if (sl_task_stopping(op->task)) return SL_OK;
    a->progress = INT64_MAX;
    sl_status st = fire_due(op, a, err);
    if (st || a->proctime) return st;
    return sl_op_emit_watermark(op, INT64_MAX, err);
}

static sl_status win_open(sl_operator *op, sl_error *err)
{
    win *a = op->impl;
    a->max_parallelism = sl_task_max_parallelism(op->task);
    const sl_job_context *job = sl_task_job(op->task);
    a->shift = a->ltz && job ? (int64_t)job->ltz_offset * 1000 : 0;
    return sl_op_state_open(op, &a->st, err);
}

static void win_close(sl_operator *op)
{
    win *a = op->impl;
    if (!a) return;
    if (a->st) sl_state_close(a->st);
    free(a->group);
    free(a->group_phys);
    sl_aggs_free(&a->aggs);
    free(a->acc);
    free(a->acc2);
    free(a->sess);
    sl_win_index_free(&a->pend);
    free(a->ends);
    sl_bytes_free(&a->key);
    sl_bytes_free(&a->dkey);
    sl_bytes_free(&a->vkey);
    sl_bytes_free(&a->loaded);
    sl_bytes_free(&a->loaded2);
    sl_bytes_free(&a->list);
    sl_rw_free(&a->w);
    sl_rw_free(&a->accw);
    free(a);
    op->impl = NULL;
}

/* Rows dropped as late (or without event time) by this operator; for tests and metrics. */
uint64_t sl_op_window_late_rows(const sl_operator *op) { return op && op->impl ? ((const win *)op->impl)->late : 0; }

static sl_status win_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    win *a = op->impl;
    *out = NULL;
    return sl_op_state_snapshot(a->st, NULL, ctx, err);
}

/* The state, then the pending index rebuilt from REGISTRY (one scan per key group), and for
 * processing-time windows their timers. */
static sl_status win_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    win *a = op->impl;
    sl_status st = sl_op_state_restore(a->st, NULL, ctx, err);
    for (int kg = ctx->kg_lo; !st && kg <= ctx->kg_hi; kg++) {
        sl_state_iter *it;
        if ((st = sl_state_scan(a->st, SID_REGISTRY, kg, NULL, 0, &it, err))) break;
        const void *uk, *v;
        size_t ukn, vn;
        while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
            if (ukn != 8) continue;
            int64_t e = sl_win_get_be64(uk);
            bool added, new_end;
            sl_win_index_add(&a->pend, e, kg, &added, &new_end);
            if (new_end && a->proctime) sl_op_register_proctime_timer(op, trigger_of(a, e));
        }
        st = sl_state_iter_error(it, err);
        sl_state_iter_free(it);
    }
    return st;
}

static const sl_op_vtable win_vt = {.name = "WindowAggregate",
                                    .snapshot = win_snapshot,
                                    .restore = win_restore,
                                    .open = win_open,
                                    .process = win_process,
                                    .watermark = win_watermark,
                                    .finish = win_finish,
                                    .on_timer = win_on_timer,
                                    .close = win_close};

static sl_status bad_spec(sl_error *err, const char *what)
{
    return sl_error_set(err, SL_ERR_INTERNAL, "malformed window aggregate in the job graph: %s", what);
}

sl_status sl_op_window_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const sql_type *in = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
    const sql_type *outt = in ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt) return err->code;
    const json_t *wj = json_object_get(spec, "window"), *calls = json_object_get(spec, "calls");
    const json_t *keys = json_object_get(spec, "group_keys");
    const char *kind = json_string_value(json_object_get(wj, "kind"));
    const char *time = json_string_value(json_object_get(wj, "time"));
    if (!json_is_object(wj) || !kind || !time || !json_is_array(calls) || !json_is_array(keys)) return bad_spec(err, "window, calls or group_keys");
    win *a = sl_xcalloc(1, sizeof *a);
    a->in = in;
    a->out = outt;
    a->progress = INT64_MIN;
    a->kind = strcmp(kind, "HOP") == 0 ? W_HOP : strcmp(kind, "CUMULATE") == 0 ? W_CUMULATE : strcmp(kind, "SESSION") == 0 ? W_SESSION : W_TUMBLE;
    a->size = (int64_t)json_integer_value(json_object_get(wj, a->kind == W_SESSION ? "gap_ms" : "size_ms"));
    a->slide = (int64_t)json_integer_value(json_object_get(wj, a->kind == W_CUMULATE ? "step_ms" : "slide_ms"));
    a->offset = (int64_t)json_integer_value(json_object_get(wj, "offset_ms"));
    a->time_field = (int)json_integer_value(json_object_get(wj, "time_field"));
    a->proctime = strcmp(time, "processing") == 0;
    a->ltz = json_is_true(json_object_get(wj, "ltz"));
    a->window_time = json_is_true(json_object_get(wj, "window_time"));
    a->ngroup = (int)json_array_size(keys);
    sl_status st = SL_OK;
    if (strcmp(kind, "TUMBLE") != 0 && strcmp(kind, "HOP") != 0 && strcmp(kind, "CUMULATE") != 0 && strcmp(kind, "SESSION") != 0)
        st = sl_error_set(err, SL_ERR_UNSUPPORTED, "%s windows are not supported by the runtime yet", kind);
    else if (a->size <= 0 || a->size > INT64_C(10000000000000) || a->offset > INT64_C(10000000000000) ||
             a->offset < -INT64_C(10000000000000) || (a->kind == W_SESSION && a->offset != 0) ||
             ((a->kind == W_HOP || a->kind == W_CUMULATE) && (a->slide <= 0 || a->size % a->slide)))
        st = bad_spec(err, "window sizes");
    else if ((a->kind == W_HOP || a->kind == W_CUMULATE) && a->size / a->slide > 100000)
        st = sl_error_set(err, SL_ERR_UNSUPPORTED, "%s windows of %lld ms every %lld ms put each row into %lld windows; the runtime takes up to 100000",
                          kind, (long long)a->size, (long long)a->slide, (long long)(a->size / a->slide));
    else if (a->time_field < 0 || a->time_field >= in->nfields || sl_phys_of(in->field_types[a->time_field]) != SL_PHYS_I64)
        st = bad_spec(err, "time_field");
    else if (outt->nfields != a->ngroup + (int)json_array_size(calls) + 2 + (a->window_time ? 1 : 0))
        st = bad_spec(err, "output row");
    if (st) {
        free(a);
        return st;
    }
    a->group = sl_xcalloc((size_t)(a->ngroup ? a->ngroup : 1), sizeof(int));
    a->group_phys = sl_xcalloc((size_t)(a->ngroup ? a->ngroup : 1), sizeof(sl_phys));
    for (int g = 0; g < a->ngroup && !st; g++) {
        a->group[g] = (int)json_integer_value(json_array_get(keys, (size_t)g));
        if (a->group[g] < 0 || a->group[g] >= in->nfields) st = bad_spec(err, "group_keys");
        else a->group_phys[g] = sl_phys_of(in->field_types[a->group[g]]);
        if (!st && a->group_phys[g] == SL_PHYS_UNSUPPORTED) st = sl_error_set(err, SL_ERR_UNSUPPORTED, "grouping on a %s column is not supported by the runtime yet", sql_type_str(types, in->field_types[a->group[g]]));
    }
    if (!st) st = sl_aggs_parse(&a->aggs, calls, in, outt, a->ngroup, types, err);
    if (!st && a->aggs.n > SID_SESSIONS - 1) /* DISTINCT sets use sids 1 .. n */
        st = sl_error_set(err, SL_ERR_UNSUPPORTED, "window aggregates with more than %d aggregate calls", SID_SESSIONS - 1);
    if (st) {
        win_close(&(sl_operator){.impl = a});
        return st;
    }
    a->acc = sl_xcalloc((size_t)a->aggs.nacc, sizeof(sl_val));
    a->acc2 = sl_xcalloc((size_t)a->aggs.nacc, sizeof(sl_val));
    a->nends_max = a->kind == W_TUMBLE || a->kind == W_SESSION ? 1 : (int)(a->size / a->slide) + 1;
    a->ends = sl_xcalloc((size_t)a->nends_max, sizeof(int64_t));
    (void)job;
    *out = sl_operator_new(&win_vt, a, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
