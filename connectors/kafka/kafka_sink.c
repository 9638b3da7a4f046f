/* connectors/kafka/kafka_sink.c — the Kafka table sink.
 *
 * Each sink subtask is one librdkafka producer. Rows (after INSERT's implicit casts) are encoded
 * by the value format (and the key format for key.fields) and produced to the topic; the
 * partition is chosen by sink.partitioner: 'default' leaves it to the producer (murmur2 of the
 * key as Kafka's Java client, spread over partitions for rows without a key), 'fixed' writes
 * subtask i to partition i mod partitions, 'round-robin' cycles through the partitions.
 *
 * sink.delivery-guarantee:
 *   'none'           produce; flushed at the end of input and on a graceful stop.
 *   'at-least-once'  (the default) the same, and every checkpoint's synchronous phase flushes the
 *                    producer queue: a checkpoint completes only once everything before its
 *                    barrier is acknowledged by the brokers. A failed delivery is never dropped
 *                    silently: the first one fails the job (or the checkpoint) with the broker's
 *                    reason (as Flink's KafkaWriter does).
 *   'exactly-once'   a write-ahead log committed in Kafka transactions (docs/connectors.md):
 *                    rows since the last barrier are encoded into a local epoch file, not
 *                    produced; snapshot(n) closes epoch n and hard-links it into the checkpoint;
 *                    notify_complete(n) produces every pending epoch <= n in its own transaction
 *                    (transactional.id '<prefix>-<subtask>') that also commits a marker offset
 *                    for the consumer group '<prefix>-<subtask>-marker'; restore re-commits the
 *                    epochs of the checkpoint that the marker says are not committed yet. The
 *                    marker makes the commit idempotent, so a crash at any point followed by a
 *                    restart from the last checkpoint writes every row exactly once.
 * A full producer queue backpressures the job.
 *
 * upsert-kafka with sink.buffer-flush.max-rows and .interval (Flink's ReducingUpsertWriter): the
 * encoded records are buffered per message key, the latest change of a key replacing the one
 * before (a -D becomes the key's tombstone); the buffer is written when it holds max-rows keys,
 * when interval has passed since the last write (a processing-time timer), before every
 * checkpoint's snapshot (so the checkpoint covers it), and at the end of input or a graceful
 * stop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/fsutil.h"
#include "common/mem.h"
#include "common/units.h"
#include "connectors/conn_util.h"
#include "connectors/kafka/kafka_int.h"
#include "runtime/ops.h"
#include "runtime/task.h"

/* Exactly-once: how often a retriable transaction error is retried, the timeout of each
 * transactional call, and the marker offset's layout: (run << EOS_EPOCH_BITS) | epoch. */
#define EOS_RETRIES 5
#define EOS_TXN_TIMEOUT_MS 60000
#define EOS_EPOCH_BITS 31
#define EOS_EPOCH_MASK ((INT64_C(1) << EOS_EPOCH_BITS) - 1)

/* A closed epoch of the write-ahead log, waiting for its checkpoint to complete. */
typedef struct eos_epoch {
    int64_t id;       /* the checkpoint that closed it (the final epoch: the last id + 1) */
    uint64_t records;
    char *path;       /* the local file */
} eos_epoch;

/* A record in an epoch file: this header, then the key bytes, the value bytes and the headers
 * (a MAP<STRING, BYTES> encoding, runtime/row.h). */
typedef struct wal_rec {
    int64_t timestamp; /* the record's timestamp in ms; 0: none (the producer's clock) */
    int32_t partition; /* RD_KAFKA_PARTITION_UA: the producer's partitioner decides */
    uint32_t keylen;   /* UINT32_MAX: no key */
    uint32_t vallen;   /* UINT32_MAX: no value (an upsert-kafka tombstone) */
    uint32_t hdrlen;   /* 0: no headers */
} wal_rec;

/* What one record carries besides key and value: the writable metadata. */
typedef struct rec_meta {
    int64_t timestamp_ms; /* 0: none */
    const char *hdrs;     /* a MAP<STRING, BYTES> encoding, or NULL */
    uint32_t hdrlen;
} rec_meta;

typedef struct kafka_sink {
    kafka_client c;
    sl_arena *a;
    const char *table;
    const char *topic;
    rd_kafka_topic_t *rkt;
    kafka_layout lay;
    sl_sink_conv conv;
    /* writable metadata (non-VIRTUAL METADATA columns), as fields of the converted row (-1: none);
     * the key and value columns' fields in it */
    int ts_field, hdr_field;
    bool ts_wall;             /* the timestamp column is a TIMESTAMP: wall-clock time in ltz */
    int32_t ltz;
    const int *key_idx, *value_idx;
    sl_format *vfmt, *kfmt;
    sl_row_writer vw, kw;
    sl_strbuf vbuf, kbuf;
    sl_strbuf mbuf; /* a buffered record's metadata and value (sink.buffer-flush.*) */
    kafka_partitioner partitioner;
    int npartitions;
    int subtask, parallelism;
    uint64_t rr;
    uint64_t since_poll;
    sl_kv *opts;              /* the table's options (arena copies: clients made at restore) */
    int nopts;
    /* delivery reports (served on the operator's thread by rd_kafka_poll / rd_kafka_flush) */
    bool failed;
    rd_kafka_resp_err_t fail_err;
    int32_t fail_partition;
    char fail_reason[512];
    uint64_t failures;
    /* sink.delivery-guarantee */
    bool none;                /* 'none': no flush on checkpoints */
    bool upsert;              /* upsert-kafka: key = PRIMARY KEY; +I/+U values, -D tombstones, -U dropped */
    bool eos;                 /* 'exactly-once' */
    /* exactly-once: the write-ahead log */
    bool checkpointing;       /* execution.checkpointing.interval is set, or a checkpoint came */
    bool txn_ready;           /* init_transactions done */
    const char *prefix;       /* sink.transactional-id-prefix */
    char txn_id[300];         /* <prefix>-<subtask> */
    char marker_group[320];   /* <prefix>-<subtask>-marker */
    kafka_client mc;          /* a consumer of the marker group (reads and commits the marker) */
    uint32_t run;             /* this run's id, the marker's high bits (random, > 0) */
    char *wal_dir;            /* local directory of the epoch files */
    FILE *cur;                /* the open epoch (NULL until its first record) */
    char *cur_path;
    uint64_t cur_records;
    int64_t last_epoch;       /* the last checkpoint id this subtask saw */
    eos_epoch *pending;       /* closed epochs not committed yet, oldest first */
    int npending, cap_pending;
    uint8_t *rbuf;            /* replay buffer (grows to the largest record) */
    size_t rcap;
    /* upsert-kafka sink.buffer-flush.*: the latest record per message key (val, or a tombstone) */
    int64_t buf_rows;         /* max-rows; 0: no buffering */
    int64_t buf_interval_ms;
    int64_t buf_flushed_ms;   /* wall clock of the last write of the buffer */
    kafka_kmap buf;
} kafka_sink;

