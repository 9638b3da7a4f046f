/* runtime/op_join.c — the regular (unbounded) streaming join: INNER, LEFT, RIGHT, FULL OUTER on
 * equi-keys plus a residual condition, over insert-only or updating inputs, with both sides kept
 * in keyed state (state/state.h). The algorithm and the emitted row kinds are Flink's
 * StreamingJoinOperator's, so outputs (including the -D/+I of null-padded rows as matches come and
 * go on an outer side) are the same row for row.
 *
 * State: per side and join key, one value holding the list of that side's rows with the key
 * (so a record costs a point lookup of each side's list and one write, never an iterator). Each
 * entry: count | assoc | written-at | user key | row, where the user key identifies the row —
 *   no unique key            the whole row (canonical bytes): duplicates share an entry (count)
 *   a unique key             the unique key's bytes: a new row replaces the old one
 *   unique key in join key   nothing: the list holds one row
 * count = how many times the row is present; assoc = on an outer side, how many rows of the other
 * side it currently matches (0 = it is out as a null-padded row); written-at drives
 * table.exec.state.ttl per row (the state's own TTL expires whole lists). Rows whose join key has
 * a NULL never match and are not stored (an outer side emits/retracts them null-padded at once).
 *
 * SEMI and ANTI (Flink's LeftSemiJoin / LeftAntiJoin, planned from IN / EXISTS subqueries and
 * INTERSECT / EXCEPT) emit left rows only, as Flink's StreamingSemiAntiJoinOperator: the left side
 * is kept with assoc = how many right rows (counting duplicates) it matches; a left row goes out
 * (SEMI) when it arrives matched or when its first match arrives (+I), and is retracted when its
 * last match leaves (-D); ANTI the other way round. The right side is kept as a multiset (or by its
 * unique key), so an updating right input retracts exactly what it added. A left row whose key has
 * a NULL never matches (ANTI passes it on at once); NOT IN's null-aware semantics come from the
 * planner's residual (OR(=(a, b), IS NULL(a), IS NULL(b)), no keys). INTERSECT ALL / EXCEPT ALL
 * (set_all) count each row's copies on both sides instead (set_all_process). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mem.h"
#include "common/clock.h"
#include "runtime/kcache.h"
#include "runtime/keyed.h"
#include "runtime/ops.h"
#include "runtime/task.h"

enum { LAYOUT_MULTISET, LAYOUT_UNIQUE, LAYOUT_KEY_UNIQUE };

typedef struct side {
    const sql_type *row;
    int nf;
    sl_phys *phys;
    int nkeys;
    int *keys;
    sl_phys *key_phys;
    int nuk;
    int *uk;
    sl_phys *uk_phys;
    int layout;
    bool outer; /* rows of this side are kept when unmatched (LEFT: the left side) */
    int sid;
    int64_t hint_ttl_ms; /* the STATE_TTL hint for this input, 0 = none */
    int64_t ttl_ms;      /* in force: the hint, else table.exec.state.ttl (0 = forever) */
} side;

/* One row of a side's list for the current join key (offsets into the list's aligned buffer). */
typedef struct entry {
    uint32_t count, assoc, uklen, rowlen;
    int64_t ts;
    size_t uk_off, row_off;
    bool removed;
} entry;

/* A side's rows under one join key, loaded from the state (one value per key). Value layout:
 * entries of [count u32][assoc u32][uklen u32][rowlen u32][written ms i64] [ukey, padded to 8]
 * [row, padded to 8]; rows stay 8-aligned in the loaded copy. */
typedef struct list {
    sl_bytes buf;
    entry *e;
    int n, cap;
    bool dirty;
} list;

typedef struct join {
    side s[2];
    sl_expr *residual; /* over left ++ right, or NULL */
    int max_parallelism;
    int64_t (*clock)(void *);
    void *clock_ctx;
    sl_state *st;
    sl_kcache *cache; /* in front of RocksDB; NULL for the hashmap backend */
    sl_bytes key, ukey, val, in_copy;
    bool semi, anti;    /* a SEMI / ANTI join: the output is the left row */
    bool null_safe;     /* NULL keys match NULL keys (IS NOT DISTINCT FROM: INTERSECT / EXCEPT) */
    bool set_all;       /* INTERSECT ALL (SEMI) / EXCEPT ALL (ANTI): keys are every column; see set_all_process */
    list l[2];          /* the current key's lists: own side, other side (by input index) */
    int *m;             /* associated entries of the other list */
    int nm, capm;
    sl_row_writer w, cond_w;
} join;

