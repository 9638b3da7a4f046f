/* Runtime expression tests: expressions are written in SQL, planned by the real planner
 * (parse -> validate -> plan -> JobGraph), the calc operator's JSON expressions are compiled with
 * sl_expr_compile over the calc's input row and evaluated over a fixture row. Results are
 * compared in their print form ("7", "null", "TRUE", "2024-02-29"), errors as
 * "<status>: message (detail)". Semantics are Flink's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"
#include "runtime/expr.h"
#include "runtime/row.h"
#include "runtime/temporal.h"
#include "sql/sql.h"
#include "sql/validate.h"

/* ---- the fixture ----------------------------------------------------------------------------- */

static const char FIXTURE[] =
    "CREATE TABLE t (i INT, j INT, b BIGINT, s STRING, s2 STRING, d DOUBLE, f FLOAT, m DECIMAL(10, 2), dt DATE, "
    "tm TIME(3), ts TIMESTAMP(3), lt TIMESTAMP_LTZ(3), bo BOOLEAN, ti TINYINT, si SMALLINT, bn BYTES, ni INT, nb BOOLEAN, "
    "ns STRING, nd DOUBLE, arr ARRAY<INT>, r ROW<a INT, b STRING>, big DECIMAL(20, 2)) WITH ('connector' = 'datagen');\n";

static int32_t g_ltz;                          /* table.local-time-zone, seconds east of UTC */
static const int64_t NOW = 1709214330123000LL; /* 2024-02-29 13:45:30.123 UTC */
static int g_checks;   /* assertions on values and errors */
static int g_results;  /* expression results compared by EXPECT */
static int g_expects;

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return NOW;
}

/* i = 7, j = 2, b = 10000000000, s = 'Hello World', s2 = 'abc', d = 2.5, f = 1.5, m = 12.34,
 * dt = 2024-02-29, tm = 12:30:45.123, ts = 2024-02-29 13:45:30.123, lt = the same instant (UTC),
 * bo = TRUE, ti = 100, si = 30000, bn = x'0aff'; ni, nb, ns, nd, arr, r, big are NULL. */
static void put_fixture(sl_row_writer *w, int i, const char *name)
{
    if (!strcmp(name, "i")) sl_rw_i64(w, i, 7);
    else if (!strcmp(name, "j")) sl_rw_i64(w, i, 2);
    else if (!strcmp(name, "b")) sl_rw_i64(w, i, 10000000000LL);
    else if (!strcmp(name, "s")) sl_rw_bytes(w, i, "Hello World", 11);
    else if (!strcmp(name, "s2")) sl_rw_bytes(w, i, "abc", 3);
    else if (!strcmp(name, "d")) sl_rw_f64(w, i, 2.5);
    else if (!strcmp(name, "f")) sl_rw_f64(w, i, 1.5);
    else if (!strcmp(name, "m")) sl_rw_i64(w, i, 1234);
    else if (!strcmp(name, "dt")) sl_rw_i64(w, i, sl_days_from_civil(2024, 2, 29));
    else if (!strcmp(name, "tm")) sl_rw_i64(w, i, (12 * 3600 + 30 * 60 + 45) * 1000 + 123);
    else if (!strcmp(name, "ts") || !strcmp(name, "lt")) sl_rw_i64(w, i, NOW);
    else if (!strcmp(name, "bo")) sl_rw_i64(w, i, 1);
    else if (!strcmp(name, "ti")) sl_rw_i64(w, i, 100);
    else if (!strcmp(name, "si")) sl_rw_i64(w, i, 30000);
    else if (!strcmp(name, "bn")) sl_rw_bytes(w, i, "\x0a\xff", 2);
    else sl_rw_null(w, i);
}

/* ---- planning SQL into the calc operator's JSON ----------------------------------------------- */

static json_t *find_calc(json_t *g)
{
    json_t *vs = json_object_get(g, "vertices");
    for (size_t v = 0; v < json_array_size(vs); v++) {
        json_t *ops = json_object_get(json_array_get(vs, v), "operators");
        for (size_t k = 0; k < json_array_size(ops); k++) {
            json_t *op = json_array_get(ops, k);
            if (strcmp(json_string_value(json_object_get(op, "kind")), "calc") == 0) return json_object_get(op, "spec");
        }
    }
    return NULL;
}

/* Plans FIXTURE + query; the JobGraph as JSON (caller decrefs), or NULL with err set. */
static json_t *plan_json(const char *query, sl_error *err)
{
    sl_strbuf text = SL_STRBUF_INIT;
    sl_strbuf_puts(&text, FIXTURE);
    sl_strbuf_puts(&text, query);
    json_t *out = NULL;
    sql_script *s = sql_parse("test.sql", text.buf, text.len, err);
    if (s) {
        sql_session *session = sql_session_create(); /* owns the script */
        if (sql_session_validate(session, s, err) == SL_OK) {
            sl_arena *a = sl_arena_create(0);
            plan_node *plan;
            if (plan_build(a, session, sql_script_stmt(s, 1), "test.sql", &plan, err) == SL_OK) {
                jg_options opt = {"runtime-test", 1, 128};
                jobgraph *g;
                if (jg_build(plan, &opt, &g, err) == SL_OK) {
                    out = jg_to_json(g);
                    jobgraph_free(g);
                }
            }
            sl_arena_destroy(a);
        }
        sql_session_destroy(session);
    }
    sl_strbuf_free(&text);
    return out;
}

/* The calc's input row type ([{name, type}] in the spec). */
static const sql_type *row_type_of(sl_arena *a, const json_t *fields)
{
    sql_type *t = sl_arena_zalloc(a, sizeof *t);
    t->id = SQL_T_ROW;
    t->precision = t->scale = -1;
    t->nfields = (int32_t)json_array_size(fields);
    t->field_names = sl_arena_zalloc(a, sizeof(char *) * (size_t)(t->nfields + 1));
    t->field_types = sl_arena_zalloc(a, sizeof(sql_type *) * (size_t)(t->nfields + 1));
    for (int k = 0; k < t->nfields; k++) {
        const json_t *f = json_array_get(fields, (size_t)k);
        t->field_names[k] = sl_arena_strdup(a, json_string_value(json_object_get(f, "name")));
        t->field_types[k] = sql_type_parse(a, json_string_value(json_object_get(f, "type")));
        assert_non_null(t->field_types[k]);
    }
    return t;
}

static const uint8_t *fixture_row(sl_row_writer *w, const sql_type *in)
{
    sl_rw_begin(w, in->nfields, SL_ROW_INSERT);
    for (int k = 0; k < in->nfields; k++) put_fixture(w, k, in->field_names[k]);
    return sl_rw_finish(w);
}

static void put_error(sl_strbuf *out, const sl_error *err)
{
    sl_strbuf_printf(out, "%s: %s", sl_status_name(err->code), err->message);
    if (err->detail[0]) sl_strbuf_printf(out, " (%s)", err->detail);
}

static void put_value(sl_strbuf *out, const sl_val *v, const sql_type *t)
{
    sl_row_writer w = {0};
    sl_rw_begin(&w, 1, SL_ROW_INSERT);
    sl_val_write(&w, 0, v, t);
    sl_row_format_field(out, sl_rw_finish(&w), 0, t, g_ltz);
    sl_rw_free(&w);
}

/* Evaluates "SELECT <list> FROM t" over the fixture row ("WHERE <cond>" evaluates the calc's
 * condition instead). Each expression gives its print form or its error; ", " between them. */
static char *run_select(const char *list)
{
    char q[8192];
    bool where = strncmp(list, "WHERE ", 6) == 0;
    snprintf(q, sizeof q, where ? "SELECT i FROM t %s;" : "SELECT %s FROM t;", list);
    sl_error err;
    sl_error_clear(&err);
    sl_strbuf out = SL_STRBUF_INIT;
    json_t *g = plan_json(q, &err);
    json_t *calc = g ? find_calc(g) : NULL;
    if (!calc) {
        if (g) sl_strbuf_puts(&out, "(no calc operator)");
        else sl_strbuf_printf(&out, "planner %s", sl_status_name(err.code)), sl_strbuf_printf(&out, ": %s", err.message);
        json_decref(g);
        return sl_strbuf_detach(&out);
    }
    sl_arena *a = sl_arena_create(0);
    const sql_type *in = row_type_of(a, json_object_get(calc, "input"));
    sl_row_writer w = {0};
    const uint8_t *row = fixture_row(&w, in);
    sl_expr_env env = {g_ltz, fixed_now, NULL, 42};
    json_t *exprs = where ? json_pack("[O]", json_object_get(calc, "where")) : json_incref(json_object_get(calc, "select"));
    g_results += (int)json_array_size(exprs);
    for (size_t k = 0; k < json_array_size(exprs); k++) {
        if (k) sl_strbuf_puts(&out, ", ");
        sl_expr *e;
        sl_error_clear(&err);
        if (sl_expr_compile(json_array_get(exprs, k), in, &env, a, &e, &err) != SL_OK) {
            put_error(&out, &err);
            continue;
        }
        sl_val v;
        if (sl_expr_eval(e, row, &v, &err) != SL_OK) put_error(&out, &err);
        else put_value(&out, &v, sl_expr_type(e));
        sl_expr_free(e);
    }
    json_decref(exprs);
    sl_rw_free(&w);
    sl_arena_destroy(a);
    json_decref(g);
    return sl_strbuf_detach(&out);
}

#define EXPECT(list, want) expect_eval(__LINE__, list, want)
static void expect_eval(int line, const char *list, const char *want)
{
    char *got = run_select(list);
    g_expects++;
    if (strcmp(got, want) != 0) {
        print_error("line %d: SELECT %s\n     got: %s\n    want: %s\n", line, list, got, want);
        free(got);
        fail();
    }
    free(got);
}

/* Compiles one SELECT expression for tests that drive the program themselves. */
typedef struct compiled {
    sl_arena *a;
    const sql_type *in;
    sl_expr *e;
} compiled;