/* A producer or consumer the sink makes for an old subtask's transactional id at restore. */
typedef struct kafka_aux {
    kafka_client c;
    kafka_sink *s;
} kafka_aux;

static void record_failure(kafka_sink *s, const rd_kafka_message_t *m)
{
    if (!m->err) return;
    s->failures++;
    if (s->failed) return;
    s->failed = true;
    s->fail_err = m->err;
    s->fail_partition = m->partition;
    snprintf(s->fail_reason, sizeof s->fail_reason, "%s", rd_kafka_err2str(m->err));
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    record_failure((kafka_sink *)opaque, m); /* the client is the sink's first member */
}

static void on_delivery_aux(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    record_failure(((kafka_aux *)opaque)->s, m);
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

/* The sub-row of r with fields idx (the key, or the value without the key columns), of kind `kind`. */
static const uint8_t *project(sl_row_writer *w, const uint8_t *r, const int *idx, const sql_type *t, sl_row_kind kind)
{
    sl_rw_begin(w, t->nfields, kind);
    for (int i = 0; i < t->nfields; i++)
        if (!sl_row_is_null(r, idx[i])) sl_rw_copy(w, i, r, idx[i], sl_phys_of(t->field_types[i]));
    return sl_rw_finish(w);
}

/* Record headers from a MAP<STRING, BYTES> encoding (NULL when it has no entry): one header per
 * entry, a NULL value is a header without a value; a NULL key has no header form and is left out. */
static rd_kafka_headers_t *headers_of(const rec_meta *m)
{
    sl_map_iter it;
    uint32_t n;
    if (!m->hdrs || !sl_map_iter_init(&it, m->hdrs, m->hdrlen, SL_PHYS_BYTES, SL_PHYS_BYTES, &n) || n == 0) return NULL;
    rd_kafka_headers_t *hs = rd_kafka_headers_new(n);
    sl_map_elem k, v;
    while (sl_map_next(&it, &k, &v))
        if (!k.null) rd_kafka_header_add(hs, k.p, (ssize_t)k.n, v.null ? NULL : v.p, v.null ? 0 : (ssize_t)v.n);
    return hs;
}

/* Produces one record (val NULL: a tombstone), waiting while the producer's queue is full
 * (backpressure). */
static sl_status produce(kafka_sink *s, kafka_client *c, int32_t partition, const void *key, size_t keylen, const void *val,
                         size_t vallen, const rec_meta *m, sl_operator *op, sl_error *err)
{
    rd_kafka_headers_t *hs = headers_of(m); /* owned by the message once produced */
    for (;;) {
        rd_kafka_resp_err_t e =
            c == &s->c ? rd_kafka_producev(c->rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_VALUE((void *)val, vallen), RD_KAFKA_V_KEY(key, keylen),
                                           RD_KAFKA_V_TIMESTAMP(m->timestamp_ms), RD_KAFKA_V_HEADERS(hs), RD_KAFKA_V_END)
                       : rd_kafka_producev(c->rk, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)val, vallen),
                                           RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_TIMESTAMP(m->timestamp_ms), RD_KAFKA_V_HEADERS(hs),
                                           RD_KAFKA_V_END);
        if (!e) return SL_OK;
        sl_status st = SL_OK;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            st = sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot produce to Kafka topic '%s': %s", s->table, s->topic, rd_kafka_err2str(e));
        else if ((st = kafka_client_poll(c, 10, err))) {
        } else if (s->failed) st = delivery_error(s, err);
        else if (op && cancelled(op))
            st = sl_error_set(err, SL_ERR_RUNTIME, "table '%s': cancelled while the producer queue was full", s->table);
        if (st) {
            if (hs) rd_kafka_headers_destroy(hs);
            return st;
        }
    }
}

/* ---- exactly-once: epoch files ------------------------------------------------------------------ */

static sl_status wal_io_error(kafka_sink *s, const char *what, const char *path, sl_error *err)
{
    sl_error_set(err, SL_ERR_IO, "table '%s': cannot %s the exactly-once write-ahead log file '%s': %s", s->table, what, path, strerror(errno));
    sl_error_hint(err, "the Kafka sink keeps the rows of the current checkpoint interval in 'io.tmp.dirs' until the checkpoint "
                       "completes: give that directory room, or set 'io.tmp.dirs' to one that has it");
    return SL_ERR_IO;
}

static sl_status wal_append(kafka_sink *s, int32_t partition, const void *key, uint32_t keylen, const void *val, uint32_t vallen,
                            const rec_meta *m, sl_error *err)
{
    if (!s->cur) {
        s->cur = fopen(s->cur_path, "wb");
        if (!s->cur) return wal_io_error(s, "create", s->cur_path, err);
        s->cur_records = 0;
    }
    uint32_t hdrlen = m->hdrs ? m->hdrlen : 0;
    wal_rec h = {.timestamp = m->timestamp_ms, .partition = partition, .keylen = key ? keylen : UINT32_MAX,
                 .vallen = val ? vallen : UINT32_MAX, .hdrlen = hdrlen};
    if (fwrite(&h, sizeof h, 1, s->cur) != 1 || (key && keylen && fwrite(key, keylen, 1, s->cur) != 1) ||
        (val && vallen && fwrite(val, vallen, 1, s->cur) != 1) || (hdrlen && fwrite(m->hdrs, hdrlen, 1, s->cur) != 1))
        return wal_io_error(s, "write", s->cur_path, err);
    s->cur_records++;
    return SL_OK;
}

