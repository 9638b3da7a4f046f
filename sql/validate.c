/* sql/validate.c — the session catalog and the validator (see validate.h). */
#include "sql/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/mem.h"
#include "common/suggest.h"
#include "sql/functions.h"

#define CATALOG "default_catalog"
#define DATABASE "default_database"
#define QUALIFIED "`" CATALOG "`.`" DATABASE "`"

struct sql_session {
    sl_arena *arena; /* everything the catalog keeps: tables, types, names */
    sql_table **tables;
    size_t ntables, captables;
    sql_table **defined; /* every table and view ever created, by serial - 1 (views keep reading them) */
    size_t ndefined, capdefined;
    sql_script **scripts;
    size_t nscripts, capscripts;
    sl_config *cfg; /* SET statements apply here; not owned, may be NULL */
};

/* ---- scopes ------------------------------------------------------------------------------ */

typedef struct rel {
    const char *alias;    /* name the relation is referred to by (alias or table name); may be NULL */
    const sql_type *row;  /* ROW type of its columns */
} rel;

typedef struct scope scope;
struct scope {
    rel *rels;
    int nrels, caprels;
    const scope *parent; /* enclosing query, for correlated subqueries */
    const char **using_names; /* USING columns: resolve to the first relation that has them */
    int nusing, capusing;
};

typedef struct cte {
    const char *name;
    const sql_type *row;
} cte;

enum { CTX_WHERE, CTX_ON, CTX_GROUP_BY, CTX_SELECT, CTX_HAVING, CTX_ORDER, CTX_OTHER, CTX_COMPUTED, CTX_WATERMARK };

typedef struct vctx {
    sql_session *s;
    sl_arena *a;
    const char *script;
    const char *text; /* the script's source text (for comparing expressions) */
    sl_error *err;
    cte *ctes;
    int nctes, capctes;
    /* aggregate checking for the SELECT being bound */
    bool agg_query;
    const sql_node *group_by; /* LIST or NULL */
    const scope *group_scope;
    int in_agg;               /* > 0 while inside an aggregate call's arguments */
    int clause;               /* CTX_* */
} vctx;

static sl_status fail(vctx *v, const sql_node *at, sl_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static sl_status fail(vctx *v, const sql_node *at, sl_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_error_clear(v->err);
    v->err->code = code;
    vsnprintf(v->err->message, sizeof v->err->message, fmt, ap);
    va_end(ap);
    if (at) sl_error_at_offset(v->err, v->script, at->off, at->len);
    return code;
}

static const char *tstr(vctx *v, const sql_type *t) { return sql_type_str(v->a, t); }

static const char *script_text(vctx *v) { return v->text; }

static void scope_add(vctx *v, scope *sc, const char *alias, const sql_type *row)
{
    if (sc->nrels == sc->caprels) {
        int n = sc->caprels ? sc->caprels * 2 : 4;
        rel *r = sl_arena_alloc(v->a, sizeof *r * (size_t)n);
        if (sc->nrels) memcpy(r, sc->rels, sizeof *r * (size_t)sc->nrels);
        sc->rels = r;
        sc->caprels = n;
    }
    sc->rels[sc->nrels++] = (rel){alias, row};
}

static const sql_type *row_type(vctx *v, int n, const char **names, const sql_type **types)
{
    sql_type t = {.id = SQL_T_ROW, .nullable = false, .precision = -1, .scale = -1, .nfields = n};
    t.field_names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)(n ? n : 1));
    t.field_types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        t.field_names[i] = names[i];
        t.field_types[i] = types[i];
    }
    sql_type *r = sl_arena_alloc(v->a, sizeof *r);
    *r = t;
    return r;
}

/* A copy of a ROW type with every field nullable (the outer side of an outer join). */
static const sql_type *row_nullable(vctx *v, const sql_type *row)
{
    const sql_type **types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)(row->nfields ? row->nfields : 1));
    for (int i = 0; i < row->nfields; i++) types[i] = sql_type_with_nullable(v->a, row->field_types[i], true);
    return row_type(v, row->nfields, row->field_names, types);
}

static int field_index(const sql_type *row, const char *name)
{
    for (int i = 0; i < row->nfields; i++)
        if (strcmp(row->field_names[i], name) == 0) return i;
    return -1;
}

/* ---- catalog -------------------------------------------------------------------------------- */

sql_session *sql_session_create(void)
{
    sql_session *s = sl_xcalloc(1, sizeof *s);
    s->arena = sl_arena_create(0);
    return s;
}

void sql_session_destroy(sql_session *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nscripts; i++) sql_script_destroy(s->scripts[i]);
    free(s->scripts);
    free(s->tables);
    free(s->defined);
    sl_arena_destroy(s->arena);
    free(s);
}

void sql_session_set_config(sql_session *s, sl_config *cfg) { s->cfg = cfg; }

const sql_table *sql_session_table(const sql_session *s, const char *name)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i]->name, name) == 0) return s->tables[i];
    return NULL;
}

int sql_session_table_count(const sql_session *s) { return (int)s->ntables; }

const sql_table *sql_session_table_version(const sql_session *s, int64_t serial)
{
    return serial >= 1 && (size_t)serial <= s->ndefined ? s->defined[serial - 1] : NULL;
}
const sql_table *sql_session_table_at(const sql_session *s, int i) { return s->tables[i]; }

static void remove_table(sql_session *s, const char *name)
{
    for (size_t i = 0; i < s->ntables; i++) {
        if (strcmp(s->tables[i]->name, name) == 0) {
            memmove(&s->tables[i], &s->tables[i + 1], (s->ntables - i - 1) * sizeof *s->tables);
            s->ntables--;
            return;
        }
    }
}

static const char *table_suggest(const sql_session *s, const char *name)
{
    const char **names = sl_xmalloc((s->ntables + 1) * sizeof *names);
    for (size_t i = 0; i < s->ntables; i++) names[i] = s->tables[i]->name;
    const char *best = sl_suggest(name, names, s->ntables, false);
    free(names);
    return best;
}

/* Resolves a (possibly qualified) object name to its last part, checking qualifiers. */
static sl_status object_name(vctx *v, const sql_node *id, const char **out)
{
    int n = id->nkids;
    if (n > 3 || (n == 3 && strcmp(id->kids[0]->text, CATALOG) != 0) ||
        (n >= 2 && strcmp(id->kids[n - 2]->text, DATABASE) != 0)) {
        return fail(v, id, SL_ERR_NOT_FOUND, "Object '%s' not found: Sluice has one catalog and database, '%s.%s'",
                    id->text, CATALOG, DATABASE);
    }
    *out = id->kids[n - 1]->text;
    return SL_OK;
}

static const sql_table *find_table_or_fail(vctx *v, const sql_node *id)
{
    const char *name;
    if (object_name(v, id, &name)) return NULL;
    const sql_table *t = sql_session_table(v->s, name);
    if (!t) {
        fail(v, id, SL_ERR_NOT_FOUND, "Object '%s' not found within '%s.%s'", name, CATALOG, DATABASE);
        const char *best = table_suggest(v->s, name);
        if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
        else sl_error_hint(v->err, "create it first with CREATE TABLE");
    }
    return t;
}

/* The ROW type of a table's columns as queries see them. */
static const sql_type *table_row(vctx *v, const sql_table *t)
{
    const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)(t->ncols ? t->ncols : 1));
    const sql_type **types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)(t->ncols ? t->ncols : 1));
    for (int i = 0; i < t->ncols; i++) {
        names[i] = t->cols[i].name;
        types[i] = t->cols[i].type;
    }
    return row_type(v, t->ncols, names, types);
}

/* ---- expressions ---------------------------------------------------------------------------- */

static sl_status bind_expr(vctx *v, const scope *sc, sql_node *e);
static sl_status bind_query(vctx *v, const scope *parent, sql_node *q);

static bool is_boolean(const sql_type *t) { return t->id == SQL_T_BOOLEAN || t->id == SQL_T_NULL; }

static sl_status need_boolean(vctx *v, const sql_node *e, const char *what)
{
    if (is_boolean(e->type)) return SL_OK;
    return fail(v, e, SL_ERR_VALIDATION, "%s must be a condition (BOOLEAN), not %s", what, tstr(v, e->type));
}

/* Collects every column name visible in scope (for suggestions). */
static const char *suggest_column(vctx *v, const scope *sc, const char *name)
{
    int n = 0;
    for (const scope *p = sc; p; p = p->parent)
        for (int i = 0; i < p->nrels; i++) n += p->rels[i].row->nfields;
    if (n == 0) return NULL;
    const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)n);
    int k = 0;
    for (const scope *p = sc; p; p = p->parent)
        for (int i = 0; i < p->nrels; i++)
            for (int j = 0; j < p->rels[i].row->nfields; j++) names[k++] = p->rels[i].row->field_names[j];
    return sl_suggest(name, names, (size_t)k, true);
}

static bool is_using(const scope *sc, const char *name)
{
    for (int i = 0; i < sc->nusing; i++)
        if (strcmp(sc->using_names[i], name) == 0) return true;
    return false;
}

/* Type of a field of a ROW-typed value, following parts[from..n). */
static sl_status field_path(vctx *v, const sql_node *id, int from, const sql_type *t, const sql_type **out)
{
    for (int i = from; i < id->nkids; i++) {
        if (t->id != SQL_T_ROW) {
            return fail(v, id->kids[i], SL_ERR_VALIDATION, "Cannot access field '%s' of a value of type %s",
                        id->kids[i]->text, tstr(v, t));
        }
        int f = field_index(t, id->kids[i]->text);
        if (f < 0) {
            fail(v, id->kids[i], SL_ERR_VALIDATION, "Unknown field '%s' in %s", id->kids[i]->text, tstr(v, t));
            const char *best = sl_suggest(id->kids[i]->text, t->field_names, (size_t)t->nfields, true);
            if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
            return SL_ERR_VALIDATION;
        }
        bool nullable = t->nullable;
        t = t->field_types[f];
        if (nullable) t = sql_type_with_nullable(v->a, t, true);
    }
    *out = t;
    return SL_OK;
}

/* Position of field f of relation r in the scope's input row (relations laid end to end). */
static int flat_index(const scope *sc, int r, int f)
{
    int base = 0;
    for (int i = 0; i < r; i++) base += sc->rels[i].row->nfields;
    return base + f;
}

/* Records where a column reference points (see SQL_ID in ast.h). */
static void record_ref(sql_node *id, const scope *sc, const scope *found_in, int r, int f, int parts)
{
    id->ival = flat_index(found_in, r, f);
    id->ival2 = parts;
    if (found_in != sc) id->flags |= SQL_F_OUTER_REF;
    if (found_in != sc && found_in != sc->parent) id->flags |= SQL_F_OUTER_FAR;
}

