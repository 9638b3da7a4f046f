/* Unit tests for sql/types: types built from SQL text, Flink's printing, DECIMAL arithmetic,
 * widening, comparability and casts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sql/sql.h"
#include "sql/types.h"

/* Parses "CREATE TABLE t (c <type>)" and builds the column's type. Returns NULL and fills err on error. */
static const sql_type *parse_type(sl_arena *a, const char *type_sql, sl_error *err)
{
    char text[512];
    snprintf(text, sizeof text, "CREATE TABLE t (c %s)", type_sql);
    sql_script *s = sql_parse("t.sql", text, strlen(text), err);
    assert_non_null(s);
    const sql_node *col = sql_script_stmt(s, 0)->kids[1]->kids[0];
    const sql_type *t = NULL;
    sl_status st = sql_type_from_ast(a, col->kids[0], "t.sql", &t, err);
    sql_script_destroy(s); /* types must not point into the script's arena */
    return st == SL_OK ? t : NULL;
}

static void expect_print(sl_arena *a, const char *sql, const char *printed)
{
    sl_error err;
    const sql_type *t = parse_type(a, sql, &err);
    if (!t) fprintf(stderr, "%s: %s\n", sql, err.message);
    assert_non_null(t);
    assert_string_equal(sql_type_str(a, t), printed);
}

static void test_print_like_flink(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    expect_print(a, "INT", "INT");
    expect_print(a, "INTEGER NOT NULL", "INT NOT NULL");
    expect_print(a, "STRING", "STRING");
    expect_print(a, "VARCHAR(2147483647)", "STRING");
    expect_print(a, "VARCHAR(20)", "VARCHAR(20)");
    expect_print(a, "VARCHAR", "VARCHAR(1)");
    expect_print(a, "CHAR", "CHAR(1)");
    expect_print(a, "BYTES", "BYTES");
    expect_print(a, "DECIMAL", "DECIMAL(10, 0)");
    expect_print(a, "DEC(5)", "DECIMAL(5, 0)");
    expect_print(a, "NUMERIC(12, 3)", "DECIMAL(12, 3)");
    expect_print(a, "TIMESTAMP", "TIMESTAMP(6)");
    expect_print(a, "TIMESTAMP(3) WITHOUT TIME ZONE", "TIMESTAMP(3)");
    expect_print(a, "TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)");
    expect_print(a, "TIME", "TIME(0)");
    expect_print(a, "DOUBLE PRECISION", "DOUBLE");
    expect_print(a, "ARRAY<STRING NOT NULL>", "ARRAY<STRING NOT NULL>");
    expect_print(a, "MAP<STRING, ARRAY<INT>> NOT NULL", "MAP<STRING, ARRAY<INT>> NOT NULL");
    expect_print(a, "ROW<name STRING, age INT NOT NULL>", "ROW<`name` STRING, `age` INT NOT NULL>");
    expect_print(a, "ROW(a INT)", "ROW<`a` INT>");
    expect_print(a, "INTERVAL DAY TO SECOND(3)", "INTERVAL DAY TO SECOND(3)");
    expect_print(a, "INTERVAL YEAR TO MONTH", "INTERVAL YEAR TO MONTH");
    const sql_type *pt = sql_type_with_attr(a, sql_type_make(a, SQL_T_TIMESTAMP_LTZ, false, 3, -1), SQL_TA_PROCTIME);
    assert_string_equal(sql_type_str(a, pt), "TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*");
    const sql_type *rt = sql_type_with_attr(a, sql_type_make(a, SQL_T_TIMESTAMP, true, 3, -1), SQL_TA_ROWTIME);
    assert_string_equal(sql_type_str(a, rt), "TIMESTAMP(3) *ROWTIME*");
    sl_arena_destroy(a);
}

static void expect_type_error(const char *sql, const char *message, int col)
{
    sl_arena *a = sl_arena_create(0);
    sl_error err;
    char text[512];
    snprintf(text, sizeof text, "CREATE TABLE t (c %s)", sql);
    assert_null(parse_type(a, sql, &err));
    assert_string_equal(err.message, message);
    int line, c;
    sl_source_locate(text, strlen(text), err.offset, &line, &c);
    assert_int_equal(c, col);
    sl_arena_destroy(a);
}