/* Closes the open epoch as epoch `id` (nothing when it holds no record). */
static sl_status wal_cut(kafka_sink *s, int64_t id, sl_error *err)
{
    if (!s->cur) return SL_OK;
    int rc = fflush(s->cur);
    if (rc == 0) rc = ferror(s->cur) ? -1 : 0;
    if (fclose(s->cur) != 0) rc = -1;
    s->cur = NULL;
    if (rc != 0) return wal_io_error(s, "write", s->cur_path, err);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/wal-%" PRId64, s->wal_dir, id);
    if (rename(s->cur_path, path) != 0) return wal_io_error(s, "rename", s->cur_path, err);
    if (s->npending == s->cap_pending) {
        s->cap_pending = s->cap_pending ? s->cap_pending * 2 : 8;
        s->pending = sl_xrealloc(s->pending, sizeof *s->pending * (size_t)s->cap_pending);
    }
    s->pending[s->npending++] = (eos_epoch){.id = id, .records = s->cur_records, .path = sl_xstrdup(path)};
    s->cur_records = 0;
    return SL_OK;
}

/* Hard-links (or, across file systems, copies) src to dst. */

static void wal_drop_first(kafka_sink *s)
{
    unlink(s->pending[0].path);
    free(s->pending[0].path);
    memmove(s->pending, s->pending + 1, sizeof *s->pending * (size_t)(s->npending - 1));
    s->npending--;
}

/* ---- exactly-once: transactions ----------------------------------------------------------------- */

/* Classifies a transactional call's error: SL_OK with *retry for a retriable one (bounded by
 * *attempts), else the job fails with the broker's reason (after aborting the transaction when
 * the error requires it). */
static sl_status txn_error(kafka_sink *s, kafka_client *c, rd_kafka_error_t *e, const char *what, const char *txn_id, int *attempts,
                           bool *retry, sl_error *err)
{
    *retry = false;
    if (!e) return SL_OK;
    if (rd_kafka_error_is_retriable(e) && ++*attempts < EOS_RETRIES) {
        kafka_client_warn(c, "Kafka transaction of '%s': %s failed: %s (retrying)", txn_id, what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        *retry = true;
        return SL_OK;
    }
    bool abort = rd_kafka_error_txn_requires_abort(e), fatal = rd_kafka_error_is_fatal(e);
    sl_error_set(err, SL_ERR_KAFKA, "table '%s': Kafka transaction of transactional id '%s' on topic '%s': %s failed: %s (%s)", s->table,
                 txn_id, s->topic, what, rd_kafka_error_string(e), rd_kafka_error_name(e));
    if (s->failed && s->fail_partition >= 0)
        sl_error_detail(err, "first failed delivery: partition %" PRId32 ": %s", s->fail_partition, s->fail_reason);
    if (fatal)
        sl_error_hint(err, "a fatal producer error (e.g. fenced by another producer with the same transactional id): give each job its own "
                           "'sink.transactional-id-prefix'");
    else
        sl_error_hint(err, "the job fails and restarts from its last checkpoint; the rows of this transaction are committed then");
    rd_kafka_error_destroy(e);
    if (abort && !fatal) {
        rd_kafka_error_t *ae = rd_kafka_abort_transaction(c->rk, EOS_TXN_TIMEOUT_MS);
        if (ae) rd_kafka_error_destroy(ae);
    }
    return SL_ERR_KAFKA;
}

/* rd_kafka_init_transactions: fences earlier producers of txn_id and aborts their open transaction. */
static sl_status txn_init(kafka_sink *s, kafka_client *c, const char *txn_id, sl_error *err)
{
    int attempts = 0;
    bool retry;
    sl_status st;
    do {
        rd_kafka_error_t *e = rd_kafka_init_transactions(c->rk, EOS_TXN_TIMEOUT_MS);
        if ((st = txn_error(s, c, e, "init_transactions", txn_id, &attempts, &retry, err))) return st;
    } while (retry);
    return SL_OK;
}

static int64_t marker_value(uint32_t run, int64_t epoch) { return ((int64_t)run << EOS_EPOCH_BITS) | (epoch & EOS_EPOCH_MASK); }

/* One epoch file in one transaction with its marker: begin, produce, send the marker offset
 * (group `group`, sink topic partition 0, offset (run, epoch)), commit. */
static sl_status txn_commit_epoch(kafka_sink *s, kafka_client *c, kafka_client *mc, const char *txn_id, const char *group, uint32_t run,
                                  int64_t epoch, const char *path, sl_operator *op, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return wal_io_error(s, "open", path, err);
    int attempts = 0;
    bool retry;
    sl_status st;
    do {
        rd_kafka_error_t *e = rd_kafka_begin_transaction(c->rk);
        if ((st = txn_error(s, c, e, "begin_transaction", txn_id, &attempts, &retry, err))) goto out;
    } while (retry);
    /* the records */
    wal_rec h;
    uint64_t n = 0;
    while (fread(&h, sizeof h, 1, f) == 1) {
        size_t klen = h.keylen == UINT32_MAX ? 0 : h.keylen, vlen = h.vallen == UINT32_MAX ? 0 : h.vallen, need = klen + vlen + h.hdrlen;
        if (need > s->rcap) {
            s->rcap = need * 2 > 4096 ? need * 2 : 4096;
            free(s->rbuf);
            s->rbuf = sl_xmalloc(s->rcap);
        }
        if (need && fread(s->rbuf, need, 1, f) != 1) {
            st = sl_error_set(err, SL_ERR_STATE, "table '%s': the exactly-once write-ahead log file '%s' is truncated (record %" PRIu64 ")",
                              s->table, path, n + 1);
            rd_kafka_error_t *ae = rd_kafka_abort_transaction(c->rk, EOS_TXN_TIMEOUT_MS);
            if (ae) rd_kafka_error_destroy(ae);
            goto out;
        }
        rec_meta m = {.timestamp_ms = h.timestamp, .hdrs = h.hdrlen ? (const char *)s->rbuf + klen + vlen : NULL, .hdrlen = h.hdrlen};
        if ((st = produce(s, c, h.partition, h.keylen == UINT32_MAX ? NULL : s->rbuf, klen, h.vallen == UINT32_MAX ? NULL : s->rbuf + klen,
                          vlen, &m, op, err)))
            goto out;
        if ((++n & 1023) == 0 && (st = kafka_client_poll(c, 0, err))) goto out;
    }
    if (ferror(f)) {
        st = wal_io_error(s, "read", path, err);
        goto out;
    }
    /* the marker, atomically with the records */
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offs, s->topic, 0)->offset = marker_value(run, epoch);
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata_new(group);
    attempts = 0;
    do {
        rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(c->rk, offs, gm, EOS_TXN_TIMEOUT_MS);
        st = txn_error(s, c, e, "send_offsets_to_transaction", txn_id, &attempts, &retry, err);
    } while (!st && retry);
    rd_kafka_consumer_group_metadata_destroy(gm);
    attempts = 0;
    while (!st) {
        rd_kafka_error_t *e = rd_kafka_commit_transaction(c->rk, EOS_TXN_TIMEOUT_MS);
        if ((st = txn_error(s, c, e, "commit_transaction", txn_id, &attempts, &retry, err)) || !retry) break;
    }
    if (!st && mc && mc->rk) {
        /* The same marker as a plain offset commit. Kafka already has it (TxnOffsetCommit, atomic
         * with the records); clusters that drop transactional offsets (librdkafka's mock, i.e.
         * 'sluice kafka-dev') keep this one. A failure only warns. */
        rd_kafka_resp_err_t ce = rd_kafka_commit(mc->rk, offs, 0);
        if (ce) kafka_client_warn(mc, "could not commit the marker of group '%s' (plain commit): %s", group, rd_kafka_err2str(ce));
    }
    rd_kafka_topic_partition_list_destroy(offs);
    if (!st && s->failed) st = delivery_error(s, err); /* not expected: the commit fails first */
out:
    fclose(f);
    return st;
}