/* SQL's niladic functions are written without parentheses (CURRENT_DATE, LOCALTIMESTAMP): an
 * unqualified identifier with such a name that is no column becomes a call without arguments. */
static bool resolves_as_column(const scope *sc, const char *name);
static bool niladic_call(vctx *v, const scope *sc, sql_node *e)
{
    static const char *const names[] = {"CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "CURRENT_TIME", "LOCALTIME", NULL};
    const char *name = e->kids[0]->text;
    bool match = false;
    for (const char *const *n = names; *n; n++) match |= strcasecmp(*n, name) == 0;
    if (!match || resolves_as_column(sc, name)) return false;
    sql_node *args = sl_arena_zalloc(v->a, sizeof *args);
    args->kind = SQL_LIST;
    args->off = e->off;
    e->kind = SQL_CALL;
    e->text = name;
    e->kids = sl_arena_zalloc(v->a, sizeof(sql_node *) * 3);
    e->kids[0] = args;
    e->nkids = 3;
    return true;
}

static bool resolves_as_column(const scope *sc, const char *name)
{
    for (const scope *p = sc; p; p = p->parent)
        for (int i = 0; i < p->nrels; i++)
            if (field_index(p->rels[i].row, name) >= 0) return true;
    return false;
}

static sl_status bind_column(vctx *v, const scope *sc, sql_node *id)
{
    const char *first = id->kids[0]->text;
    /* Qualified: alias.column[.field...] */
    if (id->nkids >= 2) {
        for (const scope *p = sc; p; p = p->parent) {
            for (int i = 0; i < p->nrels; i++) {
                if (!p->rels[i].alias || strcmp(p->rels[i].alias, first) != 0) continue;
                const sql_type *row = p->rels[i].row;
                int f = field_index(row, id->kids[1]->text);
                if (f < 0) {
                    fail(v, id->kids[1], SL_ERR_VALIDATION, "Column '%s' not found in table '%s'", id->kids[1]->text, first);
                    const char *best = sl_suggest(id->kids[1]->text, row->field_names, (size_t)row->nfields, true);
                    if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
                    return SL_ERR_VALIDATION;
                }
                record_ref(id, sc, p, i, f, 2);
                return field_path(v, id, 2, row->field_types[f], &id->type);
            }
        }
    }
    /* Unqualified (or a ROW column followed by fields). */
    for (const scope *p = sc; p; p = p->parent) {
        int found = 0, fr = -1, ff = -1;
        const sql_type *t = NULL;
        for (int i = 0; i < p->nrels; i++) {
            int f = field_index(p->rels[i].row, first);
            if (f < 0) continue;
            if (found && is_using(p, first)) continue;
            found++;
            t = p->rels[i].row->field_types[f];
            fr = i;
            ff = f;
        }
        if (found > 1) return fail(v, id->kids[0], SL_ERR_VALIDATION, "Column '%s' is ambiguous", first);
        if (found == 1) {
            record_ref(id, sc, p, fr, ff, 1);
            return field_path(v, id, 1, t, &id->type);
        }
    }
    if (id->nkids >= 2) {
        fail(v, id->kids[0], SL_ERR_VALIDATION, "Table '%s' not found", first);
        sl_error_hint(v->err, "'%s' is neither a table alias in this query nor a column", first);
        return SL_ERR_VALIDATION;
    }
    fail(v, id, SL_ERR_VALIDATION, "Column '%s' not found in any table", first);
    const char *best = suggest_column(v, sc, first);
    if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
    return SL_ERR_VALIDATION;
}

static bool same_text(vctx *v, const sql_node *a, const sql_node *b);

/* Whether expression e (outside aggregates) is one of the GROUP BY expressions. */
static bool is_grouped(vctx *v, const sql_node *e)
{
    if (!v->group_by) return false;
    for (int i = 0; i < v->group_by->nkids; i++)
        if (same_text(v, e, v->group_by->kids[i])) return true;
    return false;
}

/* Compares two expressions by their source text, ignoring whitespace and backquotes. */
static bool same_text(vctx *v, const sql_node *a, const sql_node *b)
{
    const char *t = script_text(v);
    if (!t) return false;
    const char *p = t + a->off, *pe = p + a->len, *q = t + b->off, *qe = q + b->len;
    while (1) {
        while (p < pe && (isspace((unsigned char)*p) || *p == '`')) p++;
        while (q < qe && (isspace((unsigned char)*q) || *q == '`')) q++;
        if (p == pe || q == qe) return p == pe && q == qe;
        if (*p != *q) return false;
        p++;
        q++;
    }
}

static const sql_type *lit_type(vctx *v, sql_type_id id, bool nullable, int p, int s)
{
    return sql_type_make(v->a, id, nullable, p, s);
}

static sl_status bind_literal(vctx *v, sql_node *e)
{
    switch (e->kind) {
    case SQL_LIT_INT: {
        size_t n = strlen(e->text);
        if (n <= 9 || (n == 10 && strcmp(e->text, "2147483647") <= 0)) e->type = lit_type(v, SQL_T_INT, false, -1, -1);
        else if (n <= 18 || (n == 19 && strcmp(e->text, "9223372036854775807") <= 0))
            e->type = lit_type(v, SQL_T_BIGINT, false, -1, -1);
        else if (n <= 38) e->type = lit_type(v, SQL_T_DECIMAL, false, (int)n, 0);
        else return fail(v, e, SL_ERR_VALIDATION, "Numeric literal '%s' out of range", e->text);
        return SL_OK;
    }
    case SQL_LIT_DEC: {
        const char *dot = strchr(e->text, '.');
        int ip = (int)(dot - e->text), fp = (int)strlen(dot + 1);
        while (ip > 1 && e->text[0] == '0') ip--; /* leading zeros do not count */
        if (ip + fp > 38) return fail(v, e, SL_ERR_VALIDATION, "Numeric literal '%s' out of range", e->text);
        e->type = lit_type(v, SQL_T_DECIMAL, false, ip + fp > 0 ? ip + fp : 1, fp);
        return SL_OK;
    }
    case SQL_LIT_FLOAT: e->type = lit_type(v, SQL_T_DOUBLE, false, -1, -1); return SL_OK;
    case SQL_LIT_STRING: {
        int n = (int)strlen(e->text);
        e->type = lit_type(v, SQL_T_CHAR, false, n > 0 ? n : 1, -1);
        if (n == 0) e->type = lit_type(v, SQL_T_CHAR, false, 1, -1);
        return SL_OK;
    }
    case SQL_LIT_BOOL: e->type = lit_type(v, SQL_T_BOOLEAN, false, -1, -1); return SL_OK;
    case SQL_LIT_NULL: e->type = lit_type(v, SQL_T_NULL, true, -1, -1); return SL_OK;
    case SQL_LIT_TYPED: {
        const char *s = e->kids[0]->text;
        int y, mo, d, h, mi, sec, n = 0;
        const char *kind = e->text;
        bool ok;
        if (strcmp(kind, "DATE") == 0) {
            ok = sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && s[n] == '\0' && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
            e->type = lit_type(v, SQL_T_DATE, false, -1, -1);
        } else if (strcmp(kind, "TIME") == 0) {
            ok = sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) == 3 && h < 24 && mi < 60 && sec < 60;
            const char *frac = s[n] == '.' ? s + n + 1 : NULL;
            int fd = frac ? (int)strspn(frac, "0123456789") : 0;
            ok = ok && (s[n] == '\0' || (frac && frac[fd] == '\0' && fd > 0 && fd <= 9));
            e->type = lit_type(v, SQL_T_TIME, false, fd, -1);
        } else {
            ok = sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 && mo >= 1 && mo <= 12 &&
                 d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 60;
            const char *frac = ok && s[n] == '.' ? s + n + 1 : NULL;
            int fd = frac ? (int)strspn(frac, "0123456789") : 0;
            ok = ok && (s[n] == '\0' || (frac && frac[fd] == '\0' && fd > 0 && fd <= 9));
            e->type = lit_type(v, strcmp(kind, "TIMESTAMP") == 0 ? SQL_T_TIMESTAMP : SQL_T_TIMESTAMP_LTZ, false, fd, -1);
        }
        if (!ok) {
            fail(v, e, SL_ERR_VALIDATION, "Illegal %s literal '%s'", kind, s);
            sl_error_hint(v->err, "%s", strcmp(kind, "DATE") == 0 ? "write DATE 'yyyy-MM-dd'"
                                        : strcmp(kind, "TIME") == 0 ? "write TIME 'HH:mm:ss[.fff]'"
                                                                    : "write TIMESTAMP 'yyyy-MM-dd HH:mm:ss[.fff]'");
            return SL_ERR_VALIDATION;
        }
        return SL_OK;
    }
    case SQL_LIT_INTERVAL: {
        const sql_node *q = e->kids[1];
        const char *s = e->kids[0]->text;
        bool ym = strncmp(q->text, "YEAR", 4) == 0 || strncmp(q->text, "MONTH", 5) == 0;
        if (!strstr(q->text, " TO ")) {
            /* single unit: digits, and a fraction only for SECOND */
            const char *p = s;
            if (*p == '-' || *p == '+') p++;
            size_t dn = strspn(p, "0123456789");
            bool ok = dn > 0 && (p[dn] == '\0' || (strcmp(q->text, "SECOND") == 0 && p[dn] == '.' &&
                                                   p[dn + 1 + strspn(p + dn + 1, "0123456789")] == '\0'));
            if (!ok) return fail(v, e->kids[0], SL_ERR_VALIDATION, "Illegal interval literal format '%s' for INTERVAL %s", s, q->text);
        }
        e->type = lit_type(v, ym ? SQL_T_INTERVAL_YM : SQL_T_INTERVAL_DT, false, ym ? -1 : 3, -1);
        return SL_OK;
    }
    default: return fail(v, e, SL_ERR_INTERNAL, "not a literal");
    }
}

static sl_status bind_kids(vctx *v, const scope *sc, sql_node *list)
{
    for (int i = 0; list && i < list->nkids; i++) {
        sl_status st = bind_expr(v, sc, list->kids[i]);
        if (st) return st;
    }
    return SL_OK;
}

static bool any_nullable2(const sql_type *a, const sql_type *b) { return a->nullable || b->nullable; }

static sl_status cannot_apply(vctx *v, const sql_node *e, const char *op, const sql_type *a, const sql_type *b)
{
    if (b)
        return fail(v, e, SL_ERR_VALIDATION, "Cannot apply '%s' to arguments of type '<%s> %s <%s>'", op, tstr(v, a), op,
                    tstr(v, b));
    return fail(v, e, SL_ERR_VALIDATION, "Cannot apply '%s' to arguments of type '%s <%s>'", op, op, tstr(v, a));
}