enum { ENTRY_HEADER = 24 };
/* table slots a changelog capture visits per record, and per millisecond timer (an idle join) */
enum { JOIN_CAPTURE_STEP = 1024, JOIN_CAPTURE_TIMER_STEP = 65536 };


static int64_t join_now(const join *j)
{
    if (j->clock) return j->clock(j->clock_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const uint8_t *joined(join *j, sl_row_writer *w, const uint8_t *left, const uint8_t *right, sl_row_kind kind)
{
    int nl = j->s[0].nf, nr = j->s[1].nf;
    sl_rw_begin(w, nl + nr, kind);
    for (int i = 0; i < nl; i++)
        if (left && !sl_row_is_null(left, i)) sl_rw_copy(w, i, left, i, j->s[0].phys[i]);
    for (int i = 0; i < nr; i++)
        if (right && !sl_row_is_null(right, i)) sl_rw_copy(w, nl + i, right, i, j->s[1].phys[i]);
    return sl_rw_finish(w);
}

static sl_status emit_pair(sl_operator *op, const uint8_t *in, const uint8_t *other, bool input_is_left, sl_row_kind kind,
                           sl_error *err)
{
    join *j = op->impl;
    const uint8_t *r = input_is_left ? joined(j, &j->w, in, other, kind) : joined(j, &j->w, other, in, kind);
    return sl_op_emit(op, r, err);
}

static const uint8_t *entry_row(const list *l, const entry *e) { return l->buf.p + e->row_off; }

static entry *list_push(list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->e = sl_xrealloc(l->e, sizeof(entry) * (size_t)l->cap);
    }
    entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Loads side s's list for the current key into l; entries past the TTL are dropped. */
static sl_status list_load(join *j, const side *s, int kg, list *l, sl_error *err)
{
    l->n = 0;
    l->dirty = false;
    sl_bytes_reset(&l->buf);
    const void *v;
    size_t vn;
    bool found;
    sl_status st = j->cache ? sl_kcache_get(j->cache, s->sid, kg, j->key.p, j->key.n, &v, &vn, &found, err)
                            : sl_state_get(j->st, s->sid, kg, j->key.p, j->key.n, NULL, 0, &v, &vn, &found, err);
    if (st || !found) return st;
    sl_bytes_put(&l->buf, v, vn);
    int64_t oldest = s->ttl_ms > 0 ? join_now(j) - s->ttl_ms : INT64_MIN;
    for (size_t off = 0; off + ENTRY_HEADER <= vn;) {
        entry *e = list_push(l);
        memcpy(&e->count, l->buf.p + off, 4);
        memcpy(&e->assoc, l->buf.p + off + 4, 4);
        memcpy(&e->uklen, l->buf.p + off + 8, 4);
        memcpy(&e->rowlen, l->buf.p + off + 12, 4);
        memcpy(&e->ts, l->buf.p + off + 16, 8);
        e->uk_off = off + ENTRY_HEADER;
        e->row_off = e->uk_off + sl_pad8(e->uklen);
        off = e->row_off + sl_pad8(e->rowlen);
        if (off > vn) return sl_error_set(err, SL_ERR_STATE, "corrupt join state (entry past the end of its value)");
        if (e->ts < oldest) { /* expired (table.exec.state.ttl) */
            e->removed = true;
            l->dirty = true;
        }
    }
    return SL_OK;
}

/* Writes the live entries of l back (or deletes the key when none is left). */
static sl_status list_store(join *j, const side *s, int kg, const list *l, sl_error *err)
{
    sl_bytes_reset(&j->val);
    for (int k = 0; k < l->n; k++) {
        const entry *e = &l->e[k];
        if (e->removed) continue;
        sl_bytes_put(&j->val, &e->count, 4);
        sl_bytes_put(&j->val, &e->assoc, 4);
        sl_bytes_put(&j->val, &e->uklen, 4);
        sl_bytes_put(&j->val, &e->rowlen, 4);
        sl_bytes_put(&j->val, &e->ts, 8);
        sl_bytes_put_aligned(&j->val, l->buf.p + e->uk_off, e->uklen);
        sl_bytes_put_aligned(&j->val, l->buf.p + e->row_off, e->rowlen);
    }
    if (j->cache)
        return j->val.n ? sl_kcache_put(j->cache, s->sid, kg, j->key.p, j->key.n, j->val.p, j->val.n, err)
                        : sl_kcache_delete(j->cache, s->sid, kg, j->key.p, j->key.n, err);
    if (!j->val.n) return sl_state_delete(j->st, s->sid, kg, j->key.p, j->key.n, NULL, 0, err);
    return sl_state_put(j->st, s->sid, kg, j->key.p, j->key.n, NULL, 0, j->val.p, j->val.n, err);
}

/* The entries of the other side's list that satisfy the residual condition. */
static sl_status associated(join *j, const list *other, const uint8_t *in, bool input_is_left, sl_error *err)
{
    j->nm = 0;
    for (int k = 0; k < other->n; k++) {
        const entry *e = &other->e[k];
        if (e->removed) continue;
        if (j->residual) {
            const uint8_t *o = entry_row(other, e);
            const uint8_t *r =
                input_is_left ? joined(j, &j->cond_w, in, o, SL_ROW_INSERT) : joined(j, &j->cond_w, o, in, SL_ROW_INSERT);
            sl_val c;
            sl_expr_scratch_reset(j->residual);
            sl_status st = sl_expr_eval(j->residual, r, &c, err);
            if (st) return st;
            if (c.null || !c.i) continue;
        }
        if (j->nm == j->capm) {
            j->capm = j->capm ? j->capm * 2 : 16;
            j->m = sl_xrealloc(j->m, sizeof(int) * (size_t)j->capm);
        }
        j->m[j->nm++] = k;
    }
    return SL_OK;
}

/* The user key of a row of side s: its unique key's bytes (LAYOUT_UNIQUE), else nothing — rows of
 * a side without a unique key are told apart by their contents (canonical bytes, see find_entry). */
static void user_key(join *j, const side *s, const uint8_t *row)
{
    sl_bytes_reset(&j->ukey);
    if (s->layout == LAYOUT_UNIQUE) sl_key_encode(&j->ukey, row, s->uk, s->uk_phys, s->nuk);
}

/* The canonical bytes of a whole row (all fields) into b. */
static void row_bytes(const side *s, const uint8_t *row, sl_bytes *b)
{
    sl_bytes_reset(b);
    for (int f = 0; f < s->nf; f++) sl_key_encode(b, row, &f, &s->phys[f], 1);
}

/* The live entry of l for `row` of side s, or NULL: by unique key, or (no unique key) the entry
 * whose row has the same values. */
static entry *find_entry(join *j, const side *s, list *l, const uint8_t *row)
{
    if (s->layout == LAYOUT_MULTISET) row_bytes(s, row, &j->ukey);
    for (int k = 0; k < l->n; k++) {
        entry *e = &l->e[k];
        if (e->removed) continue;
        if (s->layout != LAYOUT_MULTISET) {
            if (e->uklen == j->ukey.n && memcmp(l->buf.p + e->uk_off, j->ukey.p, j->ukey.n) == 0) return e;
            continue;
        }
        row_bytes(s, entry_row(l, e), &j->val);
        if (j->val.n == j->ukey.n && memcmp(j->val.p, j->ukey.p, j->ukey.n) == 0) return e;
    }
    return NULL;
}

/* Adds a row to its side's list (assoc: its number of associations, for an outer side). The row
 * is appended to the list's buffer (entries refer to it by offset, so growing is safe). */
static void add_record(join *j, const side *s, list *l, const uint8_t *row, uint32_t assoc)
{
    /* a side without a unique key appends (an equal row already there is a separate entry: the
     * same multiset, and no search on the hot path); a unique key replaces its old row */
    entry *old = s->layout == LAYOUT_UNIQUE ? (user_key(j, s, row), find_entry(j, s, l, row)) : NULL;
    if (s->layout != LAYOUT_UNIQUE) sl_bytes_reset(&j->ukey);
    if (s->layout == LAYOUT_KEY_UNIQUE)
        for (int k = 0; k < l->n; k++) l->e[k].removed = true;
    l->dirty = true;
    if (old) old->removed = true; /* a unique key: the new row replaces the old one */
    sl_bytes_put_aligned(&l->buf, NULL, 0);
    entry *e = list_push(l);
    e->count = 1;
    e->assoc = assoc;
    e->ts = s->ttl_ms > 0 ? join_now(j) : 0;
    e->uklen = (uint32_t)j->ukey.n;
    e->uk_off = l->buf.n;
    sl_bytes_put_aligned(&l->buf, j->ukey.p, j->ukey.n);
    e->rowlen = sl_row_len(row);
    e->row_off = l->buf.n;
    sl_bytes_put_aligned(&l->buf, row, e->rowlen);
}

/* Removes one copy of a row from its side's list; false if it was not there. */
static bool retract_record(join *j, const side *s, list *l, const uint8_t *row)
{
    user_key(j, s, row);
    entry *e = s->layout == LAYOUT_KEY_UNIQUE ? NULL : find_entry(j, s, l, row);
    if (s->layout == LAYOUT_KEY_UNIQUE)
        for (int k = 0; k < l->n && !e; k++) e = l->e[k].removed ? NULL : &l->e[k];
    if (!e) return false; /* retracting what is not there: ignored, as Flink */
    l->dirty = true;
    if (s->layout == LAYOUT_MULTISET && e->count > 1) e->count--;
    else e->removed = true;
    return true;
}

/* The associated rows of an outer other side gain a match: a row that had none is retracted as
 * null-padded — once per copy of it (a row present n times went out n times). */
static sl_status other_gains_match(sl_operator *op, list *other, bool is_left, sl_error *err)
{
    join *j = op->impl;
    sl_status st;
    for (int k = 0; k < j->nm; k++) {
        entry *e = &other->e[j->m[k]];
        for (uint32_t c = 0; e->assoc == 0 && c < e->count; c++)
            if ((st = emit_pair(op, NULL, entry_row(other, e), is_left, SL_ROW_DELETE, err))) return st;
        e->assoc++;
        other->dirty = true;
    }
    return SL_OK;
}

static sl_status emit_matches(sl_operator *op, list *other, const uint8_t *in, bool is_left, sl_row_kind kind, sl_error *err)
{
    join *j = op->impl;
    sl_status st;
    for (int k = 0; k < j->nm; k++) {
        const entry *e = &other->e[j->m[k]];
        for (uint32_t c = 0; c < e->count; c++)
            if ((st = emit_pair(op, in, entry_row(other, e), is_left, kind, err))) return st;
    }
    return SL_OK;
}

/* A left row, alone, with the given kind (a SEMI / ANTI join's output). */
static sl_status emit_left(sl_operator *op, const uint8_t *left, sl_row_kind kind, sl_error *err)
{
    join *j = op->impl;
    sl_rw_begin(&j->w, j->s[0].nf, kind);
    for (int i = 0; i < j->s[0].nf; i++)
        if (!sl_row_is_null(left, i)) sl_rw_copy(&j->w, i, left, i, j->s[0].phys[i]);
    return sl_op_emit(op, sl_rw_finish(&j->w), err);
}

/* A side's copies of the current key's row (the key is every column: every entry is that row). */
static uint64_t copies(const list *l)
{
    uint64_t n = 0;
    for (int k = 0; k < l->n; k++)
        if (!l->e[k].removed) n += l->e[k].count;
    return n;
}

/* How many copies INTERSECT ALL (min) / EXCEPT ALL (the excess of the left) outputs. */
static uint64_t set_all_out(const join *j, uint64_t left, uint64_t right)
{
    if (j->semi) return left < right ? left : right;
    return left > right ? left - right : 0;
}

/* INTERSECT ALL / EXCEPT ALL: the key is the whole row; each side's copies of it are counted and
 * the output follows the change in set_all_out (+I / -D of the row, once per copy). */
static sl_status set_all_process(sl_operator *op, int input, const uint8_t *copy, bool accumulate, int kg, sl_error *err)
{
    join *j = op->impl;
    side *in = &j->s[input], *other = &j->s[1 - input];
    list *own = &j->l[0], *oth = &j->l[1];
    sl_status st;
    if ((st = list_load(j, other, kg, oth, err)) || (st = list_load(j, in, kg, own, err))) return st;
    uint64_t n[2];
    n[input] = copies(own);
    n[1 - input] = copies(oth);
    uint64_t before = set_all_out(j, n[0], n[1]);
    if (accumulate) add_record(j, in, own, copy, 0);
    else if (!retract_record(j, in, own, copy)) return SL_OK; /* not there: changes nothing */
    n[input] = copies(own);
    uint64_t after = set_all_out(j, n[0], n[1]);
    for (uint64_t c = before; c < after; c++)
        if ((st = emit_left(op, copy, SL_ROW_INSERT, err))) return st;
    for (uint64_t c = after; c < before; c++)
        if ((st = emit_left(op, copy, SL_ROW_DELETE, err))) return st;
    if (oth->dirty && (st = list_store(j, other, kg, oth, err))) return st;
    if (own->dirty && (st = list_store(j, in, kg, own, err))) return st;
    return SL_OK;
}

/* SEMI / ANTI: see the top of the file. `kind` is the input's row kind, `copy` its +I copy. */
static sl_status semi_process(sl_operator *op, int input, const uint8_t *copy, sl_row_kind kind, int kg, sl_error *err)
{
    join *j = op->impl;
    side *in = &j->s[input], *other = &j->s[1 - input];
    list *own = &j->l[0], *oth = &j->l[1];
    bool accumulate = kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER;
    sl_status st;
    if (j->set_all) return set_all_process(op, input, copy, accumulate, kg, err);
    if ((st = list_load(j, other, kg, oth, err)) || (st = list_load(j, in, kg, own, err))) return st;
    if ((st = associated(j, oth, copy, input == 0, err))) return st;
    if (input == 0) {
        uint64_t total = 0; /* matching right rows, counting duplicates */
        for (int k = 0; k < j->nm; k++) total += oth->e[j->m[k]].count;
        bool out = j->semi == (total > 0); /* the row is (or was) in the output */
        if (accumulate) add_record(j, in, own, copy, (uint32_t)total);
        else retract_record(j, in, own, copy); /* (gone by TTL: still retracted, as Flink) */
        if (out && (st = emit_left(op, copy, kind, err))) return st;
    } else {
        if (accumulate && in->layout != LAYOUT_MULTISET) {
            /* a right row replacing the one with its unique key (an upsert without -U): the old
             * row's matches end first */
            entry *old = NULL;
            if (in->layout == LAYOUT_UNIQUE) user_key(j, in, copy), old = find_entry(j, in, own, copy);
            for (int k = 0; k < own->n && !old && in->layout == LAYOUT_KEY_UNIQUE; k++) old = own->e[k].removed ? NULL : &own->e[k];
            if (old) {
                if ((st = associated(j, oth, entry_row(own, old), false, err))) return st;
                for (int k = 0; k < j->nm; k++) {
                    entry *e = &oth->e[j->m[k]];
                    for (uint32_t c = 0; e->assoc == 1 && c < e->count; c++)
                        if ((st = emit_left(op, entry_row(oth, e), j->semi ? SL_ROW_DELETE : SL_ROW_INSERT, err))) return st;
                    if (e->assoc > 0) e->assoc--;
                    oth->dirty = true;
                }
                if ((st = associated(j, oth, copy, false, err))) return st;
            }
        }
        if (accumulate) add_record(j, in, own, copy, 0);
        else if (!retract_record(j, in, own, copy)) j->nm = 0; /* not there: changes nothing */
        for (int k = 0; k < j->nm; k++) {
            entry *e = &oth->e[j->m[k]];
            /* its first match arrives / its last match leaves: every copy of the left row goes in
             * or out (SEMI), out or in (ANTI) */
            bool flip = accumulate ? e->assoc == 0 : e->assoc == 1;
            sl_row_kind out = (j->semi == accumulate) ? SL_ROW_INSERT : SL_ROW_DELETE;
            for (uint32_t c = 0; flip && c < e->count; c++)
                if ((st = emit_left(op, entry_row(oth, e), out, err))) return st;
            if (accumulate) e->assoc++;
            else if (e->assoc > 0) e->assoc--;
            oth->dirty = true;
        }
    }
    if (oth->dirty && (st = list_store(j, other, kg, oth, err))) return st;
    if (own->dirty && (st = list_store(j, in, kg, own, err))) return st;
    return SL_OK;
}

static sl_status join_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    join *j = op->impl;
    side *in = &j->s[input], *other = &j->s[1 - input];
    list *own = &j->l[0], *oth = &j->l[1];
    bool is_left = input == 0;
    sl_row_kind kind = sl_row_get_kind(row);
    bool accumulate = kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER;
    sl_status st;
    /* a checkpoint's changelog capture goes on a little with every record (see join_on_timer) */
    if (j->cache && sl_kcache_capturing(j->cache)) sl_kcache_capture_step(j->cache, JOIN_CAPTURE_STEP);
    if (!j->null_safe && sl_key_has_null(row, in->keys, in->nkeys)) { /* never matches, never stored */
        if (j->anti && is_left) return emit_left(op, row, kind, err);
        if (!in->outer) return SL_OK;
        return emit_pair(op, row, NULL, is_left, accumulate ? SL_ROW_INSERT : SL_ROW_DELETE, err);
    }
    if (!j->key.p) sl_bytes_put(&j->key, "", 1); /* no keys (one list for all rows): an empty key, but a valid pointer */
    sl_bytes_reset(&j->key);
    sl_key_encode(&j->key, row, in->keys, in->key_phys, in->nkeys);
    int kg = sl_row_key_group(row, in->keys, in->key_phys, in->nkeys, j->max_parallelism);
    /* a private, aligned copy of the input with kind +I (the state and the outputs use it) */
    uint32_t len = sl_row_len(row);
    sl_bytes_reset(&j->in_copy);
    sl_bytes_put_aligned(&j->in_copy, row, len);
    uint8_t *copy = j->in_copy.p;
    sl_row_set_kind(copy, SL_ROW_INSERT);
    if (j->semi || j->anti) return semi_process(op, input, copy, kind, kg, err);
    if ((st = list_load(j, other, kg, oth, err)) || (st = list_load(j, in, kg, own, err))) return st;
    if ((st = associated(j, oth, copy, is_left, err))) return st;
    uint64_t total = 0; /* associated rows, counting duplicates */
    for (int k = 0; k < j->nm; k++) total += oth->e[j->m[k]].count;

    if (accumulate) {
        if (in->outer) {
            if (j->nm == 0) {
                if ((st = emit_pair(op, copy, NULL, is_left, SL_ROW_INSERT, err))) return st;
            } else {
                if (other->outer && (st = other_gains_match(op, oth, is_left, err))) return st;
                if ((st = emit_matches(op, oth, copy, is_left, SL_ROW_INSERT, err))) return st;
            }
            add_record(j, in, own, copy, (uint32_t)total);
        } else {
            add_record(j, in, own, copy, 0);
            if (j->nm > 0) {
                sl_row_kind out_kind = kind;
                if (other->outer) {
                    if ((st = other_gains_match(op, oth, is_left, err))) return st;
                    out_kind = SL_ROW_INSERT;
                }
                if ((st = emit_matches(op, oth, copy, is_left, out_kind, err))) return st;
            }
        }
    } else {
        retract_record(j, in, own, copy);
        if (j->nm == 0) {
            if (in->outer && (st = emit_pair(op, copy, NULL, is_left, SL_ROW_DELETE, err))) return st;
        } else {
            if ((st = emit_matches(op, oth, copy, is_left, in->outer ? SL_ROW_DELETE : kind, err))) return st;
            if (other->outer)
                for (int k = 0; k < j->nm; k++) {
                    entry *e = &oth->e[j->m[k]];
                    /* its last match left: every copy of the row goes out null-padded again */
                    for (uint32_t c = 0; e->assoc == 1 && c < e->count; c++)
                        if ((st = emit_pair(op, NULL, entry_row(oth, e), is_left, SL_ROW_INSERT, err))) return st;
                    if (e->assoc > 0) e->assoc--;
                    oth->dirty = true;
                }
        }
    }
    if (oth->dirty && (st = list_store(j, other, kg, oth, err))) return st;
    if (own->dirty && (st = list_store(j, in, kg, own, err))) return st;
    return SL_OK;
}

static sl_status join_open(sl_operator *op, sl_error *err)
{
    join *j = op->impl;
    j->max_parallelism = sl_task_max_parallelism(op->task);
    sl_job_context *job = sl_task_job(op->task);
    for (int i = 0; i < 2; i++) j->s[i].ttl_ms = j->s[i].hint_ttl_ms ? j->s[i].hint_ttl_ms : job->state_ttl_ms;
    j->clock = job->state_clock;
    j->clock_ctx = job->state_clock_ctx;
    /* the store expires whole lists only when both sides' rows expire (the longer TTL); the rows
     * themselves expire by their own side's TTL when a list is read */
    int64_t store_ttl = j->s[0].ttl_ms > 0 && j->s[1].ttl_ms > 0
                            ? (j->s[0].ttl_ms > j->s[1].ttl_ms ? j->s[0].ttl_ms : j->s[1].ttl_ms)
                            : 0;
    return sl_op_state_open_cached(op, store_ttl, &j->st, &j->cache, err);
}

static void free_side(side *s)
{
    free(s->phys);
    free(s->keys);
    free(s->key_phys);
    free(s->uk);
    free(s->uk_phys);
}

static void join_close(sl_operator *op)
{
    join *j = op->impl;
    if (!j) return;
    if (j->cache && getenv("SLUICE_DEBUG_CACHE")) { /* for benchmarks: how the state cache did */
        sl_kcache_stats cs;
        sl_kcache_get_stats(j->cache, &cs);
        fprintf(stderr,
                "cache: hits %llu misses %llu store_reads %llu pending_reads %llu evictions %llu writes %llu write_waits %llu "
                "captured %llu changelog_bytes %llu bytes %llu entries %llu\n",
                (unsigned long long)cs.hits, (unsigned long long)cs.misses, (unsigned long long)cs.store_reads,
                (unsigned long long)cs.pending_reads,
                (unsigned long long)cs.evictions, (unsigned long long)cs.store_writes, (unsigned long long)cs.write_waits,
                (unsigned long long)cs.captured, (unsigned long long)cs.changelog_bytes, (unsigned long long)cs.bytes,
                (unsigned long long)cs.entries);
    }
    sl_kcache_destroy(j->cache);
    if (j->st) sl_state_close(j->st);
    for (int i = 0; i < 2; i++) free_side(&j->s[i]);
    sl_expr_free(j->residual);
    sl_bytes_free(&j->key);
    sl_bytes_free(&j->ukey);
    sl_bytes_free(&j->val);
    sl_bytes_free(&j->in_copy);
    for (int i = 0; i < 2; i++) {
        sl_bytes_free(&j->l[i].buf);
        free(j->l[i].e);
    }
    free(j->m);
    sl_rw_free(&j->w);
    sl_rw_free(&j->cond_w);
    free(j);
    op->impl = NULL;
}

/* The capture of a checkpoint's changelog goes on between records too, so that it ends while the
 * inputs are idle: every millisecond a larger step, until it is over. */
static sl_status join_on_timer(sl_operator *op, int64_t when_ms, sl_error *err)
{
    (void)err;
    (void)when_ms;
    join *j = op->impl;
    if (!j->cache || !sl_kcache_capturing(j->cache)) return SL_OK;
    sl_kcache_capture_step(j->cache, JOIN_CAPTURE_TIMER_STEP);
    if (sl_kcache_capturing(j->cache)) sl_op_register_proctime_timer(op, sl_wall_ms() + 1);
    return SL_OK;
}

static sl_status join_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    join *j = op->impl;
    *out = NULL;
    bool was = j->cache && sl_kcache_capturing(j->cache);
    sl_status st = sl_op_state_snapshot(j->st, j->cache, ctx, err);
    if (!st && !was && j->cache && sl_kcache_capturing(j->cache)) sl_op_register_proctime_timer(op, sl_wall_ms() + 1);
    return st;
}