/* The marker group's committed offset on the sink topic's partition 0: the last epoch of run
 * `run` committed, or 0 (none of that run). */
static sl_status marker_read(kafka_sink *s, kafka_client *mc, const char *group, uint32_t run, int64_t *done, sl_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, 0);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < EOS_RETRIES; attempt++) {
        e = rd_kafka_committed(mc->rk, l, KAFKA_REQUEST_TIMEOUT_MS);
        if (!e) e = l->elems[0].err;
        /* UNSTABLE_OFFSET_COMMIT: a transaction that moves the marker is being completed */
        if (e != RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT && e != RD_KAFKA_RESP_ERR__TIMED_OUT &&
            e != RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS && e != RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
            break;
    }
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return sl_error_set(err, SL_ERR_KAFKA,
                            "table '%s': cannot read the exactly-once marker (consumer group '%s', topic '%s', partition 0): %s", s->table,
                            group, s->topic, rd_kafka_err2str(e));
    *done = off >= 0 && (uint32_t)(off >> EOS_EPOCH_BITS) == run ? (off & EOS_EPOCH_MASK) : 0;
    return SL_OK;
}

/* A client with the table's properties.* (a producer with transactional.id, or a consumer of a
 * marker group) for the exactly-once protocol. */
static sl_status eos_client(kafka_sink *s, kafka_client *c, bool consumer, const char *id, bool aux, sl_error *err)
{
    c->table = s->table;
    c->job = s->c.job;
    c->servers = s->c.servers;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_client_opts co;
    int bad = -1;
    sl_status st = kafka_apply_properties(s->opts, s->nopts, consumer, conf, &co, NULL, &bad, err);
    char buf[400];
    if (!st && consumer) {
        if (!st) st = kafka_conf_set(conf, "group.id", id, err);
        if (!st) st = kafka_conf_set(conf, "enable.auto.commit", "false", err);
        if (!st) st = kafka_conf_set(conf, "isolation.level", "read_committed", err);
        snprintf(buf, sizeof buf, "%s-marker-%d", co.client_id_prefix ? co.client_id_prefix : "sluice", s->subtask);
    } else if (!st) {
        if (!co.partitioner) st = kafka_conf_set(conf, "partitioner", "murmur2_random", err);
        if (!st) st = kafka_conf_set(conf, "transactional.id", id, err);
        snprintf(buf, sizeof buf, "%s-%d", co.client_id_prefix ? co.client_id_prefix : "sluice-producer", s->subtask);
    }
    if (!st && !co.client_id) st = kafka_conf_set(conf, "client.id", buf, err);
    if (st) {
        rd_kafka_conf_destroy(conf);
        return st;
    }
    if (!consumer) rd_kafka_conf_set_dr_msg_cb(conf, aux ? on_delivery_aux : on_delivery);
    return kafka_client_new(c, consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf, err);
}

static uint32_t random_run(void)
{
    uint32_t r = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&r, sizeof r, 1, f) != 1) r = 0;
        fclose(f);
    }
    if (!r) r = (uint32_t)kafka_now_ms() ^ ((uint32_t)getpid() << 16);
    r &= 0x7fffffffu;
    return r ? r : 1;
}

/* ---- the operator ------------------------------------------------------------------------------- */