static sl_status bind_call(vctx *v, const scope *sc, sql_node *e)
{
    sql_node *args = e->kids[0], *filter = e->kids[1], *over = e->kids[2];
    const sql_function *f = sql_function_find(e->text);
    sl_status st;
    if (!f) {
        if ((st = bind_kids(v, sc, args))) return st;
        sl_strbuf sig = SL_STRBUF_INIT;
        sl_strbuf_printf(&sig, "%s(", e->text);
        for (int i = 0; i < args->nkids; i++) sl_strbuf_printf(&sig, "%s<%s>", i ? ", " : "", tstr(v, args->kids[i]->type));
        sl_strbuf_putc(&sig, ')');
        fail(v, e, SL_ERR_VALIDATION, "No match found for function signature %s", sl_strbuf_cstr(&sig));
        sl_strbuf_free(&sig);
        const char *best = sql_function_suggest(e->text);
        if (best) sl_error_hint(v->err, "did you mean %s?", best);
        else sl_error_hint(v->err, "user-defined functions are not supported yet; see SHOW FUNCTIONS");
        return SL_ERR_VALIDATION;
    }
    sql_fn_kind kind = sql_function_kind(f);
    if (kind == SQL_FN_TABLE)
        return fail(v, e, SL_ERR_VALIDATION, "Table function '%s' can only be used in FROM, as TABLE(%s(...))", e->text, e->text);
    if (kind == SQL_FN_WINDOW && !over)
        return fail(v, e, SL_ERR_VALIDATION, "OVER clause is necessary for window functions");
    if ((e->flags & SQL_F_DISTINCT) && kind != SQL_FN_AGGREGATE)
        return fail(v, e, SL_ERR_VALIDATION, "DISTINCT is only allowed in aggregate functions, not in %s", e->text);
    if (filter && kind != SQL_FN_AGGREGATE)
        return fail(v, filter, SL_ERR_VALIDATION, "FILTER is only allowed in aggregate functions");
    bool is_agg = kind == SQL_FN_AGGREGATE && !over;
    if (is_agg) {
        static const char *const clause_names[] = {"WHERE clause", "ON clause", "GROUP BY clause"};
        if (v->clause <= CTX_GROUP_BY)
            return fail(v, e, SL_ERR_VALIDATION, "Aggregate expression is illegal in %s", clause_names[v->clause]);
        if (v->clause == CTX_COMPUTED || v->clause == CTX_WATERMARK)
            return fail(v, e, SL_ERR_VALIDATION, "Aggregate functions are not allowed in %s",
                        v->clause == CTX_COMPUTED ? "computed columns" : "watermark expressions");
        if (v->in_agg) return fail(v, e, SL_ERR_VALIDATION, "Aggregate expressions cannot be nested");
        v->in_agg++;
    }
    st = bind_kids(v, sc, args);
    if (!st && filter) {
        st = bind_expr(v, sc, filter);
        if (!st) st = need_boolean(v, filter, "FILTER");
    }
    if (is_agg) v->in_agg--;
    if (st) return st;
    if (over && over->kind == SQL_OVER) {
        if (over->text) return fail(v, over, SL_ERR_UNSUPPORTED, "not supported yet: named windows (OVER %s)", over->text);
        if ((st = bind_kids(v, sc, over->kids[0]))) return st;
        for (int i = 0; over->kids[1] && i < over->kids[1]->nkids; i++)
            if ((st = bind_expr(v, sc, over->kids[1]->kids[i]->kids[0]))) return st;
        if (over->kids[2]) {
            sql_node *frame = over->kids[2];
            for (int i = 0; i < 2; i++)
                if (frame->kids[i] && frame->kids[i]->nkids && (st = bind_expr(v, sc, frame->kids[i]->kids[0]))) return st;
        }
    }
    const sql_type *argt[64];
    int n = args->nkids < 64 ? args->nkids : 64;
    for (int i = 0; i < n; i++) argt[i] = args->kids[i]->type;
    char msg[1024];
    e->type = sql_function_infer(v->a, f, argt, n, msg, sizeof msg);
    if (!e->type) return fail(v, e, SL_ERR_VALIDATION, "%s", msg);
    return SL_OK;
}

static sl_status bind_special(vctx *v, const scope *sc, sql_node *e)
{
    sl_status st;
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i] && e->kids[i]->kind != SQL_NAME && (st = bind_expr(v, sc, e->kids[i]))) return st;
    const char *fn = e->text;
    bool nullable = false;
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i] && e->kids[i]->type && e->kids[i]->type->nullable) nullable = true;
    if (strcmp(fn, "EXTRACT") == 0) {
        if (!sql_type_is_temporal(e->kids[1]->type) && !sql_type_is_interval(e->kids[1]->type) &&
            e->kids[1]->type->id != SQL_T_NULL)
            return fail(v, e->kids[1], SL_ERR_VALIDATION, "Cannot apply 'EXTRACT' to a value of type %s", tstr(v, e->kids[1]->type));
        e->type = sql_type_make(v->a, SQL_T_BIGINT, nullable, -1, -1);
    } else if (strcmp(fn, "POSITION") == 0) {
        if (!sql_type_is_string(e->kids[0]->type) || !sql_type_is_string(e->kids[1]->type))
            return cannot_apply(v, e, "POSITION", e->kids[0]->type, e->kids[1]->type);
        e->type = sql_type_make(v->a, SQL_T_INT, nullable, -1, -1);
    } else if (strcmp(fn, "TRIM") == 0) {
        for (int i = 1; i < 3; i++)
            if (e->kids[i] && !sql_type_is_string(e->kids[i]->type) && e->kids[i]->type->id != SQL_T_NULL)
                return fail(v, e->kids[i], SL_ERR_VALIDATION, "Cannot apply 'TRIM' to a value of type %s", tstr(v, e->kids[i]->type));
        e->type = sql_type_make(v->a, SQL_T_VARCHAR, nullable, SQL_MAX_LENGTH, -1);
    } else if (strcmp(fn, "SUBSTRING") == 0) {
        if (!sql_type_is_string(e->kids[0]->type) || !sql_type_is_integer(e->kids[1]->type) ||
            (e->kids[2] && !sql_type_is_integer(e->kids[2]->type)))
            return fail(v, e, SL_ERR_VALIDATION, "Cannot apply 'SUBSTRING': expected SUBSTRING(<CHARACTER_STRING> FROM <INTEGER> [FOR <INTEGER>])");
        e->type = sql_type_make(v->a, SQL_T_VARCHAR, nullable, SQL_MAX_LENGTH, -1);
    } else { /* TIMESTAMPADD / TIMESTAMPDIFF */
        bool add = strcmp(fn, "TIMESTAMPADD") == 0;
        const sql_type *a1 = e->kids[1]->type, *a2 = e->kids[2]->type;
        if (add ? (!sql_type_is_integer(a1) || !sql_type_is_temporal(a2)) : (!sql_type_is_temporal(a1) || !sql_type_is_temporal(a2)))
            return fail(v, e, SL_ERR_VALIDATION, "Cannot apply '%s' to arguments of type '<%s>, <%s>'", fn, tstr(v, a1), tstr(v, a2));
        e->type = add ? sql_type_with_attr(v->a, sql_type_with_nullable(v->a, a2, nullable), SQL_TA_NONE)
                      : sql_type_make(v->a, SQL_T_INT, nullable, -1, -1);
    }
    return SL_OK;
}

