/* sql/sql.c — the parse driver. */
#include "sql/sql.h"

#include <stdint.h>
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

/* The offset of the first byte of text that does not belong to well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or -1. */
static int64_t bad_utf8_at(const unsigned char *t, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = t[i];
        size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 4;
        if (n == 4 || i + n >= len) return (int64_t)i; /* (n == 4: not a lead byte) */
        uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
        for (size_t k = 1; k <= n; k++) {
            if ((t[i + k] & 0xC0) != 0x80) return (int64_t)i;
            cp = cp << 6 | (t[i + k] & 0x3F);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return (int64_t)i;
        i += n + 1;
    }
    return -1;
}

sql_script *sql_parse(const char *name, const char *text, size_t len, sl_error *err)
{
    sl_error_clear(err);
    if (len > INT32_MAX) {
        sl_error_set(err, SL_ERR_INVALID, "SQL script '%s' is too large (%zu bytes; at most 2 GiB)", name, len);
        return NULL;
    }
    /* everything downstream (the job graph's JSON, messages) carries the script's text as UTF-8 */
    int64_t bad = bad_utf8_at((const unsigned char *)text, len);
    if (bad >= 0) {
        sl_error_set(err, SL_ERR_SYNTAX, "the script is not valid UTF-8 (byte 0x%02X)", (unsigned char)text[bad]);
        sl_error_at_offset(err, name, bad, 1);
        sl_error_hint(err, "save the script as UTF-8");
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
