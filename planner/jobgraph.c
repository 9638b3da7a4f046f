/* planner/jobgraph.c — see jobgraph.h. */
#include "planner/jobgraph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"


static const char *const part_names[] = {"FORWARD", "HASH", "REBALANCE", "BROADCAST", "GLOBAL"};

const char *jg_partitioning_name(jg_partitioning p) { return part_names[p]; }

/* ---- building ---------------------------------------------------------------------------- */

typedef struct builder {
    jobgraph *g;
    int capv, cape;
    const jg_options *opt;
} builder;

static char *type_str(const sql_type *t)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sql_type_print(&sb, t);
    return sl_strbuf_detach(&sb);
}

static json_t *type_json(const sql_type *t)
{
    char *s = type_str(t);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *row_json(const sql_type *row)
{
    json_t *a = json_array();
    for (int i = 0; i < row->nfields; i++)
        json_array_append_new(a, json_pack("{s:s, s:o}", "name", row->field_names[i], "type", type_json(row->field_types[i])));
    return a;
}

static json_t *literal_json(const sql_node *l)
{
    if (!l || l->kind == SQL_LIT_NULL) return json_null();
    switch (l->kind) {
    case SQL_LIT_BOOL: return json_boolean(l->ival);
    case SQL_NAME: return json_pack("{s:s}", "symbol", l->text); /* EXTRACT(YEAR ...), TRIM(BOTH ...) */
    case SQL_LIT_TYPED: return json_pack("{s:s, s:s}", "kind", l->text, "value", l->kids[0]->text);
    case SQL_LIT_INTERVAL:
        return json_pack("{s:s, s:s, s:b}", "qualifier", l->kids[1]->text, "value", l->kids[0]->text, "negative",
                         (l->flags & SQL_F_NEGATIVE) != 0);
    default: return json_string(l->text);
    }
}

static json_t *expr_json(const plan_expr *e)
{
    if (!e) return json_null();
    json_t *j;
    switch (e->kind) {
    case PX_INPUT: j = json_pack("{s:i}", "input", e->input); break;
    case PX_LITERAL: j = json_pack("{s:o}", "literal", literal_json(e->src)); break;
    default: {
        json_t *args = json_array();
        for (int i = 0; i < e->nargs; i++) json_array_append_new(args, expr_json(e->args[i]));
        bool field = e->src && e->src->kind == SQL_NAME;
        j = json_pack("{s:s, s:o}", field ? "field" : "call", e->op, "args", args);
        break;
    }
    }
    json_object_set_new(j, "type", type_json(e->type));
    return j;
}

static json_t *ints_json(const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *options_json(const sql_table *t)
{
    json_t *o = json_object();
    for (int i = 0; t && i < t->nopts; i++) json_object_set_new(o, t->opts[i].key, json_string(t->opts[i].value));
    return o;
}

/* All columns of a scanned table: what a source decodes (physical), reads from the connector
 * (metadata) and computes (computed, over the non-computed columns in table order). */
static json_t *schema_json(const sql_table *t, plan_expr *const *computed)
{
    json_t *a = json_array();
    static const char *const kinds[] = {"physical", "computed", "metadata"};
    for (int i = 0; i < t->ncols; i++) {
        const sql_column *c = &t->cols[i];
        json_t *col = json_pack("{s:s, s:o, s:s}", "name", c->name, "type", type_json(c->type), "kind", kinds[c->kind]);
        if (c->kind == SQL_COL_METADATA) {
            json_object_set_new(col, "key", json_string(c->metadata_key ? c->metadata_key : c->name));
            json_object_set_new(col, "virtual", json_boolean(c->is_virtual));
        }
        if (c->kind == SQL_COL_COMPUTED) json_object_set_new(col, "expr", expr_json(computed ? computed[i] : NULL));
        json_array_append_new(a, col);
    }
    return a;
}

/* A window's JSON (window aggregates, window table functions): kind, time_field (over the
 * operator's input), time ("event" / "processing"), ltz, size_ms (TUMBLE, HOP; CUMULATE's max
 * size), slide_ms (HOP), step_ms (CUMULATE), offset_ms. */
static json_t *window_json(const plan_window *w)
{
    static const char *const kinds[] = {"TUMBLE", "HOP", "CUMULATE", "SESSION"};
    return json_pack("{s:s, s:i, s:s, s:b, s:I, s:I, s:I, s:I, s:b}", "kind", kinds[w->kind], "time_field", w->time_field, "time",
                     w->proctime ? "processing" : "event", "ltz", w->ltz, "size_ms", (json_int_t)w->size_ms, "slide_ms",
                     (json_int_t)(w->kind == PLAN_WIN_HOP ? w->slide_ms : 0), "step_ms",
                     (json_int_t)(w->kind == PLAN_WIN_CUMULATE ? w->slide_ms : 0), "offset_ms", (json_int_t)w->offset_ms,
                     "window_time", w->window_time);
}

static json_t *spec_of(const plan_node *n)
{
    switch (n->kind) {
    case PLAN_SCAN: {
        json_t *cols = ints_json(n->fields, n->nfields);
        json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:i}", "table", n->table->name, "options", options_json(n->table), "columns", cols,
                              "output", row_json(n->row), "changelog", (int)n->changelog);
        json_object_set_new(j, "schema", schema_json(n->table, n->computed));
        if (n->watermark)
            json_object_set_new(j, "watermark", json_pack("{s:i, s:o}", "rowtime", n->table->rowtime, "expr", expr_json(n->watermark)));
        if (n->filter) json_object_set_new(j, "filter", expr_json(n->filter));
        json_t *pk = json_array();
        for (int i = 0; i < n->table->npk; i++) json_array_append_new(pk, json_integer(n->table->pk[i]));
        json_object_set_new(j, "primary_key", pk);
        return j;
    }
    case PLAN_CALC: {
        json_t *sel = json_array();
        for (int i = 0; i < n->nexprs; i++) json_array_append_new(sel, expr_json(n->exprs[i]));
        return json_pack("{s:o, s:o, s:o, s:o}", "input", row_json(n->input[0]->row), "select", sel, "where",
                         expr_json(n->cond), "output", row_json(n->row));
    }
    case PLAN_JOIN: {
        if (n->wjoin) {
            /* window join: rows of both inputs are kept per join key and window (identified by the
             * window_end field of each input, left_window_end / right_window_end) until the
             * watermark passes window_end - 1 (ltz: window_end is a wall-clock time in
             * table.local-time-zone), then joined on the keys and the residual (over left ++
             * right) and dropped */
            json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:i, s:i, s:b}", "join_type", n->join_kind, "left",
                                  row_json(n->input[0]->row), "right", row_json(n->input[1]->row), "left_keys",
                                  ints_json(n->lkeys, n->nkeys), "right_keys", ints_json(n->rkeys, n->nkeys), "residual",
                                  expr_json(n->residual), "left_window_start", n->wj_start[0], "left_window_end", n->wj_end[0],
                                  "right_window_start", n->wj_start[1], "right_window_end", n->wj_end[1], "ltz", n->window.ltz);
            json_object_set_new(j, "changelog", json_integer((int)n->changelog));
            json_object_set_new(j, "output", row_json(n->row));
            return j;
        }
        if (n->interval) {
            /* interval join: left_lower_ms <= left time - right time <= left_upper_ms (times: the
             * rowtime fields left_time / right_time of each input); residual: the rest of the
             * condition over left ++ right, without the bounds */
            json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:i, s:i, s:o}", "join_type", n->join_kind, "left",
                                  row_json(n->input[0]->row), "right", row_json(n->input[1]->row), "left_keys",
                                  ints_json(n->lkeys, n->nkeys), "right_keys", ints_json(n->rkeys, n->nkeys), "left_lower_ms",
                                  (json_int_t)n->iv_lower_ms, "left_upper_ms", (json_int_t)n->iv_upper_ms, "left_time", n->iv_ltime,
                                  "right_time", n->iv_rtime, "residual", expr_json(n->iv_rest));
            json_object_set_new(j, "changelog", json_integer((int)n->changelog));
            json_object_set_new(j, "output", row_json(n->row));
            return j;
        }
        json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}", "join_type", n->join_kind, "left",
                              row_json(n->input[0]->row), "right", row_json(n->input[1]->row), "left_keys",
                              ints_json(n->lkeys, n->nkeys), "right_keys", ints_json(n->rkeys, n->nkeys), "left_unique",
                              ints_json(n->input[0]->unique, n->input[0]->nunique), "right_unique",
                              ints_json(n->input[1]->unique, n->input[1]->nunique), "residual", expr_json(n->residual),
                              "changelog", (int)n->changelog);
        if (n->null_safe) json_object_set_new(j, "null_safe_keys", json_true()); /* NULL keys match NULL (INTERSECT / EXCEPT) */
        if (n->setop) json_object_set_new(j, "set_all", json_true()); /* INTERSECT ALL / EXCEPT ALL: count copies */
        if (n->ttl_ms[0]) json_object_set_new(j, "left_ttl_ms", json_integer(n->ttl_ms[0]));
        if (n->ttl_ms[1]) json_object_set_new(j, "right_ttl_ms", json_integer(n->ttl_ms[1]));
        json_object_set_new(j, "left_changelog", json_integer((int)n->input[0]->changelog));
        json_object_set_new(j, "right_changelog", json_integer((int)n->input[1]->changelog));
        json_object_set_new(j, "output", row_json(n->row));
        return j;
    }
    case PLAN_AGG: {
        json_t *calls = json_array();
        for (int i = 0; i < n->naggs; i++) {
            const plan_agg_call *ac = &n->aggs[i];
            json_array_append_new(calls, json_pack("{s:s, s:o, s:b, s:b, s:i, s:o}", "fn", ac->fn, "args", ints_json(ac->args, ac->nargs),
                                                   "distinct", ac->distinct, "star", ac->star, "filter", ac->filter, "type",
                                                   type_json(ac->type)));
        }
        json_t *j = json_pack("{s:o, s:i, s:o, s:o, s:i, s:i}", "input", row_json(n->input[0]->row), "group", n->ngroup,
                              "calls", calls, "output", row_json(n->row), "changelog", (int)n->changelog, "input_changelog",
                              (int)n->input[0]->changelog);
        if (n->ttl_ms[0]) json_object_set_new(j, "ttl_ms", json_integer(n->ttl_ms[0])); /* the STATE_TTL hint */
        return j;
    }
    case PLAN_WINDOW_AGG: {
        /* as PLAN_AGG's, plus the window: size_ms is TUMBLE's and HOP's size and CUMULATE's max
         * size, gap_ms SESSION's gap; the output is the keys, the calls, then window_start,
         * window_end (and window_time when "window_time" is true) */
        const plan_window *w = &n->window;
        json_t *calls = json_array(), *keys = json_array();
        for (int i = 0; i < n->naggs; i++) {
            const plan_agg_call *ac = &n->aggs[i];
            json_array_append_new(calls, json_pack("{s:s, s:o, s:b, s:b, s:i, s:o}", "fn", ac->fn, "args", ints_json(ac->args, ac->nargs),
                                                   "distinct", ac->distinct, "star", ac->star, "filter", ac->filter, "type",
                                                   type_json(ac->type)));
        }
        for (int k = 0; k < n->ngroup; k++) json_array_append_new(keys, json_integer(k));
        json_t *win = window_json(w);
        if (w->kind == PLAN_WIN_SESSION) { /* SESSION: the gap instead of sizes (sessions are per group key) */
            json_object_del(win, "size_ms");
            json_object_set_new(win, "gap_ms", json_integer((json_int_t)w->size_ms));
        }
        return json_pack("{s:o, s:i, s:o, s:o, s:o, s:o, s:i, s:i}", "input", row_json(n->input[0]->row), "group", n->ngroup,
                         "group_keys", keys, "calls", calls, "window", win, "output", row_json(n->row), "changelog",
                         (int)n->changelog, "input_changelog", (int)n->input[0]->changelog);
    }
    case PLAN_RANK: {
        /* top-N (Flink's Rank, ROW_NUMBER) or, with "dedup", Deduplicate; "order": sort keys over
         * input fields; the output is the input row, then the row number if "output_rn" */
        json_t *order = json_array();
        for (int k = 0; k < n->norder; k++)
            json_array_append_new(order, json_pack("{s:i, s:b, s:b}", "field", n->order[k], "desc", n->order_desc[k], "nulls_first",
                                                   n->order_nulls_first[k]));
        json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:I, s:b}", "input", row_json(n->input[0]->row), "output", row_json(n->row),
                              "partition", ints_json(n->part, n->npart), "order", order, "rank_end", (json_int_t)n->rank_end,
                              "output_rn", n->output_rn);
        /* "rank_type": ROW_NUMBER (also when absent), RANK or DENSE_RANK */
        json_object_set_new(j, "rank_type", json_string(n->rank_fn == PLAN_RANK_FN      ? "RANK"
                                                        : n->rank_fn == PLAN_DENSE_RANK ? "DENSE_RANK"
                                                                                        : "ROW_NUMBER"));
        json_object_set_new(j, "dedup", json_boolean(n->dedup));
        json_object_set_new(j, "keep_last", json_boolean(n->keep_last));
        json_object_set_new(j, "proctime", json_boolean(n->proctime));
        json_object_set_new(j, "changelog", json_integer((int)n->changelog));
        json_object_set_new(j, "input_changelog", json_integer((int)n->input[0]->changelog));
        if (n->wrank) { /* window top-N / deduplication: "partition" leaves out the window columns,
                         * the window_end field identifies a row's window; the rows go out when the
                         * watermark passes window_end - 1 */
            json_object_set_new(j, "window", window_json(&n->window));
            json_object_set_new(j, "window_start", json_integer(n->wr_start));
            json_object_set_new(j, "window_end", json_integer(n->wr_end));
        }
        return j;
    }
    case PLAN_WINDOW_TVF:
        /* window table function: each input row once per window it is in, with window_start,
         * window_end and window_time appended (the window's time_field is an input field) */
        return json_pack("{s:o, s:o, s:o}", "input", row_json(n->input[0]->row), "window", window_json(&n->window), "output",
                         row_json(n->row));
    case PLAN_VALUES: {
        /* Values: the tuples (constant expressions over no input, each of its column's type),
         * emitted once by a bounded source */
        int w = n->row->nfields;
        json_t *tuples = json_array();
        for (int r = 0; r < n->ntuples; r++) {
            json_t *t = json_array();
            for (int i = 0; i < w; i++) json_array_append_new(t, expr_json(n->exprs[r * w + i]));
            json_array_append_new(tuples, t);
        }
        return json_pack("{s:o, s:o}", "tuples", tuples, "output", row_json(n->row));
    }
    case PLAN_UNION:
        /* UNION ALL: rows of any input go out unchanged; every input has the output's row type
         * (the planner casts inputs to it) */
        return json_pack("{s:i, s:o, s:i}", "inputs", n->ninputs, "output", row_json(n->row), "changelog", (int)n->changelog);
    case PLAN_SINK: {
        json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:i}", "table", n->sink->name, "options", options_json(n->sink), "schema",
                              schema_json(n->sink, NULL), "input", row_json(n->input[0]->row), "changelog", (int)n->changelog);
        /* the table's PRIMARY KEY (column indexes): upsert sinks key their records by it */
        json_t *pk = json_array();
        for (int i = 0; i < n->sink->npk; i++) json_array_append_new(pk, json_integer(n->sink->pk[i]));
        json_object_set_new(j, "primary_key", pk);
        return j;
    }
    }
    return json_null();
}

