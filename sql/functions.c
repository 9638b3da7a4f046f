/* sql/functions.c — see functions.h. */
#include "sql/functions.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"
#include "common/suggest.h"

/* Operand families (Flink's names, as printed in signatures). */
typedef enum fam {
    F_ANY = 0,
    F_NUMERIC,
    F_EXACT,   /* INTEGER or DECIMAL */
    F_INTEGER,
    F_STRING,  /* CHARACTER_STRING */
    F_BOOLEAN,
    F_TEMPORAL,
    F_TIMESTAMP, /* TIMESTAMP or TIMESTAMP_LTZ */
    F_DATE_OR_TS,
    F_COMPARABLE,
    F_COLLECTION, /* ARRAY, MAP or MULTISET */
} fam;

static const char *const fam_names[] = {"ANY", "NUMERIC", "EXACT_NUMERIC", "INTEGER_NUMERIC", "CHARACTER_STRING",
                                        "BOOLEAN", "DATETIME", "TIMESTAMP", "DATETIME", "COMPARABLE_TYPE", "COLLECTION"};

/* Result rules. */
typedef enum rule {
    R_ARG0,          /* type of the first operand */
    R_ARG0_NULLABLE, /* first operand, nullable */
    R_COMMON,        /* least restrictive common type of all operands */
    R_COMMON_FROM1,  /* common type of operands 1.. (IF(cond, a, b)) */
    R_NULLIF,        /* first operand, nullable */
    R_COALESCE,      /* common type; NOT NULL if any operand is NOT NULL */
    R_BOOLEAN,
    R_INT,
    R_BIGINT,
    R_BIGINT_NOT_NULL,
    R_DOUBLE,
    R_STRING,
    R_STRING_NOT_NULL,
    R_CHAR32,
    R_DATE,
    R_DATE_NOT_NULL,
    R_TIMESTAMP3,
    R_LTZ3,
    R_LTZ3_NOT_NULL,
    R_PROCTIME,
    R_SUM,
    R_AVG,
    R_ROUND,         /* ROUND/TRUNCATE: numeric; DECIMAL keeps its type */
    R_MOD,
} rule;

struct sql_function {
    const char *name;
    sql_fn_kind kind;
    int min_args, max_args; /* max -1 = variadic */
    fam fams[4];            /* families of the first operands; the last applies to the rest */
    int nfams;
    rule result;
};

#define FN(n, k, mi, ma, r, ...)                                                                              \
    {n, k, mi, ma, {__VA_ARGS__}, sizeof((fam[]){__VA_ARGS__}) / sizeof(fam), r}
#define NOARGS(n, k, r) {n, k, 0, 0, {F_ANY}, 0, r}