static sl_status bind_expr(vctx *v, const scope *sc, sql_node *e)
{
    sl_status st;
    switch (e->kind) {
    case SQL_LIT_INT:
    case SQL_LIT_DEC:
    case SQL_LIT_FLOAT:
    case SQL_LIT_STRING:
    case SQL_LIT_BOOL:
    case SQL_LIT_NULL:
    case SQL_LIT_TYPED:
    case SQL_LIT_INTERVAL:
        return bind_literal(v, e);
    case SQL_ID:
        if (e->nkids == 1 && niladic_call(v, sc, e)) return bind_call(v, sc, e);
        if ((st = bind_column(v, sc, e))) return st;
        if (v->agg_query && !v->in_agg && v->clause >= CTX_SELECT && v->clause <= CTX_ORDER && !is_grouped(v, e)) {
            fail(v, e, SL_ERR_VALIDATION, "Expression '%.*s' is not being grouped", (int)e->len, script_text(v) + e->off);
            sl_error_hint(v->err, "add it to GROUP BY, or wrap it in an aggregate function such as MAX(...)");
            return SL_ERR_VALIDATION;
        }
        return SL_OK;
    case SQL_UNARY: {
        if ((st = bind_expr(v, sc, e->kids[0]))) return st;
        const sql_type *t = e->kids[0]->type;
        if (strcmp(e->text, "NOT") == 0) {
            if (!is_boolean(t)) return cannot_apply(v, e, "NOT", t, NULL);
            e->type = sql_type_make(v->a, SQL_T_BOOLEAN, t->nullable, -1, -1);
        } else {
            if (!sql_type_is_numeric(t) && !sql_type_is_interval(t) && t->id != SQL_T_NULL) return cannot_apply(v, e, e->text, t, NULL);
            e->type = sql_type_with_attr(v->a, t, SQL_TA_NONE);
        }
        return SL_OK;
    }
    case SQL_BINARY: {
        if (v->agg_query && !v->in_agg && v->clause >= CTX_SELECT && v->clause <= CTX_ORDER && is_grouped(v, e)) {
            /* The whole expression is a GROUP BY key: its columns need not be grouped one by one. */
            bool saved = v->agg_query;
            v->agg_query = false;
            st = bind_expr(v, sc, e);
            v->agg_query = saved;
            return st;
        }
        if ((st = bind_expr(v, sc, e->kids[0])) || (st = bind_expr(v, sc, e->kids[1]))) return st;
        const sql_type *a = e->kids[0]->type, *b = e->kids[1]->type;
        const char *op = e->text;
        if (strcmp(op, "AND") == 0 || strcmp(op, "OR") == 0) {
            if (!is_boolean(a) || !is_boolean(b)) return cannot_apply(v, e, op, a, b);
            e->type = sql_type_make(v->a, SQL_T_BOOLEAN, any_nullable2(a, b), -1, -1);
        } else if (strcmp(op, "||") == 0) {
            if ((!sql_type_is_string(a) && a->id != SQL_T_NULL) || (!sql_type_is_string(b) && b->id != SQL_T_NULL))
                return cannot_apply(v, e, op, a, b);
            int64_t len = (int64_t)(a->precision > 0 ? a->precision : 0) + (b->precision > 0 ? b->precision : 0);
            e->type = sql_type_make(v->a, SQL_T_VARCHAR, any_nullable2(a, b), len > SQL_MAX_LENGTH || len < 1 ? SQL_MAX_LENGTH : (int32_t)len, -1);
        } else if (strchr("+-*/%", op[0]) && op[1] == '\0') {
            e->type = sql_type_arith(v->a, op[0], a, b);
            if (!e->type) return cannot_apply(v, e, op, a, b);
        } else { /* comparison */
            if (!sql_type_comparable(a, b)) {
                cannot_apply(v, e, op, a, b);
                sl_error_hint(v->err, "compare values of the same kind, or CAST one side");
                return SL_ERR_VALIDATION;
            }
            e->type = sql_type_make(v->a, SQL_T_BOOLEAN, any_nullable2(a, b), -1, -1);
        }
        return SL_OK;
    }
    case SQL_IS: {
        if ((st = bind_expr(v, sc, e->kids[0]))) return st;
        if (strcmp(e->text, "NULL") != 0 && !is_boolean(e->kids[0]->type))
            return fail(v, e, SL_ERR_VALIDATION, "Cannot apply 'IS %s%s' to a value of type %s",
                        (e->flags & SQL_F_NOT) ? "NOT " : "", e->text, tstr(v, e->kids[0]->type));
        e->type = sql_type_make(v->a, SQL_T_BOOLEAN, false, -1, -1);
        return SL_OK;
    }
    case SQL_BETWEEN: {
        if ((st = bind_kids(v, sc, e))) return st;
        for (int i = 1; i < 3; i++)
            if (!sql_type_comparable(e->kids[0]->type, e->kids[i]->type))
                return cannot_apply(v, e, "BETWEEN", e->kids[0]->type, e->kids[i]->type);
        e->type = sql_type_make(v->a, SQL_T_BOOLEAN,
                                e->kids[0]->type->nullable || e->kids[1]->type->nullable || e->kids[2]->type->nullable, -1, -1);
        return SL_OK;
    }
    case SQL_IN: {
        if ((st = bind_expr(v, sc, e->kids[0]))) return st;
        sql_node *rhs = e->kids[1];
        bool nullable = e->kids[0]->type->nullable;
        if (rhs->kind == SQL_LIST) {
            if ((st = bind_kids(v, sc, rhs))) return st;
            for (int i = 0; i < rhs->nkids; i++) {
                if (!sql_type_comparable(e->kids[0]->type, rhs->kids[i]->type)) {
                    fail(v, rhs->kids[i], SL_ERR_VALIDATION, "Values in the IN list must be comparable with %s, but this one is %s",
                         tstr(v, e->kids[0]->type), tstr(v, rhs->kids[i]->type));
                    return SL_ERR_VALIDATION;
                }
                nullable = nullable || rhs->kids[i]->type->nullable;
            }
        } else {
            if ((st = bind_query(v, sc, rhs))) return st;
            /* (a, b) IN (SELECT x, y ...): one column per operand */
            const sql_node *lhs = e->kids[0];
            int nops = lhs->kind == SQL_ROW_CTOR ? lhs->nkids : 1;
            if (rhs->type->nfields != nops) {
                fail(v, rhs, SL_ERR_VALIDATION, "The subquery of IN must return %d column%s, but returns %d", nops,
                     nops == 1 ? "" : "s", rhs->type->nfields);
                sl_error_hint(v->err, "select one column per operand on the left of IN: x IN (SELECT a ...), (x, y) IN (SELECT a, b ...)");
                return SL_ERR_VALIDATION;
            }
            for (int i = 0; i < nops; i++) {
                const sql_type *lt = nops == 1 ? lhs->type : lhs->kids[i]->type;
                if (!sql_type_comparable(lt, rhs->type->field_types[i])) return cannot_apply(v, e, "IN", lt, rhs->type->field_types[i]);
            }
            nullable = true;
        }
        e->type = sql_type_make(v->a, SQL_T_BOOLEAN, nullable, -1, -1);
        return SL_OK;
    }
    case SQL_LIKE_OP: {
        if ((st = bind_expr(v, sc, e->kids[0])) || (st = bind_expr(v, sc, e->kids[1]))) return st;
        if (e->kids[2] && (st = bind_expr(v, sc, e->kids[2]))) return st;
        for (int i = 0; i < 3; i++)
            if (e->kids[i] && !sql_type_is_string(e->kids[i]->type) && e->kids[i]->type->id != SQL_T_NULL)
                return cannot_apply(v, e, e->text, e->kids[0]->type, e->kids[1]->type);
        e->type = sql_type_make(v->a, SQL_T_BOOLEAN, e->kids[0]->type->nullable || e->kids[1]->type->nullable, -1, -1);
        return SL_OK;
    }
    case SQL_CASE: {
        sql_node *operand = e->kids[0], *whens = e->kids[1], *els = e->kids[2];
        if (operand && (st = bind_expr(v, sc, operand))) return st;
        const sql_type *result = NULL;
        for (int i = 0; i < whens->nkids; i++) {
            sql_node *w = whens->kids[i];
            if ((st = bind_expr(v, sc, w->kids[0])) || (st = bind_expr(v, sc, w->kids[1]))) return st;
            if (operand) {
                if (!sql_type_comparable(operand->type, w->kids[0]->type))
                    return cannot_apply(v, w->kids[0], "=", operand->type, w->kids[0]->type);
            } else if ((st = need_boolean(v, w->kids[0], "A WHEN condition"))) {
                return st;
            }
            const sql_type *r = result ? sql_type_common(v->a, result, w->kids[1]->type) : w->kids[1]->type;
            if (!r)
                return fail(v, w->kids[1], SL_ERR_VALIDATION, "Illegal mixing of types in CASE: %s and %s", tstr(v, result),
                            tstr(v, w->kids[1]->type));
            result = r;
        }
        if (els) {
            if ((st = bind_expr(v, sc, els))) return st;
            const sql_type *r = sql_type_common(v->a, result, els->type);
            if (!r) return fail(v, els, SL_ERR_VALIDATION, "Illegal mixing of types in CASE: %s and %s", tstr(v, result), tstr(v, els->type));
            result = r;
        } else {
            result = sql_type_with_nullable(v->a, result, true);
        }
        e->type = sql_type_with_attr(v->a, result, SQL_TA_NONE);
        return SL_OK;
    }
    case SQL_CAST: {
        if ((st = bind_expr(v, sc, e->kids[0]))) return st;
        const sql_type *to;
        if ((st = sql_type_from_ast(v->a, e->kids[1], v->script, &to, v->err))) return st;
        if (!sql_type_can_cast(e->kids[0]->type, to))
            return fail(v, e, SL_ERR_VALIDATION, "Cast function cannot convert value of type %s to type %s",
                        tstr(v, e->kids[0]->type), tstr(v, to));
        bool nullable = e->kids[0]->type->nullable || strcmp(e->text, "TRY_CAST") == 0 || to->nullable;
        e->type = sql_type_with_nullable(v->a, to, nullable && (to->nullable || strcmp(e->text, "TRY_CAST") == 0 || e->kids[0]->type->nullable));
        return SL_OK;
    }
    case SQL_CALL: return bind_call(v, sc, e);
    case SQL_SPECIAL: return bind_special(v, sc, e);
    case SQL_FIELD: {
        if ((st = bind_expr(v, sc, e->kids[0]))) return st;
        const sql_type *t = e->kids[0]->type;
        if (t->id != SQL_T_ROW) return fail(v, e, SL_ERR_VALIDATION, "Cannot access field '%s' of a value of type %s", e->text, tstr(v, t));
        int f = field_index(t, e->text);
        if (f < 0) return fail(v, e->kids[1], SL_ERR_VALIDATION, "Unknown field '%s' in %s", e->text, tstr(v, t));
        e->type = t->nullable ? sql_type_with_nullable(v->a, t->field_types[f], true) : t->field_types[f];
        return SL_OK;
    }
    case SQL_ITEM: {
        if ((st = bind_expr(v, sc, e->kids[0])) || (st = bind_expr(v, sc, e->kids[1]))) return st;
        const sql_type *t = e->kids[0]->type, *i = e->kids[1]->type;
        if (t->id == SQL_T_ARRAY) {
            if (!sql_type_is_integer(i)) return fail(v, e->kids[1], SL_ERR_VALIDATION, "An array index must be an integer, not %s", tstr(v, i));
            e->type = sql_type_with_nullable(v->a, t->elem, true);
        } else if (t->id == SQL_T_MAP) {
            if (!sql_type_comparable(t->elem, i)) return fail(v, e->kids[1], SL_ERR_VALIDATION, "A key of %s cannot be of type %s", tstr(v, t), tstr(v, i));
            e->type = sql_type_with_nullable(v->a, t->value, true);
        } else {
            return fail(v, e, SL_ERR_VALIDATION, "Cannot apply '[]' to a value of type %s", tstr(v, t));
        }
        return SL_OK;
    }
    case SQL_ROW_CTOR: {
        if ((st = bind_kids(v, sc, e))) return st;
        const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)e->nkids);
        const sql_type **types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)e->nkids);
        for (int i = 0; i < e->nkids; i++) {
            char nm[24];
            snprintf(nm, sizeof nm, "EXPR$%d", i);
            names[i] = sl_arena_strdup(v->a, nm);
            types[i] = e->kids[i]->type;
        }
        e->type = row_type(v, e->nkids, names, types);
        return SL_OK;
    }
    case SQL_ARRAY_CTOR:
    case SQL_MAP_CTOR: {
        if ((st = bind_kids(v, sc, e))) return st;
        bool map = e->kind == SQL_MAP_CTOR;
        if (map && e->nkids % 2) return fail(v, e, SL_ERR_VALIDATION, "MAP requires an even number of arguments (key, value, ...)");
        const sql_type *k = NULL, *val = NULL;
        for (int i = 0; i < e->nkids; i++) {
            const sql_type **acc = (map && i % 2) ? &val : &k;
            const sql_type *r = *acc ? sql_type_common(v->a, *acc, e->kids[i]->type) : e->kids[i]->type;
            if (!r) return fail(v, e->kids[i], SL_ERR_VALIDATION, "Parameters must be of the same type: %s and %s", tstr(v, *acc), tstr(v, e->kids[i]->type));
            *acc = r;
        }
        e->type = map ? sql_type_map(v->a, k, val, false) : sql_type_array(v->a, k, false);
        return SL_OK;
    }
    case SQL_EXISTS:
        if ((st = bind_query(v, sc, e->kids[0]))) return st;
        e->type = sql_type_make(v->a, SQL_T_BOOLEAN, false, -1, -1);
        return SL_OK;
    case SQL_STAR:
        return fail(v, e, SL_ERR_VALIDATION, "'*' is only allowed in the SELECT list or in COUNT(*)");
    default:
        return fail(v, e, SL_ERR_UNSUPPORTED, "not supported yet: %s in an expression", sql_kind_name(e->kind));
    }
}

/* ---- queries ------------------------------------------------------------------------------ */