static const char *op_kind(plan_kind k)
{
    static const char *const names[] = {"source", "calc", "join", "sink", "aggregate", "window_aggregate", "rank", "union",
                                        "window_table_function", "values"};
    return names[k];
}

static jg_vertex *new_vertex(builder *b, int parallelism)
{
    if (b->g->nvertices == b->capv) {
        b->capv = b->capv ? b->capv * 2 : 8;
        b->g->vertices = sl_xrealloc(b->g->vertices, sizeof(jg_vertex) * (size_t)b->capv);
    }
    jg_vertex *v = &b->g->vertices[b->g->nvertices];
    memset(v, 0, sizeof *v);
    v->id = ++b->g->nvertices;
    v->parallelism = parallelism;
    v->max_parallelism = b->opt->max_parallelism;
    return v;
}

static void add_op(builder *b, int vid, const plan_node *n)
{
    jg_vertex *v = &b->g->vertices[vid - 1];
    v->ops = sl_xrealloc(v->ops, sizeof(jg_operator) * (size_t)(v->nops + 1));
    jg_operator *op = &v->ops[v->nops++];
    sl_strbuf d = SL_STRBUF_INIT;
    plan_node_describe(&d, n);
    op->description = sl_strbuf_detach(&d);
    op->kind = sl_xstrdup(n->kind == PLAN_JOIN && n->interval ? "interval_join" : n->kind == PLAN_JOIN && n->wjoin ? "window_join" : op_kind(n->kind));
    op->spec = spec_of(n);
    /* stable id: a hash of the operator's place in the graph and what it does */
    char seed_text[64];
    snprintf(seed_text, sizeof seed_text, "%d/%d/", vid, v->nops);
    uint64_t h1 = sl_hash64_seed(op->description, strlen(op->description), sl_hash64(seed_text, strlen(seed_text)));
    uint64_t h2 = sl_hash64_seed(op->description, strlen(op->description), h1);
    char id[33];
    snprintf(id, sizeof id, "%016" PRIx64 "%016" PRIx64, h1, h2);
    op->id = sl_xstrdup(id);
}

