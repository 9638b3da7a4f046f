/* connectors/kafka/kafka_sink.c — the Kafka table sink.
 *
 * Each sink subtask is one librdkafka producer. Rows (after INSERT's implicit casts) are encoded
 * by the value format (and the key format for key.fields) and produced to the topic; the
 * partition is chosen by sink.partitioner: 'default' leaves it to the producer (murmur2 of the
 * key as Kafka's Java client, spread over partitions for rows without a key), 'fixed' writes
 * subtask i to partition i mod partitions, 'round-robin' cycles through the partitions.
 *
 * Delivery (sink.delivery-guarantee 'at-least-once', the default, and 'none'): the producer's
 * queue is flushed at the end of input and on a graceful stop; a failed delivery is never
 * dropped silently: the first delivery error fails the job with the broker's reason (as Flink's
 * KafkaWriter does for both guarantees). A full producer queue backpressures the job.
 * 'exactly-once' is refused by validation (not supported yet). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "connectors/conn_util.h"
#include "connectors/kafka/kafka_int.h"
#include "runtime/ops.h"
#include "runtime/task.h"

typedef struct kafka_sink {
    kafka_client c;
    sl_arena *a;
    const char *table;
    const char *topic;
    rd_kafka_topic_t *rkt;
    kafka_layout lay;
    sl_sink_conv conv;
    sl_format *vfmt, *kfmt;
    sl_row_writer vw, kw;
    sl_strbuf vbuf, kbuf;
    kafka_partitioner partitioner;
    int npartitions;
    int subtask;
    uint64_t rr;
    uint64_t since_poll;
    /* delivery reports (served on the operator's thread by rd_kafka_poll / rd_kafka_flush) */
    bool failed;
    rd_kafka_resp_err_t fail_err;
    int32_t fail_partition;
    char fail_reason[512];
    uint64_t failures;
} kafka_sink;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kafka_client *c = opaque;
    kafka_sink *s = (kafka_sink *)c; /* the client is the sink's first member */
    (void)rk;
    if (!m->err) return;
    s->failures++;
    if (s->failed) return;
    s->failed = true;
    s->fail_err = m->err;
    s->fail_partition = m->partition;
    snprintf(s->fail_reason, sizeof s->fail_reason, "%s", rd_kafka_err2str(m->err));
}

static sl_status delivery_error(kafka_sink *s, sl_error *err)
{
    sl_error_set(err, SL_ERR_KAFKA, "table '%s': a record could not be delivered to Kafka topic '%s': %s (%s)", s->table, s->topic,
                 s->fail_reason, rd_kafka_err2name(s->fail_err));
    if (s->fail_partition >= 0) sl_error_detail(err, "partition %" PRId32 ", %" PRIu64 " failed deliveries", s->fail_partition, s->failures);
    else sl_error_detail(err, "%" PRIu64 " failed deliveries", s->failures);
    return SL_ERR_KAFKA;
}

static bool cancelled(sl_operator *op)
{
    sl_job_context *job = sl_task_job(op->task);
    return job && atomic_load(&job->cancel);
}

/* The sub-row of r with fields idx (the key, or the value without the key columns). */
static const uint8_t *project(sl_row_writer *w, const uint8_t *r, const int *idx, const sql_type *t)
{
    sl_rw_begin(w, t->nfields, sl_row_get_kind(r));
    for (int i = 0; i < t->nfields; i++)
        if (!sl_row_is_null(r, idx[i])) sl_rw_copy(w, i, r, idx[i], sl_phys_of(t->field_types[i]));
    return sl_rw_finish(w);
}

