/* planner/plan.c — building the logical plan and the rewrite rules (see plan.h). */
#include "planner/plan.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/units.h"

#include "planner/jobgraph.h"
#include "runtime/expr.h"
#include "sql/functions.h"

/* Common table expressions in scope: a list from the innermost WITH item outwards. A CTE's query is
 * planned where it is referenced, in the scope it was defined in (the items before it). */
typedef struct cte_scope {
    const sql_node *cte; /* SQL_CTE: text = name; kids: [columns|NULL, query] */
    const struct cte_scope *up;
} cte_scope;

/* How many references to views and CTEs one statement may inline (each plans the whole query). */
#define MAX_INLINED 256

typedef struct pctx {
    sl_arena *a;
    const sql_session *session;
    const char *script;
    sl_error *err;
    /* while converting the select list / HAVING of an aggregating query: the aggregate calls,
     * which convert to placeholders AGG_SLOT(i) until lifted onto the aggregate's output */
    const sql_node **aggs;
    int naggs;
    /* the query block's STATE_TTL hint options (SQL_OPTION nodes), their values in ms, and which
     * of them named an input of a join */
    const sql_node **ttl_opts;
    int64_t *ttl_vals;
    bool *ttl_used;
    int nttl;
    const cte_scope *ctes;
    /* while inlining a view defined in another script: the reference errors point at */
    const sql_node *loc;
    int ninlined;
    plan_node **ast; /* where plan_build_explain wants the plan before the rules, or NULL */
    /* while converting a correlated condition of a subquery (see where_cond): references to the
     * enclosing query keep their position, the subquery's own are shifted by corr_shift */
    bool in_corr;
    int corr_shift;
} pctx;

/* Where an error at `at` points: `at`, or the view reference being inlined from another script. */
static void error_at(pctx *c, const sql_node *at)
{
    if (c->loc) at = c->loc;
    if (at) sl_error_at_offset(c->err, c->script, at->off, at->len);
}

#define AGG_SLOT(i) (-1000 - (i))

static sl_status unsupported(pctx *c, const sql_node *at, const char *what)
{
    sl_error_set(c->err, SL_ERR_UNSUPPORTED, "not supported yet in the planner: %s", what);
    error_at(c, at);
    sl_error_hint(c->err, "the statement is valid Flink SQL; the planner grows shape by shape (see docs/planner.md)");
    return SL_ERR_UNSUPPORTED;
}

static plan_node *node(pctx *c, plan_kind k)
{
    plan_node *n = sl_arena_zalloc(c->a, sizeof *n);
    n->kind = k;
    return n;
}

static plan_expr *px(pctx *c, plan_expr_kind k, const sql_type *t)
{
    plan_expr *e = sl_arena_zalloc(c->a, sizeof *e);
    e->kind = k;
    e->type = t;
    return e;
}

static plan_expr *px_input(pctx *c, int i, const sql_type *t)
{
    plan_expr *e = px(c, PX_INPUT, t);
    e->input = i;
    return e;
}

static plan_expr *px_call(pctx *c, const char *op, const sql_type *t, int n, plan_expr **args)
{
    plan_expr *e = px(c, PX_CALL, t);
    e->op = op;
    e->nargs = n;
    e->args = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) e->args[i] = args[i];
    return e;
}

static const sql_type *boolean_type(pctx *c, bool nullable) { return sql_type_make(c->a, SQL_T_BOOLEAN, nullable, -1, -1); }

/* ---- expressions from the AST ------------------------------------------------------------ */

static sl_status cvt(pctx *c, const sql_node *e, int shift, plan_expr **out);

static sl_status cvt_args(pctx *c, const sql_node *list, int from, int shift, plan_expr **args, int *n)
{
    *n = 0;
    for (int i = from; list && i < list->nkids; i++) {
        if (!list->kids[i]) continue;
        sl_status st = cvt(c, list->kids[i], shift, &args[(*n)++]);
        if (st) return st;
    }
    return SL_OK;
}

/* shift: subtracted from input positions (0 at the top level). */
static sl_status cvt(pctx *c, const sql_node *e, int shift, plan_expr **out)
{
    /* room for every argument: the node's kids and the elements of a list among them (IN) */
    size_t cap = 2 + (size_t)e->nkids;
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i]) cap += (size_t)e->kids[i]->nkids;
    plan_expr **args = sl_arena_alloc(c->a, sizeof(plan_expr *) * cap);
    int n = 0;
    sl_status st;
    switch (e->kind) {
    case SQL_ID: {
        if ((e->flags & SQL_F_OUTER_FAR) || ((e->flags & SQL_F_OUTER_REF) && !c->in_corr))
            return unsupported(c, e, (e->flags & SQL_F_OUTER_FAR)
                                         ? "correlated references to a query more than one level up"
                                         : "correlated references outside the AND terms of an IN / EXISTS subquery's WHERE "
                                           "(e.g. in its SELECT list, GROUP BY or FROM)");
        int pos = (e->flags & SQL_F_OUTER_REF) ? (int)e->ival : (int)e->ival - shift + (c->in_corr ? c->corr_shift : 0);
        plan_expr *x = px_input(c, pos, e->type);
        /* ROW field accesses after the column */
        for (int i = (int)e->ival2; i < e->nkids; i++) {
            plan_expr *a1[1] = {x};
            x = px_call(c, sl_arena_strdup(c->a, e->kids[i]->text), e->type, 1, a1);
            x->src = e->kids[i];
        }
        *out = x;
        return SL_OK;
    }
    case SQL_LIT_INT:
    case SQL_LIT_DEC:
    case SQL_LIT_FLOAT:
    case SQL_LIT_STRING:
    case SQL_LIT_BOOL:
    case SQL_LIT_NULL:
    case SQL_LIT_TYPED:
    case SQL_LIT_INTERVAL:
        *out = px(c, PX_LITERAL, e->type);
        (*out)->src = e;
        return SL_OK;
    case SQL_UNARY:
    case SQL_BINARY:
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, e->text, e->type, n, args);
        return SL_OK;
    case SQL_IS: {
        char op[32];
        snprintf(op, sizeof op, "IS %s%s", (e->flags & SQL_F_NOT) ? "NOT " : "", e->text);
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, sl_arena_strdup(c->a, op), e->type, n, args);
        return SL_OK;
    }
    case SQL_BETWEEN:
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, (e->flags & SQL_F_NOT) ? "NOT BETWEEN" : "BETWEEN", e->type, n, args);
        (*out)->src = e; /* its flags (SYMMETRIC) */
        return SL_OK;
    case SQL_LIKE_OP:
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, (e->flags & SQL_F_NOT) ? "NOT LIKE" : "LIKE", e->type, n, args);
        return SL_OK;
    case SQL_IN:
        if (e->kids[1]->kind != SQL_LIST)
            return unsupported(c, e, "IN (subquery) outside the AND terms of a WHERE clause (e.g. inside OR, CASE or the SELECT "
                                     "list); write it as a WHERE term: WHERE ... AND x IN (SELECT ...)");
        if ((st = cvt(c, e->kids[0], shift, &args[0]))) return st;
        if ((st = cvt_args(c, e->kids[1], 0, shift, args + 1, &n))) return st;
        *out = px_call(c, (e->flags & SQL_F_NOT) ? "NOT IN" : "IN", e->type, n + 1, args);
        return SL_OK;
    case SQL_CAST:
        if ((st = cvt(c, e->kids[0], shift, &args[0]))) return st;
        *out = px_call(c, e->text, e->type, 1, args);
        return SL_OK;
    case SQL_CALL: {
        const sql_function *f = sql_function_find(e->text);
        if (f && sql_function_kind(f) == SQL_FN_AGGREGATE && !e->kids[2]) {
            for (int i = 0; i < c->naggs; i++)
                if (c->aggs[i] == e) {
                    *out = px_input(c, AGG_SLOT(i), e->type);
                    return SL_OK;
                }
            return unsupported(c, e, "aggregates outside an aggregating SELECT list or HAVING");
        }
        if (e->kids[1] || e->kids[2]) return unsupported(c, e, "aggregate FILTER and OVER windows");
        if (e->nkids && e->kids[0]->nkids > 64) return unsupported(c, e, "calls with more than 64 arguments");
        if ((st = cvt_args(c, e->kids[0], 0, shift, args, &n))) return st;
        *out = px_call(c, e->text, e->type, n, args);
        return SL_OK;
    }
    case SQL_NAME: /* a time unit or TRIM mode inside EXTRACT / TIMESTAMPADD / TRIM: a symbol */
        *out = px(c, PX_LITERAL, sql_type_make(c->a, SQL_T_VARCHAR, false, SQL_MAX_LENGTH, -1));
        (*out)->src = e;
        return SL_OK;
    case SQL_SPECIAL:
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, e->text, e->type, n, args);
        return SL_OK;
    case SQL_ITEM: /* m['k'] */
        if (e->kids[0]->type->id != SQL_T_MAP) return unsupported(c, e, "ARRAY element access");
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, "ITEM", e->type, n, args);
        return SL_OK;
    case SQL_MAP_CTOR: /* MAP['k', v, ...] */
        if ((st = cvt_args(c, e, 0, shift, args, &n))) return st;
        *out = px_call(c, "MAP", e->type, n, args);
        return SL_OK;
    case SQL_CASE: {
        /* CASE(cond1, val1, cond2, val2, ..., else); a simple CASE (CASE x WHEN v ...) becomes the
         * searched form (WHEN x = v ...), as Calcite does */
        int nw = e->kids[1]->nkids, k = 0;
        plan_expr **cargs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(2 * nw + 1));
        plan_expr *operand = NULL;
        if (e->kids[0] && (st = cvt(c, e->kids[0], shift, &operand))) return st;
        for (int i = 0; i < nw; i++) {
            plan_expr *w;
            if ((st = cvt(c, e->kids[1]->kids[i]->kids[0], shift, &w))) return st;
            if (operand) {
                plan_expr *eq[2] = {operand, w};
                w = px_call(c, "=", boolean_type(c, true), 2, eq);
            }
            cargs[k++] = w;
            if ((st = cvt(c, e->kids[1]->kids[i]->kids[1], shift, &cargs[k++]))) return st;
        }
        if (e->kids[2] && (st = cvt(c, e->kids[2], shift, &cargs[k++]))) return st;
        *out = px_call(c, "CASE", e->type, k, cargs);
        return SL_OK;
    }
    case SQL_EXISTS:
        return unsupported(c, e, "EXISTS outside the AND terms of a WHERE clause (e.g. inside OR, CASE or the SELECT list); "
                                 "write it as a WHERE term: WHERE ... AND EXISTS (SELECT ...)");
    default: return unsupported(c, e, sql_kind_name(e->kind));
    }
}

/* ---- building ------------------------------------------------------------------------------ */

/* Output row of a join: left fields then right fields, names made unique as Calcite does (id, id0). */
static const sql_type *concat_rows(pctx *c, const sql_type *l, const sql_type *r)
{
    int n = l->nfields + r->nfields;
    sql_type *t = sl_arena_zalloc(c->a, sizeof *t);
    *t = *l;
    t->nfields = n;
    t->field_names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(n ? n : 1));
    t->field_types = sl_arena_alloc(c->a, sizeof(sql_type *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        const char *base = i < l->nfields ? l->field_names[i] : r->field_names[i - l->nfields];
        t->field_types[i] = i < l->nfields ? l->field_types[i] : r->field_types[i - l->nfields];
        const char *name = base;
        for (int suffix = 0;; suffix++) {
            bool clash = false;
            for (int j = 0; j < i && !clash; j++) clash = strcmp(t->field_names[j], name) == 0;
            if (!clash) break;
            char buf[256];
            snprintf(buf, sizeof buf, "%s%d", base, suffix);
            name = sl_arena_strdup(c->a, buf);
        }
        t->field_names[i] = name;
    }
    return t;
}

static plan_node *scan_of(pctx *c, const sql_table *t, const sql_type *row)
{
    plan_node *s = node(c, PLAN_SCAN);
    s->table = t;
    s->row = row;
    s->nfields = t->ncols;
    s->fields = sl_arena_alloc(c->a, sizeof(int) * (size_t)(t->ncols ? t->ncols : 1));
    for (int i = 0; i < t->ncols; i++) s->fields[i] = i;
    /* computed columns and the watermark travel with the scan: the source evaluates them */
    s->computed = sl_arena_zalloc(c->a, sizeof(plan_expr *) * (size_t)(t->ncols ? t->ncols : 1));
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].kind == SQL_COL_COMPUTED && t->cols[i].expr && cvt(c, t->cols[i].expr, 0, &s->computed[i]) != SL_OK)
            s->computed[i] = NULL;
    if (t->watermark_expr && cvt(c, t->watermark_expr, 0, &s->watermark) != SL_OK) s->watermark = NULL;
    return s;
}

/* The row of a table's columns (names and types as declared). */
static const sql_type *table_row(pctx *c, const sql_table *t)
{
    sql_type *row = sl_arena_zalloc(c->a, sizeof *row);
    row->id = SQL_T_ROW;
    row->precision = row->scale = -1;
    row->nfields = t->ncols;
    row->field_names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(t->ncols ? t->ncols : 1));
    row->field_types = sl_arena_alloc(c->a, sizeof(sql_type *) * (size_t)(t->ncols ? t->ncols : 1));
    for (int i = 0; i < t->ncols; i++) {
        row->field_names[i] = t->cols[i].name;
        row->field_types[i] = t->cols[i].type;
    }
    return row;
}

static plan_node *calc_over(pctx *c, plan_node *in);

/* n with its fields named as in `row` (same width and types): n itself, or a renaming Calc (which
 * the Calc merging rule folds into its neighbours). */
static plan_node *relabel(pctx *c, plan_node *n, const sql_type *row)
{
    bool same = n->row->nfields == row->nfields;
    for (int i = 0; same && i < row->nfields; i++) same = strcmp(n->row->field_names[i], row->field_names[i]) == 0;
    if (same || n->row->nfields != row->nfields) return n;
    plan_node *k = calc_over(c, n);
    int w = row->nfields;
    k->nexprs = w;
    k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(w ? w : 1));
    k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(w ? w : 1));
    sql_type *t = sl_arena_zalloc(c->a, sizeof *t);
    *t = *n->row;
    t->field_names = k->names;
    for (int i = 0; i < w; i++) {
        k->exprs[i] = px_input(c, i, n->row->field_types[i]);
        k->names[i] = row->field_names[i];
    }
    k->row = t;
    return k;
}

static sl_status build_query(pctx *c, const sql_node *q, plan_node **out);

static const cte_scope *find_cte(const pctx *c, const char *name)
{
    for (const cte_scope *s = c->ctes; s; s = s->up)
        if (strcmp(s->cte->text, name) == 0) return s;
    return NULL;
}

/* Plans the query of a view or CTE where `ref` references it (Flink inlines both: a query
 * referencing one twice reads its sources twice), with `scope` the CTEs visible to it. */
static sl_status inline_query(pctx *c, const sql_node *q, const cte_scope *scope, const sql_table *view, const sql_node *ref,
                              plan_node **out)
{
    if (++c->ninlined > MAX_INLINED)
        return unsupported(c, ref, "more than 256 references to views and common table expressions in one statement");
    const cte_scope *saved = c->ctes;
    const sql_node *saved_loc = c->loc;
    c->ctes = scope;
    /* a view from another script: its AST's offsets are into that script's text */
    if (view && !c->loc && (!view->script || !c->script || strcmp(view->script, c->script) != 0)) c->loc = ref;
    sl_status st = build_query(c, q, out);
    c->ctes = saved;
    c->loc = saved_loc;
    return st;
}

static sl_status window_tvf(pctx *c, const sql_node *tvf, plan_node **out);

static sl_status build_from(pctx *c, const sql_node *f, plan_node **out)
{
    sl_status st;
    switch (f->kind) {
    case SQL_TABLE_REF: {
        if (f->kids[2]) return unsupported(c, f->kids[2], "temporal joins (FOR SYSTEM_TIME AS OF)");
        if (f->kids[3]) return unsupported(c, f->kids[3], "table hints");
        const sql_node *id = f->kids[0];
        const cte_scope *ce = id->nkids == 1 ? find_cte(c, id->text) : NULL;
        plan_node *in;
        if (ce) { /* WITH name AS (query): the query, its columns renamed by WITH name (a, b) */
            if ((st = inline_query(c, ce->cte->kids[1], ce->up, NULL, f, &in))) return st;
        } else {
            /* the object the statement was validated against, even if dropped or replaced since */
            const sql_table *t = f->ival > 0 ? sql_session_table_version(c->session, f->ival) : sql_session_table(c->session, id->text);
            const sql_type *bound = f->type;
            bool changed = !t || !bound || bound->nfields != t->ncols;
            for (int i = 0; !changed && i < t->ncols; i++) changed = !sql_type_equals(bound->field_types[i], t->cols[i].type, false);
            if (changed) {
                sl_error_set(c->err, SL_ERR_VALIDATION, "Table or view '%s' was dropped or replaced after this query was validated",
                             id->text);
                error_at(c, f);
                sl_error_hint(c->err, "Sluice validates a whole script before it plans its INSERTs: keep tables and views as they "
                                      "are until the last statement that reads them");
                return SL_ERR_VALIDATION;
            }
            if (t->is_view) {
                if ((st = inline_query(c, t->query, NULL, t, f, &in))) return st;
            } else {
                in = scan_of(c, t, table_row(c, t));
            }
        }
        *out = relabel(c, in, f->type); /* CTE / view column lists, t AS x (a, b) */
        return SL_OK;
    }
    case SQL_JOIN: {
        plan_node *l, *r;
        if ((st = build_from(c, f->kids[0], &l)) || (st = build_from(c, f->kids[1], &r))) return st;
        plan_node *j = node(c, PLAN_JOIN);
        j->input[0] = l;
        j->input[1] = r;
        j->ninputs = 2;
        const char *k = f->text;
        j->join_kind = strcmp(k, "CROSS") == 0 || strcmp(k, "COMMA") == 0 ? "INNER" : k;
        j->src = c->loc ? c->loc : (f->kids[2] ? f->kids[2] : f);
        for (int side = 0; side < 2; side++) { /* STATE_TTL('alias or table' = 'duration') */
            const sql_node *in = f->kids[side];
            if (in->kind != SQL_TABLE_REF) continue;
            const char *name = in->kids[1] ? in->kids[1]->text : in->kids[0]->text;
            for (int h = 0; h < c->nttl; h++)
                if (strcmp(c->ttl_opts[h]->kids[0]->text, name) == 0 ||
                    (!in->kids[1] && strcmp(c->ttl_opts[h]->kids[0]->text, in->kids[0]->text) == 0)) {
                    j->ttl_ms[side] = c->ttl_vals[h];
                    c->ttl_used[h] = true;
                }
        }
        j->row = concat_rows(c, l->row, r->row);
        if (f->kids[2] && (st = cvt(c, f->kids[2], 0, &j->residual))) return st;
        if (f->kids[3]) { /* USING (a, b): a = a AND b = b */
            plan_expr *cond = NULL;
            for (int i = 0; i < f->kids[3]->nkids; i++) {
                const char *col = f->kids[3]->kids[i]->text;
                int li = -1, ri = -1;
                for (int x = 0; x < l->row->nfields && li < 0; x++)
                    if (strcmp(l->row->field_names[x], col) == 0) li = x;
                for (int x = 0; x < r->row->nfields && ri < 0; x++)
                    if (strcmp(r->row->field_names[x], col) == 0) ri = x;
                plan_expr *eq_args[2] = {px_input(c, li, l->row->field_types[li]),
                                         px_input(c, l->row->nfields + ri, r->row->field_types[ri])};
                plan_expr *eq = px_call(c, "=", boolean_type(c, true), 2, eq_args);
                if (!cond) cond = eq;
                else {
                    plan_expr *and_args[2] = {cond, eq};
                    cond = px_call(c, "AND", boolean_type(c, true), 2, and_args);
                }
            }
            j->residual = cond;
        }
        *out = j;
        return SL_OK;
    }
    case SQL_SUBQUERY: {
        if (f->flags & SQL_F_LATERAL) return unsupported(c, f, "LATERAL subqueries");
        plan_node *in;
        if ((st = build_query(c, f->kids[0], &in))) return st;
        *out = relabel(c, in, f->type);
        return SL_OK;
    }
    case SQL_TVF: /* a window join's input (checked once the joins are known: check_window_tvfs) */
        if ((st = window_tvf(c, f, out))) return st;
        *out = relabel(c, *out, f->type);
        return SL_OK;
    default: return unsupported(c, f, sql_kind_name(f->kind));
    }
}

static bool has_window_call(const sql_node *e)
{
    if (!e) return false;
    if (e->kind == SQL_CALL && e->kids[2]) return true;
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i] && has_window_call(e->kids[i])) return true;
    return false;
}

/* Finds relation `alias` in a FROM tree: its offset in the FROM row and its width. */
static bool find_rel(const sql_node *from, const char *alias, int *acc, int *offset, int *width)
{
    if (from->kind == SQL_JOIN)
        return find_rel(from->kids[0], alias, acc, offset, width) || find_rel(from->kids[1], alias, acc, offset, width);
    const char *name = from->kids[1] ? from->kids[1]->text : (from->kind == SQL_TABLE_REF ? from->kids[0]->text : NULL);
    int w = from->type ? from->type->nfields : 0;
    if (name && strcmp(name, alias) == 0) {
        *offset = *acc;
        *width = w;
        return true;
    }
    *acc += w;
    return false;
}

static plan_node *calc_over(pctx *c, plan_node *in)
{
    plan_node *k = node(c, PLAN_CALC);
    k->input[0] = in;
    k->ninputs = 1;
    return k;
}

/* A Calc that passes its input through unchanged (an identity projection). */
static void set_identity(pctx *c, plan_node *k)
{
    const sql_type *in = k->input[0]->row;
    k->nexprs = in->nfields;
    k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(in->nfields ? in->nfields : 1));
    k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(in->nfields ? in->nfields : 1));
    for (int i = 0; i < in->nfields; i++) {
        k->exprs[i] = px_input(c, i, in->field_types[i]);
        k->names[i] = in->field_names[i];
    }
    k->row = in;
}

static const sql_type *calc_row(pctx *c, const plan_node *k)
{
    const sql_type **types = sl_arena_alloc(c->a, sizeof(sql_type *) * (size_t)(k->nexprs ? k->nexprs : 1));
    for (int i = 0; i < k->nexprs; i++) types[i] = k->exprs[i]->type;
    sql_type *t = sl_arena_zalloc(c->a, sizeof *t);
    t->id = SQL_T_ROW;
    t->precision = t->scale = -1;
    t->nfields = k->nexprs;
    t->field_names = k->names;
    t->field_types = types;
    return t;
}

/* Collects the aggregate calls (not OVER windows) of an expression tree. */
static void collect_aggs(pctx *c, const sql_node *e, const sql_node ***list, int *n, int *cap)
{
    if (!e || e->kind == SQL_SELECT || e->kind == SQL_EXISTS) return;
    if (e->kind == SQL_CALL && !e->kids[2]) {
        const sql_function *f = sql_function_find(e->text);
        if (f && sql_function_kind(f) == SQL_FN_AGGREGATE) {
            if (*n == *cap) {
                int ncap = *cap ? *cap * 2 : 8;
                const sql_node **l = sl_arena_alloc(c->a, sizeof(sql_node *) * (size_t)ncap);
                if (*n) memcpy(l, *list, sizeof(sql_node *) * (size_t)*n);
                *list = l;
                *cap = ncap;
            }
            (*list)[(*n)++] = e;
            return; /* nested aggregates are rejected by the validator */
        }
    }
    for (int i = 0; i < e->nkids; i++) collect_aggs(c, e->kids[i], list, n, cap);
}

