/* cli/cmd_explain.c — `sluice explain -f job.sql`: validates the script and prints, for each
 * INSERT (or query), Flink's EXPLAIN sections (the plan before and after the rules), the JobGraph
 * and what bounds the state of its stateful operators. sl_explain_statement (explain.h) is also
 * what an EXPLAIN statement in `sluice sql` prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/explain.h"
#include "common/strbuf.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"
#include "sql/sql.h"
#include "sql/validate.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice explain -f FILE [-c FILE] [-D key=value ...]\n"
            "\n"
            "Prints, for each INSERT (or query) in a Flink SQL script, its plan as first built from the SQL\n"
            "(== Abstract Syntax Tree ==), its optimized plan with each operator's changelog mode, state\n"
            "backend and state TTL (== Optimized Physical Plan ==) and its JobGraph, and warns about\n"
            "operators whose state grows without bound.\n"
            "\n"
            "Options:\n"
            "  -f, --file FILE     the SQL script ('-' reads standard input)\n"
            "  -c, --config FILE   configuration file\n"
            "  -D key=value        override a configuration key (e.g. -D table.exec.state.ttl=1d)\n"
            "  -h, --help          show this help\n");
}

static bool plannable(const sql_node *st)
{
    return st->kind == SQL_INSERT || st->kind == SQL_SELECT || st->kind == SQL_SET_OP || st->kind == SQL_ORDER_BY ||
           st->kind == SQL_WITH;
}

/* The sections of one INSERT or query (see explain.h). */
static int explain_one(sl_arena *arena, const sql_session *session, const sl_config *cfg, const sql_node *st,
                       const char *name, const char *text, size_t len, sl_strbuf *out, int *planned)
{
    sl_error err;
    plan_node *ast = NULL, *plan;
    if (plan_build_explain(arena, session, st, name, &ast, &plan, &err) != SL_OK) {
        sl_error_print(stderr, &err, text, len);
        return 2;
    }
    int line, col;
    sl_source_locate(text, len, st->off, &line, &col);
    sl_strbuf_printf(out, "%s-- %s:%d: ", *planned ? "\n" : "", name, line);
    if (plan->kind == PLAN_SINK) sl_strbuf_printf(out, "INSERT INTO %s\n", plan->sink->name);
    else sl_strbuf_puts(out, "query\n");
    sl_strbuf_puts(out, "== Abstract Syntax Tree ==\n");
    plan_explain_ast(out, ast);
    sl_strbuf_puts(out, "\n== Optimized Physical Plan ==\n");
    int64_t ttl = sl_config_get_duration_ms(cfg, "table.exec.state.ttl");
    plan_explain_opts po = {sl_config_get_enum(cfg, "state.backend.type"), ttl};
    plan_explain_physical(out, plan, &po);
    int par = sl_config_get_int(cfg, "table.exec.resource.default-parallelism");
    jg_options jo = {sl_config_get_string(cfg, "pipeline.name"), par > 0 ? par : sl_config_get_int(cfg, "parallelism.default"),
                     sl_config_get_int(cfg, "pipeline.max-parallelism")};
    jobgraph *g;
    if (jg_build(plan, &jo, &g, &err) != SL_OK) {
        sl_error_print(stderr, &err, NULL, 0);
        return 2;
    }
    sl_strbuf_puts(out, "\n== Job Graph ==\n");
    jg_explain(out, g);
    jobgraph_free(g);
    sl_strbuf warn = SL_STRBUF_INIT;
    plan_state_warnings(&warn, plan, ttl);
    if (warn.len) sl_strbuf_printf(out, "\n%s", sl_strbuf_cstr(&warn));
    sl_strbuf_free(&warn);
    (*planned)++;
    return 0;
}

int sl_explain_statement(sl_arena *arena, const sql_session *session, const sl_config *cfg, const sql_node *st,
                         const char *name, const char *text, size_t len, sl_strbuf *out, int *planned)
{
    if (st->kind == SQL_EXPLAIN) st = st->kids[0];
    if (st->kind == SQL_STATEMENT_SET) {
        for (int k = 0; k < st->nkids; k++) {
            int status = plannable(st->kids[k]) ? explain_one(arena, session, cfg, st->kids[k], name, text, len, out, planned) : 0;
            if (status) return status;
        }
        return 0;
    }
    return plannable(st) ? explain_one(arena, session, cfg, st, name, text, len, out, planned) : 0;
}

int sl_cmd_explain(int argc, char **argv)
{
    sl_cli_conf cc;
    sl_cli_conf_init(&cc);
    const char *file = NULL;
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
                status = sl_cli_usage_error("explain", "option '%s' needs a file name", argv[i]);
                goto out;
            }
            file = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            goto out;
        } else {
            status = sl_cli_usage_error("explain", "unknown option '%s'", argv[i]);
            goto out;
        }
    }
    if (!file) {
        status = sl_cli_usage_error("explain", "no script given; use -f FILE");
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
        const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
        sl_error err;
        sql_script *s = sql_parse(name, sl_strbuf_cstr(&text), text.len, &err);
        sql_session *session = sql_session_create();
        sql_session_set_config(session, cfg);
        if (!s || sql_session_validate(session, s, &err) != SL_OK) {
            sl_error_print(stderr, &err, sl_strbuf_cstr(&text), text.len);
            status = 2;
        } else {
            sl_arena *arena = sl_arena_create(0);
            sl_strbuf out = SL_STRBUF_INIT;
            int planned = 0;
            for (int i = 0; i < sql_script_count(s) && status == 0; i++)
                status = sl_explain_statement(arena, session, cfg, sql_script_stmt(s, i), name, sl_strbuf_cstr(&text), text.len,
                                              &out, &planned);
            if (status == 0) {
                if (!planned) sl_strbuf_printf(&out, "%s: no INSERT or query to explain\n", name);
                fputs(sl_strbuf_cstr(&out), stdout);
            }
            sl_strbuf_free(&out);
            sl_arena_destroy(arena);
        }
        sql_session_destroy(session);
    }
    sl_strbuf_free(&text);
    sl_config_destroy(cfg);
out:
    sl_cli_conf_free(&cc);
    return status;
}
