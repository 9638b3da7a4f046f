/* connectors/kafka/kafka_source.c — the Kafka table source.
 *
 * Each source subtask is one librdkafka consumer. When the operator is built, the cluster's
 * metadata is read (a missing topic or an unreachable cluster fails the job before it runs) and
 * the subtask takes the partitions of the topics it owns: part_owner(), Flink's function of the
 * topic and partition only, so every subtask agrees on the owner of a partition whenever it
 * finds it. The subtask assigns its partitions with rd_kafka_assign (no group rebalancing; the
 * group id only names where offsets are committed) at the offsets scan.startup.mode asks for, and
 * reads them until the offsets scan.bounded.mode sets (bounded) or forever. The next offset of
 * every partition is kept in the operator (snapshot/restore hooks).
 *
 * Partition discovery (unbounded sources, every scan.topic-partition-discovery.interval): the
 * subtask lists the partitions of its topics (or of the topics topic-pattern matches) again and
 * adds the new ones it owns to its assignment (rd_kafka_incremental_assign) at the earliest
 * offset, as Flink does; from then on they are in its snapshots. The metadata request runs on a
 * helper thread (its answer can wait behind a fetch long-poll, fetch.wait.max.ms, on the same
 * connection), so the poll loop only takes a finished listing. A failed listing is one warning
 * and is retried at the next interval; it never fails the job.
 *
 * Each message value (and key, with key.format) is decoded by the format; the connector row is
 * the table's physical columns and METADATA columns in table order. A malformed record fails the
 * job with its topic, partition and offset, or is skipped and counted with ignore-parse-errors.
 * A null value (tombstone) carries no row. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/units.h"
#include "connectors/conn_util.h"
#include "connectors/kafka/kafka_int.h"
#include "runtime/ops.h"
#include "runtime/task.h"

enum { META_TOPIC, META_PARTITION, META_OFFSET, META_TIMESTAMP, META_TIMESTAMP_TYPE, META_HEADERS, META_LEADER_EPOCH, NMETA };
static const char *const meta_keys[NMETA] = {"topic", "partition", "offset", "timestamp", "timestamp-type", "headers", "leader-epoch"};

typedef struct kpart {
    const char *topic;
    int32_t partition;
    int64_t start;    /* offset to start at (or a logical RD_KAFKA_OFFSET_*) */
    int64_t next;     /* next offset to read: after the last record read; -1 before the first */
    int64_t stop;     /* bounded: the first offset not to read; INT64_MAX when unbounded */
    bool done;
    bool restored;
    /* per-partition watermark: the largest WATERMARK value of its rows, idleness */
    int64_t wm;          /* INT64_MIN: no row yet */
    uint64_t seen;       /* rows since the last periodic call */
    int64_t last_active_ms;
    bool idle;
} kpart;

typedef struct ktopic { /* an index: topic -> partition -> index in parts (rebuilt when parts grow) */
    const char *name;
    const rd_kafka_topic_t *seen; /* the handle messages of this topic carry */
    int nslots;
    int *slot;                    /* partition -> index in parts, or -1 */
} ktopic;

enum { SRC_VALUE, SRC_KEY, SRC_META };

typedef struct field_src {
    int src;        /* SRC_* */
    int idx;        /* index in the value / key row, or META_* */
    sl_phys phys;
    const sql_type *type;
} field_src;

/* Checkpoints whose offsets are remembered until they complete (older ones are dropped). */
#define KS_MAX_SNAPS 16

typedef struct kafka_source {
    kafka_client c;
    sl_arena *a;
    const char *table;
    int subtask;
    kafka_mode startup, bounded;
    int64_t startup_ts, bounded_ts;
    kafka_part_offset *start_offsets, *stop_offsets;
    int nstart_offsets, nstop_offsets;
    kpart *parts;           /* heap; grows with partition discovery (an index into it stays valid) */
    int nparts, nactive, partcap;
    ktopic *topics;         /* heap, as their slots */
    int ntopics;
    int parallelism;
    /* what the source reads: 'topic' (names, and handles so that a metadata request asks for
     * them only) or 'topic-pattern' (re) */
    char **names;
    int nnames;
    rd_kafka_topic_t **rkts;
    regex_t re;
    bool use_re;
    /* partition discovery: 0 = off. The helper thread lists the metadata every discovery_ms
     * and leaves the result in disc_md / disc_err (under disc_lock) for the poll loop. */
    int64_t discovery_ms;
    int disc_timeout_ms;    /* fetch.wait.max.ms + KAFKA_DISCOVERY_TIMEOUT_MS */
    bool discovery_warned;  /* the current run of failed listings has been reported */
    int64_t discovery_warned_ms;
    bool disc_started, disc_stop, disc_ready;
    pthread_t disc_thread;
    pthread_mutex_t disc_lock;
    pthread_cond_t disc_cond;
    const struct rd_kafka_metadata *disc_md;
    rd_kafka_resp_err_t disc_err;
    kafka_layout lay;
    sl_format *vfmt, *kfmt;
    bool fast;              /* the value row is the connector row */
    int nrow;
    field_src *map;
    sl_row_writer w;
    sl_map_builder mb;      /* the headers metadata (reused: no allocation per record) */
    uint8_t *keyrow;        /* the decoded key row of the current message (a copy) */
    size_t keycap;
    bool has_key;
    int32_t ltz_offset;
    rd_kafka_queue_t *q;
    rd_kafka_message_t **msgs;
    int batch;
    char ignore_key[96];
    bool idle_sent;
    bool assigned;
    bool commit;            /* commit offsets for the user's group (properties.group.id, commit.offsets.on.checkpoint) */
    bool opened;
    bool checkpointing;     /* execution.checkpointing.interval is set, or a checkpoint came */
    bool from_state;        /* restored from a checkpoint's Kafka source state */
    const char *group;
    /* the offsets of the checkpoints taken and not known complete yet (committed to the group on
     * notify_complete), oldest first */
    struct ks_snap {
        int64_t id;
        int64_t *next;      /* per partition: next offset, or -1 */
        int n;              /* partitions then (discovery may have added some since) */
    } snaps[KS_MAX_SNAPS];
    int nsnaps;
    /* upsert-kafka */
    bool upsert;
    kafka_kmap up;          /* the last row emitted per (partition index, decoded key): to emit +I /
                             * -U +U / -D (what Flink's ChangelogNormalize makes of an upsert
                             * stream; Sluice's planner has no such step) */
    kafka_kentry **up_slot; /* the current message's key: its slot in up */
    uint64_t up_hash;
    /* watermarks per partition (when the scan after the source has a WATERMARK) */
    bool wm_own;
    int64_t emitted_wm;
    int64_t idle_timeout_ms;
    bool out_idle;          /* the subtask said idle (every partition idle) */
    kpart *curp;            /* the partition of the message being decoded */
    /* the message being decoded */
    sl_operator *op;
    const rd_kafka_message_t *cur;
    sl_status st;
    sl_error *err;
} kafka_source;

/* ---- metadata columns ------------------------------------------------------------------------- */

static bool is_string(const sql_type *t) { return t->id == SQL_T_CHAR || t->id == SQL_T_VARCHAR; }

static bool meta_type_ok(int key, const sql_type *t)
{
    switch (key) {
    case META_TOPIC:
    case META_TIMESTAMP_TYPE: return is_string(t);
    case META_PARTITION:
    case META_LEADER_EPOCH: return t->id == SQL_T_INT || t->id == SQL_T_BIGINT || is_string(t);
    case META_OFFSET: return t->id == SQL_T_BIGINT || is_string(t);
    case META_TIMESTAMP: return t->id == SQL_T_TIMESTAMP_LTZ || t->id == SQL_T_TIMESTAMP;
    case META_HEADERS: /* MAP<STRING, BYTES>, or MAP<STRING, STRING> (the same bytes) */
        return t->id == SQL_T_MAP && t->elem && is_string(t->elem) && t->value &&
               (is_string(t->value) || t->value->id == SQL_T_VARBINARY || t->value->id == SQL_T_BINARY);
    default: return false;
    }
}