static compiled compile_one(const char *expr)
{
    char q[4096];
    snprintf(q, sizeof q, "SELECT %s FROM t;", expr);
    sl_error err;
    json_t *g = plan_json(q, &err);
    if (!g) fail_msg("planning '%s': %s", expr, err.message);
    json_t *calc = find_calc(g);
    assert_non_null(calc);
    compiled c = {sl_arena_create(0), NULL, NULL};
    c.in = row_type_of(c.a, json_object_get(calc, "input"));
    sl_expr_env env = {g_ltz, fixed_now, NULL, 42};
    if (sl_expr_compile(json_array_get(json_object_get(calc, "select"), 0), c.in, &env, c.a, &c.e, &err) != SL_OK)
        fail_msg("compiling '%s': %s", expr, err.message);
    json_decref(g);
    return c;
}

static void compiled_free(compiled *c)
{
    sl_expr_free(c->e);
    sl_arena_destroy(c->a);
}

static int field_of(const sql_type *row, const char *name)
{
    for (int k = 0; k < row->nfields; k++)
        if (strcmp(row->field_names[k], name) == 0) return k;
    fail_msg("no field %s", name);
    return -1;
}

/* ---- plumbing ---------------------------------------------------------------------------------- */

static void test_program_api(void **state)
{
    (void)state;
    /* a whole select list, and the WHERE condition */
    EXPECT("i + 1, s, ni", "8, Hello World, null");
    EXPECT("WHERE j > 3", "FALSE");
    EXPECT("WHERE i > 3 AND s LIKE 'H%'", "TRUE");
    /* a bare input reference: sl_expr_input_ref names the field it reads */
    compiled c = compile_one("s, i + 1");
    assert_int_equal(sl_expr_input_ref(c.e), field_of(c.in, "s"));
    assert_int_equal(sl_expr_type(c.e)->id, SQL_T_VARCHAR);
    compiled_free(&c);
    c = compile_one("i + 1");
    assert_int_equal(sl_expr_input_ref(c.e), -1);
    assert_int_equal(sl_expr_type(c.e)->id, SQL_T_INT);
    compiled_free(&c);
    /* constant expressions evaluate without a row */
    c = compile_one("CONCAT('a', 'b')");
    sl_val v;
    sl_error err;
    assert_int_equal(sl_expr_eval(c.e, NULL, &v, &err), SL_OK);
    assert_false(v.null);
    assert_int_equal(v.s.n, 2);
    assert_memory_equal(v.s.p, "ab", 2);
    compiled_free(&c);
    g_checks += 9;
}

/* sl_val_write puts each physical class into a row */
static void test_val_write(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    const sql_type *ti = sql_type_parse(a, "BIGINT"), *td = sql_type_parse(a, "DOUBLE"), *ts = sql_type_parse(a, "STRING");
    sl_val vi = {.i = -5}, vd = {.d = 0.25}, vs = {.s = {"xyz", 3}}, vn = {.null = true};
    sl_row_writer w = {0};
    sl_rw_begin(&w, 4, SL_ROW_INSERT);
    sl_val_write(&w, 0, &vi, ti);
    sl_val_write(&w, 1, &vd, td);
    sl_val_write(&w, 2, &vs, ts);
    sl_val_write(&w, 3, &vn, ts);
    const uint8_t *r = sl_rw_finish(&w);
    assert_int_equal(sl_row_i64(r, 0), -5);
    assert_true(sl_row_f64(r, 1) == 0.25);
    uint32_t n;
    assert_memory_equal(sl_row_bytes(r, 2, &n), "xyz", 3);
    assert_int_equal(n, 3);
    assert_true(sl_row_is_null(r, 3));
    g_checks += 5;
    sl_rw_free(&w);
    sl_arena_destroy(a);
}

/* One program over many rows: per-record scratch, a failing record in the middle, and the
 * records after it evaluate normally. */
static void test_many_rows(void **state)
{
    (void)state;
    compiled c = compile_one("CONCAT(s2, '-', CAST(i / j AS STRING))");
    int fi = field_of(c.in, "i"), fj = field_of(c.in, "j"), fs = field_of(c.in, "s2");
    sl_row_writer w = {0};
    for (int k = -3; k <= 3; k++) {
        sl_rw_begin(&w, c.in->nfields, SL_ROW_INSERT);
        sl_rw_i64(&w, fi, 100 + k);
        sl_rw_i64(&w, fj, k);
        char name[8];
        int len = snprintf(name, sizeof name, "r%d", k + 3);
        sl_rw_bytes(&w, fs, name, (uint32_t)len);
        const uint8_t *r = sl_rw_finish(&w);
        sl_val v;
        sl_error err;
        sl_status st = sl_expr_eval(c.e, r, &v, &err);
        if (k == 0) {
            assert_int_equal(st, SL_ERR_RUNTIME);
            assert_string_equal(err.message, "Division by zero: 100 / 0");
            assert_string_equal(err.detail, "in i / j");
        } else {
            char want[32];
            snprintf(want, sizeof want, "r%d-%d", k + 3, (100 + k) / k);
            assert_int_equal(st, SL_OK);
            assert_int_equal(v.s.n, strlen(want));
            assert_memory_equal(v.s.p, want, v.s.n);
        }
        g_checks++;
        sl_expr_scratch_reset(c.e);
    }
    /* a NULL divisor is no error: the result is NULL */
    sl_rw_begin(&w, c.in->nfields, SL_ROW_INSERT);
    sl_rw_i64(&w, fi, 1);
    sl_rw_bytes(&w, fs, "x", 1);
    sl_val v;
    sl_error err;
    assert_int_equal(sl_expr_eval(c.e, sl_rw_finish(&w), &v, &err), SL_OK);
    assert_true(v.null);
    g_checks++;
    sl_rw_free(&w);
    compiled_free(&c);
}

/* ---- logic --------------------------------------------------------------------------------------- */

static void test_three_valued_logic(void **state)
{
    (void)state;
    EXPECT("nb AND FALSE, FALSE AND nb, nb AND TRUE, TRUE AND nb, nb AND nb", "FALSE, FALSE, null, null, null");
    EXPECT("nb OR TRUE, TRUE OR nb, nb OR FALSE, FALSE OR nb, nb OR nb", "TRUE, TRUE, null, null, null");
    EXPECT("NOT nb, NOT bo, NOT (i > 5)", "null, FALSE, FALSE");
    EXPECT("i > 5 AND j < 3, i > 5 AND j > 3, i < 5 OR j > 3", "TRUE, FALSE, FALSE");
    /* short-circuit: the right side is not evaluated once the left decides */
    EXPECT("i < 0 AND i / 0 > 1, i > 0 OR i / 0 > 1", "FALSE, TRUE");
    EXPECT("ni > 1 AND i / 0 > 1", "runtime error: Division by zero: 7 / 0 (in i / 0)");
    EXPECT("bo = nb, (i > 5) = TRUE, (ni > 5) = TRUE", "null, TRUE, null");
}

static void test_is_predicates(void **state)
{
    (void)state;
    EXPECT("ni IS NULL, i IS NULL, ni IS NOT NULL, i IS NOT NULL", "TRUE, FALSE, FALSE, TRUE");
    EXPECT("bo IS TRUE, nb IS TRUE, bo IS NOT TRUE, nb IS NOT TRUE", "TRUE, FALSE, FALSE, TRUE");
    EXPECT("bo IS FALSE, nb IS FALSE, nb IS NOT FALSE, (i < 0) IS FALSE", "FALSE, FALSE, TRUE, TRUE");
    EXPECT("nb IS UNKNOWN, bo IS UNKNOWN, nb IS NOT UNKNOWN", "TRUE, FALSE, FALSE");
    EXPECT("ns IS NULL, CAST(NULL AS STRING) IS NULL, NOT nb IS NULL", "TRUE, TRUE, FALSE");
}

/* ---- arithmetic ------------------------------------------------------------------------------------ */

static void test_integer_arithmetic(void **state)
{
    (void)state;
    EXPECT("i + j, i - j, i * j, i / j, i % j, MOD(i, j)", "9, 5, 14, 3, 1, 1");
    EXPECT("-7 / 2, MOD(-7, 2), 7 / -2, MOD(7, -2)", "-3, -1, -3, 1"); /* truncating, as Java */
    /* INT wraps like Java's int */
    EXPECT("2147483647 + i, CAST(2147483647 AS INT) * 2, -i - 2147483647 - 2", "-2147483642, -2, 2147483640");
    EXPECT("CAST(-2147483648 AS INT) / -1, -CAST(-2147483648 AS INT)", "-2147483648, -2147483648");
    /* BIGINT, TINYINT and SMALLINT wrap at their own width */
    EXPECT("b * b, ti + ti, ti * ti, si * CAST(2 AS SMALLINT), si * si, si * 2", "7766279631452241920, -56, 16, -5536, -5888, 60000");
    EXPECT("-ti, -CAST(-128 AS TINYINT), i * i * i * i", "-100, -128, 2401");
    /* a literal too large for INT is a BIGINT */
    EXPECT("-2147483648 - 1, 2147483648 * 2", "-2147483649, 4294967296");
    /* NULL in, NULL out */
    EXPECT("i + ni, ni * 0, i / ni, MOD(ni, 2)", "null, null, null, null");
}

static void test_division_by_zero(void **state)
{
    (void)state;
    EXPECT("i / 0", "runtime error: Division by zero: 7 / 0 (in i / 0)");
    EXPECT("(i + 1) / (j - 2)", "runtime error: Division by zero: 8 / 0 (in (i + 1) / (j - 2))");
    EXPECT("b / 0", "runtime error: Division by zero: 10000000000 / 0 (in b / 0)");
    EXPECT("MOD(i, j - 2)", "runtime error: Division by zero: MOD(7, 0) (in MOD(i, j - 2))");
    EXPECT("i % 0", "runtime error: Division by zero: MOD(7, 0) (in i % 0)");
    EXPECT("m / 0.00, m / 1.00", "runtime error: Division by zero: DECIMAL division by 0 (in m / 0.00), 12.340000");
    EXPECT("0.0 / 0", "runtime error: Division by zero: DECIMAL division by 0 (in 0.0 / 0)");
    /* DOUBLE follows IEEE */
    EXPECT("d / 0, -d / 0, d / 0.0, d * 0 / 0", "Infinity, -Infinity, Infinity, NaN");
}