static bool px_equal(const plan_expr *a, const plan_expr *b)
{
    if (a->kind != b->kind || a->nargs != b->nargs) return false;
    if (a->kind == PX_INPUT) return a->input == b->input;
    if (a->kind == PX_LITERAL)
        return a->src && b->src && a->src->kind == b->src->kind &&
               ((!a->src->text && !b->src->text) || (a->src->text && b->src->text && strcmp(a->src->text, b->src->text) == 0)) &&
               a->src->ival == b->src->ival;
    if (strcmp(a->op, b->op) != 0) return false;
    for (int i = 0; i < a->nargs; i++)
        if (!px_equal(a->args[i], b->args[i])) return false;
    return true;
}

/* Rewrites an expression over the FROM row (with aggregate placeholders) onto the aggregate's
 * output row: group key expressions become their key field (keypos[k], or k without keypos),
 * placeholders the aggregate fields (from aggbase on). */
static plan_expr *lift(pctx *c, const plan_expr *e, plan_expr *const *keys, const int *keypos, int nkeys, int aggbase, bool *stray)
{
    for (int k = 0; k < nkeys; k++)
        if (px_equal(e, keys[k])) return px_input(c, keypos ? keypos[k] : k, e->type);
    if (e->kind == PX_INPUT && e->input <= AGG_SLOT(0)) return px_input(c, aggbase + (AGG_SLOT(0) - e->input), e->type);
    if (e->kind == PX_INPUT) *stray = true; /* a column that is neither grouped nor aggregated */
    plan_expr *x = sl_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->nargs) {
        x->args = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) x->args[i] = lift(c, e->args[i], keys, keypos, nkeys, aggbase, stray);
    }
    return x;
}

/* ---- window table functions ------------------------------------------------------------------ */

/* SESSION windows: plan.h's plan_window_kind has no name for them yet (TUMBLE, HOP, CUMULATE are
 * 0..2); jobgraph.c defines the same value. The gap is in size_ms. */

/* FROM TABLE(TUMBLE | HOP | CUMULATE | SESSION(TABLE t [PARTITION BY cols], DESCRIPTOR(col), ...))
 * under a window aggregate. */
typedef struct win_from {
    const sql_node *tvf;
    int ncols;        /* the table's columns: FROM-row fields ncols, ncols + 1, ncols + 2 are window_start,
                       * window_end, window_time */
    plan_window spec; /* time_field: the table column (the pre-aggregate Calc's field once built) */
    const sql_table *table;
} win_from;

/* Whether an expression reads an input field at or after `first`. */
static bool reads_from(const plan_expr *e, int first)
{
    if (!e) return false;
    if (e->kind == PX_INPUT && e->input >= first) return true;
    for (int i = 0; i < e->nargs; i++)
        if (reads_from(e->args[i], first)) return true;
    return false;
}

/* The value in ms of an INTERVAL DAY TO SECOND literal; false if e is not one. */
static bool interval_ms(const sql_node *e, int64_t *out)
{
    if (e->kind != SQL_LIT_INTERVAL || !e->kids[0] || !e->kids[1]) return false;
    static const char *const units[] = {"DAY", "HOUR", "MINUTE", "SECOND"};
    static const int64_t unit_ms[] = {86400000, 3600000, 60000, 1000};
    const char *q = e->kids[1]->text, *p = e->kids[0]->text, *sp = strrchr(q, ' ');
    int from = -1, to = -1;
    for (int k = 0; k < 4; k++) {
        if (from < 0 && strncmp(q, units[k], strlen(units[k])) == 0) from = k;
        if (strcmp(sp ? sp + 1 : q, units[k]) == 0) to = k;
    }
    if (from < 0 || to < from) return false;
    bool neg = (e->flags & SQL_F_NEGATIVE) != 0;
    while (*p == ' ') p++;
    if (*p == '-') neg = !neg, p++;
    else if (*p == '+') p++;
    int64_t total = 0;
    for (int u = from; u <= to; u++) {
        if (!isdigit((unsigned char)*p)) return false;
        int64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p++ - '0');
            if (n > INT64_C(1000000000000000) / unit_ms[u]) n = INT64_C(1000000000000000) / unit_ms[u]; /* saturate */
        }
        total += n * unit_ms[u];
        if (u == 3 && *p == '.') { /* fractional seconds: milliseconds count */
            p++;
            int64_t f = 0;
            int digits = 0;
            for (; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 3) f = f * 10 + (*p - '0');
            for (; digits < 3; digits++) f *= 10;
            total += f;
        }
        if (u < to) {
            if (*p != ' ' && *p != ':' && *p != '-') return false;
            p++;
        }
    }
    while (*p == ' ') p++;
    if (*p) return false;
    *out = neg ? -total : total;
    return true;
}

static sl_status window_error(pctx *c, const sql_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static sl_status window_error(pctx *c, const sql_node *at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_error_set(c->err, SL_ERR_VALIDATION, "%s", msg);
    error_at(c, at);
    return SL_ERR_VALIDATION;
}

#define WINDOW_MAX_MS INT64_C(10000000000000)

/* The window of a window table function in FROM, and the scan of its table. */
static sl_status window_from(pctx *c, const sql_node *tvf, win_from *w, plan_node **scan)
{
    const sql_node *call = tvf->kids[0], *args = call->kids[0];
    const char *fn = call->text;
    memset(w, 0, sizeof *w);
    w->tvf = tvf;
    w->spec.src = tvf;
    if (strcasecmp(fn, "TUMBLE") == 0) w->spec.kind = PLAN_WIN_TUMBLE;
    else if (strcasecmp(fn, "HOP") == 0) w->spec.kind = PLAN_WIN_HOP;
    else if (strcasecmp(fn, "CUMULATE") == 0) w->spec.kind = PLAN_WIN_CUMULATE;
    else if (strcasecmp(fn, "SESSION") == 0) w->spec.kind = PLAN_WIN_SESSION;
    else return unsupported(c, call, fn);
    const sql_node *targ = args->kids[0], *desc = args->kids[1], *id = targ->kids[0];
    const char *name = id->nkids ? id->kids[id->nkids - 1]->text : id->text;
    const sql_table *t = targ->ival > 0 ? sql_session_table_version(c->session, targ->ival) : sql_session_table(c->session, name);
    if (!t || (id->nkids == 1 && find_cte(c, name))) return unsupported(c, targ, "window table functions over common table expressions");
    if (t->is_view) return unsupported(c, targ, "views");
    w->ncols = t->ncols;
    w->table = t;
    int tc = -1;
    for (int i = 0; i < t->ncols && tc < 0; i++)
        if (strcmp(t->cols[i].name, desc->kids[0]->text) == 0) tc = i;
    if (tc < 0) return unsupported(c, desc, "window time columns outside the table");
    const sql_type *tt = t->cols[tc].type;
    w->spec.time_field = tc;
    w->spec.proctime = tt->attr == SQL_TA_PROCTIME;
    w->spec.ltz = tt->id == SQL_T_TIMESTAMP_LTZ;
    int64_t v[3] = {0, 0, 0};
    int nv = args->nkids - 2;
    for (int i = 0; i < nv && i < 3; i++)
    {
        if (!interval_ms(args->kids[2 + i], &v[i])) return unsupported(c, args->kids[2 + i], "window sizes that are not INTERVAL literals");
        if (v[i] > WINDOW_MAX_MS || v[i] < -WINDOW_MAX_MS) return unsupported(c, args->kids[2 + i], "windows longer than 10^13 ms (about 300 years)");
    }
    bool one_size = w->spec.kind == PLAN_WIN_TUMBLE || w->spec.kind == PLAN_WIN_SESSION;
    const sql_node *size_at = args->kids[one_size ? 2 : 3], *slide_at = args->kids[2];
    int noff = one_size ? 1 : 2;
    if (one_size) {
        w->spec.size_ms = v[0];
    } else {
        w->spec.slide_ms = v[0];
        w->spec.size_ms = v[1];
    }
    w->spec.has_offset = nv > noff;
    w->spec.offset_ms = w->spec.has_offset ? v[noff] : 0;
    switch ((int)w->spec.kind) {
    case PLAN_WIN_SESSION: /* the validator allows no offset */
        if (w->spec.size_ms <= 0)
            return window_error(c, size_at, "Session Window parameters must satisfy gap > 0, but got gap %" PRId64 "ms.",
                                w->spec.size_ms);
        break;
    case PLAN_WIN_TUMBLE:
        if (w->spec.size_ms <= 0)
            return window_error(c, size_at, "Tumbling Window parameters must satisfy size > 0, but got size %" PRId64 "ms.",
                                w->spec.size_ms);
        break;
    case PLAN_WIN_HOP:
        if (w->spec.size_ms <= 0 || w->spec.slide_ms <= 0)
            return window_error(c, w->spec.slide_ms <= 0 ? slide_at : size_at,
                                "Hopping Window must satisfy slide > 0 and size > 0, but got slide %" PRId64 "ms and size %" PRId64 "ms.",
                                w->spec.slide_ms, w->spec.size_ms);
        if (w->spec.size_ms % w->spec.slide_ms)
            return window_error(c, call,
                                "HOP table function based aggregate requires size must be an integral multiple of slide, but got "
                                "size %" PRId64 " ms and slide %" PRId64 " ms",
                                w->spec.size_ms, w->spec.slide_ms);
        break;
    case PLAN_WIN_CUMULATE:
        if (w->spec.size_ms <= 0 || w->spec.slide_ms <= 0)
            return window_error(c, w->spec.slide_ms <= 0 ? slide_at : size_at,
                                "Cumulative Window parameters must satisfy maxSize > 0 and step > 0, but got maxSize %" PRId64
                                "ms and step %" PRId64 "ms.",
                                w->spec.size_ms, w->spec.slide_ms);
        if (w->spec.size_ms % w->spec.slide_ms)
            return window_error(c, call,
                                "CUMULATE table function based aggregate requires maxSize must be an integral multiple of step, but "
                                "got maxSize %" PRId64 " ms and step %" PRId64 " ms",
                                w->spec.size_ms, w->spec.slide_ms);
        break;
    }
    /* the scan reads the table's columns (the time column keeps its time attribute) */
    *scan = scan_of(c, t, table_row(c, t));
    return SL_OK;
}

static const sql_type *calc_row(pctx *c, const plan_node *k);

/* A window table function not under a window aggregate (Flink's WindowTableFunction): the table's
 * rows with window_start, window_end and window_time. The planner takes them as the inputs of
 * window joins only (check_window_tvfs); SESSION windows only under a window aggregate, as Flink. */
static sl_status window_tvf(pctx *c, const sql_node *tvf, plan_node **out)
{
    win_from wf;
    plan_node *scan;
    sl_status st = window_from(c, tvf, &wf, &scan);
    if (st) return st;
    if (wf.spec.kind == PLAN_WIN_SESSION)
        return unsupported(c, tvf, "SESSION window table functions outside a window aggregate (window joins take TUMBLE, HOP and "
                                   "CUMULATE windows)");
    plan_node *n = node(c, PLAN_WINDOW_TVF);
    n->input[0] = scan;
    n->ninputs = 1;
    n->window = wf.spec; /* time_field: the table column, which the scan produces in table order */
    n->row = tvf->type;
    n->src = c->loc ? c->loc : tvf;
    *out = n;
    return SL_OK;
}

/* The PARTITION BY list of a SESSION window's TABLE argument (NULL without one). */
static const sql_node *session_partition(const plan_window *w)
{
    if (!w->src || w->kind != PLAN_WIN_SESSION) return NULL;
    const sql_node *targ = w->src->kids[0]->kids[0]->kids[0];
    return targ->kind == SQL_TABLE_ARG ? targ->kids[1] : NULL;
}

static const char *last_name(const sql_node *id) { return id->nkids ? id->kids[id->nkids - 1]->text : id->text; }

/* A session is per group key (the window aggregate's GROUP BY keys besides the window columns): a
 * PARTITION BY list must name exactly those columns. */
static sl_status session_partition_keys(pctx *c, const win_from *win, plan_expr *const *keys, int ngroup)
{
    const sql_node *part = session_partition(&win->spec);
    if (!part) return SL_OK;
    const sql_table *t = win->table;
    bool same = part->nkids > 0 && t;
    for (int i = 0; i < part->nkids && same; i++) {
        int col = -1;
        for (int k = 0; k < t->ncols && col < 0; k++)
            if (strcmp(t->cols[k].name, last_name(part->kids[i])) == 0) col = k;
        bool in_keys = false;
        for (int k = 0; k < ngroup && !in_keys; k++) in_keys = keys[k]->kind == PX_INPUT && keys[k]->input == col;
        same = col >= 0 && in_keys;
    }
    for (int k = 0; k < ngroup && same; k++) {
        bool in_part = false;
        for (int i = 0; i < part->nkids && !in_part; i++)
            in_part = keys[k]->kind == PX_INPUT && strcmp(t->cols[keys[k]->input].name, last_name(part->kids[i])) == 0;
        same = in_part;
    }
    if (!same) return unsupported(c, part, "SESSION windows whose PARTITION BY columns are not the GROUP BY keys");
    return SL_OK;
}

/* SELECT ... GROUP BY / HAVING / DISTINCT over `in` (the FROM plan with the WHERE condition in
 * `where`): a Calc computing the keys and aggregate arguments, the GroupAggregate, and a Calc for
 * the select list and HAVING. With `win` (FROM is a window table function) the aggregate is a
 * WindowAggregate: window_start and window_end (and window_time) are taken out of the keys and
 * become window properties, and the Calc below also hands on the time attribute. The query
 * block's STATE_TTL options (from index hint0 on) that name its FROM table (or alias) set a group
 * aggregate's TTL, as Flink's (1.18+). */
static sl_status build_aggregate(pctx *c, const sql_node *q, plan_node *in, plan_expr *where, const win_from *win,
                                 int hint0, plan_node **out)
{
    const sql_node *items = q->kids[0], *group = q->kids[3], *having = q->kids[4];
    bool distinct = (q->flags & SQL_F_DISTINCT) != 0;
    sl_status st;
    const sql_node **aggs = NULL;
    int naggs = 0, cap = 0;
    for (int i = 0; i < items->nkids; i++) collect_aggs(c, items->kids[i], &aggs, &naggs, &cap);
    collect_aggs(c, having, &aggs, &naggs, &cap);
    if (distinct && (group || naggs)) return unsupported(c, q, "SELECT DISTINCT together with GROUP BY or aggregates");
    int wbase = win ? win->ncols : 0; /* FROM-row fields from here on are window properties */
    if (win && (distinct || !group))
        return unsupported(c, win->tvf, "window table functions outside a window aggregate (GROUP BY window_start, window_end, ...)");
    if (win && reads_from(where, wbase)) return unsupported(c, q->kids[2], "conditions on window_start, window_end or window_time");
    /* keys: GROUP BY expressions, or for DISTINCT every selected expression */
    int nkeys_sql = distinct ? items->nkids : (group ? group->nkids : 0), ngroup = 0;
    plan_expr **keys = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(nkeys_sql + 3));
    const char **keynames = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(nkeys_sql ? nkeys_sql : 1));
    bool props[3] = {false, false, false}; /* window_start, window_end, window_time grouped */
    for (int k = 0; k < nkeys_sql; k++) {
        const sql_node *ke = distinct ? items->kids[k]->kids[0] : group->kids[k];
        plan_expr *x;
        if ((st = cvt(c, ke, 0, &x))) return st;
        if (win && x->kind == PX_INPUT && x->input >= wbase) {
            props[x->input - wbase] = true;
            continue;
        }
        if (win && reads_from(x, wbase)) return unsupported(c, ke, "grouping on expressions over window_start, window_end or window_time");
        keys[ngroup] = x;
        keynames[ngroup] = ke->kind == SQL_ID ? ke->text : sl_arena_strdup(c->a, "$f");
        if (ke->kind != SQL_ID) {
            char nm[16];
            snprintf(nm, sizeof nm, "$f%d", ngroup);
            keynames[ngroup] = sl_arena_strdup(c->a, nm);
        }
        ngroup++;
    }
    if (win && !(props[0] && props[1]))
        return unsupported(c, group, "GROUP BY over a window table function without both window_start and window_end");
    if (win && win->spec.kind == PLAN_WIN_SESSION && (st = session_partition_keys(c, win, keys, ngroup))) return st;
    /* the Calc below the aggregate: keys, then every aggregate's arguments and FILTER */
    plan_node *pre = calc_over(c, in);
    int maxe = ngroup + 2;
    for (int i = 0; i < naggs; i++) maxe += aggs[i]->kids[0]->nkids + 1;
    pre->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)maxe);
    pre->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)maxe);
    for (int k = 0; k < ngroup; k++) {
        pre->exprs[pre->nexprs] = keys[k];
        pre->names[pre->nexprs++] = keynames[k];
    }
    plan_node *agg = node(c, win ? PLAN_WINDOW_AGG : PLAN_AGG);
    agg->ngroup = ngroup;
    const sql_node *from = q->kids[1];
    if (!win && from->kind == SQL_TABLE_REF) { /* STATE_TTL('table or alias' = 'duration') */
        const char *name = from->kids[1] ? from->kids[1]->text : from->kids[0]->text;
        for (int h = hint0; h < c->nttl; h++)
            if (strcmp(c->ttl_opts[h]->kids[0]->text, name) == 0 ||
                (!from->kids[1] && strcmp(c->ttl_opts[h]->kids[0]->text, from->kids[0]->text) == 0)) {
                agg->ttl_ms[0] = c->ttl_vals[h];
                c->ttl_used[h] = true;
            }
    }
    agg->naggs = naggs;
    agg->aggs = sl_arena_zalloc(c->a, sizeof(plan_agg_call) * (size_t)(naggs ? naggs : 1));
    for (int i = 0; i < naggs; i++) {
        const sql_node *call = aggs[i];
        plan_agg_call *ac = &agg->aggs[i];
        ac->fn = call->text;
        ac->type = call->type;
        ac->distinct = (call->flags & SQL_F_DISTINCT) != 0;
        ac->star = (call->flags & SQL_F_STAR_ARG) != 0;
        ac->filter = -1;
        ac->nargs = call->kids[0]->nkids;
        ac->args = sl_arena_alloc(c->a, sizeof(int) * (size_t)(ac->nargs ? ac->nargs : 1));
        for (int a = 0; a < ac->nargs; a++) {
            plan_expr *x;
            if ((st = cvt(c, call->kids[0]->kids[a], 0, &x))) return st;
            if (win && reads_from(x, wbase))
                return unsupported(c, call->kids[0]->kids[a], "aggregates over window_start, window_end or window_time");
            int slot = -1;
            for (int e = 0; e < pre->nexprs && slot < 0; e++)
                if (px_equal(pre->exprs[e], x)) slot = e;
            if (slot < 0) {
                char nm[16];
                snprintf(nm, sizeof nm, "$f%d", pre->nexprs);
                const char *name = sl_arena_strdup(c->a, nm);
                if (win && x->kind == PX_INPUT) { /* a column keeps its name (Flink's Calc below a WindowAggregate) */
                    bool clash = false;
                    for (int e = 0; e < pre->nexprs && !clash; e++) clash = strcmp(pre->names[e], in->row->field_names[x->input]) == 0;
                    if (!clash) name = in->row->field_names[x->input];
                }
                slot = pre->nexprs;
                pre->exprs[pre->nexprs] = x;
                pre->names[pre->nexprs++] = name;
            }
            ac->args[a] = slot;
        }
        if (call->kids[1]) {
            plan_expr *x;
            if ((st = cvt(c, call->kids[1], 0, &x))) return st;
            if (win && reads_from(x, wbase)) return unsupported(c, call->kids[1], "FILTER conditions on window_start, window_end or window_time");
            char nm[16];
            snprintf(nm, sizeof nm, "$f%d", pre->nexprs);
            ac->filter = pre->nexprs;
            pre->exprs[pre->nexprs] = x;
            pre->names[pre->nexprs++] = sl_arena_strdup(c->a, nm);
        }
    }
    if (win) { /* the time attribute, last (as Flink's Calc below a WindowAggregate) */
        int tc = win->spec.time_field;
        const char *tname = in->row->field_names[tc];
        for (int e = 0; e < pre->nexprs; e++)
            if (strcmp(pre->names[e], tname) == 0) {
                char nm[256];
                snprintf(nm, sizeof nm, "%s_0", in->row->field_names[tc]);
                tname = sl_arena_strdup(c->a, nm);
                break;
            }
        agg->window = win->spec;
        agg->window.time_field = pre->nexprs;
        agg->window.window_time = props[2];
        pre->exprs[pre->nexprs] = px_input(c, tc, in->row->field_types[tc]);
        pre->names[pre->nexprs++] = tname;
    }
    pre->cond = where;
    pre->row = calc_row(c, pre);
    agg->input[0] = pre;
    agg->ninputs = 1;
    /* the aggregate's output: keys, then one field per call (then the window properties) */
    int nprops = win ? (props[2] ? 3 : 2) : 0;
    {
        plan_node tmp = {0};
        tmp.nexprs = ngroup + naggs + nprops;
        tmp.exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(tmp.nexprs ? tmp.nexprs : 1));
        tmp.names = sl_arena_zalloc(c->a, sizeof(char *) * (size_t)(tmp.nexprs ? tmp.nexprs : 1));
        for (int k = 0; k < ngroup; k++) {
            tmp.exprs[k] = keys[k];
            tmp.names[k] = keynames[k];
        }
        static const char *const prop_names[] = {"window_start", "window_end", "window_time"};
        for (int p = 0; p < nprops; p++) {
            tmp.exprs[ngroup + naggs + p] = px_input(c, wbase + p, win->tvf->type->field_types[wbase + p]);
            tmp.names[ngroup + naggs + p] = prop_names[p];
        }
        for (int i = 0; i < naggs; i++) {
            char nm[16];
            snprintf(nm, sizeof nm, "$f%d", ngroup + i);
            const char *name = sl_arena_strdup(c->a, nm);
            /* a window aggregate names a call after the select item it is, as Flink does (EXPR$3, cnt) */
            for (int it = 0; win && it < items->nkids; it++)
                if (items->kids[it]->kind == SQL_SELECT_ITEM && items->kids[it]->kids[0] == aggs[i]) {
                    const char *cand = q->type->field_names[it];
                    bool clash = false;
                    for (int o = 0; o < tmp.nexprs && !clash; o++)
                        clash = o != ngroup + i && tmp.names[o] && strcmp(tmp.names[o], cand) == 0;
                    if (!clash) name = cand;
                    break;
                }
            tmp.exprs[ngroup + i] = px_input(c, 0, agg->aggs[i].type);
            tmp.names[ngroup + i] = name;
        }
        agg->row = calc_row(c, &tmp);
    }
    /* the Calc above: the select list and HAVING, lifted onto the aggregate's output */
    int nlift = ngroup + nprops;
    int *keypos = sl_arena_alloc(c->a, sizeof(int) * (size_t)(nlift ? nlift : 1));
    for (int k = 0; k < ngroup; k++) keypos[k] = k;
    for (int p = 0; p < nprops; p++) {
        keys[ngroup + p] = px_input(c, wbase + p, win->tvf->type->field_types[wbase + p]);
        keypos[ngroup + p] = ngroup + naggs + p;
    }
    plan_node *post = calc_over(c, agg);
    int n = q->type->nfields;
    post->nexprs = n;
    post->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n ? n : 1));
    post->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(n ? n : 1));
    c->aggs = aggs;
    c->naggs = naggs;
    st = SL_OK;
    bool stray = false;
    for (int i = 0; i < n && !st; i++) {
        plan_expr *x;
        if ((st = cvt(c, items->kids[i]->kids[0], 0, &x))) break;
        post->exprs[i] = lift(c, x, keys, keypos, nlift, ngroup, &stray);
        post->names[i] = q->type->field_names[i];
        if (stray) st = unsupported(c, items->kids[i], "grouping on an expression that differs from how the SELECT list writes it");
    }
    if (!st && having) {
        plan_expr *x;
        if (!(st = cvt(c, having, 0, &x))) post->cond = lift(c, x, keys, keypos, nlift, ngroup, &stray);
        if (!st && stray) st = unsupported(c, having, "grouping on an expression that differs from how HAVING writes it");
    }
    c->aggs = NULL;
    c->naggs = 0;
    if (st) return st;
    post->row = q->type;
    /* a window aggregate whose output already is the result needs no Calc above it */
    bool identity = win && !post->cond && n == agg->row->nfields;
    for (int i = 0; identity && i < n; i++)
        identity = post->exprs[i]->kind == PX_INPUT && post->exprs[i]->input == i && strcmp(post->names[i], agg->row->field_names[i]) == 0;
    *out = identity ? agg : post;
    return SL_OK;
}

