/* libFuzzer target: the SQL parser, the validator, the planner (plan, JobGraph, JSON) and error
 * rendering must never crash, leak or hang on any input. Built with clang by run.sh (gcc has no
 * libFuzzer). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/strbuf.h"
#include "sql/sql.h"
#include "sql/validate.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"

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
        } else {
            /* plan every INSERT and query; build, print and round-trip its JobGraph */
            sl_arena *arena = sl_arena_create(0);
            for (int i = 0; i < sql_script_count(s); i++) {
                const sql_node *st = sql_script_stmt(s, i);
                if (st->kind != SQL_INSERT && st->kind != SQL_SELECT) continue;
                plan_node *plan;
                if (plan_build(arena, session, st, "fuzz.sql", &plan, &err) != SL_OK) continue;
                sl_strbuf text = SL_STRBUF_INIT;
                plan_explain(&text, plan);
                plan_state_warnings(&text, plan, 0);
                jg_options opt = {"fuzz", 2, 128};
                jobgraph *g;
                if (jg_build(plan, &opt, &g, &err) == SL_OK) {
                    jg_explain(&text, g);
                    json_t *j = jg_to_json(g);
                    jobgraph *g2;
                    if (jg_from_json(j, &g2, &err) == SL_OK) jobgraph_free(g2);
                    json_decref(j);
                    jobgraph_free(g);
                }
                sl_strbuf_free(&text);
            }
            sl_arena_destroy(arena);
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
