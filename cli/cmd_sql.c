/* cli/cmd_sql.c — `sluice sql`: run or check a Flink SQL script.
 *
 * Running: DDL registers tables, SET changes the configuration of the jobs that follow it, and
 * each INSERT (a statement set: all its INSERTs together) or bare query becomes one job, planned
 * and run to its end in the embedded mini-cluster (taskmanager/local.h) before the next starts,
 * as Flink's SQL client with table.dml-sync = true. Every table a job uses is checked against its
 * connector factory before anything runs, with errors pointing at the option in the script.
 * SIGINT/SIGTERM stop the running job gracefully (a second one exits at once). Exit status: 0 all
 * jobs finished (or were stopped), 1 a job failed, 2 the script or configuration is invalid. */
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/explain.h"
#include "common/strbuf.h"
#include "common/units.h"
#include "connectors/connector.h"
#include "planner/jobgraph.h"
#include "planner/plan.h"
#include "sql/sql.h"
#include "sql/validate.h"
#include "taskmanager/local.h"

/* Set by SIGINT/SIGTERM. The one piece of mutable global state of the process: a signal
 * handler has no other way to reach the job. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (stop_requested) {
        static const char msg[] = "\nsluice: second signal: exiting without a graceful stop\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(128 + sig);
    }
    stop_requested = 1;
}

typedef struct run_ctx {
    const char *name;       /* script name */
    const sl_strbuf *text;
    sql_script *script;
    sql_session *session;
    const sl_config *base;  /* configuration before the script's SET statements */
    sl_arena *arena;
} run_ctx;

/* The configuration a job at statement `upto` runs with: the base plus the SETs before it. */
static sl_config *config_at(run_ctx *rc, int upto, sl_error *err)
{
    sl_config *cfg = sl_config_copy(rc->base);
    for (int i = 0; i < upto; i++) {
        const sql_node *st = sql_script_stmt(rc->script, i);
        if (st->kind != SQL_SET || !st->kids[0]) continue;
        int line, col;
        sl_source_locate(sl_strbuf_cstr(rc->text), rc->text->len, st->off, &line, &col);
        if (sl_config_set(cfg, st->kids[0]->text, st->kids[1]->text, SL_CONF_SRC_SET, rc->name, line, err) != SL_OK) {
            sl_config_destroy(cfg);
            return NULL;
        }
    }
    return cfg;
}