/* ---- top-N and deduplication ------------------------------------------------------------------ */

static plan_expr *remap(pctx *c, const plan_expr *e, const int *map);
static void uses(const plan_expr *e, bool *used, int width);
static plan_expr *and_of(pctx *c, plan_expr *a, plan_expr *b);

static sl_status not_topn(pctx *c, const sql_node *at)
{
    return unsupported(c, at, "ROW_NUMBER() in a subquery outside the top-N shape (SELECT ... FROM (SELECT ..., ROW_NUMBER() "
                              "OVER (PARTITION BY ... ORDER BY ...) AS rn FROM ...) WHERE rn <= N)");
}

static void rank_conjuncts(plan_expr *e, plan_expr **out, int *n, int cap)
{
    if (e->kind == PX_CALL && strcmp(e->op, "AND") == 0) {
        rank_conjuncts(e->args[0], out, n, cap);
        rank_conjuncts(e->args[1], out, n, cap);
    } else if (*n < cap) {
        out[(*n)++] = e;
    }
}

/* Adds e to the Calc's projection unless an equal expression is there; returns its position. */
static int calc_slot(pctx *c, plan_node *k, plan_expr *e)
{
    for (int i = 0; i < k->nexprs; i++)
        if (px_equal(k->exprs[i], e)) return i;
    char nm[16];
    snprintf(nm, sizeof nm, "$f%d", k->nexprs);
    k->names[k->nexprs] = sl_arena_strdup(c->a, nm);
    k->exprs[k->nexprs] = e;
    return k->nexprs++;
}

/* SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) AS rn FROM t [WHERE ...])
 * WHERE rn <= N | rn < N | rn = 1 [AND ...]: Calc (the inner select list and the keys) -> Rank (or
 * Deduplicate) -> Calc (the outer select list and the rest of the outer WHERE). */
static sl_status build_rank(pctx *c, const sql_node *q, plan_node **out)
{
    const sql_node *items = q->kids[0], *from = q->kids[1], *where = q->kids[2], *sub = from->kids[0];
    sl_status st;
    if (q->kids[3] || q->kids[4] || q->kids[5] || (q->flags & SQL_F_DISTINCT) || !where || (from->flags & SQL_F_LATERAL) ||
        from->kids[2] || !sub || sub->kind != SQL_SELECT || sub->kids[3] || sub->kids[4] || sub->kids[5] ||
        (sub->flags & SQL_F_DISTINCT) || !sub->kids[1])
        return not_topn(c, from);
    {
        const sql_node **aggs = NULL;
        int naggs = 0, cap = 0;
        for (int i = 0; i < items->nkids; i++) collect_aggs(c, items->kids[i], &aggs, &naggs, &cap);
        for (int i = 0; i < sub->kids[0]->nkids; i++) collect_aggs(c, sub->kids[0]->kids[i], &aggs, &naggs, &cap);
        if (naggs) return not_topn(c, from);
    }
    for (int i = 0; i < items->nkids; i++)
        if (has_window_call(items->kids[i])) return unsupported(c, items->kids[i], "OVER windows");
    /* the inner select list: exactly one item is ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) */
    const sql_node *sitems = sub->kids[0], *call = NULL;
    int rn_item = -1;
    for (int i = 0; i < sitems->nkids; i++) {
        const sql_node *it = sitems->kids[i];
        const sql_node *e = it->kind == SQL_SELECT_ITEM ? it->kids[0] : NULL;
        if (!e || !has_window_call(e)) continue;
        if (rn_item >= 0 || e->kind != SQL_CALL ||
            (strcasecmp(e->text, "ROW_NUMBER") != 0 && strcasecmp(e->text, "RANK") != 0 && strcasecmp(e->text, "DENSE_RANK") != 0) ||
            e->kids[1] || (e->kids[0] && e->kids[0]->nkids))
            return unsupported(c, e, "OVER windows (only ROW_NUMBER(), RANK() or DENSE_RANK() OVER (...) for top-N)");
        rn_item = i;
        call = e;
    }
    if (!call) return not_topn(c, from);
    const sql_node *over = call->kids[2];
    if (over->kind != SQL_OVER || over->text || over->kids[2] || !over->kids[1] || !over->kids[1]->nkids)
        return unsupported(c, over, "ROW_NUMBER(), RANK() or DENSE_RANK() without ORDER BY, with a window frame or a named window");
    plan_node *in;
    if ((st = build_from(c, sub->kids[1], &in))) return st;
    /* the Calc below: the inner select list without the row number, then the keys it lacks */
    int nsub = sub->type->nfields, npart = over->kids[0] ? over->kids[0]->nkids : 0, norder = over->kids[1]->nkids;
    plan_node *pre = calc_over(c, in);
    int cap = nsub + npart + norder + 1;
    pre->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)cap);
    pre->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)cap);
    int *submap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(nsub + 1)); /* subquery field -> Rank output field */
    int o = 0, rn_pos = -1;
    for (int i = 0; i < sitems->nkids; i++) {
        const sql_node *it = sitems->kids[i];
        const sql_node *star = it->kind == SQL_STAR ? it : (it->kids[0]->kind == SQL_STAR ? it->kids[0] : NULL);
        if (star) {
            int off = 0, width = in->row->nfields;
            if (star->nkids) {
                int acc = 0;
                find_rel(sub->kids[1], star->kids[0]->text, &acc, &off, &width);
            }
            for (int f = off; f < off + width; f++) {
                submap[o] = pre->nexprs;
                pre->exprs[pre->nexprs] = px_input(c, f, in->row->field_types[f]);
                pre->names[pre->nexprs++] = sub->type->field_names[o++];
            }
            continue;
        }
        if (i == rn_item) {
            rn_pos = o++;
            continue;
        }
        submap[o] = pre->nexprs;
        if ((st = cvt(c, it->kids[0], 0, &pre->exprs[pre->nexprs]))) return st;
        pre->names[pre->nexprs++] = sub->type->field_names[o++];
    }
    plan_node *r = node(c, PLAN_RANK);
    r->src = call;
    r->rank_fn = strcasecmp(call->text, "RANK") == 0 ? PLAN_RANK_FN : strcasecmp(call->text, "DENSE_RANK") == 0 ? PLAN_DENSE_RANK : PLAN_ROW_NUMBER;
    r->npart = npart;
    r->part = sl_arena_alloc(c->a, sizeof(int) * (size_t)(npart ? npart : 1));
    r->norder = norder;
    r->order = sl_arena_alloc(c->a, sizeof(int) * (size_t)norder);
    r->order_desc = sl_arena_alloc(c->a, sizeof(bool) * (size_t)norder);
    r->order_nulls_first = sl_arena_alloc(c->a, sizeof(bool) * (size_t)norder);
    for (int k = 0; k < npart; k++) {
        plan_expr *x;
        if ((st = cvt(c, over->kids[0]->kids[k], 0, &x))) return st;
        r->part[k] = calc_slot(c, pre, x);
    }
    for (int k = 0; k < norder; k++) {
        const sql_node *oi = over->kids[1]->kids[k];
        const sql_node *oe = oi->kind == SQL_ORDER_ITEM ? oi->kids[0] : oi;
        unsigned fl = oi->kind == SQL_ORDER_ITEM ? oi->flags : 0;
        plan_expr *x;
        if ((st = cvt(c, oe, 0, &x))) return st;
        r->order[k] = calc_slot(c, pre, x);
        r->order_desc[k] = (fl & SQL_F_DESC) != 0;
        r->order_nulls_first[k] = (fl & SQL_F_NULLS_FIRST) ? true : (fl & SQL_F_NULLS_LAST) ? false : !r->order_desc[k];
    }
    if (sub->kids[2] && (st = cvt(c, sub->kids[2], 0, &pre->cond))) return st;
    pre->row = calc_row(c, pre);
    r->input[0] = pre;
    r->ninputs = 1;
    /* the outer WHERE: one condition on the row number; the rest stays above */
    plan_expr *w;
    if ((st = cvt(c, where, 0, &w))) return st;
    plan_expr *cs[128];
    int ncs = 0;
    rank_conjuncts(w, cs, &ncs, 128);
    plan_expr *rest = NULL;
    bool have_range = false;
    bool *reads = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(nsub + 1));
    for (int i = 0; i < ncs; i++) {
        plan_expr *e = cs[i];
        bool on_rn = e->kind == PX_CALL && e->nargs == 2 && e->args[0]->kind == PX_INPUT && e->args[0]->input == rn_pos &&
                     e->args[1]->kind == PX_LITERAL && e->args[1]->src && e->args[1]->src->kind == SQL_LIT_INT;
        if (on_rn && !have_range) {
            int64_t v = strtoll(e->args[1]->src->text, NULL, 10);
            if (strcmp(e->op, "<=") == 0) r->rank_end = v;
            else if (strcmp(e->op, "<") == 0) r->rank_end = v - 1;
            else if (strcmp(e->op, "=") == 0 && v == 1) r->rank_end = 1;
            else return unsupported(c, where, "conditions on the row number other than rn <= N, rn < N and rn = 1");
            if (r->rank_end < 1) return unsupported(c, where, "top-N with N < 1");
            have_range = true;
            continue;
        }
        memset(reads, 0, sizeof(bool) * (size_t)(nsub + 1));
        uses(e, reads, nsub);
        if (reads[rn_pos]) return unsupported(c, where, "conditions on the row number other than rn <= N, rn < N and rn = 1");
        rest = and_of(c, rest, e);
    }
    if (!have_range) return unsupported(c, where, "ROW_NUMBER() without a condition rn <= N, rn < N or rn = 1 on it");
    /* the outer select list, over the subquery's row */
    int n = q->type->nfields;
    plan_node *post = calc_over(c, r);
    post->nexprs = n;
    post->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n ? n : 1));
    post->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(n ? n : 1));
    o = 0;
    for (int i = 0; i < items->nkids; i++) {
        const sql_node *it = items->kids[i];
        const sql_node *star = it->kind == SQL_STAR ? it : (it->kids[0]->kind == SQL_STAR ? it->kids[0] : NULL);
        if (star) {
            for (int f = 0; f < nsub; f++) {
                post->exprs[o] = px_input(c, f, sub->type->field_types[f]);
                post->names[o] = q->type->field_names[o];
                o++;
            }
            continue;
        }
        if ((st = cvt(c, it->kids[0], 0, &post->exprs[o]))) return st;
        post->names[o] = q->type->field_names[o];
        o++;
    }
    memset(reads, 0, sizeof(bool) * (size_t)(nsub + 1));
    for (int i = 0; i < n; i++) uses(post->exprs[i], reads, nsub);
    uses(rest, reads, nsub);
    r->output_rn = reads[rn_pos];
    int iw = pre->row->nfields;
    submap[rn_pos] = iw;
    for (int i = 0; i < n; i++) post->exprs[i] = remap(c, post->exprs[i], submap);
    post->cond = remap(c, rest, submap);
    post->row = q->type;
    /* the Rank's row: its input, then the row number */
    {
        plan_node tmp = {0};
        tmp.nexprs = iw + (r->output_rn ? 1 : 0);
        tmp.exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)tmp.nexprs);
        tmp.names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)tmp.nexprs);
        for (int i = 0; i < iw; i++) {
            tmp.exprs[i] = px_input(c, i, pre->row->field_types[i]);
            tmp.names[i] = pre->row->field_names[i];
        }
        if (r->output_rn) {
            tmp.exprs[iw] = px_input(c, iw, sql_type_make(c->a, SQL_T_BIGINT, false, -1, -1));
            tmp.names[iw] = "w0$o0";
        }
        r->row = calc_row(c, &tmp);
    }
    /* Deduplicate: rn = 1 over one time attribute, the row number not selected (Flink's rule) */
    const sql_type *ot = pre->row->field_types[r->order[0]];
    if (r->rank_fn == PLAN_ROW_NUMBER && r->rank_end == 1 && !r->output_rn && norder == 1 && ot->attr != SQL_TA_NONE) {
        r->dedup = true;
        r->keep_last = r->order_desc[0];
        r->proctime = ot->attr == SQL_TA_PROCTIME;
    }
    bool identity = !post->cond && n == r->row->nfields;
    for (int i = 0; identity && i < n; i++)
        identity = post->exprs[i]->kind == PX_INPUT && post->exprs[i]->input == i && strcmp(post->names[i], r->row->field_names[i]) == 0;
    *out = identity ? r : post;
    return SL_OK;
}

/* Query hints: STATE_TTL('<input table or alias>' = '<duration>', ...) on regular joins and group
 * aggregates, as Flink's; other hints are not supported yet. */
static sl_status read_hints(pctx *c, const sql_node *hints)
{
    for (int i = 0; i < hints->nkids; i++) {
        const sql_node *h = hints->kids[i];
        if (strcasecmp(h->text, "STATE_TTL") != 0) return unsupported(c, h, "query hints other than STATE_TTL");
        for (int k = 0; k < h->nkids; k++) {
            const sql_node *o = h->kids[k];
            if (o->kind != SQL_OPTION) {
                sl_error_set(c->err, SL_ERR_VALIDATION, "STATE_TTL takes options: 'input table or alias' = 'duration'");
                error_at(c, o);
                return SL_ERR_VALIDATION;
            }
            int64_t ms = 0;
            char why[200] = "";
            bool parsed = sl_parse_duration_ms(o->kids[1]->text, &ms, why, sizeof why);
            if (!parsed || ms <= 0) {
                sl_error_set(c->err, SL_ERR_VALIDATION, "Invalid STATE_TTL duration '%s' for '%s': %s", o->kids[1]->text,
                             o->kids[0]->text, parsed ? "expected a positive duration such as '1 d' or '12 h'" : why);
                error_at(c, o->kids[1]);
                return SL_ERR_VALIDATION;
            }
            c->ttl_opts = sl_xrealloc(c->ttl_opts, sizeof(sql_node *) * (size_t)(c->nttl + 1));
            c->ttl_vals = sl_xrealloc(c->ttl_vals, sizeof(int64_t) * (size_t)(c->nttl + 1));
            c->ttl_used = sl_xrealloc(c->ttl_used, sizeof(bool) * (size_t)(c->nttl + 1));
            c->ttl_opts[c->nttl] = o;
            c->ttl_vals[c->nttl] = ms;
            c->ttl_used[c->nttl++] = false;
        }
    }
    return SL_OK;
}

/* Every STATE_TTL option must name an input of a join or group aggregate of the query block. */
static sl_status check_hints_used(pctx *c)
{
    for (int h = 0; h < c->nttl; h++)
        if (!c->ttl_used[h]) {
            sl_error_set(c->err, SL_ERR_VALIDATION,
                         "The options of following hints cannot match the name of input tables or views: '%s' in STATE_TTL",
                         c->ttl_opts[h]->kids[0]->text);
            sl_error_hint(c->err, "STATE_TTL's keys are the tables (or their aliases) joined or grouped in this query: Sluice "
                                  "applies it to regular joins and group aggregates (for window aggregates use "
                                  "table.exec.state.ttl)");
            sl_error_at_offset(c->err, c->script, c->ttl_opts[h]->kids[0]->off, c->ttl_opts[h]->kids[0]->len);
            return SL_ERR_VALIDATION;
        }
    return SL_OK;
}

/* Whether FROM (subquery) is the top-N shape: the subquery's select list has an OVER window. */
static bool topn_shape(const sql_node *from)
{
    const sql_node *sub = from->kids[0];
    if (!sub || sub->kind != SQL_SELECT) return false;
    for (int i = 0; i < sub->kids[0]->nkids; i++) {
        const sql_node *it = sub->kids[0]->kids[i];
        if (it->kind == SQL_SELECT_ITEM && has_window_call(it->kids[0])) return true;
    }
    return false;
}

/* ---- IN / EXISTS subqueries in WHERE: semi and anti joins ------------------------------------ */

static plan_node *coerce(pctx *c, plan_node *n, const sql_type *row);
static plan_expr *and_of(pctx *c, plan_expr *a, plan_expr *b);

/* Whether an expression tree reads a column of an enclosing query (not looking into subqueries,
 * whose own references are checked when they are planned). */
static bool reads_outer(const sql_node *e)
{
    if (!e) return false;
    if (e->kind == SQL_ID && (e->flags & SQL_F_OUTER_REF)) return true;
    for (int i = 0; i < e->nkids; i++)
        if (reads_outer(e->kids[i])) return true;
    return false;
}

/* A query reads an enclosing one: its WHERE has a reference to it (or somewhere else has, which
 * planning refuses where it is met). */
static bool correlated(const sql_node *q) { return q->kind == SQL_SELECT && reads_outer(q->kids[2]); }

/* An IN (subquery) or EXISTS predicate, possibly under NOTs: the predicate, *anti when negated. */
static const sql_node *subquery_pred(const sql_node *e, bool *anti)
{
    *anti = false;
    while (e->kind == SQL_UNARY && e->text && strcmp(e->text, "NOT") == 0) {
        *anti = !*anti;
        e = e->kids[0];
    }
    if (e->kind == SQL_EXISTS) return e;
    if (e->kind == SQL_IN && e->kids[1]->kind != SQL_LIST) {
        if (e->flags & SQL_F_NOT) *anti = !*anti;
        return e;
    }
    return NULL;
}

static sl_status where_cond(pctx *c, const sql_node *where, bool joins, plan_node **in, plan_expr **cond, plan_expr **corr);

/* The right input of a correlated subquery: its FROM under its own (uncorrelated) WHERE terms,
 * projecting its select items (IN: nsel of them) then every FROM field; *corr: the correlated
 * terms over the enclosing row (lw fields) ++ that projection. */
static sl_status correlated_input(pctx *c, const sql_node *q, int nsel, int lw, plan_node **out, plan_expr **corr)
{
    const sql_node *items = q->kids[0], *from = q->kids[1];
    const sql_node **aggs = NULL;
    int naggs = 0, cap = 0;
    for (int i = 0; i < items->nkids; i++) collect_aggs(c, items->kids[i], &aggs, &naggs, &cap);
    if (q->kids[3] || q->kids[4] || naggs || q->kids[5] || !from || from->kind == SQL_TVF)
        return unsupported(c, q, "correlated subqueries with GROUP BY, HAVING, aggregates, hints or a window table function; "
                                 "only SELECT ... FROM ... WHERE <terms equating its columns with the outer query's>");
    sl_status st;
    plan_node *f;
    if ((st = build_from(c, from, &f))) return st;
    int fw = f->row->nfields;
    plan_node *k = calc_over(c, f);
    k->nexprs = nsel + fw;
    k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(k->nexprs ? k->nexprs : 1));
    k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(k->nexprs ? k->nexprs : 1));
    for (int i = 0; i < nsel; i++) {
        const sql_node *it = items->kids[i];
        if (it->kind != SQL_SELECT_ITEM || it->kids[0]->kind == SQL_STAR)
            return unsupported(c, it, "'*' in the SELECT list of a correlated IN subquery; name the column");
        if ((st = cvt(c, it->kids[0], 0, &k->exprs[i]))) return st;
        k->names[i] = q->type->field_names[i];
    }
    for (int i = 0; i < fw; i++) {
        k->exprs[nsel + i] = px_input(c, i, f->row->field_types[i]);
        k->names[nsel + i] = f->row->field_names[i];
    }
    plan_expr *local = NULL;
    /* the terms reading only the subquery filter its FROM (their own subqueries join it); the
     * others become the join's condition */
    c->corr_shift = lw + nsel;
    if ((st = where_cond(c, q->kids[2], true, &f, &local, corr))) return st;
    k->input[0] = f;
    k->cond = local;
    k->row = calc_row(c, k);
    *out = k;
    return SL_OK;
}

/* `in` semi- (anti-) joined with the subquery of an IN / EXISTS predicate p (Flink's rewrite of
 * subqueries in WHERE): x IN (SELECT y ...) joins on x = y; NOT IN is null-aware as Flink's: a
 * left row is dropped when a right row equals it or either side is NULL (OR(=(x, y), IS NULL(x),
 * IS NULL(y)) for nullable columns, which leaves no key: one parallel instance). EXISTS joins on
 * its correlated WHERE terms (true when uncorrelated). */
static sl_status semi_join(pctx *c, const sql_node *p, bool anti, plan_node **in)
{
    bool is_in = p->kind == SQL_IN;
    const sql_node *q = is_in ? p->kids[1] : p->kids[0];
    plan_node *left = *in;
    int lw = left->row->nfields;
    const sql_node *lhs = is_in ? p->kids[0] : NULL;
    int nops = !is_in ? 0 : lhs->kind == SQL_ROW_CTOR ? lhs->nkids : 1;
    plan_expr **ops = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(nops ? nops : 1));
    sl_status st;
    for (int i = 0; i < nops; i++) {
        const sql_node *o = nops == 1 && lhs->kind != SQL_ROW_CTOR ? lhs : lhs->kids[i];
        if ((st = cvt(c, o, 0, &ops[i]))) return st;
    }
    /* operands other than columns: computed by a Calc below the join (so they can be keys), and
     * projected away above it */
    int nx = 0;
    for (int i = 0; i < nops; i++) nx += ops[i]->kind != PX_INPUT;
    if (nx) {
        plan_node *k = calc_over(c, left);
        set_identity(c, k);
        plan_expr **ex = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(lw + nx));
        const char **nm = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(lw + nx));
        memcpy(ex, k->exprs, sizeof(plan_expr *) * (size_t)lw);
        memcpy(nm, k->names, sizeof(char *) * (size_t)lw);
        for (int i = 0, x = lw; i < nops; i++) {
            if (ops[i]->kind == PX_INPUT) continue;
            char buf[32];
            snprintf(buf, sizeof buf, "$f%d", x);
            ex[x] = ops[i];
            nm[x] = sl_arena_strdup(c->a, buf);
            ops[i] = px_input(c, x++, ops[i]->type);
        }
        k->nexprs = lw + nx;
        k->exprs = ex;
        k->names = nm;
        k->row = calc_row(c, k);
        left = k;
        lw += nx;
    }
    plan_node *r;
    plan_expr *corr = NULL;
    if (correlated(q)) {
        if (q->kind != SQL_SELECT) return unsupported(c, q, "correlated subqueries other than a SELECT");
        bool saved_in = c->in_corr;
        int saved_shift = c->corr_shift;
        st = correlated_input(c, q, nops, lw, &r, &corr);
        c->in_corr = saved_in;
        c->corr_shift = saved_shift;
        if (st) return st;
    } else if ((st = build_query(c, q, &r))) {
        return st;
    }
    /* the IN columns compare as the left operand's types (a join key is compared by its bytes) */
    if (nops) {
        sql_type *want = sl_arena_zalloc(c->a, sizeof *want);
        *want = *r->row;
        want->field_types = sl_arena_alloc(c->a, sizeof(sql_type *) * (size_t)r->row->nfields);
        for (int i = 0; i < r->row->nfields; i++) {
            const sql_type *rt = r->row->field_types[i];
            bool cast = i < nops && (rt->id != ops[i]->type->id || (rt->id == SQL_T_DECIMAL && !sql_type_equals(rt, ops[i]->type, true)));
            want->field_types[i] = cast ? sql_type_with_attr(c->a, ops[i]->type, SQL_TA_NONE) : rt;
        }
        r = coerce(c, r, want);
    }
    plan_expr *cond = NULL;
    for (int i = 0; i < nops; i++) {
        plan_expr *re = px_input(c, lw + i, r->row->field_types[i]);
        plan_expr *eq_args[2] = {ops[i], re};
        plan_expr *t = px_call(c, "=", boolean_type(c, ops[i]->type->nullable || re->type->nullable), 2, eq_args);
        for (int side = 0; anti && side < 2; side++) { /* NOT IN: a NULL on either side is a match */
            plan_expr *x = side ? re : ops[i];
            if (!x->type->nullable) continue;
            plan_expr *nargs[1] = {x};
            plan_expr *or_args[2] = {t, px_call(c, "IS NULL", boolean_type(c, false), 1, nargs)};
            t = px_call(c, "OR", boolean_type(c, true), 2, or_args);
        }
        cond = and_of(c, cond, t);
    }
    cond = and_of(c, cond, corr);
    plan_node *j = node(c, PLAN_JOIN);
    j->input[0] = left;
    j->input[1] = r;
    j->ninputs = 2;
    j->join_kind = anti ? "ANTI" : "SEMI";
    j->row = left->row;
    j->jrow = concat_rows(c, left->row, r->row);
    j->residual = cond;
    j->src = c->loc ? c->loc : p;
    *in = j;
    if (nx) { /* back to the FROM row */
        plan_node *k = calc_over(c, j);
        set_identity(c, k);
        k->nexprs = lw - nx;
        k->row = (*in)->input[0]->input[0]->row;
        *in = k;
    }
    return SL_OK;
}