static void write_meta(kafka_source *s, int i, const field_src *f, const rd_kafka_message_t *m)
{
    char num[32];
    int64_t v = 0;
    switch (f->idx) {
    case META_TOPIC: {
        const char *t = rd_kafka_topic_name(m->rkt);
        sl_rw_bytes(&s->w, i, t, (uint32_t)strlen(t));
        return;
    }
    case META_TIMESTAMP_TYPE: {
        rd_kafka_timestamp_type_t tt;
        rd_kafka_message_timestamp(m, &tt);
        const char *name = tt == RD_KAFKA_TIMESTAMP_CREATE_TIME ? "CreateTime"
                           : tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? "LogAppendTime"
                                                                       : "NoTimestampType";
        sl_rw_bytes(&s->w, i, name, (uint32_t)strlen(name));
        return;
    }
    case META_TIMESTAMP: {
        rd_kafka_timestamp_type_t tt;
        int64_t ms = rd_kafka_message_timestamp(m, &tt);
        if (tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) return; /* NULL */
        int64_t micros = ms * 1000;
        if (f->type->id == SQL_T_TIMESTAMP) micros += (int64_t)s->ltz_offset * 1000000;
        sl_rw_i64(&s->w, i, micros);
        return;
    }
    case META_LEADER_EPOCH: return; /* librdkafka 2.0.2 does not expose it: NULL, as Flink's "if available" */
    case META_HEADERS: { /* a repeated header key keeps its last value, as Flink's map does */
        rd_kafka_headers_t *hs = NULL;
        sl_mb_begin(&s->mb, SL_PHYS_BYTES, SL_PHYS_BYTES);
        if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs) {
            const char *name;
            const void *val;
            size_t size;
            for (size_t k = 0; rd_kafka_header_get_all(hs, k, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; k++) {
                sl_map_elem ke = {.p = name, .n = (uint32_t)strlen(name)}, ve = {.null = val == NULL, .p = val, .n = (uint32_t)size};
                sl_mb_put(&s->mb, &ke, &ve);
            }
        }
        char *d = sl_rw_bytes_reserve(&s->w, i, sl_mb_size(&s->mb));
        sl_mb_write(&s->mb, d);
        return;
    }
    case META_PARTITION: v = m->partition; break;
    case META_OFFSET: v = m->offset; break;
    default: return;
    }
    if (is_string(f->type)) {
        int len = snprintf(num, sizeof num, "%" PRId64, v);
        sl_rw_bytes(&s->w, i, num, (uint32_t)len);
    } else {
        sl_rw_i64(&s->w, i, v);
    }
}

/* ---- emitting: per-partition watermarks ---------------------------------------------------------- */

/* Emits a row of the current message's partition; with watermarks of its own, the source takes
 * the row's watermark value from the scan (which evaluated the WATERMARK expression). */
static sl_status emit_row(kafka_source *s, const uint8_t *row, sl_error *err)
{
    if (s->out_idle) {
        s->out_idle = false;
        sl_op_emit_idle(s->op, false);
    }
    sl_status st = sl_op_emit(s->op, row, err);
    kpart *p = s->curp;
    if (st || !s->wm_own || !p) return st;
    p->seen++;
    int64_t ms;
    if (sl_scan_row_watermark(s->op->next, &ms) && ms > p->wm) p->wm = ms;
    return SL_OK;
}

/* Every pipeline.auto-watermark-interval: the watermark is the minimum over the partitions
 * that are neither finished nor idle (no record for table.exec.source.idle-timeout) of each
 * one's largest WATERMARK value; a partition without a record yet holds it back (as Flink's).
 * Every partition idle: the subtask is idle. */
static sl_status ks_periodic(sl_operator *op, int64_t now_ms, sl_error *err)
{
    kafka_source *s = op->impl;
    if (!s->wm_own || !s->assigned) return SL_OK;
    int64_t wm = INT64_MAX;
    int active = 0, open = 0;
    for (int i = 0; i < s->nparts; i++) {
        kpart *p = &s->parts[i];
        if (p->done) continue;
        open++;
        if (p->seen || !p->last_active_ms) {
            p->last_active_ms = now_ms;
            p->idle = false;
        }
        p->seen = 0;
        if (s->idle_timeout_ms > 0 && now_ms - p->last_active_ms >= s->idle_timeout_ms) p->idle = true;
        if (p->idle) continue;
        active++;
        if (p->wm < wm) wm = p->wm;
    }
    if (!open) return SL_OK; /* every partition finished: the end of input ends event time */
    if (!active) {
        if (!s->out_idle) {
            s->out_idle = true;
            sl_op_emit_idle(op, true);
        }
        return SL_OK;
    }
    if (s->out_idle) {
        s->out_idle = false;
        sl_op_emit_idle(op, false);
    }
    if (wm == INT64_MIN || wm <= s->emitted_wm) return SL_OK;
    s->emitted_wm = wm;
    return sl_op_emit_watermark(op, wm, err);
}

/* ---- upsert-kafka: the last row per key ----------------------------------------------------------- */

/* The current message's key (the decoded key row; none: the empty key) and its slot. */
static void up_locate(kafka_source *s)
{
    const uint8_t *key = s->has_key ? s->keyrow : (const uint8_t *)"";
    uint32_t klen = s->has_key ? sl_row_len(s->keyrow) : 0;
    int part = (int)(s->curp - s->parts);
    s->up_hash = kafka_kmap_hash(part, key, klen);
    s->up_slot = kafka_kmap_find(&s->up, part, key, klen, s->up_hash);
}

/* A value for the key: +I the first time, else -U (the previous row) and +U; an identical row
 * again emits nothing (as ChangelogNormalize without state TTL). */
static sl_status up_upsert(kafka_source *s, const uint8_t *row, sl_error *err)
{
    kafka_kentry *e = *s->up_slot;
    uint32_t rlen = sl_row_len(row);
    if (e && e->vlen == rlen && memcmp(e->data + 1, row + 1, rlen - 1) == 0) return SL_OK;
    sl_status st;
    if (e) {
        sl_row_set_kind(e->data, SL_ROW_UPDATE_BEFORE);
        if ((st = emit_row(s, e->data, err))) return st;
    }
    const uint8_t *key = s->has_key ? s->keyrow : (const uint8_t *)"";
    uint32_t klen = s->has_key ? sl_row_len(s->keyrow) : 0;
    kafka_kmap_store(&s->up, s->up_slot, (int)(s->curp - s->parts), s->up_hash, key, klen, row, rlen); /* may grow: slot invalid */
    s->up_slot = NULL;
    return emit_row(s, row, err);
}

/* A tombstone: -D with the key's last row; a key not seen is ignored (as ChangelogNormalize). */
static sl_status up_delete(kafka_source *s, sl_error *err)
{
    up_locate(s);
    kafka_kentry *e = *s->up_slot;
    if (!e) return SL_OK;
    sl_row_set_kind(e->data, SL_ROW_DELETE);
    sl_status st = emit_row(s, e->data, err);
    up_locate(s); /* emitting does not change the map, but stay safe */
    if (*s->up_slot) kafka_kmap_remove(&s->up, s->up_slot);
    return st;
}

/* ---- decoding ----------------------------------------------------------------------------------- */

static void on_key(void *ctx, const uint8_t *row)
{
    kafka_source *s = ctx;
    uint32_t len = sl_row_len(row);
    if (len > s->keycap) {
        free(s->keyrow);
        s->keycap = len * 2u;
        s->keyrow = sl_xmalloc(s->keycap);
    }
    memcpy(s->keyrow, row, len);
    s->has_key = true;
}

