/* connectors/datagen.c — the 'datagen' source, with Flink's options:
 *   rows-per-second (10000, for the whole source; split evenly over its subtasks)
 *   number-of-rows (unbounded when absent; split over subtasks)
 *   fields.<f>.kind random | sequence (random)
 *   fields.<f>.min / .max (random numbers; default the type's range), .length (random strings and
 *   bytes, 100), .max-past (random DATE/TIME/TIMESTAMP: now minus up to this, 0), .null-rate (0),
 *   .start / .end (sequence: required; the range is split over subtasks and the source ends
 *   when it is exhausted)
 * plus Sluice's `seed`: the same seed gives the same rows (except time values, which follow the
 * clock), so a run can be reproduced.
 * Random strings are hex digits, as Flink's.
 *
 * Checkpoints (operator.h): a subtask's state is its position: the remaining ranges of each
 * sequence field, the rows it has left and the state of its random generator. Restored at the
 * same parallelism every subtask resumes exactly where its old self was (the same rows follow,
 * time values aside); at another parallelism the remaining sequence values of all old subtasks
 * and the remaining rows are re-split over the new subtasks (no value skipped or repeated), and
 * random fields continue with a new stream derived from the seed, the checkpoint id and the
 * subtask. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/mem.h"
#include "common/strbuf.h"
#include "common/units.h"
#include "connectors/connector.h"
#include "runtime/ops.h"
#include "runtime/task.h"

static const char *const kinds[] = {"random", "sequence", NULL};

static const sl_option datagen_opts[] = {
    {"rows-per-second", SL_OPT_LONG, "10000", NULL, NULL, NULL, SL_RANGE_POSITIVE, 0, "Rows per second the source emits (all subtasks together)."},
    {"number-of-rows", SL_OPT_LONG, NULL, NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "Total rows to emit; unbounded when not set."},
    {"seed", SL_OPT_LONG, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Sluice: seed of the random generators (reproducible runs)."},
};

static const sl_option field_opts[] = {
    {"kind", SL_OPT_ENUM, "random", kinds, NULL, NULL, SL_RANGE_ANY, 0, "Generator: random or sequence."},
    {"min", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Smallest random value (numbers)."},
    {"max", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Largest random value (numbers)."},
    {"max-past", SL_OPT_DURATION, "0", NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "Random times: at most this far in the past."},
    {"length", SL_OPT_INT, "100", NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "Random strings and bytes: length."},
    {"start", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Sequence: first value."},
    {"end", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Sequence: last value."},
    {"null-rate", SL_OPT_DOUBLE, "0", NULL, NULL, NULL, SL_RANGE_FRACTION_INCL, 0, "Fraction of NULL values."},
};

enum { NFIELD_OPTS = sizeof field_opts / sizeof field_opts[0] };

/* The value of fields.<col>.<suffix>, or NULL. */
static const char *field_get(const sl_kv *opts, int nopts, const char *col, const char *suffix, int *index)
{
    char key[512];
    snprintf(key, sizeof key, "fields.%s.%s", col, suffix);
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].key, key) == 0) {
            if (index) *index = i;
            return opts[i].value;
        }
    return NULL;
}

static bool is_integral(const sql_type *t)
{
    return t->id == SQL_T_TINYINT || t->id == SQL_T_SMALLINT || t->id == SQL_T_INT || t->id == SQL_T_BIGINT;
}
static bool is_float(const sql_type *t) { return t->id == SQL_T_FLOAT || t->id == SQL_T_DOUBLE; }
static bool is_string(const sql_type *t) { return t->id == SQL_T_CHAR || t->id == SQL_T_VARCHAR; }
static bool is_bytes(const sql_type *t) { return t->id == SQL_T_BINARY || t->id == SQL_T_VARBINARY; }
/* string sequences count as BIGINT */
static const sql_type bigint_type = {.id = SQL_T_BIGINT, .nullable = true, .precision = -1, .scale = -1};

static void int_range(const sql_type *t, int64_t *lo, int64_t *hi)
{
    switch (t->id) {
    case SQL_T_TINYINT: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case SQL_T_SMALLINT: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case SQL_T_INT: *lo = INT32_MIN, *hi = INT32_MAX; break;
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
    }
}