static sl_status sink_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    kafka_sink *s = op->impl;
    (void)input;
    if (s->failed) return delivery_error(s, err);
    const uint8_t *r = sl_sink_conv_row(&s->conv, row, err);
    if (!r) return err->code;
    sl_status st;
    const void *key = NULL;
    size_t keylen = 0;
    if (s->kfmt) {
        sl_strbuf_reset(&s->kbuf);
        if ((st = sl_format_encode(s->kfmt, project(&s->kw, r, s->lay.key_idx, s->lay.key_type), &s->kbuf, err))) return st;
        key = s->kbuf.buf ? s->kbuf.buf : "";
        keylen = s->kbuf.len;
    }
    sl_strbuf_reset(&s->vbuf);
    const uint8_t *vr = s->lay.value_is_physical ? r : project(&s->vw, r, s->lay.value_idx, s->lay.value_type);
    if ((st = sl_format_encode(s->vfmt, vr, &s->vbuf, err))) return st;
    int32_t partition = RD_KAFKA_PARTITION_UA;
    if (s->partitioner == KAFKA_PART_FIXED) partition = s->subtask % s->npartitions;
    else if (s->partitioner == KAFKA_PART_ROUND_ROBIN) partition = (int32_t)(s->rr++ % (uint64_t)s->npartitions);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(s->c.rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_PARTITION(partition),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                  RD_KAFKA_V_VALUE(s->vbuf.buf ? s->vbuf.buf : "", s->vbuf.len),
                                                  RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_END);
        if (!e) break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot produce to Kafka topic '%s': %s", s->table, s->topic, rd_kafka_err2str(e));
        /* the producer's queue is full: wait for deliveries (backpressure) */
        if ((st = kafka_client_poll(&s->c, 10, err))) return st;
        if (s->failed) return delivery_error(s, err);
        if (cancelled(op)) return sl_error_set(err, SL_ERR_RUNTIME, "table '%s': cancelled while the producer queue was full", s->table);
    }
    op->records_out++;
    if (++s->since_poll >= 64) {
        s->since_poll = 0;
        if ((st = kafka_client_poll(&s->c, 0, err))) return st;
        if (s->failed) return delivery_error(s, err);
    }
    return SL_OK;
}

/* End of input or a graceful stop: every row is delivered (or the job fails). */
static sl_status sink_finish(sl_operator *op, sl_error *err)
{
    kafka_sink *s = op->impl;
    sl_status st;
    while (rd_kafka_outq_len(s->c.rk) > 0) {
        rd_kafka_flush(s->c.rk, 200);
        if ((st = kafka_client_poll(&s->c, 0, err))) return st;
        if (s->failed) return delivery_error(s, err);
        if (cancelled(op)) return SL_OK;
    }
    if ((st = kafka_client_poll(&s->c, 0, err))) return st;
    return s->failed ? delivery_error(s, err) : SL_OK;
}