static void add_edge(builder *b, int src, int dst, int input, jg_partitioning p, const int *keys, int nkeys)
{
    if (b->g->nedges == b->cape) {
        b->cape = b->cape ? b->cape * 2 : 8;
        b->g->edges = sl_xrealloc(b->g->edges, sizeof(jg_edge) * (size_t)b->cape);
    }
    jg_edge *e = &b->g->edges[b->g->nedges++];
    e->source = src;
    e->target = dst;
    e->target_input = input;
    e->partitioning = p;
    e->nkeys = nkeys;
    e->keys = nkeys ? sl_xmalloc(sizeof(int) * (size_t)nkeys) : NULL;
    if (nkeys) memcpy(e->keys, keys, sizeof(int) * (size_t)nkeys);
}

static int sink_parallelism(const plan_node *n, int dflt)
{
    for (int i = 0; i < n->sink->nopts; i++)
        if (strcmp(n->sink->opts[i].key, "sink.parallelism") == 0) {
            int p = atoi(n->sink->opts[i].value);
            return p > 0 ? p : dflt;
        }
    return dflt;
}

/* Returns the id of the vertex whose last operator is n. */
static int emit(builder *b, const plan_node *n)
{
    int vid;
    switch (n->kind) {
    case PLAN_SCAN:
        vid = new_vertex(b, b->opt->parallelism)->id;
        add_op(b, vid, n);
        return vid;
    case PLAN_VALUES: /* a source of parallelism 1, as Flink runs Values */
        vid = new_vertex(b, 1)->id;
        add_op(b, vid, n);
        return vid;
    case PLAN_CALC:
    case PLAN_WINDOW_TVF: /* stateless: chained */
        vid = emit(b, n->input[0]);
        add_op(b, vid, n);
        return vid;
    case PLAN_JOIN: {
        int l = emit(b, n->input[0]), r = emit(b, n->input[1]);
        bool keyed = n->nkeys > 0;
        vid = new_vertex(b, keyed ? b->opt->parallelism : 1)->id;
        add_op(b, vid, n);
        add_edge(b, l, vid, 0, keyed ? JG_HASH : JG_GLOBAL, n->lkeys, n->nkeys);
        add_edge(b, r, vid, 1, keyed ? JG_HASH : JG_GLOBAL, n->rkeys, n->nkeys);
        return vid;
    }
    case PLAN_AGG:
    case PLAN_WINDOW_AGG: {
        int in = emit(b, n->input[0]);
        bool keyed = n->ngroup > 0;
        vid = new_vertex(b, keyed ? b->opt->parallelism : 1)->id;
        add_op(b, vid, n);
        int *keys = keyed ? sl_xmalloc(sizeof(int) * (size_t)n->ngroup) : NULL;
        for (int k = 0; k < n->ngroup; k++) keys[k] = k;
        add_edge(b, in, vid, 0, keyed ? JG_HASH : JG_GLOBAL, keys, n->ngroup);
        free(keys);
        return vid;
    }
    case PLAN_RANK: {
        int in = emit(b, n->input[0]);
        bool keyed = n->npart > 0;
        vid = new_vertex(b, keyed ? b->opt->parallelism : 1)->id;
        add_op(b, vid, n);
        add_edge(b, in, vid, 0, keyed ? JG_HASH : JG_GLOBAL, n->part, n->npart);
        return vid;
    }
    case PLAN_UNION: {
        /* a vertex whose head takes every input (input i from the i-th query); the operators
         * above chain onto it */
        int ins[PLAN_MAX_INPUTS];
        for (int i = 0; i < n->ninputs; i++) ins[i] = emit(b, n->input[i]);
        vid = new_vertex(b, b->opt->parallelism)->id;
        add_op(b, vid, n);
        for (int i = 0; i < n->ninputs; i++)
            add_edge(b, ins[i], vid, i, b->g->vertices[ins[i] - 1].parallelism == b->opt->parallelism ? JG_FORWARD : JG_REBALANCE,
                     NULL, 0);
        return vid;
    }
    case PLAN_SINK: {
        int in = emit(b, n->input[0]);
        int p = sink_parallelism(n, b->g->vertices[in - 1].parallelism);
        if (p == b->g->vertices[in - 1].parallelism) {
            add_op(b, in, n);
            return in;
        }
        vid = new_vertex(b, p)->id;
        add_op(b, vid, n);
        add_edge(b, in, vid, 0, JG_REBALANCE, NULL, 0);
        return vid;
    }
    }
    return -1;
}

