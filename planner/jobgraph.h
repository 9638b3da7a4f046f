/* planner/jobgraph.h — the JobGraph: what the jobmanager deploys. Vertices are chains of
 * operators that run in one subtask thread; edges say how records move between vertices
 * (FORWARD, HASH on key fields into key groups, REBALANCE, BROADCAST, GLOBAL).
 *
 * Every operator carries a stable id derived from the plan (so a restarted job finds its state)
 * and a JSON spec with everything the runtime needs to build it (tables, projected fields and
 * their types, expressions, join keys). The whole graph serializes to JSON and back without
 * loss (jg_to_json / jg_from_json). */
#ifndef SLUICE_PLANNER_JOBGRAPH_H
#define SLUICE_PLANNER_JOBGRAPH_H

#include <jansson.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "planner/plan.h"

typedef enum jg_partitioning { JG_FORWARD, JG_HASH, JG_REBALANCE, JG_BROADCAST, JG_GLOBAL } jg_partitioning;

typedef struct jg_operator {
    char *id;          /* stable id: 32 hex digits */
    char *kind;        /* "source", "calc", "join", "sink" */
    char *description; /* the EXPLAIN line of the operator */
    json_t *spec;      /* owned */
} jg_operator;

typedef struct jg_vertex {
    int id;
    char *name;
    int parallelism;
    int max_parallelism;
    int nops;
    jg_operator *ops; /* chained: ops[0] receives the vertex's input */
} jg_vertex;

typedef struct jg_edge {
    int source, target;   /* vertex ids */
    int target_input;     /* which input of the target's first operator (0 left, 1 right) */
    jg_partitioning partitioning;
    int nkeys;
    int *keys;            /* HASH: key fields of the source's output row */
} jg_edge;

typedef struct jobgraph {
    char *name;
    int nvertices;
    jg_vertex *vertices;
    int nedges;
    jg_edge *edges;
} jobgraph;

typedef struct jg_options {
    const char *job_name;  /* pipeline.name, or NULL */
    int parallelism;       /* parallelism.default / table.exec.resource.default-parallelism */
    int max_parallelism;   /* pipeline.max-parallelism */
} jg_options;

/* Builds the JobGraph of an optimized plan. The graph owns all its memory (jobgraph_free). */
/* One plan expression as the runtime reads it (runtime/expr.h): {"input": i}, {"literal": ...},
 * {"call": op, "args": [...]}, each with its "type". The planner's constant folding evaluates
 * expressions through it too. */
json_t *jg_expr_json(const plan_expr *e);

sl_status jg_build(const plan_node *plan, const jg_options *opt, jobgraph **out, sl_error *err);
void jobgraph_free(jobgraph *g);

json_t *jg_to_json(const jobgraph *g);
/* Rebuilds a graph from its JSON form; errors name the JSON path that is wrong. */
sl_status jg_from_json(const json_t *j, jobgraph **out, sl_error *err);

/* The "== Job Graph ==" section of EXPLAIN. */
void jg_explain(sl_strbuf *out, const jobgraph *g);

const char *jg_partitioning_name(jg_partitioning p);

#endif