static const sql_type *find_cte(vctx *v, const char *name)
{
    for (int i = v->nctes - 1; i >= 0; i--)
        if (strcmp(v->ctes[i].name, name) == 0) return v->ctes[i].row;
    return NULL;
}

/* Renames a row's columns by an alias list (t AS a (x, y)). */
static sl_status rename_columns(vctx *v, const sql_type **row, const sql_node *names, const sql_node *at)
{
    if (!names) return SL_OK;
    if (names->nkids != (*row)->nfields)
        return fail(v, at, SL_ERR_VALIDATION,
                    "List of column aliases must have same degree as table; table has %d columns, whereas alias list has %d columns",
                    (*row)->nfields, names->nkids);
    const char **nm = sl_arena_alloc(v->a, sizeof(char *) * (size_t)names->nkids);
    for (int i = 0; i < names->nkids; i++) nm[i] = names->kids[i]->text;
    *row = row_type(v, names->nkids, nm, (*row)->field_types);
    return SL_OK;
}

static sl_status bind_from(vctx *v, scope *sc, sql_node *f);

static bool is_time_attr(const sql_type *t) { return t->attr != SQL_TA_NONE; }

static sl_status bind_tvf(vctx *v, scope *sc, sql_node *tvf)
{
    sql_node *call = tvf->kids[0], *args = call->kids[0];
    const char *fn = call->text;
    const sql_function *f = sql_function_find(fn);
    if (!f || sql_function_kind(f) != SQL_FN_TABLE) {
        fail(v, call, SL_ERR_VALIDATION, "No table function named '%s'", fn);
        sl_error_hint(v->err, "the window table functions are TUMBLE, HOP, CUMULATE and SESSION");
        return SL_ERR_VALIDATION;
    }
    int want = strcasecmp(fn, "TUMBLE") == 0 || strcasecmp(fn, "SESSION") == 0 ? 3 : 4;
    if (args->nkids < want || args->nkids > want + (strcasecmp(fn, "SESSION") == 0 ? 0 : 1))
        return fail(v, call, SL_ERR_VALIDATION, "%s expects %d arguments (TABLE t, DESCRIPTOR(time column), %s%s), but got %d",
                    fn, want, want == 4 ? "slide/step, size" : "size", want == 4 || strcasecmp(fn, "TUMBLE") == 0 ? "[, offset]" : "",
                    args->nkids);
    sql_node *targ = args->kids[0], *desc = args->kids[1];
    if (targ->kind != SQL_TABLE_ARG)
        return fail(v, targ, SL_ERR_VALIDATION, "The first argument of %s must be TABLE <name>", fn);
    const sql_type *row;
    const char *tname;
    sl_status st;
    if ((st = object_name(v, targ->kids[0], &tname))) return st;
    if (!(row = find_cte(v, tname))) {
        const sql_table *t = find_table_or_fail(v, targ->kids[0]);
        if (!t) return v->err->code;
        targ->ival = t->serial;
        row = table_row(v, t);
    }
    if (targ->kids[1] && strcasecmp(fn, "SESSION") != 0)
        return fail(v, targ->kids[1], SL_ERR_VALIDATION, "PARTITION BY is only allowed in SESSION windows");
    if (desc->kind != SQL_DESCRIPTOR || desc->nkids != 1)
        return fail(v, desc, SL_ERR_VALIDATION, "The second argument of %s must be DESCRIPTOR(<time attribute column>)", fn);
    int tc = field_index(row, desc->kids[0]->text);
    if (tc < 0) {
        fail(v, desc->kids[0], SL_ERR_VALIDATION, "Column '%s' not found in table '%s'", desc->kids[0]->text, tname);
        const char *best = sl_suggest(desc->kids[0]->text, row->field_names, (size_t)row->nfields, true);
        if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
        return SL_ERR_VALIDATION;
    }
    const sql_type *tt = row->field_types[tc];
    if (!is_time_attr(tt)) {
        fail(v, desc->kids[0], SL_ERR_VALIDATION,
             "The window function requires the timecol is a time attribute type, but is %s.", tstr(v, tt));
        sl_error_hint(v->err, "declare it with WATERMARK FOR %s AS ... (event time) or use a PROCTIME() column", desc->kids[0]->text);
        return SL_ERR_VALIDATION;
    }
    scope empty = {0};
    for (int i = 2; i < args->nkids; i++) {
        if ((st = bind_expr(v, &empty, args->kids[i]))) return st;
        if (args->kids[i]->type->id != SQL_T_INTERVAL_DT)
            return fail(v, args->kids[i], SL_ERR_VALIDATION, "Window sizes of %s must be intervals (INTERVAL '...' SECOND/MINUTE/HOUR/DAY), not %s",
                        fn, tstr(v, args->kids[i]->type));
    }
    /* output: the input columns, then window_start, window_end, window_time */
    int n = row->nfields + 3;
    const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)n);
    const sql_type **types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)n);
    for (int i = 0; i < row->nfields; i++) {
        names[i] = row->field_names[i];
        /* the time attribute is materialized in the output; window_time carries it on */
        types[i] = i == tc ? sql_type_with_attr(v->a, row->field_types[i], SQL_TA_NONE) : row->field_types[i];
    }
    bool ltz = tt->id == SQL_T_TIMESTAMP_LTZ;
    names[n - 3] = "window_start";
    names[n - 2] = "window_end";
    names[n - 1] = "window_time";
    types[n - 3] = sql_type_make(v->a, SQL_T_TIMESTAMP, false, 3, -1);
    types[n - 2] = sql_type_make(v->a, SQL_T_TIMESTAMP, false, 3, -1);
    types[n - 1] = sql_type_with_attr(v->a, sql_type_make(v->a, ltz ? SQL_T_TIMESTAMP_LTZ : SQL_T_TIMESTAMP, false, 3, -1),
                                      tt->attr);
    const sql_type *out = row_type(v, n, names, types);
    tvf->type = out;
    scope_add(v, sc, tvf->kids[1] ? tvf->kids[1]->text : NULL, out);
    return SL_OK;
}

static sl_status bind_from(vctx *v, scope *sc, sql_node *f)
{
    sl_status st;
    switch (f->kind) {
    case SQL_TABLE_REF: {
        const char *name;
        if ((st = object_name(v, f->kids[0], &name))) return st;
        const sql_type *row = f->kids[0]->nkids == 1 ? find_cte(v, name) : NULL;
        if (!row) {
            const sql_table *t = find_table_or_fail(v, f->kids[0]);
            if (!t) return v->err->code;
            f->ival = t->serial;
            row = table_row(v, t);
        }
        if (f->kids[2]) { /* FOR SYSTEM_TIME AS OF: bound against the tables to its left */
            if ((st = bind_expr(v, sc, f->kids[2]))) return st;
            const sql_type *at = f->kids[2]->type;
            if (at->id != SQL_T_TIMESTAMP && at->id != SQL_T_TIMESTAMP_LTZ)
                return fail(v, f->kids[2], SL_ERR_VALIDATION, "FOR SYSTEM_TIME AS OF needs a time attribute, not %s", tstr(v, at));
        }
        if ((st = rename_columns(v, &row, f->kids[4], f))) return st;
        f->type = row;
        scope_add(v, sc, f->kids[1] ? f->kids[1]->text : name, row);
        return SL_OK;
    }
    case SQL_SUBQUERY: {
        if ((st = bind_query(v, (f->flags & SQL_F_LATERAL) ? sc : NULL, f->kids[0]))) return st;
        const sql_type *row = f->kids[0]->type;
        if ((st = rename_columns(v, &row, f->kids[2], f))) return st;
        f->type = row;
        scope_add(v, sc, f->kids[1] ? f->kids[1]->text : NULL, row);
        return SL_OK;
    }
    case SQL_TVF: return bind_tvf(v, sc, f);
    case SQL_JOIN: {
        if ((st = bind_from(v, sc, f->kids[0]))) return st;
        int left_end = sc->nrels;
        if ((st = bind_from(v, sc, f->kids[1]))) return st;
        const char *kind = f->text;
        bool left_null = strcmp(kind, "RIGHT") == 0 || strcmp(kind, "FULL") == 0;
        bool right_null = strcmp(kind, "LEFT") == 0 || strcmp(kind, "FULL") == 0;
        if (f->kids[3]) { /* USING */
            for (int i = 0; i < f->kids[3]->nkids; i++) {
                const char *col = f->kids[3]->kids[i]->text;
                bool in_left = false, in_right = false;
                for (int r = 0; r < sc->nrels; r++) {
                    if (field_index(sc->rels[r].row, col) < 0) continue;
                    if (r < left_end) in_left = true;
                    else in_right = true;
                }
                if (!in_left || !in_right)
                    return fail(v, f->kids[3]->kids[i], SL_ERR_VALIDATION, "Column '%s' not found in any table on the %s side of the join",
                                col, in_left ? "right" : "left");
                if (sc->nusing == sc->capusing) {
                    int n = sc->capusing ? sc->capusing * 2 : 4;
                    const char **u = sl_arena_alloc(v->a, sizeof(char *) * (size_t)n);
                    if (sc->nusing) memcpy(u, sc->using_names, sizeof(char *) * (size_t)sc->nusing);
                    sc->using_names = u;
                    sc->capusing = n;
                }
                sc->using_names[sc->nusing++] = col;
            }
        }
        if (f->kids[2]) {
            int saved = v->clause;
            v->clause = CTX_ON;
            st = bind_expr(v, sc, f->kids[2]);
            v->clause = saved;
            if (st || (st = need_boolean(v, f->kids[2], "The ON condition of a join"))) return st;
        }
        for (int r = 0; r < sc->nrels; r++)
            if ((r < left_end && left_null) || (r >= left_end && right_null)) sc->rels[r].row = row_nullable(v, sc->rels[r].row);
        return SL_OK;
    }
    default: return fail(v, f, SL_ERR_INTERNAL, "unexpected %s in FROM", sql_kind_name(f->kind));
    }
}

/* Does the expression tree contain an aggregate call (outside OVER)? */
static bool has_aggregate(const sql_node *e)
{
    if (!e) return false;
    if (e->kind == SQL_SUBQUERY || e->kind == SQL_EXISTS || e->kind == SQL_SELECT) return false;
    if (e->kind == SQL_CALL && !e->kids[2]) {
        const sql_function *f = sql_function_find(e->text);
        if (f && sql_function_kind(f) == SQL_FN_AGGREGATE) return true;
    }
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i] && e->kids[i]->kind != SQL_SELECT && has_aggregate(e->kids[i])) return true;
    return false;
}

/* A growing list of output columns (names and types), in the arena. */
typedef struct colvec {
    const char **names;
    const sql_type **types;
    int n, cap;
} colvec;

