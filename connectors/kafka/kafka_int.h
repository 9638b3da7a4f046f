/* connectors/kafka/kafka_int.h — what the Kafka connector's files share (not a public API).
 *
 *   kafka_common.c  the 'kafka' factory: options, validation (the check hook), the translation
 *                   of 'properties.*' into librdkafka settings, key/value format layout, client
 *                   creation with a fail-fast metadata request
 *   kafka_source.c  the source operator (rd_kafka_assign, no group rebalancing)
 *   kafka_sink.c    the sink operator (producer with delivery reports)
 *   kafka_keymap.c  upsert-kafka's per-key map (the source's last rows, the sink's buffer)
 *
 * Nothing here depends on the development cluster (kafka_dev.h): the connector works against any
 * Kafka. */
#ifndef SLUICE_CONNECTORS_KAFKA_INT_H
#define SLUICE_CONNECTORS_KAFKA_INT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "connectors/connector.h"

/* How long a client waits for the cluster's metadata when an operator is built (an unreachable
 * cluster fails sooner: as soon as librdkafka reports every bootstrap server down). */
#define KAFKA_METADATA_TIMEOUT_MS 30000
/* Requests made while a source starts (offsets for times, committed offsets). */
#define KAFKA_REQUEST_TIMEOUT_MS 30000
/* The longest a partition discovery waits for the metadata, beyond fetch.wait.max.ms (the answer
 * can queue behind a fetch long-poll on the same connection). It runs on its own thread; a slower
 * answer is a failed round, retried at the next interval; stopping the job waits for it at worst. */
#define KAFKA_DISCOVERY_TIMEOUT_MS 1500

/* scan.startup.mode / scan.bounded.mode */
typedef enum kafka_mode {
    KAFKA_MODE_UNBOUNDED = 0, /* scan.bounded.mode only */
    KAFKA_MODE_EARLIEST,
    KAFKA_MODE_LATEST,
    KAFKA_MODE_GROUP,
    KAFKA_MODE_TIMESTAMP,
    KAFKA_MODE_SPECIFIC
} kafka_mode;

kafka_mode kafka_mode_parse(const char *s);

/* sink.partitioner */
typedef enum kafka_partitioner { KAFKA_PART_DEFAULT, KAFKA_PART_FIXED, KAFKA_PART_ROUND_ROBIN } kafka_partitioner;

/* Option value (or its declared default) of the kafka connector. */
const char *kafka_opt(const sl_kv *opts, int nopts, const char *key);

/* Splits a ';'-separated list (spaces around items trimmed, empty items dropped) into arena
 * strings; returns the count. */
int kafka_split_list(sl_arena *a, const char *s, char ***out);

/* "partition:0,offset:42;partition:1,offset:300" -> pairs; false if malformed. */
typedef struct kafka_part_offset {
    int32_t partition;
    int64_t offset;
} kafka_part_offset;
bool kafka_parse_specific_offsets(sl_arena *a, const char *s, kafka_part_offset **out, int *n);

/* Where the table's physical columns go: the message value (value.format) and, with key.format
 * and key.fields, the message key. */
typedef struct kafka_layout {
    const char *value_format;
    const char *key_format;     /* NULL: no key */
    const sql_type *value_type; /* the columns in the value, in table order */
    const sql_type *key_type;   /* the key columns in key.fields order, names without the prefix */
    int *value_idx;             /* per value column: its index among the physical columns */
    int *key_idx;               /* per key column: its index among the physical columns */
    bool value_is_physical;     /* the value holds every physical column in order */
    sl_kv *value_opts;          /* the value format's options ('value.' removed) */
    int nvalue_opts;
    int *value_opt_index;       /* per value option: its index in the table's options */
    sl_kv *key_opts;            /* the key format's options ('key.' removed) */
    int nkey_opts;
    int *key_opt_index;
} kafka_layout;

/* Builds the layout and validates the format options (unknown ones, values: the formats are
 * created once and destroyed). *bad: index of the option to point at, or -1. */
sl_status kafka_layout_build(const sl_kv *opts, int nopts, const sql_type *physical, sl_arena *a, kafka_layout *l, int *bad,
                             sl_error *err);

/* Settings taken from 'properties.*' that are not librdkafka configuration. */
typedef struct kafka_client_opts {
    int max_poll_records;       /* 0: not given */
    bool group_id;              /* properties.group.id given */
    bool auto_commit;           /* properties.enable.auto.commit given */
    bool auto_offset_reset;     /* properties.auto.offset.reset given */
    bool client_id;             /* properties.client.id given */
    bool partitioner;           /* properties.partitioner given */
    bool commit_offsets;        /* properties.commit.offsets.on.checkpoint (default true) */
    const char *client_id_prefix;
    bool discovery;             /* properties.partition.discovery.interval.ms (or Flink's legacy
                                 * flink.partition-discovery.interval-millis) given */
    int64_t discovery_ms;       /* its value; <= 0 disables partition discovery */
} kafka_client_opts;

/* Applies the table's 'properties.*' to conf (which may be a scratch configuration, for
 * validation): names librdkafka knows pass as they are; Java client names are translated where
 * librdkafka has an equivalent (max.poll.records, buffer.memory, max.request.size,
 * sasl.jaas.config, auto.offset.reset=none, partition.discovery.interval.ms); any other name
 * is ignored with one line appended to *warnings (when not NULL). A value librdkafka rejects is SL_ERR_VALIDATION with *bad set. */