static sl_status sink_open(sl_operator *op, sl_error *err)
{
    kafka_sink *s = op->impl;
    if (s->buf_rows) {
        s->buf_flushed_ms = sl_wall_ms();
        sl_op_register_proctime_timer(op, s->buf_flushed_ms + s->buf_interval_ms);
    }
    if (!s->eos) return SL_OK;
    s->checkpointing = sl_task_job(op->task) && sl_task_job(op->task)->checkpoint_interval_ms > 0;
    s->run = random_run();
    sl_job_context *job = sl_task_job(op->task);
    const char *tmp = job && job->tmp_dir && *job->tmp_dir ? job->tmp_dir : "/tmp";
    char path[PATH_MAX];
    char safe[64];
    size_t k = 0;
    for (const char *p = s->table; *p && k + 1 < sizeof safe; p++)
        safe[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ? *p : '_');
    safe[k] = 0;
    snprintf(path, sizeof path, "%s/sluice-kafka-wal-%d-%s-%d-XXXXXX", tmp, (int)getpid(), safe, s->subtask);
    if (!mkdtemp(path)) return wal_io_error(s, "create the directory of", path, err);
    s->wal_dir = sl_xstrdup(path);
    snprintf(path, sizeof path, "%s/current", s->wal_dir);
    s->cur_path = sl_xstrdup(path);
    /* aborts what an earlier run of this transactional id left open */
    sl_status st = txn_init(s, &s->c, s->txn_id, err);
    if (!st) s->txn_ready = true;
    return st;
}

/* One encoded record (val NULL: a tombstone) to Kafka, or exactly-once to the open epoch; the
 * partition as sink.partitioner says. */
/* val NULL: a tombstone (upsert-kafka delete). */
static sl_status write_record(sl_operator *op, const void *key, size_t keylen, const void *val, size_t vallen, const rec_meta *m,
                              sl_error *err)
{
    kafka_sink *s = op->impl;
    sl_status st;
    int32_t partition = RD_KAFKA_PARTITION_UA;
    if (s->partitioner == KAFKA_PART_FIXED) partition = s->subtask % s->npartitions;
    else if (s->partitioner == KAFKA_PART_ROUND_ROBIN) partition = (int32_t)(s->rr++ % (uint64_t)s->npartitions);
    if (s->eos) {
        if ((st = wal_append(s, partition, key, (uint32_t)keylen, val, val ? (uint32_t)vallen : 0, m, err))) return st;
        op->records_out++;
        return SL_OK;
    }
    if ((st = produce(s, &s->c, partition, key, keylen, val, val ? vallen : 0, m, op, err))) return st;
    op->records_out++;
    if (++s->since_poll >= 64) {
        s->since_poll = 0;
        if ((st = kafka_client_poll(&s->c, 0, err))) return st;
        if (s->failed) return delivery_error(s, err);
    }
    return SL_OK;
}

/* ---- upsert-kafka: the buffer (sink.buffer-flush.*) ------------------------------------------- */

/* Writes the buffered records (one per key, in no particular order across keys, as Flink's
 * HashMap) and empties the buffer. */
static sl_status buf_flush(sl_operator *op, sl_error *err)
{
    kafka_sink *s = op->impl;
    s->buf_flushed_ms = sl_wall_ms();
    for (size_t i = 0; s->buf.n && i < s->buf.nb; i++)
        for (const kafka_kentry *e = s->buf.b[i]; e; e = e->next) {
            /* the entry's value: the record's metadata (buf_put), then its value */
            rec_meta m;
            uint32_t hl;
            memcpy(&m.timestamp_ms, e->data, 8);
            memcpy(&hl, e->data + 8, 4);
            m.hdrlen = hl;
            m.hdrs = hl ? (const char *)e->data + 12 : NULL;
            const uint8_t *v = e->data + 12 + hl;
            sl_status st = write_record(op, kafka_kentry_key(e), e->klen, e->null_value ? NULL : v, e->vlen - 12 - hl, &m, err);
            if (st) return st;
        }
    kafka_kmap_clear(&s->buf);
    return SL_OK;
}

/* The record replaces what the buffer holds for its key; a full buffer is written. */
static sl_status buf_put(sl_operator *op, const void *key, size_t keylen, const void *val, size_t vallen, const rec_meta *m,
                         sl_error *err)
{
    kafka_sink *s = op->impl;
    /* stored value: timestamp (8 bytes), headers length (4), headers, the value */
    sl_strbuf_reset(&s->mbuf);
    uint32_t hl = m->hdrs ? m->hdrlen : 0;
    sl_strbuf_append(&s->mbuf, (const char *)&m->timestamp_ms, 8);
    sl_strbuf_append(&s->mbuf, (const char *)&hl, 4);
    if (hl) sl_strbuf_append(&s->mbuf, m->hdrs, hl);
    if (val) sl_strbuf_append(&s->mbuf, val, vallen);
    uint64_t h = kafka_kmap_hash(0, key, (uint32_t)keylen);
    kafka_kentry **slot = kafka_kmap_find(&s->buf, 0, key, (uint32_t)keylen, h);
    kafka_kentry *e = kafka_kmap_store(&s->buf, slot, 0, h, key, (uint32_t)keylen, s->mbuf.buf, (uint32_t)s->mbuf.len);
    e->null_value = val == NULL;
    return (int64_t)s->buf.n >= s->buf_rows ? buf_flush(op, err) : SL_OK;
}

/* sink.buffer-flush.interval: writes the buffer when the interval has passed since its last
 * write (a write for max-rows or a checkpoint starts the interval again). */
