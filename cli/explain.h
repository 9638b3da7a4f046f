/* cli/explain.h — EXPLAIN's output for one statement, shared by `sluice explain` and an EXPLAIN
 * statement in a script run by `sluice sql`. */
#ifndef SLUICE_CLI_EXPLAIN_H
#define SLUICE_CLI_EXPLAIN_H

#include <stddef.h>

#include "common/arena.h"
#include "common/config.h"
#include "common/strbuf.h"
#include "sql/validate.h"

/* Appends to out, for each INSERT or query of statement st (an EXPLAIN's statement, or each INSERT
 * of a statement set), a "-- FILE:LINE: INSERT INTO t" line, then the sections `== Abstract Syntax
 * Tree ==`, `== Optimized Physical Plan ==` and `== Job Graph ==`, then the unbounded-state
 * warnings (cfg: parallelism, state backend, table.exec.state.ttl). name is the script's name,
 * text/len its text (error locations). *planned counts the statements explained; other statements
 * add nothing. Returns 0, or 2 after printing the error to stderr. */
int sl_explain_statement(sl_arena *arena, const sql_session *session, const sl_config *cfg, const sql_node *st,
                         const char *name, const char *text, size_t len, sl_strbuf *out, int *planned);

#endif