static void push_col(vctx *v, colvec *c, const char *name, const sql_type *type)
{
    if (c->n == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 16;
        const char **nn = sl_arena_alloc(v->a, sizeof(char *) * (size_t)ncap);
        const sql_type **nt = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)ncap);
        if (c->n) {
            memcpy(nn, c->names, sizeof(char *) * (size_t)c->n);
            memcpy(nt, c->types, sizeof(sql_type *) * (size_t)c->n);
        }
        c->names = nn;
        c->types = nt;
        c->cap = ncap;
    }
    c->names[c->n] = name;
    c->types[c->n++] = type;
}

static sl_status bind_select(vctx *v, const scope *parent, sql_node *q, scope **out_scope)
{
    sql_node *items = q->kids[0], *from = q->kids[1], *where = q->kids[2], *group = q->kids[3], *having = q->kids[4];
    scope *sc = sl_arena_zalloc(v->a, sizeof *sc);
    sc->parent = parent;
    sl_status st;
    bool saved_agg = v->agg_query;
    const sql_node *saved_group = v->group_by;
    int saved_clause = v->clause, saved_in_agg = v->in_agg;
    v->agg_query = false;
    v->group_by = NULL;
    v->in_agg = 0;
    if (from && (st = bind_from(v, sc, from))) goto out;
    if (where) {
        v->clause = CTX_WHERE;
        if ((st = bind_expr(v, sc, where)) || (st = need_boolean(v, where, "The WHERE clause"))) goto out;
    }
    if (group) {
        v->clause = CTX_GROUP_BY;
        if ((st = bind_kids(v, sc, group))) goto out;
    }
    bool agg = group != NULL || has_aggregate(having);
    for (int i = 0; !agg && i < items->nkids; i++) agg = has_aggregate(items->kids[i]);
    v->agg_query = agg;
    v->group_by = group;
    /* select list: expand stars, bind, name the columns */
    colvec cols = {0};
    v->clause = CTX_SELECT;
    for (int i = 0; i < items->nkids; i++) {
        sql_node *it = items->kids[i];
        int from_rel = 0, to_rel = sc->nrels;
        bool star = it->kind == SQL_STAR || (it->kind == SQL_SELECT_ITEM && it->kids[0]->kind == SQL_STAR);
        if (star) {
            sql_node *s = it->kind == SQL_STAR ? it : it->kids[0];
            if (agg) { st = fail(v, s, SL_ERR_VALIDATION, "'*' is not allowed in an aggregating query"); goto out; }
            if (s->nkids) { /* t.* */
                const sql_node *qual = s->kids[0];
                const char *alias = qual->kind == SQL_ID ? qual->text : NULL;
                from_rel = -1;
                for (int r = 0; r < sc->nrels && alias; r++)
                    if (sc->rels[r].alias && strcmp(sc->rels[r].alias, alias) == 0) { from_rel = r; to_rel = r + 1; }
                if (from_rel < 0) { st = fail(v, qual, SL_ERR_VALIDATION, "Unknown table '%.*s' in '%.*s'", (int)qual->len, v->text + qual->off, (int)s->len, v->text + s->off); goto out; }
            }
            if (sc->nrels == 0) { st = fail(v, s, SL_ERR_VALIDATION, "SELECT * requires a FROM clause"); goto out; }
            for (int r = from_rel; r < to_rel; r++) {
                const sql_type *row = sc->rels[r].row;
                for (int c = 0; c < row->nfields; c++) push_col(v, &cols, row->field_names[c], row->field_types[c]);
            }
            continue;
        }
        sql_node *e = it->kids[0];
        if ((st = bind_expr(v, sc, e))) goto out;
        const char *colname;
        if (it->kids[1]) colname = it->kids[1]->text;
        else if (e->kind == SQL_ID) colname = e->text;
        else {
            char nm[24];
            snprintf(nm, sizeof nm, "EXPR$%d", i);
            colname = sl_arena_strdup(v->a, nm);
        }
        push_col(v, &cols, colname, e->type);
    }
    if (having) {
        v->clause = CTX_HAVING;
        if ((st = bind_expr(v, sc, having)) || (st = need_boolean(v, having, "The HAVING clause"))) goto out;
    }
    q->type = row_type(v, cols.n, cols.names, cols.types);
    if (out_scope) *out_scope = sc;
    st = SL_OK;
out:
    v->agg_query = saved_agg;
    v->group_by = saved_group;
    v->clause = saved_clause;
    v->in_agg = saved_in_agg;
    return st;
}

static sl_status bind_query_inner(vctx *v, const scope *parent, sql_node *q, scope **out_scope)
{
    sl_status st;
    switch (q->kind) {
    case SQL_SELECT: return bind_select(v, parent, q, out_scope);
    case SQL_SET_OP: {
        if ((st = bind_query_inner(v, parent, q->kids[0], NULL)) || (st = bind_query_inner(v, parent, q->kids[1], NULL))) return st;
        const sql_type *l = q->kids[0]->type, *r = q->kids[1]->type;
        const char *op = q->text;
        if (l->nfields != r->nfields)
            return fail(v, q, SL_ERR_VALIDATION, "Column count mismatch in %s%s: the left query has %d columns, the right %d",
                        op, (q->flags & SQL_F_ALL) ? " ALL" : "", l->nfields, r->nfields);
        const sql_type **types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)(l->nfields ? l->nfields : 1));
        for (int i = 0; i < l->nfields; i++) {
            types[i] = sql_type_common(v->a, l->field_types[i], r->field_types[i]);
            if (!types[i])
                return fail(v, q->kids[1], SL_ERR_VALIDATION, "Type mismatch in column %d of %s: %s and %s", i + 1, op,
                            tstr(v, l->field_types[i]), tstr(v, r->field_types[i]));
        }
        q->type = row_type(v, l->nfields, l->field_names, types);
        return SL_OK;
    }
    case SQL_VALUES: {
        /* Flink's VALUES: constant rows of one width; each column's type is the least restrictive
         * common type over the rows (NULL takes the other rows' type), named EXPR$0, EXPR$1 ... */
        scope none = {0};
        int saved = v->clause;
        v->clause = CTX_OTHER;
        int w = q->kids[0]->nkids;
        const sql_type **types = sl_arena_zalloc(v->a, sizeof(sql_type *) * (size_t)(w ? w : 1));
        for (int r = 0; r < q->nkids; r++) {
            sql_node *row = q->kids[r];
            if (row->nkids != w) {
                v->clause = saved;
                fail(v, row, SL_ERR_VALIDATION,
                     "Values passed to VALUES operator must have compatible types: row %d has %d value%s where the first row has %d", r + 1,
                     row->nkids, row->nkids == 1 ? "" : "s", w);
                sl_error_hint(v->err, "give every row of VALUES the same number of values");
                return SL_ERR_VALIDATION;
            }
            for (int i = 0; i < w; i++) {
                sql_node *e = row->kids[i];
                if (has_aggregate(e)) {
                    v->clause = saved;
                    return fail(v, e, SL_ERR_VALIDATION, "Aggregate expressions are not allowed in VALUES");
                }
                if ((st = bind_expr(v, &none, e))) { v->clause = saved; return st; }
                const sql_type *t = sql_type_with_attr(v->a, e->type, SQL_TA_NONE);
                const sql_type *c = r == 0 ? t : sql_type_common(v->a, types[i], t);
                if (!c) {
                    v->clause = saved;
                    fail(v, e, SL_ERR_VALIDATION,
                         "Values passed to VALUES operator must have compatible types: column %d is %s in the rows before row %d "
                         "and %s here",
                         i + 1, tstr(v, types[i]), r + 1, tstr(v, t));
                    sl_error_hint(v->err, "CAST the values of the column to one type");
                    return SL_ERR_VALIDATION;
                }
                types[i] = c;
            }
        }
        v->clause = saved;
        const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)(w ? w : 1));
        for (int i = 0; i < w; i++) {
            if (types[i]->id == SQL_T_NULL) {
                fail(v, q->kids[0]->kids[i], SL_ERR_VALIDATION, "Illegal use of 'NULL': column %d of VALUES is NULL in every row", i + 1);
                sl_error_hint(v->err, "give the column a type: CAST(NULL AS INT)");
                return SL_ERR_VALIDATION;
            }
            char nm[32];
            snprintf(nm, sizeof nm, "EXPR$%d", i);
            names[i] = sl_arena_strdup(v->a, nm);
        }
        q->type = row_type(v, w, names, types);
        return SL_OK;
    }
    case SQL_ORDER_BY: {
        scope *sc = NULL;
        if ((st = bind_query_inner(v, parent, q->kids[0], &sc))) return st;
        q->type = q->kids[0]->type;
        if (q->kids[1]) {
            /* ORDER BY items: an output column name, or an expression over the FROM clause */
            scope out = {0};
            out.parent = sc;
            scope_add(v, &out, NULL, q->type);
            int saved = v->clause;
            v->clause = CTX_OTHER;
            for (int i = 0; i < q->kids[1]->nkids; i++) {
                sql_node *e = q->kids[1]->kids[i]->kids[0];
                if ((st = bind_expr(v, &out, e))) { v->clause = saved; return st; }
            }
            v->clause = saved;
        }
        return SL_OK;
    }
    case SQL_WITH: {
        int saved = v->nctes;
        sql_node *ctes = q->kids[0];
        for (int i = 0; i < ctes->nkids; i++) {
            sql_node *c = ctes->kids[i];
            if ((st = bind_query_inner(v, NULL, c->kids[1], NULL))) { v->nctes = saved; return st; }
            const sql_type *row = c->kids[1]->type;
            if ((st = rename_columns(v, &row, c->kids[0], c))) { v->nctes = saved; return st; }
            if (v->nctes == v->capctes) {
                int n = v->capctes ? v->capctes * 2 : 4;
                cte *nc = sl_arena_alloc(v->a, sizeof *nc * (size_t)n);
                if (v->nctes) memcpy(nc, v->ctes, sizeof *nc * (size_t)v->nctes);
                v->ctes = nc;
                v->capctes = n;
            }
            v->ctes[v->nctes++] = (cte){c->text, row};
        }
        st = bind_query_inner(v, parent, q->kids[1], out_scope);
        q->type = q->kids[1]->type;
        v->nctes = saved;
        return st;
    }
    default: return fail(v, q, SL_ERR_INTERNAL, "not a query: %s", sql_kind_name(q->kind));
    }
}

static sl_status bind_query(vctx *v, const scope *parent, sql_node *q) { return bind_query_inner(v, parent, q, NULL); }

/* ---- statements --------------------------------------------------------------------------- */

static const char *qualified(vctx *v, const char *name)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_strbuf_printf(&sb, "%s.%s.%s", CATALOG, DATABASE, name);
    const char *s = sl_arena_strdup(v->a, sl_strbuf_cstr(&sb));
    sl_strbuf_free(&sb);
    return s;
}

