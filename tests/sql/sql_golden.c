/* sql_golden FILE: parses a SQL script and prints its AST, or the rendered error (exit 2).
 * Used by golden.sh, which compares the output with FILE's .out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "sql/sql.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sql_golden FILE.sql\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    sl_strbuf text = SL_STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sl_strbuf_append(&text, buf, n);
    fclose(f);
    const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    sl_error err;
    sql_script *s = sql_parse(name, sl_strbuf_cstr(&text), text.len, &err);
    int status = 0;
    if (!s) {
        printf("%s: ", sl_status_name(err.code));
        sl_error_print(stdout, &err, sl_strbuf_cstr(&text), text.len);
        status = 2;
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
