/* taskmanager/local.c — see local.h. */
#include "taskmanager/local.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/mem.h"
#include "common/memory.h"
#include "common/strbuf.h"
#include "common/units.h"
#include "connectors/connector.h"
#include "runtime/checkpoint.h"
#include "runtime/ops.h"
#include "jobmanager/restart.h"
#include "runtime/task.h"
#include "runtime/temporal.h"

typedef struct vtasks {
    const jg_vertex *v;
    sl_task **t;           /* parallelism subtasks */
    const sql_type *out;   /* output row type of the chain (NULL for a sink chain) */
} vtasks;

typedef struct deployment {
    sl_job_context job;
    int nv;
    vtasks *vs;
    sl_arena **arenas;
    int narenas;
} deployment;


/* table.local-time-zone: 'default' is the machine's zone (TZ or /etc/localtime). */
static sl_status zone_offset(const sl_config *cfg, int32_t *off, sl_error *err)
{
    const char *z = sl_config_get_string(cfg, "table.local-time-zone");
    time_t now = time(NULL);
    if (!z || strcmp(z, "default") == 0) {
        struct tm tm;
        localtime_r(&now, &tm);
        *off = (int32_t)tm.tm_gmtoff;
        return SL_OK;
    }
    if (!sl_zone_offset(z, (int64_t)now, off)) {
        sl_error_set(err, SL_ERR_CONFIG, "Invalid time zone '%s' in 'table.local-time-zone'.", z);
        sl_error_hint(err, "use an IANA name such as 'Europe/Berlin', 'UTC', or an offset such as 'GMT+08:00'");
        return SL_ERR_CONFIG;
    }
    return SL_OK;
}

static const char *op_kind(const jg_operator *o) { return o->kind ? o->kind : ""; }

/* The operators that keep keyed state (and share the slot's managed memory). */
static bool is_keyed(const char *kind)
{
    static const char *const keyed[] = {"join", "aggregate", "window_aggregate", "rank", "interval_join", "window_join"};
    for (size_t i = 0; i < sizeof keyed / sizeof keyed[0]; i++)
        if (strcmp(kind, keyed[i]) == 0) return true;
    return false;
}

/* Operators the runtime cannot run yet, found before anything starts. */
static sl_status check_supported(const jobgraph *g, sl_error *err)
{
    for (int i = 0; i < g->nvertices; i++)
        for (int k = 0; k < g->vertices[i].nops; k++) {
            const jg_operator *o = &g->vertices[i].ops[k];
            const char *kind = op_kind(o);
            if (strcmp(kind, "source") == 0 || strcmp(kind, "calc") == 0 || strcmp(kind, "union") == 0 || strcmp(kind, "sink") == 0 ||
                strcmp(kind, "window_table_function") == 0 || strcmp(kind, "values") == 0 || is_keyed(kind))
                continue;
            sl_error_set(err, SL_ERR_UNSUPPORTED, "The job needs the operator %s, which this build of Sluice cannot run yet.",
                         o->description ? o->description : kind);
            sl_error_hint(err, "window joins and window top-N are being built (issue 6); "
                               "'sluice explain' shows the plan already");
            return SL_ERR_UNSUPPORTED;
        }
    return SL_OK;
}

static sl_status check_slots(const jobgraph *g, const sl_config *cfg, sl_error *err)
{
    int need = 1;
    for (int i = 0; i < g->nvertices; i++)
        if (g->vertices[i].parallelism > need) need = g->vertices[i].parallelism;
    int have = sl_config_get_int(cfg, "taskmanager.numberOfTaskSlots");
    if (need <= have) return SL_OK;
    sl_error_set(err, SL_ERR_CONFIG,
                 "The job needs %d task slots (its largest operator parallelism) but the embedded taskmanager has %d "
                 "(taskmanager.numberOfTaskSlots).",
                 need, have);
    sl_error_hint(err, "set 'taskmanager.numberOfTaskSlots' to %d or more (-D taskmanager.numberOfTaskSlots=%d), or lower "
                       "'parallelism.default' / 'sink.parallelism'",
                  need, need);
    return SL_ERR_CONFIG;
}

/* Network buffers: each channel holds up to `credits` buffers queued at the consumer, one being
 * consumed and one being filled by the producer. */
