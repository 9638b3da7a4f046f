/* planner/plan.h — logical plans: relational operators over typed rows, built from a validated
 * statement (sql/validate.h) and rewritten by rules (constant folding, predicate pushdown, join-key
 * extraction, projection pruning, Calc merging).
 *
 * Every node's output is a row type (`row`, a SQL ROW type). Expressions refer to fields of their
 * node's input row by position (PX_INPUT); a join's input row is its left input's fields followed
 * by its right input's fields. All memory lives in the arena passed to plan_build(). */
#ifndef SLUICE_PLANNER_PLAN_H
#define SLUICE_PLANNER_PLAN_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "sql/types.h"
#include "sql/validate.h"

typedef enum plan_expr_kind {
    PX_INPUT,   /* field `input` of the input row */
    PX_LITERAL, /* the AST literal `src` */
    PX_CALL     /* operator or function `op` applied to args */
} plan_expr_kind;

typedef struct plan_expr plan_expr;
struct plan_expr {
    plan_expr_kind kind;
    const sql_type *type;
    int input;            /* PX_INPUT */
    const char *op;       /* PX_CALL: "=", "AND", "IS NOT NULL", "CAST", "UPPER", ".name" (field access) ... */
    int nargs;
    plan_expr **args;
    const sql_node *src;  /* the AST node it came from (literals; printing) */
};

typedef enum plan_rank_fn { PLAN_ROW_NUMBER, PLAN_RANK_FN, PLAN_DENSE_RANK } plan_rank_fn;

typedef enum plan_kind {
    PLAN_SCAN,
    PLAN_CALC,
    PLAN_JOIN,
    PLAN_SINK,
    PLAN_AGG,
    PLAN_WINDOW_AGG,
    PLAN_RANK,
    PLAN_UNION,
    PLAN_WINDOW_TVF, /* Flink's WindowTableFunction: the input row, then window_start, window_end, window_time */
    PLAN_VALUES      /* Flink's Values: constant rows (a leaf; insert-only, bounded) */
} plan_kind;

/* Inputs a node can have: a join two, a Union (UNION ALL) up to this many (longer unions nest). */
#define PLAN_MAX_INPUTS 16

/* The window of a WindowAggregate (a window table function: TUMBLE, HOP, CUMULATE). Sizes in ms. */
typedef enum plan_window_kind { PLAN_WIN_TUMBLE, PLAN_WIN_HOP, PLAN_WIN_CUMULATE, PLAN_WIN_SESSION } plan_window_kind;

typedef struct plan_window {
    plan_window_kind kind;
    int time_field;    /* input field holding the time attribute (DESCRIPTOR column) */
    bool proctime;     /* a PROCTIME() attribute: processing-time windows (else event time) */
    bool ltz;          /* the attribute is a TIMESTAMP_LTZ: windows align in table.local-time-zone */
    int64_t size_ms;   /* TUMBLE and HOP: size; CUMULATE: max size */
    int64_t slide_ms;  /* HOP: slide; CUMULATE: step; TUMBLE: 0 */
    int64_t offset_ms; /* the optional offset (0 if none) */
    bool has_offset;
    bool window_time;  /* window_time is an output property too */
    const sql_node *src; /* the window table function (error locations) */
} plan_window;

/* One aggregate call of a GroupAggregate: fn(args) [FILTER (WHERE filter)] over input fields. */
typedef struct plan_agg_call {
    const char *fn;
    int nargs;
    int *args;        /* input field positions */
    bool distinct;
    bool star;        /* COUNT(*) */
    int filter;       /* input field holding the FILTER condition, or -1 */
    const sql_type *type;
} plan_agg_call;

/* Changelog modes, as Flink's: which row kinds an operator may emit. */
enum {
    PLAN_CL_INSERT = 1u << 0,        /* +I */
    PLAN_CL_UPDATE_BEFORE = 1u << 1, /* -U */
    PLAN_CL_UPDATE_AFTER = 1u << 2,  /* +U */
    PLAN_CL_DELETE = 1u << 3,        /* -D */
    PLAN_CL_INSERT_ONLY = PLAN_CL_INSERT,
    PLAN_CL_ALL = 0xf,
};