static void on_value(void *ctx, const uint8_t *row)
{
    kafka_source *s = ctx;
    if (s->st) return;
    if (s->fast) {
        s->st = emit_row(s, row, s->err);
        return;
    }
    sl_row_kind kind = sl_row_get_kind(row);
    if (s->upsert) {
        up_locate(s);
        kind = *s->up_slot ? SL_ROW_UPDATE_AFTER : SL_ROW_INSERT;
    }
    sl_rw_begin(&s->w, s->nrow, kind);
    for (int i = 0; i < s->nrow; i++) {
        const field_src *f = &s->map[i];
        if (f->src == SRC_VALUE) {
            if (!sl_row_is_null(row, f->idx)) sl_rw_copy(&s->w, i, row, f->idx, f->phys);
        } else if (f->src == SRC_KEY) {
            if (s->has_key && !sl_row_is_null(s->keyrow, f->idx)) sl_rw_copy(&s->w, i, s->keyrow, f->idx, f->phys);
        } else {
            write_meta(s, i, f, s->cur);
        }
    }
    const uint8_t *out = sl_rw_finish(&s->w);
    s->st = s->upsert ? up_upsert(s, out, s->err) : emit_row(s, out, s->err);
}

static sl_status decode(kafka_source *s, sl_operator *op, const rd_kafka_message_t *m, sl_error *err)
{
    s->op = op;
    s->cur = m;
    s->st = SL_OK;
    s->err = err;
    s->has_key = false;
    uint64_t skipped = 0;
    sl_status st = SL_OK;
    bool in_key = false;
    if (s->kfmt && m->key) {
        in_key = true;
        st = sl_format_decode(s->kfmt, m->key, m->key_len, on_key, s, &skipped, err);
    }
    if (!st && m->payload) { /* a null value (tombstone) is no row for an insert-only table */
        in_key = false;
        st = sl_format_decode(s->vfmt, m->payload, m->len, on_value, s, &skipped, err);
    } else if (!st && s->upsert) { /* ... and a delete for an upsert table */
        st = up_delete(s, err);
    }
    if (skipped) sl_task_count_dropped(op->task, skipped);
    if (st == SL_ERR_INVALID) {
        char reason[SL_ERROR_AUX_MAX];
        snprintf(reason, sizeof reason, "%s", err->detail);
        sl_error_detail(err, "topic '%s', partition %" PRId32 ", offset %" PRId64 "%s%s%s", rd_kafka_topic_name(m->rkt), m->partition,
                        m->offset, in_key ? " (message key)" : "", reason[0] ? ": " : "", reason);
        if (s->ignore_key[0]) sl_error_hint(err, "set '%s' = 'true' to skip malformed records", s->ignore_key);
        return st;
    }
    return st ? st : s->st;
}

/* ---- partitions ---------------------------------------------------------------------------------- */

static kpart *find_part(kafka_source *s, const rd_kafka_message_t *m)
{
    for (int t = 0; t < s->ntopics; t++) {
        ktopic *kt = &s->topics[t];
        if (kt->seen != m->rkt) {
            if (strcmp(kt->name, rd_kafka_topic_name(m->rkt)) != 0) continue;
            kt->seen = m->rkt;
        }
        if (m->partition < 0 || m->partition >= kt->nslots || kt->slot[m->partition] < 0) return NULL;
        return &s->parts[kt->slot[m->partition]];
    }
    return NULL;
}