static sl_status check_network(const jobgraph *g, const sl_config *cfg, int credits, sl_error *err)
{
    sl_memory_breakdown mb;
    sl_status st = sl_memory_compute(cfg, &mb, err);
    if (st) return st;
    uint64_t channels = 0;
    for (int i = 0; i < g->nedges; i++) {
        const jg_edge *e = &g->edges[i];
        uint64_t p = (uint64_t)g->vertices[e->source - 1].parallelism, c = (uint64_t)g->vertices[e->target - 1].parallelism;
        channels += e->partitioning == JG_FORWARD ? c : e->partitioning == JG_GLOBAL ? p : p * c;
    }
    uint64_t need = channels * (uint64_t)(credits + 2);
    if (need <= mb.network_buffers) return SL_OK;
    char net[64];
    sl_format_memory_human(mb.network, net, sizeof net);
    sl_error_set(err, SL_ERR_CONFIG,
                 "Insufficient number of network buffers: required %" PRIu64 ", but only %" PRIu64
                 " available. The total number of network buffers is currently set to %" PRIu64 " of %" PRIu64
                 " bytes each (network memory %s).",
                 need, mb.network_buffers, mb.network_buffers, mb.segment_size, net);
    sl_error_hint(err, "increase 'taskmanager.memory.network.fraction', 'taskmanager.memory.network.min' and "
                       "'taskmanager.memory.network.max', or lower the parallelism");
    return SL_ERR_CONFIG;
}

/* Keyed state: the backend, where RocksDB works, and its memory: each slot's managed memory
 * (or state.backend.rocksdb.memory.fixed-per-slot) is shared by the stateful operators of the
 * job (a slot holds one subtask of each, as Flink's slot sharing). */
static sl_status state_settings(sl_job_context *job, const jobgraph *g, const sl_config *cfg, sl_error *err)
{
    const char *kind = sl_config_get_enum(cfg, "state.backend.type");
    job->state_backend = kind && strcmp(kind, "hashmap") == 0 ? 1 : 0;
    const char *localdir = sl_config_get_string(cfg, "state.backend.rocksdb.localdir");
    job->state_dir = localdir && *localdir ? localdir : job->tmp_dir;
    int stateful = 0;
    for (int i = 0; i < g->nvertices; i++)
        for (int k = 0; k < g->vertices[i].nops; k++)
            stateful += is_keyed(op_kind(&g->vertices[i].ops[k]));
    uint64_t per_slot;
    if (sl_config_is_set(cfg, "state.backend.rocksdb.memory.fixed-per-slot")) {
        per_slot = sl_config_get_memory(cfg, "state.backend.rocksdb.memory.fixed-per-slot");
    } else {
        sl_memory_breakdown mb;
        sl_status st = sl_memory_compute(cfg, &mb, err);
        if (st) return st;
        per_slot = mb.managed_per_slot;
    }
    job->state_budget_bytes = per_slot / (uint64_t)(stateful ? stateful : 1);
    job->state_write_buffer_ratio = sl_config_get_double(cfg, "state.backend.rocksdb.memory.write-buffer-ratio");
    job->state_high_prio_ratio = sl_config_get_double(cfg, "state.backend.rocksdb.memory.high-prio-pool-ratio");
    job->state_bloom_bits = sl_config_get_bool(cfg, "state.backend.rocksdb.use-bloom-filter")
                                ? sl_config_get_double(cfg, "state.backend.rocksdb.bloom-filter.bits-per-key")
                                : 0;
    job->state_ttl_ms = sl_config_get_duration_ms(cfg, "table.exec.state.ttl");
    return SL_OK;
}

static json_t *bare_query_print_spec(const sql_type *row)
{
    json_t *schema = json_array(), *input = json_array();
    sl_strbuf sb = SL_STRBUF_INIT;
    for (int i = 0; i < row->nfields; i++) {
        sl_strbuf_reset(&sb);
        sql_type_print(&sb, row->field_types[i]);
        json_array_append_new(schema, json_pack("{s:s, s:s, s:s}", "name", row->field_names[i], "type", sl_strbuf_cstr(&sb), "kind", "physical"));
        json_array_append_new(input, json_pack("{s:s, s:s}", "name", row->field_names[i], "type", sl_strbuf_cstr(&sb)));
    }
    sl_strbuf_free(&sb);
    return json_pack("{s:s, s:{s:s}, s:o, s:o}", "table", "query result", "options", "connector", "print", "schema", schema, "input",
                     input);
}