static void name_vertices(jobgraph *g)
{
    for (int i = 0; i < g->nvertices; i++) {
        jg_vertex *v = &g->vertices[i];
        sl_strbuf sb = SL_STRBUF_INIT;
        for (int k = 0; k < v->nops; k++) {
            const jg_operator *op = &v->ops[k];
            if (k) sl_strbuf_puts(&sb, " -> ");
            const char *table = json_string_value(json_object_get(op->spec, "table"));
            if (strcmp(op->kind, "source") == 0) sl_strbuf_printf(&sb, "Source: %s", table ? table : "?");
            else if (strcmp(op->kind, "sink") == 0) sl_strbuf_printf(&sb, "Sink: %s", table ? table : "?");
            else if (strcmp(op->kind, "join") == 0) sl_strbuf_puts(&sb, "Join");
            else if (strcmp(op->kind, "interval_join") == 0) sl_strbuf_puts(&sb, "IntervalJoin");
            else if (strcmp(op->kind, "window_join") == 0) sl_strbuf_puts(&sb, "WindowJoin");
            else if (strcmp(op->kind, "window_table_function") == 0) sl_strbuf_puts(&sb, "WindowTableFunction");
            else if (strcmp(op->kind, "aggregate") == 0) sl_strbuf_puts(&sb, "GroupAggregate");
            else if (strcmp(op->kind, "union") == 0) sl_strbuf_puts(&sb, "Union");
            else if (strcmp(op->kind, "values") == 0) sl_strbuf_puts(&sb, "Values");
            else if (strcmp(op->kind, "window_aggregate") == 0) sl_strbuf_puts(&sb, "WindowAggregate");
            else if (strcmp(op->kind, "rank") == 0) { /* Rank, Deduplicate, WindowRank, WindowDeduplicate */
                const char *d = op->description, *paren = strchr(d, '(');
                sl_strbuf_printf(&sb, "%.*s", paren ? (int)(paren - d) : (int)strlen(d), d);
            }
            else sl_strbuf_puts(&sb, "Calc");
        }
        v->name = sl_strbuf_detach(&sb);
    }
}