static void part_done(kafka_source *s, kpart *p)
{
    if (p->done) return;
    p->done = true;
    s->nactive--;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
    rd_kafka_pause_partitions(s->c.rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

static int cmp_part(const void *a, const void *b)
{
    const kpart *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The subtask that reads a partition: Flink's KafkaSourceEnumerator.getSplitOwner,
 * (((topic.hashCode() * 31) & 0x7FFFFFFF) % parallelism + partition) % parallelism. It depends on
 * the topic and partition only, so a partition found later (discovery) goes to the same subtask
 * whichever subtask lists it and whenever; a topic's partitions are spread evenly, starting at
 * the subtask its name chooses. Java's String.hashCode over UTF-16 units: topic names are ASCII. */
static int part_owner(const char *topic, int32_t partition, int parallelism)
{
    if (parallelism <= 1) return 0;
    uint32_t h = 0;
    for (const unsigned char *c = (const unsigned char *)topic; *c; c++) h = h * 31u + *c;
    int start = (int)(((h * 31u) & 0x7FFFFFFFu) % (uint32_t)parallelism);
    return (int)(((int64_t)start + partition) % parallelism);
}

/* Rebuilds the topic -> partition -> index map of parts. */
static void index_parts(kafka_source *s)
{
    for (int t = 0; t < s->ntopics; t++) free(s->topics[t].slot);
    free(s->topics);
    s->topics = sl_xcalloc((size_t)(s->nparts ? s->nparts : 1), sizeof(ktopic));
    s->ntopics = 0;
    for (int i = 0; i < s->nparts; i++) {
        ktopic *kt = NULL;
        for (int t = 0; t < s->ntopics && !kt; t++)
            if (strcmp(s->topics[t].name, s->parts[i].topic) == 0) kt = &s->topics[t];
        if (!kt) {
            kt = &s->topics[s->ntopics++];
            kt->name = s->parts[i].topic;
        }
        if (s->parts[i].partition >= kt->nslots) kt->nslots = s->parts[i].partition + 1;
    }
    for (int t = 0; t < s->ntopics; t++) {
        ktopic *kt = &s->topics[t];
        kt->slot = sl_xmalloc(sizeof(int) * (size_t)(kt->nslots ? kt->nslots : 1));
        for (int k = 0; k < kt->nslots; k++) kt->slot[k] = -1;
    }
    for (int i = 0; i < s->nparts; i++)
        for (int t = 0; t < s->ntopics; t++)
            if (strcmp(s->parts[i].topic, s->topics[t].name) == 0) {
                s->topics[t].slot[s->parts[i].partition] = i;
                break;
            }
}

static bool have_part(const kafka_source *s, const char *topic, int32_t partition)
{
    for (int t = 0; t < s->ntopics; t++)
        if (strcmp(s->topics[t].name, topic) == 0) return partition >= 0 && partition < s->topics[t].nslots && s->topics[t].slot[partition] >= 0;
    return false;
}

static void add_part(kafka_source *s, const char *topic, int32_t partition)
{
    if (s->nparts == s->partcap) {
        s->partcap = s->partcap ? s->partcap * 2 : 16;
        s->parts = sl_xrealloc(s->parts, sizeof(kpart) * (size_t)s->partcap);
    }
    s->parts[s->nparts++] = (kpart){.topic = sl_arena_strdup(s->a, topic),
                                    .partition = partition,
                                    .start = RD_KAFKA_OFFSET_BEGINNING,
                                    .next = -1,
                                    .stop = INT64_MAX,
                                    .wm = INT64_MIN};
}

static void add_topic_parts(kafka_source *s, const struct rd_kafka_metadata_topic *mt)
{
    for (int p = 0; p < mt->partition_cnt; p++) {
        int32_t id = mt->partitions[p].id;
        if (part_owner(mt->topic, id, s->parallelism) == s->subtask && !have_part(s, mt->topic, id)) add_part(s, mt->topic, id);
    }
}

/* Appends the partitions of the table's topics in md that this subtask owns and has not got
 * yet (unsorted; the index is not updated). strict (when the job starts): a listed topic that
 * does not exist or whose metadata has an error fails; otherwise such a topic is skipped (it
 * is listed again at the next discovery). */
static sl_status take_partitions(kafka_source *s, const struct rd_kafka_metadata *md, bool strict, sl_error *err)
{
    for (int k = 0; k < s->nnames; k++) {
        const struct rd_kafka_metadata_topic *mt = NULL;
        for (int t = 0; t < md->topic_cnt && !mt; t++)
            if (strcmp(md->topics[t].topic, s->names[k]) == 0) mt = &md->topics[t];
        if (!mt || mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || mt->partition_cnt == 0) {
            if (!strict) continue;
            sl_error_set(err, SL_ERR_NOT_FOUND, "Topic '%s' of table '%s' does not exist in the Kafka cluster at '%s' (option 'topic').",
                         s->names[k], s->table, s->c.servers);
            sl_error_hint(err, "create the topic first (e.g. 'sluice kafka-dev --topic %s:4', or kafka-topics.sh --create), or fix 'topic'",
                          s->names[k]);
            return SL_ERR_NOT_FOUND;
        }
        if (mt->err) {
            if (!strict) continue;
            return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot read the metadata of topic '%s': %s", s->table, s->names[k],
                                rd_kafka_err2str(mt->err));
        }
        add_topic_parts(s, mt);
    }
    if (s->use_re)
        for (int t = 0; t < md->topic_cnt; t++) {
            const struct rd_kafka_metadata_topic *mt = &md->topics[t];
            if (mt->err || regexec(&s->re, mt->topic, 0, NULL, 0) != 0) continue;
            add_topic_parts(s, mt);
        }
    return SL_OK;
}

/* A failed discovery: one warning for a run of failures (and at most one a minute). */
static void discovery_warn(kafka_source *s, const char *what)
{
    int64_t now = kafka_now_ms();
    if (s->discovery_warned || (s->discovery_warned_ms && now - s->discovery_warned_ms < 60000)) return;
    s->discovery_warned = true;
    s->discovery_warned_ms = now;
    s->c.last_warned_ms = 0; /* not swallowed by the rate limit of the client's other warnings */
    char every[32];
    sl_format_duration(s->discovery_ms, every, sizeof every);
    kafka_client_warn(&s->c, "partition discovery failed: %s (retrying every %s; the partitions found so far are read)", what, every);
}

/* The helper thread: every discovery_ms, the metadata of the topics ('topic': only those, the
 * consumer knows them: rkts; 'topic-pattern': all). rd_kafka_metadata is thread-safe. */
static void *discovery_main(void *arg)
{
    kafka_source *s = arg;
    pthread_mutex_lock(&s->disc_lock);
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(s->discovery_ms / 1000);
        until.tv_nsec += (long)(s->discovery_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!s->disc_stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&s->disc_cond, &s->disc_lock, &until);
        if (s->disc_stop) break;
        pthread_mutex_unlock(&s->disc_lock);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(s->c.rk, s->use_re ? 1 : 0, NULL, &md, s->disc_timeout_ms);
        pthread_mutex_lock(&s->disc_lock);
        if (s->disc_md) rd_kafka_metadata_destroy(s->disc_md); /* not taken yet: the newer one replaces it */
        s->disc_md = e ? NULL : md;
        s->disc_err = e;
        s->disc_ready = true;
        if (s->disc_stop) break;
    }
    pthread_mutex_unlock(&s->disc_lock);
    return NULL;
}

static void discovery_start(kafka_source *s)
{
    s->disc_started = true; /* also when the thread cannot start: tried once */
    pthread_mutex_init(&s->disc_lock, NULL);
    pthread_cond_init(&s->disc_cond, NULL);
    int e = pthread_create(&s->disc_thread, NULL, discovery_main, s);
    if (e) {
        pthread_cond_destroy(&s->disc_cond);
        pthread_mutex_destroy(&s->disc_lock);
        s->discovery_ms = 0;
        s->c.last_warned_ms = 0;
        kafka_client_warn(&s->c, "partition discovery is off: cannot start its thread: %s", strerror(e));
    }
}

static void discovery_stop(kafka_source *s)
{
    if (!s->disc_started || !s->discovery_ms) return;
    pthread_mutex_lock(&s->disc_lock);
    s->disc_stop = true;
    pthread_cond_signal(&s->disc_cond);
    pthread_mutex_unlock(&s->disc_lock);
    pthread_join(s->disc_thread, NULL);
    if (s->disc_md) rd_kafka_metadata_destroy(s->disc_md);
    s->disc_md = NULL;
    pthread_cond_destroy(&s->disc_cond);
    pthread_mutex_destroy(&s->disc_lock);
    s->disc_started = false;
}

/* Partition discovery, on the poll loop: takes the helper thread's newest listing, if any, and
 * starts reading the new partitions this subtask owns from the earliest offset. Never fails the
 * job: a failure is a warning (once until a listing succeeds again); the next interval retries. */
static void discover(kafka_source *s)
{
    if (!s->disc_started) discovery_start(s);
    if (!s->discovery_ms) return;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    bool ready = false;
    if (pthread_mutex_trylock(&s->disc_lock) != 0) return; /* the thread is storing a listing: next poll */
    if (s->disc_ready) {
        ready = true;
        md = s->disc_md;
        e = s->disc_err;
        s->disc_md = NULL;
        s->disc_ready = false;
    }
    pthread_mutex_unlock(&s->disc_lock);
    if (!ready) return;
    if (e || !md) {
        discovery_warn(s, rd_kafka_err2str(e));
        return;
    }
    s->discovery_warned = false;
    int before = s->nparts;
    (void)take_partitions(s, md, false, NULL);
    rd_kafka_metadata_destroy(md);
    int added = s->nparts - before;
    if (!added) return;
    qsort(s->parts + before, (size_t)added, sizeof(kpart), cmp_part);
    index_parts(s);
    if (!s->assigned) return; /* the first assignment (ks_assign) takes them */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(added);
    for (int i = before; i < s->nparts; i++) rd_kafka_topic_partition_list_add(l, s->parts[i].topic, s->parts[i].partition)->offset = s->parts[i].start;
    rd_kafka_error_t *ae = rd_kafka_incremental_assign(s->c.rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (ae) { /* forget them: the next discovery finds them again */
        char what[512];
        snprintf(what, sizeof what, "cannot assign %d new partition%s: %s", added, added == 1 ? "" : "s", rd_kafka_error_string(ae));
        rd_kafka_error_destroy(ae);
        s->nparts = before;
        index_parts(s);
        discovery_warn(s, what);
        return;
    }
    s->nactive += added;
}

static int64_t specific(const kafka_part_offset *po, int n, int32_t partition, int64_t dflt)
{
    for (int i = 0; i < n; i++)
        if (po[i].partition == partition) return po[i].offset;
    return dflt;
}

/* Offsets for a timestamp (or -1: the latest offset) of every partition in l (in place). */
static sl_status offsets_for_times(kafka_source *s, rd_kafka_topic_partition_list_t *l, const char *what, sl_error *err)
{
    if (!l->cnt) return SL_OK;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(s->c.rk, l, KAFKA_REQUEST_TIMEOUT_MS);
    for (int i = 0; !e && i < l->cnt; i++)
        if (l->elems[i].err) {
            return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot look up the %s of topic '%s', partition %" PRId32 ": %s", s->table,
                                what, l->elems[i].topic, l->elems[i].partition, rd_kafka_err2str(l->elems[i].err));
        }
    if (e) return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot look up the %s: %s", s->table, what, rd_kafka_err2str(e));
    return SL_OK;
}

/* Start offsets from scan.startup.mode, stop offsets from scan.bounded.mode, then assign. */
static sl_status ks_open(sl_operator *op, sl_error *err)
{
    kafka_source *s = op->impl;
    if (s->opened) return SL_OK;
    sl_status st = SL_OK;
    s->op = op;
    /* watermarks per partition, when the table has a WATERMARK (the scan after us evaluates it) */
    s->wm_own = sl_scan_take_over_watermarks(op->next);
    s->emitted_wm = INT64_MIN;
    s->idle_timeout_ms = sl_task_job(op->task) ? sl_task_job(op->task)->idle_timeout_ms : 0;
    for (int i = 0; i < s->nparts; i++) s->parts[i].wm = INT64_MIN;
    s->checkpointing = sl_task_job(op->task) && sl_task_job(op->task)->checkpoint_interval_ms > 0;
    if (!s->nparts) { /* partitions found later (discovery) start at the earliest offset */
        s->opened = true;
        return SL_OK;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    /* stop offsets */
    if (s->bounded != KAFKA_MODE_UNBOUNDED) {
        rd_kafka_topic_partition_list_t *latest = rd_kafka_topic_partition_list_new(s->nparts);
        for (int i = 0; i < s->nparts; i++) {
            kpart *p = &s->parts[i];
            int64_t v = -1; /* latest */
            if (s->bounded == KAFKA_MODE_TIMESTAMP) v = s->bounded_ts;
            else if (s->bounded == KAFKA_MODE_SPECIFIC) v = specific(s->stop_offsets, s->nstop_offsets, p->partition, -1);
            if (s->bounded == KAFKA_MODE_SPECIFIC && v >= 0) p->stop = v;
            else if (s->bounded != KAFKA_MODE_GROUP) rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = v;
        }
        if (s->bounded == KAFKA_MODE_GROUP) {
            for (int i = 0; i < s->nparts; i++) rd_kafka_topic_partition_list_add(l, s->parts[i].topic, s->parts[i].partition);
            rd_kafka_resp_err_t e = rd_kafka_committed(s->c.rk, l, KAFKA_REQUEST_TIMEOUT_MS);
            if (e) st = sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot read the committed offsets of group '%s': %s", s->table, s->group,
                                     rd_kafka_err2str(e));
            for (int i = 0; !st && i < l->cnt; i++) {
                if (l->elems[i].offset < 0) {
                    st = sl_error_set(err, SL_ERR_KAFKA,
                                      "table '%s': group '%s' has no committed offset for topic '%s', partition %" PRId32
                                      " ('scan.bounded.mode' = 'group-offsets')",
                                      s->table, s->group, l->elems[i].topic, l->elems[i].partition);
                    break;
                }
                s->parts[i].stop = l->elems[i].offset;
            }
        } else if (!(st = offsets_for_times(s, l, "end offsets ('scan.bounded.mode')", err))) {
            /* a timestamp after the last record: read to the latest offset */
            for (int i = 0; i < l->cnt; i++)
                if (l->elems[i].offset < 0) rd_kafka_topic_partition_list_add(latest, l->elems[i].topic, l->elems[i].partition)->offset = -1;
            st = offsets_for_times(s, latest, "latest offsets", err);
            for (int i = 0; !st && i < s->nparts; i++) {
                kpart *p = &s->parts[i];
                rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(l, p->topic, p->partition);
                if (e && e->offset >= 0) p->stop = e->offset;
                else if ((e = rd_kafka_topic_partition_list_find(latest, p->topic, p->partition))) p->stop = e->offset;
            }
        }
        rd_kafka_topic_partition_list_destroy(latest);
        rd_kafka_topic_partition_list_destroy(l);
        l = rd_kafka_topic_partition_list_new(s->nparts);
    }
    /* start offsets */
    if (!st) {
        for (int i = 0; i < s->nparts; i++) {
            kpart *p = &s->parts[i];
            if (p->restored || s->from_state) continue; /* restore set the start (whichever runs first) */
            switch (s->startup) {
            case KAFKA_MODE_EARLIEST: p->start = RD_KAFKA_OFFSET_BEGINNING; break;
            case KAFKA_MODE_LATEST: p->start = RD_KAFKA_OFFSET_END; break;
            case KAFKA_MODE_GROUP: p->start = RD_KAFKA_OFFSET_STORED; break;
            case KAFKA_MODE_SPECIFIC: p->start = specific(s->start_offsets, s->nstart_offsets, p->partition, RD_KAFKA_OFFSET_STORED); break;
            case KAFKA_MODE_TIMESTAMP:
                p->start = RD_KAFKA_OFFSET_END;
                rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = s->startup_ts;
                break;
            default: break;
            }
        }
        if (s->startup == KAFKA_MODE_TIMESTAMP && !(st = offsets_for_times(s, l, "start offsets ('scan.startup.timestamp-millis')", err)))
            for (int i = 0; i < l->cnt; i++) {
                kpart *p = NULL;
                for (int k = 0; k < s->nparts && !p; k++)
                    if (s->parts[k].partition == l->elems[i].partition && strcmp(s->parts[k].topic, l->elems[i].topic) == 0)
                        p = &s->parts[k];
                if (p && !p->restored && l->elems[i].offset >= 0) p->start = l->elems[i].offset;
            }
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (st) return st;
    s->opened = true;
    return SL_OK;
}

/* Assigns what is left to read, at the offsets restore set or the start offsets open chose
 * (called before the first poll: restore comes after open). */
static sl_status ks_assign(kafka_source *s, sl_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    s->nactive = 0;
    for (int i = 0; i < s->nparts; i++) {
        kpart *p = &s->parts[i];
        if (p->stop <= 0 || (p->start >= 0 && p->start >= p->stop)) {
            p->done = true;
            if (p->start >= 0) p->next = p->start;
            continue;
        }
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->start;
        s->nactive++;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(s->c.rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot assign partitions: %s", s->table, rd_kafka_err2str(e));
    s->assigned = true;
    return SL_OK;
}

static sl_status consumer_error(kafka_source *s, const rd_kafka_message_t *m, sl_error *err)
{
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
    char where[400] = "";
    if (topic) snprintf(where, sizeof where, " (topic '%s', partition %" PRId32 ")", topic, m->partition);
    switch (m->err) {
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        sl_error_set(err, SL_ERR_KAFKA, "table '%s': no valid offset to start from%s: %s", s->table, where, rd_kafka_message_errstr(m));
        sl_error_hint(err, "the group '%s' has no committed offset there (or it is out of range): set 'properties.auto.offset.reset' "
                           "= 'earliest' or 'latest', or another 'scan.startup.mode'",
                      s->group);
        return SL_ERR_KAFKA;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
        return sl_error_set(err, SL_ERR_KAFKA, "table '%s': Kafka error%s: %s", s->table, where, rd_kafka_message_errstr(m));
    default:
        kafka_client_warn(&s->c, "Kafka: %s%s (retrying)", rd_kafka_message_errstr(m), where);
        return SL_OK;
    }
}

static sl_status handle(kafka_source *s, sl_operator *op, const rd_kafka_message_t *m, sl_error *err)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) return consumer_error(s, m, err);
        kpart *p = find_part(s, m);
        if (p && !p->done) {
            if (m->offset > p->next) p->next = m->offset;
            if (p->next >= p->stop) part_done(s, p);
        }
        return SL_OK;
    }
    kpart *p = find_part(s, m);
    if (!p || p->done) return SL_OK;
    if (m->offset >= p->stop) {
        part_done(s, p);
        return SL_OK;
    }
    p->next = m->offset + 1;
    s->curp = p;
    sl_status st = decode(s, op, m, err);
    s->curp = NULL;
    if (st) return st;
    if (p->next >= p->stop) part_done(s, p);
    return SL_OK;
}

static sl_status ks_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    kafka_source *s = op->impl;
    if (sl_task_stop_requested(op->task)) {
        *state = SL_SOURCE_END;
        return SL_OK;
    }
    bool bounded = s->bounded != KAFKA_MODE_UNBOUNDED;
    if (s->discovery_ms > 0) discover(s);
    if (!s->nparts) {
        if (bounded) {
            *state = SL_SOURCE_END;
            return SL_OK;
        }
        if (!s->idle_sent) { /* no partition: never holds the watermark back */
            sl_op_emit_idle(op, true);
            s->idle_sent = true;
            s->out_idle = true; /* until a discovered partition delivers a row */
        }
        sl_status pst = kafka_client_poll(&s->c, 0, err);
        if (pst) return pst;
        *state = SL_SOURCE_IDLE;
        *wait_ms = 200;
        return SL_OK;
    }
    sl_status st;
    if (!s->assigned && (st = ks_assign(s, err))) return st;
    if (bounded && s->nactive == 0) {
        *state = SL_SOURCE_END;
        return SL_OK;
    }
    if ((st = kafka_client_poll(&s->c, 0, err))) return st;
    int want = max < s->batch ? max : s->batch;
    if (want < 1) want = 1;
    ssize_t n = rd_kafka_consume_batch_queue(s->q, 0, s->msgs, (size_t)want);
    if (n < 0) return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot consume: %s", s->table, rd_kafka_err2str(rd_kafka_last_error()));
    if (n == 0) {
        *state = SL_SOURCE_IDLE;
        *wait_ms = 5;
        return SL_OK;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (!st) st = handle(s, op, s->msgs[i], err);
        rd_kafka_message_destroy(s->msgs[i]);
    }
    if (st) return st;
    *state = bounded && s->nactive == 0 ? SL_SOURCE_END : SL_SOURCE_MORE;
    return SL_OK;
}