/* MAP values: the constructor (a repeated key keeps its last value), element access (NULL when
 * the key is absent or the map NULL), CARDINALITY, equality in any order, CAST to STRING. */
static void test_map_values(void **state)
{
    (void)state;
    EXPECT("MAP['a', i, 'b', j, 'a', 9]", "{a=9, b=2}");
    EXPECT("MAP['a', i, 'b', j]['b'], MAP['a', i]['zz'], MAP['a', ni]['a'], MAP[s2, i][s2]", "2, null, null, 7");
    EXPECT("MAP[1, 'one', 2, 'two'][j], MAP[1.5, s][d - 1]", "two, Hello World");
    EXPECT("CARDINALITY(MAP['x', 1, 'y', ni]), CARDINALITY(MAP['x', 1, 'x', 2])", "2, 1");
    EXPECT("MAP['a', 1, 'b', 2] = MAP['b', 2, 'a', 1], MAP['a', 1] = MAP['a', 2], MAP['a', 1] <> MAP['a', 1, 'b', 2]", "TRUE, FALSE, TRUE");
    EXPECT("CAST(MAP['k', i, 'n', ni] AS STRING), CAST(MAP['b', bn] AS STRING) IS NOT NULL", "{k=7, n=null}, TRUE");
    EXPECT("MAP['h', bn], MAP['t', ts]", "{h=x'0aff'}, {t=2024-02-29 13:45:30.123}");
    EXPECT("MAP['a', i]['a'] + 1, MAP['a', s]['a'] IS NULL", "8, FALSE");
    EXPECT("MAP['a', i] = MAP['a', CAST(i AS BIGINT)], MAP['a', j] = MAP['a', b]", "TRUE, FALSE");
    EXPECT("CAST(MAP['a', i] AS MAP<STRING, BIGINT>)['a'] + b", "10000000007");
    EXPECT("MAP['a', i] = MAP[1, i]", "planner validation error: Cannot apply '=' to arguments of type '<MAP<CHAR(1) NOT NULL, INT> NOT "
                                      "NULL> = <MAP<INT NOT NULL, INT> NOT NULL>'");
    EXPECT("COALESCE(MAP['a', ni], MAP['b', 2]), IF(bo, MAP['a', 1], MAP['b', 2])", "{a=null}, {a=1}");
    EXPECT("MAP['a', i] IN (MAP['a', 7], MAP['b', 1])", "not supported: IN on a MAP value is not supported by the Sluice runtime yet");
}

static void test_decimal_arithmetic(void **state)
{
    (void)state;
    EXPECT("m + 1, m - 0.345, m * CAST(2 AS TINYINT), 1.5 + 2.25, -m", "13.34, 11.995, 24.68, 3.75, -12.34");
    EXPECT("i / 2.0, 1.0 / 3, 2.0 / 3, m / CAST(3 AS TINYINT)", "3.500000, 0.333333333333, 0.666666666667, 4.113333"); /* Flink's scales */
    EXPECT("MOD(10.5, 3), MOD(-10.5, 3)", "1.5, -1.5");
    EXPECT("m > 12, m = 12.340, m < 12.34, m IN (12.34, 1)", "TRUE, TRUE, FALSE, TRUE");
    /* a DECIMAL that does not fit its precision is NULL */
    EXPECT("CAST(1000 AS DECIMAL(3, 1)), CAST(999.95 AS DECIMAL(4, 1)), CAST(99.94 AS DECIMAL(3, 1))", "null, null, 99.9");
    EXPECT("CAST(m AS DECIMAL(2, 1)), CAST(m AS DECIMAL(3, 1)), CAST(-m AS DECIMAL(4, 3)), CAST(-m AS DECIMAL(5, 3))", "null, 12.3, null, -12.340");
    EXPECT("CAST(12.345 AS DECIMAL(4, 2)), CAST(-12.345 AS DECIMAL(4, 2)), CAST(0.005 AS DECIMAL(3, 2))", "12.35, -12.35, 0.01");
    /* more than 18 digits is not supported: the error names the type */
    EXPECT("m * m", "not supported: values of type DECIMAL(21, 4) are not supported by the Sluice runtime yet");
    EXPECT("big", "not supported: values of type DECIMAL(20, 2) are not supported by the Sluice runtime yet");
    EXPECT("CAST(i AS DECIMAL(38, 10))", "not supported: values of type DECIMAL(38, 10) are not supported by the Sluice runtime yet");
}

static void test_double_arithmetic(void **state)
{
    (void)state;
    EXPECT("d + 1, d * f, d - 3, d / 2, f + f", "3.5, 3.75, -0.5, 1.25, 3.0");
    EXPECT("CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE), 1e308 * 10, -1e308 * 10", "0.30000000000000004, Infinity, -Infinity");
    EXPECT("i + d, b + d, m + d", "9.5, 1.00000000025E10, 14.84");
    EXPECT("CAST(1.1 AS FLOAT), CAST(CAST(1.1 AS FLOAT) AS DOUBLE), CAST(1.1 AS FLOAT) * 3", "1.1, 1.100000023841858, 3.3000002");
}

/* ---- comparisons ------------------------------------------------------------------------------------- */

static void test_comparisons_across_types(void **state)
{
    (void)state;
    EXPECT("i = 7.0, i = b, i < d, j < d, ti > si, ti < b", "TRUE, FALSE, FALSE, TRUE, FALSE, TRUE");
    EXPECT("d = 2.5, f = 1.5, f < d, m > i, m < d * 10, b = 10000000000.00", "TRUE, TRUE, TRUE, TRUE, TRUE, TRUE");
    EXPECT("i <> j, i >= 7, i <= 6, i > ni, d > nd", "TRUE, TRUE, FALSE, null, null");
    EXPECT("CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE) = 0.3", "FALSE");
    /* NaN is unordered, as Java's double comparisons */
    EXPECT("CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE), CAST('NaN' AS DOUBLE) <> CAST('NaN' AS DOUBLE)", "FALSE, TRUE");
    EXPECT("CAST('NaN' AS DOUBLE) > 1, CAST('NaN' AS DOUBLE) < 1, CAST('NaN' AS DOUBLE) IN (1e0, CAST('NaN' AS DOUBLE))",
           "FALSE, FALSE, FALSE");
    EXPECT("s2 < 'abd', s2 = 'abc', s2 > 'ab', s2 < 'b', 'B' < 'a', s2 <> ns", "TRUE, TRUE, TRUE, TRUE, TRUE, null");
    EXPECT("dt > DATE '2024-01-01', dt = DATE '2024-02-29', ts < TIMESTAMP '2024-03-01 00:00:00', tm > TIME '12:00:00'",
           "TRUE, TRUE, TRUE, TRUE");
}

static void test_in_and_between(void **state)
{
    (void)state;
    EXPECT("i IN (1, 7, 9), i IN (1, 2), i NOT IN (1, 2), i NOT IN (7)", "TRUE, FALSE, TRUE, FALSE");
    /* a NULL in the list: TRUE when found, otherwise unknown */
    EXPECT("i IN (1, 7, ni), i IN (1, 2, ni), i NOT IN (1, 2, ni), ni IN (1, 2)", "TRUE, null, null, null");
    EXPECT("i IN (7.0, 8.5), s2 IN ('abc', 'x'), dt IN (DATE '2024-02-29'), 'b' IN (ns, 'b')", "TRUE, TRUE, TRUE, TRUE");
    EXPECT("i BETWEEN 1 AND 10, i BETWEEN 10 AND 1, i NOT BETWEEN 1 AND 5, i BETWEEN 7 AND 7", "TRUE, FALSE, TRUE, TRUE");
    EXPECT("i BETWEEN ni AND 5, i BETWEEN ni AND 10, ni BETWEEN 1 AND 2", "FALSE, null, null");
    EXPECT("b BETWEEN i AND 1e11, s2 BETWEEN 'a' AND 'b', d BETWEEN 2 AND 3", "TRUE, TRUE, TRUE");
}

/* ---- conditional --------------------------------------------------------------------------------------- */

