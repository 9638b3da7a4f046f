/* connectors/connector.h — table factories: the 'connector' option of CREATE TABLE picks one.
 *
 * Each factory declares its options as Flink's does (key, type, default, allowed values;
 * required ones), whether it needs a 'format' (whose own options are then accepted too), and
 * builds source and sink operators (runtime/operator.h) for a subtask.
 *
 * Validation happens twice with the same code: when a script is planned (the CLI maps a bad
 * option back to its place in the script: file:line:col), and when a subtask builds its operator
 * from the JobGraph (a graph shipped from elsewhere is not trusted). Messages are Flink's:
 *   Unsupported options found for 'datagen'.
 *   Unsupported options:
 *   fields.idd.kind
 *   Supported options:
 *   connector
 *   ...
 */
#ifndef SLUICE_CONNECTORS_CONNECTOR_H
#define SLUICE_CONNECTORS_CONNECTOR_H

#include <jansson.h>
#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/options.h"
#include "common/strbuf.h"
#include "connectors/formats/format.h"
#include "runtime/operator.h"
#include "sql/types.h"

struct sl_job_context;

/* What a connector operator is built from. */
typedef struct sl_conn_args {
    const char *table;         /* table name, for messages */
    const sl_kv *opts;         /* the table's options */
    int nopts;
    const sql_type *row;       /* source: the non-computed columns in table order (what the
                                * connector produces); sink: the table's physical columns */
    const sql_type *physical;  /* the physical columns (what a format decodes / encodes) */
    const sql_type *input;     /* sink: the type of the rows it receives (cast to `row`) */
    const char *const *meta_keys; /* source: per field of `row`, its METADATA key (FROM '...' or
                                   * the column name), NULL for a physical column; sink: the
                                   * same per field of `written` */
    const sql_type *written;   /* sink: the columns `input` maps to when the table has persisted
                                * (non-VIRTUAL) METADATA columns: physical and metadata, in table
                                * order; NULL when it has none (then `input` maps to `physical`) */
    int subtask, parallelism;
    struct sl_job_context *job;
    sl_arena *types;           /* lives as long as the operator */
    /* The table's PRIMARY KEY as indexes into `physical`, in declaration order (the JobGraph
     * spec's "primary_key" of sources and sinks); npk = 0: none (or a spec without one) */
    const int *pk;
    int npk;
} sl_conn_args;

typedef struct sl_connector {
    const char *name;
    const char *const *aliases;         /* other accepted names, NULL-terminated, or NULL */
    const sl_option *options;           /* this connector's own options (not 'connector') */
    int noptions;
    const char *const *required;        /* NULL-terminated */
    /* Option families by prefix ("fields." for datagen): keys "prefix<column>.<suffix>" with the
     * suffixes listed; the column must exist. */
    const char *field_prefix;
    const sl_option *field_options;     /* key = suffix, e.g. "kind" */
    int nfield_options;
    const char *const *prefixes;        /* option families accepted as they are, e.g. "properties." */
    bool format;                        /* needs 'format' (and accepts that format's options) */
    bool source, sink;
    bool bounded_only_source;
    /* Extra checks on values (after types and ranges): *bad = index of the offending option.
     * Warnings (e.g. a Kafka client property with no librdkafka equivalent) are appended to
     * *warnings as lines, when warnings is not NULL. */
    sl_status (*check)(const sl_kv *opts, int nopts, const sql_type *physical, bool as_source, sl_strbuf *warnings, int *bad,
                       sl_error *err);
    /* Instead of check, for a connector whose rules involve the table's PRIMARY KEY (upsert-kafka):
     * pk as in sl_conn_args. */
    sl_status (*check_keyed)(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, bool as_source,
                             sl_strbuf *warnings, int *bad, sl_error *err);
    sl_status (*create_source)(const sl_conn_args *a, sl_operator **out, sl_error *err);
    sl_status (*create_sink)(const sl_conn_args *a, sl_operator **out, sl_error *err);
    /* METADATA columns: a source reads them (Flink's SupportsReadingMetadata), a sink writes the
     * persisted ones (SupportsWritingMetadata); which keys, the connector checks itself */
    bool reads_metadata, writes_metadata;
} sl_connector;

/* The factory for a 'connector' value (or alias); NULL if unknown. */
const sl_connector *sl_connector_find(const char *name);

/* Validates a table's options for use as a source or a sink; pk/npk: its PRIMARY KEY (as in
 * sl_conn_args). On error: SL_ERR_VALIDATION (or SL_ERR_NOT_FOUND for an unknown
 * connector/format) and *bad_option = index of the option to point at (-1 when the problem is a
 * missing option or the key). */
sl_status sl_connector_validate(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, bool as_source,
                                sl_strbuf *warnings, int *bad_option, sl_error *err);

/* A table with METADATA columns (nmeta: as a source, all of them; as a sink, the persisted ones)
 * on a connector that cannot read / write metadata: Flink's message (SL_ERR_VALIDATION). */
sl_status sl_connector_check_metadata(const sl_kv *opts, int nopts, const char *table, int nmeta, bool as_source, sl_error *err);

/* Option lookups for factories (the value, or the option's declared default, or NULL). */
const char *sl_kv_get(const sl_kv *opts, int nopts, const char *key);
const char *sl_conn_opt(const sl_connector *c, const sl_kv *opts, int nopts, const char *key);

/* Options from a JobGraph spec's "options" object, in arena. */
sl_kv *sl_kv_from_json(sl_arena *a, const json_t *obj, int *n);

/* Connector source / sink operators for a JobGraph operator spec (the factory is found by
 * 'connector'). Validation errors name the table. */
sl_status sl_connector_source(const json_t *spec, struct sl_job_context *job, int subtask, int parallelism, sl_arena *types,
                              sl_operator **out, sl_error *err);
sl_status sl_connector_sink(const json_t *spec, struct sl_job_context *job, int subtask, int parallelism, sl_arena *types,
                            sl_operator **out, sl_error *err);

/* The factories (one file each). */
extern const sl_connector sl_connector_datagen;
extern const sl_connector sl_connector_print;
extern const sl_connector sl_connector_blackhole;
extern const sl_connector sl_connector_filesystem;
extern const sl_connector sl_connector_socket;
extern const sl_connector sl_connector_kafka;
extern const sl_connector sl_connector_upsert_kafka;

#endif
