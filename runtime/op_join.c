/* runtime/op_join.c — the regular (unbounded) streaming join: INNER, LEFT, RIGHT, FULL OUTER on
 * equi-keys plus a residual condition, over insert-only or updating inputs, with both sides kept
 * in keyed state (state/state.h). The algorithm and the emitted row kinds are Flink's
 * StreamingJoinOperator's, so outputs (including the -D/+I of null-padded rows as matches come and
 * go on an outer side) are the same row for row.
 *
 * State per side, under (key group, join key):
 *   no unique key            user key = the whole row (canonical bytes), value = count | assoc | row
 *   a unique key             user key = the unique key's bytes,          value = 1 | assoc | row
 *   unique key in join key   user key = empty (one row per join key),   value = 1 | assoc | row
 * count = how many times the row is present; assoc = on an outer side, how many rows of the other
 * side it currently matches (0 = it is out as a null-padded row). Rows whose join key has a NULL
 * never match and are not stored (an outer side emits/retracts them null-padded at once). */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
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
} side;

/* One associated row of the other side, copied out of the state. */
typedef struct match {
    size_t row_off, row_len, uk_off, uk_len;
    uint32_t count, assoc;
} match;

typedef struct join {
    side s[2];
    sl_expr *residual; /* over left ++ right, or NULL */
    int max_parallelism;
    sl_state *st;
    sl_bytes key, ukey, val, scratch, joined_rows, in_copy;
    match *m;
    int nm, capm;
    sl_row_writer w, cond_w;
} join;

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

/* Rows are 8-byte aligned in memory; state values are not: copy a row out before reading it. */
static const uint8_t *match_row(join *j, const match *m) { return j->joined_rows.p + m->row_off; }

/* The rows of the other side under the same join key that satisfy the residual condition. */
static sl_status associated(join *j, const side *other, int kg, const uint8_t *in, bool input_is_left, sl_error *err)
{
    j->nm = 0;
    sl_bytes_reset(&j->joined_rows);
    sl_state_iter *it;
    sl_status st = sl_state_scan(j->st, other->sid, kg, j->key.p, j->key.n, &it, err);
    if (st) return st;
    const void *uk, *v;
    size_t ukn, vn;
    while (sl_state_iter_next(it, &uk, &ukn, &v, &vn)) {
        if (vn < 8) continue;
        /* pad the copy to 8 bytes so the next row stays aligned */
        size_t row_len = vn - 8, padded = (row_len + 7u) & ~(size_t)7u;
        match m;
        memcpy(&m.count, v, 4);
        memcpy(&m.assoc, (const uint8_t *)v + 4, 4);
        m.row_off = j->joined_rows.n;
        m.row_len = row_len;
        sl_bytes_put(&j->joined_rows, (const uint8_t *)v + 8, row_len);
        static const uint8_t zeros[8];
        sl_bytes_put(&j->joined_rows, zeros, padded - row_len);
        m.uk_off = j->joined_rows.n;
        m.uk_len = ukn;
        sl_bytes_put(&j->joined_rows, uk, ukn);
        sl_bytes_put(&j->joined_rows, zeros, ((ukn + 7u) & ~(size_t)7u) - ukn);
        if (j->nm == j->capm) {
            j->capm = j->capm ? j->capm * 2 : 16;
            j->m = sl_xrealloc(j->m, sizeof(match) * (size_t)j->capm);
        }
        j->m[j->nm++] = m;
    }
    st = sl_state_iter_error(it, err);
    sl_state_iter_free(it);
    if (st || !j->residual) return st;
    /* the residual condition, over left ++ right */
    int keep = 0;
    for (int k = 0; k < j->nm; k++) {
        const uint8_t *o = match_row(j, &j->m[k]);
        const uint8_t *r = input_is_left ? joined(j, &j->cond_w, in, o, SL_ROW_INSERT) : joined(j, &j->cond_w, o, in, SL_ROW_INSERT);
        sl_val c;
        sl_expr_scratch_reset(j->residual);
        if ((st = sl_expr_eval(j->residual, r, &c, err))) return st;
        if (!c.null && c.i) j->m[keep++] = j->m[k];
    }
    j->nm = keep;
    return SL_OK;
}