/* WHERE's AND terms: IN / EXISTS subqueries become semi / anti joins over *in (when `joins`), the
 * rest the condition *cond. In a correlated subquery's WHERE (c->corr_shift set, corr != NULL), the
 * terms reading the enclosing query go to *corr, converted over the enclosing row ++ the
 * subquery's projection. */
static sl_status where_cond(pctx *c, const sql_node *where, bool joins, plan_node **in, plan_expr **cond, plan_expr **corr)
{
    sl_status st;
    if (!where) return SL_OK;
    if (where->kind == SQL_BINARY && strcmp(where->text, "AND") == 0) {
        if ((st = where_cond(c, where->kids[0], joins, in, cond, corr))) return st;
        return where_cond(c, where->kids[1], joins, in, cond, corr);
    }
    bool anti;
    const sql_node *p = joins ? subquery_pred(where, &anti) : NULL;
    if (p) {
        if (reads_outer(p->kind == SQL_IN ? p->kids[0] : NULL))
            return unsupported(c, p, "IN whose left side reads the enclosing query (a correlated IN operand)");
        return semi_join(c, p, anti, in);
    }
    plan_expr *x;
    if (corr && reads_outer(where)) {
        c->in_corr = true;
        st = cvt(c, where, 0, &x);
        c->in_corr = false;
        if (st) return st;
        *corr = and_of(c, *corr, x);
        return SL_OK;
    }
    if ((st = cvt(c, where, 0, &x))) return st;
    *cond = and_of(c, *cond, x);
    return SL_OK;
}

static sl_status build_select(pctx *c, const sql_node *q, plan_node **out)
{
    sl_status st0;
    const sql_node *items = q->kids[0], *from = q->kids[1], *where = q->kids[2];
    int hint0 = c->nttl; /* this block's STATE_TTL options: hint0 .. c->nttl - 1 */
    if (q->kids[5] && (st0 = read_hints(c, q->kids[5]))) return st0;
    if (!from) return unsupported(c, q, "SELECT without FROM");
    if (from->kind == SQL_SUBQUERY && topn_shape(from)) return build_rank(c, q, out);
    for (int i = 0; i < items->nkids; i++) {
        const sql_node *e = items->kids[i]->kind == SQL_SELECT_ITEM ? items->kids[i]->kids[0] : NULL;
        if (e && has_window_call(e)) return unsupported(c, e, "OVER windows");
    }
    sl_status st;
    plan_node *in;
    win_from wf, *win = NULL;
    const sql_node **aggs = NULL;
    int naggs = 0, cap = 0;
    for (int i = 0; i < items->nkids; i++) collect_aggs(c, items->kids[i], &aggs, &naggs, &cap);
    bool aggregating = q->kids[3] || q->kids[4] || naggs || (q->flags & SQL_F_DISTINCT);
    if (from->kind == SQL_TVF && aggregating) { /* a window table function under a window aggregate */
        if ((st = window_from(c, from, &wf, &in))) return st;
        win = &wf;
    } else if ((st = build_from(c, from, &in))) { /* (without aggregates: a window join's input) */
        return st;
    }
    /* WHERE: its IN / EXISTS terms join the FROM (semi / anti joins), the rest filters */
    plan_expr *w = NULL;
    if (where && (st = where_cond(c, where, !win, &in, &w, NULL))) return st;
    if (aggregating || win) return build_aggregate(c, q, in, w, win, hint0, out);
    plan_node *k = calc_over(c, in);
    int n = q->type->nfields;
    k->nexprs = n;
    k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n ? n : 1));
    k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(n ? n : 1));
    int o = 0;
    for (int i = 0; i < items->nkids; i++) {
        const sql_node *it = items->kids[i];
        const sql_node *star = it->kind == SQL_STAR ? it : (it->kids[0]->kind == SQL_STAR ? it->kids[0] : NULL);
        if (star) {
            int off = 0, width = in->row->nfields;
            if (star->nkids) {
                int acc = 0;
                find_rel(from, star->kids[0]->text, &acc, &off, &width);
            }
            for (int f = off; f < off + width; f++) {
                k->exprs[o] = px_input(c, f, in->row->field_types[f]);
                k->names[o] = q->type->field_names[o];
                o++;
            }
            continue;
        }
        if ((st = cvt(c, it->kids[0], 0, &k->exprs[o]))) return st;
        k->names[o] = q->type->field_names[o];
        o++;
    }
    k->cond = w;
    k->row = q->type;
    *out = k;
    return SL_OK;
}

/* A Calc over n that casts each field whose type differs from row's (ignoring nullability) to it
 * (a UNION input coerced to the union's common type); n itself when none does. */
static plan_node *coerce(pctx *c, plan_node *n, const sql_type *row)
{
    bool same = true;
    for (int i = 0; same && i < row->nfields; i++) same = sql_type_equals(n->row->field_types[i], row->field_types[i], true);
    if (same) return n;
    plan_node *k = calc_over(c, n);
    int w = row->nfields;
    k->nexprs = w;
    k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(w ? w : 1));
    k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(w ? w : 1));
    for (int i = 0; i < w; i++) {
        const sql_type *from = n->row->field_types[i];
        plan_expr *x = px_input(c, i, from);
        if (!sql_type_equals(from, row->field_types[i], true)) {
            plan_expr *args[1] = {x};
            x = px_call(c, "CAST", sql_type_with_nullable(c->a, row->field_types[i], from->nullable), 1, args);
        }
        k->exprs[i] = x;
        k->names[i] = n->row->field_names[i];
    }
    k->row = calc_row(c, k);
    return k;
}

/* A Union of n inputs (nested when there are more than PLAN_MAX_INPUTS). */
static plan_node *union_of(pctx *c, plan_node **in, int n, const sql_type *row)
{
    if (n > PLAN_MAX_INPUTS) {
        int ngroups = (n + PLAN_MAX_INPUTS - 1) / PLAN_MAX_INPUTS;
        plan_node **groups = sl_arena_alloc(c->a, sizeof(plan_node *) * (size_t)ngroups);
        for (int g = 0; g < ngroups; g++) {
            int from = g * PLAN_MAX_INPUTS, cnt = n - from < PLAN_MAX_INPUTS ? n - from : PLAN_MAX_INPUTS;
            groups[g] = cnt == 1 ? in[from] : union_of(c, in + from, cnt, row);
        }
        return union_of(c, groups, ngroups, row);
    }
    plan_node *u = node(c, PLAN_UNION);
    u->ninputs = n;
    for (int i = 0; i < n; i++) u->input[i] = in[i];
    u->row = row;
    return u;
}

/* The queries a UNION [ALL] combines: UNION ALL flattens UNION ALLs below it; UNION (distinct)
 * flattens every UNION below it (the distinct on top absorbs theirs). */
static int union_leaves(const sql_node *q, bool distinct, const sql_node **out, int n)
{
    if (q->kind == SQL_SET_OP && strcmp(q->text, "UNION") == 0 && (distinct || (q->flags & SQL_F_ALL))) {
        n = union_leaves(q->kids[0], distinct, out, n);
        return union_leaves(q->kids[1], distinct, out, n);
    }
    if (out) out[n] = q;
    return n + 1;
}

/* UNION ALL: a Union of the inputs, each coerced to the common type the validator chose (as
 * Flink's); UNION: the same under a GroupAggregate on every column (Flink's plan). */
/* A set operation's row: the common types the validator chose, without time attributes (Flink
 * materializes them). */
static const sql_type *setop_row(pctx *c, const sql_node *q)
{
    sql_type *row = sl_arena_zalloc(c->a, sizeof *row);
    *row = *q->type;
    row->field_types = sl_arena_alloc(c->a, sizeof(sql_type *) * (size_t)(row->nfields ? row->nfields : 1));
    for (int i = 0; i < row->nfields; i++) row->field_types[i] = sql_type_with_attr(c->a, q->type->field_types[i], SQL_TA_NONE);
    return row;
}

/* INTERSECT / EXCEPT (set semantics), as Flink's rewrite: a GroupAggregate on every column over a
 * semi (anti) join of the two inputs on all columns, NULL matching NULL (IS NOT DISTINCT FROM).
 * INTERSECT ALL / EXCEPT ALL: that join alone, counting each row's copies on both sides (see
 * plan_node.setop; Flink's plan differs: a Union, a counting GroupAggregate and REPLICATE_ROWS). */
static sl_status build_setop(pctx *c, const sql_node *q, plan_node **out)
{
    bool all = q->flags & SQL_F_ALL;
    const sql_type *row = setop_row(c, q);
    plan_node *in[2];
    for (int i = 0; i < 2; i++) {
        sl_status st = build_query(c, q->kids[i], &in[i]);
        if (st) return st;
        in[i] = coerce(c, in[i], row);
    }
    int w = row->nfields;
    plan_node *j = node(c, PLAN_JOIN);
    j->input[0] = in[0];
    j->input[1] = in[1];
    j->ninputs = 2;
    j->join_kind = strcmp(q->text, "INTERSECT") == 0 ? "SEMI" : "ANTI";
    j->row = in[0]->row;
    j->jrow = concat_rows(c, in[0]->row, in[1]->row);
    j->null_safe = true;
    j->nkeys = w;
    j->lkeys = sl_arena_alloc(c->a, sizeof(int) * (size_t)(w ? w : 1));
    j->rkeys = sl_arena_alloc(c->a, sizeof(int) * (size_t)(w ? w : 1));
    for (int i = 0; i < w; i++) j->lkeys[i] = j->rkeys[i] = i;
    j->src = c->loc ? c->loc : q;
    if (all) { /* the join counts copies itself (Flink: a counting aggregate and REPLICATE_ROWS) */
        j->setop = q->text;
        *out = j;
        return SL_OK;
    }
    plan_node *g = node(c, PLAN_AGG);
    g->input[0] = j;
    g->ninputs = 1;
    g->ngroup = w;
    g->aggs = sl_arena_zalloc(c->a, sizeof(plan_agg_call));
    g->row = row;
    g->setop = q->text;
    *out = g;
    return SL_OK;
}

static sl_status build_union(pctx *c, const sql_node *q, plan_node **out)
{
    if (strcmp(q->text, "UNION") != 0) return build_setop(c, q, out);
    bool distinct = !(q->flags & SQL_F_ALL);
    int n = union_leaves(q, distinct, NULL, 0);
    const sql_node **leaves = sl_arena_alloc(c->a, sizeof(sql_node *) * (size_t)n);
    union_leaves(q, distinct, leaves, 0);
    plan_node **in = sl_arena_alloc(c->a, sizeof(plan_node *) * (size_t)n);
    const sql_type *row = setop_row(c, q);
    for (int i = 0; i < n; i++) {
        sl_status st = build_query(c, leaves[i], &in[i]);
        if (st) return st;
        in[i] = coerce(c, in[i], row);
    }
    plan_node *u = union_of(c, in, n, row);
    if (distinct) {
        plan_node *g = node(c, PLAN_AGG);
        g->input[0] = u;
        g->ninputs = 1;
        g->ngroup = row->nfields;
        g->aggs = sl_arena_zalloc(c->a, sizeof(plan_agg_call));
        g->row = row;
        u = g;
    }
    *out = u;
    return SL_OK;
}

/* VALUES: a Values leaf whose expressions have their column's type (the validator's common type;
 * the runtime evaluates them once, against no input). */
static sl_status build_values(pctx *c, const sql_node *q, plan_node **out)
{
    const sql_type *row = q->type;
    int w = row->nfields;
    plan_node *n = node(c, PLAN_VALUES);
    n->row = row;
    n->ntuples = q->nkids;
    n->nexprs = q->nkids * w;
    n->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n->nexprs ? n->nexprs : 1));
    for (int r = 0; r < q->nkids; r++)
        for (int i = 0; i < w; i++) {
            plan_expr *x;
            sl_status st = cvt(c, q->kids[r]->kids[i], 0, &x);
            if (st) return st;
            if (!sql_type_equals(x->type, row->field_types[i], true)) {
                plan_expr *args[1] = {x};
                x = px_call(c, "CAST", row->field_types[i], 1, args);
            }
            n->exprs[r * w + i] = x;
        }
    *out = n;
    return SL_OK;
}

static sl_status build_query(pctx *c, const sql_node *q, plan_node **out)
{
    switch (q->kind) {
    case SQL_SELECT: return build_select(c, q, out);
    case SQL_VALUES: return build_values(c, q, out);
    case SQL_SET_OP: return build_union(c, q, out);
    case SQL_WITH: {
        const cte_scope *saved = c->ctes;
        for (int i = 0; i < q->kids[0]->nkids; i++) {
            cte_scope *s = sl_arena_alloc(c->a, sizeof *s);
            s->cte = q->kids[0]->kids[i];
            s->up = c->ctes;
            c->ctes = s;
        }
        sl_status st = build_query(c, q->kids[1], out);
        c->ctes = saved;
        return st;
    }
    case SQL_ORDER_BY: return unsupported(c, q, "ORDER BY / LIMIT");
    default: return unsupported(c, q, sql_kind_name(q->kind));
    }
}

/* ---- rules ---------------------------------------------------------------------------------- */

/* Collects the input fields an expression reads into used[] (size width). */
static void uses(const plan_expr *e, bool *used, int width)
{
    if (!e) return;
    if (e->kind == PX_INPUT && e->input >= 0 && e->input < width) used[e->input] = true;
    for (int i = 0; i < e->nargs; i++) uses(e->args[i], used, width);
}

/* Which side(s) of a join an expression reads: 1 left only, 2 right only, 3 both, 0 none. */
static int sides(const plan_expr *e, int lw)
{
    if (!e) return 0;
    int s = 0;
    if (e->kind == PX_INPUT) s |= e->input < lw ? 1 : 2;
    for (int i = 0; i < e->nargs; i++) s |= sides(e->args[i], lw);
    return s;
}

static plan_expr *shift_expr(pctx *c, const plan_expr *e, int delta)
{
    plan_expr *x = sl_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->kind == PX_INPUT) x->input = e->input - delta;
    if (e->nargs) {
        x->args = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) x->args[i] = shift_expr(c, e->args[i], delta);
    }
    return x;
}

/* A SEMI / ANTI join (its output is its left input's row; see plan_node.jrow). */
static bool semi_kind(const plan_node *n) { return n->kind == PLAN_JOIN && n->jrow; }

/* The row a join's keys and residual refer to: left ++ right. */
static const sql_type *join_row(const plan_node *n) { return n->jrow ? n->jrow : n->row; }

/* Conjunctions as a list. */
typedef struct conj {
    plan_expr *e[128];
    int n;
} conj;

static void split_and(const plan_expr *e, conj *out)
{
    if (!e) return;
    if (e->kind == PX_CALL && strcmp(e->op, "AND") == 0) {
        split_and(e->args[0], out);
        split_and(e->args[1], out);
    } else if (out->n < 128) {
        out->e[out->n++] = (plan_expr *)e;
    }
}

static plan_expr *and_of(pctx *c, plan_expr *a, plan_expr *b)
{
    if (!a) return b;
    if (!b) return a;
    plan_expr *args[2] = {a, b};
    return px_call(c, "AND", boolean_type(c, a->type->nullable || b->type->nullable), 2, args);
}

/* Calls whose every evaluation differs: a Calc computing one is not merged into the expressions
 * reading it (which would evaluate it again). */
static bool nondeterministic(const plan_expr *e)
{
    if (!e) return false;
    if (e->kind == PX_CALL && (strcasecmp(e->op, "RAND") == 0 || strcasecmp(e->op, "RAND_INTEGER") == 0 || strcasecmp(e->op, "UUID") == 0))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (nondeterministic(e->args[i])) return true;
    return false;
}

/* Whether e, over a Calc's output, can be rewritten over the Calc's input (it reads no field the
 * Calc computes nondeterministically). */
static bool can_inline(const plan_expr *e, const plan_node *k)
{
    if (!e) return true;
    if (e->kind == PX_INPUT) return e->input < 0 || e->input >= k->nexprs || !nondeterministic(k->exprs[e->input]);
    for (int i = 0; i < e->nargs; i++)
        if (!can_inline(e->args[i], k)) return false;
    return true;
}

/* e over a Calc's output rewritten over its input: each field replaced by its expression. */
static plan_expr *inline_exprs(pctx *c, const plan_expr *e, plan_expr *const *exprs)
{
    if (!e) return NULL;
    if (e->kind == PX_INPUT && e->input >= 0) return exprs[e->input];
    plan_expr *x = sl_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->nargs) {
        x->args = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) x->args[i] = inline_exprs(c, e->args[i], exprs);
    }
    return x;
}

/* Adds a filter (over in's output) on top of an input: into its condition if it is a Calc (the
 * filter rewritten over the Calc's input), else through a new identity Calc. */
static plan_node *filter_input(pctx *c, plan_node *in, plan_expr *cond)
{
    if (in->kind == PLAN_CALC && can_inline(cond, in)) {
        in->cond = and_of(c, in->cond, inline_exprs(c, cond, in->exprs));
        return in;
    }
    plan_node *k = calc_over(c, in);
    set_identity(c, k);
    k->cond = cond;
    return k;
}

/* Pushes conjuncts of a condition over a join's input row into the join's inputs, as outer-join
 * semantics allow; returns what must stay. from_where: the condition came from above the join
 * (WHERE) rather than from its ON clause. */
static plan_expr *push_into_join(pctx *c, plan_node *j, plan_expr *cond, bool from_where)
{
    int lw = j->input[0]->row->nfields;
    bool inner = strcmp(j->join_kind, "INNER") == 0, left = strcmp(j->join_kind, "LEFT") == 0,
         right = strcmp(j->join_kind, "RIGHT") == 0;
    /* WHERE: push to the side whose rows are never null-padded. ON: push to the side that is. */
    bool to_left = inner || (from_where ? left : right);
    bool to_right = inner || (from_where ? right : left);
    if (semi_kind(j)) { /* WHERE reads left rows only; ON: a left-only term filters the left rows of
                         * a semi join (an unmatched row is dropped either way), never an anti join's */
        to_left = from_where || strcmp(j->join_kind, "SEMI") == 0;
        to_right = !from_where;
    }
    conj cs = {.n = 0};
    split_and(cond, &cs);
    plan_expr *keep = NULL;
    for (int i = 0; i < cs.n; i++) {
        int s = sides(cs.e[i], lw);
        if (s == 1 && to_left) j->input[0] = filter_input(c, j->input[0], cs.e[i]);
        else if (s == 2 && to_right) j->input[1] = filter_input(c, j->input[1], shift_expr(c, cs.e[i], lw));
        else if (from_where && inner && s == 3) j->residual = and_of(c, j->residual, cs.e[i]);
        else keep = and_of(c, keep, cs.e[i]);
    }
    return keep;
}

static void pushdown(pctx *c, plan_node *n)
{
    if (!n) return;
    if (n->kind == PLAN_CALC && n->cond && n->input[0]->kind == PLAN_JOIN) n->cond = push_into_join(c, n->input[0], n->cond, true);
    /* through a projection (a subquery, view or CTE in FROM) */
    if (n->kind == PLAN_CALC && n->cond && n->input[0]->kind == PLAN_CALC && can_inline(n->cond, n->input[0])) {
        n->input[0] = filter_input(c, n->input[0], n->cond);
        n->cond = NULL;
    }
    /* into every input of a UNION ALL */
    if (n->kind == PLAN_CALC && n->cond && n->input[0]->kind == PLAN_UNION) {
        plan_node *u = n->input[0];
        for (int i = 0; i < u->ninputs; i++) u->input[i] = filter_input(c, u->input[i], n->cond);
        n->cond = NULL;
    }
    if (n->kind == PLAN_JOIN && !n->null_safe) { /* (INTERSECT / EXCEPT: keys set, no condition) */
        n->residual = push_into_join(c, n, n->residual, false);
        /* join keys: equalities between a left field and a right field */
        int lw = n->input[0]->row->nfields;
        conj cs = {.n = 0};
        split_and(n->residual, &cs);
        plan_expr *rest = NULL;
        n->lkeys = sl_arena_alloc(c->a, sizeof(int) * (size_t)(cs.n ? cs.n : 1));
        n->rkeys = sl_arena_alloc(c->a, sizeof(int) * (size_t)(cs.n ? cs.n : 1));
        for (int i = 0; i < cs.n; i++) {
            plan_expr *e = cs.e[i];
            if (e->kind == PX_CALL && strcmp(e->op, "=") == 0 && e->args[0]->kind == PX_INPUT && e->args[1]->kind == PX_INPUT &&
                (e->args[0]->input < lw) != (e->args[1]->input < lw)) {
                plan_expr *l = e->args[0]->input < lw ? e->args[0] : e->args[1];
                plan_expr *r = e->args[0]->input < lw ? e->args[1] : e->args[0];
                n->lkeys[n->nkeys] = l->input;
                n->rkeys[n->nkeys++] = r->input - lw;
            } else {
                rest = and_of(c, rest, e);
            }
        }
        n->residual = rest;
        /* inner join keys can never match NULL: filter them out before the join, as Flink does */
        if (strcmp(n->join_kind, "INNER") == 0) {
            for (int k = 0; k < n->nkeys; k++) {
                for (int side = 0; side < 2; side++) {
                    int f = side ? n->rkeys[k] : n->lkeys[k];
                    const sql_type *t = n->input[side]->row->field_types[f];
                    if (!t->nullable) continue;
                    plan_expr *args[1] = {px_input(c, f, t)};
                    n->input[side] = filter_input(c, n->input[side], px_call(c, "IS NOT NULL", boolean_type(c, false), 1, args));
                }
            }
        }
    }
    for (int i = 0; i < n->ninputs; i++) pushdown(c, n->input[i]);
}

/* Projection pruning: rebuilds n so that it produces only the fields in need[] (size = width of
 * n's row; NULL = all). Fills map[old field] = new field or -1. */
static plan_node *prune(pctx *c, plan_node *n, const bool *need, int *map);

static plan_expr *remap(pctx *c, const plan_expr *e, const int *map)
{
    if (!e) return NULL;
    plan_expr *x = sl_arena_alloc(c->a, sizeof *x);
    *x = *e;
    if (e->kind == PX_INPUT) x->input = map[e->input];
    if (e->nargs) {
        x->args = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) x->args[i] = remap(c, e->args[i], map);
    }
    return x;
}

static const sql_type *sub_row(pctx *c, const sql_type *row, const bool *keep, int *map)
{
    sql_type *t = sl_arena_zalloc(c->a, sizeof *t);
    *t = *row;
    t->field_names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(row->nfields ? row->nfields : 1));
    t->field_types = sl_arena_alloc(c->a, sizeof(sql_type *) * (size_t)(row->nfields ? row->nfields : 1));
    int k = 0;
    for (int i = 0; i < row->nfields; i++) {
        if (!keep[i]) {
            map[i] = -1;
            continue;
        }
        map[i] = k;
        t->field_names[k] = row->field_names[i];
        t->field_types[k++] = row->field_types[i];
    }
    t->nfields = k;
    return t;
}

