/* sql/sql_int.h — internals shared by the lexer, the parser and the AST helpers. */
#ifndef SLUICE_SQL_SQL_INT_H
#define SLUICE_SQL_SQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "sql/ast.h"

/* Token locations are byte spans [off, end) in the script. */
typedef struct sql_loc {
    int32_t off;
    int32_t end;
} sql_loc;
#define SQLYYLTYPE sql_loc
#define SQLYYLTYPE_IS_DECLARED 1
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                                          \
    do {                                                                                                     \
        if (N) {                                                                                             \
            (Cur).off = YYRHSLOC(Rhs, 1).off;                                                                \
            (Cur).end = YYRHSLOC(Rhs, N).end;                                                                \
        } else {                                                                                             \
            (Cur).off = (Cur).end = YYRHSLOC(Rhs, 0).end;                                                    \
        }                                                                                                    \
    } while (0)

typedef struct sql_pctx {
    sl_arena *arena;
    const char *name; /* script name for error locations */
    const char *text;
    size_t len;
    int32_t pos;       /* lexer position */
    bool in_hint;      /* inside a hint comment */
    int32_t comment_start; /* where the open block comment began */
    sl_error *err;
    bool failed;       /* an error has been recorded; later errors are ignored */
    sql_node *stmts;   /* SQL_LIST of statements */
} sql_pctx;

sql_node *sql_new(sql_pctx *cx, sql_kind kind, sql_loc loc, const char *text);
/* Appends kid (may be NULL) to n's children. Returns n. */
sql_node *sql_add(sql_pctx *cx, sql_node *n, sql_node *kid);
/* New node with the given children (NULLs allowed). */
sql_node *sql_mk(sql_pctx *cx, sql_kind kind, sql_loc loc, const char *text, int nkids, ...);
char *sql_strndup(sql_pctx *cx, const char *s, size_t n);
/* Records the first error; kind is SL_ERR_SYNTAX or SL_ERR_UNSUPPORTED. */
void sql_fail(sql_pctx *cx, sl_status code, sql_loc loc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