/* The user key of a row of side s (its canonical bytes, its unique key, or nothing). */
static void user_key(join *j, const side *s, const uint8_t *row)
{
    sl_bytes_reset(&j->ukey);
    if (s->layout == LAYOUT_MULTISET) {
        for (int f = 0; f < s->nf; f++) {
            int one[1] = {f};
            sl_key_encode(&j->ukey, row, one, &s->phys[f], 1);
        }
    } else if (s->layout == LAYOUT_UNIQUE) {
        sl_key_encode(&j->ukey, row, s->uk, s->uk_phys, s->nuk);
    }
}

static sl_status put_value(join *j, const side *s, int kg, const void *uk, size_t ukn, uint32_t count, uint32_t assoc, const uint8_t *row,
                           uint32_t row_len, sl_error *err)
{
    sl_bytes_reset(&j->val);
    sl_bytes_put(&j->val, &count, 4);
    sl_bytes_put(&j->val, &assoc, 4);
    sl_bytes_put(&j->val, row, row_len);
    return sl_state_put(j->st, s->sid, kg, j->key.p, j->key.n, uk, ukn, j->val.p, j->val.n, err);
}

/* Adds a row to its side's state (assoc: its number of associations, for an outer side). */
static sl_status add_record(join *j, const side *s, int kg, const uint8_t *row, uint32_t assoc, sl_error *err)
{
    user_key(j, s, row);
    uint32_t count = 1;
    if (s->layout == LAYOUT_MULTISET) {
        const void *v;
        size_t vn;
        bool found;
        sl_status st = sl_state_get(j->st, s->sid, kg, j->key.p, j->key.n, j->ukey.p, j->ukey.n, &v, &vn, &found, err);
        if (st) return st;
        if (found && vn >= 4) {
            memcpy(&count, v, 4);
            count++;
        }
    }
    return put_value(j, s, kg, j->ukey.p, j->ukey.n, count, assoc, row, sl_row_len(row), err);
}

static sl_status retract_record(join *j, const side *s, int kg, const uint8_t *row, sl_error *err)
{
    user_key(j, s, row);
    if (s->layout == LAYOUT_MULTISET) {
        const void *v;
        size_t vn;
        bool found;
        sl_status st = sl_state_get(j->st, s->sid, kg, j->key.p, j->key.n, j->ukey.p, j->ukey.n, &v, &vn, &found, err);
        if (st) return st;
        if (!found || vn < 8) return SL_OK; /* retracting what is not there: ignored, as Flink */
        uint32_t count, assoc;
        memcpy(&count, v, 4);
        memcpy(&assoc, (const uint8_t *)v + 4, 4);
        if (count > 1) {
            sl_bytes_reset(&j->scratch);
            sl_bytes_put(&j->scratch, (const uint8_t *)v + 8, vn - 8);
            return put_value(j, s, kg, j->ukey.p, j->ukey.n, count - 1, assoc, j->scratch.p, (uint32_t)(vn - 8), err);
        }
    }
    return sl_state_delete(j->st, s->sid, kg, j->key.p, j->key.n, j->ukey.p, j->ukey.n, err);
}

static sl_status update_assoc(join *j, const side *s, int kg, const match *m, uint32_t assoc, sl_error *err)
{
    return put_value(j, s, kg, j->joined_rows.p + m->uk_off, m->uk_len, m->count, assoc, match_row(j, m), (uint32_t)m->row_len, err);
}

/* The associated rows of an outer other side gain a match: a row that had none is retracted as
 * null-padded — once per copy of it (a row present n times went out n times). */
static sl_status other_gains_match(sl_operator *op, const side *other, int kg, bool is_left, sl_error *err)
{
    join *j = op->impl;
    sl_status st;
    for (int k = 0; k < j->nm; k++) {
        for (uint32_t c = 0; j->m[k].assoc == 0 && c < j->m[k].count; c++)
            if ((st = emit_pair(op, NULL, match_row(j, &j->m[k]), is_left, SL_ROW_DELETE, err))) return st;
        if ((st = update_assoc(j, other, kg, &j->m[k], j->m[k].assoc + 1, err))) return st;
    }
    return SL_OK;
}

