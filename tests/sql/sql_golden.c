/* sql_golden [--validate] FILE: parses a SQL script and prints its AST, or with --validate
 * validates it and prints the resulting tables and the output type of each query; on error
 * prints the rendered error (exit 2). Used by golden.sh, which compares with FILE's .out. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "sql/sql.h"
#include "sql/types.h"
#include "sql/validate.h"

int main(int argc, char **argv)
{
    bool validate = argc == 3 && strcmp(argv[1], "--validate") == 0;
    if (argc != 2 && !validate) {
        fprintf(stderr, "usage: sql_golden [--validate] FILE.sql\n");
        return 2;
    }
    const char *path = argv[argc - 1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 2;
    }
    sl_strbuf text = SL_STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sl_strbuf_append(&text, buf, n);
    fclose(f);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    sl_error err;
    sql_script *s = sql_parse(name, sl_strbuf_cstr(&text), text.len, &err);
    int status = 0;
    if (!s) {
        printf("%s: ", sl_status_name(err.code));
        sl_error_print(stdout, &err, sl_strbuf_cstr(&text), text.len);
        status = 2;
    } else if (validate) {
        sql_session *session = sql_session_create();
        int nstmts = sql_script_count(s);
        if (sql_session_validate(session, s, &err) != SL_OK) {
            printf("%s: ", sl_status_name(err.code));
            sl_error_print(stdout, &err, sl_strbuf_cstr(&text), text.len);
            status = 2;
        } else {
            sl_strbuf out = SL_STRBUF_INIT;
            for (int i = 0; i < sql_session_table_count(session); i++) sql_table_describe(&out, sql_session_table_at(session, i));
            for (int i = 0; i < nstmts; i++) {
                const sql_node *st = sql_script_stmt(s, i);
                const sql_node *q = st->kind == SQL_INSERT ? st->kids[2] : st;
                if (q->type) {
                    sl_strbuf_printf(&out, "statement %d: ", i + 1);
                    sql_type_print(&out, q->type);
                    sl_strbuf_putc(&out, '\n');
                }
            }
            fputs(sl_strbuf_cstr(&out), stdout);
            sl_strbuf_free(&out);
        }
        sql_session_destroy(session);
    } else {
        sl_strbuf out = SL_STRBUF_INIT;
        for (int i = 0; i < sql_script_count(s); i++) {
            sl_strbuf_printf(&out, "-- statement %d\n", i + 1);
            sql_ast_print(&out, sql_script_stmt(s, i));
        }
        fputs(sl_strbuf_cstr(&out), stdout);
        sl_strbuf_free(&out);
        sql_script_destroy(s);
    }
    sl_strbuf_free(&text);
    return status;
}