static sl_status sink_timer(sl_operator *op, int64_t when_ms, sl_error *err)
{
    kafka_sink *s = op->impl;
    if (!s->buf_rows) return SL_OK;
    if (when_ms >= s->buf_flushed_ms + s->buf_interval_ms) {
        sl_status st = buf_flush(op, err);
        if (st) return st;
    }
    sl_op_register_proctime_timer(op, s->buf_flushed_ms + s->buf_interval_ms);
    return SL_OK;
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
    sl_row_kind kind = sl_row_get_kind(r);
    if (s->upsert && kind == SL_ROW_UPDATE_BEFORE) return SL_OK; /* upsert: the +U that follows overwrites the key */
    /* an upsert row is written as a plain value (the key says which row it replaces) */
    sl_row_kind enc = s->upsert ? SL_ROW_INSERT : kind;
    if (s->kfmt) {
        sl_strbuf_reset(&s->kbuf);
        if ((st = sl_format_encode(s->kfmt, project(&s->kw, r, s->key_idx, s->lay.key_type, enc), &s->kbuf, err))) return st;
        key = s->kbuf.buf ? s->kbuf.buf : "";
        keylen = s->kbuf.len;
    }
    sl_strbuf_reset(&s->vbuf);
    bool tombstone = s->upsert && kind == SL_ROW_DELETE;
    const uint8_t *vr = s->lay.value_is_physical && s->hdr_field < 0 && s->ts_field < 0 && enc == kind
                            ? r
                            : project(&s->vw, r, s->value_idx, s->lay.value_type, enc);
    if (!tombstone && (st = sl_format_encode(s->vfmt, vr, &s->vbuf, err))) return st;
    const char *val = tombstone ? NULL : s->vbuf.buf ? s->vbuf.buf : "";
    rec_meta m = {0};
    if (s->ts_field >= 0 && !sl_row_is_null(r, s->ts_field)) {
        int64_t us = sl_row_i64(r, s->ts_field);
        if (s->ts_wall) us -= (int64_t)s->ltz * 1000000;
        m.timestamp_ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    }
    if (s->hdr_field >= 0 && !sl_row_is_null(r, s->hdr_field)) m.hdrs = sl_row_bytes(r, s->hdr_field, &m.hdrlen);
    size_t vlen = tombstone ? 0 : s->vbuf.len;
    if (s->buf_rows) return buf_put(op, key, keylen, val, vlen, &m, err);
    return write_record(op, key, keylen, val, vlen, &m, err);
}

/* Waits until every produced record is acknowledged. A cancelled job returns at once (with an
 * error when `strict`: a checkpoint must not succeed on a partial flush). */
static sl_status flush_all(sl_operator *op, bool strict, sl_error *err)
{
    kafka_sink *s = op->impl;
    sl_status st;
    while (rd_kafka_outq_len(s->c.rk) > 0) {
        rd_kafka_flush(s->c.rk, 200);
        if ((st = kafka_client_poll(&s->c, 0, err))) return st;
        if (s->failed) return delivery_error(s, err);
        if (cancelled(op))
            return strict ? sl_error_set(err, SL_ERR_RUNTIME, "table '%s': cancelled while flushing to Kafka topic '%s'", s->table, s->topic)
                          : SL_OK;
    }
    if ((st = kafka_client_poll(&s->c, 0, err))) return st;
    return s->failed ? delivery_error(s, err) : SL_OK;
}

/* Commits the pending epochs up to `upto`, oldest first. */
static sl_status eos_commit_upto(sl_operator *op, int64_t upto, sl_error *err)
{
    kafka_sink *s = op->impl;
    while (s->npending && s->pending[0].id <= upto) {
        sl_status st = txn_commit_epoch(s, &s->c, &s->mc, s->txn_id, s->marker_group, s->run, s->pending[0].id, s->pending[0].path, op, err);
        if (st) return st;
        wal_drop_first(s);
    }
    return SL_OK;
}

/* at-least-once: flush; exactly-once: close the epoch, link the pending epochs into the
 * checkpoint, and describe them. */
static sl_status sink_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    kafka_sink *s = op->impl;
    *out = NULL;
    if (s->buf_rows) { /* the buffer goes into the checkpoint's records (Flink: before the barrier) */
        sl_status st = buf_flush(op, err);
        if (st) return st;
    }
    if (!s->eos) return s->none ? SL_OK : flush_all(op, true, err);
    s->checkpointing = true;
    if (ctx->checkpoint_id > s->last_epoch) s->last_epoch = ctx->checkpoint_id;
    sl_status st = wal_cut(s, ctx->checkpoint_id, err);
    if (st) return st;
    json_t *epochs = json_array();
    for (int i = 0; i < s->npending; i++) {
        char dst[PATH_MAX];
        snprintf(dst, sizeof dst, "%s/wal-%" PRId64, ctx->dir, s->pending[i].id);
        if (sl_fs_link_or_copy(s->pending[i].path, dst) != 0) {
            json_decref(epochs);
            return wal_io_error(s, "copy into the checkpoint", dst, err);
        }
        json_array_append_new(epochs, json_pack("{s:I, s:I}", "epoch", (json_int_t)s->pending[i].id, "records", (json_int_t)s->pending[i].records));
    }
    *out = json_pack("{s:s, s:s, s:I, s:o}", "transactional_id", s->txn_id, "marker_group", s->marker_group, "run", (json_int_t)s->run,
                     "epochs", epochs);
    return SL_OK;
}

static sl_status sink_notify(sl_operator *op, int64_t checkpoint_id, sl_error *err)
{
    kafka_sink *s = op->impl;
    if (!s->eos) return SL_OK;
    return eos_commit_upto(op, checkpoint_id, err);
}

/* Re-commits, for every old subtask this one takes over (old index mod new parallelism), the
 * epochs its checkpoint lists that its marker does not cover yet. */