/* Checks a table's options against its connector, pointing at the offending option. */
static sl_status check_table(run_ctx *rc, const sql_table *t, bool as_source, const sql_node *use, sl_error *err)
{
    sl_kv *kv = sl_arena_zalloc(rc->arena, sizeof(sl_kv) * (size_t)(t->nopts ? t->nopts : 1));
    for (int i = 0; i < t->nopts; i++) kv[i] = (sl_kv){t->opts[i].key, t->opts[i].value};
    sql_type *row = sl_arena_zalloc(rc->arena, sizeof *row);
    row->id = SQL_T_ROW;
    row->field_names = sl_arena_zalloc(rc->arena, sizeof(char *) * (size_t)(t->ncols ? t->ncols : 1));
    row->field_types = sl_arena_zalloc(rc->arena, sizeof(sql_type *) * (size_t)(t->ncols ? t->ncols : 1));
    int *phys = sl_arena_zalloc(rc->arena, sizeof(int) * (size_t)(t->ncols ? t->ncols : 1)); /* column -> physical index */
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].kind == SQL_COL_PHYSICAL) {
            phys[i] = row->nfields;
            row->field_names[row->nfields] = t->cols[i].name;
            row->field_types[row->nfields++] = t->cols[i].type;
        }
    int *pk = sl_arena_zalloc(rc->arena, sizeof(int) * (size_t)(t->npk ? t->npk : 1)); /* PRIMARY KEY columns are physical */
    for (int i = 0; i < t->npk; i++) pk[i] = phys[t->pk[i]];
    int bad = -1;
    sl_strbuf warnings = SL_STRBUF_INIT;
    sl_status st = sl_connector_validate(kv, t->nopts, row, pk, t->npk, as_source, &warnings, &bad, err);
    /* each line once per table and role, e.g. a Kafka client property librdkafka does not have */
    for (const char *l = warnings.len ? warnings.buf : NULL; l && *l;) {
        const char *nl = strchr(l, '\n');
        int n = nl ? (int)(nl - l) : (int)strlen(l);
        fprintf(stderr, "sluice: warning: table '%s': %.*s\n", t->name, n, l);
        l = nl ? nl + 1 : NULL;
    }
    sl_strbuf_free(&warnings);
    if (!st) {
        int nmeta = 0;
        for (int i = 0; i < t->ncols; i++) nmeta += t->cols[i].kind == SQL_COL_METADATA && (as_source || !t->cols[i].is_virtual);
        st = sl_connector_check_metadata(kv, t->nopts, t->name, nmeta, as_source, err);
        bad = -1;
    }
    if (!st) return SL_OK;
    const sql_node *at = bad >= 0 ? t->opts[bad].node : use;
    if (at && t->script && strcmp(t->script, rc->name) == 0) sl_error_at_offset(err, rc->name, at->off, at->len);
    else if (use) sl_error_at_offset(err, rc->name, use->off, use->len);
    sl_error_detail(err, "table '%s'%s%s%s", t->name, bad >= 0 ? ", option '" : "", bad >= 0 ? t->opts[bad].key : "",
                    bad >= 0 ? "'" : "");
    return st;
}

static sl_status check_tables(run_ctx *rc, const plan_node *n, const sql_node *use, sl_error *err)
{
    if (!n) return SL_OK;
    sl_status st;
    if (n->kind == PLAN_SCAN && (st = check_table(rc, n->table, true, use, err))) return st;
    if (n->kind == PLAN_SINK && (st = check_table(rc, n->sink, false, use, err))) return st;
    for (int i = 0; i < n->ninputs; i++)
        if ((st = check_tables(rc, n->input[i], use, err))) return st;
    return SL_OK;
}

/* Appends graph b's vertices and edges to a (a statement set is one job). */
static void jg_append(jobgraph *a, jobgraph *b)
{
    int off = a->nvertices;
    a->vertices = realloc(a->vertices, sizeof(jg_vertex) * (size_t)(a->nvertices + b->nvertices));
    for (int i = 0; i < b->nvertices; i++) {
        a->vertices[off + i] = b->vertices[i];
        a->vertices[off + i].id += off;
    }
    a->nvertices += b->nvertices;
    a->edges = realloc(a->edges, sizeof(jg_edge) * (size_t)(a->nedges + b->nedges + 1));
    for (int i = 0; i < b->nedges; i++) {
        a->edges[a->nedges + i] = b->edges[i];
        a->edges[a->nedges + i].source += off;
        a->edges[a->nedges + i].target += off;
    }
    a->nedges += b->nedges;
    b->nvertices = b->nedges = 0;
    free(b->vertices);
    free(b->edges);
    b->vertices = NULL;
    b->edges = NULL;
    jobgraph_free(b);
}

static bool plannable(const sql_node *st)
{
    return st->kind == SQL_INSERT || st->kind == SQL_SELECT || st->kind == SQL_SET_OP || st->kind == SQL_ORDER_BY ||
           st->kind == SQL_WITH;
}

/* EXPLAIN statement i: prints what `sluice explain` prints for it (cli/explain.h), with the
 * configuration in force at it. */