static void test_type_errors(void **state)
{
    (void)state;
    expect_type_error("DECIMAL(39, 2)", "Decimal precision must be between 1 and 38 (both inclusive).", 19);
    expect_type_error("DECIMAL(5, 6)", "Decimal scale must be between 0 and the precision 5 (both inclusive).", 19);
    expect_type_error("DECIMAL(0)", "Decimal precision must be between 1 and 38 (both inclusive).", 19);
    expect_type_error("VARCHAR(0)", "Character string length must be between 1 and 2147483647 (both inclusive).", 19);
    expect_type_error("BINARY(0)", "Binary string length must be between 1 and 2147483647 (both inclusive).", 19);
    expect_type_error("TIMESTAMP(10)", "Timestamp precision must be between 0 and 9 (both inclusive).", 19);
    expect_type_error("TIME(12)", "Time precision must be between 0 and 9 (both inclusive).", 19);
    expect_type_error("ROW<a INT, b INT, a STRING>", "Field names must be unique. Found duplicates: [a]", 37);
}

static const char *arith(sl_arena *a, char op, const char *x, const char *y)
{
    sl_error err;
    const sql_type *tx = parse_type(a, x, &err), *ty = parse_type(a, y, &err);
    assert_non_null(tx);
    assert_non_null(ty);
    const sql_type *r = sql_type_arith(a, op, tx, ty);
    return r ? sql_type_str(a, r) : "(none)";
}

static void test_arithmetic(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    assert_string_equal(arith(a, '+', "INT NOT NULL", "INT NOT NULL"), "INT NOT NULL");
    assert_string_equal(arith(a, '+', "INT", "BIGINT NOT NULL"), "BIGINT");
    assert_string_equal(arith(a, '/', "INT", "INT"), "INT");
    assert_string_equal(arith(a, '*', "SMALLINT", "DOUBLE"), "DOUBLE");
    assert_string_equal(arith(a, '+', "FLOAT", "INT"), "FLOAT");
    assert_string_equal(arith(a, '+', "FLOAT", "DECIMAL(5, 2)"), "DOUBLE");
    /* DECIMAL rules of Flink's LogicalTypeMerging */
    assert_string_equal(arith(a, '+', "DECIMAL(10, 2)", "DECIMAL(5, 4)"), "DECIMAL(13, 4)");
    assert_string_equal(arith(a, '-', "DECIMAL(10, 2)", "INT"), "DECIMAL(13, 2)");
    assert_string_equal(arith(a, '*', "DECIMAL(10, 2)", "DECIMAL(5, 4)"), "DECIMAL(16, 6)");
    assert_string_equal(arith(a, '/', "DECIMAL(10, 2)", "DECIMAL(5, 4)"), "DECIMAL(20, 8)");
    assert_string_equal(arith(a, '%', "DECIMAL(10, 2)", "DECIMAL(5, 4)"), "DECIMAL(5, 4)");
    assert_string_equal(arith(a, '*', "DECIMAL(38, 10)", "DECIMAL(38, 10)"), "DECIMAL(38, 6)");
    assert_string_equal(arith(a, '+', "DECIMAL(38, 2)", "DECIMAL(38, 2)"), "DECIMAL(38, 2)"); /* min(s, 6) of the scale is kept */
    assert_string_equal(arith(a, '%', "DOUBLE", "INT"), "(none)");
    assert_string_equal(arith(a, '+', "STRING", "INT"), "(none)");
    /* time arithmetic */
    assert_string_equal(arith(a, '-', "TIMESTAMP(3)", "INTERVAL DAY TO SECOND(3)"), "TIMESTAMP(3)");
    assert_string_equal(arith(a, '+', "INTERVAL DAY TO SECOND(3)", "DATE"), "DATE");
    assert_string_equal(arith(a, '-', "INTERVAL DAY TO SECOND(3)", "TIMESTAMP(3)"), "(none)");
    assert_string_equal(arith(a, '*', "INTERVAL DAY TO SECOND(3)", "INT"), "INTERVAL DAY TO SECOND(3)");
    assert_string_equal(arith(a, '+', "TIMESTAMP(3)", "TIMESTAMP(3)"), "(none)");
    sl_arena_destroy(a);
}

static const char *common(sl_arena *a, const char *x, const char *y)
{
    sl_error err;
    const sql_type *r = sql_type_common(a, parse_type(a, x, &err), parse_type(a, y, &err));
    return r ? sql_type_str(a, r) : "(none)";
}

