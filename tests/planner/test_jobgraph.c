/* JobGraph tests: the flagship script's graph (vertices, chaining, HASH edges, parallelism), stable
 * operator ids, a lossless JSON round trip, and errors for malformed JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"
#include "sql/sql.h"
#include "sql/validate.h"

static jobgraph *flagship_graph(int parallelism)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/seed_join.sql", getenv("SLUICE_SOURCE_DIR") ? getenv("SLUICE_SOURCE_DIR") : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    sl_strbuf text = SL_STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sl_strbuf_append(&text, buf, n);
    fclose(f);
    sl_error err;
    sql_script *s = sql_parse("seed_join.sql", text.buf, text.len, &err);
    assert_non_null(s);
    sql_session *session = sql_session_create();
    assert_int_equal(sql_session_validate(session, s, &err), SL_OK);
    sl_arena *a = sl_arena_create(0);
    plan_node *plan;
    assert_int_equal(plan_build(a, session, sql_script_stmt(s, 3), "seed_join.sql", &plan, &err), SL_OK);
    jg_options opt = {"flagship", parallelism, 128};
    jobgraph *g;
    assert_int_equal(jg_build(plan, &opt, &g, &err), SL_OK);
    sl_arena_destroy(a);
    sql_session_destroy(session);
    sl_strbuf_free(&text);
    return g;
}

static void test_flagship_graph(void **state)
{
    (void)state;
    jobgraph *g = flagship_graph(15);
    assert_int_equal(g->nvertices, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(g->vertices[i].parallelism, 15);
    assert_string_equal(g->vertices[0].name, "Source: kafka01 -> Calc");
    assert_string_equal(g->vertices[1].name, "Source: kafka02 -> Calc");
    assert_string_equal(g->vertices[2].name, "Join -> Calc -> Sink: kafka03");
    assert_int_equal(g->nedges, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(g->edges[i].partitioning, JG_HASH);
        assert_int_equal(g->edges[i].target, 3);
        assert_int_equal(g->edges[i].target_input, i);
        assert_int_equal(g->edges[i].nkeys, 1);
    }
    /* left side carries only id: key 0; right side carries name, id: key 1 */
    assert_int_equal(g->edges[0].keys[0], 0);
    assert_int_equal(g->edges[1].keys[0], 1);
    /* operator ids: 32 hex digits, distinct, and the same when the plan is built again */
    jobgraph *again = flagship_graph(15);
    for (int v = 0; v < 3; v++)
        for (int k = 0; k < g->vertices[v].nops; k++) {
            assert_int_equal(strlen(g->vertices[v].ops[k].id), 32);
            assert_string_equal(g->vertices[v].ops[k].id, again->vertices[v].ops[k].id);
            for (int w = 0; w < 3; w++)
                for (int m = 0; m < g->vertices[w].nops; m++)
                    if (w != v || m != k) assert_string_not_equal(g->vertices[v].ops[k].id, g->vertices[w].ops[m].id);
        }
    jobgraph_free(again);
    jobgraph_free(g);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    jobgraph *g = flagship_graph(4);
    json_t *j1 = jg_to_json(g);
    char *s1 = json_dumps(j1, JSON_SORT_KEYS);
    json_error_t je;
    json_t *parsed = json_loads(s1, 0, &je);
    assert_non_null(parsed);
    jobgraph *g2;
    sl_error err;
    assert_int_equal(jg_from_json(parsed, &g2, &err), SL_OK);
    json_t *j2 = jg_to_json(g2);
    char *s2 = json_dumps(j2, JSON_SORT_KEYS);
    assert_string_equal(s1, s2);
    assert_true(json_equal(j1, j2));
    /* the spec carries what the runtime needs: e.g. the join's key fields and input rows */
    json_t *join = json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(j2, "vertices"), 2), "operators"), 0), "spec");
    assert_string_equal(json_string_value(json_object_get(join, "join_type")), "INNER");
    assert_int_equal(json_array_size(json_object_get(join, "left")), 1);
    assert_int_equal(json_array_size(json_object_get(join, "right")), 2);
    free(s1);
    free(s2);
    json_decref(j1);
    json_decref(j2);
    json_decref(parsed);
    jobgraph_free(g2);
    jobgraph_free(g);
}

/* UNION ALL of a view and a CTE over three tables: one Union vertex takes every input (input i on
 * edge i, FORWARD at equal parallelism) and the sink chains onto it; the graph round-trips. */