/* End of input: a capture still running ends now (no more records or timers to carry it). */
static sl_status join_finish(sl_operator *op, sl_error *err)
{
    (void)err;
    join *j = op->impl;
    if (j->cache) sl_kcache_capture_finish(j->cache);
    return SL_OK;
}

static sl_status join_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    join *j = op->impl;
    return sl_op_state_restore(j->st, j->cache, ctx, err);
}

static const sl_op_vtable join_vt = {.name = "Join",
                                     .open = join_open,
                                     .process = join_process,
                                     .close = join_close,
                                     .finish = join_finish,
                                     .on_timer = join_on_timer,
                                     .snapshot = join_snapshot,
                                     .restore = join_restore};

static int *ints_of(const json_t *a, int *n)
{
    *n = (int)json_array_size(a);
    int *v = sl_xcalloc((size_t)(*n ? *n : 1), sizeof(int));
    for (int i = 0; i < *n; i++) v[i] = (int)json_integer_value(json_array_get(a, (size_t)i));
    return v;
}

static sl_phys *phys_of_fields(const sql_type *row, const int *f, int n)
{
    sl_phys *p = sl_xcalloc((size_t)(n ? n : 1), sizeof(sl_phys));
    for (int i = 0; i < n; i++) p[i] = sl_phys_of(row->field_types[f ? f[i] : i]);
    return p;
}

