/* sql/functions.h — the table of built-in functions: name, kind, operand families and the rule
 * giving the result type. Type checking only; evaluation belongs to the runtime.
 *
 * Errors follow Flink's wording:
 *   No match found for function signature FOOO(<NUMERIC>)
 *   Cannot apply 'UPPER' to arguments of type 'UPPER(<INT>)'. Supported form(s): 'UPPER(<CHARACTER_STRING>)' */
#ifndef SLUICE_SQL_FUNCTIONS_H
#define SLUICE_SQL_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "sql/types.h"

typedef enum sql_fn_kind { SQL_FN_SCALAR, SQL_FN_AGGREGATE, SQL_FN_WINDOW, SQL_FN_TABLE } sql_fn_kind;

typedef struct sql_function sql_function;

/* Looks a function up by name, case-insensitively; NULL if unknown. */
const sql_function *sql_function_find(const char *name);
/* The closest known function name (for "did you mean"), or NULL. */
const char *sql_function_suggest(const char *name);
const char *sql_function_name(const sql_function *f);
sql_fn_kind sql_function_kind(const sql_function *f);
/* Appends the supported form as Flink prints it, e.g. "UPPER(<CHARACTER_STRING>)". */
void sql_function_signature(sl_strbuf *out, const sql_function *f);

/* Result type of f applied to args, or NULL with a message in msg (Flink's wording). */
const sql_type *sql_function_infer(sl_arena *a, const sql_function *f, const sql_type *const *args, int nargs,
                                   char *msg, size_t msglen);

/* Names of all functions in table order (for SHOW FUNCTIONS). */
size_t sql_function_count(void);
const char *sql_function_name_at(size_t i);

#endif