static sl_status join_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    join *j = op->impl;
    side *in = &j->s[input], *other = &j->s[1 - input];
    bool is_left = input == 0;
    sl_row_kind kind = sl_row_get_kind(row);
    bool accumulate = kind == SL_ROW_INSERT || kind == SL_ROW_UPDATE_AFTER;
    sl_status st;
    if (sl_key_has_null(row, in->keys, in->nkeys)) { /* never matches, never stored */
        if (!in->outer) return SL_OK;
        return emit_pair(op, row, NULL, is_left, accumulate ? SL_ROW_INSERT : SL_ROW_DELETE, err);
    }
    uint32_t len = sl_row_len(row);
    sl_bytes_reset(&j->key);
    sl_key_encode(&j->key, row, in->keys, in->key_phys, in->nkeys);
    int kg = sl_row_key_group(row, in->keys, in->key_phys, in->nkeys, j->max_parallelism);
    if ((st = associated(j, other, kg, row, is_left, err))) return st;
    /* a private, aligned copy of the input with kind +I (the state and the outputs use it) */
    static const uint8_t zeros[8];
    sl_bytes_reset(&j->in_copy);
    sl_bytes_put(&j->in_copy, row, len);
    sl_bytes_put(&j->in_copy, zeros, ((len + 7u) & ~7u) - len);
    uint8_t *copy = j->in_copy.p;
    sl_row_set_kind(copy, SL_ROW_INSERT);
    uint64_t total = 0; /* associated rows, counting duplicates */
    for (int k = 0; k < j->nm; k++) total += j->m[k].count;

    if (accumulate) {
        if (in->outer) {
            if (j->nm == 0) {
                if ((st = emit_pair(op, copy, NULL, is_left, SL_ROW_INSERT, err))) return st;
                return add_record(j, in, kg, copy, 0, err);
            }
            if (other->outer && (st = other_gains_match(op, other, kg, is_left, err))) return st;
            for (int k = 0; k < j->nm; k++)
                for (uint32_t c = 0; c < j->m[k].count; c++)
                    if ((st = emit_pair(op, copy, match_row(j, &j->m[k]), is_left, SL_ROW_INSERT, err))) return st;
            return add_record(j, in, kg, copy, (uint32_t)total, err);
        }
        if ((st = add_record(j, in, kg, copy, 0, err))) return st;
        if (j->nm == 0) return SL_OK;
        sl_row_kind out_kind = kind;
        if (other->outer) {
            if ((st = other_gains_match(op, other, kg, is_left, err))) return st;
            out_kind = SL_ROW_INSERT;
        }
        for (int k = 0; k < j->nm; k++)
            for (uint32_t c = 0; c < j->m[k].count; c++)
                if ((st = emit_pair(op, copy, match_row(j, &j->m[k]), is_left, out_kind, err))) return st;
        return SL_OK;
    }
    /* retraction */
    if ((st = retract_record(j, in, kg, copy, err))) return st;
    if (j->nm == 0) return in->outer ? emit_pair(op, copy, NULL, is_left, SL_ROW_DELETE, err) : SL_OK;
    sl_row_kind out_kind = in->outer ? SL_ROW_DELETE : kind;
    for (int k = 0; k < j->nm; k++)
        for (uint32_t c = 0; c < j->m[k].count; c++)
            if ((st = emit_pair(op, copy, match_row(j, &j->m[k]), is_left, out_kind, err))) return st;
    if (other->outer)
        for (int k = 0; k < j->nm; k++) {
            /* its last match left: every copy of the row goes out null-padded again */
            for (uint32_t c = 0; j->m[k].assoc == 1 && c < j->m[k].count; c++)
                if ((st = emit_pair(op, NULL, match_row(j, &j->m[k]), is_left, SL_ROW_INSERT, err))) return st;
            if ((st = update_assoc(j, other, kg, &j->m[k], j->m[k].assoc - 1, err))) return st;
        }
    return SL_OK;
}

static sl_status join_open(sl_operator *op, sl_error *err)
{
    join *j = op->impl;
    j->max_parallelism = sl_task_max_parallelism(op->task);
    return sl_op_state_open(op, &j->st, err);
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
    if (j->st) sl_state_close(j->st);
    for (int i = 0; i < 2; i++) free_side(&j->s[i]);
    sl_expr_free(j->residual);
    sl_bytes_free(&j->key);
    sl_bytes_free(&j->ukey);
    sl_bytes_free(&j->val);
    sl_bytes_free(&j->scratch);
    sl_bytes_free(&j->joined_rows);
    sl_bytes_free(&j->in_copy);
    free(j->m);
    sl_rw_free(&j->w);
    sl_rw_free(&j->cond_w);
    free(j);
    op->impl = NULL;
}

static const sl_op_vtable join_vt = {.name = "Join", .open = join_open, .process = join_process, .close = join_close};

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