/* The operator chain of one subtask. */
static sl_status build_chain(deployment *d, const jg_vertex *v, int subtask, bool add_print, sl_arena *a, sl_task *t,
                             const sql_type **out_type, sl_error *err)
{
    sl_operator *ops[64];
    int n = 0;
    sl_status st = SL_OK;
    for (int k = 0; k < v->nops && !st; k++) {
        const jg_operator *o = &v->ops[k];
        const char *kind = op_kind(o);
        if (n + 3 > (int)(sizeof ops / sizeof ops[0])) {
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "vertex '%s' chains more operators than Sluice supports", v->name);
            break;
        }
        if (strcmp(kind, "source") == 0) {
            if ((st = sl_connector_source(o->spec, &d->job, subtask, v->parallelism, a, &ops[n], err))) break;
            /* the connector's operator holds the source's state (offsets, positions): it gets the
             * stable id; the scan after it (computed columns, watermarks) has no state */
            ops[n]->id = o->id;
            ops[n]->description = o->description;
            n++;
            st = sl_op_scan_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "calc") == 0) {
            st = sl_op_calc_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "union") == 0) {
            st = sl_op_union_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "join") == 0) {
            st = sl_op_join_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "aggregate") == 0) {
            st = sl_op_agg_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "window_aggregate") == 0) {
            st = sl_op_window_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "rank") == 0) {
            st = sl_op_rank_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "interval_join") == 0) {
            st = sl_op_interval_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "window_join") == 0) {
            st = sl_op_window_join_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "window_table_function") == 0) {
            st = sl_op_window_tvf_create(o->spec, &d->job, a, &ops[n], err);
        } else if (strcmp(kind, "values") == 0) {
            st = sl_op_values_create(o->spec, &d->job, a, &ops[n], err);
        } else {
            st = sl_connector_sink(o->spec, &d->job, subtask, v->parallelism, a, &ops[n], err);
        }
        if (!st) {
            if (strcmp(kind, "source") != 0) ops[n]->id = o->id;
            ops[n]->description = o->description;
            ops[n]->keyed = is_keyed(kind);
            n++;
        }
    }
    if (!st && add_print) {
        json_t *spec = bare_query_print_spec(n ? ops[n - 1]->out_type : NULL);
        st = sl_connector_sink(spec, &d->job, subtask, v->parallelism, a, &ops[n], err);
        json_decref(spec);
        if (!st) n++;
    }
    if (st) {
        for (int i = 0; i < n; i++) sl_operator_free(ops[i]);
        return st;
    }
    bool sink_last = strcmp(op_kind(&v->ops[v->nops - 1]), "sink") == 0 || add_print;
    *out_type = sink_last ? NULL : ops[n - 1]->out_type;
    sl_task_set_chain(t, ops, n);
    return SL_OK;
}

static sl_partitioning part_of(jg_partitioning p)
{
    switch (p) {
    case JG_FORWARD: return SL_PART_FORWARD;
    case JG_HASH: return SL_PART_HASH;
    case JG_REBALANCE: return SL_PART_REBALANCE;
    case JG_BROADCAST: return SL_PART_BROADCAST;
    case JG_GLOBAL: return SL_PART_GLOBAL;
    }
    return SL_PART_FORWARD;
}

static void deployment_free(deployment *d)
{
    for (int i = 0; i < d->nv; i++) {
        for (int s = 0; s < (d->vs[i].v ? d->vs[i].v->parallelism : 0); s++)
            if (d->vs[i].t[s]) sl_task_destroy(d->vs[i].t[s]);
        free(d->vs[i].t);
    }
    free(d->vs);
    for (int i = 0; i < d->narenas; i++) sl_arena_destroy(d->arenas[i]);
    free(d->arenas);
    sl_job_context_destroy(&d->job);
}