static void test_union_graph(void **state)
{
    (void)state;
    static const char text[] =
        "CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');\n"
        "CREATE TABLE b (id BIGINT, name STRING) WITH ('connector' = 'datagen');\n"
        "CREATE TABLE c (id INT, name STRING) WITH ('connector' = 'datagen');\n"
        "CREATE TABLE p (id BIGINT, name STRING) WITH ('connector' = 'print');\n"
        "CREATE VIEW va AS SELECT id, name FROM a WHERE id > 0;\n"
        "INSERT INTO p WITH cb AS (SELECT id, name FROM b) SELECT * FROM va UNION ALL SELECT * FROM cb UNION ALL SELECT id, name FROM c;\n";
    sl_error err;
    sql_script *s = sql_parse("union.sql", text, sizeof text - 1, &err);
    assert_non_null(s);
    sql_session *session = sql_session_create();
    assert_int_equal(sql_session_validate(session, s, &err), SL_OK);
    sl_arena *a = sl_arena_create(0);
    plan_node *plan;
    assert_int_equal(plan_build(a, session, sql_script_stmt(s, 5), "union.sql", &plan, &err), SL_OK);
    assert_int_equal(plan->kind, PLAN_SINK);
    assert_int_equal(plan->input[0]->kind, PLAN_UNION);
    assert_int_equal(plan->input[0]->ninputs, 3);
    jg_options opt = {"union", 3, 128};
    jobgraph *g;
    assert_int_equal(jg_build(plan, &opt, &g, &err), SL_OK);
    assert_int_equal(g->nvertices, 4);
    assert_string_equal(g->vertices[3].name, "Union -> Sink: p");
    assert_string_equal(g->vertices[3].ops[0].kind, "union");
    assert_int_equal(g->nedges, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g->edges[i].target, 4);
        assert_int_equal(g->edges[i].target_input, i);
        assert_int_equal(g->edges[i].partitioning, JG_FORWARD);
    }
    json_t *j1 = jg_to_json(g);
    jobgraph *g2;
    assert_int_equal(jg_from_json(j1, &g2, &err), SL_OK);
    json_t *j2 = jg_to_json(g2);
    assert_true(json_equal(j1, j2));
    json_t *spec = json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(j2, "vertices"), 3), "operators"), 0), "spec");
    assert_int_equal(json_integer_value(json_object_get(spec, "inputs")), 3);
    assert_int_equal(json_array_size(json_object_get(spec, "output")), 2);
    json_decref(j1);
    json_decref(j2);
    jobgraph_free(g2);
    jobgraph_free(g);
    sl_arena_destroy(a);
    sql_session_destroy(session);
}

static void expect_bad(const char *text, const char *path)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    jobgraph *g = NULL;
    sl_error err;
    assert_int_equal(jg_from_json(j, &g, &err), SL_ERR_INVALID);
    assert_null(g);
    if (!strstr(err.message, path)) fail_msg("message '%s' lacks '%s'", err.message, path);
    json_decref(j);
}

static void test_malformed_json(void **state)
{
    (void)state;
    expect_bad("{\"name\": \"x\"}", "at $:");
    expect_bad("{\"name\": \"x\", \"vertices\": [{\"id\": 1, \"name\": \"v\", \"parallelism\": 0, \"max_parallelism\": 128, "
               "\"operators\": []}], \"edges\": []}",
               "$.vertices[0]");
    expect_bad("{\"name\": \"x\", \"vertices\": [{\"id\": 1, \"name\": \"v\", \"parallelism\": 1, \"max_parallelism\": 128, "
               "\"operators\": [{\"id\": \"a\"}]}], \"edges\": []}",
               "$.vertices[0].operators[0]");
    expect_bad("{\"name\": \"x\", \"vertices\": [{\"id\": 1, \"name\": \"v\", \"parallelism\": 1, \"max_parallelism\": 128, "
               "\"operators\": []}], \"edges\": [{\"source\": 1, \"target\": 2, \"target_input\": 0, \"partitioning\": "
               "\"HASH\", \"keys\": [0]}]}",
               "$.edges[0]");
    expect_bad("{\"name\": \"x\", \"vertices\": [{\"id\": 1, \"name\": \"v\", \"parallelism\": 1, \"max_parallelism\": 128, "
               "\"operators\": []}], \"edges\": [{\"source\": 1, \"target\": 1, \"target_input\": 0, \"partitioning\": "
               "\"SHUFFLE\", \"keys\": []}]}",
               "$.edges[0]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flagship_graph),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_union_graph),
        cmocka_unit_test(test_malformed_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
