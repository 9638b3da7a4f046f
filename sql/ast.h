/* sql/ast.h — the abstract syntax tree of a Flink SQL script.
 *
 * Uniform nodes, like Calcite's SqlNode/SqlCall: every node has a kind, the byte span of the
 * source text it came from (off, len), an optional text (identifier, literal, operator or type
 * name), an integer payload and flags, and an ordered list of children whose meaning depends on
 * the kind (documented next to each kind below; an absent optional child is NULL).
 * All nodes and strings live in the script's arena (sql_script owns it). */
#ifndef SLUICE_SQL_AST_H
#define SLUICE_SQL_AST_H

#include <stdbool.h>
#include <stdint.h>

typedef enum sql_kind {
    /* ---- statements ---- */
    SQL_CREATE_TABLE,   /* kids: [name, elements(LIST), partitioned(LIST|NULL), options(LIST|NULL), like(LIKE|NULL), comment(LIT|NULL)]
                           flags: SQL_F_TEMPORARY, SQL_F_IF_NOT_EXISTS */
    SQL_CREATE_VIEW,    /* kids: [name, columns(LIST|NULL), query]; flags: TEMPORARY, IF_NOT_EXISTS */
    SQL_DROP_TABLE,     /* kids: [name]; flags: SQL_F_IF_EXISTS, SQL_F_TEMPORARY */
    SQL_DROP_VIEW,      /* kids: [name]; flags: SQL_F_IF_EXISTS, SQL_F_TEMPORARY */
    SQL_SET,            /* kids: [key(LIT)|NULL, value(LIT)|NULL] (SET alone lists) */
    SQL_RESET,          /* kids: [key(LIT)|NULL] */
    SQL_INSERT,         /* kids: [table name, columns(LIST|NULL), query]; flags: SQL_F_OVERWRITE */
    SQL_STATEMENT_SET,  /* kids: INSERT statements */
    SQL_EXPLAIN,        /* kids: [statement] */
    SQL_SHOW_TABLES,
    SQL_SHOW_VIEWS,
    SQL_SHOW_FUNCTIONS,
    SQL_DESCRIBE,       /* kids: [name] */
    SQL_UNSUPPORTED,    /* recognised Flink statement Sluice does not support; text = feature */

    /* ---- DDL parts ---- */
    SQL_COLUMN,         /* text = name; kids: [type, comment(LIT|NULL)]; flags: SQL_F_PRIMARY_KEY */
    SQL_COMPUTED_COLUMN,/* text = name; kids: [expr, comment(LIT|NULL)] */
    SQL_METADATA_COLUMN,/* text = name; kids: [type, key(LIT|NULL), comment]; flags: SQL_F_VIRTUAL */
    SQL_WATERMARK,      /* kids: [column(ID), expr] */
    SQL_PRIMARY_KEY,    /* kids: column IDs */
    SQL_OPTION,         /* kids: [key(LIT), value(LIT)] */
    SQL_LIKE,           /* kids: [source name, like options (IDs: text "INCLUDING ALL" etc.)] */

    /* ---- queries ---- */
    SQL_WITH,           /* kids: [ctes(LIST of CTE), body query] */
    SQL_CTE,            /* text = name; kids: [columns(LIST|NULL), query] */
    SQL_SELECT,         /* kids: [items(LIST), from|NULL, where|NULL, group_by(LIST|NULL), having|NULL,
                                  hints(LIST|NULL)]; flags: SQL_F_DISTINCT */
    SQL_SET_OP,         /* text = "UNION" | "INTERSECT" | "EXCEPT"; kids: [left, right]; flags: SQL_F_ALL */
    SQL_VALUES,         /* VALUES (a, b), (c, d): kids: rows, each a LIST of column expressions */
    SQL_ORDER_BY,       /* kids: [query, order items(LIST), limit(LIT|NULL), offset(LIT|NULL)] */
    SQL_ORDER_ITEM,     /* kids: [expr]; flags: SQL_F_DESC, SQL_F_NULLS_FIRST, SQL_F_NULLS_LAST */
    SQL_SELECT_ITEM,    /* kids: [expr, alias(ID)|NULL] */
    SQL_STAR,           /* kids: [qualifier name]|none: `*` or `t.*` */
    SQL_TABLE_REF,      /* kids: [name, alias(ID)|NULL, as_of(expr)|NULL, hints(LIST)|NULL, column aliases(LIST)|NULL] */
    SQL_SUBQUERY,       /* kids: [query, alias(ID)|NULL, column aliases(LIST)|NULL]; flags: SQL_F_LATERAL */
    SQL_JOIN,           /* text = "INNER" | "LEFT" | "RIGHT" | "FULL" | "CROSS" | "COMMA";
                           kids: [left, right, on(expr)|NULL, using(LIST of ID)|NULL] */
    SQL_TVF,            /* table function in FROM: TABLE(f(...)); kids: [call, alias(ID)|NULL] */
    SQL_TABLE_ARG,      /* TABLE t [PARTITION BY exprs] inside a TVF call; kids: [name, partition keys(LIST)|NULL] */
    SQL_DESCRIPTOR,     /* DESCRIPTOR(cols); kids: column IDs */
    SQL_HINT,           /* text = hint name; kids: OPTIONs or LITs */

    /* ---- expressions ---- */
    SQL_ID,             /* compound identifier: kids are SQL_NAME parts (a.b.c); text = last part.
                           After validation, a column reference has ival = its position in the input
                           row of the clause (the FROM relations' columns laid end to end, left to right)
                           and ival2 = how many of its parts name the relation and column (1 or 2; the
                           rest are ROW field accesses); SQL_F_OUTER_REF marks a reference to an
                           enclosing query (correlation) */
    SQL_NAME,           /* one identifier part; text = name (unquoted); flags: SQL_F_QUOTED */
    SQL_LIT_INT,        /* text = digits */
    SQL_LIT_DEC,        /* text = exact decimal, e.g. 1.50 */
    SQL_LIT_FLOAT,      /* text = approximate, e.g. 1e10 */
    SQL_LIT_STRING,     /* text = value with '' unescaped */
    SQL_LIT_BOOL,       /* ival = 0/1 */
    SQL_LIT_NULL,
    SQL_LIT_TYPED,      /* text = type keyword (DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ); kids: [string LIT] */
    SQL_LIT_INTERVAL,   /* kids: [value string LIT, qualifier]; flags: SQL_F_NEGATIVE */
    SQL_INTERVAL_QUAL,  /* text = "DAY" / "DAY TO SECOND" ...; ival = precision or -1 */
    SQL_UNARY,          /* text = "-" | "+" | "NOT"; kids: [operand] */
    SQL_BINARY,         /* text = operator (+ - * / % || = <> < <= > >= AND OR); kids: [l, r] */
    SQL_IS,             /* text = "NULL" | "TRUE" | "FALSE" | "UNKNOWN"; kids: [operand]; flags: SQL_F_NOT */
    SQL_BETWEEN,        /* kids: [operand, low, high]; flags: SQL_F_NOT, SQL_F_SYMMETRIC */
    SQL_IN,             /* kids: [operand, values(LIST) or subquery]; flags: SQL_F_NOT */
    SQL_LIKE_OP,        /* text = "LIKE" | "SIMILAR TO"; kids: [operand, pattern, escape|NULL]; flags: SQL_F_NOT */
    SQL_CASE,           /* kids: [operand|NULL, whens(LIST of WHEN), else|NULL] */
    SQL_WHEN,           /* kids: [condition, result] */
    SQL_CAST,           /* text = "CAST" | "TRY_CAST"; kids: [expr, type] */
    SQL_CALL,           /* function call; text = function name (as written); kids: [args(LIST), filter|NULL, over|NULL]
                           flags: SQL_F_DISTINCT, SQL_F_STAR_ARG (COUNT(*)) */
    SQL_SPECIAL,        /* keyword-syntax functions: text = EXTRACT | POSITION | TRIM | SUBSTRING | TIMESTAMPADD |
                           TIMESTAMPDIFF | OVERLAY; kids depend: EXTRACT [unit(ID), expr]; POSITION [needle, haystack];
                           TRIM [mode(ID)|NULL, chars|NULL, expr]; SUBSTRING [expr, from, for|NULL];
                           TIMESTAMPADD/DIFF [unit(ID), a, b] */
    SQL_FIELD,          /* field access expr.name where expr is not a plain identifier; kids: [expr, NAME] */
    SQL_ITEM,           /* item access expr[index]; kids: [expr, index] */
    SQL_ROW_CTOR,       /* ROW(a, b) or (a, b); kids: values */
    SQL_ARRAY_CTOR,     /* ARRAY[a, b]; kids: values */
    SQL_MAP_CTOR,       /* MAP[k, v, ...]; kids: values */
    SQL_OVER,           /* window spec: kids: [partition(LIST|NULL), order(LIST|NULL), frame(FRAME|NULL)];
                           text = referenced window name or NULL */
    SQL_FRAME,          /* text = "ROWS" | "RANGE"; kids: [lower BOUND, upper BOUND|NULL] */
    SQL_BOUND,          /* text = "UNBOUNDED PRECEDING" | "PRECEDING" | "CURRENT ROW" | "FOLLOWING" |
                           "UNBOUNDED FOLLOWING"; kids: [offset expr]|none */
    SQL_EXISTS,         /* kids: [query] */
    SQL_SCALAR_QUERY,   /* (SELECT ...) as an expression; kids: [query] */

    /* ---- types ---- */
    SQL_TYPE,           /* text = canonical type name (INT, VARCHAR, DECIMAL, TIMESTAMP, TIMESTAMP_LTZ,
                           ARRAY, MAP, MULTISET, ROW, INTERVAL ...); ival = precision/length or -1;
                           ival2 = scale or -1; kids: element types / ROW FIELDs / INTERVAL_QUAL;
                           flags: SQL_F_NOT_NULL, SQL_F_WITH_LOCAL_TZ */
    SQL_ROW_FIELD,      /* text = field name; kids: [type, comment|NULL] */

    SQL_LIST            /* a plain list of children */
} sql_kind;