static plan_node *prune(pctx *c, plan_node *n, const bool *need, int *map)
{
    int w = n->row->nfields;
    bool *all = sl_arena_alloc(c->a, sizeof(bool) * (size_t)(w ? w : 1));
    for (int i = 0; i < w; i++) all[i] = need ? need[i] : true;
    switch (n->kind) {
    case PLAN_SINK: {
        int iw = n->input[0]->row->nfields;
        int *cmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(iw ? iw : 1));
        n->input[0] = prune(c, n->input[0], NULL, cmap);
        return n;
    }
    case PLAN_SCAN: {
        plan_node *s = sl_arena_alloc(c->a, sizeof *s);
        *s = *n;
        s->row = sub_row(c, n->row, all, map);
        s->fields = sl_arena_alloc(c->a, sizeof(int) * (size_t)(w ? w : 1));
        s->nfields = 0;
        for (int i = 0; i < w; i++)
            if (all[i]) s->fields[s->nfields++] = n->fields[i];
        return s;
    }
    case PLAN_VALUES: { /* keep the columns needed (every tuple still yields its row) */
        plan_node *s = sl_arena_alloc(c->a, sizeof *s);
        *s = *n;
        s->row = sub_row(c, n->row, all, map);
        int nw = s->row->nfields;
        s->nexprs = n->ntuples * nw;
        s->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(s->nexprs ? s->nexprs : 1));
        for (int r = 0, k = 0; r < n->ntuples; r++)
            for (int i = 0; i < w; i++)
                if (all[i]) s->exprs[k++] = n->exprs[r * w + i];
        return s;
    }
    case PLAN_CALC: {
        int iw = n->input[0]->row->nfields;
        bool *in_need = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(iw ? iw : 1));
        for (int i = 0; i < n->nexprs; i++)
            if (all[i]) uses(n->exprs[i], in_need, iw);
        uses(n->cond, in_need, iw);
        int *cmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(iw ? iw : 1));
        plan_node *k = sl_arena_alloc(c->a, sizeof *k);
        *k = *n;
        k->input[0] = prune(c, n->input[0], in_need, cmap);
        k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n->nexprs ? n->nexprs : 1));
        k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(n->nexprs ? n->nexprs : 1));
        k->nexprs = 0;
        for (int i = 0; i < n->nexprs; i++) {
            if (!all[i]) {
                map[i] = -1;
                continue;
            }
            map[i] = k->nexprs;
            k->names[k->nexprs] = n->names[i];
            k->exprs[k->nexprs++] = remap(c, n->exprs[i], cmap);
        }
        k->cond = remap(c, n->cond, cmap);
        k->row = calc_row(c, k);
        return k;
    }
    case PLAN_AGG:
    case PLAN_WINDOW_AGG: {
        int iw = n->input[0]->row->nfields;
        bool *in_need = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(iw ? iw : 1));
        for (int k = 0; k < n->ngroup; k++) in_need[k] = true;
        if (n->kind == PLAN_WINDOW_AGG) in_need[n->window.time_field] = true;
        for (int i = 0; i < n->naggs; i++) {
            for (int a = 0; a < n->aggs[i].nargs; a++) in_need[n->aggs[i].args[a]] = true;
            if (n->aggs[i].filter >= 0) in_need[n->aggs[i].filter] = true;
        }
        int *cmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(iw ? iw : 1));
        plan_node *g = sl_arena_alloc(c->a, sizeof *g);
        *g = *n;
        g->input[0] = prune(c, n->input[0], in_need, cmap);
        g->aggs = sl_arena_alloc(c->a, sizeof(plan_agg_call) * (size_t)(n->naggs ? n->naggs : 1));
        for (int i = 0; i < n->naggs; i++) {
            g->aggs[i] = n->aggs[i];
            g->aggs[i].args = sl_arena_alloc(c->a, sizeof(int) * (size_t)(n->aggs[i].nargs ? n->aggs[i].nargs : 1));
            for (int a = 0; a < n->aggs[i].nargs; a++) g->aggs[i].args[a] = cmap[n->aggs[i].args[a]];
            if (n->aggs[i].filter >= 0) g->aggs[i].filter = cmap[n->aggs[i].filter];
        }
        if (n->kind == PLAN_WINDOW_AGG) g->window.time_field = cmap[n->window.time_field];
        for (int i = 0; i < w; i++) map[i] = i; /* every key and aggregate is kept */
        return g;
    }
    case PLAN_RANK: {
        int iw = n->input[0]->row->nfields;
        bool *in_need = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(iw ? iw : 1));
        for (int i = 0; i < iw; i++) in_need[i] = all[i];
        for (int k = 0; k < n->npart; k++) in_need[n->part[k]] = true;
        for (int k = 0; k < n->norder; k++) in_need[n->order[k]] = true;
        if (n->wrank) in_need[n->wr_start] = in_need[n->wr_end] = true;
        int *cmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(iw ? iw : 1));
        plan_node *r = sl_arena_alloc(c->a, sizeof *r);
        *r = *n;
        r->input[0] = prune(c, n->input[0], in_need, cmap);
        r->part = sl_arena_alloc(c->a, sizeof(int) * (size_t)(n->npart ? n->npart : 1));
        r->order = sl_arena_alloc(c->a, sizeof(int) * (size_t)n->norder);
        for (int k = 0; k < n->npart; k++) r->part[k] = cmap[n->part[k]];
        for (int k = 0; k < n->norder; k++) r->order[k] = cmap[n->order[k]];
        if (n->wrank) r->wr_start = cmap[n->wr_start], r->wr_end = cmap[n->wr_end];
        const sql_type *nin = r->input[0]->row;
        plan_node tmp = {0};
        tmp.nexprs = nin->nfields + (n->output_rn ? 1 : 0);
        tmp.exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(tmp.nexprs ? tmp.nexprs : 1));
        tmp.names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(tmp.nexprs ? tmp.nexprs : 1));
        for (int i = 0; i < nin->nfields; i++) {
            tmp.exprs[i] = px_input(c, i, nin->field_types[i]);
            tmp.names[i] = nin->field_names[i];
        }
        if (n->output_rn) {
            tmp.exprs[nin->nfields] = px_input(c, nin->nfields, n->row->field_types[iw]);
            tmp.names[nin->nfields] = n->row->field_names[iw];
        }
        r->row = calc_row(c, &tmp);
        for (int i = 0; i < iw; i++) map[i] = cmap[i];
        if (n->output_rn) map[iw] = nin->nfields;
        return r;
    }
    case PLAN_UNION: {
        /* every input produces exactly the needed fields, in order */
        plan_node *u = sl_arena_alloc(c->a, sizeof *u);
        *u = *n;
        u->row = sub_row(c, n->row, all, map);
        int nw = u->row->nfields;
        for (int i = 0; i < n->ninputs; i++) {
            int *imap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(w ? w : 1));
            plan_node *p = prune(c, n->input[i], all, imap);
            bool exact = p->row->nfields == nw;
            for (int f = 0; exact && f < w; f++) exact = !all[f] || imap[f] == map[f];
            if (!exact) {
                plan_node *k = calc_over(c, p);
                k->nexprs = nw;
                k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(nw ? nw : 1));
                k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)(nw ? nw : 1));
                for (int f = 0; f < w; f++)
                    if (all[f]) {
                        k->exprs[map[f]] = px_input(c, imap[f], p->row->field_types[imap[f]]);
                        k->names[map[f]] = p->row->field_names[imap[f]];
                    }
                k->row = calc_row(c, k);
                p = k;
            }
            u->input[i] = p;
        }
        return u;
    }
    case PLAN_WINDOW_TVF: {
        /* the needed input fields and the time attribute; the window columns always */
        int iw = n->input[0]->row->nfields;
        bool *in_need = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(iw ? iw : 1));
        for (int i = 0; i < iw; i++) in_need[i] = all[i];
        in_need[n->window.time_field] = true;
        int *cmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(iw ? iw : 1));
        plan_node *t = sl_arena_alloc(c->a, sizeof *t);
        *t = *n;
        t->input[0] = prune(c, n->input[0], in_need, cmap);
        t->window.time_field = cmap[n->window.time_field];
        const sql_type *nin = t->input[0]->row;
        plan_node tmp = {0};
        tmp.nexprs = nin->nfields + 3;
        tmp.exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)tmp.nexprs);
        tmp.names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)tmp.nexprs);
        for (int i = 0; i < iw; i++) /* the TVF's own names and types (its time column has no time attribute) */
            if (cmap[i] >= 0) {
                tmp.exprs[cmap[i]] = px_input(c, cmap[i], n->row->field_types[i]);
                tmp.names[cmap[i]] = n->row->field_names[i];
            }
        for (int p = 0; p < 3; p++) {
            tmp.exprs[nin->nfields + p] = px_input(c, nin->nfields + p, n->row->field_types[iw + p]);
            tmp.names[nin->nfields + p] = n->row->field_names[iw + p];
        }
        t->row = calc_row(c, &tmp);
        int *tmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)w);
        for (int i = 0; i < iw; i++) tmap[i] = cmap[i];
        for (int p = 0; p < 3; p++) tmap[iw + p] = nin->nfields + p;
        bool extra = false; /* fields the TVF produces that nothing above reads (its time column, window_time) */
        for (int i = 0; i < w && !extra; i++) extra = tmap[i] >= 0 && !all[i];
        if (!extra) {
            memcpy(map, tmap, sizeof(int) * (size_t)w);
            return t;
        }
        plan_node *k = calc_over(c, t); /* a Calc keeps what is read, as Flink's above a WindowTableFunction */
        k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)w);
        k->names = sl_arena_alloc(c->a, sizeof(char *) * (size_t)w);
        for (int i = 0; i < w; i++) {
            map[i] = all[i] ? k->nexprs : -1;
            if (!all[i]) continue;
            k->names[k->nexprs] = t->row->field_names[tmap[i]];
            k->exprs[k->nexprs++] = px_input(c, tmap[i], t->row->field_types[tmap[i]]);
        }
        k->row = calc_row(c, k);
        return k;
    }
    case PLAN_JOIN: {
        int lw = n->input[0]->row->nfields, rw = n->input[1]->row->nfields;
        bool *ln = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(lw ? lw : 1));
        bool *rn = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(rw ? rw : 1));
        bool semi = semi_kind(n);
        int jw = lw + rw; /* the keys' and residual's row: left ++ right (a semi join outputs the left fields) */
        bool *both = sl_arena_zalloc(c->a, sizeof(bool) * (size_t)(jw ? jw : 1));
        uses(n->residual, both, jw);
        for (int i = 0; i < jw; i++) {
            if (!((i < w && all[i]) || both[i])) continue;
            if (i < lw) ln[i] = true;
            else rn[i - lw] = true;
        }
        if (semi) { /* a right row is read even when none of its fields is (uncorrelated EXISTS) */
            bool any = false;
            for (int i = 0; i < rw; i++) any = any || rn[i];
            if (!any && rw) rn[0] = true;
        }
        if (n->wjoin) { /* the windows of both inputs */
            ln[n->wj_start[0]] = ln[n->wj_end[0]] = true;
            rn[n->wj_start[1]] = rn[n->wj_end[1]] = true;
        }
        for (int k = 0; k < n->nkeys; k++) {
            ln[n->lkeys[k]] = true;
            rn[n->rkeys[k]] = true;
        }
        int *lmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(lw ? lw : 1));
        int *rmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(rw ? rw : 1));
        plan_node *j = sl_arena_alloc(c->a, sizeof *j);
        *j = *n;
        j->input[0] = prune(c, n->input[0], ln, lmap);
        j->input[1] = prune(c, n->input[1], rn, rmap);
        int nlw = j->input[0]->row->nfields;
        int *jmap = sl_arena_alloc(c->a, sizeof(int) * (size_t)(jw ? jw : 1));
        for (int i = 0; i < jw; i++) {
            int m = i < lw ? lmap[i] : rmap[i - lw];
            jmap[i] = m < 0 ? -1 : (i < lw ? m : nlw + m);
            if (i < w) map[i] = jmap[i];
        }
        j->lkeys = sl_arena_alloc(c->a, sizeof(int) * (size_t)(n->nkeys ? n->nkeys : 1));
        j->rkeys = sl_arena_alloc(c->a, sizeof(int) * (size_t)(n->nkeys ? n->nkeys : 1));
        for (int k = 0; k < n->nkeys; k++) {
            j->lkeys[k] = lmap[n->lkeys[k]];
            j->rkeys[k] = rmap[n->rkeys[k]];
        }
        j->residual = remap(c, n->residual, jmap);
        if (n->wjoin) {
            j->wj_start[0] = lmap[n->wj_start[0]], j->wj_end[0] = lmap[n->wj_end[0]];
            j->wj_start[1] = rmap[n->wj_start[1]], j->wj_end[1] = rmap[n->wj_end[1]];
        }
        j->row = concat_rows(c, j->input[0]->row, j->input[1]->row);
        if (semi) {
            j->jrow = j->row;
            j->row = j->input[0]->row;
        }
        return j;
    }
    }
    return n;
}

/* ---- changelog modes and unique keys ------------------------------------------------------- */

static const char *option(const sql_table *t, const char *key)
{
    for (int i = 0; t && i < t->nopts; i++)
        if (strcmp(t->opts[i].key, key) == 0) return t->opts[i].value;
    return NULL;
}

static bool changelog_format(const char *fmt)
{
    static const char *const formats[] = {"debezium-json", "canal-json", "maxwell-json", "ogg-json", NULL};
    for (const char *const *f = formats; fmt && *f; f++)
        if (strcmp(*f, fmt) == 0) return true;
    return false;
}

/* Row kinds a table's source produces / its sink accepts, from its connector and format. */
static unsigned table_changelog(const sql_table *t, bool as_sink)
{
    const char *connector = option(t, "connector");
    const char *fmt = option(t, "format") ? option(t, "format") : option(t, "value.format");
    if (connector && strcmp(connector, "upsert-kafka") == 0)
        return as_sink ? PLAN_CL_ALL : (PLAN_CL_INSERT | PLAN_CL_UPDATE_AFTER | PLAN_CL_DELETE);
    if (changelog_format(fmt)) return PLAN_CL_ALL;
    if (as_sink && connector && (strcmp(connector, "print") == 0 || strcmp(connector, "blackhole") == 0)) return PLAN_CL_ALL;
    return PLAN_CL_INSERT_ONLY;
}

static void changelog_str(sl_strbuf *out, unsigned cl)
{
    static const char *const names[] = {"I", "UB", "UA", "D"};
    bool first = true;
    sl_strbuf_putc(out, '[');
    for (int i = 0; i < 4; i++)
        if (cl & (1u << i)) {
            sl_strbuf_printf(out, "%s%s", first ? "" : ",", names[i]);
            first = false;
        }
    sl_strbuf_putc(out, ']');
}

/* ---- interval joins ------------------------------------------------------------------------ */

/* A rowtime attribute field, optionally plus or minus an INTERVAL literal: field + *off_ms. */
static bool time_term(const plan_expr *e, const sql_type *row, int *field, int64_t *off_ms)
{
    const plan_expr *f = e;
    int64_t off = 0;
    if (e->kind == PX_CALL && (strcmp(e->op, "+") == 0 || strcmp(e->op, "-") == 0) && e->nargs == 2 && e->args[1]->kind == PX_LITERAL &&
        e->args[1]->src && interval_ms(e->args[1]->src, &off)) {
        f = e->args[0];
        if (e->op[0] == '-') off = -off;
    }
    if (f->kind != PX_INPUT || f->input < 0 || f->input >= row->nfields || row->field_types[f->input]->attr != SQL_TA_ROWTIME) return false;
    *field = f->input;
    *off_ms = off;
    return true;
}

/* A bound `a op b` between a left and a right time term as lt - rt >= v (*lower) or <= v; fields in
 * *lt / *rt (right field relative to the right input). */
static bool time_bound(const char *op, const plan_expr *a, const plan_expr *b, const sql_type *row, int lw, int *lt, int *rt,
                       bool *lower, int64_t *v)
{
    int fa, fb;
    int64_t oa, ob;
    bool ge = strcmp(op, ">=") == 0 || strcmp(op, ">") == 0, le = strcmp(op, "<=") == 0 || strcmp(op, "<") == 0;
    bool strict = strcmp(op, ">") == 0 || strcmp(op, "<") == 0;
    if (!(ge || le) || !time_term(a, row, &fa, &oa) || !time_term(b, row, &fb, &ob) || (fa < lw) == (fb < lw)) return false;
    /* fa + oa op fb + ob; as left - right: */
    if (fa < lw) {
        *lt = fa, *rt = fb - lw, *v = ob - oa, *lower = ge;
    } else { /* rt + oa op lt + ob  <=>  lt - rt op' oa - ob */
        *lt = fb, *rt = fa - lw, *v = oa - ob, *lower = le;
    }
    if (strict) *v += *lower ? 1 : -1; /* millisecond precision, as Flink */
    return true;
}

/* Turns a join into an interval join when its condition bounds one input's rowtime attribute by
 * the other's from both sides (Flink's rule: both inputs insert-only). */
static void detect_interval(pctx *c, plan_node *n)
{
    if (semi_kind(n) || !n->residual || n->input[0]->changelog != PLAN_CL_INSERT_ONLY || n->input[1]->changelog != PLAN_CL_INSERT_ONLY) return;
    int lw = n->input[0]->row->nfields;
    conj cs = {.n = 0};
    split_and(n->residual, &cs);
    bool used[128] = {false}, has_lo = false, has_hi = false;
    int64_t lo = 0, hi = 0;
    int ltime = -1, rtime = -1;
    for (int i = 0; i < cs.n; i++) {
        const plan_expr *e = cs.e[i];
        if (e->kind != PX_CALL) continue;
        /* one or two bounds from this conjunct */
        const char *ops[2];
        const plan_expr *as[2], *bs[2];
        int nb = 0;
        if (strcmp(e->op, "BETWEEN") == 0 && e->nargs == 3 && !(e->src && (e->src->flags & SQL_F_SYMMETRIC))) {
            ops[0] = ">=", as[0] = e->args[0], bs[0] = e->args[1];
            ops[1] = "<=", as[1] = e->args[0], bs[1] = e->args[2];
            nb = 2;
        } else if (e->nargs == 2) {
            ops[0] = e->op, as[0] = e->args[0], bs[0] = e->args[1];
            nb = 1;
        }
        int lt[2], rt[2];
        bool low[2];
        int64_t v[2];
        bool ok = nb > 0;
        for (int b = 0; b < nb && ok; b++) {
            ok = time_bound(ops[b], as[b], bs[b], n->row, lw, &lt[b], &rt[b], &low[b], &v[b]);
            if (ok && ltime >= 0) ok = lt[b] == ltime && rt[b] == rtime;
            if (ok && b == 1) ok = lt[1] == lt[0] && rt[1] == rt[0];
        }
        if (!ok) continue;
        ltime = lt[0], rtime = rt[0];
        for (int b = 0; b < nb; b++) {
            if (low[b]) lo = has_lo && lo > v[b] ? lo : v[b], has_lo = true;
            else hi = has_hi && hi < v[b] ? hi : v[b], has_hi = true;
        }
        used[i] = true;
    }
    if (!has_lo || !has_hi) return;
    plan_expr *rest = NULL;
    for (int i = 0; i < cs.n; i++)
        if (!used[i]) rest = and_of(c, rest, cs.e[i]);
    n->interval = true;
    n->iv_lower_ms = lo;
    n->iv_upper_ms = hi;
    n->iv_ltime = ltime;
    n->iv_rtime = rtime;
    n->iv_rest = rest;
}

static void infer(pctx *c, plan_node *n)
{
    for (int i = 0; i < n->ninputs; i++) infer(c, n->input[i]);
    switch (n->kind) {
    case PLAN_VALUES: n->changelog = PLAN_CL_INSERT_ONLY; break;
    case PLAN_SCAN: {
        n->changelog = table_changelog(n->table, false);
        if (n->table->npk) {
            int *u = sl_arena_alloc(c->a, sizeof(int) * (size_t)n->table->npk);
            int k = 0;
            for (int p = 0; p < n->table->npk; p++)
                for (int f = 0; f < n->nfields; f++)
                    if (n->fields[f] == n->table->pk[p]) u[k++] = f;
            if (k == n->table->npk) {
                n->unique = u;
                n->nunique = k;
            }
        }
        break;
    }
    case PLAN_CALC: {
        const plan_node *in = n->input[0];
        n->changelog = in->changelog;
        if (in->nunique) {
            int *u = sl_arena_alloc(c->a, sizeof(int) * (size_t)in->nunique);
            int k = 0;
            for (int p = 0; p < in->nunique; p++)
                for (int e = 0; e < n->nexprs; e++)
                    if (n->exprs[e]->kind == PX_INPUT && n->exprs[e]->input == in->unique[p]) {
                        u[k++] = e;
                        break;
                    }
            if (k == in->nunique) {
                n->unique = u;
                n->nunique = k;
            }
        }
        break;
    }
    case PLAN_JOIN: {
        bool inserts = n->input[0]->changelog == PLAN_CL_INSERT_ONLY && n->input[1]->changelog == PLAN_CL_INSERT_ONLY;
        n->changelog = strcmp(n->join_kind, "INNER") == 0 && inserts ? PLAN_CL_INSERT_ONLY : PLAN_CL_ALL;
        if (semi_kind(n)) {
            /* as Flink's: a semi join forwards its inputs' kinds (over insert-only inputs a left row
             * goes out once, when it first matches); an anti join retracts a row when its first
             * match arrives: updating. Each left row goes out at most once per copy: the left
             * input's unique key holds */
            if (strcmp(n->join_kind, "SEMI") == 0)
                n->changelog = n->input[0]->changelog | (n->input[1]->changelog == PLAN_CL_INSERT_ONLY ? 0 : PLAN_CL_INSERT | PLAN_CL_DELETE);
            if (n->setop) /* INTERSECT ALL / EXCEPT ALL: copies come (+I) and go (-D) */
                n->changelog = strcmp(n->join_kind, "SEMI") == 0 && inserts ? PLAN_CL_INSERT_ONLY : PLAN_CL_INSERT | PLAN_CL_DELETE;
            n->nunique = n->input[0]->nunique;
            n->unique = n->input[0]->unique;
            break;
        }
        if (n->wjoin) { /* null-padded rows go out once, when their window fires */
            n->changelog = PLAN_CL_INSERT_ONLY;
            break;
        }
        detect_interval(c, n);
        if (n->interval) n->changelog = PLAN_CL_INSERT_ONLY; /* null-padded rows go out once, when their window closes */
        break;
    }
    case PLAN_SINK: n->changelog = n->input[0]->changelog; break;
    case PLAN_WINDOW_TVF: n->changelog = PLAN_CL_INSERT_ONLY; break; /* (its input must be insert-only: check_window_inputs) */
    case PLAN_UNION: /* whatever any input emits; no unique key (inputs may share keys) */
        n->changelog = 0;
        for (int i = 0; i < n->ninputs; i++) n->changelog |= n->input[i]->changelog;
        break;
    case PLAN_AGG:
        /* one result row per group, updated as rows arrive (-U/+U); retractions can empty a group (-D) */
        n->changelog = PLAN_CL_INSERT | PLAN_CL_UPDATE_BEFORE | PLAN_CL_UPDATE_AFTER |
                       (n->input[0]->changelog == PLAN_CL_INSERT_ONLY ? 0 : PLAN_CL_DELETE);
        if (n->ngroup) {
            n->nunique = n->ngroup;
            n->unique = sl_arena_alloc(c->a, sizeof(int) * (size_t)n->ngroup);
            for (int k = 0; k < n->ngroup; k++) n->unique[k] = k;
        }
        break;
    case PLAN_RANK:
        /* Rank: rows enter and leave the top N (-D/+I), ranks shift (-U/+U), as Flink's; Deduplicate:
         * keeping the first row by processing time is insert-only, the others update their row */
        n->changelog = !n->dedup ? PLAN_CL_ALL
                     : (n->proctime && !n->keep_last) ? PLAN_CL_INSERT_ONLY
                     : (PLAN_CL_INSERT | PLAN_CL_UPDATE_BEFORE | PLAN_CL_UPDATE_AFTER);
        /* with RANK / DENSE_RANK ties share a rank: neither the partition key nor it with the rank is unique */
        if (n->rank_fn == PLAN_ROW_NUMBER && (n->output_rn || n->rank_end == 1)) {
            int iw = n->input[0]->row->nfields;
            n->nunique = n->npart + (n->output_rn ? 1 : 0);
            n->unique = sl_arena_alloc(c->a, sizeof(int) * (size_t)(n->nunique ? n->nunique : 1));
            for (int k = 0; k < n->npart; k++) n->unique[k] = n->part[k];
            if (n->output_rn) n->unique[n->npart] = iw;
        }
        if (n->wrank) { /* each window's rows go out once, when it fires; unique: the partition, the window (and rn) */
            int iw = n->input[0]->row->nfields;
            n->changelog = PLAN_CL_INSERT_ONLY;
            n->nunique = n->npart + 2 + (n->output_rn ? 1 : 0);
            n->unique = sl_arena_alloc(c->a, sizeof(int) * (size_t)n->nunique);
            for (int k = 0; k < n->npart; k++) n->unique[k] = n->part[k];
            n->unique[n->npart] = n->wr_start;
            n->unique[n->npart + 1] = n->wr_end;
            if (n->output_rn) n->unique[n->npart + 2] = iw;
            if (!n->output_rn && n->rank_end > 1) n->nunique = 0;
        }
        break;
    case PLAN_WINDOW_AGG:
        /* one final row per group and window, when the window fires; unique: the keys and the window */
        n->changelog = PLAN_CL_INSERT_ONLY;
        n->nunique = n->ngroup + 2;
        n->unique = sl_arena_alloc(c->a, sizeof(int) * (size_t)n->nunique);
        for (int k = 0; k < n->ngroup; k++) n->unique[k] = k;
        n->unique[n->ngroup] = n->ngroup + n->naggs;
        n->unique[n->ngroup + 1] = n->ngroup + n->naggs + 1;
        break;
    }
}