static int explain_statement(run_ctx *rc, int i)
{
    sl_error err;
    sl_config *cfg = config_at(rc, i, &err);
    if (!cfg) {
        sl_error_print(stderr, &err, sl_strbuf_cstr(rc->text), rc->text->len);
        return 2;
    }
    sl_strbuf out = SL_STRBUF_INIT;
    int planned = 0;
    int status = sl_explain_statement(rc->arena, rc->session, cfg, sql_script_stmt(rc->script, i), rc->name,
                                      sl_strbuf_cstr(rc->text), rc->text->len, &out, &planned);
    if (!status) fputs(sl_strbuf_cstr(&out), stdout);
    fflush(stdout);
    sl_strbuf_free(&out);
    sl_config_destroy(cfg);
    return status;
}

/* Plans and runs the job of statement i (if it is one; an EXPLAIN prints its plans). Returns the
 * exit status contribution. */
static int run_statement(run_ctx *rc, int i)
{
    const sql_node *st = sql_script_stmt(rc->script, i);
    if (st->kind == SQL_EXPLAIN) return explain_statement(rc, i);
    const sql_node *one[1] = {st};
    const sql_node *const *list = one;
    int n = 1;
    if (st->kind == SQL_STATEMENT_SET) {
        list = (const sql_node *const *)st->kids;
        n = st->nkids;
    } else if (!plannable(st)) {
        return 0;
    }
    sl_error err;
    sl_config *cfg = config_at(rc, i, &err);
    if (!cfg) {
        sl_error_print(stderr, &err, sl_strbuf_cstr(rc->text), rc->text->len);
        return 2;
    }
    int status = 0;
    jobgraph *job = NULL;
    sl_strbuf jname = SL_STRBUF_INIT;
    for (int k = 0; k < n && !status; k++) {
        plan_node *plan;
        if (plan_build(rc->arena, rc->session, list[k], rc->name, &plan, &err) != SL_OK ||
            check_tables(rc, plan, list[k], &err) != SL_OK) {
            sl_error_print(stderr, &err, sl_strbuf_cstr(rc->text), rc->text->len);
            status = 2;
            break;
        }
        if (plan->kind == PLAN_SINK)
            sl_strbuf_printf(&jname, "%sinsert-into_default_catalog.default_database.%s", jname.len ? "," : "", plan->sink->name);
        else
            sl_strbuf_printf(&jname, "%scollect", jname.len ? "," : "");
        int par = sl_config_get_int(cfg, "table.exec.resource.default-parallelism") > 0
                      ? sl_config_get_int(cfg, "table.exec.resource.default-parallelism")
                      : sl_config_get_int(cfg, "parallelism.default");
        jg_options jo = {sl_config_get_string(cfg, "pipeline.name"), par, sl_config_get_int(cfg, "pipeline.max-parallelism")};
        jobgraph *g;
        if (jg_build(plan, &jo, &g, &err) != SL_OK) {
            sl_error_print(stderr, &err, NULL, 0);
            status = 2;
            break;
        }
        if (!job) job = g;
        else jg_append(job, g);
    }
    if (!status) {
        const char *jn = sl_config_get_string(cfg, "pipeline.name") ? sl_config_get_string(cfg, "pipeline.name") : sl_strbuf_cstr(&jname);
        int line, col;
        sl_source_locate(sl_strbuf_cstr(rc->text), rc->text->len, st->off, &line, &col);
        sl_run_options ro = {stdout, stderr, isatty(STDERR_FILENO) && !getenv("SLUICE_NO_PROGRESS"), &stop_requested};
        sl_job_result res;
        fprintf(stderr, "sluice: job '%s' (%s:%d) started\n", jn, rc->name, line);
        if (sl_job_run_local(job, cfg, &ro, &res, &err) != SL_OK) {
            fprintf(stderr, "sluice: job '%s' failed\n", jn);
            sl_error_print(stderr, &err, NULL, 0);
            status = err.code == SL_ERR_CONFIG || err.code == SL_ERR_VALIDATION || err.code == SL_ERR_NOT_FOUND ? 2 : 1;
            if (err.code == SL_ERR_UNSUPPORTED) status = 1;
        } else {
            char bytes[32], rss[32];
            sl_format_memory_human(res.bytes_exchanged, bytes, sizeof bytes);
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            sl_format_memory_human((uint64_t)ru.ru_maxrss * 1024u, rss, sizeof rss);
            fprintf(stderr,
                    "sluice: job '%s' %s in %.3f s: %llu records read, %llu written, %llu dropped, %s exchanged between "
                    "%d subtasks; peak RSS of the process %s",
                    jn, res.stopped ? "stopped" : "finished", res.seconds, (unsigned long long)res.records_read,
                    (unsigned long long)res.records_written, (unsigned long long)res.dropped, bytes, res.tasks, rss);
            if (res.restarts) fprintf(stderr, "; %d restart%s after failures", res.restarts, res.restarts == 1 ? "" : "s");
            fputc('\n', stderr);
        }
    }
    if (job) jobgraph_free(job);
    sl_strbuf_free(&jname);
    sl_config_destroy(cfg);
    return status;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice sql -f FILE [--validate | --parse-only] [-s PATH [-n]] [-c FILE] [-D key=value ...]\n"
            "\n"
            "Runs a Flink SQL script (CREATE TABLE, SET, INSERT INTO ...): each INSERT (or statement set)\n"
            "runs as one job in an embedded cluster, to its end or until SIGINT/SIGTERM (graceful stop).\n"
            "Exit status: 0 done, 1 a job failed, 2 invalid script or configuration.\n"
            "\n"
            "Options:\n"
            "  -f, --file FILE     the SQL script ('-' reads standard input)\n"
            "  --validate          parse and validate the script (names, types, functions, INSERT\n"
            "                      columns) without running it; exit 0 = valid, 2 = error\n"
            "  --parse-only        check the script's syntax only\n"
            "  -s, --fromSavepoint PATH\n"
            "                      start the jobs from a savepoint or retained checkpoint (a directory\n"
            "                      with _metadata); the same as SET 'execution.savepoint.path'\n"
            "  -n, --allowNonRestoredState\n"
            "                      allow state in it that no operator of the job claims\n"
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
    char *from_savepoint = NULL;
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
        } else if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--fromSavepoint") == 0) {
            if (i + 1 >= argc) {
                status = sl_cli_usage_error("sql", "option '%s' needs a savepoint or checkpoint directory", argv[i]);
                goto out;
            }
            free(from_savepoint);
            size_t n = strlen(argv[i + 1]) + 32;
            from_savepoint = malloc(n);
            snprintf(from_savepoint, n, "execution.savepoint.path=%s", argv[++i]);
            sl_cli_conf_add(&cc, from_savepoint);
        } else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--allowNonRestoredState") == 0) {
            sl_cli_conf_add(&cc, "execution.savepoint.ignore-unclaimed-state=true");
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
        } else {
            /* validate (and, unless --validate, run): SET statements change the configuration as
             * they are validated, so the jobs get the configuration from before the script */
            sl_config *base = sl_config_copy(cfg);
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
            } else if (validate) {
                printf("%s: %d statement%s validated\n", name, n, n == 1 ? "" : "s");
            } else {
                run_ctx rc = {name, &text, s, session, base, sl_arena_create(0)};
                struct sigaction sa = {0}, old_int, old_term;
                sa.sa_handler = on_signal;
                sigemptyset(&sa.sa_mask);
                sigaction(SIGINT, &sa, &old_int);
                sigaction(SIGTERM, &sa, &old_term);
                for (int i = 0; i < n && status == 0 && !stop_requested; i++) status = run_statement(&rc, i);
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGTERM, &old_term, NULL);
                sl_arena_destroy(rc.arena);
            }
            sql_session_destroy(session);
            sl_config_destroy(base);
        }
    }
    sl_strbuf_free(&text);
    sl_config_destroy(cfg);
out:
    sl_cli_conf_free(&cc);
    free(from_savepoint);
    return status;
}
