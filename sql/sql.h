/* sql/sql.h — parsing Flink SQL scripts.
 *
 *   sl_error err;
 *   sql_script *s = sql_parse("job.sql", text, len, &err);
 *   if (!s) { sl_error_print(stderr, &err, text, len); ... }
 *
 * The first error stops parsing; nothing after it is used. The script owns an arena holding
 * all nodes; the text must outlive the script only while errors are rendered. */
#ifndef SLUICE_SQL_SQL_H
#define SLUICE_SQL_SQL_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "sql/ast.h"

typedef struct sql_script sql_script;

sql_script *sql_parse(const char *name, const char *text, size_t len, sl_error *err);
void sql_script_destroy(sql_script *s);

int sql_script_count(const sql_script *s);
const sql_node *sql_script_stmt(const sql_script *s, int i);
/* The script's name (for error locations) and source text (valid while the script lives; the
 * script keeps its own copy). */
const char *sql_script_name(const sql_script *s);
const char *sql_script_text(const sql_script *s);

/* Prints a node as an indented tree, one node per line (used by golden tests). */
void sql_ast_print(sl_strbuf *out, const sql_node *n);

#endif