/* "groupBy=[a, b], " of an aggregate (nothing without group keys). */
static void print_group_by(sl_strbuf *out, const plan_node *n, const sql_type *in)
{
    if (!n->ngroup) return;
    sl_strbuf_puts(out, "groupBy=[");
    for (int k = 0; k < n->ngroup; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", in->field_names[k]);
    sl_strbuf_puts(out, "], ");
}

/* The group keys and the calls of an aggregate's select list: "a, COUNT(*) AS c, SUM(v) AS s". */
static void print_agg_select(sl_strbuf *out, const plan_node *n, const sql_type *in)
{
    for (int k = 0; k < n->ngroup; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", in->field_names[k]);
    for (int i = 0; i < n->naggs; i++) {
        const plan_agg_call *ac = &n->aggs[i];
        sl_strbuf_printf(out, "%s%s(%s", (n->ngroup || i) ? ", " : "", ac->fn, ac->distinct ? "DISTINCT " : "");
        if (ac->star) sl_strbuf_putc(out, '*');
        for (int a = 0; a < ac->nargs; a++) sl_strbuf_printf(out, "%s%s", a ? ", " : "", in->field_names[ac->args[a]]);
        sl_strbuf_putc(out, ')');
        if (ac->filter >= 0) sl_strbuf_printf(out, " FILTER %s", in->field_names[ac->filter]);
        sl_strbuf_printf(out, " AS %s", n->row->field_names[n->ngroup + i]);
    }
}

static void print_node(sl_strbuf *out, const plan_node *n);

/* The node that introduced the update/delete changes an updating node n carries (down the chain
 * of updating inputs). */
static const plan_node *changes_origin(const plan_node *n)
{
    for (;;) {
        const plan_node *next = NULL;
        for (int i = 0; i < n->ninputs; i++)
            if (n->input[i]->changelog != PLAN_CL_INSERT_ONLY) next = n->input[i];
        if (!next) return n;
        n = next;
    }
}

/* A window aggregate emits final results: its input must be insert-only (as Flink's, which refuses
 * updating input with this message). */
static sl_status check_window_inputs(pctx *c, const plan_node *n, const sql_node *at)
{
    for (int i = 0; i < n->ninputs; i++) {
        sl_status st = check_window_inputs(c, n->input[i], at);
        if (st) return st;
    }
    if ((n->kind != PLAN_WINDOW_AGG && n->kind != PLAN_WINDOW_TVF) || n->input[0]->changelog == PLAN_CL_INSERT_ONLY) return SL_OK;
    const plan_node *src = changes_origin(n->input[0]);
    sl_strbuf desc = SL_STRBUF_INIT;
    print_node(&desc, src);
    sl_error_set(c->err, SL_ERR_UNSUPPORTED, "%s doesn't support consuming update and delete changes which is produced by node %s",
                 n->kind == PLAN_WINDOW_TVF ? "StreamPhysicalWindowTableFunction" : "WindowAggregate", sl_strbuf_cstr(&desc));
    sl_strbuf_free(&desc);
    if (n->window.src) at = n->window.src;
    if (n->src) at = n->src;
    sl_error_at_offset(c->err, c->script, at->off, at->len);
    sl_error_hint(c->err, n->kind == PLAN_WINDOW_TVF ? "window table functions need an insert-only input: read the table with an "
                                                       "insert-only format (json, csv, ...)"
                                                     : "window aggregates need an insert-only input: read the table with an insert-only "
                                                       "format (json, csv, ...)");
    return SL_ERR_UNSUPPORTED;
}

/* The sink must accept what its input produces (Flink's check and message). */
static sl_status check_sink(pctx *c, const plan_node *sink, const sql_node *at)
{
    const plan_node *in = sink->input[0];
    unsigned extra = in->changelog & ~table_changelog(sink->sink, true);
    if (!extra) return SL_OK;
    /* the node that introduced the changes: descend while the input still carries them */
    const plan_node *src = in;
    for (;;) {
        const plan_node *next = NULL;
        for (int i = 0; i < src->ninputs; i++)
            if (src->input[i]->changelog & extra) next = src->input[i];
        if (!next) break;
        src = next;
    }
    sl_strbuf desc = SL_STRBUF_INIT;
    print_node(&desc, src);
    bool upd = extra & (PLAN_CL_UPDATE_BEFORE | PLAN_CL_UPDATE_AFTER), del = extra & PLAN_CL_DELETE;
    sl_error_set(c->err, SL_ERR_VALIDATION,
                 "Table sink 'default_catalog.default_database.%s' doesn't support consuming %s changes which is produced by node %s",
                 sink->sink->name, upd && del ? "update and delete" : upd ? "update" : "delete", sl_strbuf_cstr(&desc));
    sl_strbuf_free(&desc);
    sl_error_at_offset(c->err, c->script, at->off, at->len);
    sl_error_hint(c->err, "write updating results to a sink that accepts them: 'upsert-kafka' (with a PRIMARY KEY), "
                          "a 'debezium-json' format, or 'print'");
    return SL_ERR_VALIDATION;
}

/* ---- constant folding and boolean simplification ------------------------------------------------- */

/* Calls never folded though their arguments are literals: their value depends on when, where or
 * how often they run (Calcite's dynamic and nondeterministic functions), or on
 * table.local-time-zone, which the runtime resolves when the job starts. */
static bool volatile_call(const char *op)
{
    static const char *const names[] = {"RAND", "RAND_INTEGER", "UUID", "NOW", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP",
                                        "CURRENT_TIME", "LOCALTIME", "CURRENT_DATE", "CURRENT_ROW_TIMESTAMP", "PROCTIME",
                                        "PROCTIME_MATERIALIZE", "CURRENT_WATERMARK", "UNIX_TIMESTAMP", "FROM_UNIXTIME",
                                        "TO_TIMESTAMP_LTZ"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(op, names[i]) == 0) return true;
    return false;
}

/* Types a folded value can be written back as a planner literal (what EXPLAIN prints and the job
 * graph ships): not TIMESTAMP_LTZ (zone-dependent), intervals, binary strings or collections. */
static bool literal_type(const sql_type *t)
{
    switch (t->id) {
    case SQL_T_NULL:
    case SQL_T_BOOLEAN:
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
    case SQL_T_DECIMAL:
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE:
    case SQL_T_CHAR:
    case SQL_T_VARCHAR:
    case SQL_T_DATE:
    case SQL_T_TIME:
    case SQL_T_TIMESTAMP: return t->attr == SQL_TA_NONE;
    default: return false;
    }
}

static bool bool_lit(const plan_expr *e, bool v)
{
    return e->kind == PX_LITERAL && e->src && e->src->kind == SQL_LIT_BOOL && (e->src->ival != 0) == v;
}

static bool null_lit(const plan_expr *e) { return e->kind == PX_LITERAL && (!e->src || e->src->kind == SQL_LIT_NULL); }

static plan_expr *literal_px(pctx *c, sql_kind k, const char *text, int64_t ival, const sql_type *t)
{
    sql_node *l = sl_arena_zalloc(c->a, sizeof *l);
    l->kind = k;
    l->text = text;
    l->ival = ival;
    l->type = t;
    plan_expr *e = px(c, PX_LITERAL, t);
    e->src = l;
    return e;
}

static plan_expr *bool_px(pctx *c, bool v, const sql_type *t) { return literal_px(c, SQL_LIT_BOOL, NULL, v, t); }

/* Evaluates a literal-only expression with the runtime's evaluator over an empty row. False when it
 * does not compile or fails (division by zero, a malformed CAST: the error stays for run time). */
static bool eval_const(const plan_expr *e, sl_arena *tmp, sl_val *out)
{
    static const sql_type empty_row = {.id = SQL_T_ROW, .precision = -1, .scale = -1};
    json_t *j = jg_expr_json(e);
    sl_expr_env env = {0};
    sl_error err;
    sl_error_clear(&err);
    sl_expr *x = NULL;
    bool ok = j && sl_expr_compile(j, &empty_row, &env, tmp, &x, &err) == SL_OK && sl_expr_eval(x, NULL, out, &err) == SL_OK;
    if (ok && !out->null && sl_phys_of(e->type) == SL_PHYS_BYTES) /* out of the program's scratch, freed below */
        out->s.p = out->s.n ? sl_arena_memdup(tmp, out->s.p, out->s.n) : "";
    sl_expr_free(x);
    json_decref(j);
    return ok;
}

static bool same_val(const sl_val *a, const sl_val *b, const sql_type *t)
{
    if (a->null || b->null) return a->null == b->null;
    switch (sl_phys_of(t)) {
    case SL_PHYS_I64: return a->i == b->i;
    case SL_PHYS_F64: return memcmp(&a->d, &b->d, sizeof a->d) == 0;
    case SL_PHYS_BYTES: return a->s.n == b->s.n && memcmp(a->s.p, b->s.p, a->s.n) == 0;
    default: return false;
    }
}

/* The literal a call with literal arguments folds to, of the call's type, or NULL when it must
 * stay a call (see volatile_call, literal_type, eval_const; *failed: because evaluating it fails).
 * The literal is read back through the evaluator: only a literal that gives the very same value
 * replaces the call. */
static plan_expr *fold_call(pctx *c, const plan_expr *e, bool *failed)
{
    *failed = false;
    if (volatile_call(e->op) || (e->src && e->src->kind == SQL_NAME) || !literal_type(e->type)) return NULL;
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i]->kind != PX_LITERAL || e->args[i]->type->id == SQL_T_TIMESTAMP_LTZ) return NULL;
    sl_arena *tmp = sl_arena_create(0);
    plan_expr *lit = NULL;
    sl_val v, back;
    if (!eval_const(e, tmp, &v)) {
        *failed = true;
        goto done;
    }
    if (v.null) {
        lit = literal_px(c, SQL_LIT_NULL, NULL, 0, e->type);
        goto done;
    }
    char num[32];
    switch (e->type->id) {
    case SQL_T_BOOLEAN: lit = bool_px(c, v.i != 0, e->type); break;
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
        snprintf(num, sizeof num, "%" PRId64, v.i);
        lit = literal_px(c, SQL_LIT_INT, sl_arena_strdup(c->a, num), v.i, e->type);
        break;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR:
        if (memchr(v.s.p, 0, v.s.n)) goto done;
        lit = literal_px(c, SQL_LIT_STRING, sl_arena_strndup(c->a, v.s.p, v.s.n), 0, e->type);
        break;
    default: { /* DECIMAL, FLOAT, DOUBLE, DATE, TIME, TIMESTAMP: their text as CAST to STRING writes it */
        const sql_type *str = sql_type_make(tmp, SQL_T_VARCHAR, false, SQL_MAX_LENGTH, -1);
        sl_val s;
        char msg[200];
        if (!sl_cast_value(&v, e->type, str, tmp, 0, &s, msg, sizeof msg) || s.null) goto done;
        const char *text = sl_arena_strndup(c->a, s.s.p, s.s.n);
        sql_type_id id = e->type->id;
        if (id == SQL_T_DATE || id == SQL_T_TIME || id == SQL_T_TIMESTAMP) {
            lit = literal_px(c, SQL_LIT_TYPED, id == SQL_T_DATE ? "DATE" : id == SQL_T_TIME ? "TIME" : "TIMESTAMP", 0, e->type);
            sql_node *k = sl_arena_zalloc(c->a, sizeof *k);
            k->kind = SQL_LIT_STRING;
            k->text = text;
            sql_node *l = (sql_node *)lit->src;
            l->nkids = 1;
            l->kids = sl_arena_alloc(c->a, sizeof(sql_node *));
            l->kids[0] = k;
        } else {
            lit = literal_px(c, id == SQL_T_DECIMAL ? SQL_LIT_DEC : SQL_LIT_FLOAT, text, 0, e->type);
        }
        break;
    }
    }
    if (lit && (!eval_const(lit, tmp, &back) || !same_val(&v, &back, e->type))) lit = NULL;
done:
    sl_arena_destroy(tmp);
    return lit;
}

/* Folds e bottom-up: calls over literals become literals (fold_call), and AND / OR drop their
 * neutral operands and collapse on an absorbing one, as Calcite's RexSimplify: AND(TRUE, x) -> x,
 * AND(FALSE, x) -> FALSE, OR(TRUE, x) -> TRUE, OR(FALSE, x) -> x (right for NULL x too). x = x
 * stays (NULL = NULL is not TRUE). Returns e itself when nothing changes; never modifies e (the
 * Abstract Syntax Tree shares it). */
static plan_expr *fold_expr(pctx *c, plan_expr *e)
{
    if (!e || e->kind != PX_CALL) return e;
    plan_expr **args = e->args;
    for (int i = 0; i < e->nargs; i++) {
        plan_expr *a = fold_expr(c, e->args[i]);
        if (a == e->args[i]) continue;
        if (args == e->args) args = sl_arena_memdup(c->a, e->args, sizeof(plan_expr *) * (size_t)e->nargs);
        args[i] = a;
    }
    plan_expr *x = e;
    if (args != e->args) {
        x = sl_arena_memdup(c->a, e, sizeof *e);
        x->args = args;
    }
    bool and = strcmp(x->op, "AND") == 0, or = strcmp(x->op, "OR") == 0;
    if (and || or) {
        plan_expr *keep = NULL;
        int nkeep = 0;
        for (int i = 0; i < x->nargs; i++) {
            if (bool_lit(x->args[i], or)) return bool_px(c, or, x->type); /* absorbing */
            if (bool_lit(x->args[i], and)) continue;                       /* neutral */
            keep = x->args[i];
            nkeep++;
        }
        if (nkeep == 0) return bool_px(c, and, x->type);
        if (nkeep == 1) return keep;
        if (nkeep < x->nargs) {
            plan_expr **rest = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)nkeep);
            for (int i = 0, k = 0; i < x->nargs; i++)
                if (!bool_lit(x->args[i], and)) rest[k++] = x->args[i];
            return px_call(c, x->op, x->type, nkeep, rest);
        }
        return x;
    }
    bool failed;
    plan_expr *lit = fold_call(c, x, &failed);
    /* a constant call that fails stays as written, its arguments too: the run-time error names
     * the expression the user wrote */
    return lit ? lit : failed ? e : x;
}

/* A folded condition (WHERE, ON): TRUE is no condition (NULL); NULL filters like FALSE. */
static plan_expr *fold_cond(pctx *c, plan_expr *cond)
{
    plan_expr *x = fold_expr(c, cond);
    if (x && bool_lit(x, true)) return NULL;
    if (x && null_lit(x)) return bool_px(c, false, boolean_type(c, false));
    return x;
}

/* A Calc that passes its input through unchanged: no condition, every input field in order
 * under its own name. */
static bool noop_calc(const plan_node *k)
{
    const sql_type *in = k->input[0]->row;
    if (k->cond || k->nexprs != in->nfields) return false;
    for (int i = 0; i < k->nexprs; i++)
        if (k->exprs[i]->kind != PX_INPUT || k->exprs[i]->input != i || strcmp(k->names[i], in->field_names[i]) != 0) return false;
    return true;
}

/* Constant folding over the plan (Calcite's ReduceExpressionsRule with RexSimplify's basics): the
 * expressions and conditions of Calcs and the conditions of joins. A Calc whose condition folds
 * to TRUE and that then has nothing left to do is removed (no-op projection removal); one whose
 * condition folds to FALSE or NULL keeps where=[false]. Nodes are changed in place, expressions
 * and arrays replaced, never modified (see snapshot). */
static plan_node *fold_plan(pctx *c, plan_node *n)
{
    for (int i = 0; i < n->ninputs; i++) n->input[i] = fold_plan(c, n->input[i]);
    if (n->kind == PLAN_JOIN) n->residual = fold_cond(c, n->residual);
    if (n->kind != PLAN_CALC) return n;
    plan_expr **exprs = n->exprs;
    for (int i = 0; i < n->nexprs; i++) {
        plan_expr *x = fold_expr(c, n->exprs[i]);
        if (x == n->exprs[i]) continue;
        if (exprs == n->exprs) exprs = sl_arena_memdup(c->a, n->exprs, sizeof(plan_expr *) * (size_t)n->nexprs);
        exprs[i] = x;
    }
    n->exprs = exprs;
    bool had_cond = n->cond != NULL;
    n->cond = fold_cond(c, n->cond);
    if (had_cond && noop_calc(n)) return n->input[0];
    return n;
}

/* Calc merging: a Calc over a Calc becomes one (the upper one's expressions over the lower one's
 * input, both conditions), as Flink's CalcMergeRule, unless that would evaluate a nondeterministic
 * call twice. (Subqueries, views and CTEs in FROM leave such pairs.) */
static plan_node *merge_calcs(pctx *c, plan_node *n)
{
    for (int i = 0; i < n->ninputs; i++) n->input[i] = merge_calcs(c, n->input[i]);
    if (n->kind != PLAN_CALC) return n;
    plan_node *in = n->input[0];
    if (!n->cond && semi_kind(in) && n->nexprs == in->row->nfields) { /* an identity over a semi join: dropped */
        bool identity = true;
        for (int i = 0; identity && i < n->nexprs; i++)
            identity = n->exprs[i]->kind == PX_INPUT && n->exprs[i]->input == i && strcmp(n->names[i], in->row->field_names[i]) == 0;
        if (identity) return in;
    }
    if (in->kind == PLAN_CALC) {
        bool ok = can_inline(n->cond, in);
        for (int i = 0; ok && i < n->nexprs; i++) ok = can_inline(n->exprs[i], in);
        if (ok) {
            plan_node *k = sl_arena_alloc(c->a, sizeof *k);
            *k = *n;
            k->input[0] = in->input[0];
            k->exprs = sl_arena_alloc(c->a, sizeof(plan_expr *) * (size_t)(n->nexprs ? n->nexprs : 1));
            for (int i = 0; i < n->nexprs; i++) k->exprs[i] = inline_exprs(c, n->exprs[i], in->exprs);
            k->cond = and_of(c, in->cond, inline_exprs(c, n->cond, in->exprs));
            n = k;
        }
    }
    return n;
}


/* ---- window joins ------------------------------------------------------------------------------ */

static void print_duration(sl_strbuf *out, int64_t ms);
static void print_join_where(sl_strbuf *out, const plan_node *n);

/* The windows a node's rows carry (Flink's window properties): its window_start and window_end
 * fields and their spec. Window table functions, window aggregates and window joins have them;
 * a Calc keeps them when it passes both columns on. */
static bool window_props(const plan_node *n, int *start, int *end, const plan_window **w)
{
    switch (n->kind) {
    case PLAN_WINDOW_TVF:
        *start = n->input[0]->row->nfields, *end = *start + 1, *w = &n->window;
        return true;
    case PLAN_WINDOW_AGG:
        *start = n->ngroup + n->naggs, *end = *start + 1, *w = &n->window;
        return true;
    case PLAN_JOIN:
        if (!n->wjoin) return false;
        *start = n->wj_start[0], *end = n->wj_end[0], *w = &n->window;
        return true;
    case PLAN_CALC: {
        int s, e;
        if (!window_props(n->input[0], &s, &e, w)) return false;
        *start = *end = -1;
        for (int i = 0; i < n->nexprs; i++) {
            const plan_expr *x = n->exprs[i];
            if (x->kind != PX_INPUT) continue;
            if (x->input == s && *start < 0) *start = i;
            if (x->input == e && *end < 0) *end = i;
        }
        return *start >= 0 && *end >= 0;
    }
    default: return false;
    }
}

/* The type of the time attribute the windows were assigned by ("TIMESTAMP(3) *ROWTIME*"). */
static void window_time_type(pctx *c, sl_strbuf *out, const plan_node *n)
{
    while (n->kind == PLAN_CALC || (n->kind == PLAN_JOIN && n->wjoin)) n = n->input[0];
    const plan_node *in = n->input[0];
    const sql_type *t = in->row->field_types[n->window.time_field];
    sql_type_print(out, sql_type_with_nullable(c->a, t, true));
}

/* A window's spec without its columns, as Flink prints it: "TUMBLE(size=[5 min])". cols: what
 * comes first inside the parentheses ("time_col=[ts], ", "win_start=[...], win_end=[...], "). */
static void print_window_spec(sl_strbuf *out, const plan_window *w, const char *cols, const sql_node *part)
{
    static const char *const kinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    sl_strbuf_printf(out, "%s(%s%s=[", kinds[w->kind], cols,
                     w->kind == PLAN_WIN_CUMULATE ? "max_size" : w->kind == PLAN_WIN_SESSION ? "gap" : "size");
    print_duration(out, w->size_ms);
    if (part) { /* SESSION's PARTITION BY (the Calc below the aggregate names the columns) */
        sl_strbuf_puts(out, "], partition keys=[");
        for (int i = 0; i < part->nkids; i++) {
            const sql_node *id = part->kids[i];
            sl_strbuf_printf(out, "%s%s", i ? ", " : "", id->nkids ? id->kids[id->nkids - 1]->text : id->text);
        }
    }
    if (w->kind == PLAN_WIN_HOP || w->kind == PLAN_WIN_CUMULATE) {
        sl_strbuf_printf(out, "], %s=[", w->kind == PLAN_WIN_HOP ? "slide" : "step");
        print_duration(out, w->slide_ms);
    }
    if (w->has_offset) {
        sl_strbuf_puts(out, "], offset=[");
        print_duration(out, w->offset_ms);
    }
    sl_strbuf_puts(out, "])");
}

static sl_status join_error(pctx *c, const plan_node *j, sl_status code, const char *msg, const char *hint)
{
    sl_error_set(c->err, code, "%s", msg);
    if (j->src) sl_error_at_offset(c->err, c->script, j->src->off, j->src->len);
    if (hint) sl_error_hint(c->err, hint);
    return code;
}