static void test_case(void **state)
{
    (void)state;
    /* searched */
    EXPECT("CASE WHEN i > 5 THEN 'big' WHEN i > 2 THEN 'mid' ELSE 'small' END", "big");
    EXPECT("CASE WHEN i > 50 THEN 'big' WHEN i > 2 THEN 'mid' ELSE 'small' END", "mid");
    EXPECT("CASE WHEN i > 50 THEN 'big' END, CASE WHEN nb THEN 1 ELSE 2 END", "null, 2");
    EXPECT("CASE WHEN NULL THEN 1 ELSE 2 END, CASE WHEN NULL THEN 1 WHEN TRUE THEN 3 ELSE 2 END", "2, 3");
    EXPECT("CASE WHEN i > 5 THEN TRUE ELSE FALSE END, CASE WHEN i > 5 THEN 1 ELSE 2.5 END", "TRUE, 1.0");
    EXPECT("CASE WHEN bo THEN NULL ELSE 'x' END, CASE WHEN bo THEN nb ELSE FALSE END, CASE WHEN nb THEN 1 WHEN bo THEN 2 END",
           "null, null, 2");
    /* simple */
    EXPECT("CASE i WHEN 1 THEN 'one' WHEN 7 THEN 'seven' ELSE 'other' END", "seven");
    EXPECT("CASE ni WHEN 1 THEN 'one' ELSE 'other' END, CASE s2 WHEN 'abc' THEN 1 ELSE 2 END", "other, 1");
    EXPECT("CASE bo WHEN TRUE THEN 'yes' ELSE 'no' END, CASE nb WHEN TRUE THEN 'yes' ELSE 'no' END", "yes, no");
    EXPECT("CASE i WHEN 7.0 THEN 'seven' END, CASE dt WHEN DATE '2024-02-29' THEN 'leap' END", "seven, leap");
    /* a simple CASE over a BOOLEAN with BOOLEAN results (the planner sends the searched form) */
    EXPECT("CASE bo WHEN TRUE THEN FALSE ELSE TRUE END, CASE bo WHEN FALSE THEN TRUE END", "FALSE, null");
    EXPECT("CASE NULL WHEN 1 THEN 'a' ELSE 'b' END, CASE nb WHEN NULL THEN 'n' ELSE 'x' END, CASE i WHEN 7 THEN NULL ELSE 'x' END",
           "b, x, null");
    /* long lists: a 45-branch CASE and a 70-value IN are not cut short */
    EXPECT("CASE WHEN i = 1 THEN 'w1' WHEN i = 2 THEN 'w2' WHEN i = 3 THEN 'w3' WHEN i = 4 THEN 'w4' WHEN i = 5 THEN 'w5' WHEN i = 6 THEN 'w6' WHEN i = 7 THEN 'w7' WHEN i = 8 THEN 'w8' WHEN i = 9 THEN 'w9' WHEN i = 10 THEN 'w10' WHEN i = 11 THEN 'w11' WHEN i = 12 THEN 'w12' WHEN i = 13 THEN 'w13' WHEN i = 14 THEN 'w14' WHEN i = 15 THEN 'w15' WHEN i = 16 THEN 'w16' WHEN i = 17 THEN 'w17' WHEN i = 18 THEN 'w18' WHEN i = 19 THEN 'w19' WHEN i = 20 THEN 'w20' WHEN i = 21 THEN 'w21' WHEN i = 22 THEN 'w22' WHEN i = 23 THEN 'w23' WHEN i = 24 THEN 'w24' WHEN i = 25 THEN 'w25' WHEN i = 26 THEN 'w26' WHEN i = 27 THEN 'w27' WHEN i = 28 THEN 'w28' WHEN i = 29 THEN 'w29' WHEN i = 30 THEN 'w30' WHEN i = 31 THEN 'w31' WHEN i = 32 THEN 'w32' WHEN i = 33 THEN 'w33' WHEN i = 34 THEN 'w34' WHEN i = 35 THEN 'w35' WHEN i = 36 THEN 'w36' WHEN i = 37 THEN 'w37' WHEN i = 38 THEN 'w38' WHEN i = 39 THEN 'w39' WHEN i = 40 THEN 'w40' WHEN i = 41 THEN 'w41' WHEN i = 42 THEN 'w42' WHEN i = 43 THEN 'w43' WHEN i = 44 THEN 'w44' WHEN i = 45 THEN 'w45' END, i IN (100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169), i + 100 IN (100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169)", "w7, FALSE, TRUE");
    /* only the chosen branch is evaluated */
    EXPECT("CASE WHEN j = 2 THEN i ELSE i / 0 END", "7");
}

static void test_coalesce_if_nullif(void **state)
{
    (void)state;
    EXPECT("COALESCE(ni, j, 5), COALESCE(ns, 'dflt'), COALESCE(ni, 1.5), COALESCE(ni, ni)", "2, dflt, 1.5, null");
    EXPECT("COALESCE(ns, ns, s2), IFNULL(ni, 3), IFNULL(i, 3)", "abc, 3, 7");
    EXPECT("COALESCE(i, i / 0)", "7"); /* lazy */
    EXPECT("IF(i > 5, 'y', 'n'), IF(nb, 'y', 'n'), IF(i > 5, 1, 2.5), IF(bo, i, ni)", "y, n, 1.0, 7");
    EXPECT("IF(i < 5, i / 0, 0)", "0");
    EXPECT("NULLIF(i, 7), NULLIF(i, 8), NULLIF(ni, 8), NULLIF(i, 7.0)", "null, 7, null, null");
    EXPECT("NULLIF(s2, 'abc'), NULLIF(s2, ns), NULLIF(ns, 'a')", "null, abc, null");
}

/* ---- strings ------------------------------------------------------------------------------------------ */

static void test_substring_and_trim(void **state)
{
    (void)state;
    /* 1-based; a negative start counts from the end */
    EXPECT("SUBSTRING(s, 1, 5), SUBSTRING(s, 7), SUBSTRING(s FROM 2 FOR 3), SUBSTR(s, 3, 2)", "Hello, World, ell, ll");
    EXPECT("SUBSTRING(s, 0, 3), SUBSTRING(s, -5, 3), SUBSTRING(s, -5)", "Hel, Wor, World");
    /* out of range: empty; a negative length: NULL (Flink's substringSQL) */
    EXPECT("SUBSTRING(s, 20), SUBSTRING(s, -20, 3), SUBSTRING(s, 2, 0), SUBSTRING(s, 2, -1)", ", , , null");
    EXPECT("SUBSTRING('héllo', 2, 2), SUBSTRING(ns, 1), SUBSTRING(s, ni)", "él, null, null");
    EXPECT("LEFT(s, 3), RIGHT(s, 5), LEFT(s, -1), RIGHT(s, 50)", "Hel, World, , Hello World");
    EXPECT("TRIM('  ab  ') || '|', TRIM(LEADING FROM '  ab  ') || '|', TRIM(TRAILING FROM '  ab  ') || '|'", "ab|, ab  |,   ab|");
    EXPECT("TRIM(BOTH 'x' FROM 'xxabxx'), TRIM(LEADING 'x' FROM 'xxabxx'), TRIM(TRAILING 'x' FROM 'xxabxx')", "ab, abxx, xxab");
    EXPECT("LTRIM('  ab ') || '|', RTRIM('  ab ') || '|', CHAR_LENGTH(TRIM('  ab  ')), TRIM(ns)", "ab |,   ab|, 2, null");
    /* the characters to trim are code points, not bytes */
    EXPECT("TRIM(BOTH 'éa' FROM 'éaxé'), TRIM(TRAILING 'é' FROM 'x©'), TRIM(BOTH 'xy' FROM 'yxzyx')", "x, x©, z");
}

static void test_concat_pad_replace(void **state)
{
    (void)state;
    EXPECT("CONCAT(s, '!', s2), s || '!', s2 || CAST(i AS STRING), CONCAT(s2, CAST(d AS STRING))", "Hello World!abc, Hello World!, abc7, abc2.5");
    /* CONCAT with a NULL is NULL; CONCAT_WS skips NULLs (not empty strings), NULL separator: NULL */
    EXPECT("CONCAT(s, ns), s || ns", "null, null");
    EXPECT("CONCAT_WS('-', s2, ns, 'x'), CONCAT_WS(ns, s2, 'x'), CONCAT_WS('-', ns), CONCAT_WS('-', '', s2)", "abc-x, null, , -abc");
    EXPECT("LPAD(s2, 6, 'xy'), RPAD(s2, 6, 'xy'), LPAD(s2, 2, 'x'), RPAD(s2, 3, 'x'), LPAD(s2, 0, 'x')", "xyxabc, abcxyx, ab, abc, ");
    EXPECT("LPAD(s2, -1, 'x'), LPAD(s2, 5, ''), LPAD(s2, 2, ''), RPAD(ns, 3, 'x')", "null, null, null, null");
    EXPECT("LPAD('é', 3, 'ü'), RPAD('é', 4, 'ab')", "üüé, éaba");
    EXPECT("REPLACE(s, 'o', '0'), REPLACE(s, 'l', ''), REPLACE(s, 'World', 'There'), REPLACE(s, 'zz', 'y')",
           "Hell0 W0rld, Heo Word, Hello There, Hello World");
    EXPECT("REPLACE(s, ns, 'x'), REPLACE('aaa', 'aa', 'b')", "null, ba");
}

static void test_position_split_regexp(void **state)
{
    (void)state;
    EXPECT("POSITION('World' IN s), POSITION('x' IN s), POSITION('' IN s), POSITION('l' IN 'héllo')", "7, 0, 1, 3");
    EXPECT("POSITION(ns IN s)", "null");
    EXPECT("SPLIT_INDEX('a,b,c', ',', 0), SPLIT_INDEX('a,b,c', ',', 2), SPLIT_INDEX('a,b,c', ',', 3)", "a, c, null");
    EXPECT("SPLIT_INDEX('a,b,c', ',', -1), SPLIT_INDEX('a,,c', ',', 1) || '|', SPLIT_INDEX('a::b', '::', 1)", "null, |, b");
    /* an empty string has no parts; an empty delimiter splits at spaces (Flink) */
    EXPECT("SPLIT_INDEX('', ',', 0), SPLIT_INDEX('a b', '', 1), SPLIT_INDEX(s, ' ', 0)", "null, b, Hello");
    EXPECT("REGEXP_EXTRACT('foo123bar', '([a-z]+)([0-9]+)', 2), REGEXP_EXTRACT('foo123bar', '[0-9]+', 0)", "123, 123");
    EXPECT("REGEXP_EXTRACT('foo', '([0-9]+)', 1), REGEXP_EXTRACT('foo1', '([a-z]+)', 5), REGEXP_EXTRACT(ns, 'a')", "null, null, null");
    EXPECT("REGEXP_EXTRACT('ab12cd', '\\d+', 0), REGEXP_EXTRACT('k=v', '(\\w)=(\\w)', 2)", "12, v");
    EXPECT("REGEXP_REPLACE('a1b22c', '[0-9]+', '#'), REGEXP_REPLACE(s, 'o', ''), REGEXP_REPLACE('abc', 'x*', '-')",
           "a#b#c, Hell Wrld, -a-b-c-");
    /* empty matches as Java's replaceAll */
    EXPECT("REGEXP_REPLACE('aaa', 'a*', '-'), REGEXP_REPLACE('abc', '$', '-'), REGEXP_REPLACE('abc', 'c*', '-'), REGEXP_REPLACE('', 'x*', '-')",
           "--, abc-, -a-b--, -");
    EXPECT("REGEXP_EXTRACT(s, '(', 1)", "invalid input: REGEXP_EXTRACT: invalid regular expression '('");
}

