/* libFuzzer target: the SQL parser, the validator and error rendering must never crash, leak or
 * hang on any input. Built with clang by run.sh (gcc has no libFuzzer). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/strbuf.h"
#include "sql/sql.h"
#include "sql/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error err;
    sql_script *s = sql_parse("fuzz.sql", (const char *)data, size, &err);
    if (s) {
        sl_strbuf out = SL_STRBUF_INIT;
        for (int i = 0; i < sql_script_count(s); i++) sql_ast_print(&out, sql_script_stmt(s, i));
        sl_strbuf_free(&out);
        sql_session *session = sql_session_create();
        if (sql_session_validate(session, s, &err) != SL_OK) {
            FILE *devnull = fopen("/dev/null", "w");
            if (devnull) {
                sl_error_print(devnull, &err, (const char *)data, size);
                fclose(devnull);
            }
        }
        sql_session_destroy(session); /* owns the script */
    } else {
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            sl_error_print(devnull, &err, (const char *)data, size);
            fclose(devnull);
        }
    }
    return 0;
}