sl_status kafka_apply_properties(const sl_kv *opts, int nopts, bool consumer, rd_kafka_conf_t *conf, kafka_client_opts *co,
                                 sl_strbuf *warnings, int *bad, sl_error *err);

/* What librdkafka's callbacks report back to a source or sink (the conf's opaque). The error
 * callback runs on the thread that calls rd_kafka_poll() (the operator's); the log callback on
 * librdkafka's threads (it only writes to stderr). */
typedef struct kafka_client {
    rd_kafka_t *rk;
    const char *table;
    const char *servers;
    struct sl_job_context *job;
    bool all_down;              /* every broker is down (ALL_BROKERS_DOWN) */
    bool fatal;
    bool pending;               /* an error not shown yet */
    bool log_all;               /* properties.debug: show librdkafka's log */
    rd_kafka_resp_err_t last_err;
    char last_error[512];
    int64_t last_warned_ms;     /* transient errors are shown at most every 10 s */
} kafka_client;

/* Sets the callbacks and opaque on conf and creates the client (conf is consumed). */
/* Sets one librdkafka property that Sluice itself chooses (a failure is a bug: SL_ERR_INTERNAL). */
sl_status kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, sl_error *err);

sl_status kafka_client_new(kafka_client *c, rd_kafka_type_t type, rd_kafka_conf_t *conf, sl_error *err);
/* Fetches metadata (all topics, or only rkt) and fails fast when the cluster is unreachable:
 * SL_ERR_KAFKA naming the table and the bootstrap servers. */
sl_status kafka_client_metadata(kafka_client *c, rd_kafka_topic_t *rkt, const struct rd_kafka_metadata **md, sl_error *err);
/* Serves the client's callbacks; a transient error becomes a rate-limited warning. Returns
 * SL_ERR_KAFKA for a fatal client error. */
sl_status kafka_client_poll(kafka_client *c, int timeout_ms, sl_error *err);
/* A rate-limited warning "sluice: warning: table 'x': ..." on the job's error output. */
void kafka_client_warn(kafka_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kafka_client_destroy(kafka_client *c);

int64_t kafka_now_ms(void);

/* upsert-kafka: whether the options are an upsert-kafka table's, and the options as the Kafka
 * code reads them: the table's plus 'key.fields' = the PRIMARY KEY columns (pk/npk as in
 * sl_conn_args) and 'scan.startup.mode' = 'earliest-offset'. No PRIMARY KEY: Flink's error. */
bool kafka_is_upsert(const sl_kv *opts, int nopts);
/* *up = args, with the upsert-kafka options resolved (kafka_upsert_options) for an upsert-kafka
 * table (*upsert = true); the error names the table. */
sl_status kafka_resolve_args(const sl_conn_args *args, sl_arena *a, sl_conn_args *up, bool *upsert, sl_error *err);
sl_status kafka_upsert_options(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, sl_arena *a,
                               sl_kv **out, int *nout, sl_error *err);

/* upsert-kafka's per-key map (kafka_keymap.c): the source's last row per (partition, key), the
 * sink's buffer of the latest change per key (sink.buffer-flush.*). Keys are bytes (a decoded
 * key row, an encoded message key) with a caller's tag `part`; each entry holds one value. An
 * existing key keeps its entry and, when the new value fits, its buffer; removed entries are
 * kept for the next keys: only a key beyond the most the map ever held allocates. */
typedef struct kafka_kentry {
    struct kafka_kentry *next;
    uint64_t hash;
    int part;
    uint32_t klen, vlen;
    uint32_t cap;        /* bytes allocated at data */
    bool null_value;     /* the caller's mark (the sink: a tombstone); store clears it */
    uint8_t *data;       /* the value (vlen bytes) then the key (klen bytes): one allocation */
} kafka_kentry;

typedef struct kafka_kmap {
    kafka_kentry **b;    /* buckets (nb, a power of two); iterate them with ->next */
    size_t nb, n;
    kafka_kentry *spare; /* removed entries, reused by new keys */
} kafka_kmap;

static inline const uint8_t *kafka_kentry_key(const kafka_kentry *e) { return e->data + e->vlen; }
uint64_t kafka_kmap_hash(int part, const void *key, uint32_t klen);
/* The slot of the key: *slot is its entry, or NULL (where kafka_kmap_store puts a new one). */
kafka_kentry **kafka_kmap_find(kafka_kmap *m, int part, const void *key, uint32_t klen, uint64_t h);
/* Stores val for the key at slot (from kafka_kmap_find with the same key and hash). The map may
 * grow: slots found before are invalid afterwards. */
kafka_kentry *kafka_kmap_store(kafka_kmap *m, kafka_kentry **slot, int part, uint64_t h, const void *key, uint32_t klen, const void *val,
                               uint32_t vlen);
/* Removes the entry at slot; it is kept (with its buffer) for the next new key, as are the
 * entries of a clear. */
void kafka_kmap_remove(kafka_kmap *m, kafka_kentry **slot);
/* Empties the map. */
void kafka_kmap_clear(kafka_kmap *m);
void kafka_kmap_free(kafka_kmap *m);

/* The operators (kafka_source.c, kafka_sink.c). */
sl_status kafka_source_create(const sl_conn_args *a, sl_operator **out, sl_error *err);
sl_status kafka_sink_create(const sl_conn_args *a, sl_operator **out, sl_error *err);

#endif
