/* cli/cmd_sql.c — `sluice sql`: run or check a Flink SQL script.
 * This build parses and validates scripts; planning and execution are added by the following
 * capabilities, and until then running a script says so instead of pretending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "common/strbuf.h"
#include "sql/sql.h"
#include "sql/validate.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice sql -f FILE [--validate | --parse-only] [-c FILE] [-D key=value ...]\n"
            "\n"
            "Runs a Flink SQL script (CREATE TABLE, SET, INSERT INTO ...).\n"
            "\n"
            "Options:\n"
            "  -f, --file FILE     the SQL script ('-' reads standard input)\n"
            "  --validate          parse and validate the script (names, types, functions, INSERT\n"
            "                      columns) without running it; exit 0 = valid, 2 = error\n"
            "  --parse-only        check the script's syntax only\n"
            "  -c, --config FILE   configuration file\n"
            "  -D key=value        override a configuration key\n"
            "  -h, --help          show this help\n");
}

int sl_cmd_sql(int argc, char **argv)
{
    sl_cli_conf cc;
    sl_cli_conf_init(&cc);
    const char *file = NULL;
    bool parse_only = false, validate = false;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int used = sl_cli_conf_arg(&cc, argc, argv, i);
        if (used < 0) {
            status = 2;
            goto out;
        }
        if (used > 0) {
            i += used - 1;
        } else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--file") == 0) {
            if (i + 1 >= argc) {
                status = sl_cli_usage_error("sql", "option '%s' needs a file name", argv[i]);
                goto out;
            }
            file = argv[++i];
        } else if (strcmp(argv[i], "--parse-only") == 0) {
            parse_only = true;
        } else if (strcmp(argv[i], "--validate") == 0) {
            validate = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            goto out;
        } else {
            status = sl_cli_usage_error("sql", "unknown option '%s'", argv[i]);
            goto out;
        }
    }
    if (!file) {
        status = sl_cli_usage_error("sql", "no script given; use -f FILE");
        goto out;
    }
    sl_config *cfg = sl_cli_conf_load(&cc);
    if (!cfg) {
        status = 2;
        goto out;
    }
    sl_strbuf text = SL_STRBUF_INIT;
    if (sl_cli_read_script(file, &text) != 0) {
        status = 2;
    } else {
        sl_error err;
        const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
        sql_script *s = sql_parse(name, sl_strbuf_cstr(&text), text.len, &err);
        if (!s) {
            sl_error_print(stderr, &err, sl_strbuf_cstr(&text), text.len);
            status = 2;
        } else if (parse_only) {
            printf("%s: %d statement%s parsed\n", name, sql_script_count(s), sql_script_count(s) == 1 ? "" : "s");
            sql_script_destroy(s);
        } else if (validate) {
            sql_session *session = sql_session_create();
            sql_session_set_config(session, cfg);
            int n = sql_script_count(s);
            size_t warned = sl_config_warning_count(cfg);
            sl_status vst = sql_session_validate(session, s, &err);
            for (size_t w = warned; w < sl_config_warning_count(cfg); w++)
                fprintf(stderr, "sluice: warning: %s\n", sl_config_warning(cfg, w));
            if (vst != SL_OK) {
                sl_error_print(stderr, &err, sl_strbuf_cstr(&text), text.len);
                status = 2;
            } else {
                printf("%s: %d statement%s validated\n", name, n, n == 1 ? "" : "s");
            }
            sql_session_destroy(session);
        } else {
            fprintf(stderr,
                    "sluice: this build cannot run SQL jobs yet: the planner and the runtime are the next "
                    "capabilities being built.\n"
                    "hint: use 'sluice sql --validate -f %s' to check the script\n",
                    file);
            sql_script_destroy(s);
            status = 2;
        }
    }
    sl_strbuf_free(&text);
    sl_config_destroy(cfg);
out:
    sl_cli_conf_free(&cc);
    return status;
}