static const sql_function functions[] = {
    /* conditional */
    FN("COALESCE", SQL_FN_SCALAR, 1, -1, R_COALESCE, F_ANY),
    FN("NULLIF", SQL_FN_SCALAR, 2, 2, R_NULLIF, F_COMPARABLE, F_COMPARABLE),
    FN("IF", SQL_FN_SCALAR, 3, 3, R_COMMON_FROM1, F_BOOLEAN, F_ANY, F_ANY),
    FN("IFNULL", SQL_FN_SCALAR, 2, 2, R_COALESCE, F_ANY, F_ANY),
    /* strings */
    FN("UPPER", SQL_FN_SCALAR, 1, 1, R_ARG0, F_STRING),
    FN("LOWER", SQL_FN_SCALAR, 1, 1, R_ARG0, F_STRING),
    FN("LTRIM", SQL_FN_SCALAR, 1, 1, R_STRING, F_STRING),
    FN("RTRIM", SQL_FN_SCALAR, 1, 1, R_STRING, F_STRING),
    FN("TRIM", SQL_FN_SCALAR, 1, 2, R_STRING, F_STRING, F_STRING),
    FN("SUBSTRING", SQL_FN_SCALAR, 2, 3, R_STRING, F_STRING, F_INTEGER, F_INTEGER),
    FN("SUBSTR", SQL_FN_SCALAR, 2, 3, R_STRING, F_STRING, F_INTEGER, F_INTEGER),
    FN("CONCAT", SQL_FN_SCALAR, 1, -1, R_STRING, F_STRING),
    FN("CONCAT_WS", SQL_FN_SCALAR, 2, -1, R_STRING, F_STRING),
    FN("CHAR_LENGTH", SQL_FN_SCALAR, 1, 1, R_INT, F_STRING),
    FN("CHARACTER_LENGTH", SQL_FN_SCALAR, 1, 1, R_INT, F_STRING),
    FN("REPLACE", SQL_FN_SCALAR, 3, 3, R_STRING, F_STRING, F_STRING, F_STRING),
    FN("SPLIT_INDEX", SQL_FN_SCALAR, 3, 3, R_STRING, F_STRING, F_STRING, F_INTEGER),
    FN("REGEXP_EXTRACT", SQL_FN_SCALAR, 2, 3, R_STRING, F_STRING, F_STRING, F_INTEGER),
    FN("REGEXP_REPLACE", SQL_FN_SCALAR, 3, 3, R_STRING, F_STRING, F_STRING, F_STRING),
    FN("LPAD", SQL_FN_SCALAR, 3, 3, R_STRING, F_STRING, F_INTEGER, F_STRING),
    FN("RPAD", SQL_FN_SCALAR, 3, 3, R_STRING, F_STRING, F_INTEGER, F_STRING),
    FN("POSITION", SQL_FN_SCALAR, 2, 2, R_INT, F_STRING, F_STRING),
    FN("LEFT", SQL_FN_SCALAR, 2, 2, R_STRING, F_STRING, F_INTEGER),
    FN("RIGHT", SQL_FN_SCALAR, 2, 2, R_STRING, F_STRING, F_INTEGER),
    FN("MD5", SQL_FN_SCALAR, 1, 1, R_CHAR32, F_STRING),
    FN("HASH_CODE", SQL_FN_SCALAR, 1, 1, R_INT, F_ANY),
    FN("CARDINALITY", SQL_FN_SCALAR, 1, 1, R_INT, F_COLLECTION),
    /* numeric */
    FN("ABS", SQL_FN_SCALAR, 1, 1, R_ARG0, F_NUMERIC),
    FN("MOD", SQL_FN_SCALAR, 2, 2, R_MOD, F_EXACT, F_EXACT),
    FN("ROUND", SQL_FN_SCALAR, 1, 2, R_ROUND, F_NUMERIC, F_INTEGER),
    FN("TRUNCATE", SQL_FN_SCALAR, 1, 2, R_ROUND, F_NUMERIC, F_INTEGER),
    FN("FLOOR", SQL_FN_SCALAR, 1, 1, R_ARG0, F_NUMERIC),
    FN("CEIL", SQL_FN_SCALAR, 1, 1, R_ARG0, F_NUMERIC),
    FN("CEILING", SQL_FN_SCALAR, 1, 1, R_ARG0, F_NUMERIC),
    FN("POWER", SQL_FN_SCALAR, 2, 2, R_DOUBLE, F_NUMERIC, F_NUMERIC),
    FN("SQRT", SQL_FN_SCALAR, 1, 1, R_DOUBLE, F_NUMERIC),
    FN("LN", SQL_FN_SCALAR, 1, 1, R_DOUBLE, F_NUMERIC),
    FN("LOG10", SQL_FN_SCALAR, 1, 1, R_DOUBLE, F_NUMERIC),
    FN("EXP", SQL_FN_SCALAR, 1, 1, R_DOUBLE, F_NUMERIC),
    FN("RAND", SQL_FN_SCALAR, 0, 1, R_DOUBLE, F_INTEGER),
    /* time */
    NOARGS("PROCTIME", SQL_FN_SCALAR, R_PROCTIME),
    NOARGS("NOW", SQL_FN_SCALAR, R_LTZ3_NOT_NULL),
    NOARGS("CURRENT_TIMESTAMP", SQL_FN_SCALAR, R_LTZ3_NOT_NULL),
    NOARGS("CURRENT_DATE", SQL_FN_SCALAR, R_DATE_NOT_NULL),
    NOARGS("LOCALTIMESTAMP", SQL_FN_SCALAR, R_TIMESTAMP3),
    FN("TO_TIMESTAMP", SQL_FN_SCALAR, 1, 2, R_TIMESTAMP3, F_STRING, F_STRING),
    FN("TO_TIMESTAMP_LTZ", SQL_FN_SCALAR, 2, 2, R_LTZ3, F_NUMERIC, F_INTEGER),
    FN("TO_DATE", SQL_FN_SCALAR, 1, 2, R_DATE, F_STRING, F_STRING),
    FN("FROM_UNIXTIME", SQL_FN_SCALAR, 1, 2, R_STRING, F_INTEGER, F_STRING),
    FN("UNIX_TIMESTAMP", SQL_FN_SCALAR, 0, 2, R_BIGINT, F_STRING, F_STRING),
    FN("DATE_FORMAT", SQL_FN_SCALAR, 2, 2, R_STRING, F_ANY, F_STRING),
    FN("EXTRACT", SQL_FN_SCALAR, 2, 2, R_BIGINT, F_ANY, F_TEMPORAL),
    FN("YEAR", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("QUARTER", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("MONTH", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("WEEK", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("DAYOFYEAR", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("DAYOFMONTH", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("DAYOFWEEK", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_DATE_OR_TS),
    FN("HOUR", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_TEMPORAL),
    FN("MINUTE", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_TEMPORAL),
    FN("SECOND", SQL_FN_SCALAR, 1, 1, R_BIGINT, F_TEMPORAL),
    FN("TIMESTAMPADD", SQL_FN_SCALAR, 3, 3, R_ARG0, F_ANY, F_INTEGER, F_TEMPORAL),
    FN("TIMESTAMPDIFF", SQL_FN_SCALAR, 3, 3, R_INT, F_ANY, F_TEMPORAL, F_TEMPORAL),
    /* aggregates */
    FN("COUNT", SQL_FN_AGGREGATE, 0, -1, R_BIGINT_NOT_NULL, F_ANY),
    FN("SUM", SQL_FN_AGGREGATE, 1, 1, R_SUM, F_NUMERIC),
    FN("SUM0", SQL_FN_AGGREGATE, 1, 1, R_SUM, F_NUMERIC),
    FN("MIN", SQL_FN_AGGREGATE, 1, 1, R_ARG0_NULLABLE, F_COMPARABLE),
    FN("MAX", SQL_FN_AGGREGATE, 1, 1, R_ARG0_NULLABLE, F_COMPARABLE),
    FN("AVG", SQL_FN_AGGREGATE, 1, 1, R_AVG, F_NUMERIC),
    FN("STDDEV_POP", SQL_FN_AGGREGATE, 1, 1, R_AVG, F_NUMERIC),
    FN("STDDEV_SAMP", SQL_FN_AGGREGATE, 1, 1, R_AVG, F_NUMERIC),
    FN("VAR_POP", SQL_FN_AGGREGATE, 1, 1, R_AVG, F_NUMERIC),
    FN("VAR_SAMP", SQL_FN_AGGREGATE, 1, 1, R_AVG, F_NUMERIC),
    FN("FIRST_VALUE", SQL_FN_AGGREGATE, 1, 1, R_ARG0_NULLABLE, F_ANY),
    FN("LAST_VALUE", SQL_FN_AGGREGATE, 1, 1, R_ARG0_NULLABLE, F_ANY),
    FN("LISTAGG", SQL_FN_AGGREGATE, 1, 2, R_STRING, F_STRING, F_STRING),
    /* window (OVER) */
    NOARGS("ROW_NUMBER", SQL_FN_WINDOW, R_BIGINT_NOT_NULL),
    NOARGS("RANK", SQL_FN_WINDOW, R_BIGINT_NOT_NULL),
    NOARGS("DENSE_RANK", SQL_FN_WINDOW, R_BIGINT_NOT_NULL),
    /* window table-valued functions (typed by the validator, which knows the input table) */
    FN("TUMBLE", SQL_FN_TABLE, 3, 4, R_ARG0, F_ANY),
    FN("HOP", SQL_FN_TABLE, 4, 5, R_ARG0, F_ANY),
    FN("CUMULATE", SQL_FN_TABLE, 4, 5, R_ARG0, F_ANY),
    FN("SESSION", SQL_FN_TABLE, 3, 3, R_ARG0, F_ANY),
};

#define NFUNCS (sizeof functions / sizeof *functions)

const sql_function *sql_function_find(const char *name)
{
    for (size_t i = 0; i < NFUNCS; i++)
        if (strcasecmp(functions[i].name, name) == 0) return &functions[i];
    return NULL;
}

const char *sql_function_suggest(const char *name)
{
    const char *names[NFUNCS];
    for (size_t i = 0; i < NFUNCS; i++) names[i] = functions[i].name;
    return sl_suggest(name, names, NFUNCS, true);
}

const char *sql_function_name(const sql_function *f) { return f->name; }
sql_fn_kind sql_function_kind(const sql_function *f) { return f->kind; }
size_t sql_function_count(void) { return NFUNCS; }
const char *sql_function_name_at(size_t i) { return i < NFUNCS ? functions[i].name : NULL; }

static fam fam_at(const sql_function *f, int i)
{
    if (f->nfams == 0) return F_ANY;
    return f->fams[i < f->nfams ? i : f->nfams - 1];
}

void sql_function_signature(sl_strbuf *sb, const sql_function *f)
{
    sl_strbuf_printf(sb, "%s(", f->name);
    int shown = f->max_args < 0 ? f->min_args + 1 : f->max_args;
    if (f->max_args < 0 && shown < 1) shown = 1;
    for (int i = 0; i < shown; i++) {
        if (i >= f->min_args) sl_strbuf_puts(sb, i ? " [, " : "[");
        else if (i) sl_strbuf_puts(sb, ", ");
        sl_strbuf_printf(sb, "<%s>", fam_names[fam_at(f, i)]);
        if (i >= f->min_args) sl_strbuf_puts(sb, "]");
    }
    if (f->max_args < 0) sl_strbuf_puts(sb, "...");
    sl_strbuf_puts(sb, ")");
}

static bool fits(fam fm, const sql_type *t)
{
    if (t->id == SQL_T_NULL) return true;
    switch (fm) {
    case F_ANY: return true;
    case F_NUMERIC: return sql_type_is_numeric(t);
    case F_EXACT: return sql_type_is_exact_numeric(t);
    case F_INTEGER: return sql_type_is_integer(t);
    case F_STRING: return sql_type_is_string(t);
    case F_BOOLEAN: return t->id == SQL_T_BOOLEAN;
    case F_TEMPORAL: return sql_type_is_temporal(t);
    case F_TIMESTAMP: return t->id == SQL_T_TIMESTAMP || t->id == SQL_T_TIMESTAMP_LTZ;
    case F_DATE_OR_TS: return t->id == SQL_T_DATE || t->id == SQL_T_TIMESTAMP || t->id == SQL_T_TIMESTAMP_LTZ;
    case F_COLLECTION: return t->id == SQL_T_ARRAY || t->id == SQL_T_MAP || t->id == SQL_T_MULTISET;
    case F_COMPARABLE:
        return t->id != SQL_T_ARRAY && t->id != SQL_T_MAP && t->id != SQL_T_MULTISET && t->id != SQL_T_ROW;
    }
    return false;
}

static bool any_nullable(const sql_type *const *args, int n)
{
    for (int i = 0; i < n; i++)
        if (args[i]->nullable) return true;
    return false;
}

const sql_type *sql_function_infer(sl_arena *a, const sql_function *f, const sql_type *const *args, int nargs,
                                   char *msg, size_t msglen)
{
    bool arity_ok = nargs >= f->min_args && (f->max_args < 0 || nargs <= f->max_args);
    bool types_ok = arity_ok;
    for (int i = 0; types_ok && i < nargs; i++) types_ok = fits(fam_at(f, i), args[i]);
    if (!types_ok) {
        sl_strbuf got = SL_STRBUF_INIT, want = SL_STRBUF_INIT;
        sl_strbuf_printf(&got, "%s(", f->name);
        for (int i = 0; i < nargs; i++) {
            if (i) sl_strbuf_puts(&got, ", ");
            sl_strbuf_putc(&got, '<');
            sql_type_print(&got, args[i]);
            sl_strbuf_putc(&got, '>');
        }
        sl_strbuf_putc(&got, ')');
        sql_function_signature(&want, f);
        snprintf(msg, msglen, "Cannot apply '%s' to arguments of type '%s'. Supported form(s): '%s'", f->name,
                 sl_strbuf_cstr(&got), sl_strbuf_cstr(&want));
        sl_strbuf_free(&got);
        sl_strbuf_free(&want);
        return NULL;
    }
    bool nullable = any_nullable(args, nargs);
    const sql_type *t;
    switch (f->result) {
    case R_ARG0: return sql_type_with_attr(a, args[0], SQL_TA_NONE);
    case R_ARG0_NULLABLE: return sql_type_with_attr(a, sql_type_with_nullable(a, args[0], true), SQL_TA_NONE);
    case R_NULLIF: return sql_type_with_attr(a, sql_type_with_nullable(a, args[0], true), SQL_TA_NONE);
    case R_COMMON:
    case R_COMMON_FROM1:
    case R_COALESCE: {
        int from = f->result == R_COMMON_FROM1 ? 1 : 0;
        t = args[from];
        for (int i = from + 1; i < nargs && t; i++) t = sql_type_common(a, t, args[i]);
        if (!t) {
            snprintf(msg, msglen, "Cannot infer a common type for the arguments of '%s'", f->name);
            return NULL;
        }
        if (f->result == R_COALESCE) {
            bool all_nullable = true;
            for (int i = 0; i < nargs; i++) all_nullable = all_nullable && args[i]->nullable;
            t = sql_type_with_nullable(a, t, all_nullable);
        }
        return sql_type_with_attr(a, t, SQL_TA_NONE);
    }
    case R_BOOLEAN: return sql_type_make(a, SQL_T_BOOLEAN, nullable, -1, -1);
    case R_INT: return sql_type_make(a, SQL_T_INT, nullable, -1, -1);
    case R_BIGINT: return sql_type_make(a, SQL_T_BIGINT, nullable, -1, -1);
    case R_BIGINT_NOT_NULL: return sql_type_make(a, SQL_T_BIGINT, false, -1, -1);
    case R_DOUBLE: return sql_type_make(a, SQL_T_DOUBLE, nullable || f->kind == SQL_FN_AGGREGATE, -1, -1);
    case R_STRING: return sql_type_make(a, SQL_T_VARCHAR, nullable || f->kind == SQL_FN_AGGREGATE, SQL_MAX_LENGTH, -1);
    case R_STRING_NOT_NULL: return sql_type_make(a, SQL_T_VARCHAR, false, SQL_MAX_LENGTH, -1);
    case R_CHAR32: return sql_type_make(a, SQL_T_CHAR, nullable, 32, -1);
    case R_DATE: return sql_type_make(a, SQL_T_DATE, nullable, -1, -1);
    case R_DATE_NOT_NULL: return sql_type_make(a, SQL_T_DATE, false, -1, -1);
    case R_TIMESTAMP3: return sql_type_make(a, SQL_T_TIMESTAMP, nullable, 3, -1);
    case R_LTZ3: return sql_type_make(a, SQL_T_TIMESTAMP_LTZ, nullable, 3, -1);
    case R_LTZ3_NOT_NULL: return sql_type_make(a, SQL_T_TIMESTAMP_LTZ, false, 3, -1);
    case R_PROCTIME:
        return sql_type_with_attr(a, sql_type_make(a, SQL_T_TIMESTAMP_LTZ, false, 3, -1), SQL_TA_PROCTIME);
    case R_SUM:
        /* Flink: SUM(DECIMAL(p, s)) is DECIMAL(38, s); other numerics keep their type. */
        if (args[0]->id == SQL_T_DECIMAL) return sql_type_make(a, SQL_T_DECIMAL, true, SQL_MAX_DECIMAL_PRECISION, args[0]->scale);
        return sql_type_with_attr(a, sql_type_make(a, args[0]->id, true, -1, -1), SQL_TA_NONE);
    case R_AVG:
        /* Flink: AVG keeps the operand type (AVG(BIGINT) is BIGINT); DECIMAL(p, s) -> DECIMAL(38, max(s, 6)). */
        if (args[0]->id == SQL_T_DECIMAL)
            return sql_type_make(a, SQL_T_DECIMAL, true, SQL_MAX_DECIMAL_PRECISION, args[0]->scale > 6 ? args[0]->scale : 6);
        return sql_type_make(a, args[0]->id == SQL_T_NULL ? SQL_T_DOUBLE : args[0]->id, true, -1, -1);
    case R_ROUND: return sql_type_with_attr(a, args[0], SQL_TA_NONE);
    case R_MOD: return sql_type_arith(a, '%', args[0], args[1]);
    }
    return NULL;
}