static void test_like(void **state)
{
    (void)state;
    EXPECT("s LIKE 'Hello%', s LIKE '%World', s LIKE 'H_llo%', s LIKE 'h%', s LIKE '%o%o%'", "TRUE, TRUE, TRUE, FALSE, TRUE");
    EXPECT("s NOT LIKE '%x%', s NOT LIKE 'H%', 'abc' LIKE 'abc%%', 'abc' LIKE '_b_', 'abc' LIKE '__'", "TRUE, FALSE, TRUE, TRUE, FALSE");
    EXPECT("'héllo' LIKE 'h_llo', '' LIKE '%', ns LIKE '%', s LIKE ns", "TRUE, TRUE, null, null");
    EXPECT("'50%' LIKE '50!%' ESCAPE '!', '50x' LIKE '50!%' ESCAPE '!', 'a_b' LIKE 'a\\_b' ESCAPE '\\'", "TRUE, FALSE, TRUE");
    EXPECT("'axb' LIKE 'a\\_b' ESCAPE '\\', 'a%b%' LIKE '%!%' ESCAPE '!'", "FALSE, TRUE");
}

static void test_case_and_length(void **state)
{
    (void)state;
    EXPECT("UPPER(s), LOWER(s), UPPER(ns), CHAR_LENGTH(s), CHARACTER_LENGTH(s2)", "HELLO WORLD, hello world, null, 11, 3");
    EXPECT("CHAR_LENGTH('héllo'), CHAR_LENGTH(''), CHAR_LENGTH(ns)", "5, 0, null");
}

/* ---- numeric functions ---------------------------------------------------------------------------------- */

static void test_numeric_functions(void **state)
{
    (void)state;
    EXPECT("ABS(-i), ABS(-2.5), ABS(-d), ABS(ti), ABS(ni)", "7, 2.5, 2.5, 100, null");
    EXPECT("ABS(CAST(-2147483648 AS INT)), ABS(CAST(-128 AS TINYINT)), ABS(-2147483648)", "-2147483648, -128, 2147483648");
    EXPECT("POWER(2, 10), POWER(i, 0.5), SQRT(16), SQRT(-1), SQRT(d)", "1024.0, 2.6457513110645907, 4.0, NaN, 1.5811388300841898");
    EXPECT("LN(EXP(1)), LOG10(1000), EXP(0), LN(0), LN(i)", "1.0, 3.0, 1.0, -Infinity, 1.9459101490553132");
    EXPECT("MOD(b, 3), MOD(i, j), MOD(-i, j)", "1, 1, -1");
    EXPECT("FLOOR(d), CEIL(d), FLOOR(-d), CEILING(-d), CEIL(i)", "2.0, 3.0, -3.0, -2.0, 7");
    /* DECIMAL results are compared by value: the planner keeps the argument's scale for FLOOR / CEIL /
     * ROUND / TRUNCATE where Flink narrows it (FLOOR(DECIMAL(10, 2)) is DECIMAL(10, 0) in Flink) */
    EXPECT("FLOOR(m) = 12, CEIL(m) = 13, FLOOR(-m) = -13, CEIL(-m) = -12, FLOOR(-2.5) = -3, CEIL(ni)", "TRUE, TRUE, TRUE, TRUE, TRUE, null");
    EXPECT("RAND(1) >= 0 AND RAND(1) < 1", "TRUE");
}

static void test_round(void **state)
{
    (void)state;
    /* exact numbers round half up (away from zero) */
    EXPECT("ROUND(i, -1), ROUND(125, -1), ROUND(-125, -1), ROUND(i), ROUND(b, -3)", "10, 130, -130, 7, 10000000000");
    EXPECT("ROUND(m, 1) = 12.3, ROUND(-m, 1) = -12.3, ROUND(12.35, 1) = 12.4, ROUND(-12.35, 1) = -12.4, ROUND(m, 5) = m", "TRUE, TRUE, TRUE, TRUE, TRUE");
    EXPECT("ROUND(CAST(125 AS TINYINT), -1)", "-126"); /* 130 as a TINYINT, as Java's (byte) */
    EXPECT("TRUNCATE(3.789, 1) = 3.7, TRUNCATE(-3.789, 1) = -3.7, TRUNCATE(i, -1), TRUNCATE(m, 1) = 12.3", "TRUE, TRUE, 0, TRUE");
    /* DOUBLE rounds its decimal digits (Double.toString's), as Flink does through BigDecimal */
    EXPECT("ROUND(CAST(1.005 AS DOUBLE), 2), ROUND(CAST(0.285 AS DOUBLE), 2), ROUND(CAST(2.675 AS DOUBLE), 2)", "1.01, 0.29, 2.68");
    EXPECT("ROUND(d), ROUND(-d), ROUND(1234.5e0, -2), ROUND(-0.4e0), ROUND(nd)", "3.0, -3.0, 1200.0, 0.0, null");
    EXPECT("ROUND(1e300, 2), ROUND(CAST(1.005 AS DOUBLE), 400), ROUND(123.456e0, -400), ROUND(CAST(1.25 AS FLOAT), 1)",
           "1.0E300, 1.005, 0.0, 1.3");
    EXPECT("TRUNCATE(CAST(-3.789 AS DOUBLE), 1), TRUNCATE(d), TRUNCATE(CAST(0.29 AS DOUBLE), 2)", "-3.7, 2.0, 0.29");
}

/* ---- CAST ------------------------------------------------------------------------------------------------ */

static void test_cast_to_string(void **state)
{
    (void)state;
    EXPECT("CAST(i AS STRING), CAST(b AS STRING), CAST(ti AS STRING), CAST(-i AS STRING)", "7, 10000000000, 100, -7");
    EXPECT("CAST(bo AS STRING), CAST(NOT bo AS STRING), CAST(nb AS STRING)", "TRUE, FALSE, null");
    EXPECT("CAST(d AS STRING), CAST(f AS STRING), CAST(1e7 AS STRING), CAST(1e-5 AS STRING), CAST(100e0 AS STRING)",
           "2.5, 1.5, 1.0E7, 1.0E-5, 100.0");
    EXPECT("CAST(CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE) AS STRING), CAST(1.2345E-5 AS STRING), CAST(-0.001e0 AS STRING)",
           "0.30000000000000004, 1.2345E-5, -0.001");
    EXPECT("CAST(CAST(1.1 AS FLOAT) AS STRING), CAST(CAST('NaN' AS DOUBLE) AS STRING), CAST(d / 0 AS STRING)", "1.1, NaN, Infinity");
    EXPECT("CAST(m AS STRING), CAST(-m AS STRING), CAST(0.05 AS STRING), CAST(CAST(5 AS DECIMAL(5, 3)) AS STRING)",
           "12.34, -12.34, 0.05, 5.000");
    EXPECT("CAST(dt AS STRING), CAST(tm AS STRING), CAST(ts AS STRING), CAST(lt AS STRING)",
           "2024-02-29, 12:30:45.123, 2024-02-29 13:45:30.123, 2024-02-29 13:45:30.123");
    EXPECT("CAST(CAST(ts AS TIMESTAMP(0)) AS STRING), CAST(CAST(tm AS TIME(0)) AS STRING), CAST(DATE '0001-01-01' AS STRING)",
           "2024-02-29 13:45:30, 12:30:45, 0001-01-01");
    EXPECT("CAST(INTERVAL '1-2' YEAR TO MONTH AS STRING), CAST(INTERVAL '3 04:05:06' DAY TO SECOND AS STRING)",
           "+1-02, +3 04:05:06.000");
    EXPECT("CAST(INTERVAL '90' MINUTE AS STRING), CAST(-INTERVAL '1' DAY AS STRING)", "+0 01:30:00.000, -1 00:00:00.000");
    EXPECT("CAST(s AS VARCHAR(5)), CAST(s AS CHAR(3)), CAST('héllo' AS VARCHAR(2)), CAST(12345 AS VARCHAR(3))", "Hello, Hel, hé, 123");
    EXPECT("CAST(CAST(s2 AS BYTES) AS STRING), CAST(CAST('é' AS BYTES) AS STRING), bn", "abc, é, x'0aff'");
}

static void test_cast_char_padding(void **state)
{
    (void)state;
    /* CAST to CHAR(n) truncates and pads with spaces (Flink's CharVarCharTrimPadCastRule) */
    EXPECT("CAST(s2 AS CHAR(5)) || '|', CAST(i AS CHAR(3)) || '|', CAST('é' AS CHAR(2)) || '|'", "abc  |, 7  |, é |");
    EXPECT("CHAR_LENGTH(CAST(s2 AS CHAR(6))), CAST(s2 AS CHAR(3)) || '|', CAST(s2 AS VARCHAR(6)) || '|'", "6, abc|, abc|");
    /* BINARY(n) pads with zero bytes, BINARY / VARBINARY truncate (BinaryToBinaryCastRule) */
    EXPECT("CAST(s2 AS BYTES), CAST(s2 AS BINARY(5)), CAST(s2 AS VARBINARY(2)), CAST(bn AS BINARY(1)), CAST(bn AS VARBINARY(8))",
           "x'616263', x'6162630000', x'6162', x'0a', x'0aff'");
}

