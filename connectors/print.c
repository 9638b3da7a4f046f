/* connectors/print.c — the 'print' and 'blackhole' sinks.
 *
 * print writes each row in Flink's form, one per line: "+I[1, abc, null]" — Flink prints the
 * Java objects of the row (Row.toString): booleans as true/false, TIMESTAMP as LocalDateTime
 * ("2024-01-31T12:30", seconds and fraction only when not zero), TIMESTAMP_LTZ as Instant
 * ("2024-01-31T11:30:00Z"), TIME as LocalTime, bytes as "[1, -2]", a MAP as "{k1=v1, k2=v2}" (its
 * elements in these forms). Prefixed with
 * "<print-identifier>:<subtask>> " (subtask counted from 1) when the sink runs in more than one
 * subtask, "<print-identifier>> " with one subtask and an identifier, nothing otherwise.
 * 'standard-error' = 'true' writes to stderr. Lines of concurrent subtasks never interleave.
 * blackhole swallows everything (for benchmarks and tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/strbuf.h"
#include "connectors/connector.h"
#include "runtime/ops.h"
#include "connectors/conn_util.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

static const sl_option print_opts[] = {
    {"print-identifier", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Prefix of every printed line."},
    {"standard-error", SL_OPT_BOOL, "false", NULL, NULL, NULL, SL_RANGE_ANY, 0, "Print to standard error instead of standard output."},
    {"sink.parallelism", SL_OPT_INT, NULL, NULL, NULL, NULL, SL_RANGE_MIN_ONE, 0, "Parallelism of the sink."},
};

typedef struct printer {
    sl_sink_conv conv;
    char prefix[300];
    bool to_stderr;
    sl_strbuf line;
} printer;

/* java.time's toString of a time of day: HH:mm, then :ss and a fraction of 3/6/9 digits when
 * not zero (micros precision here). always_seconds: Instant's form. */
static void java_time(sl_strbuf *out, int64_t micros_of_day, bool always_seconds)
{
    int64_t s = micros_of_day / 1000000, us = micros_of_day % 1000000;
    sl_strbuf_printf(out, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
    if (!always_seconds && s % 60 == 0 && us == 0) return;
    sl_strbuf_printf(out, ":%02d", (int)(s % 60));
    if (us == 0) return;
    if (us % 1000 == 0) sl_strbuf_printf(out, ".%03d", (int)(us / 1000));
    else sl_strbuf_printf(out, ".%06d", (int)us);
}

static void java_date_time(sl_strbuf *out, int64_t micros, bool instant)
{
    int64_t days = sl_floor_div(micros, SL_MICROS_PER_DAY);
    sl_format_date(out, days);
    sl_strbuf_putc(out, 'T');
    java_time(out, micros - days * SL_MICROS_PER_DAY, instant);
    if (instant) sl_strbuf_putc(out, 'Z');
}

/* One value in its Java form; a MAP as java.util.Map's toString, its elements in Java form too
 * (Flink's Row.toString prints maps deeply: {k1=[1, 2], k2=null}). */
static void print_value(sl_strbuf *out, const sql_type *t, const sl_map_elem *v, int32_t ltz_offset)
{
    if (v->null) {
        sl_strbuf_puts(out, "null");
        return;
    }
    switch (t->id) {
    case SQL_T_BOOLEAN: sl_strbuf_puts(out, v->i ? "true" : "false"); break;
    case SQL_T_TIMESTAMP: java_date_time(out, v->i, false); break;
    case SQL_T_TIMESTAMP_LTZ: java_date_time(out, v->i, true); break;
    case SQL_T_TIME: java_time(out, v->i * 1000, false); break;
    case SQL_T_BINARY:
    case SQL_T_VARBINARY:
        sl_strbuf_putc(out, '[');
        for (uint32_t k = 0; k < v->n; k++) sl_strbuf_printf(out, "%s%d", k ? ", " : "", (int)(signed char)v->p[k]);
        sl_strbuf_putc(out, ']');
        break;
    case SQL_T_MAP: {
        sl_map_iter it;
        sl_map_elem k, e;
        sl_strbuf_putc(out, '{');
        if (sl_map_iter_init(&it, v->p, v->n, sl_phys_of(t->elem), sl_phys_of(t->value), NULL))
            for (int n = 0; sl_map_next(&it, &k, &e); n++) {
                if (n) sl_strbuf_puts(out, ", ");
                print_value(out, t->elem, &k, ltz_offset);
                sl_strbuf_putc(out, '=');
                print_value(out, t->value, &e, ltz_offset);
            }
        sl_strbuf_putc(out, '}');
        break;
    }
    default: sl_format_value(out, t, v, ltz_offset); break;
    }
}

static void print_row(sl_strbuf *out, const uint8_t *r, const sql_type *row, int32_t ltz_offset)
{
    sl_strbuf_puts(out, sl_row_kind_str(sl_row_get_kind(r)));
    sl_strbuf_putc(out, '[');
    for (int i = 0; i < row->nfields; i++) {
        if (i) sl_strbuf_puts(out, ", ");
        const sql_type *t = row->field_types[i];
        sl_map_elem v = sl_row_elem(r, i, sl_phys_of(t));
        print_value(out, t, &v, ltz_offset);
    }
    sl_strbuf_putc(out, ']');
}

static sl_status print_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    printer *p = op->impl;
    const uint8_t *r = sl_sink_conv_row(&p->conv, row, err);
    if (!r) return err->code;
    sl_job_context *job = sl_task_job(op->task);
    sl_strbuf_reset(&p->line);
    sl_strbuf_puts(&p->line, p->prefix);
    print_row(&p->line, r, p->conv.out, job->ltz_offset);
    sl_strbuf_putc(&p->line, '\n');
    FILE *out = p->to_stderr ? job->err_out : job->out;
    pthread_mutex_lock(&job->out_lock);
    fwrite(p->line.buf, 1, p->line.len, out);
    fflush(out);
    pthread_mutex_unlock(&job->out_lock);
    op->records_out++;
    return SL_OK;
}