sl_status jg_build(const plan_node *plan, const jg_options *opt, jobgraph **out, sl_error *err)
{
    if (opt->parallelism < 1 || opt->max_parallelism < opt->parallelism) {
        sl_error_set(err, SL_ERR_CONFIG, "Invalid parallelism %d with max parallelism %d", opt->parallelism, opt->max_parallelism);
        sl_error_hint(err, "parallelism.default must be between 1 and pipeline.max-parallelism");
        return SL_ERR_CONFIG;
    }
    builder b = {.g = sl_xcalloc(1, sizeof(jobgraph)), .opt = opt};
    b.g->name = sl_xstrdup(opt->job_name ? opt->job_name : "insert-into");
    emit(&b, plan);
    name_vertices(b.g);
    *out = b.g;
    return SL_OK;
}

void jobgraph_free(jobgraph *g)
{
    if (!g) return;
    for (int i = 0; i < g->nvertices; i++) {
        jg_vertex *v = &g->vertices[i];
        for (int k = 0; k < v->nops; k++) {
            free(v->ops[k].id);
            free(v->ops[k].kind);
            free(v->ops[k].description);
            json_decref(v->ops[k].spec);
        }
        free(v->ops);
        free(v->name);
    }
    for (int i = 0; i < g->nedges; i++) free(g->edges[i].keys);
    free(g->vertices);
    free(g->edges);
    free(g->name);
    free(g);
}