sl_status sl_op_join_create(const json_t *spec, const sl_job_context *job, sl_arena *types, sl_operator **out, sl_error *err)
{
    const char *kind = json_string_value(json_object_get(spec, "join_type"));
    const sql_type *rows[2] = {sl_row_type_from_json(types, json_object_get(spec, "left"), err), NULL};
    if (rows[0]) rows[1] = sl_row_type_from_json(types, json_object_get(spec, "right"), err);
    const sql_type *outt = rows[1] ? sl_row_type_from_json(types, json_object_get(spec, "output"), err) : NULL;
    if (!outt || !kind) return err->code ? err->code : sl_error_set(err, SL_ERR_INTERNAL, "malformed join spec");
    join *j = sl_xcalloc(1, sizeof *j);
    static const char *const keyn[2] = {"left_keys", "right_keys"}, *const ukn[2] = {"left_unique", "right_unique"};
    for (int i = 0; i < 2; i++) {
        side *s = &j->s[i];
        s->row = rows[i];
        s->nf = rows[i]->nfields;
        s->phys = phys_of_fields(rows[i], NULL, s->nf);
        s->keys = ints_of(json_object_get(spec, keyn[i]), &s->nkeys);
        s->key_phys = phys_of_fields(rows[i], s->keys, s->nkeys);
        s->uk = ints_of(json_object_get(spec, ukn[i]), &s->nuk);
        s->uk_phys = phys_of_fields(rows[i], s->uk, s->nuk);
        s->sid = i;
        s->hint_ttl_ms = (int64_t)json_integer_value(json_object_get(spec, i == 0 ? "left_ttl_ms" : "right_ttl_ms"));
        s->layout = LAYOUT_MULTISET;
        if (s->nuk > 0) {
            bool in_key = true;
            for (int u = 0; u < s->nuk && in_key; u++) {
                bool found = false;
                for (int k = 0; k < s->nkeys; k++) found |= s->keys[k] == s->uk[u];
                in_key = found;
            }
            s->layout = in_key ? LAYOUT_KEY_UNIQUE : LAYOUT_UNIQUE;
        }
        for (int f = 0; f < s->nf; f++)
            if (s->phys[f] == SL_PHYS_UNSUPPORTED) {
                join_close(&(sl_operator){.impl = j});
                return sl_error_set(err, SL_ERR_UNSUPPORTED, "join input column '%s' has a type the runtime cannot hold yet",
                                    rows[i]->field_names[f]);
            }
    }
    j->semi = strcmp(kind, "SEMI") == 0;
    j->anti = strcmp(kind, "ANTI") == 0;
    j->null_safe = json_is_true(json_object_get(spec, "null_safe_keys"));
    j->set_all = json_is_true(json_object_get(spec, "set_all"));
    j->s[0].outer = strcmp(kind, "LEFT") == 0 || strcmp(kind, "FULL") == 0;
    j->s[1].outer = strcmp(kind, "RIGHT") == 0 || strcmp(kind, "FULL") == 0;
    const json_t *res = json_object_get(spec, "residual");
    if (res && !json_is_null(res)) {
        /* the residual condition reads left ++ right */
        sql_type *both = sl_arena_zalloc(types, sizeof *both);
        both->id = SQL_T_ROW;
        both->nfields = rows[0]->nfields + rows[1]->nfields;
        both->field_names = sl_arena_zalloc(types, sizeof(char *) * (size_t)(both->nfields ? both->nfields : 1));
        both->field_types = sl_arena_zalloc(types, sizeof(sql_type *) * (size_t)(both->nfields ? both->nfields : 1));
        for (int i = 0; i < both->nfields; i++) {
            const sql_type *r = i < rows[0]->nfields ? rows[0] : rows[1];
            int f = i < rows[0]->nfields ? i : i - rows[0]->nfields;
            both->field_names[i] = r->field_names[f];
            both->field_types[i] = r->field_types[f];
        }
        sl_expr_env env = sl_task_expr_env(job, 0);
        sl_status st = sl_expr_compile(res, both, &env, types, &j->residual, err);
        if (st) {
            join_close(&(sl_operator){.impl = j});
            return st;
        }
    }
    *out = sl_operator_new(&join_vt, j, NULL, NULL);
    (*out)->out_type = outt;
    return SL_OK;
}