static void print_close(sl_operator *op)
{
    printer *p = op->impl;
    if (!p) return;
    sl_sink_conv_free(&p->conv);
    sl_strbuf_free(&p->line);
    free(p);
    op->impl = NULL;
}

static const sl_op_vtable print_vt = {.name = "PrintSink", .process = print_process, .close = print_close};

static sl_status print_sink(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    printer *p = sl_xcalloc(1, sizeof *p);
    sl_status st = sl_sink_conv_init(&p->conv, a->input, a->row, a->job->ltz_offset, err);
    if (st) {
        free(p);
        return st;
    }
    const char *id = sl_kv_get(a->opts, a->nopts, "print-identifier");
    const char *se = sl_kv_get(a->opts, a->nopts, "standard-error");
    p->to_stderr = se && strcasecmp(se, "true") == 0;
    if (a->parallelism > 1 && id) snprintf(p->prefix, sizeof p->prefix, "%s:%d> ", id, a->subtask + 1);
    else if (a->parallelism > 1) snprintf(p->prefix, sizeof p->prefix, "%d> ", a->subtask + 1);
    else if (id) snprintf(p->prefix, sizeof p->prefix, "%s> ", id);
    *out = sl_operator_new(&print_vt, p, NULL, NULL);
    return SL_OK;
}

const sl_connector sl_connector_print = {
    .name = "print",
    .options = print_opts,
    .noptions = sizeof print_opts / sizeof print_opts[0],
    .sink = true,
    .create_sink = print_sink,
};

/* ---- blackhole ---------------------------------------------------------------------------------- */

static sl_status blackhole_process(sl_operator *op, int input, const uint8_t *row, sl_error *err) { return SL_OK; }

static const sl_op_vtable blackhole_vt = {.name = "BlackHoleSink", .process = blackhole_process};

static sl_status blackhole_sink(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    *out = sl_operator_new(&blackhole_vt, NULL, NULL, NULL);
    return SL_OK;
}

const sl_connector sl_connector_blackhole = {
    .name = "blackhole",
    .sink = true,
    .create_sink = blackhole_sink,
};