static sl_status sink_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    kafka_sink *s = op->impl;
    if (!s->eos) return SL_OK;
    for (int pi = 0; pi < ctx->nparts; pi++) {
        const sl_restore_part *part = &ctx->parts[pi];
        const json_t *in = part->state;
        if (!in || part->subtask % s->parallelism != s->subtask) continue;
        const char *txn_id = json_string_value(json_object_get(in, "transactional_id"));
        const char *group = json_string_value(json_object_get(in, "marker_group"));
        json_int_t run = json_integer_value(json_object_get(in, "run"));
        const json_t *epochs = json_object_get(in, "epochs");
        if (!txn_id || !group || run <= 0 || !json_is_array(epochs))
            return sl_error_set(err, SL_ERR_STATE, "table '%s': malformed Kafka exactly-once sink state (old subtask %d)", s->table, part->subtask);
        bool own = strcmp(txn_id, s->txn_id) == 0;
        kafka_aux prod = {.s = s}, cons = {.s = s};
        sl_status st = SL_OK;
        if (!own) { /* an old subtask's transactional id: abort what it left open, commit with it */
            st = eos_client(s, &prod.c, false, txn_id, true, err);
            if (!st) st = txn_init(s, &prod.c, txn_id, err);
        }
        if (!st && strcmp(group, s->marker_group) != 0) st = eos_client(s, &cons.c, true, group, true, err);
        kafka_client *pc = own ? &s->c : &prod.c, *mc = cons.c.rk ? &cons.c : &s->mc;
        int64_t done = 0;
        if (!st && json_array_size(epochs)) st = marker_read(s, mc, group, (uint32_t)run, &done, err);
        size_t i;
        const json_t *e;
        int64_t prev = 0;
        json_array_foreach(epochs, i, e)
        {
            if (st) break;
            int64_t id = (int64_t)json_integer_value(json_object_get(e, "epoch"));
            if (id <= prev) {
                st = sl_error_set(err, SL_ERR_STATE, "table '%s': Kafka exactly-once sink state lists epochs out of order", s->table);
                break;
            }
            prev = id;
            if (id <= done) continue; /* committed before the failure */
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/wal-%" PRId64, part->dir ? part->dir : "", id);
            if (!part->dir || access(path, R_OK) != 0) {
                st = sl_error_set(err, SL_ERR_STATE,
                                  "table '%s': the checkpoint lacks the exactly-once write-ahead log of epoch %" PRId64 " (old subtask %d): %s",
                                  s->table, id, part->subtask, path);
                break;
            }
            st = txn_commit_epoch(s, pc, mc, txn_id, group, (uint32_t)run, id, path, op, err);
        }
        if (prod.c.rk) {
            rd_kafka_flush(prod.c.rk, 1000);
            kafka_client_destroy(&prod.c);
        }
        if (cons.c.rk) kafka_client_destroy(&cons.c);
        if (st) return st;
    }
    return SL_OK;
}

/* End of input or a graceful stop: every row is delivered (or the job fails). Exactly-once:
 * the rest is committed as a final epoch, except on a graceful stop of a checkpointed job (as
 * Flink: rows after the last completed checkpoint are not committed; a restart from that
 * checkpoint writes them). */