/* ---- JSON --------------------------------------------------------------------------------- */

json_t *jg_to_json(const jobgraph *g)
{
    json_t *vs = json_array(), *es = json_array();
    for (int i = 0; i < g->nvertices; i++) {
        const jg_vertex *v = &g->vertices[i];
        json_t *ops = json_array();
        for (int k = 0; k < v->nops; k++)
            json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:O}", "id", v->ops[k].id, "kind", v->ops[k].kind,
                                                 "description", v->ops[k].description, "spec", v->ops[k].spec));
        json_array_append_new(vs, json_pack("{s:i, s:s, s:i, s:i, s:o}", "id", v->id, "name", v->name, "parallelism",
                                            v->parallelism, "max_parallelism", v->max_parallelism, "operators", ops));
    }
    for (int i = 0; i < g->nedges; i++) {
        const jg_edge *e = &g->edges[i];
        json_array_append_new(es, json_pack("{s:i, s:i, s:i, s:s, s:o}", "source", e->source, "target", e->target,
                                            "target_input", e->target_input, "partitioning", part_names[e->partitioning],
                                            "keys", ints_json(e->keys, e->nkeys)));
    }
    return json_pack("{s:s, s:o, s:o}", "name", g->name, "vertices", vs, "edges", es);
}

static sl_status bad(sl_error *err, const char *path, const char *what)
{
    sl_error_set(err, SL_ERR_INVALID, "Invalid JobGraph JSON at %s: %s", path, what);
    return SL_ERR_INVALID;
}