static void test_common_type(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    assert_string_equal(common(a, "INT NOT NULL", "BIGINT NOT NULL"), "BIGINT NOT NULL");
    assert_string_equal(common(a, "INT NOT NULL", "BIGINT"), "BIGINT");
    assert_string_equal(common(a, "DECIMAL(10, 2)", "INT"), "DECIMAL(12, 2)");
    assert_string_equal(common(a, "DECIMAL(10, 2)", "DOUBLE"), "DOUBLE");
    assert_string_equal(common(a, "CHAR(3)", "VARCHAR(10)"), "VARCHAR(10)");
    assert_string_equal(common(a, "CHAR(3)", "CHAR(3)"), "CHAR(3)");
    assert_string_equal(common(a, "CHAR(3)", "STRING"), "STRING");
    assert_string_equal(common(a, "TIMESTAMP(3)", "TIMESTAMP(6)"), "TIMESTAMP(6)");
    assert_string_equal(common(a, "DATE", "TIMESTAMP(3)"), "TIMESTAMP(3)");
    assert_string_equal(common(a, "ARRAY<INT>", "ARRAY<BIGINT>"), "ARRAY<BIGINT>");
    assert_string_equal(common(a, "STRING", "INT"), "(none)");
    assert_string_equal(common(a, "BOOLEAN", "INT"), "(none)");
    const sql_type *null_t = sql_type_make(a, SQL_T_NULL, true, -1, -1);
    sl_error err;
    assert_string_equal(sql_type_str(a, sql_type_common(a, null_t, parse_type(a, "INT NOT NULL", &err))), "INT");
    sl_arena_destroy(a);
}

static void test_comparable_and_casts(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    sl_error err;
#define T(s) parse_type(a, (s), &err)
    assert_true(sql_type_comparable(T("INT"), T("DECIMAL(5, 2)")));
    assert_true(sql_type_comparable(T("CHAR(2)"), T("STRING")));
    assert_true(sql_type_comparable(T("DATE"), T("TIMESTAMP(3)")));
    assert_false(sql_type_comparable(T("STRING"), T("INT")));
    assert_false(sql_type_comparable(T("BOOLEAN"), T("INT")));
    assert_false(sql_type_comparable(T("TIME"), T("DATE")));
    /* implicit casts: INSERT into a sink column */
    assert_true(sql_type_can_implicit_cast(T("INT"), T("BIGINT")));
    assert_true(sql_type_can_implicit_cast(T("INT"), T("DECIMAL(10, 0)")));
    assert_false(sql_type_can_implicit_cast(T("INT"), T("DECIMAL(5, 0)")));
    assert_false(sql_type_can_implicit_cast(T("BIGINT"), T("INT")));
    assert_false(sql_type_can_implicit_cast(T("DOUBLE"), T("INT")));
    assert_false(sql_type_can_implicit_cast(T("DECIMAL(10, 2)"), T("BIGINT")));
    assert_true(sql_type_can_implicit_cast(T("VARCHAR(5)"), T("STRING")));
    assert_true(sql_type_can_implicit_cast(T("TIMESTAMP(3)"), T("TIMESTAMP_LTZ(3)")));
    assert_false(sql_type_can_implicit_cast(T("STRING"), T("INT")));
    assert_true(sql_type_can_implicit_cast(T("ARRAY<INT>"), T("ARRAY<BIGINT>")));
    /* explicit casts */
    assert_true(sql_type_can_cast(T("STRING"), T("INT")));
    assert_true(sql_type_can_cast(T("DOUBLE"), T("INT")));
    assert_true(sql_type_can_cast(T("INT"), T("BOOLEAN")));
    assert_true(sql_type_can_cast(T("ROW<a INT>"), T("STRING")));
    assert_true(sql_type_can_cast(T("TIMESTAMP(3)"), T("DATE")));
    assert_false(sql_type_can_cast(T("DATE"), T("TIME")));
    assert_false(sql_type_can_cast(T("STRING"), T("ARRAY<INT>")));
    assert_false(sql_type_can_cast(T("BOOLEAN"), T("DATE")));
#undef T
    sl_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_like_flink), cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_arithmetic),       cmocka_unit_test(test_common_type),
        cmocka_unit_test(test_comparable_and_casts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