static sl_status sink_finish(sl_operator *op, sl_error *err)
{
    kafka_sink *s = op->impl;
    if (s->buf_rows) {
        sl_status st = buf_flush(op, err);
        if (st) return st;
    }
    if (!s->eos) return flush_all(op, false, err);
    if (s->checkpointing && sl_task_stopping(op->task)) {
        uint64_t n = s->cur_records;
        for (int i = 0; i < s->npending; i++) n += s->pending[i].records;
        if (n) {
            sl_job_context *job = sl_task_job(op->task);
            FILE *o = job && job->err_out ? job->err_out : stderr;
            if (job) pthread_mutex_lock(&job->out_lock);
            fprintf(o, "sluice: table '%s': %" PRIu64 " rows after the last completed checkpoint are not committed to Kafka topic '%s' "
                       "(graceful stop without a final checkpoint); a restart from that checkpoint writes them\n",
                    s->table, n, s->topic);
            fflush(o);
            if (job) pthread_mutex_unlock(&job->out_lock);
        }
        return SL_OK;
    }
    sl_status st = wal_cut(s, s->last_epoch + 1, err);
    if (!st) st = eos_commit_upto(op, INT64_MAX, err);
    return st;
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
    kafka_client_destroy(&s->mc);
    /* the local log (checkpoints hold their own links) */
    if (s->cur) fclose(s->cur);
    if (s->cur_path) unlink(s->cur_path);
    while (s->npending) wal_drop_first(s);
    free(s->pending);
    if (s->wal_dir) rmdir(s->wal_dir);
    free(s->wal_dir);
    free(s->cur_path);
    free(s->rbuf);
    kafka_kmap_free(&s->buf);
    sl_format_destroy(s->vfmt);
    sl_format_destroy(s->kfmt);
    sl_sink_conv_free(&s->conv);
    sl_rw_free(&s->vw);
    sl_rw_free(&s->kw);
    sl_strbuf_free(&s->vbuf);
    sl_strbuf_free(&s->mbuf);
    sl_strbuf_free(&s->kbuf);
    sl_arena_destroy(s->a);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable sink_vt = {.name = "KafkaSink",
                                     .open = sink_open,
                                     .process = sink_process,
                                     .finish = sink_finish,
                                     .close = sink_close,
                                     .on_timer = sink_timer,
                                     .snapshot = sink_snapshot,
                                     .restore = sink_restore,
                                     .notify_complete = sink_notify};

/* The writable metadata columns (Flink's KafkaDynamicSink: headers, timestamp) and where the
 * physical columns are in the rows the sink writes (after them, when a->written has metadata). */
static sl_status sink_metadata(kafka_sink *s, const sl_conn_args *a, sl_error *err)
{
    s->ts_field = s->hdr_field = -1;
    s->key_idx = s->lay.key_idx;
    s->value_idx = s->lay.value_idx;
    const sql_type *w = a->written;
    if (!w) return SL_OK;
    int *pos = sl_arena_zalloc(s->a, sizeof(int) * (size_t)(a->physical->nfields ? a->physical->nfields : 1)), np = 0;
    for (int i = 0; i < w->nfields; i++) {
        const char *key = a->meta_keys ? a->meta_keys[i] : NULL;
        const sql_type *t = w->field_types[i];
        if (!key) {
            if (np < a->physical->nfields) pos[np++] = i;
            continue;
        }
        sl_strbuf tsb = SL_STRBUF_INIT;
        sql_type_print(&tsb, t);
        sl_status st = SL_OK;
        if (strcmp(key, "timestamp") == 0) {
            if (t->id != SQL_T_TIMESTAMP_LTZ && t->id != SQL_T_TIMESTAMP)
                st = sl_error_set(err, SL_ERR_VALIDATION,
                                  "Invalid data type for metadata column '%s' of table '%s'. The column cannot be declared as '%s' "
                                  "because the type must be castable to metadata type 'TIMESTAMP_LTZ(3)'.",
                                  w->field_names[i], s->table, sl_strbuf_cstr(&tsb));
            s->ts_field = i;
            s->ts_wall = t->id == SQL_T_TIMESTAMP;
        } else if (strcmp(key, "headers") == 0) {
            bool str_key = t->id == SQL_T_MAP && t->elem && (t->elem->id == SQL_T_VARCHAR || t->elem->id == SQL_T_CHAR);
            bool byte_val = t->id == SQL_T_MAP && t->value && sl_phys_of(t->value) == SL_PHYS_BYTES && t->value->id != SQL_T_MAP;
            if (!str_key || !byte_val || sl_phys_of(t) != SL_PHYS_BYTES)
                st = sl_error_set(err, SL_ERR_VALIDATION,
                                  "Invalid data type for metadata column '%s' of table '%s'. The column cannot be declared as '%s' "
                                  "because the type must be castable to metadata type 'MAP<STRING, BYTES>'.",
                                  w->field_names[i], s->table, sl_strbuf_cstr(&tsb));
            s->hdr_field = i;
        } else {
            st = sl_error_set(err, SL_ERR_VALIDATION,
                              "Invalid metadata key '%s' in column '%s' of table '%s'. The DynamicTableSink class 'KafkaDynamicSink' "
                              "supports the following metadata keys for writing: headers, timestamp",
                              key, w->field_names[i], s->table);
            sl_error_hint(err, "declare the column VIRTUAL to read it only, or remove it from the sink table");
        }
        sl_strbuf_free(&tsb);
        if (st) return st;
    }
    if (np != a->physical->nfields)
        return sl_error_set(err, SL_ERR_INTERNAL, "table '%s': %d physical columns written, %d expected", s->table, np, a->physical->nfields);
    int *ki = sl_arena_zalloc(s->a, sizeof(int) * (size_t)(s->lay.key_type ? s->lay.key_type->nfields + 1 : 1));
    for (int k = 0; s->lay.key_type && k < s->lay.key_type->nfields; k++) ki[k] = pos[s->lay.key_idx[k]];
    int *vi = sl_arena_zalloc(s->a, sizeof(int) * (size_t)(s->lay.value_type->nfields + 1));
    for (int k = 0; k < s->lay.value_type->nfields; k++) vi[k] = pos[s->lay.value_idx[k]];
    s->key_idx = ki;
    s->value_idx = vi;
    return SL_OK;
}

sl_status kafka_sink_create(const sl_conn_args *args, sl_operator **out, sl_error *err)
{
    kafka_sink *s = sl_xcalloc(1, sizeof *s);
    sl_operator tmp = {.impl = s};
    s->a = sl_arena_create(0);
    sl_conn_args up = *args;
    const sl_conn_args *a = &up;
    if (kafka_resolve_args(args, s->a, &up, &s->upsert, err)) {
        sink_close(&tmp);
        return err->code;
    }
    s->table = sl_arena_strdup(s->a, a->table ? a->table : "?");
    s->subtask = a->subtask;
    s->parallelism = a->parallelism > 0 ? a->parallelism : 1;
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
    const char *g = sl_kv_get(o, n, "sink.delivery-guarantee");
    if (!g) g = sl_kv_get(o, n, "sink.semantic");
    s->eos = g && strcasecmp(g, "exactly-once") == 0;
    s->none = g && strcasecmp(g, "none") == 0;
    if (s->upsert) { /* validated: both greater than zero, or buffering is off */
        const char *mr = sl_kv_get(o, n, "sink.buffer-flush.max-rows"), *iv = sl_kv_get(o, n, "sink.buffer-flush.interval");
        int64_t ms = 0;
        if (mr && iv && sl_parse_duration_ms(iv, &ms, NULL, 0) && ms > 0) {
            s->buf_rows = strtoll(mr, NULL, 10);
            s->buf_interval_ms = ms;
        }
    }
    s->nopts = n;
    s->opts = sl_arena_zalloc(s->a, sizeof(sl_kv) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) s->opts[i] = (sl_kv){sl_arena_strdup(s->a, o[i].key), sl_arena_strdup(s->a, o[i].value)};
    if (s->eos) {
        s->prefix = sl_arena_strdup(s->a, sl_kv_get(o, n, "sink.transactional-id-prefix"));
        snprintf(s->txn_id, sizeof s->txn_id, "%s-%d", s->prefix ? s->prefix : "sluice", a->subtask);
        snprintf(s->marker_group, sizeof s->marker_group, "%s-marker", s->txn_id);
    }
    int32_t ltz = a->job ? a->job->ltz_offset : 0;
    s->ltz = ltz;
    sl_status st = kafka_layout_build(o, n, a->physical, s->a, &s->lay, &bad, err);
    if (!st) st = sink_metadata(s, a, err);
    if (!st) st = sl_sink_conv_init(&s->conv, a->input, a->written ? a->written : a->row, ltz, err);
    if (!st) st = sl_format_create(s->lay.value_format, s->lay.value_type, s->lay.value_opts, s->lay.nvalue_opts, ltz, &s->vfmt, &bad, err);
    if (!st && s->lay.key_format)
        st = sl_format_create(s->lay.key_format, s->lay.key_type, s->lay.key_opts, s->lay.nkey_opts, ltz, &s->kfmt, &bad, err);
    if (st) {
        sink_close(&tmp);
        return st;
    }
    if (s->eos) { /* a transactional producer, and a consumer of the marker group */
        st = eos_client(s, &s->c, false, s->txn_id, false, err);
        if (!st) st = eos_client(s, &s->mc, true, s->marker_group, false, err);
    } else {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        kafka_client_opts co;
        st = kafka_apply_properties(o, n, false, conf, &co, NULL, &bad, err);
        char buf[256];
        if (!st && !co.partitioner) st = kafka_conf_set(conf, "partitioner", "murmur2_random", err); /* Kafka's Java client */
        if (!st && !co.client_id) {
            snprintf(buf, sizeof buf, "%s-%d", co.client_id_prefix ? co.client_id_prefix : "sluice-producer", a->subtask);
            st = kafka_conf_set(conf, "client.id", buf, err);
        }
        if (st) rd_kafka_conf_destroy(conf);
        else {
            rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
            st = kafka_client_new(&s->c, RD_KAFKA_PRODUCER, conf, err);
        }
    }
    if (st) {
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
