/* tests/operators/harness.c — see harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/sql.h"
#include "sql/validate.h"
#include "tests/operators/harness.h"

jobgraph *harness_graph(const char *sql)
{
    sl_error err;
    sql_script *s = sql_parse("t.sql", sql, strlen(sql), &err);
    if (!s) fail_msg("%s", err.message);
    sql_session *session = sql_session_create();
    if (sql_session_validate(session, s, &err) != SL_OK) fail_msg("%s", err.message);
    sl_arena *a = sl_arena_create(0);
    plan_node *plan;
    if (plan_build(a, session, sql_script_stmt(s, sql_script_count(s) - 1), "t.sql", &plan, &err) != SL_OK) fail_msg("%s", err.message);
    jg_options opt = {"t", 1, 128};
    jobgraph *g;
    assert_int_equal(jg_build(plan, &opt, &g, &err), SL_OK);
    sl_arena_destroy(a);
    sql_session_destroy(session);
    return g;
}

const jg_operator *harness_find_op(const jobgraph *g, const char *kind)
{
    for (int v = 0; v < g->nvertices; v++)
        for (int k = 0; k < g->vertices[v].nops; k++)
            if (strcmp(g->vertices[v].ops[k].kind, kind) == 0) return &g->vertices[v].ops[k];
    fail_msg("no %s operator", kind);
    return NULL;
}

static sl_status cap_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    harness_capture *c = op->impl;
    sl_row_format(&c->text, row, c->type, 0);
    sl_strbuf_putc(&c->text, '\n');
    c->rows++;
    return SL_OK;
}

static sl_status cap_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    ((harness_capture *)op->impl)->wm = wm;
    return SL_OK;
}

static const sl_op_vtable cap_vt = {.name = "capture", .process = cap_process, .watermark = cap_watermark};

sl_operator *harness_capture_op(harness_capture *c) { return sl_operator_new(&cap_vt, c, "cap", "cap"); }

void harness_op_init(harness_op *h, const char *sql, const char *kind, harness_create_fn create, int backend, int32_t ltz_offset,
                     const char *input_names)
{
    memset(h, 0, sizeof *h);
    jobgraph *g = harness_graph(sql);
    sl_job_context_init(&h->job);
    h->job.state_backend = backend;
    h->job.state_budget_bytes = 8u << 20;
    h->job.ltz_offset = ltz_offset;
    h->types = sl_arena_create(0);
    sl_error err;
    const jg_operator *o = harness_find_op(g, kind);
    if (create(o->spec, &h->job, h->types, &h->op, &err)) fail_msg("%s", err.message);
    h->op->id = "test-op";
    h->op->description = kind;
    h->in = sl_row_type_from_json(h->types, json_object_get(o->spec, "input"), &err);
    assert_non_null(h->in);
    sl_strbuf names = SL_STRBUF_INIT;
    for (int i = 0; i < h->in->nfields; i++) sl_strbuf_printf(&names, "%s%s", i ? "," : "", h->in->field_names[i]);
    assert_string_equal(sl_strbuf_cstr(&names), input_names);
    sl_strbuf_free(&names);
    h->cap.type = h->op->out_type;
    h->cap.wm = INT64_MIN;
    sl_operator *chain[2] = {h->op, harness_capture_op(&h->cap)};
    h->task = sl_task_create(&h->job, "test", 1, 0, 1, 128);
    sl_task_set_chain(h->task, chain, 2);
    if (h->op->vt->open && h->op->vt->open(h->op, &err)) fail_msg("%s", err.message);
    jobgraph_free(g);
}

void harness_op_free(harness_op *h)
{
    sl_rw_free(&h->w);
    sl_task_destroy(h->task);
    sl_strbuf_free(&h->cap.text);
    sl_arena_destroy(h->types);
    sl_job_context_destroy(&h->job);
}

void harness_push(harness_op *h, const char *spec)
{
    char buf[256];
    /* an optional row kind first: "-U:", "+U:", "-D:" ("+I:" and none: an insert) */
    sl_row_kind kind = SL_ROW_INSERT;
    if (strlen(spec) > 3 && spec[2] == ':' && (spec[0] == '+' || spec[0] == '-')) {
        kind = spec[1] == 'D' ? SL_ROW_DELETE : spec[1] == 'U' ? (spec[0] == '-' ? SL_ROW_UPDATE_BEFORE : SL_ROW_UPDATE_AFTER) : SL_ROW_INSERT;
        spec += 3;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    sl_rw_begin(&h->w, h->in->nfields, kind);
    char *save = NULL, *tok = strtok_r(buf, "|", &save);
    for (int i = 0; i < h->in->nfields; i++, tok = strtok_r(NULL, "|", &save)) {
        assert_non_null(tok);
        if (strcmp(tok, "~") == 0) continue;
        const sql_type *t = h->in->field_types[i];
        if (t->id == SQL_T_TIMESTAMP || t->id == SQL_T_TIMESTAMP_LTZ)
            sl_rw_i64(&h->w, i, (HARNESS_BASE_MS + strtoll(tok, NULL, 10)) * 1000);
        else if (sl_phys_of(t) == SL_PHYS_F64) sl_rw_f64(&h->w, i, strtod(tok, NULL));
        else if (sl_phys_of(t) == SL_PHYS_BYTES) sl_rw_bytes(&h->w, i, tok, (uint32_t)strlen(tok));
        else sl_rw_i64(&h->w, i, strtoll(tok, NULL, 10));
    }
    sl_error err;
    if (h->op->vt->process(h->op, 0, sl_rw_finish(&h->w), &err)) fail_msg("%s", err.message);
}

void harness_watermark(harness_op *h, int64_t ms_after_base)
{
    sl_error err;
    if (h->op->vt->watermark(h->op, HARNESS_BASE_MS + ms_after_base, &err)) fail_msg("%s", err.message);
}

void harness_finish(harness_op *h)
{
    sl_error err;
    if (h->op->vt->finish(h->op, &err)) fail_msg("%s", err.message);
}

static int cmp_lines(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

void harness_expect_sorted(harness_capture *c, const char *want)
{
    char *got = strdup(sl_strbuf_cstr(&c->text));
    char *lines[256];
    int n = 0;
    for (char *save = NULL, *l = strtok_r(got, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save)) lines[n++] = l;
    qsort(lines, (size_t)n, sizeof lines[0], cmp_lines);
    sl_strbuf s = SL_STRBUF_INIT;
    for (int i = 0; i < n; i++) sl_strbuf_printf(&s, "%s\n", lines[i]);
    assert_string_equal(sl_strbuf_cstr(&s), want);
    sl_strbuf_free(&s);
    free(got);
    sl_strbuf_reset(&c->text);
}