static int64_t pow10i(int n)
{
    int64_t p = 1;
    while (n-- > 0) p *= 10;
    return p;
}

static sl_status bad_value(sl_error *err, int *bad, int index, const char *key, const char *value, const char *why)
{
    *bad = index;
    return sl_error_set(err, SL_ERR_VALIDATION, "Invalid value for option '%s': '%s' (%s).", key, value, why);
}

/* Parses a number option of a field: integral types and DECIMAL as int64 (DECIMAL unscaled),
 * floats as double. */
static bool parse_num(const sql_type *t, const char *s, int64_t *iv, double *dv)
{
    char why[128];
    if (is_float(t)) return sl_parse_double(s, dv, why, sizeof why);
    if (t->id == SQL_T_DECIMAL) {
        double d;
        if (!sl_parse_double(s, &d, why, sizeof why)) return false;
        *iv = (int64_t)llround(d * (double)pow10i(t->scale > 0 ? t->scale : 0));
        return true;
    }
    int64_t lo, hi;
    int_range(t, &lo, &hi);
    return sl_parse_long(s, lo, hi, iv, why, sizeof why);
}

static sl_status datagen_check(const sl_kv *opts, int nopts, const sql_type *row, bool as_source, sl_strbuf *warnings, int *bad,
                               sl_error *err)
{
    for (int f = 0; f < row->nfields; f++) {
        const sql_type *t = row->field_types[f];
        const char *col = row->field_names[f];
        int ki = -1, si = -1, ei = -1, mi = -1, xi = -1;
        const char *kind = field_get(opts, nopts, col, "kind", &ki);
        bool seq = kind && strcasecmp(kind, "sequence") == 0;
        char key[512];
        if (sl_phys_of(t) == SL_PHYS_UNSUPPORTED || t->id == SQL_T_MAP || t->id == SQL_T_INTERVAL_YM || t->id == SQL_T_INTERVAL_DT) {
            sl_strbuf tsb = SL_STRBUF_INIT;
            sql_type_print(&tsb, t);
            const char *ts = sl_strbuf_cstr(&tsb);
            sl_error_set(err, SL_ERR_UNSUPPORTED, "datagen cannot generate column '%s' of type %s.", col, ts);
            sl_strbuf_free(&tsb);
            return SL_ERR_UNSUPPORTED;
        }
        if (seq) {
            const char *start = field_get(opts, nopts, col, "start", &si), *end = field_get(opts, nopts, col, "end", &ei);
            if (!is_integral(t) && !is_float(t) && !is_string(t) && t->id != SQL_T_DECIMAL) {
                *bad = ki;
                sl_strbuf tsb = SL_STRBUF_INIT;
            sql_type_print(&tsb, t);
            const char *ts = sl_strbuf_cstr(&tsb);
                sl_error_set(err, SL_ERR_VALIDATION, "datagen: a sequence generator cannot produce column '%s' of type %s.", col, ts);
                sl_strbuf_free(&tsb);
                sl_error_hint(err, "sequences are for numeric and string columns; use 'random' for this column");
                return SL_ERR_VALIDATION;
            }
            if (!start || !end) {
                *bad = ki;
                snprintf(key, sizeof key, "fields.%s.%s", col, start ? "end" : "start");
                return sl_error_set(err, SL_ERR_VALIDATION, "Could not find required property '%s' for sequence generator.", key);
            }
            const sql_type *nt = is_string(t) ? &bigint_type : t;
            int64_t a = 0, b = 0;
            double da = 0, db = 0;
            snprintf(key, sizeof key, "fields.%s.start", col);
            if (!parse_num(nt, start, &a, &da)) return bad_value(err, bad, si, key, start, "expected a number of the column's type");
            snprintf(key, sizeof key, "fields.%s.end", col);
            if (!parse_num(nt, end, &b, &db)) return bad_value(err, bad, ei, key, end, "expected a number of the column's type");
            if (b < a || db < da) return bad_value(err, bad, ei, key, end, "the end of a sequence must not be before its start");
        } else {
            const char *mn = field_get(opts, nopts, col, "min", &mi), *mx = field_get(opts, nopts, col, "max", &xi);
            if ((mn || mx) && !is_integral(t) && !is_float(t) && t->id != SQL_T_DECIMAL) {
                *bad = mn ? mi : xi;
                return sl_error_set(err, SL_ERR_VALIDATION, "datagen: 'min'/'max' apply to numeric columns; column '%s' is not numeric.", col);
            }
            int64_t a = 0, b = 0;
            double da = 0, db = 0;
            snprintf(key, sizeof key, "fields.%s.min", col);
            if (mn && !parse_num(t, mn, &a, &da)) return bad_value(err, bad, mi, key, mn, "expected a number of the column's type");
            snprintf(key, sizeof key, "fields.%s.max", col);
            if (mx && !parse_num(t, mx, &b, &db)) return bad_value(err, bad, xi, key, mx, "expected a number of the column's type");
            if (mn && mx && (b < a || db < da)) return bad_value(err, bad, xi, key, mx, "'max' must not be less than 'min'");
        }
    }
    return SL_OK;
}

