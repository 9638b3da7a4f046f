/* Unit tests for the built-in function table: lookup, suggestions, result types per Flink, and
 * Flink-worded errors for wrong arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sql/functions.h"

static sl_arena *A;

static const sql_type *T(sql_type_id id, bool nullable, int p, int s) { return sql_type_make(A, id, nullable, p, s); }
#define STR T(SQL_T_VARCHAR, true, SQL_MAX_LENGTH, -1)
#define INT_ T(SQL_T_INT, true, -1, -1)
#define INT_NN T(SQL_T_INT, false, -1, -1)
#define BIGINT_ T(SQL_T_BIGINT, true, -1, -1)

static const char *infer(const char *name, int n, ...)
{
    const sql_function *f = sql_function_find(name);
    assert_non_null(f);
    const sql_type *args[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = va_arg(ap, const sql_type *);
    va_end(ap);
    static char msg[512];
    const sql_type *r = sql_function_infer(A, f, args, n, msg, sizeof msg);
    return r ? sql_type_str(A, r) : msg;
}

static void test_lookup_and_suggest(void **state)
{
    (void)state;
    assert_non_null(sql_function_find("upper"));
    assert_non_null(sql_function_find("Proctime"));
    assert_null(sql_function_find("UPPPER_CASE"));
    assert_string_equal(sql_function_suggest("UPPR"), "UPPER");
    assert_string_equal(sql_function_suggest("coalese"), "COALESCE");
    assert_int_equal(sql_function_kind(sql_function_find("COUNT")), SQL_FN_AGGREGATE);
    assert_int_equal(sql_function_kind(sql_function_find("ROW_NUMBER")), SQL_FN_WINDOW);
    assert_int_equal(sql_function_kind(sql_function_find("TUMBLE")), SQL_FN_TABLE);
    /* every function the issue lists is present */
    const char *required[] = {"COALESCE", "NULLIF", "IF", "IFNULL", "UPPER", "LOWER", "TRIM", "LTRIM", "RTRIM",
                              "SUBSTRING", "SUBSTR", "CONCAT", "CONCAT_WS", "CHAR_LENGTH", "REPLACE", "SPLIT_INDEX",
                              "REGEXP_EXTRACT", "REGEXP_REPLACE", "LPAD", "RPAD", "POSITION", "ABS", "MOD", "ROUND",
                              "FLOOR", "CEIL", "POWER", "SQRT", "LN", "LOG10", "EXP", "RAND", "PROCTIME", "NOW",
                              "CURRENT_TIMESTAMP", "CURRENT_DATE", "LOCALTIMESTAMP", "TO_TIMESTAMP",
                              "TO_TIMESTAMP_LTZ", "TO_DATE", "FROM_UNIXTIME", "UNIX_TIMESTAMP", "DATE_FORMAT",
                              "EXTRACT", "YEAR", "MONTH", "HOUR", "MINUTE", "SECOND", "TIMESTAMPADD",
                              "TIMESTAMPDIFF", "HASH_CODE", "MD5", "COUNT", "SUM", "MIN", "MAX", "AVG",
                              "ROW_NUMBER", "FIRST_VALUE", "LAST_VALUE", "LISTAGG", "STDDEV_POP", "VAR_POP"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        if (!sql_function_find(required[i])) fail_msg("missing function %s", required[i]);
    }
    assert_true(sql_function_count() >= sizeof required / sizeof *required);
}

static void test_result_types(void **state)
{
    (void)state;
    assert_string_equal(infer("PROCTIME", 0), "TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*");
    assert_string_equal(infer("COUNT", 1, STR), "BIGINT NOT NULL");
    assert_string_equal(infer("COUNT", 0), "BIGINT NOT NULL");
    assert_string_equal(infer("AVG", 1, BIGINT_), "BIGINT");
    assert_string_equal(infer("AVG", 1, T(SQL_T_DECIMAL, false, 10, 2)), "DECIMAL(38, 6)");
    assert_string_equal(infer("SUM", 1, INT_NN), "INT");
    assert_string_equal(infer("SUM", 1, T(SQL_T_DECIMAL, false, 10, 2)), "DECIMAL(38, 2)");
    assert_string_equal(infer("MAX", 1, INT_NN), "INT");
    assert_string_equal(infer("UPPER", 1, T(SQL_T_VARCHAR, false, 10, -1)), "VARCHAR(10) NOT NULL");
    assert_string_equal(infer("CHAR_LENGTH", 1, STR), "INT");
    assert_string_equal(infer("COALESCE", 2, INT_, BIGINT_), "BIGINT");
    assert_string_equal(infer("COALESCE", 2, INT_, T(SQL_T_BIGINT, false, -1, -1)), "BIGINT NOT NULL");
    assert_string_equal(infer("IF", 3, T(SQL_T_BOOLEAN, false, -1, -1), INT_NN, STR), "Cannot infer a common type for the arguments of 'IF'");
    assert_string_equal(infer("IF", 3, T(SQL_T_BOOLEAN, false, -1, -1), INT_NN, BIGINT_), "BIGINT");
    assert_string_equal(infer("MOD", 2, INT_NN, INT_NN), "INT NOT NULL");
    assert_string_equal(infer("MD5", 1, STR), "CHAR(32)");
    assert_string_equal(infer("TO_TIMESTAMP", 1, STR), "TIMESTAMP(3)");
    assert_string_equal(infer("ROW_NUMBER", 0), "BIGINT NOT NULL");
    assert_string_equal(infer("SQRT", 1, INT_NN), "DOUBLE NOT NULL");
    assert_string_equal(infer("CONCAT", 3, STR, STR, STR), "STRING");
}

static void test_wrong_arguments(void **state)
{
    (void)state;
    assert_string_equal(infer("UPPER", 1, INT_),
                        "Cannot apply 'UPPER' to arguments of type 'UPPER(<INT>)'. Supported form(s): 'UPPER(<CHARACTER_STRING>)'");
    assert_string_equal(infer("SUBSTRING", 1, STR),
                        "Cannot apply 'SUBSTRING' to arguments of type 'SUBSTRING(<STRING>)'. Supported form(s): "
                        "'SUBSTRING(<CHARACTER_STRING>, <INTEGER_NUMERIC> [, <INTEGER_NUMERIC>])'");
    assert_string_equal(infer("ABS", 2, INT_, INT_),
                        "Cannot apply 'ABS' to arguments of type 'ABS(<INT>, <INT>)'. Supported form(s): 'ABS(<NUMERIC>)'");
    assert_string_equal(infer("PROCTIME", 1, INT_),
                        "Cannot apply 'PROCTIME' to arguments of type 'PROCTIME(<INT>)'. Supported form(s): 'PROCTIME()'");
    assert_string_equal(infer("CONCAT", 1, INT_),
                        "Cannot apply 'CONCAT' to arguments of type 'CONCAT(<INT>)'. Supported form(s): "
                        "'CONCAT(<CHARACTER_STRING> [, <CHARACTER_STRING>]...)'");
    assert_string_equal(infer("MOD", 2, T(SQL_T_DOUBLE, true, -1, -1), INT_),
                        "Cannot apply 'MOD' to arguments of type 'MOD(<DOUBLE>, <INT>)'. Supported form(s): "
                        "'MOD(<EXACT_NUMERIC>, <EXACT_NUMERIC>)'");
}

static int setup(void **state)
{
    (void)state;
    A = sl_arena_create(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_destroy(A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_and_suggest),
        cmocka_unit_test(test_result_types),
        cmocka_unit_test(test_wrong_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