static void add_table(sql_session *s, sql_table *t)
{
    SL_GROW(s->tables, s->captables, s->ntables + 1);
    s->tables[s->ntables++] = t;
    SL_GROW(s->defined, s->capdefined, s->ndefined + 1);
    s->defined[s->ndefined++] = t;
    t->serial = (int)s->ndefined;
}

static sl_status create_table(vctx *v, sql_node *stmt)
{
    sql_node *elems = stmt->kids[1], *partitioned = stmt->kids[2], *opts = stmt->kids[3], *like = stmt->kids[4];
    const char *name;
    sl_status st;
    if ((st = object_name(v, stmt->kids[0], &name))) return st;
    if (sql_session_table(v->s, name)) {
        if (stmt->flags & SQL_F_IF_NOT_EXISTS) return SL_OK;
        fail(v, stmt->kids[0], SL_ERR_EXISTS, "Table " QUALIFIED ".`%s` already exists", name);
        sl_error_hint(v->err, "use CREATE TABLE IF NOT EXISTS, or DROP TABLE %s first", name);
        return SL_ERR_EXISTS;
    }
    sql_table *t = sl_arena_zalloc(v->a, sizeof *t);
    t->name = sl_arena_strdup(v->a, name);
    t->script = sl_arena_strdup(v->a, v->script);
    t->temporary = (stmt->flags & SQL_F_TEMPORARY) != 0;
    t->rowtime = -1;
    t->comment = stmt->kids[5] ? stmt->kids[5]->text : NULL;
    int cap = elems->nkids + 8, nopt_cap = (opts ? opts->nkids : 0) + 8;
    const sql_table *src = NULL;
    bool src_cols = true, src_opts = true, src_wm = true;
    if (like) {
        if (!(src = find_table_or_fail(v, like->kids[0]))) return v->err->code;
        for (int i = 0; i < like->kids[1]->nkids; i++) {
            const char *o = like->kids[1]->kids[i]->text;
            if (strncasecmp(o, "EXCLUDING ALL", 13) == 0) src_cols = src_opts = src_wm = false;
            else if (strncasecmp(o, "EXCLUDING OPTIONS", 17) == 0) src_opts = false;
            else if (strncasecmp(o, "EXCLUDING WATERMARKS", 20) == 0) src_wm = false;
            else if (strncasecmp(o, "INCLUDING OPTIONS", 17) == 0) src_opts = true;
            else if (strncasecmp(o, "INCLUDING WATERMARKS", 20) == 0) src_wm = true;
        }
        cap += src->ncols;
        nopt_cap += src->nopts;
    }
    t->cols = sl_arena_zalloc(v->a, sizeof(sql_column) * (size_t)cap);
    t->opts = sl_arena_zalloc(v->a, sizeof(sql_table_option) * (size_t)nopt_cap);
    if (src && src_cols) {
        for (int i = 0; i < src->ncols; i++) t->cols[t->ncols++] = src->cols[i];
        if (src_wm) {
            t->rowtime = src->rowtime;
            t->watermark_expr = src->watermark_expr;
        }
    }
    if (src && src_opts)
        for (int i = 0; i < src->nopts; i++) t->opts[t->nopts++] = src->opts[i];

    const sql_node *pk_node = NULL, *wm = NULL;
    /* pass 1: physical and metadata columns */
    for (int i = 0; i < elems->nkids; i++) {
        sql_node *el = elems->kids[i];
        if (el->kind == SQL_WATERMARK) {
            if (wm) return fail(v, el, SL_ERR_VALIDATION, "Multiple watermark definitions are not supported");
            wm = el;
            continue;
        }
        if (el->kind == SQL_PRIMARY_KEY || (el->kind == SQL_COLUMN && (el->flags & SQL_F_PRIMARY_KEY))) {
            if (pk_node) return fail(v, el, SL_ERR_VALIDATION, "Duplicate primary key definition");
            pk_node = el;
        }
        if (el->kind != SQL_COLUMN && el->kind != SQL_METADATA_COLUMN && el->kind != SQL_COMPUTED_COLUMN) continue;
        for (int c = 0; c < t->ncols; c++)
            if (strcmp(t->cols[c].name, el->text) == 0)
                return fail(v, el, SL_ERR_VALIDATION, "A column named '%s' already exists in the table", el->text);
        sql_column *col = &t->cols[t->ncols];
        col->name = sl_arena_strdup(v->a, el->text);
        if (el->kind == SQL_COMPUTED_COLUMN) {
            col->kind = SQL_COL_COMPUTED;
            col->expr = el->kids[0];
            t->ncols++;
            continue;
        }
        if ((st = sql_type_from_ast(v->a, el->kids[0], v->script, &col->type, v->err))) return st;
        if (el->kind == SQL_METADATA_COLUMN) {
            col->kind = SQL_COL_METADATA;
            col->metadata_key = sl_arena_strdup(v->a, el->kids[1] ? el->kids[1]->text : el->text);
            col->is_virtual = (el->flags & SQL_F_VIRTUAL) != 0;
        }
        t->ncols++;
    }
    /* pass 2: computed columns, typed against the physical and metadata columns */
    scope sc = {0};
    {
        const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)(t->ncols ? t->ncols : 1));
        const sql_type **types = sl_arena_alloc(v->a, sizeof(sql_type *) * (size_t)(t->ncols ? t->ncols : 1));
        int n = 0;
        for (int c = 0; c < t->ncols; c++)
            if (t->cols[c].kind != SQL_COL_COMPUTED) {
                names[n] = t->cols[c].name;
                types[n++] = t->cols[c].type;
            }
        scope_add(v, &sc, NULL, row_type(v, n, names, types));
    }
    v->clause = CTX_COMPUTED;
    for (int c = 0; c < t->ncols; c++) {
        if (t->cols[c].kind != SQL_COL_COMPUTED || t->cols[c].type) continue;
        if ((st = bind_expr(v, &sc, (sql_node *)t->cols[c].expr))) return st;
        t->cols[c].type = t->cols[c].expr->type;
    }
    v->clause = CTX_OTHER;
    /* watermark */
    if (wm) {
        const sql_node *col = wm->kids[0];
        int rc = -1;
        for (int c = 0; c < t->ncols; c++)
            if (strcmp(t->cols[c].name, col->text) == 0) rc = c;
        if (rc < 0) {
            fail(v, col, SL_ERR_VALIDATION, "The rowtime attribute field '%s' is not defined in the table schema", col->text);
            const char **names = sl_arena_alloc(v->a, sizeof(char *) * (size_t)(t->ncols ? t->ncols : 1));
            for (int c = 0; c < t->ncols; c++) names[c] = t->cols[c].name;
            const char *best = sl_suggest(col->text, names, (size_t)t->ncols, true);
            if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
            return SL_ERR_VALIDATION;
        }
        const sql_type *ct = t->cols[rc].type;
        if ((ct->id != SQL_T_TIMESTAMP && ct->id != SQL_T_TIMESTAMP_LTZ) || ct->precision > 3)
            return fail(v, col, SL_ERR_VALIDATION,
                        "Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or "
                        "TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is %s",
                        tstr(v, ct));
        /* the watermark expression sees the columns, the rowtime column included */
        scope wsc = {0};
        scope_add(v, &wsc, NULL, table_row(v, t));
        v->clause = CTX_WATERMARK;
        st = bind_expr(v, &wsc, (sql_node *)wm->kids[1]);
        v->clause = CTX_OTHER;
        if (st) return st;
        const sql_type *wt = wm->kids[1]->type;
        if ((wt->id != SQL_T_TIMESTAMP && wt->id != SQL_T_TIMESTAMP_LTZ) || wt->precision > 3)
            return fail(v, wm->kids[1], SL_ERR_VALIDATION,
                        "Invalid data type of expression for watermark definition. The field must be of type TIMESTAMP(p) or "
                        "TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the watermark expression type is %s",
                        tstr(v, wt));
        t->rowtime = rc;
        t->watermark_expr = wm->kids[1];
    }
    if (t->rowtime >= 0)
        t->cols[t->rowtime].type = sql_type_with_attr(v->a, t->cols[t->rowtime].type, SQL_TA_ROWTIME);
    /* primary key */
    if (pk_node) {
        int n = pk_node->kind == SQL_COLUMN ? 1 : pk_node->nkids;
        t->pk = sl_arena_alloc(v->a, sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++) {
            const char *cn = pk_node->kind == SQL_COLUMN ? pk_node->text : pk_node->kids[i]->text;
            const sql_node *at = pk_node->kind == SQL_COLUMN ? pk_node : pk_node->kids[i];
            int c = -1;
            for (int k = 0; k < t->ncols; k++)
                if (strcmp(t->cols[k].name, cn) == 0) c = k;
            if (c < 0) return fail(v, at, SL_ERR_VALIDATION, "Could not create a PRIMARY KEY: column '%s' does not exist", cn);
            if (t->cols[c].kind != SQL_COL_PHYSICAL)
                return fail(v, at, SL_ERR_VALIDATION, "Could not create a PRIMARY KEY with column '%s': it is not a physical column", cn);
            t->cols[c].type = sql_type_with_nullable(v->a, t->cols[c].type, false);
            t->pk[t->npk++] = c;
        }
    }
    /* partition keys */
    for (int i = 0; partitioned && i < partitioned->nkids; i++) {
        bool ok = false;
        for (int c = 0; c < t->ncols; c++) ok = ok || strcmp(t->cols[c].name, partitioned->kids[i]->text) == 0;
        if (!ok) return fail(v, partitioned->kids[i], SL_ERR_VALIDATION, "Partition column '%s' not defined in the table schema", partitioned->kids[i]->text);
    }
    /* options: own options override LIKE's; a key given twice is an error */
    for (int i = 0; opts && i < opts->nkids; i++) {
        sql_node *o = opts->kids[i];
        const char *key = o->kids[0]->text;
        for (int j = 0; j < i; j++)
            if (strcmp(opts->kids[j]->kids[0]->text, key) == 0)
                return fail(v, o->kids[0], SL_ERR_VALIDATION, "Option '%s' is given twice in the WITH clause", key);
        int slot = -1;
        for (int j = 0; j < t->nopts; j++)
            if (strcmp(t->opts[j].key, key) == 0) slot = j;
        if (slot < 0) slot = t->nopts++;
        t->opts[slot] = (sql_table_option){sl_arena_strdup(v->a, key), sl_arena_strdup(v->a, o->kids[1]->text), o};
    }
    if (t->nopts == 0) {
        fail(v, stmt->kids[0], SL_ERR_VALIDATION, "Table options do not contain an option key 'connector' for table '%s'", name);
        sl_error_hint(v->err, "add WITH ('connector' = '...'), e.g. 'kafka', 'filesystem', 'datagen', 'print'");
        return SL_ERR_VALIDATION;
    }
    add_table(v->s, t);
    return SL_OK;
}