static sl_status deploy(deployment *d, const jobgraph *g, sl_error *err)
{
    d->nv = g->nvertices;
    d->vs = sl_xcalloc((size_t)(d->nv ? d->nv : 1), sizeof(vtasks));
    int total = 0;
    for (int i = 0; i < g->nvertices; i++) total += g->vertices[i].parallelism;
    d->arenas = sl_xcalloc((size_t)(total ? total : 1), sizeof(sl_arena *));
    /* the vertex whose chain has no consumer and no sink gets a print sink (a bare SELECT) */
    for (int i = 0; i < g->nvertices; i++) {
        const jg_vertex *v = &g->vertices[i];
        bool consumed = false;
        for (int e = 0; e < g->nedges; e++) consumed |= g->edges[e].source == v->id;
        bool add_print = !consumed && v->nops && strcmp(op_kind(&v->ops[v->nops - 1]), "sink") != 0;
        vtasks *vt = &d->vs[i];
        vt->v = v;
        vt->t = sl_xcalloc((size_t)v->parallelism, sizeof(sl_task *));
        for (int s = 0; s < v->parallelism; s++) {
            vt->t[s] = sl_task_create(&d->job, v->name, v->id, s, v->parallelism, v->max_parallelism);
            sl_arena *a = d->arenas[d->narenas++] = sl_arena_create(0);
            sl_status st = build_chain(d, v, s, add_print, a, vt->t[s], &vt->out, err);
            if (st) {
                sl_error_detail(err, "while deploying %s (%d/%d)", v->name, s + 1, v->parallelism);
                return st;
            }
        }
    }
    for (int e = 0; e < g->nedges; e++) {
        const jg_edge *ed = &g->edges[e];
        vtasks *src = &d->vs[ed->source - 1], *dst = &d->vs[ed->target - 1];
        if (!src->out) return sl_error_set(err, SL_ERR_INTERNAL, "edge %d leaves a vertex that ends in a sink", e);
        sl_phys kp[64];
        if (ed->nkeys > 64) return sl_error_set(err, SL_ERR_UNSUPPORTED, "more than 64 key fields");
        for (int k = 0; k < ed->nkeys; k++) kp[k] = sl_phys_of(src->out->field_types[ed->keys[k]]);
        for (int s = 0; s < src->v->parallelism; s++) {
            int out = sl_task_add_output(src->t[s], part_of(ed->partitioning), ed->keys, kp, ed->nkeys);
            if (ed->partitioning == JG_FORWARD) {
                if (dst->v->parallelism != src->v->parallelism)
                    return sl_error_set(err, SL_ERR_INTERNAL, "FORWARD edge between parallelism %d and %d", src->v->parallelism,
                                        dst->v->parallelism);
                sl_task_connect(src->t[s], out, dst->t[s], ed->target_input);
            } else {
                for (int c = 0; c < dst->v->parallelism; c++) sl_task_connect(src->t[s], out, dst->t[c], ed->target_input);
            }
        }
    }
    return SL_OK;
}

static void collect(deployment *d, sl_job_result *r)
{
    uint64_t read = 0, written = 0, bytes = 0, dropped = 0, bp = 0;
    for (int i = 0; i < d->nv; i++)
        for (int s = 0; s < d->vs[i].v->parallelism; s++) {
            sl_task_metrics m;
            sl_task_metrics_get(d->vs[i].t[s], &m);
            read += m.source_records;
            written += m.sink_records;
            bytes += m.bytes_out;
            dropped += m.dropped;
            bp += m.backpressured_ns / 1000000u;
        }
    r->records_read = read;
    r->records_written = written;
    r->bytes_exchanged = bytes;
    r->dropped = dropped;
    r->backpressured_ms = bp;
}