sl_status jg_from_json(const json_t *j, jobgraph **out, sl_error *err)
{
    json_t *vs, *es;
    const char *name;
    json_error_t je;
    if (json_unpack_ex((json_t *)j, &je, 0, "{s:s, s:o, s:o}", "name", &name, "vertices", &vs, "edges", &es) != 0 ||
        !json_is_array(vs) || !json_is_array(es))
        return bad(err, "$", "expected {\"name\": string, \"vertices\": [...], \"edges\": [...]}");
    jobgraph *g = sl_xcalloc(1, sizeof *g);
    g->name = sl_xstrdup(name);
    g->nvertices = (int)json_array_size(vs);
    g->vertices = sl_xcalloc((size_t)(g->nvertices ? g->nvertices : 1), sizeof(jg_vertex));
    char path[128];
    for (int i = 0; i < g->nvertices; i++) {
        jg_vertex *v = &g->vertices[i];
        json_t *ops;
        const char *vname;
        snprintf(path, sizeof path, "$.vertices[%d]", i);
        if (json_unpack_ex(json_array_get(vs, (size_t)i), &je, 0, "{s:i, s:s, s:i, s:i, s:o}", "id", &v->id, "name", &vname,
                           "parallelism", &v->parallelism, "max_parallelism", &v->max_parallelism, "operators", &ops) != 0 ||
            !json_is_array(ops) || v->parallelism < 1 || v->id != i + 1) {
            g->nvertices = i;
            jobgraph_free(g);
            return bad(err, path, "expected id (= position + 1), name, parallelism >= 1, max_parallelism, operators");
        }
        v->name = sl_xstrdup(vname);
        v->nops = (int)json_array_size(ops);
        v->ops = sl_xcalloc((size_t)(v->nops ? v->nops : 1), sizeof(jg_operator));
        for (int k = 0; k < v->nops; k++) {
            const char *id, *kind, *desc;
            json_t *spec;
            if (json_unpack_ex(json_array_get(ops, (size_t)k), &je, 0, "{s:s, s:s, s:s, s:o}", "id", &id, "kind", &kind,
                               "description", &desc, "spec", &spec) != 0) {
                snprintf(path, sizeof path, "$.vertices[%d].operators[%d]", i, k);
                v->nops = k;
                g->nvertices = i + 1;
                jobgraph_free(g);
                return bad(err, path, "expected id, kind, description and spec");
            }
            v->ops[k] = (jg_operator){sl_xstrdup(id), sl_xstrdup(kind), sl_xstrdup(desc), json_incref(spec)};
        }
    }
    g->nedges = (int)json_array_size(es);
    g->edges = sl_xcalloc((size_t)(g->nedges ? g->nedges : 1), sizeof(jg_edge));
    for (int i = 0; i < g->nedges; i++) {
        jg_edge *e = &g->edges[i];
        const char *part;
        json_t *keys;
        snprintf(path, sizeof path, "$.edges[%d]", i);
        int p = -1;
        if (json_unpack_ex(json_array_get(es, (size_t)i), &je, 0, "{s:i, s:i, s:i, s:s, s:o}", "source", &e->source, "target",
                           &e->target, "target_input", &e->target_input, "partitioning", &part, "keys", &keys) == 0) {
            for (int k = 0; k < 5; k++)
                if (strcmp(part, part_names[k]) == 0) p = k;
        }
        if (p < 0 || !json_is_array(keys) || e->source < 1 || e->source > g->nvertices || e->target < 1 || e->target > g->nvertices) {
            g->nedges = i;
            jobgraph_free(g);
            return bad(err, path, "expected source and target vertex ids, target_input, partitioning "
                                  "(FORWARD, HASH, REBALANCE, BROADCAST, GLOBAL) and keys");
        }
        e->partitioning = (jg_partitioning)p;
        e->nkeys = (int)json_array_size(keys);
        e->keys = e->nkeys ? sl_xmalloc(sizeof(int) * (size_t)e->nkeys) : NULL;
        for (int k = 0; k < e->nkeys; k++) e->keys[k] = (int)json_integer_value(json_array_get(keys, (size_t)k));
    }
    *out = g;
    return SL_OK;
}