/* Turns joins whose condition equates both inputs' window_start and window_end into window joins
 * (Flink's rule and checks: the same window table function on both sides, event time). A join
 * equating only one of them is refused, as Flink does; one equating neither stays a regular join. */
static sl_status find_window_joins(pctx *c, plan_node *n)
{
    for (int i = 0; i < n->ninputs; i++) {
        sl_status st = find_window_joins(c, n->input[i]);
        if (st) return st;
    }
    int ls, le, rs, re;
    const plan_window *lw, *rw;
    if (n->kind != PLAN_JOIN || semi_kind(n) || !window_props(n->input[0], &ls, &le, &lw) || !window_props(n->input[1], &rs, &re, &rw)) return SL_OK;
    int ks = -1, ke = -1;
    for (int k = 0; k < n->nkeys; k++) {
        if (ks < 0 && n->lkeys[k] == ls && n->rkeys[k] == rs) ks = k;
        else if (ke < 0 && n->lkeys[k] == le && n->rkeys[k] == re) ke = k;
    }
    if (ks < 0 && ke < 0) return SL_OK;
    sl_strbuf m = SL_STRBUF_INIT;
    sl_status st = SL_OK;
    if (ks < 0 || ke < 0) {
        sl_strbuf_puts(&m, "Currently, window join requires JOIN ON condition must contain both window starts equality of input tables "
                           "and window ends equality of input tables. But the current JOIN ON condition is ");
        print_join_where(&m, n);
        sl_strbuf_putc(&m, '.');
        st = join_error(c, n, SL_ERR_VALIDATION, sl_strbuf_cstr(&m),
                        "add both L.window_start = R.window_start and L.window_end = R.window_end to the ON condition (a window join), "
                        "or neither (a regular join)");
        sl_strbuf_free(&m);
        return st;
    }
    sl_strbuf lt = SL_STRBUF_INIT, rt = SL_STRBUF_INIT;
    window_time_type(c, &lt, n->input[0]);
    window_time_type(c, &rt, n->input[1]);
    bool same_spec = lw->kind == rw->kind && lw->size_ms == rw->size_ms && lw->slide_ms == rw->slide_ms && lw->offset_ms == rw->offset_ms;
    if (strcmp(sl_strbuf_cstr(&lt), sl_strbuf_cstr(&rt)) != 0) {
        sl_strbuf_printf(&m, "Currently, window join doesn't support different time attribute type of left and right inputs. The left "
                             "time attribute type is %s. The right time attribute type is %s.",
                         sl_strbuf_cstr(&lt), sl_strbuf_cstr(&rt));
        st = join_error(c, n, SL_ERR_UNSUPPORTED, sl_strbuf_cstr(&m), "window both inputs by event-time attributes of the same type");
    } else if (!same_spec) {
        sl_strbuf_puts(&m, "Currently, window join doesn't support different window table function of left and right inputs. The left "
                           "window table function is ");
        print_window_spec(&m, lw, "", NULL);
        sl_strbuf_puts(&m, ". The right window table function is ");
        print_window_spec(&m, rw, "", NULL);
        sl_strbuf_putc(&m, '.');
        st = join_error(c, n, SL_ERR_UNSUPPORTED, sl_strbuf_cstr(&m), "window both inputs with the same window table function and sizes");
    } else if (lw->proctime) {
        st = join_error(c, n, SL_ERR_UNSUPPORTED, "Processing time Window Join is not supported yet.",
                        "window both inputs by an event-time attribute (a column with a WATERMARK)");
    }
    sl_strbuf_free(&lt);
    sl_strbuf_free(&rt);
    sl_strbuf_free(&m);
    if (st) return st;
    n->wjoin = true;
    n->window = *lw;
    n->wj_start[0] = ls, n->wj_end[0] = le, n->wj_start[1] = rs, n->wj_end[1] = re;
    int k2 = 0;
    for (int k = 0; k < n->nkeys; k++)
        if (k != ks && k != ke) n->lkeys[k2] = n->lkeys[k], n->rkeys[k2++] = n->rkeys[k];
    n->nkeys = k2;
    return SL_OK;
}

/* Window table functions outside window aggregates are planned as window join inputs only: any
 * other (under a regular join, a sink, ...) is refused. consumer: the nearest node above n that is
 * not a Calc. */
static sl_status check_window_tvfs(pctx *c, const plan_node *n, const plan_node *consumer)
{
    if (n->kind == PLAN_WINDOW_TVF && !(consumer && ((consumer->kind == PLAN_JOIN && consumer->wjoin) || (consumer->kind == PLAN_RANK && consumer->wrank)))) {
        bool join = consumer && consumer->kind == PLAN_JOIN;
        return unsupported(c, n->src, join ? "window table functions in joins (window joins)"
                                           : "window table functions outside a window aggregate (GROUP BY window_start, window_end, ...)");
    }
    for (int i = 0; i < n->ninputs; i++) {
        sl_status st = check_window_tvfs(c, n->input[i], n->kind == PLAN_CALC ? consumer : n);
        if (st) return st;
    }
    return SL_OK;
}

/* Turns a Rank whose input carries windows and whose PARTITION BY has both window_start and
 * window_end into a window top-N (Flink's WindowRank), or, when it deduplicates directly over a
 * window table function, a window deduplication (WindowDeduplicate); the window columns leave
 * the partition key. A PARTITION BY with only one of them stays a regular Rank, as Flink's. */
static sl_status find_window_ranks(pctx *c, plan_node *n)
{
    for (int i = 0; i < n->ninputs; i++) {
        sl_status st = find_window_ranks(c, n->input[i]);
        if (st) return st;
    }
    int s, e;
    const plan_window *w;
    if (n->kind != PLAN_RANK || !window_props(n->input[0], &s, &e, &w)) return SL_OK;
    int ks = -1, ke = -1;
    for (int k = 0; k < n->npart; k++) {
        if (n->part[k] == s) ks = k;
        if (n->part[k] == e) ke = k;
    }
    if (ks < 0 || ke < 0) return SL_OK;
    if (w->proctime) {
        sl_error_set(c->err, SL_ERR_UNSUPPORTED, "Processing time Window %s is not supported yet.", n->dedup ? "Deduplication" : "TopN");
        sl_error_hint(c->err, "window the input by an event-time attribute (a column with a WATERMARK)");
        if (n->src) sl_error_at_offset(c->err, c->script, n->src->off, n->src->len);
        return SL_ERR_UNSUPPORTED;
    }
    if (n->rank_fn != PLAN_ROW_NUMBER) /* Flink's window top-N is ROW_NUMBER only: RANK stays a Rank */
        return SL_OK;
    n->wrank = true;
    n->window = *w;
    n->wr_start = s, n->wr_end = e;
    /* WindowDeduplicate: rn = 1 (not selected) directly over a window table function, ordered by
     * its time attribute (or window_time); else a WindowRank with rankEnd=1 */
    n->dedup = false;
    const plan_node *o = n->input[0];
    int f = n->order[0];
    while (o->kind == PLAN_CALC && f >= 0) {
        f = o->exprs[f]->kind == PX_INPUT ? o->exprs[f]->input : -1;
        o = o->input[0];
    }
    if (o->kind == PLAN_WINDOW_TVF && n->rank_end == 1 && !n->output_rn && n->norder == 1 &&
        (f == o->window.time_field || f == o->input[0]->row->nfields + 2)) {
        n->dedup = true;
        n->keep_last = n->order_desc[0];
        n->proctime = false;
    }
    int *part = sl_arena_alloc(c->a, sizeof(int) * (size_t)n->npart), k2 = 0;
    for (int k = 0; k < n->npart; k++)
        if (k != ks && k != ke) part[k2++] = n->part[k];
    n->part = part;
    n->npart = k2;
    return SL_OK;
}

/* Top-N over an updating input is Flink's RetractableTopNFunction: ROW_NUMBER only. */
static sl_status check_rank_inputs(pctx *c, const plan_node *n)
{
    for (int i = 0; i < n->ninputs; i++) {
        sl_status st = check_rank_inputs(c, n->input[i]);
        if (st) return st;
    }
    if (n->kind != PLAN_RANK || n->input[0]->changelog == PLAN_CL_INSERT_ONLY || (n->rank_fn == PLAN_ROW_NUMBER && !n->dedup))
        return SL_OK;
    const plan_node *src = changes_origin(n->input[0]);
    sl_strbuf desc = SL_STRBUF_INIT;
    print_node(&desc, src);
    if (n->dedup)
        sl_error_set(c->err, SL_ERR_UNSUPPORTED, "Deduplicate doesn't support consuming update and delete changes which is produced by node %s",
                     sl_strbuf_cstr(&desc));
    else
        sl_error_set(c->err, SL_ERR_UNSUPPORTED, "%s() over an updating input (produced by node %s) is not supported yet.",
                     n->rank_fn == PLAN_RANK_FN ? "RANK" : "DENSE_RANK", sl_strbuf_cstr(&desc));
    sl_strbuf_free(&desc);
    if (n->src) sl_error_at_offset(c->err, c->script, n->src->off, n->src->len);
    sl_error_hint(c->err, n->dedup ? "deduplicate an insert-only input (read the table with an insert-only format: json, csv, ...)"
                                   : "rank an updating input with ROW_NUMBER(), or rank an insert-only input");
    return SL_ERR_UNSUPPORTED;
}

static sl_status plan_build_ctx(pctx *c, const sql_node *stmt, plan_node **out);

/* A copy of every node of the plan. The rules rewrite nodes in place but never change an
 * expression or array they replace, so copying the nodes keeps the plan as it was. */
static plan_node *snapshot(pctx *c, const plan_node *n)
{
    plan_node *k = sl_arena_alloc(c->a, sizeof *k);
    *k = *n;
    for (int i = 0; i < n->ninputs; i++) k->input[i] = snapshot(c, n->input[i]);
    return k;
}

sl_status plan_build(sl_arena *a, const sql_session *session, const sql_node *stmt, const char *script, plan_node **out,
                     sl_error *err)
{
    return plan_build_explain(a, session, stmt, script, NULL, out, err);
}

sl_status plan_build_explain(sl_arena *a, const sql_session *session, const sql_node *stmt, const char *script, plan_node **ast,
                             plan_node **out, sl_error *err)
{
    pctx c = {.a = a, .session = session, .script = script, .err = err, .ast = ast};
    sl_status st = plan_build_ctx(&c, stmt, out);
    free(c.ttl_opts);
    free(c.ttl_vals);
    free(c.ttl_used);
    return st;
}

static sl_status plan_build_ctx(pctx *c, const sql_node *stmt, plan_node **out)
{
    sl_status st;
    plan_node *root;
    if (stmt->kind == SQL_INSERT) {
        if (stmt->kids[1]) return unsupported(c, stmt->kids[1], "INSERT with a target column list");
        if (stmt->flags & SQL_F_OVERWRITE) return unsupported(c, stmt, "INSERT OVERWRITE");
        plan_node *q;
        if ((st = build_query(c, stmt->kids[2], &q))) return st;
        root = node(c, PLAN_SINK);
        root->sink = sql_session_table(c->session, stmt->kids[0]->text);
        root->input[0] = q;
        root->ninputs = 1;
        root->row = q->row;
    } else if ((st = build_query(c, stmt, &root))) {
        return st;
    }
    if ((st = check_hints_used(c))) return st;
    if (c->ast) *c->ast = snapshot(c, root); /* EXPLAIN's Abstract Syntax Tree: before any rule */
    root = fold_plan(c, root); /* before pushdown and join keys: folded conditions push and key */
    pushdown(c, root);
    if ((st = find_window_joins(c, root)) || (st = find_window_ranks(c, root)) || (st = check_window_tvfs(c, root, NULL))) return st;
    int w = root->row->nfields;
    int *map = sl_arena_alloc(c->a, sizeof(int) * (size_t)(w ? w : 1));
    root = prune(c, root, NULL, map);
    root = merge_calcs(c, root);
    root = fold_plan(c, root); /* what merging brought together (constants of a subquery or view) */
    infer(c, root);
    if ((st = check_window_inputs(c, root, stmt->kind == SQL_INSERT ? stmt->kids[2] : stmt))) return st;
    if ((st = check_rank_inputs(c, root))) return st;
    if (root->kind == PLAN_SINK && (st = check_sink(c, root, stmt->kids[0]))) return st;
    *out = root;
    return SL_OK;
}

/* ---- EXPLAIN --------------------------------------------------------------------------------- */

static void print_literal(sl_strbuf *out, const sql_node *l)
{
    if (!l) {
        sl_strbuf_puts(out, "null");
        return;
    }
    switch (l->kind) {
    case SQL_LIT_STRING:
        sl_strbuf_putc(out, '\'');
        for (const char *p = l->text; *p; p++) {
            if (*p == '\'') sl_strbuf_putc(out, '\'');
            sl_strbuf_putc(out, *p);
        }
        sl_strbuf_putc(out, '\'');
        break;
    case SQL_LIT_BOOL: sl_strbuf_puts(out, l->ival ? "true" : "false"); break;
    case SQL_NAME: sl_strbuf_puts(out, l->text); break;
    case SQL_LIT_NULL: sl_strbuf_puts(out, "null"); break;
    case SQL_LIT_TYPED: sl_strbuf_printf(out, "%s '%s'", l->text, l->kids[0]->text); break;
    case SQL_LIT_INTERVAL:
        sl_strbuf_printf(out, "INTERVAL '%s%s' %s", (l->flags & SQL_F_NEGATIVE) ? "-" : "", l->kids[0]->text, l->kids[1]->text);
        break;
    default: sl_strbuf_puts(out, l->text); break;
    }
}

static void print_expr(sl_strbuf *out, const plan_expr *e, const sql_type *in)
{
    switch (e->kind) {
    case PX_INPUT: /* a name, or $n without a row (the Abstract Syntax Tree's form) */
        if (in && e->input >= 0 && e->input < in->nfields) sl_strbuf_puts(out, in->field_names[e->input]);
        else sl_strbuf_printf(out, "$%d", e->input);
        return;
    case PX_LITERAL: print_literal(out, e->src); return;
    case PX_CALL:
        if (e->src && e->src->kind == SQL_NAME) { /* ROW field access */
            print_expr(out, e->args[0], in);
            sl_strbuf_printf(out, ".%s", e->op);
            return;
        }
        if (strcmp(e->op, "CAST") == 0 || strcmp(e->op, "TRY_CAST") == 0) {
            sl_strbuf_printf(out, "%s(", e->op);
            print_expr(out, e->args[0], in);
            sl_strbuf_puts(out, " AS ");
            sql_type_print(out, e->type);
            sl_strbuf_putc(out, ')');
            return;
        }
        sl_strbuf_printf(out, "%s(", e->op);
        for (int i = 0; i < e->nargs; i++) {
            if (i) sl_strbuf_puts(out, ", ");
            print_expr(out, e->args[i], in);
        }
        sl_strbuf_putc(out, ')');
        return;
    }
}

/* A duration as Flink prints window sizes: in its largest exact unit ("10 s", "1 h", "90 min"). */
static void print_duration(sl_strbuf *out, int64_t ms)
{
    static const char *const names[] = {"d", "h", "min", "s", "ms"};
    static const int64_t units[] = {86400000, 3600000, 60000, 1000, 1};
    for (int k = 0; k < 5; k++)
        if (ms != 0 && ms % units[k] == 0) {
            sl_strbuf_printf(out, "%" PRId64 " %s", ms / units[k], names[k]);
            return;
        }
    sl_strbuf_printf(out, "%" PRId64 " ms", ms);
}

static void print_names(sl_strbuf *out, const sql_type *row)
{
    for (int i = 0; i < row->nfields; i++) sl_strbuf_printf(out, "%s%s", i ? ", " : "", row->field_names[i]);
}

static const char *join_type_name(const char *k)
{
    if (strcmp(k, "LEFT") == 0) return "LeftOuterJoin";
    if (strcmp(k, "RIGHT") == 0) return "RightOuterJoin";
    if (strcmp(k, "FULL") == 0) return "FullOuterJoin";
    if (strcmp(k, "SEMI") == 0) return "LeftSemiJoin";
    if (strcmp(k, "ANTI") == 0) return "LeftAntiJoin";
    return "InnerJoin";
}

/* Values' tuples as Calcite prints them: [{ 1, 'a' }, { 2, 'b' }] (a literal cast to its column's
 * type prints as the literal, as Calcite's typed literals do). */
static void print_tuples(sl_strbuf *out, const plan_node *n)
{
    int w = n->row->nfields;
    sl_strbuf_putc(out, '[');
    for (int r = 0; r < n->ntuples; r++) {
        sl_strbuf_puts(out, r ? ", { " : "{ ");
        for (int i = 0; i < w; i++) {
            const plan_expr *e = n->exprs[r * w + i];
            if (e->kind == PX_CALL && strcmp(e->op, "CAST") == 0 && e->args[0]->kind == PX_LITERAL) e = e->args[0];
            if (i) sl_strbuf_puts(out, ", ");
            print_expr(out, e, NULL);
        }
        sl_strbuf_puts(out, " }");
    }
    sl_strbuf_putc(out, ']');
}