/* ---- the generator ---------------------------------------------------------------------------- */

/* A range of sequence values [lo, hi]; for FLOAT/DOUBLE sequences, of indexes (value = start +
 * index). */
typedef struct seq_range {
    int64_t lo, hi;
} seq_range;

typedef struct gen_field {
    const sql_type *t;
    sl_phys phys;
    bool seq;
    int64_t lo, hi, next; /* random: integral / decimal bounds; sequence: the current range of this
                             subtask's part, [next, hi] (FLOAT/DOUBLE: indexes from dstart) */
    seq_range *rest;      /* sequence: further ranges after the current one (a rescaled restore) */
    int nrest, irest;
    double dlo, dhi, dstart;
    double null_rate;
    int64_t max_past_ms;
    int length;
    char numbuf[32];
} gen_field;

typedef struct datagen {
    char *table;
    const sql_type *row; /* the generated columns (lives in the operator's type arena) */
    int n;
    gen_field *f;
    uint64_t seed, rng;
    int64_t rows_left;      /* this subtask's remaining rows; -1 unbounded */
    double rate;            /* this subtask's rows per second */
    uint64_t start_ns, emitted;
    bool bounded_by_seq;
    sl_row_writer w;
} datagen;

static inline uint64_t next_u64(uint64_t *s)
{ /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static inline double next_double(uint64_t *s) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; }



/* A uniformly random integer in [lo, hi]. */
static int64_t rand_between(uint64_t *rng, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX) return (int64_t)next_u64(rng);
    return (int64_t)((uint64_t)lo + next_u64(rng) % (span + 1));
}