static void sink_close(sl_operator *op)
{
    kafka_sink *s = op->impl;
    if (!s) return;
    if (s->c.rk) rd_kafka_purge(s->c.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (s->rkt) rd_kafka_topic_destroy(s->rkt);
    if (s->c.rk) {
        rd_kafka_poll(s->c.rk, 0);
        rd_kafka_destroy(s->c.rk);
        s->c.rk = NULL;
    }
    sl_format_destroy(s->vfmt);
    sl_format_destroy(s->kfmt);
    sl_sink_conv_free(&s->conv);
    sl_rw_free(&s->vw);
    sl_rw_free(&s->kw);
    sl_strbuf_free(&s->vbuf);
    sl_strbuf_free(&s->kbuf);
    sl_arena_destroy(s->a);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable sink_vt = {.name = "KafkaSink", .process = sink_process, .finish = sink_finish, .close = sink_close};

sl_status kafka_sink_create(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    kafka_sink *s = sl_xcalloc(1, sizeof *s);
    sl_operator tmp = {.impl = s};
    s->a = sl_arena_create(0);
    s->table = sl_arena_strdup(s->a, a->table ? a->table : "?");
    s->subtask = a->subtask;
    s->c.table = s->table;
    s->c.job = a->job;
    s->c.servers = sl_arena_strdup(s->a, sl_kv_get(a->opts, a->nopts, "properties.bootstrap.servers"));
    const sl_kv *o = a->opts;
    int n = a->nopts, bad = -1;
    char **topics;
    kafka_split_list(s->a, sl_kv_get(o, n, "topic"), &topics);
    s->topic = topics[0];
    const char *p = kafka_opt(o, n, "sink.partitioner");
    s->partitioner = strcasecmp(p, "fixed") == 0 ? KAFKA_PART_FIXED : strcasecmp(p, "round-robin") == 0 ? KAFKA_PART_ROUND_ROBIN : KAFKA_PART_DEFAULT;
    int32_t ltz = a->job ? a->job->ltz_offset : 0;
    sl_status st = SL_OK;
    if (a->input->nfields != a->physical->nfields)
        st = sl_error_set(err, SL_ERR_UNSUPPORTED, "table '%s': writing Kafka metadata columns (timestamp, headers) is not supported yet",
                          s->table);
    if (!st) st = kafka_layout_build(o, n, a->physical, s->a, &s->lay, &bad, err);
    if (!st) st = sl_sink_conv_init(&s->conv, a->input, a->row, ltz, err);
    if (!st) st = sl_format_create(s->lay.value_format, s->lay.value_type, s->lay.value_opts, s->lay.nvalue_opts, ltz, &s->vfmt, &bad, err);
    if (!st && s->lay.key_format)
        st = sl_format_create(s->lay.key_format, s->lay.key_type, s->lay.key_opts, s->lay.nkey_opts, ltz, &s->kfmt, &bad, err);
    if (st) {
        sink_close(&tmp);
        return st;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_client_opts co;
    st = kafka_apply_properties(o, n, false, conf, &co, NULL, &bad, err);
    char buf[256];
    if (!st && !co.partitioner) st = kafka_conf_set(conf, "partitioner", "murmur2_random", err); /* Kafka's Java client */
    if (!st && !co.client_id) {
        snprintf(buf, sizeof buf, "%s-%d", co.client_id_prefix ? co.client_id_prefix : "sluice-producer", a->subtask);
        st = kafka_conf_set(conf, "client.id", buf, err);
    }
    if (st) {
        rd_kafka_conf_destroy(conf);
        sink_close(&tmp);
        return st;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    if ((st = kafka_client_new(&s->c, RD_KAFKA_PRODUCER, conf, err))) {
        sink_close(&tmp);
        return st;
    }
    s->rkt = rd_kafka_topic_new(s->c.rk, s->topic, NULL);
    if (!s->rkt) {
        st = sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot use Kafka topic '%s': %s", s->table, s->topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
        sink_close(&tmp);
        return st;
    }
    /* the cluster must be reachable and the topic exist (or be created by the broker) */
    const struct rd_kafka_metadata *md = NULL;
    int64_t deadline = kafka_now_ms() + KAFKA_METADATA_TIMEOUT_MS;
    for (;;) {
        if ((st = kafka_client_metadata(&s->c, s->rkt, &md, err))) break;
        const struct rd_kafka_metadata_topic *mt = md->topic_cnt == 1 ? &md->topics[0] : NULL;
        if (mt && !mt->err && mt->partition_cnt > 0) {
            s->npartitions = mt->partition_cnt;
            break;
        }
        rd_kafka_resp_err_t e = mt ? mt->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        bool transient = e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || e == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                         (e == RD_KAFKA_RESP_ERR_NO_ERROR);
        if (!transient || kafka_now_ms() >= deadline) {
            if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                st = sl_error_set(err, SL_ERR_NOT_FOUND, "Topic '%s' of table '%s' does not exist in the Kafka cluster at '%s' (option 'topic').",
                                  s->topic, s->table, s->c.servers);
                sl_error_hint(err, "create the topic first (e.g. 'sluice kafka-dev --topic %s:4', or kafka-topics.sh --create), or fix 'topic'",
                              s->topic);
            } else {
                st = sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot use Kafka topic '%s': %s", s->table, s->topic, rd_kafka_err2str(e));
            }
            break;
        }
        rd_kafka_metadata_destroy(md);
        md = NULL;
        rd_kafka_poll(s->c.rk, 100);
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (st) {
        sink_close(&tmp);
        return st;
    }
    char desc[160];
    snprintf(desc, sizeof desc, "KafkaSink(%s)", s->table);
    *out = sl_operator_new(&sink_vt, s, NULL, sl_arena_strdup(s->a, desc));
    return SL_OK;
}