/* Commits offsets for the user's group (informational only, as in Flink: the job's position is
 * its checkpoint). A failure is a warning, never a job failure. */
static void commit_offsets(kafka_source *s, const int64_t *next, int n, bool async)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n ? n : 1);
    for (int i = 0; i < n; i++)
        if (next[i] >= 0) rd_kafka_topic_partition_list_add(l, s->parts[i].topic, s->parts[i].partition)->offset = next[i];
    if (l->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_commit(s->c.rk, l, async ? 1 : 0);
        if (e) kafka_client_warn(&s->c, "could not commit the offsets of group '%s': %s", s->group, rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* The result of an asynchronous commit (served by rd_kafka_poll on the operator's thread). */
static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    kafka_source *s = opaque; /* the client is the source's first member */
    (void)rk;
    (void)offsets;
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        kafka_client_warn(&s->c, "could not commit the offsets of group '%s' (informational only): %s", s->group, rd_kafka_err2str(e));
}

/* End of input (or a graceful stop) without checkpointing: the offsets reached are committed
 * for the user's group, so a next job with 'group-offsets' continues there. With checkpoints,
 * only completed checkpoints commit offsets (notify_complete), as in Flink. */
static sl_status ks_finish(sl_operator *op, sl_error *err)
{
    kafka_source *s = op->impl;
    (void)err;
    if (!s->commit || !s->assigned || s->checkpointing) return SL_OK;
    int64_t *next = sl_xmalloc(sizeof(int64_t) * (size_t)(s->nparts ? s->nparts : 1));
    for (int i = 0; i < s->nparts; i++) next[i] = s->parts[i].next;
    commit_offsets(s, next, s->nparts, false);
    free(next);
    return SL_OK;
}

/* upsert-kafka: the last row per key goes into the checkpoint as the file 'upsert-rows': per
 * entry a header (topic length, partition, key length, row length), the topic, the key, the row. */
typedef struct up_rec {
    uint32_t topic_len;
    int32_t partition;
    uint32_t klen, rlen;
} up_rec;

static sl_status up_save(kafka_source *s, const char *dir, sl_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/upsert-rows", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return sl_error_set(err, SL_ERR_IO, "table '%s': cannot create '%s': %s", s->table, path, strerror(errno));
    bool ok = true;
    for (size_t i = 0; ok && i < s->up.nb; i++)
        for (const kafka_kentry *e = s->up.b[i]; ok && e; e = e->next) {
            const kpart *p = &s->parts[e->part];
            up_rec h = {(uint32_t)strlen(p->topic), p->partition, e->klen, e->vlen};
            ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(p->topic, h.topic_len, 1, f) == 1 &&
                 (!e->klen || fwrite(kafka_kentry_key(e), e->klen, 1, f) == 1) && fwrite(e->data, e->vlen, 1, f) == 1;
        }
    if (fclose(f) != 0) ok = false;
    if (!ok) return sl_error_set(err, SL_ERR_IO, "table '%s': cannot write '%s': %s", s->table, path, strerror(errno));
    return SL_OK;
}

/* Takes the entries of this subtask's partitions from an old subtask's file. */
static sl_status up_load(kafka_source *s, const char *dir, sl_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/upsert-rows", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return SL_OK; /* that subtask had no upsert state */
    up_rec h;
    uint8_t *buf = NULL;
    size_t cap = 0;
    sl_status st = SL_OK;
    while (fread(&h, sizeof h, 1, f) == 1) {
        size_t need = (size_t)h.topic_len + h.klen + h.rlen + 1;
        if (h.topic_len > 4096 || h.rlen < SL_ROW_HEADER || need > ((size_t)1 << 31)) {
            st = sl_error_set(err, SL_ERR_STATE, "table '%s': malformed upsert-kafka state '%s'", s->table, path);
            break;
        }
        if (need > cap) {
            free(buf);
            cap = need * 2;
            buf = sl_xmalloc(cap);
        }
        if (fread(buf, need - 1, 1, f) != 1) {
            st = sl_error_set(err, SL_ERR_STATE, "table '%s': truncated upsert-kafka state '%s'", s->table, path);
            break;
        }
        buf[h.topic_len + h.klen + h.rlen] = 0;
        int part = -1;
        for (int k = 0; k < s->nparts && part < 0; k++)
            if (s->parts[k].partition == h.partition && strlen(s->parts[k].topic) == h.topic_len &&
                memcmp(s->parts[k].topic, buf, h.topic_len) == 0)
                part = k;
        if (part < 0) continue; /* another subtask's partition now */
        const uint8_t *key = buf + h.topic_len, *row = key + h.klen;
        if (sl_row_len(row) != h.rlen) {
            st = sl_error_set(err, SL_ERR_STATE, "table '%s': malformed upsert-kafka state '%s'", s->table, path);
            break;
        }
        uint64_t hash = kafka_kmap_hash(part, key, h.klen);
        kafka_kmap_store(&s->up, kafka_kmap_find(&s->up, part, key, h.klen, hash), part, hash, key, h.klen, row, h.rlen);
    }
    free(buf);
    fclose(f);
    return st;
}

/* The offsets of every partition: [{"topic": t, "partition": p, "offset": o[, "stop": x]}, ...]
 * (offset: the next to read, or the logical start offset when nothing was read yet; stop: a
 * bounded source's end, so a restarted job ends where the first run would have). */
static sl_status ks_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    kafka_source *s = op->impl;
    (void)err;
    s->checkpointing = true;
    json_t *a = json_array();
    for (int i = 0; i < s->nparts; i++) {
        const kpart *p = &s->parts[i];
        int64_t off = p->next >= 0 ? p->next : p->start;
        json_t *e = json_pack("{s:s, s:i, s:I}", "topic", p->topic, "partition", (int)p->partition, "offset", (json_int_t)off);
        if (p->stop != INT64_MAX) json_object_set_new(e, "stop", json_integer((json_int_t)p->stop));
        json_array_append_new(a, e);
    }
    *out = a;
    if (s->upsert && ctx->dir) {
        sl_status st = up_save(s, ctx->dir, err);
        if (st) {
            json_decref(a);
            *out = NULL;
            return st;
        }
    }
    if (s->commit) {
        if (s->nsnaps == KS_MAX_SNAPS) { /* the oldest is never going to be needed alone */
            free(s->snaps[0].next);
            memmove(s->snaps, s->snaps + 1, sizeof s->snaps[0] * (KS_MAX_SNAPS - 1));
            s->nsnaps--;
        }
        struct ks_snap *sn = &s->snaps[s->nsnaps++];
        sn->id = ctx->checkpoint_id;
        sn->n = s->nparts;
        sn->next = sl_xmalloc(sizeof(int64_t) * (size_t)(s->nparts ? s->nparts : 1));
        for (int i = 0; i < s->nparts; i++) sn->next[i] = s->parts[i].next;
    }
    return SL_OK;
}

/* Checkpoint n is complete: commit its offsets to the group, asynchronously (a later id implies
 * the earlier ones: only the newest snapshot <= n is committed). */
static sl_status ks_notify(sl_operator *op, int64_t checkpoint_id, sl_error *err)
{
    kafka_source *s = op->impl;
    (void)err;
    int last = -1;
    for (int i = 0; i < s->nsnaps && s->snaps[i].id <= checkpoint_id; i++) last = i;
    if (last < 0) return SL_OK;
    if (s->assigned) commit_offsets(s, s->snaps[last].next, s->snaps[last].n, true);
    for (int i = 0; i <= last; i++) free(s->snaps[i].next);
    memmove(s->snaps, s->snaps + last + 1, sizeof s->snaps[0] * (size_t)(s->nsnaps - last - 1));
    s->nsnaps -= last + 1;
    return SL_OK;
}

/* Each partition of this subtask takes its offset (and bounded end) from whichever old part has
 * it (union state: the old parallelism may differ); partitions in no part were created since
 * the checkpoint and start at the earliest offset, as discovered ones (Flink's enumerator treats
 * them as newly discovered too), not where scan.startup.mode says. */
static sl_status ks_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    kafka_source *s = op->impl;
    for (int pi = 0; s->upsert && pi < ctx->nparts; pi++) {
        sl_status st;
        if (ctx->parts[pi].dir && (st = up_load(s, ctx->parts[pi].dir, err))) return st;
    }
    for (int pi = 0; pi < ctx->nparts; pi++) {
        const json_t *in = ctx->parts[pi].state;
        if (!in) continue;
        s->from_state = true;
        if (!json_is_array(in))
            return sl_error_set(err, SL_ERR_STATE, "table '%s': malformed Kafka source state (old subtask %d)", s->table, ctx->parts[pi].subtask);
        size_t i;
        const json_t *e;
        json_array_foreach(in, i, e)
        {
            const char *topic = json_string_value(json_object_get(e, "topic"));
            const json_t *jp = json_object_get(e, "partition"), *jo = json_object_get(e, "offset"), *js = json_object_get(e, "stop");
            if (!topic || !json_is_integer(jp) || !json_is_integer(jo))
                return sl_error_set(err, SL_ERR_STATE, "table '%s': malformed Kafka source state (old subtask %d)", s->table,
                                    ctx->parts[pi].subtask);
            json_int_t part = json_integer_value(jp);
            for (int k = 0; k < s->nparts; k++)
                if (s->parts[k].partition == part && strcmp(s->parts[k].topic, topic) == 0) {
                    kpart *p = &s->parts[k];
                    p->start = json_integer_value(jo);
                    p->restored = true;
                    if (js && json_is_integer(js) && s->bounded != KAFKA_MODE_UNBOUNDED) p->stop = json_integer_value(js);
                }
        }
    }
    for (int k = 0; s->from_state && k < s->nparts; k++)
        if (!s->parts[k].restored) s->parts[k].start = RD_KAFKA_OFFSET_BEGINNING;
    if (s->assigned) { /* not expected (restore comes before the first poll): assign again */
        s->assigned = false;
        for (int k = 0; k < s->nparts; k++) {
            s->parts[k].done = false;
            s->parts[k].next = -1;
        }
    }
    return SL_OK;
}