/* Whether the field's sequence is exhausted. */
static bool gen_value(datagen *d, gen_field *g, int i, int64_t now_ms)
{
    sl_row_writer *w = &d->w;
    if (g->seq) {
        while (g->next > g->hi) {
            if (g->irest >= g->nrest) return false;
            g->next = g->rest[g->irest].lo;
            g->hi = g->rest[g->irest].hi;
            g->irest++;
        }
        if (is_float(g->t)) {
            sl_rw_f64(w, i, g->dstart + (double)g->next);
        } else if (g->phys == SL_PHYS_BYTES) {
            int len = snprintf(g->numbuf, sizeof g->numbuf, "%" PRId64, g->next);
            sl_rw_bytes(w, i, g->numbuf, (uint32_t)len);
        } else {
            sl_rw_i64(w, i, g->next);
        }
        if (g->next == g->hi && g->next == INT64_MAX) { /* the last value of BIGINT: no overflow */
            g->hi = INT64_MAX - 1;
            g->next = INT64_MAX;
        } else {
            g->next++;
        }
        return true;
    }
    if (g->null_rate > 0 && next_double(&d->rng) < g->null_rate) {
        sl_rw_null(w, i);
        return true;
    }
    switch (g->t->id) {
    case SQL_T_BOOLEAN: sl_rw_i64(w, i, (int64_t)(next_u64(&d->rng) & 1)); break;
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: sl_rw_f64(w, i, g->dlo + next_double(&d->rng) * (g->dhi - g->dlo)); break;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR:
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: {
        static const char hex[] = "0123456789abcdef";
        char *p = sl_rw_bytes_reserve(w, i, (uint32_t)g->length);
        for (int k = 0; k < g->length; k += 16) {
            uint64_t r = next_u64(&d->rng);
            for (int j = 0; j < 16 && k + j < g->length; j++, r >>= 4) p[k + j] = is_bytes(g->t) ? (char)(r & 0xff) : hex[r & 15];
        }
        break;
    }
    case SQL_T_DATE:
    case SQL_T_TIME:
    case SQL_T_TIMESTAMP:
    case SQL_T_TIMESTAMP_LTZ: {
        int64_t ms = now_ms - (g->max_past_ms > 0 ? rand_between(&d->rng, 0, g->max_past_ms) : 0);
        if (g->t->id == SQL_T_DATE) sl_rw_i64(w, i, ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000));
        else if (g->t->id == SQL_T_TIME) sl_rw_i64(w, i, ((ms % 86400000) + 86400000) % 86400000);
        else sl_rw_i64(w, i, ms * 1000);
        break;
    }
    default: sl_rw_i64(w, i, rand_between(&d->rng, g->lo, g->hi)); break;
    }
    return true;
}

static sl_status datagen_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    datagen *d = op->impl;
    if (sl_task_stop_requested(op->task) || d->rows_left == 0) {
        *state = SL_SOURCE_END;
        return SL_OK;
    }
    uint64_t now = sl_mono_ns();
    if (!d->start_ns) d->start_ns = now;
    /* rate limit: as many rows as the elapsed time allows (plus a first batch) */
    double allowed = (double)(now - d->start_ns) / 1e9 * d->rate + 1;
    int64_t n = (int64_t)allowed - (int64_t)d->emitted;
    if (n <= 0) {
        *state = SL_SOURCE_IDLE;
        double behind = ((double)d->emitted + 1 - allowed) / d->rate * 1000.0;
        *wait_ms = behind < 1 ? 1 : behind > 100 ? 100 : (int)behind;
        return SL_OK;
    }
    if (n > max) n = max;
    if (d->rows_left > 0 && n > d->rows_left) n = d->rows_left;
    int64_t now_ms = sl_wall_ms();
    for (int64_t r = 0; r < n; r++) {
        sl_rw_begin(&d->w, d->n, SL_ROW_INSERT);
        for (int i = 0; i < d->n; i++)
            if (!gen_value(d, &d->f[i], i, now_ms)) {
                d->rows_left = 0; /* a sequence ended: the source is drained */
                *state = SL_SOURCE_END;
                return SL_OK;
            }
        sl_status st = sl_op_emit(op, sl_rw_finish(&d->w), err);
        if (st) return st;
        d->emitted++;
        if (d->rows_left > 0) d->rows_left--;
    }
    *state = d->rows_left == 0 ? SL_SOURCE_END : SL_SOURCE_MORE;
    return SL_OK;
}

static void datagen_close(sl_operator *op)
{
    datagen *d = op->impl;
    if (!d) return;
    for (int i = 0; i < d->n; i++) free(d->f[i].rest);
    free(d->f);
    free(d->table);
    sl_rw_free(&d->w);
    free(d);
    op->impl = NULL;
}

/* This subtask's share [first, first+count) of n items split over p subtasks. */
static void share(int64_t n, int subtask, int p, int64_t *first, int64_t *count)
{
    int64_t base = n / p, rem = n % p;
    *count = base + (subtask < rem ? 1 : 0);
    *first = subtask * base + (subtask < rem ? subtask : rem);
}

/* ---- checkpoints ------------------------------------------------------------------------------ */

/* The position of this subtask:
 *   {"rows_left": n (-1 unbounded), "rng": "<hex>", "sequences": {"<col>": [[lo, hi], ...]}}
 * where a sequence's ranges are the values it has not produced yet. */