/* ---- EXPLAIN ------------------------------------------------------------------------------- */

void jg_explain(sl_strbuf *out, const jobgraph *g)
{
    for (int i = 0; i < g->nvertices; i++) {
        const jg_vertex *v = &g->vertices[i];
        sl_strbuf_printf(out, "Vertex %d: %s (parallelism %d, max parallelism %d)\n", v->id, v->name, v->parallelism,
                         v->max_parallelism);
        for (int k = 0; k < v->nops; k++)
            sl_strbuf_printf(out, "  %s %-6s %s\n", v->ops[k].id, v->ops[k].kind, v->ops[k].description);
    }
    for (int i = 0; i < g->nedges; i++) {
        const jg_edge *e = &g->edges[i];
        const jg_vertex *dst = &g->vertices[e->target - 1];
        if (dst->nops && strcmp(dst->ops[0].kind, "union") == 0)
            sl_strbuf_printf(out, "Edge: vertex %d -> vertex %d (input %d): %s", e->source, e->target, e->target_input,
                             part_names[e->partitioning]);
        else
            sl_strbuf_printf(out, "Edge: vertex %d -> vertex %d (%s input): %s", e->source, e->target,
                             e->target_input ? "right" : "left", part_names[e->partitioning]);
        if (e->nkeys) {
            const jg_vertex *src = &g->vertices[e->source - 1];
            const json_t *spec = src->ops[src->nops - 1].spec;
            json_t *outrow = json_object_get(spec, "output");
            sl_strbuf_putc(out, '[');
            for (int k = 0; k < e->nkeys; k++) {
                const char *fname = json_string_value(json_object_get(json_array_get(outrow, (size_t)e->keys[k]), "name"));
                sl_strbuf_printf(out, "%s%s", k ? ", " : "", fname ? fname : "?");
            }
            sl_strbuf_putc(out, ']');
        }
        sl_strbuf_putc(out, '\n');
    }
}

json_t *jg_expr_json(const plan_expr *e) { return expr_json(e); }