static void test_cast_from_string(void **state)
{
    (void)state;
    EXPECT("CAST('12' AS INT), CAST(' 12 ' AS INT), CAST('+5' AS BIGINT), CAST('-9223372036854775808' AS BIGINT)",
           "12, 12, 5, -9223372036854775808");
    /* a fractional part is truncated (Flink's toInt / toLong) */
    EXPECT("CAST('1.5' AS INT), CAST('-1.9' AS BIGINT), CAST('09223372036854775807' AS BIGINT), CAST('7.' AS TINYINT)",
           "1, -1, 9223372036854775807, 7");
    EXPECT("CAST('abc' AS INT)", "runtime error: CAST failed: cannot cast 'abc' to INT (in CAST('abc' AS INT))");
    EXPECT("CAST(s AS INT)", "runtime error: CAST failed: cannot cast 'Hello World' to INT (in CAST(s AS INT))");
    EXPECT("CAST('2147483648' AS INT)", "runtime error: CAST failed: cannot cast '2147483648' to INT (in CAST('2147483648' AS INT))");
    EXPECT("CAST('300' AS TINYINT), CAST('9223372036854775808' AS BIGINT), CAST('1.x' AS INT), CAST('' AS INT)",
           "runtime error: CAST failed: cannot cast '300' to TINYINT (in CAST('300' AS TINYINT)), runtime error: CAST failed: "
           "cannot cast '9223372036854775808' to BIGINT (in CAST('9223372036854775808' AS BIGINT)), runtime error: CAST "
           "failed: cannot cast '1.x' to INT (in CAST('1.x' AS INT)), runtime error: CAST failed: cannot cast '' to INT (in "
           "CAST('' AS INT))");
    EXPECT("TRY_CAST('abc' AS INT), TRY_CAST(s AS INT), TRY_CAST('12' AS INT), TRY_CAST('maybe' AS BOOLEAN)", "null, null, 12, null");
    EXPECT("CAST('1e3' AS DOUBLE), CAST(' 2.5 ' AS DOUBLE), CAST('NaN' AS DOUBLE), CAST('-Infinity' AS DOUBLE)", "1000.0, 2.5, NaN, -Infinity");
    EXPECT("CAST('1.1' AS FLOAT), CAST('-32768' AS SMALLINT), TRY_CAST('-32769' AS SMALLINT), CAST('-128' AS TINYINT)", "1.1, -32768, null, -128");
    EXPECT("CAST('abc' AS DOUBLE)", "runtime error: CAST failed: cannot cast 'abc' to DOUBLE (in CAST('abc' AS DOUBLE))");
    EXPECT("CAST('12.345' AS DECIMAL(5, 2)), CAST('-12.355' AS DECIMAL(5, 2)), CAST('1.5e2' AS DECIMAL(5, 1)), CAST('123456' AS DECIMAL(5, 2))",
           "12.35, -12.36, 150.0, null");
    EXPECT("CAST('x1' AS DECIMAL(5, 1))", "runtime error: CAST failed: cannot cast 'x1' to DECIMAL(5, 1) (in CAST('x1' AS DECIMAL(5, 1)))");
    EXPECT("CAST('true' AS BOOLEAN), CAST('YES' AS BOOLEAN), CAST(' f ' AS BOOLEAN), CAST('0' AS BOOLEAN)", "TRUE, TRUE, FALSE, FALSE");
    EXPECT("CAST('maybe' AS BOOLEAN)", "runtime error: CAST failed: cannot cast 'maybe' to BOOLEAN (in CAST('maybe' AS BOOLEAN))");
    /* dates and times: leap years and the proleptic calendar */
    EXPECT("CAST('2024-02-29' AS DATE), CAST('2000-02-29' AS DATE), CAST('1960-01-01' AS DATE), CAST('2024-02-29 10:00:00' AS DATE)",
           "2024-02-29, 2000-02-29, 1960-01-01, 2024-02-29");
    EXPECT("CAST('2023-02-29' AS DATE)", "runtime error: CAST failed: cannot cast '2023-02-29' to DATE (in CAST('2023-02-29' AS DATE))");
    EXPECT("TRY_CAST('1900-02-29' AS DATE), TRY_CAST('2024-02-30' AS DATE), TRY_CAST('25:00:00' AS TIME)", "null, null, null");
    EXPECT("CAST('12:34:56.789' AS TIME(3)), CAST('2024-02-29 23:59:59.999999' AS TIMESTAMP(6)), CAST('2024-02-29T10:00' AS TIMESTAMP(3))",
           "12:34:56.789, 2024-02-29 23:59:59.999999, 2024-02-29 10:00:00.000");
    EXPECT("CAST('1969-12-31 23:59:59.9995' AS TIMESTAMP(3)), CAST('2024-02-29 10:00:00.123456' AS TIMESTAMP(0))",
           "1969-12-31 23:59:59.999, 2024-02-29 10:00:00");
    EXPECT("TRY_CAST('2024-02-29 10:00:00+19:00' AS TIMESTAMP_LTZ(3))", "null");
}

static void test_cast_numeric(void **state)
{
    (void)state;
    /* to integers: truncation toward zero, and Java's narrowing */
    EXPECT("CAST(3.99 AS INT), CAST(-3.99 AS INT), CAST(d AS INT), CAST(-d AS BIGINT), CAST(m AS INT)", "3, -3, 2, -2, 12");
    EXPECT("CAST(b AS INT), CAST(300 AS TINYINT), CAST(i AS SMALLINT), CAST(70000 AS SMALLINT)", "1410065408, 44, 7, 4464");
    EXPECT("CAST(1e20 AS INT), CAST(-1e20 AS INT), CAST(1e20 AS BIGINT), CAST(1e20 AS TINYINT), CAST(-1e20 AS SMALLINT)",
           "2147483647, -2147483648, 9223372036854775807, -1, 0");
    EXPECT("CAST(300.7e0 AS TINYINT), CAST(CAST('NaN' AS DOUBLE) AS INT)", "44, 0");
    EXPECT("CAST(bo AS INT), CAST(i AS BOOLEAN), CAST(0 AS BOOLEAN), CAST(nb AS INT)", "1, TRUE, FALSE, null");
    /* to DECIMAL: HALF_UP on the double's decimal digits (BigDecimal.valueOf), NULL when too large */
    EXPECT("CAST(i AS DECIMAL(3, 1)), CAST(d AS DECIMAL(4, 2)), CAST(CAST(1.005 AS DOUBLE) AS DECIMAL(5, 2))", "7.0, 2.50, 1.01");
    EXPECT("CAST(-2.675e0 AS DECIMAL(5, 2)), CAST(1e20 AS DECIMAL(10, 2)), CAST(1e-20 AS DECIMAL(10, 2))", "-2.68, null, 0.00");
    EXPECT("CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(5, 2))",
           "runtime error: CAST failed: cannot cast 'NaN' to DECIMAL(5, 2) (in CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(5, 2)))");
    /* to DOUBLE / FLOAT */
    EXPECT("CAST(m AS DOUBLE), CAST(i AS DOUBLE), CAST(b AS FLOAT), CAST(2.345 AS DOUBLE)", "12.34, 7.0, 1.0E10, 2.345");
}

/* ---- time ------------------------------------------------------------------------------------------------ */

static void test_extract(void **state)
{
    (void)state;
    /* 2024-02-29 13:45:30.123 is a Thursday, day 60 of the year, ISO week 9 */
    EXPECT("EXTRACT(YEAR FROM dt), EXTRACT(QUARTER FROM dt), EXTRACT(MONTH FROM ts), EXTRACT(DAY FROM ts)", "2024, 1, 2, 29");
    EXPECT("EXTRACT(HOUR FROM ts), EXTRACT(MINUTE FROM tm), EXTRACT(SECOND FROM ts), EXTRACT(MILLISECOND FROM ts)", "13, 30, 30, 30123");
    EXPECT("EXTRACT(DOW FROM dt), EXTRACT(DOY FROM dt), EXTRACT(WEEK FROM dt), EXTRACT(EPOCH FROM ts)", "5, 60, 9, 1709214330");
    EXPECT("YEAR(dt), QUARTER(ts), MONTH(ts), DAYOFMONTH(dt), DAYOFWEEK(dt), DAYOFYEAR(dt)", "2024, 1, 2, 29, 5, 60");
    EXPECT("HOUR(ts), MINUTE(ts), SECOND(ts), HOUR(tm), MINUTE(tm)", "13, 45, 30, 12, 30");
    /* ISO weeks at year boundaries, days of the year in leap and common years */
    EXPECT("WEEK(DATE '2021-01-03'), WEEK(DATE '2021-01-04'), WEEK(DATE '2020-12-31'), WEEK(DATE '2024-12-30')", "53, 1, 53, 1");
    EXPECT("DAYOFYEAR(DATE '2024-12-31'), DAYOFYEAR(DATE '2023-12-31'), DAYOFWEEK(DATE '1970-01-01'), DAYOFWEEK(DATE '1969-12-28')",
           "366, 365, 5, 1");
    EXPECT("YEAR(DATE '1969-12-31'), MONTH(TIMESTAMP '1969-12-31 23:59:59'), HOUR(TIMESTAMP '1969-12-31 23:59:59')", "1969, 12, 23");
    EXPECT("EXTRACT(YEAR FROM CAST(NULL AS DATE)), YEAR(CAST(NULL AS TIMESTAMP(3)))", "null, null");
    /* from intervals: their fields, not a date */
    EXPECT("EXTRACT(DAY FROM INTERVAL '3 04:05:06.789' DAY TO SECOND), EXTRACT(HOUR FROM INTERVAL '3 04:05:06.789' DAY TO SECOND), "
           "EXTRACT(MINUTE FROM INTERVAL '3 04:05:06.789' DAY TO SECOND), EXTRACT(SECOND FROM INTERVAL '3 04:05:06.789' DAY TO SECOND)",
           "3, 4, 5, 6");
    EXPECT("EXTRACT(YEAR FROM INTERVAL '2-11' YEAR TO MONTH), EXTRACT(MONTH FROM INTERVAL '2-11' YEAR TO MONTH), "
           "EXTRACT(DAY FROM -INTERVAL '36' HOUR), EXTRACT(HOUR FROM -INTERVAL '36' HOUR)",
           "2, 11, -1, -12");
}