static void ks_close(sl_operator *op)
{
    kafka_source *s = op->impl;
    if (!s) return;
    for (int i = 0; i < s->nsnaps; i++) free(s->snaps[i].next);
    discovery_stop(s); /* before the client goes */
    kafka_kmap_free(&s->up);
    if (s->q) rd_kafka_queue_destroy(s->q);
    for (int i = 0; s->rkts && i < s->nnames; i++)
        if (s->rkts[i]) rd_kafka_topic_destroy(s->rkts[i]);
    free(s->rkts);
    kafka_client_destroy(&s->c);
    if (s->use_re) regfree(&s->re);
    for (int t = 0; t < s->ntopics; t++) free(s->topics[t].slot);
    free(s->topics);
    free(s->parts);
    sl_format_destroy(s->vfmt);
    sl_format_destroy(s->kfmt);
    sl_rw_free(&s->w);
    sl_mb_free(&s->mb);
    free(s->keyrow);
    free(s->msgs);
    sl_arena_destroy(s->a);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable ks_vt = {.name = "KafkaSource",
                                   .open = ks_open,
                                   .poll = ks_poll,
                                   .periodic = ks_periodic,
                                   .finish = ks_finish,
                                   .close = ks_close,
                                   .snapshot = ks_snapshot,
                                   .restore = ks_restore,
                                   .notify_complete = ks_notify};

/* ---- building ----------------------------------------------------------------------------------- */

static sl_status map_fields(kafka_source *s, const sl_conn_args *a, sl_error *err)
{
    const sql_type *row = a->row;
    s->nrow = row->nfields;
    s->map = sl_arena_zalloc(s->a, sizeof(field_src) * (size_t)(s->nrow ? s->nrow : 1));
    bool meta = false;
    for (int j = 0; j < row->nfields; j++) {
        field_src *f = &s->map[j];
        f->type = row->field_types[j];
        f->phys = sl_phys_of(f->type);
        int phys = -1;
        for (int k = 0; k < a->physical->nfields && phys < 0; k++)
            if (strcmp(a->physical->field_names[k], row->field_names[j]) == 0) phys = k;
        if (phys >= 0) {
            f->src = -1;
            for (int v = 0; v < s->lay.value_type->nfields; v++)
                if (s->lay.value_idx[v] == phys) f->src = SRC_VALUE, f->idx = v;
            for (int k = 0; f->src < 0 && s->lay.key_type && k < s->lay.key_type->nfields; k++)
                if (s->lay.key_idx[k] == phys) f->src = SRC_KEY, f->idx = k;
            if (f->src < 0) return sl_error_set(err, SL_ERR_INTERNAL, "table '%s': column '%s' is neither in the key nor the value", s->table, row->field_names[j]);
            continue;
        }
        meta = true;
        f->src = SRC_META;
        f->idx = -1;
        /* the key: METADATA FROM 'key', else the column's name (as Flink) */
        const char *key = a->meta_keys && a->meta_keys[j] ? a->meta_keys[j] : row->field_names[j];
        for (int k = 0; k < NMETA; k++)
            if (strcmp(key, meta_keys[k]) == 0) f->idx = k;
        sl_strbuf tsb = SL_STRBUF_INIT;
        sql_type_print(&tsb, f->type);
        sl_status st = SL_OK;
        if (f->idx < 0) {
            st = sl_error_set(err, SL_ERR_VALIDATION,
                              "Invalid metadata key '%s' in column '%s' of table '%s'. The DynamicTableSource class 'KafkaDynamicSource' "
                              "supports the following metadata keys for reading: topic, partition, headers, leader-epoch, offset, timestamp, "
                              "timestamp-type",
                              key, row->field_names[j], s->table);
            sl_error_hint(err, "name the key with FROM, e.g. `part INT METADATA FROM 'partition' VIRTUAL`");
        } else if (!meta_type_ok(f->idx, f->type)) {
            static const char *const expected[NMETA] = {"STRING", "INT", "BIGINT", "TIMESTAMP_LTZ(3)", "STRING", "MAP<STRING, BYTES>", "INT"};
            st = sl_error_set(err, SL_ERR_VALIDATION, "table '%s': the Kafka metadata column '%s' ('%s') must be %s, not %s.", s->table,
                              row->field_names[j], meta_keys[f->idx], expected[f->idx], sl_strbuf_cstr(&tsb));
        }
        sl_strbuf_free(&tsb);
        if (st) return st;
    }
    s->fast = !meta && !s->lay.key_format && s->lay.value_is_physical && row->nfields == a->physical->nfields;
    return SL_OK;
}

/* What the table reads ('topic' names, without repeats, or the compiled 'topic-pattern'), the
 * partitions of it this subtask owns (sorted by topic, partition) and their index. */
static sl_status list_partitions(kafka_source *s, const sl_conn_args *a, sl_error *err)
{
    const sl_kv *o = a->opts;
    int n = a->nopts;
    const char *topic = sl_kv_get(o, n, "topic"), *pattern = sl_kv_get(o, n, "topic-pattern");
    char **names = NULL;
    int nnames = topic ? kafka_split_list(s->a, topic, &names) : 0;
    s->names = sl_arena_zalloc(s->a, sizeof(char *) * (size_t)(nnames ? nnames : 1));
    for (int k = 0; k < nnames; k++) {
        bool dup = false;
        for (int j = 0; j < s->nnames && !dup; j++) dup = strcmp(s->names[j], names[k]) == 0;
        if (!dup) s->names[s->nnames++] = names[k];
    }
    if (pattern) {
        char *anchored = sl_arena_zalloc(s->a, strlen(pattern) + 5);
        sprintf(anchored, "^(%s)$", pattern);
        if (regcomp(&s->re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
            return sl_error_set(err, SL_ERR_VALIDATION, "table '%s': 'topic-pattern' '%s' is not a valid regular expression", s->table, pattern);
        s->use_re = true;
    }
    s->parallelism = a->parallelism > 0 ? a->parallelism : 1;
    const struct rd_kafka_metadata *md = NULL;
    sl_status st = kafka_client_metadata(&s->c, NULL, &md, err);
    if (st) return st;
    st = take_partitions(s, md, true, err);
    rd_kafka_metadata_destroy(md);
    if (st) return st;
    if (s->nparts) qsort(s->parts, (size_t)s->nparts, sizeof(kpart), cmp_part);
    index_parts(s);
    /* handles for the listed topics: a discovery's metadata request asks for these only */
    if (s->discovery_ms > 0 && s->nnames) {
        s->rkts = sl_xcalloc((size_t)s->nnames, sizeof(rd_kafka_topic_t *));
        for (int k = 0; k < s->nnames; k++) s->rkts[k] = rd_kafka_topic_new(s->c.rk, s->names[k], NULL);
    }
    return SL_OK;
}

sl_status kafka_source_create(const sl_conn_args *args, sl_operator **out, sl_error *err)
{
    kafka_source *s = sl_xcalloc(1, sizeof *s);
    sl_operator tmp = {.impl = s};
    s->a = sl_arena_create(0);
    sl_conn_args up = *args;
    const sl_conn_args *a = &up;
    if (kafka_resolve_args(args, s->a, &up, &s->upsert, err)) {
        ks_close(&tmp);
        return err->code;
    }
    s->table = sl_arena_strdup(s->a, a->table ? a->table : "?");
    s->subtask = a->subtask;
    s->ltz_offset = a->job ? a->job->ltz_offset : 0;
    s->c.table = s->table;
    s->c.job = a->job;
    s->c.servers = sl_arena_strdup(s->a, sl_kv_get(a->opts, a->nopts, "properties.bootstrap.servers"));
    const sl_kv *o = a->opts;
    int n = a->nopts, bad = -1;
    sl_status st = kafka_layout_build(o, n, a->physical, s->a, &s->lay, &bad, err);
    if (!st) st = map_fields(s, a, err);
    if (!st) st = sl_format_create(s->lay.value_format, s->lay.value_type, s->lay.value_opts, s->lay.nvalue_opts, s->ltz_offset, &s->vfmt, &bad, err);
    if (!st && s->lay.key_format)
        st = sl_format_create(s->lay.key_format, s->lay.key_type, s->lay.key_opts, s->lay.nkey_opts, s->ltz_offset, &s->kfmt, &bad, err);
    if (st) {
        ks_close(&tmp);
        return st;
    }
    sl_conn_ignore_key(s->lay.value_format, s->ignore_key, sizeof s->ignore_key);
    s->startup = kafka_mode_parse(kafka_opt(o, n, "scan.startup.mode"));
    s->bounded = kafka_mode_parse(kafka_opt(o, n, "scan.bounded.mode"));
    const char *v;
    if ((v = sl_kv_get(o, n, "scan.startup.timestamp-millis"))) s->startup_ts = strtoll(v, NULL, 10);
    if ((v = sl_kv_get(o, n, "scan.bounded.timestamp-millis"))) s->bounded_ts = strtoll(v, NULL, 10);
    if ((v = sl_kv_get(o, n, "scan.startup.specific-offsets"))) kafka_parse_specific_offsets(s->a, v, &s->start_offsets, &s->nstart_offsets);
    if ((v = sl_kv_get(o, n, "scan.bounded.specific-offsets"))) kafka_parse_specific_offsets(s->a, v, &s->stop_offsets, &s->nstop_offsets);
    /* the client */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_client_opts co;
    st = kafka_apply_properties(o, n, true, conf, &co, NULL, &bad, err);
    char buf[512];
    if (!st && !co.group_id) { /* rd_kafka_assign needs a group; this one never commits */
        snprintf(buf, sizeof buf, "sluice-%s-%d-%llx", s->table, (int)getpid(), (unsigned long long)kafka_now_ms());
        st = kafka_conf_set(conf, "group.id", buf, err);
    }
    if (!st && !co.auto_commit) st = kafka_conf_set(conf, "enable.auto.commit", "false", err);
    if (!st && !co.auto_offset_reset)
        st = kafka_conf_set(conf, "auto.offset.reset",
                      s->startup == KAFKA_MODE_GROUP ? "error" : s->startup == KAFKA_MODE_LATEST ? "latest" : "earliest", err);
    if (!st && !co.client_id) {
        snprintf(buf, sizeof buf, "%s-%d", co.client_id_prefix ? co.client_id_prefix : "sluice", a->subtask);
        st = kafka_conf_set(conf, "client.id", buf, err);
    }
    if (!st) st = kafka_conf_set(conf, "enable.partition.eof", "true", err);
    if (st) {
        rd_kafka_conf_destroy(conf);
        ks_close(&tmp);
        return st;
    }
    size_t gl = sizeof buf;
    rd_kafka_conf_get(conf, "group.id", buf, &gl);
    s->group = sl_arena_strdup(s->a, buf);
    s->commit = co.group_id && co.commit_offsets;
    gl = sizeof buf;
    long fetch_wait = 500;
    if (rd_kafka_conf_get(conf, "fetch.wait.max.ms", buf, &gl) == RD_KAFKA_CONF_OK) fetch_wait = strtol(buf, NULL, 10);
    s->disc_timeout_ms = (int)(fetch_wait > 0 && fetch_wait < 300000 ? fetch_wait : 500) + KAFKA_DISCOVERY_TIMEOUT_MS;
    if (s->commit) rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    s->batch = co.max_poll_records > 0 ? co.max_poll_records : 500;
    /* partition discovery: the table option, else the KafkaSource property, else the option's
     * default (5 min); 0 or less disables it, and a bounded source never discovers (as Flink's) */
    if ((v = sl_kv_get(o, n, "scan.topic-partition-discovery.interval")) || !co.discovery) {
        if (!v) v = kafka_opt(o, n, "scan.topic-partition-discovery.interval");
        if (!v || !sl_parse_duration_ms(v, &s->discovery_ms, NULL, 0)) s->discovery_ms = 0;
    } else {
        s->discovery_ms = co.discovery_ms;
    }
    if (s->discovery_ms < 0 || s->bounded != KAFKA_MODE_UNBOUNDED) s->discovery_ms = 0;
    if ((st = kafka_client_new(&s->c, RD_KAFKA_CONSUMER, conf, err)) || (st = list_partitions(s, a, err))) {
        ks_close(&tmp);
        return st;
    }
    s->q = rd_kafka_queue_get_consumer(s->c.rk);
    if (!s->q) {
        ks_close(&tmp);
        return sl_error_set(err, SL_ERR_INTERNAL, "table '%s': the Kafka consumer has no queue", s->table);
    }
    s->msgs = sl_xcalloc((size_t)(s->batch < 1024 ? s->batch : 1024) + 1, sizeof(rd_kafka_message_t *));
    if (s->batch > 1024) s->batch = 1024;
    char desc[160];
    snprintf(desc, sizeof desc, "KafkaSource(%s)", s->table);
    *out = sl_operator_new(&ks_vt, s, NULL, sl_arena_strdup(s->a, desc));
    return SL_OK;
}