static sl_status create_view(vctx *v, sql_node *stmt)
{
    const char *name;
    sl_status st;
    if ((st = object_name(v, stmt->kids[0], &name))) return st;
    if (sql_session_table(v->s, name)) {
        if (stmt->flags & SQL_F_IF_NOT_EXISTS) return SL_OK;
        return fail(v, stmt->kids[0], SL_ERR_EXISTS, "Table or view " QUALIFIED ".`%s` already exists", name);
    }
    if ((st = bind_query(v, NULL, stmt->kids[2]))) return st;
    const sql_type *row = stmt->kids[2]->type;
    if ((st = rename_columns(v, &row, stmt->kids[1], stmt->kids[1] ? stmt->kids[1] : stmt))) return st;
    sql_table *t = sl_arena_zalloc(v->a, sizeof *t);
    t->name = sl_arena_strdup(v->a, name);
    t->script = sl_arena_strdup(v->a, v->script);
    t->temporary = (stmt->flags & SQL_F_TEMPORARY) != 0;
    t->is_view = true;
    t->query = stmt->kids[2];
    t->rowtime = -1;
    t->ncols = row->nfields;
    t->cols = sl_arena_zalloc(v->a, sizeof(sql_column) * (size_t)(row->nfields ? row->nfields : 1));
    for (int i = 0; i < row->nfields; i++) {
        for (int j = 0; j < i; j++)
            if (strcmp(row->field_names[i], row->field_names[j]) == 0)
                return fail(v, stmt->kids[2], SL_ERR_VALIDATION, "Duplicate column name '%s' in view '%s'", row->field_names[i], name);
        t->cols[i] = (sql_column){.name = row->field_names[i], .type = row->field_types[i], .kind = SQL_COL_PHYSICAL};
    }
    add_table(v->s, t);
    return SL_OK;
}

static sl_status drop(vctx *v, sql_node *stmt)
{
    const char *name;
    sl_status st;
    if ((st = object_name(v, stmt->kids[0], &name))) return st;
    const sql_table *t = sql_session_table(v->s, name);
    bool view = stmt->kind == SQL_DROP_VIEW;
    if (!t) {
        if (stmt->flags & SQL_F_IF_EXISTS) return SL_OK;
        fail(v, stmt->kids[0], SL_ERR_NOT_FOUND, "%s with identifier '%s' does not exist.", view ? "View" : "Table", qualified(v, name));
        const char *best = table_suggest(v->s, name);
        if (best) sl_error_hint(v->err, "did you mean '%s'?", best);
        return SL_ERR_NOT_FOUND;
    }
    if (t->is_view != view)
        return fail(v, stmt->kids[0], SL_ERR_VALIDATION, "'%s' is a %s; use DROP %s", name, t->is_view ? "view" : "table",
                    t->is_view ? "VIEW" : "TABLE");
    remove_table(v->s, name);
    return SL_OK;
}

static sl_status insert(vctx *v, sql_node *stmt)
{
    sl_status st;
    const sql_table *sink = find_table_or_fail(v, stmt->kids[0]);
    if (!sink) return v->err->code;
    if (sink->is_view) return fail(v, stmt->kids[0], SL_ERR_VALIDATION, "'%s' is a view; INSERT needs a table", sink->name);
    if ((st = bind_query(v, NULL, stmt->kids[2]))) return st;
    const sql_type *q = stmt->kids[2]->type;
    /* the sink's writable columns: physical and persisted metadata, or the listed ones */
    int cols[512], n = 0;
    if (stmt->kids[1]) {
        for (int i = 0; i < stmt->kids[1]->nkids && n < 512; i++) {
            const char *cn = stmt->kids[1]->kids[i]->text;
            int c = -1;
            for (int k = 0; k < sink->ncols; k++)
                if (strcmp(sink->cols[k].name, cn) == 0) c = k;
            if (c < 0 || sink->cols[c].kind == SQL_COL_COMPUTED || sink->cols[c].is_virtual)
                return fail(v, stmt->kids[1]->kids[i], SL_ERR_VALIDATION, "Unknown target column '%s' of table '%s'", cn, sink->name);
            for (int k = 0; k < n; k++)
                if (cols[k] == c) return fail(v, stmt->kids[1]->kids[i], SL_ERR_VALIDATION, "Target column '%s' is assigned more than once", cn);
            cols[n++] = c;
        }
    } else {
        for (int k = 0; k < sink->ncols && n < 512; k++)
            if (sink->cols[k].kind == SQL_COL_PHYSICAL || (sink->cols[k].kind == SQL_COL_METADATA && !sink->cols[k].is_virtual))
                cols[n++] = k;
    }
    sl_strbuf qs = SL_STRBUF_INIT, ss = SL_STRBUF_INIT;
    for (int i = 0; i < q->nfields; i++) {
        sl_strbuf_printf(&qs, "%s%s: ", i ? ", " : "", q->field_names[i]);
        sql_type_print(&qs, q->field_types[i]);
    }
    for (int i = 0; i < n; i++) {
        sl_strbuf_printf(&ss, "%s%s: ", i ? ", " : "", sink->cols[cols[i]].name);
        sql_type_print(&ss, sink->cols[cols[i]].type);
    }
    st = SL_OK;
    const char *cause = NULL;
    int bad = -1;
    if (q->nfields != n) cause = "Different number of columns.";
    for (int i = 0; !cause && i < n; i++)
        if (!sql_type_can_implicit_cast(q->field_types[i], sink->cols[cols[i]].type)) {
            cause = "Incompatible types for sink column";
            bad = i;
        }
    if (cause) {
        fail(v, stmt->kids[2], SL_ERR_VALIDATION, "Column types of query result and sink for '%s' do not match.", qualified(v, sink->name));
        if (bad >= 0)
            sl_error_detail(v->err, "Cause: Incompatible types for sink column '%s' at position %d (%s cannot be written to %s). "
                                    "Query schema: [%s]. Sink schema: [%s]",
                            sink->cols[cols[bad]].name, bad, tstr(v, q->field_types[bad]), tstr(v, sink->cols[cols[bad]].type),
                            sl_strbuf_cstr(&qs), sl_strbuf_cstr(&ss));
        else
            sl_error_detail(v->err, "Cause: %s Query schema: [%s]. Sink schema: [%s]", cause, sl_strbuf_cstr(&qs), sl_strbuf_cstr(&ss));
        sl_error_hint(v->err, bad >= 0 ? "CAST the query column to the sink's type" : "select exactly the sink's columns, or list the target columns: INSERT INTO t (a, b) SELECT ...");
        st = SL_ERR_VALIDATION;
    }
    sl_strbuf_free(&qs);
    sl_strbuf_free(&ss);
    return st;
}

static sl_status statement(vctx *v, sql_node *stmt)
{
    sl_status st;
    v->clause = CTX_OTHER;
    switch (stmt->kind) {
    case SQL_CREATE_TABLE: return create_table(v, stmt);
    case SQL_CREATE_VIEW: return create_view(v, stmt);
    case SQL_DROP_TABLE:
    case SQL_DROP_VIEW: return drop(v, stmt);
    case SQL_INSERT: return insert(v, stmt);
    case SQL_STATEMENT_SET:
        for (int i = 0; i < stmt->nkids; i++)
            if ((st = insert(v, stmt->kids[i]))) return st;
        return SL_OK;
    case SQL_EXPLAIN: return statement(v, stmt->kids[0]);
    case SQL_DESCRIBE: return find_table_or_fail(v, stmt->kids[0]) ? SL_OK : v->err->code;
    case SQL_SET: {
        if (!v->s->cfg || !stmt->kids[0]) return SL_OK;
        const sql_node *val = stmt->kids[1];
        int line, col;
        sl_source_locate(v->text, strlen(v->text), stmt->off, &line, &col);
        st = sl_config_set(v->s->cfg, stmt->kids[0]->text, val->text, SL_CONF_SRC_SET, v->script, line, v->err);
        if (st) {
            /* point at the value in the script rather than at a configuration file line */
            v->err->line = v->err->col = 0;
            sl_error_at_offset(v->err, v->script, val->off, val->len);
        }
        return st;
    }
    case SQL_RESET:
    case SQL_SHOW_TABLES:
    case SQL_SHOW_VIEWS:
    case SQL_SHOW_FUNCTIONS: return SL_OK;
    case SQL_SELECT:
    case SQL_SET_OP:
    case SQL_ORDER_BY:
    case SQL_WITH: return bind_query(v, NULL, stmt);
    case SQL_VALUES:
        fail(v, stmt, SL_ERR_UNSUPPORTED, "not supported yet: VALUES as a statement of its own");
        sl_error_hint(v->err, "query it as SELECT * FROM (VALUES ...) AS t(a, b), or write it into a table: INSERT INTO t VALUES ...");
        return SL_ERR_UNSUPPORTED;
    default: return fail(v, stmt, SL_ERR_UNSUPPORTED, "not supported yet: %s", sql_kind_name(stmt->kind));
    }
}

sl_status sql_session_validate(sql_session *s, sql_script *script, sl_error *err)
{
    SL_GROW(s->scripts, s->capscripts, s->nscripts + 1);
    s->scripts[s->nscripts++] = script;
    vctx v = {.s = s, .a = s->arena, .script = sql_script_name(script), .text = sql_script_text(script), .err = err};
    sl_error_clear(err);
    for (int i = 0; i < sql_script_count(script); i++) {
        sl_status st = statement(&v, (sql_node *)sql_script_stmt(script, i));
        if (st) return st;
    }
    return SL_OK;
}

void sql_table_describe(sl_strbuf *out, const sql_table *t)
{
    sl_strbuf_printf(out, "%s %s.%s.%s%s\n", t->is_view ? "VIEW" : "TABLE", CATALOG, DATABASE, t->name, t->temporary ? " (temporary)" : "");
    for (int i = 0; i < t->ncols; i++) {
        const sql_column *c = &t->cols[i];
        sl_strbuf_printf(out, "  %s ", c->name);
        sql_type_print(out, c->type);
        if (c->kind == SQL_COL_COMPUTED) sl_strbuf_puts(out, "  computed");
        if (c->kind == SQL_COL_METADATA)
            sl_strbuf_printf(out, "  metadata from '%s'%s", c->metadata_key, c->is_virtual ? " virtual" : "");
        for (int k = 0; k < t->npk; k++)
            if (t->pk[k] == i) sl_strbuf_puts(out, "  primary key");
        sl_strbuf_putc(out, '\n');
    }
    if (t->rowtime >= 0) sl_strbuf_printf(out, "  watermark for %s\n", t->cols[t->rowtime].name);
    for (int i = 0; i < t->nopts; i++) sl_strbuf_printf(out, "  '%s' = '%s'\n", t->opts[i].key, t->opts[i].value);
}
