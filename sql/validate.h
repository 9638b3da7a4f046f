/* sql/validate.h — the session catalog and the validator.
 *
 * A session holds the catalog (default_catalog.default_database: tables and views) and the
 * scripts whose statements it has validated (views keep pointers into their script's AST, so the
 * session owns the scripts). sql_session_validate() walks a script's statements in order:
 * DDL changes the catalog, queries and INSERTs are checked — every name bound, every
 * expression typed (sql_node.type), INSERT columns checked against the sink. The first error
 * stops; nothing after it is applied. */
#ifndef SLUICE_SQL_VALIDATE_H
#define SLUICE_SQL_VALIDATE_H

#include <stdbool.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "sql/sql.h"
#include "sql/types.h"

typedef enum sql_col_kind { SQL_COL_PHYSICAL, SQL_COL_COMPUTED, SQL_COL_METADATA } sql_col_kind;

typedef struct sql_column {
    const char *name;
    const sql_type *type;
    sql_col_kind kind;
    const sql_node *expr;     /* computed column expression (in the defining script) */
    const char *metadata_key; /* metadata column: the key (FROM '...' or the column name) */
    bool is_virtual;
} sql_column;

typedef struct sql_table_option {
    const char *key;
    const char *value;
    const sql_node *node; /* the SQL_OPTION node, for error locations */
} sql_table_option;

typedef struct sql_table {
    const char *name;       /* object name, e.g. "kafka01" */
    const char *script;     /* name of the script that defined it */
    bool temporary;
    int ncols;
    sql_column *cols;
    int nopts;
    sql_table_option *opts;
    int rowtime;            /* index of the rowtime column, -1 if none */
    const sql_node *watermark_expr;
    int npk;
    int *pk;                /* primary key column indexes */
    const char *comment;
    const sql_node *query;  /* views: the query */
    bool is_view;
    int serial;             /* which definition of the session this is, from 1 (sql_session_table_version) */
} sql_table;

typedef struct sql_session sql_session;

struct sl_config;

sql_session *sql_session_create(void);
void sql_session_destroy(sql_session *s);
/* Gives the session a configuration to apply SET statements to, in statement order, with source
 * SET at script:line (invalid values are errors pointing at the value; unknown keys are warnings
 * in the configuration). Not owned; NULL (the default) means SET is only parsed. */
void sql_session_set_config(sql_session *s, struct sl_config *cfg);

/* Validates the script's statements in order and takes ownership of the script (it lives as
 * long as the session). On error returns its status; the error carries the script name and byte
 * span, so sl_error_print(err, text, len) shows the line and caret. */
sl_status sql_session_validate(sql_session *s, sql_script *script, sl_error *err);

/* Looks up a table or view by (case-sensitive) name; NULL if absent. */
const sql_table *sql_session_table(const sql_session *s, const char *name);
int sql_session_table_count(const sql_session *s);
/* The table or view a validated reference was bound to, even if it was dropped or replaced since:
 * the validator sets a SQL_TABLE_REF's (and a TVF's SQL_TABLE_ARG's) ival to the object's serial
 * (-1 for a common table expression). NULL for an unknown serial. */
const sql_table *sql_session_table_version(const sql_session *s, int64_t serial);
const sql_table *sql_session_table_at(const sql_session *s, int i);

/* After validation, a query node's `type` is a ROW type whose fields are its output columns. */

/* DESCRIBE-style rendering of a table's schema (used by tests and `sluice sql --validate -v`). */
void sql_table_describe(sl_strbuf *out, const sql_table *t);

#endif