typedef struct plan_node plan_node;
struct plan_node {
    plan_kind kind;
    plan_node *input[PLAN_MAX_INPUTS]; /* PLAN_UNION: ninputs of them, each with the Union's row type */
    int ninputs;
    const sql_type *row; /* output row */
    unsigned changelog;  /* PLAN_CL_* bits the node may emit */
    int nunique;         /* a unique key of the output (field positions), 0 if none is known */
    int *unique;
    /* PLAN_SCAN: the table and which of its columns it produces, in order; pushed filter */
    const sql_table *table;
    int nfields;
    int *fields;
    plan_expr *filter;   /* over the scan's output row, or NULL */
    plan_expr **computed; /* per table column: a computed column's expression over the table's
                           * non-computed columns (in table order), NULL for other columns */
    plan_expr *watermark; /* the WATERMARK expression over all table columns, or NULL */
    /* PLAN_CALC: projection (exprs over the input row) and condition */
    int nexprs;
    plan_expr **exprs;
    const char **names;  /* output names of the projection */
    plan_expr *cond;     /* NULL = no condition */
    /* PLAN_VALUES: ntuples rows of row->nfields constant expressions each (no input), row-major in
     * exprs (nexprs = ntuples * row->nfields), each of its column's type */
    int ntuples;
    /* PLAN_JOIN */
    const char *join_kind; /* INNER, LEFT, RIGHT, FULL; SEMI, ANTI (see jrow) */
    int nkeys;
    int *lkeys, *rkeys;  /* key fields of the left / right input */
    plan_expr *residual; /* non-equi part of the condition over the join's input row, or NULL */
    int64_t ttl_ms[2];   /* STATE_TTL hint per input (ms), 0 = not given; PLAN_AGG: ttl_ms[0] */
    /* PLAN_JOIN SEMI / ANTI (Flink's LeftSemiJoin / LeftAntiJoin, from IN / EXISTS subqueries in
     * WHERE and from INTERSECT / EXCEPT): the output `row` is the left input's row; jrow is left ++
     * right, the row the keys and the residual refer to. null_safe: the keys match NULL to NULL
     * (IS NOT DISTINCT FROM: INTERSECT / EXCEPT); otherwise a NULL key never matches. */
    const sql_type *jrow;
    bool null_safe;
    /* PLAN_AGG that is INTERSECT / EXCEPT (distinct), over a SEMI / ANTI join: "INTERSECT" /
     * "EXCEPT" (EXPLAIN's Abstract Syntax Tree prints LogicalIntersect / LogicalMinus). PLAN_JOIN
     * (SEMI / ANTI, null_safe on every column) that is INTERSECT ALL / EXCEPT ALL: the same; it
     * emits each row min(left count, right count) times (INTERSECT ALL) or max(left count - right
     * count, 0) times (EXCEPT ALL), tracking both counts per row. */
    const char *setop;
    /* PLAN_JOIN that is an interval join (Flink's IntervalJoin): insert-only inputs whose residual
     * bounds the left rowtime attribute by the right one: iv_lower_ms <= left time - right time <=
     * iv_upper_ms. residual keeps the whole condition (EXPLAIN's where); iv_rest is what remains
     * of it without the bounds (what the runtime evaluates), or NULL. Output is insert-only. */
    bool interval;
    int64_t iv_lower_ms, iv_upper_ms;
    int iv_ltime, iv_rtime; /* the time fields of the left / right input */
    plan_expr *iv_rest;
    /* PLAN_JOIN that is a window join (Flink's WindowJoin): both inputs carry the same windows
     * (window table functions, window aggregates or window joins below, through Calcs) and the
     * condition equates their window_start and window_end. Those two equalities are not among the
     * keys (what is left of them is the HASH key); wj_start / wj_end are the window_start /
     * window_end fields of the left [0] and right [1] input; `window` is the windows' spec. A
     * window's rows are joined once, when the watermark passes its end. Output is insert-only. */
    bool wjoin;
    int wj_start[2], wj_end[2];
    /* PLAN_JOIN, PLAN_WINDOW_TVF: what errors found after building point at (the ON condition,
     * the window table function; the view reference when inlined from another script) */
    const sql_node *src;
    /* PLAN_SINK */
    const sql_table *sink;
    /* PLAN_AGG: group keys are input fields 0..ngroup-1 (a Calc below computes them); output is
     * the group keys followed by one field per aggregate call */
    int ngroup;
    int naggs;
    plan_agg_call *aggs;
    /* PLAN_WINDOW_TVF: `window` over the input row (time_field: an input field); the output is
     * the input row, then window_start, window_end, window_time: one row per window of the row.
     * PLAN_WINDOW_AGG: ngroup/naggs/aggs as PLAN_AGG, and the window; the output is the group keys,
     * one field per aggregate call, then window_start, window_end (and window_time if
     * window.window_time). Insert-only: one row per group and window when the window fires. */
    plan_window window;
    /* PLAN_RANK: top-N by ROW_NUMBER() OVER (PARTITION BY part ORDER BY order) with rn <= rank_end
     * (Flink's Rank), or with `dedup` Flink's Deduplicate (rn = 1 ordered by one time attribute,
     * rn not selected: keep_last when ordered DESC; proctime: a processing-time attribute). The
     * output is the input row, then the row number (BIGINT NOT NULL, "w0$o0") if output_rn. */
    int npart;
    int *part;           /* input fields */
    int norder;
    int *order;          /* input fields */
    bool *order_desc;
    bool *order_nulls_first; /* NULLs sort first (default: ASC first, DESC last, as Flink) */
    int64_t rank_end;
    plan_rank_fn rank_fn; /* ROW_NUMBER, or RANK / DENSE_RANK: ties share a rank and rank_end keeps
                           * every row ranked <= rank_end (never a Deduplicate) */
    bool output_rn;
    bool dedup, keep_last, proctime;
    /* PLAN_RANK that is a window top-N / window deduplication (Flink's WindowRank and
     * WindowDeduplicate): the input carries windows (a window table function or window aggregate
     * below, through Calcs) and the PARTITION BY has its window_start and window_end, which are not
     * among part (what is left is the HASH key); wr_start / wr_end are those input fields and
     * `window` the windows' spec. A window's rows go out once, when the watermark passes its end:
     * insert-only output. */
    bool wrank;
    int wr_start, wr_end;
};