static void test_date_format_and_parsing(void **state)
{
    (void)state;
    EXPECT("DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss'), DATE_FORMAT(ts, 'yy/M/d h:mm a SSS'), DATE_FORMAT(ts, 'yyyyMMdd')",
           "2024-02-29 13:45:30, 24/2/29 1:45 PM 123, 20240229");
    EXPECT("DATE_FORMAT('2024-01-05 07:08:09', 'dd.MM.yyyy'), DATE_FORMAT(ts, '''at'' HH''h'''), DATE_FORMAT('garbage', 'yyyy')",
           "05.01.2024, at 13h, null");
    EXPECT("DATE_FORMAT(CAST(NULL AS TIMESTAMP(3)), 'yyyy'), DATE_FORMAT(ts, ns)", "null, null");
    EXPECT("TO_TIMESTAMP('2024-03-01 10:20:30'), TO_TIMESTAMP('2024-03-01 10:20:30.456')",
           "2024-03-01 10:20:30.000, 2024-03-01 10:20:30.456");
    EXPECT("TO_TIMESTAMP('01/03/2024 10:20', 'dd/MM/yyyy HH:mm'), TO_TIMESTAMP('garbage'), TO_TIMESTAMP('2024-13-01 00:00:00')",
           "2024-03-01 10:20:00.000, null, null");
    EXPECT("TO_TIMESTAMP('1969-12-31 23:59:59.9995')", "1969-12-31 23:59:59.999"); /* floors before the epoch */
    EXPECT("TO_DATE('2024-03-01'), TO_DATE('01/03/2024', 'dd/MM/yyyy'), TO_DATE('2023-02-29')", "2024-03-01, 2024-03-01, null");
}

static void test_timestampadd_diff(void **state)
{
    (void)state;
    EXPECT("TIMESTAMPADD(DAY, 3, ts), TIMESTAMPADD(HOUR, -25, ts), TIMESTAMPADD(MINUTE, 15, ts), TIMESTAMPADD(SECOND, 30, ts)",
           "2024-03-03 13:45:30.123, 2024-02-28 12:45:30.123, 2024-02-29 14:00:30.123, 2024-02-29 13:46:00.123");
    /* month arithmetic clamps to the last day of the month */
    EXPECT("TIMESTAMPADD(MONTH, 1, DATE '2024-01-31'), TIMESTAMPADD(YEAR, 1, dt), TIMESTAMPADD(YEAR, 4, dt), TIMESTAMPADD(MONTH, -12, ts)",
           "2024-02-29, 2025-02-28, 2028-02-29, 2023-02-28 13:45:30.123");
    EXPECT("TIMESTAMPDIFF(DAY, ts, TIMESTAMP '2024-03-10 00:00:00'), TIMESTAMPDIFF(HOUR, ts, TIMESTAMP '2024-02-29 10:00:00')", "9, -3");
    EXPECT("TIMESTAMPDIFF(SECOND, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 00:01:00.999'), TIMESTAMPDIFF(MINUTE, ts, ts)",
           "60, 0");
    /* whole months as Flink counts them: the end of January to the end of February is a month */
    EXPECT("TIMESTAMPDIFF(MONTH, DATE '2024-01-31', DATE '2024-02-29'), TIMESTAMPDIFF(MONTH, DATE '2024-02-29', DATE '2024-01-31')",
           "1, -1");
    EXPECT("TIMESTAMPDIFF(MONTH, DATE '2024-01-15', DATE '2024-03-14'), TIMESTAMPDIFF(MONTH, DATE '2024-01-15', DATE '2024-03-15')",
           "1, 2");
    EXPECT("TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-01-15 12:00:00', TIMESTAMP '2024-03-15 10:00:00'), "
           "TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-01-15 10:00:00', TIMESTAMP '2024-03-15 12:00:00')",
           "1, 2");
    EXPECT("TIMESTAMPDIFF(YEAR, DATE '2000-02-29', DATE '2024-02-28'), TIMESTAMPDIFF(YEAR, DATE '2000-02-29', DATE '2024-02-29'), "
           "TIMESTAMPDIFF(YEAR, DATE '2024-06-01', DATE '2020-06-02')",
           "23, 24, -3");
}

static void test_interval_arithmetic(void **state)
{
    (void)state;
    EXPECT("dt + INTERVAL '1' DAY, dt - INTERVAL '1' MONTH, DATE '2024-03-31' - INTERVAL '1' MONTH, dt + INTERVAL '1' YEAR",
           "2024-03-01, 2024-01-29, 2024-02-29, 2025-02-28");
    EXPECT("ts + INTERVAL '1' HOUR, ts + INTERVAL '1-1' YEAR TO MONTH, ts - INTERVAL '0 00:00:00.5' DAY TO SECOND",
           "2024-02-29 14:45:30.123, 2025-03-29 13:45:30.123, 2024-02-29 13:45:29.623");
    EXPECT("INTERVAL '2' DAY + ts, tm + INTERVAL '12' HOUR, lt + INTERVAL '1' DAY",
           "2024-03-02 13:45:30.123, 00:30:45.123, 2024-03-01 13:45:30.123");
    EXPECT("INTERVAL '1' DAY * 3, INTERVAL '3' DAY - INTERVAL '1' HOUR, INTERVAL '-1' MONTH, -INTERVAL '1' DAY",
           "+3 00:00:00.000, +2 23:00:00.000, -0-01, -1 00:00:00.000");
    EXPECT("INTERVAL '1 02:03' DAY TO MINUTE, INTERVAL '100' DAY, INTERVAL '1.5' SECOND, INTERVAL '2-11' YEAR TO MONTH",
           "+1 02:03:00.000, +100 00:00:00.000, +0 00:00:01.500, +2-11");
    EXPECT("DATE '1970-01-01' - INTERVAL '1' DAY, TIMESTAMP '1970-01-01 00:00:00.000' - INTERVAL '0.001' SECOND",
           "1969-12-31, 1969-12-31 23:59:59.999");
}

static void test_unix_time_and_local_time_zone(void **state)
{
    (void)state;
    g_ltz = 0;
    EXPECT("FROM_UNIXTIME(0), FROM_UNIXTIME(1709214330), FROM_UNIXTIME(1709214330, 'yyyyMMdd'), FROM_UNIXTIME(-1)",
           "1970-01-01 00:00:00, 2024-02-29 13:45:30, 20240229, 1969-12-31 23:59:59");
    EXPECT("UNIX_TIMESTAMP(), UNIX_TIMESTAMP('2024-02-29 13:45:30'), UNIX_TIMESTAMP('29/02/2024', 'dd/MM/yyyy')",
           "1709214330, 1709214330, 1709164800");
    EXPECT("UNIX_TIMESTAMP('bad')", "-9223372036854775808"); /* Flink's Long.MIN_VALUE */
    EXPECT("TO_TIMESTAMP_LTZ(1709214330123, 3), TO_TIMESTAMP_LTZ(1709214330, 0), TO_TIMESTAMP_LTZ(-1, 3)",
           "2024-02-29 13:45:30.123, 2024-02-29 13:45:30.000, 1969-12-31 23:59:59.999");
    EXPECT("TO_TIMESTAMP_LTZ(b, j)", "runtime error: TO_TIMESTAMP_LTZ: precision must be 0 or 3, got 2 (in TO_TIMESTAMP_LTZ(b, j))");
    EXPECT("CAST(lt AS TIMESTAMP(3)), CAST(ts AS TIMESTAMP_LTZ(3)), HOUR(lt), CAST(lt AS DATE)",
           "2024-02-29 13:45:30.123, 2024-02-29 13:45:30.123, 13, 2024-02-29");
    /* table.local-time-zone = +08:00 */
    g_ltz = 8 * 3600;
    EXPECT("FROM_UNIXTIME(0), UNIX_TIMESTAMP('1970-01-01 08:00:00'), TO_TIMESTAMP_LTZ(0, 0)",
           "1970-01-01 08:00:00, 0, 1970-01-01 08:00:00.000");
    EXPECT("lt, CAST(lt AS STRING), CAST(lt AS TIMESTAMP(3)), HOUR(lt), DATE_FORMAT(lt, 'HH:mm'), EXTRACT(HOUR FROM lt)",
           "2024-02-29 21:45:30.123, 2024-02-29 21:45:30.123, 2024-02-29 21:45:30.123, 21, 21:45, 21");
    /* a wall-clock TIMESTAMP read in +08:00 is 8 hours earlier in UTC */
    EXPECT("CAST(ts AS TIMESTAMP_LTZ(3)), CAST(CAST(ts AS TIMESTAMP_LTZ(3)) AS TIMESTAMP(3)), CAST(1709214330 AS TIMESTAMP_LTZ(0))",
           "2024-02-29 13:45:30.123, 2024-02-29 13:45:30.123, 2024-02-29 21:45:30");
    EXPECT("CAST('2024-02-29 10:00:00' AS TIMESTAMP_LTZ(3)), CAST('2024-02-29 10:00:00Z' AS TIMESTAMP_LTZ(3))",
           "2024-02-29 10:00:00.000, 2024-02-29 18:00:00.000");
    /* +11:00: the instant is on the next day there; -05:00: still the same day */
    g_ltz = 11 * 3600;
    EXPECT("CURRENT_DATE, LOCALTIMESTAMP, CURRENT_TIMESTAMP", "2024-03-01, 2024-03-01 00:45:30.123, 2024-03-01 00:45:30.123");
    EXPECT("CAST(lt AS DATE), CURRENT_DATE(), LOCALTIMESTAMP(), CURRENT_TIMESTAMP(), NOW(), PROCTIME()",
           "2024-03-01, 2024-03-01, 2024-03-01 00:45:30.123, 2024-03-01 00:45:30.123, 2024-03-01 00:45:30.123, "
           "2024-03-01 00:45:30.123");
    g_ltz = -5 * 3600;
    EXPECT("CAST(lt AS DATE), CURRENT_DATE(), DAYOFMONTH(lt), FROM_UNIXTIME(0)", "2024-02-29, 2024-02-29, 29, 1969-12-31 19:00:00");
    g_ltz = 0;
}