static sl_status datagen_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    datagen *d = op->impl;
    (void)ctx;
    (void)err;
    char rng[24];
    snprintf(rng, sizeof rng, "%016" PRIx64, d->rng);
    json_t *seqs = json_object();
    for (int i = 0; i < d->n; i++) {
        gen_field *g = &d->f[i];
        if (!g->seq) continue;
        json_t *a = json_array();
        if (g->next <= g->hi) json_array_append_new(a, json_pack("[I, I]", (json_int_t)g->next, (json_int_t)g->hi));
        for (int k = g->irest; k < g->nrest; k++)
            json_array_append_new(a, json_pack("[I, I]", (json_int_t)g->rest[k].lo, (json_int_t)g->rest[k].hi));
        json_object_set_new(seqs, d->row->field_names[i], a);
    }
    *out = json_pack("{s:I, s:s, s:o}", "rows_left", (json_int_t)d->rows_left, "rng", rng, "sequences", seqs);
    return SL_OK;
}

static sl_status bad_state(const datagen *d, int64_t checkpoint_id, const char *what, sl_error *err)
{
    sl_error_set(err, SL_ERR_STATE, "table '%s': the datagen position in checkpoint %" PRId64 " %s.", d->table, checkpoint_id, what);
    sl_error_hint(err, "restore with the table's options of the run that took the checkpoint, or start the job without it "
                       "(no -s / 'execution.savepoint.path')");
    return SL_ERR_STATE;
}

static int cmp_range(const void *x, const void *y)
{
    const seq_range *a = x, *b = y;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The ranges of column `col` in a part's state (NULL if the part has none). */
static const json_t *part_ranges(const json_t *state, const char *col) { return json_object_get(json_object_get(state, "sequences"), col); }

static bool read_ranges(const json_t *a, seq_range **r, int *n, size_t *cap)
{
    if (!json_is_array(a)) return false;
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e)
    {
        if (!json_is_array(e) || json_array_size(e) != 2 || !json_is_integer(json_array_get(e, 0)) ||
            !json_is_integer(json_array_get(e, 1)))
            return false;
        seq_range x = {json_integer_value(json_array_get(e, 0)), json_integer_value(json_array_get(e, 1))};
        if (x.hi < x.lo) continue;
        sl_grow((void **)r, cap, (size_t)*n + 1, sizeof **r);
        (*r)[(*n)++] = x;
    }
    return true;
}

/* Installs ranges r[0..n) as the field's remaining values (takes r). */
static void set_ranges(gen_field *g, seq_range *r, int n)
{
    free(g->rest);
    g->rest = r;
    g->nrest = n;
    g->irest = 0;
    g->next = 1, g->hi = 0; /* empty: gen_value moves to rest[0] */
}