static void human_count(double v, char *buf, size_t n)
{
    if (v >= 1e9) snprintf(buf, n, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(buf, n, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(buf, n, "%.1fK", v / 1e3);
    else snprintf(buf, n, "%.0f", v);
}

/* The ids of the operators that may have state in a checkpoint (every operator of the graph). */
/* Every operator's id and its vertex's parallelism (*par, freed by the caller). */
static const char **graph_op_ids(const jobgraph *g, int **par, int *n)
{
    int total = 0;
    for (int i = 0; i < g->nvertices; i++) total += g->vertices[i].nops;
    const char **ids = sl_xcalloc((size_t)(total ? total : 1), sizeof(char *));
    *par = sl_xcalloc((size_t)(total ? total : 1), sizeof(int));
    *n = 0;
    for (int i = 0; i < g->nvertices; i++)
        for (int k = 0; k < g->vertices[i].nops; k++) {
            (*par)[*n] = g->vertices[i].parallelism;
            ids[(*n)++] = g->vertices[i].ops[k].id;
        }
    return ids;
}


/* The job context's settings, the same for every attempt. */
static sl_status job_settings(deployment *d, const jobgraph *g, const sl_config *cfg, const sl_run_options *opt, const char *tmp_dir,
                              sl_checkpointer *cp, sl_error *err)
{
    sl_job_context_init(&d->job);
    d->job.config = cfg;
    d->job.cp = cp;
    d->job.checkpoint_interval_ms = cp ? sl_cp_interval_ms(cp) : 0;
    d->job.out = opt->out ? opt->out : stdout;
    d->job.err_out = opt->err_out ? opt->err_out : stderr;
    d->job.buffer_timeout_ms = sl_config_get_duration_ms(cfg, "execution.buffer-timeout");
    d->job.watermark_interval_ms = sl_config_get_duration_ms(cfg, "pipeline.auto-watermark-interval");
    d->job.idle_timeout_ms = sl_config_get_duration_ms(cfg, "table.exec.source.idle-timeout");
    d->job.segment_size = (uint32_t)sl_config_get_memory(cfg, "taskmanager.memory.segment-size");
    d->job.credits_per_channel = sl_config_get_int(cfg, "taskmanager.network.memory.buffers-per-channel") +
                                 (sl_config_get_int(cfg, "taskmanager.network.memory.floating-buffers-per-gate") + 3) / 4;
    if (d->job.credits_per_channel < 1) d->job.credits_per_channel = 1;
    d->job.tmp_dir = tmp_dir;
    sl_status st;
    if ((st = state_settings(&d->job, g, cfg, err)) || (st = zone_offset(cfg, &d->job.ltz_offset, err)) ||
        (st = check_network(g, cfg, d->job.credits_per_channel, err)))
        return st;
    return SL_OK;
}

/* One attempt of the job: deploy, run until every task ended, collect. *ran: the tasks started
 * (a failure after that may be retried). */
static sl_status run_attempt(const jobgraph *g, const sl_config *cfg, const sl_run_options *opt, const char *tmp_dir,
                             sl_checkpointer *cp, int attempt, sl_job_result *res, bool *ran, sl_error *err)
{
    *ran = false;
    deployment d = {0};
    sl_status st = job_settings(&d, g, cfg, opt, tmp_dir, cp, err);
    if (!st) st = deploy(&d, g, err);
    if (st) {
        deployment_free(&d);
        return st;
    }
    int ntasks = 0;
    for (int i = 0; i < d.nv; i++) ntasks += d.vs[i].v->parallelism;
    sl_task **all = sl_xcalloc((size_t)(ntasks ? ntasks : 1), sizeof(sl_task *));
    ntasks = 0;
    for (int i = 0; i < d.nv; i++)
        for (int s = 0; s < d.vs[i].v->parallelism; s++) all[ntasks++] = d.vs[i].t[s];
    if (cp) sl_cp_attach(cp, all, ntasks);
    uint64_t t0 = sl_mono_ns();
    int started = 0;
    for (int i = 0; i < ntasks && !st; i++) {
        st = sl_task_start(all[i], err);
        if (!st) started++;
    }
    if (st) sl_job_fail(&d.job, "deployment", err);
    *ran = started > 0;
    res->tasks = started;
    int64_t fail_after = attempt == 0 ? sl_config_get_long(cfg, "sluice.testing.fail-after-records") : 0;
    /* monitor: stop requests (with a final savepoint when a savepoint directory is set), the
     * checkpoint coordinator, failures, progress */
    bool stop_sent = false, cancel_sent = false;
    int64_t sp_req = 0;
    uint64_t last_progress = t0, last_read = 0, last_written = 0;
    for (;;) {
        bool all_done = true;
        for (int i = 0; i < ntasks && all_done; i++) all_done = sl_task_finished(all[i]) || st;
        if (all_done) break;
        if (!stop_sent && opt->stop && *opt->stop) {
            if (cp && sp_req == 0) {
                sp_req = sl_cp_request_savepoint(cp, true);
                /* a stop with savepoint: nothing partial is flushed from here on */
                if (sp_req > 0) atomic_store(&d.job.stopping, true);
            }
            const char *what = NULL;
            int sp = sp_req > 0 ? sl_cp_savepoint_status(cp, sp_req, &what) : -2;
            if (sp != 0) {
                pthread_mutex_lock(&d.job.out_lock);
                if (sp == 1) fprintf(d.job.err_out, "Savepoint completed. Path: file:%s\n", what);
                else if (sp == -1) fprintf(d.job.err_out, "Savepoint failed: %s\n", what);
                fflush(d.job.err_out);
                pthread_mutex_unlock(&d.job.out_lock);
                atomic_store(&d.job.stop, true);
                for (int i = 0; i < ntasks; i++) sl_task_wake(all[i]);
                stop_sent = true;
                res->stopped = true;
            }
        }
        if (cp && !atomic_load(&d.job.cancel)) {
            sl_error e;
            sl_error_clear(&e);
            if (sl_cp_tick(cp, &e)) sl_job_fail(&d.job, "checkpoint coordinator", &e);
        }
        if (fail_after > 0 && !atomic_load(&d.job.cancel)) {
            sl_job_result r;
            collect(&d, &r);
            if ((int64_t)r.records_written >= fail_after) {
                sl_error e;
                sl_error_set(&e, SL_ERR_RUNTIME, "injected task failure after %" PRIu64 " records (sluice.testing.fail-after-records)",
                             r.records_written);
                sl_job_fail(&d.job, "fault injection", &e);
            }
        }
        if (!cancel_sent && atomic_load(&d.job.cancel)) {
            for (int i = 0; i < ntasks; i++) sl_task_wake(all[i]);
            cancel_sent = true;
        }
        uint64_t now = sl_mono_ns();
        if (opt->progress && now - last_progress >= 1000000000u) {
            sl_job_result r;
            collect(&d, &r);
            double dt = (double)(now - last_progress) / 1e9;
            char a[32], b[32], c[32], e[32];
            human_count((double)r.records_read, a, sizeof a);
            human_count((double)(r.records_read - last_read) / dt, b, sizeof b);
            human_count((double)r.records_written, c, sizeof c);
            human_count((double)(r.records_written - last_written) / dt, e, sizeof e);
            pthread_mutex_lock(&d.job.out_lock);
            fprintf(d.job.err_out, "\r\033[K[%.0fs] read %s (%s/s)  written %s (%s/s)  dropped %" PRIu64 "  backpressured %.0f%%",
                    (double)(now - t0) / 1e9, a, b, c, e, r.dropped,
                    started ? 100.0 * (double)(r.backpressured_ms) / ((double)(now - t0) / 1e6 * started) : 0.0);
            fflush(d.job.err_out);
            pthread_mutex_unlock(&d.job.out_lock);
            last_progress = now;
            last_read = r.records_read;
            last_written = r.records_written;
        }
        /* a monitoring tick, not a synchronization: tasks end on their own */
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < ntasks; i++) sl_task_join(all[i]);
    /* the last acknowledgements may have come in as the tasks ended: complete what can be */
    if (cp && !d.job.failed) {
        sl_error e;
        sl_error_clear(&e);
        sl_cp_tick(cp, &e);
    }
    if (sp_req > 0 && !stop_sent) {
        /* the stop-with-savepoint ended the tasks before the loop saw its outcome */
        const char *what = NULL;
        int sp = sl_cp_savepoint_status(cp, sp_req, &what);
        if (sp == 1) fprintf(d.job.err_out, "Savepoint completed. Path: file:%s\n", what);
        else fprintf(d.job.err_out, "Savepoint failed: %s\n", sp == -1 ? what : "the job ended before it completed");
        fflush(d.job.err_out);
        res->stopped = true;
    }
    if (cp) sl_cp_detach(cp);
    if (opt->progress) {
        fprintf(d.job.err_out, "\r\033[K");
        fflush(d.job.err_out);
    }
    collect(&d, res);
    res->seconds += (double)(sl_mono_ns() - t0) / 1e9;
    if (d.job.failed) {
        *err = d.job.failure;
        if (!err->detail[0]) sl_error_detail(err, "in task %s", d.job.failed_task);
        else {
            char old[SL_ERROR_AUX_MAX];
            snprintf(old, sizeof old, "%s", err->detail);
            sl_error_detail(err, "in task %s: %s", d.job.failed_task, old);
        }
        st = err->code ? err->code : SL_ERR_RUNTIME;
    }
    free(all);
    deployment_free(&d);
    return st;
}

sl_status sl_job_run_local(const jobgraph *g, const sl_config *cfg, const sl_run_options *opt, sl_job_result *res, sl_error *err)
{
    memset(res, 0, sizeof *res);
    sl_status st;
    if ((st = check_supported(g, err)) || (st = check_slots(g, cfg, err))) return st;
    const char *tmp = sl_config_get_string(cfg, "io.tmp.dirs");
    char *tmp_dir = tmp ? strndup(tmp, strcspn(tmp, ";,")) : strdup("/tmp"); /* the first of the list */
    FILE *log = opt->err_out ? opt->err_out : stderr;
    sl_cp_settings cps;
    if ((st = sl_cp_settings_load(cfg, &cps, err))) {
        free(tmp_dir);
        return st;
    }
    if (cps.interval_ms > 0 && !cps.dir) {
        /* Flink keeps such checkpoints in the JobManager's heap: good for restarts after a task
         * failure, gone with the process. The closest here: a directory under io.tmp.dirs. */
        size_t n = strlen(tmp_dir) + 32;
        cps.dir = sl_xmalloc(n);
        snprintf(cps.dir, n, "%s/sluice-checkpoints", tmp_dir);
        fprintf(log, "sluice: warning: checkpointing is enabled but 'execution.checkpointing.dir' is not set: checkpoints go to %s "
                     "(they serve restarts after task failures; set 'execution.checkpointing.dir' to a durable directory to restart "
                     "the job after a crash)\n",
                cps.dir);
    }
    if (cps.unaligned && cps.interval_ms > 0 && !cps.exactly_once)
        fprintf(log, "sluice: warning: 'execution.checkpointing.unaligned.enabled' needs 'execution.checkpointing.mode' = 'EXACTLY_ONCE'; "
                     "with AT_LEAST_ONCE barriers are not aligned anyway, so checkpoints stay as they are\n");
    sl_checkpointer *cp = NULL;
    if (sl_cp_settings_needed(&cps)) {
        int nids;
        int *pars;
        const char **ids = graph_op_ids(g, &pars, &nids);
        int maxp = g->nvertices ? g->vertices[0].max_parallelism : 128;
        st = sl_cp_create(&cps, tmp_dir, log, NULL, &cp, err);
        if (!st) st = sl_cp_check_restore(cp, ids, pars, nids, maxp, err);
        free(ids);
        free(pars);
        if (st) {
            sl_cp_destroy(cp, false, true);
            sl_cp_settings_free(&cps);
            free(tmp_dir);
            return st;
        }
    }
    sl_restart_strategy rs;
    sl_restart_init(&rs, cfg, cps.interval_ms > 0);
    for (int attempt = 0;; attempt++) {
        bool ran;
        sl_job_result r;
        memset(&r, 0, sizeof r);
        r.seconds = res->seconds;
        st = run_attempt(g, cfg, opt, tmp_dir, cp, attempt, &r, &ran, err);
        uint64_t read = res->records_read, written = res->records_written;
        int restarts = res->restarts;
        *res = r;
        res->restarts = restarts;
        res->records_read += read; /* over all attempts */
        res->records_written += written;
        if (!st || !ran || res->stopped || (opt->stop && *opt->stop)) break;
        int64_t delay;
        char how[512];
        if (!sl_restart_on_failure(&rs, sl_wall_ms(), &delay)) {
            sl_restart_describe(&rs, how, sizeof how);
            if (rs.kind != SL_RESTART_NONE) {
                char old[SL_ERROR_AUX_MAX];
                snprintf(old, sizeof old, "%s", err->detail);
                sl_error_detail(err, "%s (recovery is suppressed by %s)", old, how);
            }
            break;
        }
        int64_t from = cp ? sl_cp_prepare_restart(cp) : 0;
        res->restarts++;
        char fromtxt[64] = "from the beginning (no checkpoint completed yet)";
        if (from) snprintf(fromtxt, sizeof fromtxt, "from checkpoint %" PRId64, from);
        sl_restart_describe(&rs, how, sizeof how);
        fprintf(log, "Job failed (attempt %d): %s%s%s\nRestarting in %" PRId64 " ms %s (restart-strategy: %s).\n", attempt + 1, err->message,
                err->detail[0] ? " — " : "", err->detail, delay, fromtxt, how);
        fflush(log);
        /* the backoff: a stop request ends the wait (and the job) */
        uint64_t until = sl_mono_ns() + (uint64_t)delay * 1000000u;
        while (sl_mono_ns() < until && !(opt->stop && *opt->stop)) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (opt->stop && *opt->stop) break;
        sl_error_clear(err);
    }
    sl_restart_free(&rs);
    if (cp) sl_cp_destroy(cp, res->stopped, st != SL_OK);
    sl_cp_settings_free(&cps);
    free(tmp_dir);
    return st;
}