/* Builds the logical plan of an INSERT (or a bare query) and optimizes it. Statements outside the
 * shapes the planner handles yet fail with SL_ERR_UNSUPPORTED naming the feature. */
sl_status plan_build(sl_arena *a, const sql_session *session, const sql_node *stmt, const char *script,
                     plan_node **out, sl_error *err);

/* plan_build, and a copy of the plan as first built from the SQL, before any rewrite rule
 * (EXPLAIN's Abstract Syntax Tree; *ast is set once the statement is built, even if a later check
 * fails). ast may be NULL. */
sl_status plan_build_explain(sl_arena *a, const sql_session *session, const sql_node *stmt, const char *script,
                             plan_node **ast, plan_node **out, sl_error *err);

/* What EXPLAIN says about the state of stateful operators: the keyed state backend
 * (state.backend.type) and table.exec.state.ttl in ms (0 = none). */
typedef struct plan_explain_opts {
    const char *state_backend;
    int64_t state_ttl_ms;
} plan_explain_opts;

/* Prints the optimized plan as an indented tree, sink at the top and scans at the leaves (Flink's
 * EXPLAIN shape): one operator per line with its changelog mode and, with opts, each stateful
 * operator's state=[backend] and stateTtl=[...] (the STATE_TTL hint or opts' TTL; "none"). */
void plan_explain_physical(sl_strbuf *out, const plan_node *root, const plan_explain_opts *opts);

/* plan_explain_physical without state annotations. */
void plan_explain(sl_strbuf *out, const plan_node *root);

/* Prints the plan from plan_build_explain's *ast as Flink's `== Abstract Syntax Tree ==` does:
 * Calcite's logical nodes (LogicalSink, LogicalProject(a=[$0]), LogicalFilter(condition=[...]),
 * LogicalJoin, LogicalAggregate(group=[{0}]), LogicalUnion, LogicalTableFunctionScan,
 * LogicalWatermarkAssigner, LogicalTableScan), fields referred to by input position ($n). */
void plan_explain_ast(sl_strbuf *out, const plan_node *ast);

/* One operator's EXPLAIN line, e.g. "Calc(select=[id], where=[IS NOT NULL(id)])". */
void plan_node_describe(sl_strbuf *out, const plan_node *n);

/* The stateful operators of the plan whose state nothing bounds, as warning lines ("WARNING: ...")
 * naming the key that bounds them; state_ttl_ms is table.exec.state.ttl (0 = keep forever). */
void plan_state_warnings(sl_strbuf *out, const plan_node *root, int64_t state_ttl_ms);

#endif
