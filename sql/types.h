/* sql/types.h — Flink's logical types, natively.
 *
 * A sql_type is immutable once built and lives in an arena (the catalog's or the script's).
 * Printing follows Flink (`VARCHAR(2147483647)` prints as STRING, `INT NOT NULL`,
 * `TIMESTAMP_LTZ(3) *PROCTIME*`, ROW<`a` INT, `b` STRING>), so messages and DESCRIBE look like
 * Flink's. The rules for implicit widening, DECIMAL arithmetic and casts are Flink's
 * (LogicalTypeMerging, LogicalTypeCasts), simplified where noted. */
#ifndef SLUICE_SQL_TYPES_H
#define SLUICE_SQL_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "sql/ast.h"

typedef enum sql_type_id {
    SQL_T_NULL = 0, /* the type of an untyped NULL literal */
    SQL_T_BOOLEAN,
    SQL_T_TINYINT,
    SQL_T_SMALLINT,
    SQL_T_INT,
    SQL_T_BIGINT,
    SQL_T_DECIMAL,
    SQL_T_FLOAT,
    SQL_T_DOUBLE,
    SQL_T_CHAR,
    SQL_T_VARCHAR,
    SQL_T_BINARY,
    SQL_T_VARBINARY,
    SQL_T_DATE,
    SQL_T_TIME,
    SQL_T_TIMESTAMP,
    SQL_T_TIMESTAMP_LTZ,
    SQL_T_INTERVAL_YM, /* INTERVAL YEAR TO MONTH family */
    SQL_T_INTERVAL_DT, /* INTERVAL DAY TO SECOND family */
    SQL_T_ARRAY,
    SQL_T_MAP,
    SQL_T_MULTISET,
    SQL_T_ROW
} sql_type_id;

typedef enum sql_time_attr { SQL_TA_NONE = 0, SQL_TA_ROWTIME, SQL_TA_PROCTIME } sql_time_attr;

#define SQL_MAX_LENGTH 2147483647 /* VARCHAR/VARBINARY maximum: STRING / BYTES */
#define SQL_MAX_DECIMAL_PRECISION 38

typedef struct sql_type sql_type;
struct sql_type {
    sql_type_id id;
    bool nullable;
    int32_t precision; /* length (CHAR..VARBINARY), precision (DECIMAL, TIME, TIMESTAMP*); -1 if none */
    int32_t scale;     /* DECIMAL scale; -1 if none */
    sql_time_attr attr;
    const sql_type *elem;  /* ARRAY, MULTISET element; MAP key */
    const sql_type *value; /* MAP value */
    int32_t nfields;       /* ROW */
    const char **field_names;
    const sql_type **field_types;
};

/* A scalar type (no element/fields). */
const sql_type *sql_type_make(sl_arena *a, sql_type_id id, bool nullable, int32_t precision, int32_t scale);
/* A copy with other nullability / time attribute. */
const sql_type *sql_type_with_nullable(sl_arena *a, const sql_type *t, bool nullable);
const sql_type *sql_type_with_attr(sl_arena *a, const sql_type *t, sql_time_attr attr);
const sql_type *sql_type_array(sl_arena *a, const sql_type *elem, bool nullable);
const sql_type *sql_type_map(sl_arena *a, const sql_type *key, const sql_type *value, bool nullable);

/* Builds a type from a parsed SQL_TYPE node, checking lengths, precisions and scales as Flink
 * does ("Decimal precision must be between 1 and 38 (both inclusive)."). script_name is used
 * for the error location. */
sl_status sql_type_from_ast(sl_arena *a, const sql_node *n, const char *script_name, const sql_type **out,
                            sl_error *err);

/* Flink's string form, e.g. "DECIMAL(10, 2) NOT NULL". */
void sql_type_print(sl_strbuf *out, const sql_type *t);
/* Parses the string form back (sql_type_print's inverse: JobGraph specs carry types as text);
 * NULL if the text is not a type. */
const sql_type *sql_type_parse(sl_arena *a, const char *text);
/* Convenience: the string form in an arena. */
const char *sql_type_str(sl_arena *a, const sql_type *t);

bool sql_type_equals(const sql_type *x, const sql_type *y, bool ignore_nullability);
bool sql_type_is_numeric(const sql_type *t);
bool sql_type_is_exact_numeric(const sql_type *t); /* integers and DECIMAL */
bool sql_type_is_integer(const sql_type *t);
bool sql_type_is_string(const sql_type *t);        /* CHAR, VARCHAR */
bool sql_type_is_binary(const sql_type *t);
bool sql_type_is_temporal(const sql_type *t);      /* DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ */
bool sql_type_is_interval(const sql_type *t);

/* DECIMAL(p, s) view of an exact numeric type (INT is DECIMAL(10, 0) ...). */
void sql_type_decimal_of(const sql_type *t, int32_t *p, int32_t *s);

/* Least restrictive common type of two types (CASE, COALESCE, UNION, IN lists), or NULL if
 * there is none. Nullable if either is. */
const sql_type *sql_type_common(sl_arena *a, const sql_type *x, const sql_type *y);

/* Result type of an arithmetic operator ('+', '-', '*', '/', '%') or NULL if the operands do not
 * support it. Includes temporal +/- interval. */
const sql_type *sql_type_arith(sl_arena *a, char op, const sql_type *x, const sql_type *y);

/* Whether values of the two types can be compared with = < ... (after implicit widening). */
bool sql_type_comparable(const sql_type *x, const sql_type *y);

/* Explicit CAST(x AS to) allowed? Implicit cast (INSERT into a sink column) allowed? */
bool sql_type_can_cast(const sql_type *from, const sql_type *to);
bool sql_type_can_implicit_cast(const sql_type *from, const sql_type *to);

#endif