static sl_status datagen_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    datagen *d = op->impl;
    int me = sl_task_subtask(op->task), p = sl_task_parallelism(op->task);
    const sql_type *row = d->row;
    const sl_restore_part *own = NULL;
    int nstate = 0;
    bool same = true;
    for (int i = 0; i < ctx->nparts; i++) {
        const sl_restore_part *pt = &ctx->parts[i];
        if (!pt->state) continue;
        nstate++;
        if (!json_is_object(pt->state) || !json_is_integer(json_object_get(pt->state, "rows_left")) ||
            !json_is_string(json_object_get(pt->state, "rng")))
            return bad_state(d, ctx->checkpoint_id, "is malformed", err);
        if (pt->parallelism != p) same = false;
        if (pt->subtask == me) own = pt;
    }
    if (nstate == 0) return SL_OK; /* the source was not in the checkpoint: start afresh */
    same = same && own && nstate == p;
    if (same) { /* resume exactly */
        const json_t *st = own->state;
        d->rows_left = json_integer_value(json_object_get(st, "rows_left"));
        d->rng = strtoull(json_string_value(json_object_get(st, "rng")), NULL, 16);
        for (int i = 0; i < d->n; i++) {
            gen_field *g = &d->f[i];
            if (!g->seq) continue;
            seq_range *r = NULL;
            int n = 0;
            size_t cap = 0;
            if (!read_ranges(part_ranges(st, row->field_names[i]), &r, &n, &cap)) {
                free(r);
                char what[600];
                snprintf(what, sizeof what, "has no position for the sequence field '%s' (was 'fields.%s.kind' changed?)",
                         row->field_names[i], row->field_names[i]);
                return bad_state(d, ctx->checkpoint_id, what, err);
            }
            set_ranges(g, r, n);
        }
        return SL_OK;
    }
    /* Another parallelism: re-split what all old subtasks had left. */
    int64_t rows = 0;
    bool unbounded = false;
    for (int i = 0; i < ctx->nparts; i++) {
        if (!ctx->parts[i].state) continue;
        int64_t left = json_integer_value(json_object_get(ctx->parts[i].state, "rows_left"));
        if (left < 0) unbounded = true;
        else rows += left;
    }
    if (unbounded) {
        d->rows_left = -1;
    } else {
        int64_t first;
        share(rows, me, p, &first, &d->rows_left);
    }
    d->rng = next_u64(&(uint64_t){d->seed ^ (uint64_t)ctx->checkpoint_id * 0xd1b54a32d192ed03u}) ^
             (0x632be59bd9b4e019u * (uint64_t)(me + 1));
    for (int f = 0; f < d->n; f++) {
        gen_field *g = &d->f[f];
        if (!g->seq) continue;
        seq_range *all = NULL;
        int n = 0;
            size_t cap = 0;
        for (int i = 0; i < ctx->nparts; i++) {
            if (!ctx->parts[i].state) continue;
            if (!read_ranges(part_ranges(ctx->parts[i].state, row->field_names[f]), &all, &n, &cap)) {
                free(all);
                char what[600];
                snprintf(what, sizeof what, "has no position for the sequence field '%s' (was 'fields.%s.kind' changed?)",
                         row->field_names[f], row->field_names[f]);
                return bad_state(d, ctx->checkpoint_id, what, err);
            }
        }
        if (n > 1) qsort(all, (size_t)n, sizeof *all, cmp_range);
        int64_t total = 0;
        for (int i = 0; i < n; i++) total += all[i].hi - all[i].lo + 1;
        int64_t first, count;
        share(total, me, p, &first, &count);
        /* this subtask's slice [first, first + count) of the concatenated ranges */
        int k = 0;
        for (int i = 0; i < n && count > 0; i++) {
            int64_t len = all[i].hi - all[i].lo + 1;
            if (first >= len) {
                first -= len;
                continue;
            }
            int64_t take = len - first < count ? len - first : count;
            all[k].lo = all[i].lo + first;
            all[k].hi = all[k].lo + take - 1;
            k++;
            count -= take;
            first = 0;
        }
        set_ranges(g, all, k);
    }
    return SL_OK;
}

static const sl_op_vtable datagen_vt = {.name = "DataGenSource",
                                        .poll = datagen_poll,
                                        .close = datagen_close,
                                        .snapshot = datagen_snapshot,
                                        .restore = datagen_restore};