static void print_node(sl_strbuf *out, const plan_node *n)
{
    switch (n->kind) {
    case PLAN_SINK:
        sl_strbuf_printf(out, "Sink(table=[default_catalog.default_database.%s], fields=[", n->sink ? n->sink->name : "?");
        print_names(out, n->input[0]->row);
        sl_strbuf_puts(out, "])");
        break;
    case PLAN_CALC: {
        const sql_type *in = n->input[0]->row;
        sl_strbuf_puts(out, "Calc(select=[");
        for (int i = 0; i < n->nexprs; i++) {
            if (i) sl_strbuf_puts(out, ", ");
            print_expr(out, n->exprs[i], in);
            bool plain = n->exprs[i]->kind == PX_INPUT && n->exprs[i]->input < in->nfields &&
                         strcmp(in->field_names[n->exprs[i]->input], n->names[i]) == 0;
            if (!plain) sl_strbuf_printf(out, " AS %s", n->names[i]);
        }
        sl_strbuf_puts(out, "]");
        if (n->cond) {
            sl_strbuf_puts(out, ", where=[");
            print_expr(out, n->cond, in);
            sl_strbuf_puts(out, "]");
        }
        sl_strbuf_puts(out, ")");
        break;
    }
    case PLAN_JOIN: {
        const sql_type *l = n->input[0]->row, *r = n->input[1]->row;
        if (n->wjoin) {
            char cols[2][600];
            for (int side = 0; side < 2; side++)
                snprintf(cols[side], sizeof cols[side], "win_start=[%s], win_end=[%s], ",
                         n->input[side]->row->field_names[n->wj_start[side]], n->input[side]->row->field_names[n->wj_end[side]]);
            sl_strbuf_puts(out, "WindowJoin(leftWindow=[");
            print_window_spec(out, &n->window, cols[0], NULL);
            sl_strbuf_puts(out, "], rightWindow=[");
            print_window_spec(out, &n->window, cols[1], NULL);
            sl_strbuf_printf(out, "], joinType=[%s], where=[", join_type_name(n->join_kind));
            print_join_where(out, n);
            sl_strbuf_puts(out, "], select=[");
            print_names(out, n->row);
            sl_strbuf_puts(out, "])");
            break;
        }
        if (n->interval) {
            sl_strbuf_printf(out,
                             "IntervalJoin(joinType=[%s], windowBounds=[isRowTime=true, leftLowerBound=%" PRId64 ", leftUpperBound=%" PRId64
                             ", leftTimeIndex=%d, rightTimeIndex=%d], where=[",
                             join_type_name(n->join_kind), n->iv_lower_ms, n->iv_upper_ms, n->iv_ltime, n->iv_rtime);
        } else {
            sl_strbuf_printf(out, "Join(joinType=[%s], where=[", n->setop ? (n->setop[0] == 'I' ? "IntersectAll" : "ExceptAll")
                                                                          : join_type_name(n->join_kind));
        }
        print_join_where(out, n);
        sl_strbuf_puts(out, "], select=[");
        print_names(out, n->row);
        if (n->interval) {
            sl_strbuf_puts(out, "])");
            break;
        }
        sl_strbuf_puts(out, "], leftKeys=[");
        for (int k = 0; k < n->nkeys; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", l->field_names[n->lkeys[k]]);
        sl_strbuf_puts(out, "], rightKeys=[");
        for (int k = 0; k < n->nkeys; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", r->field_names[n->rkeys[k]]);
        sl_strbuf_puts(out, "])");
        break;
    }
    case PLAN_AGG: {
        const sql_type *in = n->input[0]->row;
        sl_strbuf_puts(out, "GroupAggregate(");
        print_group_by(out, n, in);
        sl_strbuf_puts(out, "select=[");
        print_agg_select(out, n, in);
        sl_strbuf_puts(out, "])");
        break;
    }
    case PLAN_WINDOW_AGG: {
        const sql_type *in = n->input[0]->row;
        const plan_window *w = &n->window;
        sl_strbuf_puts(out, "WindowAggregate(");
        print_group_by(out, n, in);
        char cols[300];
        snprintf(cols, sizeof cols, "time_col=[%s], ", in->field_names[w->time_field]);
        sl_strbuf_puts(out, "window=[");
        print_window_spec(out, w, cols, session_partition(w));
        sl_strbuf_puts(out, "], select=[");
        print_agg_select(out, n, in);
        sl_strbuf_printf(out, "%sstart('w$) AS window_start, end('w$) AS window_end", (n->ngroup || n->naggs) ? ", " : "");
        if (w->window_time) sl_strbuf_printf(out, ", %s('w$) AS window_time", w->proctime ? "proctime" : "rowtime");
        sl_strbuf_puts(out, "])");
        break;
    }
    case PLAN_RANK: {
        const sql_type *in = n->input[0]->row;
        if (n->wrank) {
            char cols[300];
            snprintf(cols, sizeof cols, "win_start=[%s], win_end=[%s], ", in->field_names[n->wr_start], in->field_names[n->wr_end]);
            sl_strbuf_printf(out, "%s(window=[", n->dedup ? "WindowDeduplicate" : "WindowRank");
            print_window_spec(out, &n->window, cols, NULL);
            if (n->dedup) {
                sl_strbuf_printf(out, "], keep=[%s], partitionKeys=[", n->keep_last ? "LastRow" : "FirstRow");
                for (int k = 0; k < n->npart; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", in->field_names[n->part[k]]);
                sl_strbuf_printf(out, "], orderKey=[%s], order=[ROWTIME])", in->field_names[n->order[0]]);
                break;
            }
            sl_strbuf_printf(out, "], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=%" PRId64 "], partitionBy=[", n->rank_end);
        } else if (n->dedup) {
            sl_strbuf_printf(out, "Deduplicate(keep=[%s], key=[", n->keep_last ? "LastRow" : "FirstRow");
            for (int k = 0; k < n->npart; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", in->field_names[n->part[k]]);
            sl_strbuf_printf(out, "], order=[%s])", n->proctime ? "PROCTIME" : "ROWTIME");
            break;
        } else {
            sl_strbuf_printf(out, "Rank(strategy=[%s], rankType=[%s], rankRange=[rankStart=1, rankEnd=%" PRId64 "], partitionBy=[",
                             n->input[0]->changelog == PLAN_CL_INSERT_ONLY ? "AppendFastStrategy" : "RetractStrategy",
                             n->rank_fn == PLAN_RANK_FN ? "RANK" : n->rank_fn == PLAN_DENSE_RANK ? "DENSE_RANK" : "ROW_NUMBER", n->rank_end);
        }
        for (int k = 0; k < n->npart; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", in->field_names[n->part[k]]);
        sl_strbuf_puts(out, "], orderBy=[");
        for (int k = 0; k < n->norder; k++) {
            sl_strbuf_printf(out, "%s%s %s", k ? ", " : "", in->field_names[n->order[k]], n->order_desc[k] ? "DESC" : "ASC");
            if (n->order_nulls_first[k] == n->order_desc[k]) sl_strbuf_puts(out, n->order_nulls_first[k] ? " NULLS FIRST" : " NULLS LAST");
        }
        sl_strbuf_puts(out, "], select=[");
        print_names(out, n->row);
        sl_strbuf_puts(out, "])");
        break;
    }
    case PLAN_WINDOW_TVF: {
        char cols[300];
        snprintf(cols, sizeof cols, "time_col=[%s], ", n->input[0]->row->field_names[n->window.time_field]);
        sl_strbuf_puts(out, "WindowTableFunction(window=[");
        print_window_spec(out, &n->window, cols, NULL);
        sl_strbuf_puts(out, "])");
        break;
    }
    case PLAN_UNION:
        sl_strbuf_puts(out, "Union(all=[true], union=[");
        print_names(out, n->row);
        sl_strbuf_puts(out, "])");
        break;
    case PLAN_VALUES:
        sl_strbuf_puts(out, "Values(tuples=[");
        print_tuples(out, n);
        sl_strbuf_puts(out, "], values=[");
        print_names(out, n->row);
        sl_strbuf_puts(out, "])");
        break;
    case PLAN_SCAN: {
        sl_strbuf_printf(out, "TableSourceScan(table=[[default_catalog, default_database, %s", n->table->name);
        if (n->nfields != n->table->ncols) {
            sl_strbuf_puts(out, ", project=[");
            print_names(out, n->row);
            sl_strbuf_puts(out, "]");
        }
        sl_strbuf_puts(out, "]], fields=[");
        print_names(out, n->row);
        sl_strbuf_puts(out, "])");
        break;
    }
    }
}

/* A join's condition: its key equalities and residual ("AND(=(id, id0), <(v, w))"). */
static void print_join_where(sl_strbuf *out, const plan_node *n)
{
    int lw = n->input[0]->row->nfields;
    int parts = n->nkeys + (n->residual ? 1 : 0);
    const sql_type *row = join_row(n);
    if (parts > 1) sl_strbuf_puts(out, "AND(");
    for (int k = 0; k < n->nkeys; k++)
        sl_strbuf_printf(out, "%s%s(%s, %s)", k ? ", " : "", n->null_safe ? "IS NOT DISTINCT FROM" : "=",
                         row->field_names[n->lkeys[k]], row->field_names[lw + n->rkeys[k]]);
    if (n->residual) {
        if (n->nkeys) sl_strbuf_puts(out, ", ");
        print_expr(out, n->residual, row);
    }
    if (parts > 1) sl_strbuf_puts(out, ")");
    if (parts == 0) sl_strbuf_puts(out, "true");
}

static const char *input_spec(const plan_node *j, int side)
{
    const plan_node *in = j->input[side];
    if (!in->nunique) return "NoUniqueKey";
    const int *keys = side ? j->rkeys : j->lkeys;
    for (int u = 0; u < in->nunique; u++) {
        bool in_keys = false;
        for (int k = 0; k < j->nkeys; k++) in_keys = in_keys || keys[k] == in->unique[u];
        if (!in_keys) return "HasUniqueKey";
    }
    return "JoinKeyContainsUniqueKey";
}

/* Where the next line of a plan tree goes: its prefix and branch ("", "+- " or ":- "). Flink's
 * shape: a node's inputs hang below it, all but the last with ":- ", the last with "+- ". */
typedef struct tree_pos {
    char prefix[1024];
    const char *branch;
} tree_pos;

/* Prints one line at pos and moves pos to the line's (single) input. */
static void tree_line(sl_strbuf *out, tree_pos *pos, const char *text)
{
    sl_strbuf_printf(out, "%s%s%s\n", pos->prefix, pos->branch, text);
    const char *cont = pos->branch[0] == '\0' ? "" : (strcmp(pos->branch, ":- ") == 0 ? ":  " : "   ");
    size_t len = strlen(pos->prefix);
    snprintf(pos->prefix + len, sizeof pos->prefix - len, "%s", cont);
    pos->branch = "+- ";
}

/* Input i of n inputs of the node whose line moved pos to its inputs. */
static tree_pos tree_input(const tree_pos *pos, int i, int n)
{
    tree_pos p = *pos;
    p.branch = i == n - 1 ? "+- " : ":- ";
    return p;
}

/* The keyed state of a stateful operator (Join, IntervalJoin, GroupAggregate, WindowAggregate,
 * Rank, Deduplicate): ", state=[rocksdb], stateTtl=[1 d]", the TTL its store runs with (the
 * STATE_TTL hint, else table.exec.state.ttl; "none" = kept until the operator removes it). */
static void print_state(sl_strbuf *out, const plan_node *n, const plan_explain_opts *o)
{
    bool stateful = n->kind == PLAN_JOIN || n->kind == PLAN_AGG || n->kind == PLAN_WINDOW_AGG || n->kind == PLAN_RANK;
    if (!stateful || !o) return;
    sl_strbuf_printf(out, ", state=[%s], stateTtl=[", o->state_backend ? o->state_backend : "rocksdb");
    int64_t ttl[2] = {o->state_ttl_ms, o->state_ttl_ms};
    bool hinted = (n->kind == PLAN_JOIN && !n->interval && (n->ttl_ms[0] || n->ttl_ms[1])) || (n->kind == PLAN_AGG && n->ttl_ms[0]);
    for (int side = 0; hinted && side < 2; side++)
        if (n->ttl_ms[side]) ttl[side] = n->ttl_ms[side];
    for (int side = 0; side < (hinted && n->kind == PLAN_JOIN ? 2 : 1); side++) {
        if (hinted && n->kind == PLAN_JOIN) sl_strbuf_puts(out, side ? ", right=" : "left=");
        char t[64] = "none";
        if (ttl[side] > 0) sl_format_duration(ttl[side], t, sizeof t);
        sl_strbuf_puts(out, t);
    }
    sl_strbuf_putc(out, ']');
}

static void explain_rec(sl_strbuf *out, const plan_node *n, tree_pos pos, const plan_explain_opts *o)
{
    sl_strbuf line = SL_STRBUF_INIT;
    print_node(&line, n);
    /* print_node ends with ')': annotate inside it */
    line.len--;
    if (n->kind == PLAN_JOIN && !n->interval && !n->wjoin) sl_strbuf_printf(&line, ", leftInputSpec=[%s], rightInputSpec=[%s]", input_spec(n, 0), input_spec(n, 1));
    print_state(&line, n, o);
    sl_strbuf_puts(&line, ", changelogMode=");
    changelog_str(&line, n->changelog);
    sl_strbuf_putc(&line, ')');
    tree_line(out, &pos, sl_strbuf_cstr(&line));
    sl_strbuf_free(&line);
    for (int i = 0; i < n->ninputs; i++) explain_rec(out, n->input[i], tree_input(&pos, i, n->ninputs), o);
}

void plan_explain_physical(sl_strbuf *out, const plan_node *root, const plan_explain_opts *opts)
{
    tree_pos pos = {"", ""};
    explain_rec(out, root, pos, opts);
}

void plan_explain(sl_strbuf *out, const plan_node *root) { plan_explain_physical(out, root, NULL); }

/* ---- EXPLAIN's Abstract Syntax Tree: the plan before the rules, as Calcite's logical nodes ---- */

/* "$0, $1" ... for fields from..to-1. */
static void print_positions(sl_strbuf *out, const int *f, int n)
{
    for (int i = 0; i < n; i++) sl_strbuf_printf(out, "%s$%d", i ? ", " : "", f[i]);
}

/* A projection: LogicalProject(name=[expr], ...), expressions over the input by position; extra
 * trailing fields (name, input position) when a window table function adds its columns. */
static void print_project(sl_strbuf *out, const plan_node *k, const char *const *xnames, const int *xpos, int nx)
{
    sl_strbuf_puts(out, "LogicalProject(");
    for (int i = 0; i < k->nexprs; i++) {
        sl_strbuf_printf(out, "%s%s=[", i ? ", " : "", k->names[i]);
        print_expr(out, k->exprs[i], NULL);
        sl_strbuf_putc(out, ']');
    }
    for (int i = 0; i < nx; i++) sl_strbuf_printf(out, "%s%s=[$%d]", k->nexprs + i ? ", " : "", xnames[i], xpos[i]);
    sl_strbuf_putc(out, ')');
}

static void print_filter(sl_strbuf *out, const plan_expr *cond)
{
    sl_strbuf_puts(out, "LogicalFilter(condition=[");
    print_expr(out, cond, NULL);
    sl_strbuf_puts(out, "])");
}

/* LogicalAggregate(group=[{0, 1}], cnt=[COUNT()], s=[SUM(DISTINCT $2)], f=[COUNT() FILTER $3]);
 * `extra` more group keys from position `from` (a window aggregate's window_start, ...). */
static void print_logical_agg(sl_strbuf *out, const plan_node *n, int from, int extra)
{
    sl_strbuf_puts(out, "LogicalAggregate(group=[{");
    for (int k = 0; k < n->ngroup; k++) sl_strbuf_printf(out, "%s%d", k ? ", " : "", k);
    for (int k = 0; k < extra; k++) sl_strbuf_printf(out, "%s%d", n->ngroup + k ? ", " : "", from + k);
    sl_strbuf_puts(out, "}]");
    for (int i = 0; i < n->naggs; i++) {
        const plan_agg_call *ac = &n->aggs[i];
        sl_strbuf_printf(out, ", %s=[%s(%s", n->row->field_names[n->ngroup + i], ac->fn, ac->distinct ? "DISTINCT " : "");
        print_positions(out, ac->args, ac->nargs);
        sl_strbuf_putc(out, ')');
        if (ac->filter >= 0) sl_strbuf_printf(out, " FILTER $%d", ac->filter);
        sl_strbuf_putc(out, ']');
    }
    sl_strbuf_putc(out, ')');
}

/* The window table function a window aggregate reads, over its input (the table's columns):
 * LogicalTableFunctionScan(invocation=[TUMBLE(DESCRIPTOR($3), INTERVAL '5' SECOND)],
 * rowType=[RecordType(...)]). */
static void print_window_tvf(sl_strbuf *out, const plan_window *w, const plan_node *scan)
{
    static const char *const kinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    const sql_type *in = scan->row;
    /* the time column: the one the aggregate's Calc reads last (plan_window.time_field is the
     * Calc's field); found by name in the TVF's input */
    const sql_node *args = w->src ? w->src->kids[0]->kids[0] : NULL;
    int tc = -1;
    for (int i = 0; args && i < in->nfields && tc < 0; i++)
        if (strcmp(in->field_names[i], args->kids[1]->kids[0]->text) == 0) tc = i;
    sl_strbuf_printf(out, "LogicalTableFunctionScan(invocation=[%s(", kinds[w->kind]);
    const sql_node *part = session_partition(w);
    if (part) {
        sl_strbuf_puts(out, "PARTITION BY(");
        for (int p = 0; p < part->nkids; p++)
            for (int i = 0; i < in->nfields; i++)
                if (strcmp(in->field_names[i], last_name(part->kids[p])) == 0) sl_strbuf_printf(out, "%s$%d", p ? ", " : "", i);
        sl_strbuf_puts(out, "), ");
    }
    sl_strbuf_printf(out, "DESCRIPTOR($%d)", tc);
    for (int i = 2; args && i < args->nkids; i++) {
        sl_strbuf_puts(out, ", ");
        print_literal(out, args->kids[i]);
    }
    sl_strbuf_puts(out, ")], rowType=[RecordType(");
    const sql_type *row = w->src && w->src->type ? w->src->type : in;
    for (int i = 0; i < row->nfields; i++) {
        if (i) sl_strbuf_puts(out, ", ");
        sql_type_print(out, row->field_types[i]);
        sl_strbuf_printf(out, " %s", row->field_names[i]);
    }
    sl_strbuf_puts(out, ")])");
}

static void ast_rec(sl_strbuf *out, const plan_node *n, tree_pos pos, const plan_node *window_agg);

/* The Calc below a window aggregate: its projection with the window columns it groups on (after
 * the Calc's own fields), its WHERE, then the window table function. */
static void ast_window_input(sl_strbuf *out, const plan_node *k, tree_pos *pos, const plan_node *wagg, sl_strbuf *t)
{
    const plan_node *scan = k->kind == PLAN_CALC ? k->input[0] : k;
    static const char *const names[] = {"window_start", "window_end", "window_time"};
    int base = scan->row->nfields, pos3[3] = {base, base + 1, base + 2};
    if (k->kind == PLAN_CALC) {
        print_project(t, k, names, pos3, wagg->window.window_time ? 3 : 2);
        tree_line(out, pos, sl_strbuf_cstr(t));
        sl_strbuf_reset(t);
        if (k->cond) {
            print_filter(t, k->cond);
            tree_line(out, pos, sl_strbuf_cstr(t));
            sl_strbuf_reset(t);
        }
    }
    print_window_tvf(t, &wagg->window, scan);
    tree_line(out, pos, sl_strbuf_cstr(t));
    sl_strbuf_reset(t);
    ast_rec(out, scan, *pos, NULL);
}

static void ast_rec(sl_strbuf *out, const plan_node *n, tree_pos pos, const plan_node *window_agg)
{
    sl_strbuf t = SL_STRBUF_INIT;
    if (window_agg) {
        ast_window_input(out, n, &pos, window_agg, &t);
        sl_strbuf_free(&t);
        return;
    }
    switch (n->kind) {
    case PLAN_SINK:
        sl_strbuf_printf(&t, "LogicalSink(table=[default_catalog.default_database.%s], fields=[", n->sink ? n->sink->name : "?");
        print_names(&t, n->input[0]->row);
        sl_strbuf_puts(&t, "])");
        break;
    case PLAN_CALC: {
        const sql_type *in = n->input[0]->row;
        bool identity = n->nexprs == in->nfields;
        for (int i = 0; identity && i < n->nexprs; i++)
            identity = n->exprs[i]->kind == PX_INPUT && n->exprs[i]->input == i && strcmp(n->names[i], in->field_names[i]) == 0;
        if (!identity || !n->cond) {
            print_project(&t, n, NULL, NULL, 0);
            if (n->cond) {
                tree_line(out, &pos, sl_strbuf_cstr(&t));
                sl_strbuf_reset(&t);
            }
        }
        if (n->cond) print_filter(&t, n->cond);
        break;
    }
    case PLAN_JOIN: {
        if (n->setop) { /* INTERSECT ALL / EXCEPT ALL */
            sl_strbuf_printf(&t, "%s(all=[true])", n->setop[0] == 'I' ? "LogicalIntersect" : "LogicalMinus");
            break;
        }
        static const char *const kinds[][2] = {{"LEFT", "left"}, {"RIGHT", "right"}, {"FULL", "full"}, {"SEMI", "semi"}, {"ANTI", "anti"}};
        const char *jt = "inner";
        for (int i = 0; i < 5; i++)
            if (strcmp(n->join_kind, kinds[i][0]) == 0) jt = kinds[i][1];
        int lw = n->input[0]->row->nfields, parts = n->nkeys + (n->residual ? 1 : 0);
        sl_strbuf_puts(&t, "LogicalJoin(condition=[");
        if (parts > 1) sl_strbuf_puts(&t, "AND(");
        for (int k = 0; k < n->nkeys; k++) sl_strbuf_printf(&t, "%s=($%d, $%d)", k ? ", " : "", n->lkeys[k], lw + n->rkeys[k]);
        if (n->residual) {
            if (n->nkeys) sl_strbuf_puts(&t, ", ");
            print_expr(&t, n->residual, NULL);
        }
        if (parts > 1) sl_strbuf_puts(&t, ")");
        if (parts == 0) sl_strbuf_puts(&t, "true");
        sl_strbuf_printf(&t, "], joinType=[%s])", jt);
        break;
    }
    case PLAN_AGG:
        if (n->setop) { /* INTERSECT / EXCEPT: Calcite's set operation over the two inputs */
            const plan_node *j = n->input[0];
            sl_strbuf_printf(&t, "%s(all=[false])", strcmp(n->setop, "INTERSECT") == 0 ? "LogicalIntersect" : "LogicalMinus");
            tree_line(out, &pos, sl_strbuf_cstr(&t));
            sl_strbuf_free(&t);
            for (int i = 0; i < 2; i++) ast_rec(out, j->input[i], tree_input(&pos, i, 2), NULL);
            return;
        }
        print_logical_agg(&t, n, 0, 0);
        break;
    case PLAN_WINDOW_AGG: {
        const plan_node *k = n->input[0];
        int nprops = n->window.window_time ? 3 : 2;
        if (n->naggs) {
            /* Calcite's aggregate emits its group keys (here the keys, then the window columns)
             * before the calls; the WindowAggregate's row has the calls before the window columns:
             * a LogicalProject puts them in that order */
            sl_strbuf_puts(&t, "LogicalProject(");
            for (int i = 0; i < n->row->nfields; i++) {
                int from = i < n->ngroup ? i : i < n->ngroup + n->naggs ? i + nprops : i - n->naggs;
                sl_strbuf_printf(&t, "%s%s=[$%d]", i ? ", " : "", n->row->field_names[i], from);
            }
            sl_strbuf_putc(&t, ')');
            tree_line(out, &pos, sl_strbuf_cstr(&t));
            sl_strbuf_reset(&t);
        }
        print_logical_agg(&t, n, k->kind == PLAN_CALC ? k->nexprs : k->row->nfields, nprops);
        tree_line(out, &pos, sl_strbuf_cstr(&t));
        sl_strbuf_free(&t);
        ast_rec(out, k, pos, n);
        return;
    }
    case PLAN_RANK: {
        /* LogicalProject(without the row number) when it is not selected, LogicalFilter(rn <= N),
         * LogicalProject(..., w0$o0=[ROW_NUMBER() OVER (PARTITION BY $0 ORDER BY $1 DESC NULLS LAST)]) */
        const sql_type *in = n->input[0]->row;
        int iw = in->nfields;
        if (!n->output_rn) {
            sl_strbuf_puts(&t, "LogicalProject(");
            for (int i = 0; i < iw; i++) sl_strbuf_printf(&t, "%s%s=[$%d]", i ? ", " : "", in->field_names[i], i);
            sl_strbuf_putc(&t, ')');
            tree_line(out, &pos, sl_strbuf_cstr(&t));
            sl_strbuf_reset(&t);
        }
        sl_strbuf_printf(&t, "LogicalFilter(condition=[<=($%d, %" PRId64 ")])", iw, n->rank_end);
        tree_line(out, &pos, sl_strbuf_cstr(&t));
        sl_strbuf_reset(&t);
        sl_strbuf_puts(&t, "LogicalProject(");
        for (int i = 0; i < iw; i++) sl_strbuf_printf(&t, "%s=[$%d], ", in->field_names[i], i);
        sl_strbuf_printf(&t, "w0$o0=[%s() OVER (",
                         n->rank_fn == PLAN_RANK_FN ? "RANK" : n->rank_fn == PLAN_DENSE_RANK ? "DENSE_RANK" : "ROW_NUMBER");
        if (n->npart) {
            sl_strbuf_puts(&t, "PARTITION BY ");
            print_positions(&t, n->part, n->npart);
            sl_strbuf_putc(&t, ' ');
        }
        sl_strbuf_puts(&t, "ORDER BY ");
        for (int k = 0; k < n->norder; k++)
            sl_strbuf_printf(&t, "%s$%d%s NULLS %s", k ? ", " : "", n->order[k], n->order_desc[k] ? " DESC" : "",
                             n->order_nulls_first[k] ? "FIRST" : "LAST");
        sl_strbuf_puts(&t, ")])");
        break;
    }
    case PLAN_UNION: sl_strbuf_puts(&t, "LogicalUnion(all=[true])"); break;
    case PLAN_VALUES:
        sl_strbuf_puts(&t, "LogicalValues(tuples=[");
        print_tuples(&t, n);
        sl_strbuf_puts(&t, "])");
        break;
    case PLAN_WINDOW_TVF: print_window_tvf(&t, &n->window, n->input[0]); break;
    case PLAN_SCAN: {
        /* LogicalWatermarkAssigner over the computed columns' LogicalProject over the scan of the
         * other columns (the rules never change a scan before they prune it, so this is the
         * table's row) */
        const sql_table *tb = n->table;
        if (n->watermark && tb->rowtime >= 0) {
            sl_strbuf_printf(&t, "LogicalWatermarkAssigner(rowtime=[%s], watermark=[", tb->cols[tb->rowtime].name);
            print_expr(&t, n->watermark, NULL);
            sl_strbuf_puts(&t, "])");
            tree_line(out, &pos, sl_strbuf_cstr(&t));
            sl_strbuf_reset(&t);
        }
        bool computed = false;
        for (int i = 0; i < tb->ncols; i++) computed = computed || tb->cols[i].kind == SQL_COL_COMPUTED;
        if (computed) {
            sl_strbuf_puts(&t, "LogicalProject(");
            for (int i = 0, phys = 0; i < tb->ncols; i++) {
                sl_strbuf_printf(&t, "%s%s=[", i ? ", " : "", tb->cols[i].name);
                if (tb->cols[i].kind != SQL_COL_COMPUTED) sl_strbuf_printf(&t, "$%d", phys++);
                else if (n->computed && n->computed[i]) print_expr(&t, n->computed[i], NULL);
                else sl_strbuf_puts(&t, "?");
                sl_strbuf_putc(&t, ']');
            }
            sl_strbuf_putc(&t, ')');
            tree_line(out, &pos, sl_strbuf_cstr(&t));
            sl_strbuf_reset(&t);
        }
        sl_strbuf_printf(&t, "LogicalTableScan(table=[[default_catalog, default_database, %s]])", tb->name);
        break;
    }
    }
    tree_line(out, &pos, sl_strbuf_cstr(&t));
    sl_strbuf_free(&t);
    for (int i = 0; i < n->ninputs; i++) ast_rec(out, n->input[i], tree_input(&pos, i, n->ninputs), NULL);
}

void plan_explain_ast(sl_strbuf *out, const plan_node *ast)
{
    tree_pos pos = {"", ""};
    ast_rec(out, ast, pos, NULL);
}

void plan_node_describe(sl_strbuf *out, const plan_node *n) { print_node(out, n); }

static void warn_rec(sl_strbuf *out, const plan_node *n, int64_t ttl)
{
    if (n->kind == PLAN_JOIN && !n->interval && !n->wjoin && ttl == 0 && !(n->ttl_ms[0] && n->ttl_ms[1])) {
        sl_strbuf_printf(out, "WARNING: Join(joinType=[%s], leftKeys=[",
                         n->setop ? (n->setop[0] == 'I' ? "IntersectAll" : "ExceptAll") : join_type_name(n->join_kind));
        for (int k = 0; k < n->nkeys; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", n->input[0]->row->field_names[n->lkeys[k]]);
        sl_strbuf_puts(out, "]) keeps every row of both inputs forever: its state grows without bound as new keys "
                            "arrive. Bound it with table.exec.state.ttl (e.g. SET 'table.exec.state.ttl' = '1 d'), or "
                            "use an interval or window join.\n");
    }
    if (n->kind == PLAN_AGG && ttl == 0 && n->ngroup && !n->ttl_ms[0]) {
        sl_strbuf_puts(out, "WARNING: GroupAggregate(groupBy=[");
        for (int k = 0; k < n->ngroup; k++) sl_strbuf_printf(out, "%s%s", k ? ", " : "", n->input[0]->row->field_names[k]);
        sl_strbuf_puts(out, "]) keeps an accumulator for every group forever: its state grows without bound as new groups "
                            "arrive. Bound it with table.exec.state.ttl (e.g. SET 'table.exec.state.ttl' = '1 d'), or "
                            "aggregate over windows.\n");
    }
    for (int i = 0; i < n->ninputs; i++) warn_rec(out, n->input[i], ttl);
}

void plan_state_warnings(sl_strbuf *out, const plan_node *root, int64_t state_ttl_ms) { warn_rec(out, root, state_ttl_ms); }
