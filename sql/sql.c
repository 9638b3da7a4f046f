/* sql/sql.c — the parse driver. */
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "sql/sql_int.h"
#include "parser.h"
#include "lexer.h"

struct sql_script {
    sl_arena *arena;
    sql_node *stmts;
    const char *name; /* copies, in the arena */
    const char *text;
};

sql_script *sql_parse(const char *name, const char *text, size_t len, sl_error *err)
{
    sl_error_clear(err);
    if (len > INT32_MAX) {
        sl_error_set(err, SL_ERR_INVALID, "SQL script '%s' is too large (%zu bytes; at most 2 GiB)", name, len);
        return NULL;
    }
    sql_pctx cx = {0};
    cx.arena = sl_arena_create(0);
    cx.name = name;
    cx.text = text;
    cx.len = len;
    cx.err = err;
    sql_loc whole = {0, 0};
    cx.stmts = sql_new(&cx, SQL_LIST, whole, NULL);

    yyscan_t scanner;
    sqlyylex_init_extra(&cx, &scanner);
    YY_BUFFER_STATE buf = sqlyy_scan_bytes(text, (int)len, scanner);
    int rc = sqlyyparse(scanner, &cx);
    sqlyy_delete_buffer(buf, scanner);
    sqlyylex_destroy(scanner);

    if (rc != 0 || cx.failed) {
        if (!cx.failed) sl_error_set(err, SL_ERR_INTERNAL, "SQL parser failed (out of parser stack?)");
        sl_arena_destroy(cx.arena);
        return NULL;
    }
    sql_script *s = sl_xmalloc(sizeof *s);
    s->arena = cx.arena;
    s->stmts = cx.stmts;
    s->name = sl_arena_strdup(cx.arena, name);
    char *copy = sl_arena_alloc(cx.arena, len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    s->text = copy;
    return s;
}

void sql_script_destroy(sql_script *s)
{
    if (!s) return;
    sl_arena_destroy(s->arena);
    free(s);
}

int sql_script_count(const sql_script *s) { return s->stmts->nkids; }

const sql_node *sql_script_stmt(const sql_script *s, int i) { return s->stmts->kids[i]; }

const char *sql_script_name(const sql_script *s) { return s->name; }

const char *sql_script_text(const sql_script *s) { return s->text; }