/* ---- what the runtime does not run ------------------------------------------------------------------------- */

static void test_unsupported(void **state)
{
    (void)state;
    EXPECT("MD5(s2)", "not supported: function MD5 is not supported by the Sluice runtime yet (it type-checks, but cannot run)");
    EXPECT("CARDINALITY(arr)", "not supported: values of type ARRAY<INT> are not supported by the Sluice runtime yet");
    EXPECT("arr", "not supported: values of type ARRAY<INT> are not supported by the Sluice runtime yet");
    EXPECT("r", "not supported: values of type ROW<`a` INT, `b` STRING> are not supported by the Sluice runtime yet");
    EXPECT("r.a", "not supported: ROW field access is not supported by the Sluice runtime yet");
    EXPECT("big + 1", "not supported: values of type DECIMAL(21, 2) are not supported by the Sluice runtime yet");
    EXPECT("CAST(m AS DECIMAL(19, 0))", "not supported: values of type DECIMAL(19, 0) are not supported by the Sluice runtime yet");

    /* hand-written JSON: what the planner would never send, and one it may */
    sl_arena *a = sl_arena_create(0);
    const sql_type *in = sql_type_parse(a, "ROW<`x` INT>");
    sl_expr_env env = {0, fixed_now, NULL, 1};
    static const struct {
        const char *json;
        sl_status code;
        const char *message;
    } cases[] = {
        {"{\"call\": \"FOO\", \"args\": [{\"input\": 0, \"type\": \"INT\"}], \"type\": \"INT\"}", SL_ERR_UNSUPPORTED,
         "function FOO is not supported by the Sluice runtime yet (it type-checks, but cannot run)"},
        {"{\"input\": 3, \"type\": \"INT\"}", SL_ERR_INTERNAL, "expression reads field 3 of a 1-field row"},
        {"{\"input\": 0}", SL_ERR_INTERNAL, "expression without a readable type in the job graph"},
        {"{\"what\": 1, \"type\": \"INT\"}", SL_ERR_INTERNAL, "malformed expression in the job graph"},
        {"{\"literal\": \"99999999999\", \"type\": \"INT\"}", SL_ERR_INVALID, "Numeric literal '99999999999' out of range"},
        {"{\"literal\": \"2023-02-29\", \"type\": \"DATE\"}", SL_ERR_INVALID, "Illegal literal: cannot cast '2023-02-29' to DATE"},
        {"{\"call\": \"CAST\", \"args\": [{\"input\": 0, \"type\": \"INT\"}], \"type\": \"DATE\"}", SL_ERR_UNSUPPORTED,
         "CAST from INT to DATE is not supported by the Sluice runtime yet"},
        {"{\"call\": \"EXTRACT\", \"args\": [{\"literal\": {\"symbol\": \"CENTURY\"}, \"type\": \"SYMBOL\"}, "
         "{\"input\": 0, \"type\": \"INT\"}], \"type\": \"BIGINT\"}",
         SL_ERR_INTERNAL, "expression without a readable type in the job graph"},
        {"{\"call\": \"EXTRACT\", \"args\": [{\"literal\": {\"symbol\": \"CENTURY\"}, \"type\": \"STRING\"}, "
         "{\"literal\": \"2024-01-01\", \"type\": \"DATE\"}], \"type\": \"BIGINT\"}",
         SL_ERR_UNSUPPORTED, "EXTRACT: unsupported time unit"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        json_error_t je;
        json_t *j = json_loads(cases[k].json, 0, &je);
        if (!j) fail_msg("bad test JSON %zu: %s", k, je.text);
        sl_expr *e = NULL;
        sl_error err;
        sl_error_clear(&err);
        sl_status st = sl_expr_compile(j, in, &env, a, &e, &err);
        g_checks++;
        if (st != cases[k].code || strcmp(err.message, cases[k].message) != 0)
            fail_msg("case %zu: got %d '%s', want %d '%s'", k, st, err.message, cases[k].code, cases[k].message);
        assert_null(e);
        json_decref(j);
    }
    sl_arena_destroy(a);
}

/* sl_cast_value is also called directly (INSERT's implicit casts, formats) */
static void test_cast_value_api(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0), *scratch = sl_arena_create(0);
    const sql_type *str = sql_type_parse(a, "STRING"), *i32 = sql_type_parse(a, "INT"), *dec = sql_type_parse(a, "DECIMAL(6, 2)"),
                   *ts = sql_type_parse(a, "TIMESTAMP(3)"), *ltz = sql_type_parse(a, "TIMESTAMP_LTZ(3)"),
                   *ch = sql_type_parse(a, "CHAR(4)"), *arr = sql_type_parse(a, "ARRAY<INT>"), *nul = sql_type_parse(a, "NULL");
    assert_non_null(nul);
    char msg[256];
    sl_val in = {.s = {"42", 2}}, out;
    assert_true(sl_cast_value(&in, str, i32, NULL, 0, &out, msg, sizeof msg));
    assert_false(out.null);
    assert_int_equal(out.i, 42);
    in = (sl_val){.s = {" 4.005 ", 7}};
    assert_true(sl_cast_value(&in, str, dec, NULL, 0, &out, msg, sizeof msg));
    assert_int_equal(out.i, 401);
    in = (sl_val){.s = {"x", 1}};
    assert_false(sl_cast_value(&in, str, dec, NULL, 0, &out, msg, sizeof msg));
    assert_string_equal(msg, "cannot cast 'x' to DECIMAL(6, 2)");
    /* NULL stays NULL, whatever the types */
    in = (sl_val){.null = true};
    assert_true(sl_cast_value(&in, str, i32, NULL, 0, &out, msg, sizeof msg));
    assert_true(out.null);
    in = (sl_val){.i = 0};
    assert_true(sl_cast_value(&in, nul, i32, NULL, 0, &out, msg, sizeof msg));
    assert_true(out.null);
    /* to a string needs scratch memory */
    in = (sl_val){.i = -12345};
    assert_false(sl_cast_value(&in, dec, str, NULL, 0, &out, msg, sizeof msg));
    assert_string_equal(msg, "internal: no scratch memory for CAST");
    assert_true(sl_cast_value(&in, dec, str, scratch, 0, &out, msg, sizeof msg));
    assert_int_equal(out.s.n, 7);
    assert_memory_equal(out.s.p, "-123.45", 7);
    /* CHAR(n) truncates here; only an explicit CAST pads (sinks and formats do not) */
    in = (sl_val){.s = {"abcdef", 6}};
    assert_true(sl_cast_value(&in, str, ch, scratch, 0, &out, msg, sizeof msg));
    assert_int_equal(out.s.n, 4);
    assert_memory_equal(out.s.p, "abcd", 4);
    in = (sl_val){.s = {"ab", 2}};
    assert_true(sl_cast_value(&in, str, ch, scratch, 0, &out, msg, sizeof msg));
    assert_int_equal(out.s.n, 2);
    /* strings with a zone become instants; without one they are read in the local time zone */
    in = (sl_val){.s = {"2024-01-01 08:00:00+08:00", 25}};
    assert_true(sl_cast_value(&in, str, ltz, NULL, 3600, &out, msg, sizeof msg));
    assert_true(out.i == sl_days_from_civil(2024, 1, 1) * SL_MICROS_PER_DAY);
    assert_true(sl_cast_value(&in, str, ts, NULL, 3600, &out, msg, sizeof msg));
    assert_true(out.i == sl_days_from_civil(2024, 1, 1) * SL_MICROS_PER_DAY + 3600000000LL);
    in = (sl_val){.s = {"2024-01-01 08:00:00", 19}};
    assert_true(sl_cast_value(&in, str, ltz, NULL, 3600, &out, msg, sizeof msg));
    assert_true(out.i == sl_days_from_civil(2024, 1, 1) * SL_MICROS_PER_DAY + 7 * 3600000000LL);
    /* unsupported pairs say so */
    in = (sl_val){.i = 1};
    assert_false(sl_cast_value(&in, i32, arr, scratch, 0, &out, msg, sizeof msg));
    assert_string_equal(msg, "casting INT to ARRAY<INT> is not supported");
    g_checks += 26;
    sl_arena_destroy(scratch);
    sl_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_api),
        cmocka_unit_test(test_val_write),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_three_valued_logic),
        cmocka_unit_test(test_is_predicates),
        cmocka_unit_test(test_integer_arithmetic),
        cmocka_unit_test(test_division_by_zero),
        cmocka_unit_test(test_map_values),
        cmocka_unit_test(test_decimal_arithmetic),
        cmocka_unit_test(test_double_arithmetic),
        cmocka_unit_test(test_comparisons_across_types),
        cmocka_unit_test(test_in_and_between),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_coalesce_if_nullif),
        cmocka_unit_test(test_substring_and_trim),
        cmocka_unit_test(test_concat_pad_replace),
        cmocka_unit_test(test_position_split_regexp),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_case_and_length),
        cmocka_unit_test(test_numeric_functions),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_cast_to_string),
        cmocka_unit_test(test_cast_char_padding),
        cmocka_unit_test(test_cast_from_string),
        cmocka_unit_test(test_cast_numeric),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_date_format_and_parsing),
        cmocka_unit_test(test_timestampadd_diff),
        cmocka_unit_test(test_interval_arithmetic),
        cmocka_unit_test(test_unix_time_and_local_time_zone),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_cast_value_api),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    printf("test_runtime_expr: %d expression results in %d EXPECTs, %d other checks\n", g_results, g_expects, g_checks);
    return failed;
}