enum {
    SQL_F_TEMPORARY = 1u << 0,
    SQL_F_IF_NOT_EXISTS = 1u << 1,
    SQL_F_IF_EXISTS = 1u << 2,
    SQL_F_OVERWRITE = 1u << 3,
    SQL_F_DISTINCT = 1u << 4,
    SQL_F_ALL = 1u << 5,
    SQL_F_DESC = 1u << 6,
    SQL_F_NULLS_FIRST = 1u << 7,
    SQL_F_NULLS_LAST = 1u << 8,
    SQL_F_NOT = 1u << 9,
    SQL_F_SYMMETRIC = 1u << 10,
    SQL_F_STAR_ARG = 1u << 11,
    SQL_F_NOT_NULL = 1u << 12,
    SQL_F_WITH_LOCAL_TZ = 1u << 13,
    SQL_F_VIRTUAL = 1u << 14,
    SQL_F_PRIMARY_KEY = 1u << 15,
    SQL_F_QUOTED = 1u << 16,
    SQL_F_NEGATIVE = 1u << 17,
    SQL_F_LATERAL = 1u << 18,
    SQL_F_PARENS = 1u << 19, /* the expression/query was written in parentheses */
    SQL_F_OUTER_REF = 1u << 20, /* a column reference into an enclosing query */
    SQL_F_OUTER_FAR = 1u << 21, /* ... into a query more than one level up */
};

typedef struct sql_node sql_node;
struct sql_node {
    sql_kind kind;
    int32_t off, len;  /* byte span in the script */
    const char *text;  /* NUL-terminated, in the arena; NULL if none */
    int64_t ival;
    int64_t ival2;
    uint32_t flags;
    int32_t nkids;
    sql_node **kids;
    /* Set by the validator on expressions: the inferred type (NULL before validation). */
    const struct sql_type *type;
};

/* The name of a kind, e.g. "CreateTable" (used by the AST printer). */
const char *sql_kind_name(sql_kind k);

#endif