static sl_status datagen_source(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    datagen *d = sl_xcalloc(1, sizeof *d);
    const sql_type *row = a->row;
    d->n = row->nfields;
    d->f = sl_xcalloc((size_t)(d->n ? d->n : 1), sizeof(gen_field));
    char why[128];
    int64_t rps = 10000, nrows = -1, seed;
    sl_parse_long(sl_conn_opt(&sl_connector_datagen, a->opts, a->nopts, "rows-per-second"), 1, INT64_MAX, &rps, why, sizeof why);
    const char *nr = sl_kv_get(a->opts, a->nopts, "number-of-rows");
    if (nr) sl_parse_long(nr, 0, INT64_MAX, &nrows, why, sizeof why);
    const char *sd = sl_kv_get(a->opts, a->nopts, "seed");
    if (sd) sl_parse_long(sd, INT64_MIN, INT64_MAX, &seed, why, sizeof why);
    else seed = (int64_t)(sl_mono_ns() ^ (uint64_t)sl_wall_ms() << 20);
    d->table = sl_xstrdup(a->table ? a->table : "?");
    d->row = row;
    d->seed = (uint64_t)seed;
    d->rng = (uint64_t)seed ^ (0x632be59bd9b4e019u * (uint64_t)(a->subtask + 1));
    d->rate = (double)rps / a->parallelism;
    if (d->rate <= 0) d->rate = 1e-3;
    if (nrows >= 0) {
        int64_t first;
        share(nrows, a->subtask, a->parallelism, &first, &d->rows_left);
    } else {
        d->rows_left = -1;
    }
    for (int i = 0; i < d->n; i++) {
        gen_field *g = &d->f[i];
        const char *col = row->field_names[i];
        g->t = row->field_types[i];
        g->phys = sl_phys_of(g->t);
        const char *kind = field_get(a->opts, a->nopts, col, "kind", NULL);
        g->seq = kind && strcasecmp(kind, "sequence") == 0;
        const char *v;
        g->length = 100;
        if ((v = field_get(a->opts, a->nopts, col, "length", NULL))) g->length = atoi(v);
        if ((v = field_get(a->opts, a->nopts, col, "null-rate", NULL))) g->null_rate = strtod(v, NULL);
        if ((v = field_get(a->opts, a->nopts, col, "max-past", NULL))) sl_parse_duration_ms(v, &g->max_past_ms, why, sizeof why);
        const sql_type *nt = is_string(g->t) ? &bigint_type : g->t;
        if (g->seq) {
            int64_t s = 0, e = 0;
            double ds = 0, de = 0;
            parse_num(nt, field_get(a->opts, a->nopts, col, "start", NULL), &s, &ds);
            parse_num(nt, field_get(a->opts, a->nopts, col, "end", NULL), &e, &de);
            int64_t first, count;
            if (is_float(g->t)) {
                share((int64_t)(de - ds) + 1, a->subtask, a->parallelism, &first, &count);
                g->dstart = ds;
                g->next = first;
                g->hi = first + count - 1;
            } else {
                share(e - s + 1, a->subtask, a->parallelism, &first, &count);
                g->next = s + first;
                g->hi = g->next + count - 1;
            }
            continue;
        }
        if (is_float(g->t)) {
            g->dlo = g->t->id == SQL_T_FLOAT ? FLT_MIN : DBL_MIN;
            g->dhi = g->t->id == SQL_T_FLOAT ? FLT_MAX : DBL_MAX;
            if ((v = field_get(a->opts, a->nopts, col, "min", NULL))) sl_parse_double(v, &g->dlo, why, sizeof why);
            if ((v = field_get(a->opts, a->nopts, col, "max", NULL))) sl_parse_double(v, &g->dhi, why, sizeof why);
        } else if (g->t->id == SQL_T_DECIMAL) {
            int p = g->t->precision > 0 ? g->t->precision : 10;
            g->hi = pow10i(p > 18 ? 18 : p) - 1;
            g->lo = -g->hi;
            if ((v = field_get(a->opts, a->nopts, col, "min", NULL))) parse_num(g->t, v, &g->lo, NULL);
            if ((v = field_get(a->opts, a->nopts, col, "max", NULL))) parse_num(g->t, v, &g->hi, NULL);
        } else if (is_integral(g->t)) {
            int_range(g->t, &g->lo, &g->hi);
            if ((v = field_get(a->opts, a->nopts, col, "min", NULL))) parse_num(g->t, v, &g->lo, NULL);
            if ((v = field_get(a->opts, a->nopts, col, "max", NULL))) parse_num(g->t, v, &g->hi, NULL);
        }
    }
    *out = sl_operator_new(&datagen_vt, d, NULL, NULL);
    return SL_OK;
}

const sl_connector sl_connector_datagen = {
    .name = "datagen",
    .options = datagen_opts,
    .noptions = sizeof datagen_opts / sizeof datagen_opts[0],
    .field_prefix = "fields.",
    .field_options = field_opts,
    .nfield_options = NFIELD_OPTS,
    .source = true,
    .check = datagen_check,
    .create_source = datagen_source,
};
