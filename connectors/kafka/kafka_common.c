/* connectors/kafka/kafka_common.c — the 'kafka' table factory (aliases 'kafka-0.11', 'kafka-0.10',
 * 'kafka-universal'): Flink's options, their validation (the check hook: formats, startup and
 * bounded modes, sink settings, 'properties.*' as librdkafka sees them), and what the source
 * and sink share (format layout, client creation, callbacks). See kafka_int.h. */
#include <ctype.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/mem.h"
#include "common/suggest.h"
#include "common/units.h"
#include "connectors/kafka/kafka_int.h"
#include "runtime/task.h"

static const char *const kafka_aliases[] = {"kafka-0.11", "kafka-0.10", "kafka-universal", NULL};
static const char *const startup_modes[] = {"earliest-offset", "latest-offset", "group-offsets", "timestamp", "specific-offsets", NULL};
static const char *const bounded_modes[] = {"unbounded", "latest-offset", "group-offsets", "timestamp", "specific-offsets", NULL};
static const char *const includes[] = {"ALL", "EXCEPT_KEY", NULL};
static const char *const guarantees[] = {"none", "at-least-once", "exactly-once", NULL};
static const char *const semantics[] = {"none", "at-least-once", "exactly-once", NULL};

static const sl_option kafka_options[] = {
    {"topic", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Topic(s) to read, ';'-separated; the topic to write."},
    {"topic-pattern", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Source: a regular expression for the topics to read."},
    {"properties.bootstrap.servers", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Kafka brokers, host:port,..."},
    {"properties.group.id", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Consumer group id (source)."},
    {"format", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Format of the message value."},
    {"value.format", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Format of the message value (same as 'format')."},
    {"key.format", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Format of the message key."},
    {"key.fields", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Physical columns in the message key, ';'-separated."},
    {"key.fields-prefix", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Prefix of the key columns' names."},
    {"value.fields-include", SL_OPT_ENUM, "ALL", includes, NULL, NULL, SL_RANGE_ANY, 0, "Whether the value holds the key columns too."},
    {"scan.startup.mode", SL_OPT_ENUM, "group-offsets", startup_modes, NULL, NULL, SL_RANGE_ANY, 0, "Where the source starts."},
    {"scan.startup.specific-offsets", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "partition:0,offset:42;partition:1,offset:300"},
    {"scan.startup.timestamp-millis", SL_OPT_LONG, NULL, NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "Start timestamp (ms since the epoch)."},
    {"scan.bounded.mode", SL_OPT_ENUM, "unbounded", bounded_modes, NULL, NULL, SL_RANGE_ANY, 0, "Where a bounded source ends."},
    {"scan.bounded.specific-offsets", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "partition:0,offset:42;partition:1,offset:300"},
    {"scan.bounded.timestamp-millis", SL_OPT_LONG, NULL, NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "End timestamp (ms since the epoch)."},
    {"scan.topic-partition-discovery.interval", SL_OPT_DURATION, "5 min", NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0,
     "Source: how often each subtask lists its topics' partitions (and the topics 'topic-pattern' matches) again and starts "
     "reading new ones from the earliest offset; 0 disables it. Unbounded sources only."},
    {"sink.partitioner", SL_OPT_STRING, "default", NULL, NULL, NULL, SL_RANGE_ANY, 0, "default, fixed or round-robin."},
    {"sink.delivery-guarantee", SL_OPT_ENUM, "at-least-once", guarantees, NULL, NULL, SL_RANGE_ANY, 0, "none, at-least-once or exactly-once (Kafka transactions, sink.transactional-id-prefix)."},
    {"sink.semantic", SL_OPT_ENUM, NULL, semantics, NULL, NULL, SL_RANGE_ANY, 0, "Deprecated name of sink.delivery-guarantee."},
    {"sink.transactional-id-prefix", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Exactly-once: transactional ids <prefix>-<subtask> (required)."},
    {"sink.parallelism", SL_OPT_INT, NULL, NULL, NULL, NULL, SL_RANGE_MIN_ONE, 0, "Parallelism of the sink."},
};
enum { KAFKA_NOPTIONS = sizeof kafka_options / sizeof kafka_options[0] };

static const char *const kafka_required[] = {"properties.bootstrap.servers", NULL};
/* Option families accepted here and checked precisely by kafka_check: client properties and the
 * formats' options (with or without the 'value.' prefix, and 'key.' for the key format). */
static const char *const kafka_prefixes[] = {"properties.", "json.", "csv.", "raw.", "debezium-json.", "value.", "key.", NULL};

static sl_status kafka_check(const sl_kv *opts, int nopts, const sql_type *physical, bool as_source, sl_strbuf *warnings, int *bad,
                             sl_error *err);

const sl_connector sl_connector_kafka = {
    .name = "kafka",
    .aliases = kafka_aliases,
    .options = kafka_options,
    .noptions = KAFKA_NOPTIONS,
    .required = kafka_required,
    .prefixes = kafka_prefixes,
    .format = false, /* 'format' or 'value.format': checked by kafka_check */
    .source = true,
    .sink = true,
    .check = kafka_check,
    .reads_metadata = true,
    .writes_metadata = true,
    .create_source = kafka_source_create,
    .create_sink = kafka_sink_create,
};

/* ---- upsert-kafka ------------------------------------------------------------------------------
 * The same source and sink, with Flink's upsert-kafka options: the PRIMARY KEY is the message
 * key (key.format), the value (value.format) an upsert, a null value a delete. */

static const char *const upsert_guarantees[] = {"none", "at-least-once", "exactly-once", NULL};

static const sl_option upsert_options[] = {
    {"topic", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Topic(s) to read, ';'-separated; the topic to write."},
    {"properties.bootstrap.servers", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Kafka brokers, host:port,..."},
    {"key.format", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Format of the message key (the PRIMARY KEY columns)."},
    {"value.format", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Format of the message value."},
    {"key.fields-prefix", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Prefix of the key columns' names."},
    {"value.fields-include", SL_OPT_ENUM, "ALL", includes, NULL, NULL, SL_RANGE_ANY, 0, "Whether the value holds the key columns too."},
    {"scan.bounded.mode", SL_OPT_ENUM, "unbounded", bounded_modes, NULL, NULL, SL_RANGE_ANY, 0, "Where a bounded source ends."},
    {"scan.bounded.specific-offsets", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "partition:0,offset:42;partition:1,offset:300"},
    {"scan.bounded.timestamp-millis", SL_OPT_LONG, NULL, NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "End timestamp (ms since the epoch)."},
    {"sink.parallelism", SL_OPT_INT, NULL, NULL, NULL, NULL, SL_RANGE_MIN_ONE, 0, "Parallelism of the sink."},
    {"sink.buffer-flush.max-rows", SL_OPT_INT, "0", NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0,
     "Buffer up to this many rows, the last one per key (with sink.buffer-flush.interval; 0 = off)."},
    {"sink.buffer-flush.interval", SL_OPT_DURATION, "0", NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0,
     "Flush the buffer at least this often (with sink.buffer-flush.max-rows; 0 = off)."},
    {"sink.delivery-guarantee", SL_OPT_ENUM, "at-least-once", upsert_guarantees, NULL, NULL, SL_RANGE_ANY, 0,
     "none or at-least-once (exactly-once is refused)."},
};
enum { UPSERT_NOPTIONS = sizeof upsert_options / sizeof upsert_options[0] };

static const char *const upsert_required[] = {"topic", "properties.bootstrap.servers", "key.format", "value.format", NULL};
static const char *const upsert_prefixes[] = {"properties.", "value.", "key.", NULL};

static sl_status upsert_check(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, bool as_source,
                              sl_strbuf *warnings, int *bad, sl_error *err);

const sl_connector sl_connector_upsert_kafka = {
    .name = "upsert-kafka",
    .options = upsert_options,
    .noptions = UPSERT_NOPTIONS,
    .required = upsert_required,
    .prefixes = upsert_prefixes,
    .format = false,
    .source = true,
    .sink = true,
    .check_keyed = upsert_check,
    .reads_metadata = true,
    .writes_metadata = true,
    .create_source = kafka_source_create,
    .create_sink = kafka_sink_create,
};

/* ---- small helpers ---------------------------------------------------------------------------- */

int64_t kafka_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *kafka_opt(const sl_kv *opts, int nopts, const char *key) { return sl_conn_opt(&sl_connector_kafka, opts, nopts, key); }

static int opt_index(const sl_kv *opts, int nopts, const char *key)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].key, key) == 0) return i;
    return -1;
}

kafka_mode kafka_mode_parse(const char *s)
{
    if (!s || strcasecmp(s, "unbounded") == 0) return KAFKA_MODE_UNBOUNDED;
    if (strcasecmp(s, "earliest-offset") == 0) return KAFKA_MODE_EARLIEST;
    if (strcasecmp(s, "latest-offset") == 0) return KAFKA_MODE_LATEST;
    if (strcasecmp(s, "group-offsets") == 0) return KAFKA_MODE_GROUP;
    if (strcasecmp(s, "timestamp") == 0) return KAFKA_MODE_TIMESTAMP;
    return KAFKA_MODE_SPECIFIC;
}

int kafka_split_list(sl_arena *a, const char *s, char ***out)
{
    int n = 0, cap = 1;
    for (const char *p = s; p && *p; p++) cap += *p == ';';
    char **items = sl_arena_zalloc(a, sizeof(char *) * (size_t)cap);
    while (s && *s) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *b = s, *e = s + len;
        while (b < e && isspace((unsigned char)*b)) b++;
        while (e > b && isspace((unsigned char)e[-1])) e--;
        if (e > b) items[n++] = sl_arena_strndup(a, b, (size_t)(e - b));
        s = end ? end + 1 : NULL;
    }
    *out = items;
    return n;
}

bool kafka_parse_specific_offsets(sl_arena *a, const char *s, kafka_part_offset **out, int *n)
{
    char **items;
    int k = kafka_split_list(a, s, &items);
    kafka_part_offset *po = sl_arena_zalloc(a, sizeof *po * (size_t)(k ? k : 1));
    for (int i = 0; i < k; i++) {
        long long p, o;
        int used = 0;
        if (sscanf(items[i], " partition : %lld , offset : %lld %n", &p, &o, &used) != 2 || items[i][used] || p < 0 || p > INT32_MAX ||
            o < 0)
            return false;
        po[i].partition = (int32_t)p;
        po[i].offset = o;
    }
    *out = po;
    *n = k;
    return k > 0;
}

/* ---- formats: key and value layout --------------------------------------------------------------- */

static bool in_keys(const char *const *keys, const char *k)
{
    for (; keys && *keys; keys++)
        if (strcmp(*keys, k) == 0) return true;
    return false;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static sl_status unsupported_options(const sl_kv *opts, int nopts, const int *which, int nwhich, const char *vf, const char *kf,
                                     int *bad, sl_error *err)
{
    sl_strbuf un = SL_STRBUF_INIT, sup = SL_STRBUF_INIT;
    for (int i = 0; i < nwhich; i++) sl_strbuf_printf(&un, "\n%s", opts[which[i]].key);
    size_t cap = KAFKA_NOPTIONS + 2;
    const char *const *vk = sl_format_option_keys(vf), *const *kk = kf ? sl_format_option_keys(kf) : NULL;
    for (const char *const *k = vk; k && *k; k++) cap += 2;
    for (const char *const *k = kk; k && *k; k++) cap++;
    const char **keys = sl_xmalloc(sizeof(char *) * cap);
    char **owned = sl_xcalloc(cap, sizeof(char *));
    size_t n = 0, no = 0;
    keys[n++] = "connector";
    bool upsert = kafka_is_upsert(opts, nopts);
    const sl_option *own = upsert ? upsert_options : kafka_options;
    for (int i = 0, no2 = upsert ? UPSERT_NOPTIONS : KAFKA_NOPTIONS; i < no2; i++) keys[n++] = own[i].key;
    for (const char *const *k = vk; k && *k; k++) {
        keys[n++] = *k;
        size_t l = strlen(*k) + 7;
        owned[no] = sl_xmalloc(l);
        snprintf(owned[no], l, "value.%s", *k);
        keys[n++] = owned[no++];
    }
    for (const char *const *k = kk; k && *k; k++) {
        size_t l = strlen(*k) + 5;
        owned[no] = sl_xmalloc(l);
        snprintf(owned[no], l, "key.%s", *k);
        keys[n++] = owned[no++];
    }
    qsort(keys, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) sl_strbuf_printf(&sup, "\n%s", keys[i]);
    sl_strbuf_puts(&sup, "\nproperties.*");
    sl_error_set(err, SL_ERR_VALIDATION, "Unsupported options found for '%s'.\n\nUnsupported options:\n%s\n\nSupported options:\n%s",
                 kafka_is_upsert(opts, nopts) ? "upsert-kafka" : "kafka", sl_strbuf_cstr(&un) + 1, sl_strbuf_cstr(&sup) + 1);
    const char *s = sl_suggest(opts[which[0]].key, keys, n, true);
    if (s) sl_error_hint(err, "did you mean '%s'?", s);
    *bad = which[0];
    for (size_t i = 0; i < no; i++) free(owned[i]);
    free(owned);
    free(keys);
    sl_strbuf_free(&un);
    sl_strbuf_free(&sup);
    return SL_ERR_VALIDATION;
}

static bool declared(const char *k)
{
    for (int i = 0; i < KAFKA_NOPTIONS; i++)
        if (strcmp(kafka_options[i].key, k) == 0) return true;
    for (int i = 0; i < UPSERT_NOPTIONS; i++) /* the generic validation keeps each connector to its own */
        if (strcmp(upsert_options[i].key, k) == 0) return true;
    return false;
}

static const sql_type *sub_row(sl_arena *a, const sql_type *physical, const int *idx, int n, const char *const *names)
{
    sql_type *t = sl_arena_zalloc(a, sizeof *t);
    t->id = SQL_T_ROW;
    t->precision = t->scale = -1;
    t->nfields = n;
    t->field_names = sl_arena_zalloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    t->field_types = sl_arena_zalloc(a, sizeof(sql_type *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        t->field_names[i] = names ? names[i] : physical->field_names[idx[i]];
        t->field_types[i] = physical->field_types[idx[i]];
    }
    return t;
}

static sl_status validation(sl_error *err, int *bad, int index, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static sl_status validation(sl_error *err, int *bad, int index, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *bad = index;
    return sl_error_set(err, SL_ERR_VALIDATION, "%s", msg);
}

sl_status kafka_layout_build(const sl_kv *opts, int nopts, const sql_type *physical, sl_arena *a, kafka_layout *l, int *bad,
                             sl_error *err)
{
    memset(l, 0, sizeof *l);
    *bad = -1;
    int fi = opt_index(opts, nopts, "format"), vfi = opt_index(opts, nopts, "value.format");
    if (fi >= 0 && vfi >= 0)
        return validation(err, bad, vfi, "Options 'format' and 'value.format' cannot both be set: they name the same format.");
    if (fi < 0 && vfi < 0)
        return sl_error_set(err, SL_ERR_VALIDATION, "One or more required options are missing.\n\nMissing required options are:\nformat");
    int vi = fi >= 0 ? fi : vfi;
    l->value_format = opts[vi].value;
    if (!sl_format_exists(l->value_format)) {
        *bad = vi;
        sl_error_set(err, SL_ERR_NOT_FOUND, "Could not find any format factory for identifier '%s'.", l->value_format);
        sl_error_detail(err, "Available format identifiers are: csv, debezium-json, json, raw");
        return SL_ERR_NOT_FOUND;
    }
    int kfi = opt_index(opts, nopts, "key.format"), kfields = opt_index(opts, nopts, "key.fields");
    int kpre = opt_index(opts, nopts, "key.fields-prefix"), inc = opt_index(opts, nopts, "value.fields-include");
    bool except_key = inc >= 0 && strcasecmp(opts[inc].value, "EXCEPT_KEY") == 0;
    const char *prefix = kpre >= 0 ? opts[kpre].value : "";
    if (kfi >= 0) {
        l->key_format = opts[kfi].value;
        if (!sl_format_exists(l->key_format)) {
            *bad = kfi;
            sl_error_set(err, SL_ERR_NOT_FOUND, "Could not find any format factory for identifier '%s'.", l->key_format);
            sl_error_detail(err, "Available format identifiers are: csv, debezium-json, json, raw");
            return SL_ERR_NOT_FOUND;
        }
        if (sl_format_is_changelog(l->key_format))
            return validation(err, bad, kfi, "A key format should only deal with INSERT-only records: '%s' cannot be a key format.",
                              l->key_format);
        if (kfields < 0)
            return validation(err, bad, kfi,
                              "A key format 'key.format' requires the declaration of one or more of key fields using 'key.fields'.");
    } else if (kfields >= 0) {
        return validation(err, bad, kfields, "The option 'key.fields' can only be declared if a key format is defined using 'key.format'.");
    }
    if (kpre >= 0 && prefix[0] && !except_key)
        return validation(err, bad, kpre,
                          "A key prefix is not allowed when option 'value.fields-include' is set to 'ALL'. Set it to 'EXCEPT_KEY' instead "
                          "to avoid field overlaps.");
    if (except_key && kfields < 0)
        return validation(err, bad, inc, "'value.fields-include' = 'EXCEPT_KEY' needs key columns: set 'key.format' and 'key.fields'.");
    /* key columns */
    bool *is_key = sl_arena_zalloc(a, sizeof(bool) * (size_t)(physical->nfields ? physical->nfields : 1));
    if (kfields >= 0) {
        char **names;
        int n = kafka_split_list(a, opts[kfields].value, &names);
        if (n == 0) return validation(err, bad, kfields, "'key.fields' lists no column.");
        l->key_idx = sl_arena_zalloc(a, sizeof(int) * (size_t)n);
        const char **stripped = sl_arena_zalloc(a, sizeof(char *) * (size_t)n);
        for (int k = 0; k < n; k++) {
            int found = -1;
            for (int f = 0; f < physical->nfields; f++)
                if (strcmp(physical->field_names[f], names[k]) == 0) found = f;
            if (found < 0) {
                sl_strbuf cols = SL_STRBUF_INIT;
                for (int f = 0; f < physical->nfields; f++) sl_strbuf_printf(&cols, "%s'%s'", f ? ", " : "", physical->field_names[f]);
                validation(err, bad, kfields,
                           "Could not find the field '%s' in the table schema for usage in the key format. A key field must be a "
                           "regular, physical column. The following columns can be selected in the 'key.fields' option: [%s]",
                           names[k], sl_strbuf_cstr(&cols));
                sl_strbuf_free(&cols);
                return SL_ERR_VALIDATION;
            }
            if (is_key[found]) return validation(err, bad, kfields, "'key.fields' lists column '%s' twice.", names[k]);
            if (prefix[0] && strncmp(names[k], prefix, strlen(prefix)) != 0)
                return validation(err, bad, kfields,
                                  "All fields in 'key.fields' must be prefixed with '%s' when option 'key.fields-prefix' is set but field "
                                  "'%s' is not prefixed.",
                                  prefix, names[k]);
            is_key[found] = true;
            l->key_idx[k] = found;
            stripped[k] = names[k] + strlen(prefix);
        }
        l->key_type = sub_row(a, physical, l->key_idx, n, stripped);
    }
    int nv = 0;
    l->value_idx = sl_arena_zalloc(a, sizeof(int) * (size_t)(physical->nfields ? physical->nfields : 1));
    for (int f = 0; f < physical->nfields; f++)
        if (!except_key || !is_key[f]) l->value_idx[nv++] = f;
    l->value_type = sub_row(a, physical, l->value_idx, nv, NULL);
    l->value_is_physical = nv == physical->nfields;
    /* the formats' options */
    const char *const *vkeys = sl_format_option_keys(l->value_format);
    const char *const *kkeys = l->key_format ? sl_format_option_keys(l->key_format) : NULL;
    l->value_opts = sl_arena_zalloc(a, sizeof(sl_kv) * (size_t)(nopts ? nopts : 1));
    l->key_opts = sl_arena_zalloc(a, sizeof(sl_kv) * (size_t)(nopts ? nopts : 1));
    l->value_opt_index = sl_arena_zalloc(a, sizeof(int) * (size_t)(nopts ? nopts : 1));
    l->key_opt_index = sl_arena_zalloc(a, sizeof(int) * (size_t)(nopts ? nopts : 1));
    int *unknown = sl_arena_zalloc(a, sizeof(int) * (size_t)(nopts ? nopts : 1)), nunknown = 0;
    for (int i = 0; i < nopts; i++) {
        const char *k = opts[i].key;
        if (strcmp(k, "connector") == 0 || declared(k) || strncmp(k, "properties.", 11) == 0) continue;
        if (strncmp(k, "value.", 6) == 0 && in_keys(vkeys, k + 6)) {
            l->value_opt_index[l->nvalue_opts] = i;
            l->value_opts[l->nvalue_opts++] = (sl_kv){k + 6, opts[i].value};
        } else if (in_keys(vkeys, k)) {
            l->value_opt_index[l->nvalue_opts] = i;
            l->value_opts[l->nvalue_opts++] = (sl_kv){k, opts[i].value};
        } else if (strncmp(k, "key.", 4) == 0 && in_keys(kkeys, k + 4)) {
            l->key_opt_index[l->nkey_opts] = i;
            l->key_opts[l->nkey_opts++] = (sl_kv){k + 4, opts[i].value};
        } else {
            unknown[nunknown++] = i;
        }
    }
    if (nunknown) return unsupported_options(opts, nopts, unknown, nunknown, l->value_format, l->key_format, bad, err);
    /* option values: create each format once */
    sl_format *f = NULL;
    int fbad = -1;
    sl_status st = sl_format_create(l->value_format, l->value_type, l->value_opts, l->nvalue_opts, 0, &f, &fbad, err);
    sl_format_destroy(f);
    if (st) {
        *bad = fbad >= 0 ? l->value_opt_index[fbad] : vi;
        return st;
    }
    if (l->key_format) {
        f = NULL;
        fbad = -1;
        st = sl_format_create(l->key_format, l->key_type, l->key_opts, l->nkey_opts, 0, &f, &fbad, err);
        sl_format_destroy(f);
        if (st) {
            *bad = fbad >= 0 ? l->key_opt_index[fbad] : kfi;
            return st;
        }
    }
    return SL_OK;
}

/* ---- properties.* -> librdkafka ------------------------------------------------------------------ */

typedef enum prop_kind {
    PK_BATCH,     /* max.poll.records: the source's batch size */
    PK_KBYTES,    /* buffer.memory (bytes) -> queue.buffering.max.kbytes (producer) */
    PK_RENAME,    /* same meaning, other name */
    PK_JAAS,      /* sasl.jaas.config -> sasl.username / sasl.password */
    PK_RESET,     /* auto.offset.reset: Java's 'none' is librdkafka's 'error' */
    PK_COMMIT,    /* commit.offsets.on.checkpoint (a Flink KafkaSource property) */
    PK_PREFIX,    /* client.id.prefix (Flink) */
    PK_DROP,      /* means nothing here; dropped silently */
    PK_DISCOVERY, /* partition.discovery.interval.ms (KafkaSource), flink.partition-discovery.interval-millis (legacy) */
    PK_WARN       /* no equivalent: one warning with the reason */
} prop_kind;

static const struct {
    const char *name;
    prop_kind kind;
    const char *to;
} prop_table[] = {
    {"max.poll.records", PK_BATCH, NULL},
    {"buffer.memory", PK_KBYTES, "queue.buffering.max.kbytes"},
    {"max.request.size", PK_RENAME, "message.max.bytes"},
    {"sasl.jaas.config", PK_JAAS, NULL},
    {"auto.offset.reset", PK_RESET, NULL},
    {"commit.offsets.on.checkpoint", PK_COMMIT, NULL},
    {"client.id.prefix", PK_PREFIX, NULL},
    {"partition.assignment.strategy", PK_DROP, NULL}, /* partitions are assigned by Sluice, as by Flink */
    {"register.consumer.metrics", PK_DROP, NULL},
    {"key.serializer", PK_WARN, "Sluice encodes keys and values with the table's formats"},
    {"value.serializer", PK_WARN, "Sluice encodes keys and values with the table's formats"},
    {"key.deserializer", PK_WARN, "Sluice decodes keys and values with the table's formats"},
    {"value.deserializer", PK_WARN, "Sluice decodes keys and values with the table's formats"},
    {"partition.discovery.interval.ms", PK_DISCOVERY, NULL},
    {"flink.partition-discovery.interval-millis", PK_DISCOVERY, NULL},
};

/* Values of a PlainLoginModule / ScramLoginModule JAAS line: key="value". */
static bool jaas_value(const char *jaas, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = jaas; (p = strstr(p, key)); p += kl) {
        if (p > jaas && !isspace((unsigned char)p[-1])) continue;
        const char *q = p + kl;
        while (isspace((unsigned char)*q)) q++;
        if (*q != '=') continue;
        q++;
        while (isspace((unsigned char)*q)) q++;
        if (*q != '"') continue;
        q++;
        const char *e = strchr(q, '"');
        if (!e || (size_t)(e - q) >= n) return false;
        memcpy(out, q, (size_t)(e - q));
        out[e - q] = 0;
        return true;
    }
    return false;
}

static void warn_line(sl_strbuf *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn_line(sl_strbuf *warnings, const char *fmt, ...)
{
    if (!warnings) return;
    va_list ap;
    va_start(ap, fmt);
    sl_strbuf_vprintf(warnings, fmt, ap);
    va_end(ap);
    sl_strbuf_putc(warnings, '\n');
}

static sl_status conf_set(rd_kafka_conf_t *conf, const sl_kv *o, int index, const char *name, const char *value, int *bad,
                          sl_error *err)
{
    char errstr[512];
    rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr);
    if (r == RD_KAFKA_CONF_OK) return SL_OK;
    *bad = index;
    sl_error_set(err, SL_ERR_VALIDATION, "Invalid value for option '%s': '%s' (%s).", o->key, o->value, errstr);
    return SL_ERR_VALIDATION;
}

sl_status kafka_apply_properties(const sl_kv *opts, int nopts, bool consumer, rd_kafka_conf_t *conf, kafka_client_opts *co,
                                 sl_strbuf *warnings, int *bad, sl_error *err)
{
    memset(co, 0, sizeof *co);
    co->commit_offsets = true;
    char why[256];
    for (int i = 0; i < nopts; i++) {
        const sl_kv *o = &opts[i];
        if (strncmp(o->key, "properties.", 11) != 0) continue;
        const char *name = o->key + 11, *value = o->value;
        int t = -1;
        for (size_t k = 0; k < sizeof prop_table / sizeof prop_table[0]; k++)
            if (strcmp(prop_table[k].name, name) == 0) t = (int)k;
        sl_status st = SL_OK;
        if (t >= 0) {
            switch (prop_table[t].kind) {
            case PK_BATCH: {
                int64_t v;
                if (!sl_parse_long(value, 1, INT32_MAX, &v, why, sizeof why))
                    return validation(err, bad, i, "Invalid value for option '%s': '%s' (%s).", o->key, value, why);
                co->max_poll_records = (int)v;
                break;
            }
            case PK_KBYTES: {
                int64_t v;
                if (!sl_parse_long(value, 1, INT64_MAX, &v, why, sizeof why))
                    return validation(err, bad, i, "Invalid value for option '%s': '%s' (%s).", o->key, value, why);
                if (!consumer) {
                    char kb[32];
                    int64_t k = (v + 1023) / 1024;
                    if (k > 2147483647) k = 2147483647;
                    snprintf(kb, sizeof kb, "%" PRId64, k);
                    st = conf_set(conf, o, i, prop_table[t].to, kb, bad, err);
                }
                break;
            }
            case PK_RENAME: st = conf_set(conf, o, i, prop_table[t].to, value, bad, err); break;
            case PK_JAAS: {
                char user[256], pass[256];
                if (jaas_value(value, "username", user, sizeof user) && jaas_value(value, "password", pass, sizeof pass)) {
                    if ((st = conf_set(conf, o, i, "sasl.username", user, bad, err))) break;
                    st = conf_set(conf, o, i, "sasl.password", pass, bad, err);
                } else {
                    warn_line(warnings,
                              "'%s' has no librdkafka equivalent except for username=\"...\" password=\"...\" (PLAIN, SCRAM); ignored "
                              "(use 'properties.sasl.username' / 'properties.sasl.password', or librdkafka's sasl.* settings)",
                              o->key);
                }
                break;
            }
            case PK_RESET:
                co->auto_offset_reset = true;
                st = conf_set(conf, o, i, "auto.offset.reset", strcasecmp(value, "none") == 0 ? "error" : value, bad, err);
                break;
            case PK_COMMIT: {
                bool b;
                if (!sl_parse_bool(value, &b, why, sizeof why))
                    return validation(err, bad, i, "Invalid value for option '%s': '%s' (%s).", o->key, value, why);
                co->commit_offsets = b;
                break;
            }
            case PK_PREFIX: co->client_id_prefix = value; break;
            case PK_DISCOVERY: { /* milliseconds; 0 or negative disables (as Flink's Long property) */
                int64_t v;
                if (!sl_parse_long(value, INT64_MIN, INT64_MAX, &v, why, sizeof why))
                    return validation(err, bad, i, "Invalid value for option '%s': '%s' (%s).", o->key, value, why);
                if (!consumer) warn_line(warnings, "'%s' is ignored: only a Kafka source discovers partitions", o->key);
                co->discovery = true;
                co->discovery_ms = v;
                break;
            }
            case PK_DROP: break;
            case PK_WARN: warn_line(warnings, "'%s' is ignored: %s", o->key, prop_table[t].to); break;
            }
            if (st) return st;
            continue;
        }
        char errstr[512];
        rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr);
        if (r == RD_KAFKA_CONF_UNKNOWN) {
            warn_line(warnings, "'%s' is a Kafka Java client property that librdkafka does not have; ignored", o->key);
            continue;
        }
        if (r == RD_KAFKA_CONF_INVALID) {
            *bad = i;
            return sl_error_set(err, SL_ERR_VALIDATION, "Invalid value for option '%s': '%s' (%s).", o->key, value, errstr);
        }
        if (strcmp(name, "group.id") == 0) co->group_id = true;
        else if (strcmp(name, "enable.auto.commit") == 0) co->auto_commit = true;
        else if (strcmp(name, "client.id") == 0) co->client_id = true;
        else if (strcmp(name, "partitioner") == 0) co->partitioner = true;
    }
    return SL_OK;
}

/* ---- the check hook -------------------------------------------------------------------------------- */

static sl_status check_offsets_option(const sl_kv *opts, int nopts, sl_arena *a, const char *mode_key, const char *offsets_key,
                                      const char *ts_key, int ntopics, int *bad, sl_error *err)
{
    int mi = opt_index(opts, nopts, mode_key);
    kafka_mode m = kafka_mode_parse(kafka_opt(opts, nopts, mode_key));
    bool startup = strncmp(mode_key, "scan.startup", 12) == 0;
    const char *what = startup ? "startup" : "bounded";
    if (m == KAFKA_MODE_TIMESTAMP && opt_index(opts, nopts, ts_key) < 0)
        return validation(err, bad, mi, "'%s' is required in 'timestamp' %s mode but missing.", ts_key, what);
    if (m == KAFKA_MODE_SPECIFIC) {
        int oi = opt_index(opts, nopts, offsets_key);
        if (oi < 0) return validation(err, bad, mi, "'%s' is required in 'specific-offsets' %s mode but missing.", offsets_key, what);
        kafka_part_offset *po;
        int n;
        if (!kafka_parse_specific_offsets(a, opts[oi].value, &po, &n))
            return validation(err, bad, oi,
                              "Invalid properties '%s' should follow the format 'partition:0,offset:42;partition:1,offset:300', but is "
                              "'%s'.",
                              offsets_key, opts[oi].value);
        if (ntopics != 1)
            return validation(err, bad, oi, "Currently Kafka source only supports specific offset for single topic.");
    }
    if (m == KAFKA_MODE_GROUP && opt_index(opts, nopts, "properties.group.id") < 0)
        return validation(err, bad, mi >= 0 ? mi : -1,
                          "'properties.group.id' is required in 'group-offsets' %s mode%s: the group's committed offsets are %s.", what,
                          mi < 0 ? " (the default of 'scan.startup.mode')" : "", startup ? "where reading starts" : "where reading ends");
    return SL_OK;
}

/* 'properties.bootstrap.servers' must be host:port,... as Kafka's Java client requires (librdkafka
 * would quietly assume port 9092), so a placeholder such as 'xxx' is caught before the job runs. */
static sl_status check_servers(const sl_kv *opts, int nopts, int *bad, sl_error *err)
{
    int bi = opt_index(opts, nopts, "properties.bootstrap.servers");
    if (bi < 0) return SL_OK;
    const char *s = opts[bi].value;
    if (!*s) return validation(err, bad, bi, "Invalid value for option 'properties.bootstrap.servers': '' (no server).");
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char item[512];
        snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), s);
        char *b = item, *e = item + strlen(item);
        while (isspace((unsigned char)*b)) b++;
        while (e > b && isspace((unsigned char)e[-1])) *--e = 0;
        const char *hp = strstr(b, "://") ? strstr(b, "://") + 3 : b;
        const char *colon = strrchr(hp, ':');
        char *pe = NULL;
        long port = colon ? strtol(colon + 1, &pe, 10) : -1;
        if (!*b || !colon || colon == hp || !colon[1] || *pe || port < 1 || port > 65535) {
            *bad = bi;
            sl_error_set(err, SL_ERR_VALIDATION, "Invalid value for option 'properties.bootstrap.servers': '%s' (invalid url '%s': expected host:port).",
                         opts[bi].value, b);
            sl_error_hint(err, "list the brokers as host:port,host:port (e.g. the bootstrap.servers line that 'sluice kafka-dev' prints)");
            return SL_ERR_VALIDATION;
        }
        s = end ? end + 1 : s + len;
    }
    return SL_OK;
}

static sl_status kafka_check(const sl_kv *opts, int nopts, const sql_type *physical, bool as_source, sl_strbuf *warnings, int *bad,
                             sl_error *err)
{
    sl_arena *a = sl_arena_create(0);
    kafka_layout l;
    sl_status st = kafka_layout_build(opts, nopts, physical, a, &l, bad, err);
    if (st) goto out;
    int ti = opt_index(opts, nopts, "topic"), pi = opt_index(opts, nopts, "topic-pattern");
    char **topics;
    int ntopics = ti >= 0 ? kafka_split_list(a, opts[ti].value, &topics) : 0;
    if (ti >= 0 && ntopics == 0) {
        st = validation(err, bad, ti, "Option 'topic' names no topic.");
        goto out;
    }
    if (as_source) {
        if (ti >= 0 && pi >= 0) {
            st = validation(err, bad, pi, "Option 'topic' and 'topic-pattern' shouldn't be set together.");
            goto out;
        }
        if (ti < 0 && pi < 0) {
            st = sl_error_set(err, SL_ERR_VALIDATION, "Either 'topic' or 'topic-pattern' must be set.");
            goto out;
        }
        if (pi >= 0) {
            regex_t re;
            if (regcomp(&re, opts[pi].value, REG_EXTENDED | REG_NOSUB) != 0) {
                st = validation(err, bad, pi, "Invalid value for option 'topic-pattern': '%s' is not a valid regular expression.",
                                opts[pi].value);
                goto out;
            }
            regfree(&re);
        }
        if ((st = check_offsets_option(opts, nopts, a, "scan.startup.mode", "scan.startup.specific-offsets",
                                       "scan.startup.timestamp-millis", pi >= 0 ? 2 : ntopics, bad, err)) ||
            (st = check_offsets_option(opts, nopts, a, "scan.bounded.mode", "scan.bounded.specific-offsets",
                                       "scan.bounded.timestamp-millis", pi >= 0 ? 2 : ntopics, bad, err)))
            goto out;
        int di = opt_index(opts, nopts, "scan.topic-partition-discovery.interval");
        if (di >= 0 && kafka_mode_parse(kafka_opt(opts, nopts, "scan.bounded.mode")) != KAFKA_MODE_UNBOUNDED) {
            int64_t ms = 0;
            if (sl_parse_duration_ms(opts[di].value, &ms, NULL, 0) && ms > 0)
                warn_line(warnings, "'scan.topic-partition-discovery.interval' is ignored: a bounded source ('scan.bounded.mode') "
                                    "reads the partitions it found at the start only, as Flink's");
        }
    } else {
        if (pi >= 0) {
            st = validation(err, bad, pi, "Option 'topic-pattern' is not supported for a Kafka sink: set one 'topic'.");
            goto out;
        }
        if (ti < 0) {
            st = sl_error_set(err, SL_ERR_VALIDATION, "One or more required options are missing.\n\nMissing required options are:\ntopic");
            goto out;
        }
        if (ntopics != 1) {
            st = validation(err, bad, ti, "A Kafka sink writes to one topic, but 'topic' lists %d.", ntopics);
            goto out;
        }
        int spi = opt_index(opts, nopts, "sink.partitioner");
        if (spi >= 0) {
            const char *p = opts[spi].value;
            if (strcasecmp(p, "default") != 0 && strcasecmp(p, "fixed") != 0 && strcasecmp(p, "round-robin") != 0) {
                *bad = spi;
                if (strchr(p, '.')) {
                    st = sl_error_set(err, SL_ERR_UNSUPPORTED, "Custom partitioner class '%s' is not supported: Sluice cannot load Java classes.", p);
                    sl_error_hint(err, "use 'default' (by key, as Kafka's default partitioner), 'fixed' or 'round-robin'");
                } else {
                    st = sl_error_set(err, SL_ERR_VALIDATION,
                                      "Invalid value for option 'sink.partitioner': '%s'. Supported values are [default, fixed, round-robin].", p);
                }
                goto out;
            }
        }
        int gi = opt_index(opts, nopts, "sink.delivery-guarantee"), si = opt_index(opts, nopts, "sink.semantic");
        if (si >= 0) warn_line(warnings, "'sink.semantic' is deprecated: use 'sink.delivery-guarantee'");
        int g = gi >= 0 ? gi : si;
        int xi = opt_index(opts, nopts, "sink.transactional-id-prefix");
        if (g >= 0 && strcasecmp(opts[g].value, "exactly-once") == 0) {
            if (xi < 0) {
                *bad = g;
                st = sl_error_set(err, SL_ERR_VALIDATION, "sink.transactional-id-prefix must be specified when using DeliveryGuarantee.EXACTLY_ONCE.");
                sl_error_hint(err, "add 'sink.transactional-id-prefix' = '<a name unique to this job>' (transactional ids are "
                                   "'<prefix>-<subtask>'), or use 'at-least-once'");
                goto out;
            }
            const char *x = opts[xi].value;
            bool okx = *x != 0 && strlen(x) <= 200;
            for (const char *c = x; okx && *c; c++) okx = isalnum((unsigned char)*c) || *c == '.' || *c == '_' || *c == '-';
            if (!okx) {
                st = validation(err, bad, xi,
                                "Invalid value for option 'sink.transactional-id-prefix': '%s' (1 to 200 ASCII letters, digits, '.', '_' or "
                                "'-': it also names the consumer group '<prefix>-<subtask>-marker').",
                                x);
                goto out;
            }
            if (opt_index(opts, nopts, "properties.transactional.id") >= 0) {
                st = validation(err, bad, opt_index(opts, nopts, "properties.transactional.id"),
                                "Option 'properties.transactional.id' cannot be set on an exactly-once Kafka sink: the transactional ids "
                                "are '<sink.transactional-id-prefix>-<subtask>'.");
                goto out;
            }
        } else if (xi >= 0) {
            warn_line(warnings, "'sink.transactional-id-prefix' only matters with 'sink.delivery-guarantee' = 'exactly-once'; ignored");
        }
    }
    /* client properties, as librdkafka sees them */
    rd_kafka_conf_t *scratch = rd_kafka_conf_new();
    kafka_client_opts co;
    st = kafka_apply_properties(opts, nopts, as_source, scratch, &co, warnings, bad, err);
    rd_kafka_conf_destroy(scratch);
    if (st) goto out;
    st = check_servers(opts, nopts, bad, err);
out:
    sl_arena_destroy(a);
    return st;
}

/* ---- upsert-kafka: the primary key as the message key ----------------------------------------------- */

bool kafka_is_upsert(const sl_kv *opts, int nopts)
{
    const char *c = sl_kv_get(opts, nopts, "connector");
    return c && strcmp(c, "upsert-kafka") == 0;
}

sl_status kafka_upsert_options(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, sl_arena *a,
                               sl_kv **out, int *nout, sl_error *err)
{
    sl_strbuf keys = SL_STRBUF_INIT;
    int nk = 0;
    for (int i = 0; i < npk; i++)
        if (pk[i] >= 0 && pk[i] < physical->nfields) sl_strbuf_printf(&keys, "%s%s", nk++ ? ";" : "", physical->field_names[pk[i]]);
    if (nk == 0) {
        sl_strbuf_free(&keys);
        sl_error_set(err, SL_ERR_VALIDATION,
                     "'upsert-kafka' tables require to define a PRIMARY KEY constraint. The PRIMARY KEY specifies which columns should "
                     "be read from or write to the Kafka message key. The PRIMARY KEY also defines records in the 'upsert-kafka' table "
                     "should update or delete on which keys.");
        sl_error_hint(err, "add e.g. PRIMARY KEY (id) NOT ENFORCED to the table's columns");
        return SL_ERR_VALIDATION;
    }
    sl_kv *kv = sl_arena_zalloc(a, sizeof(sl_kv) * (size_t)(nopts + 2));
    int n = 0;
    for (int i = 0; i < nopts; i++) kv[n++] = opts[i];
    kv[n++] = (sl_kv){"key.fields", sl_arena_strdup(a, sl_strbuf_cstr(&keys))};
    kv[n++] = (sl_kv){"scan.startup.mode", "earliest-offset"}; /* an upsert table is read from its beginning */
    sl_strbuf_free(&keys);
    *out = kv;
    *nout = n;
    return SL_OK;
}

static sl_status upsert_check(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, bool as_source,
                              sl_strbuf *warnings, int *bad, sl_error *err)
{
    int vfi = opt_index(opts, nopts, "value.format");
    if (vfi >= 0 && sl_format_exists(opts[vfi].value) && sl_format_is_changelog(opts[vfi].value))
        return validation(err, bad, vfi, "'upsert-kafka' connector doesn't support '%s' as value format, because '%s' is not in insert-only mode.",
                          opts[vfi].value, opts[vfi].value);
    int gi = opt_index(opts, nopts, "sink.delivery-guarantee");
    if (!as_source && gi >= 0 && strcasecmp(opts[gi].value, "exactly-once") == 0) {
        *bad = gi;
        sl_error_set(err, SL_ERR_UNSUPPORTED, "The 'upsert-kafka' sink does not support 'sink.delivery-guarantee' = 'exactly-once'.");
        sl_error_hint(err, "use 'at-least-once' (the default): an upsert topic is idempotent per key, a replayed row rewrites the same "
                           "latest value; or write to a 'kafka' table with 'exactly-once'");
        return SL_ERR_UNSUPPORTED;
    }
    int mri = opt_index(opts, nopts, "sink.buffer-flush.max-rows"), ivi = opt_index(opts, nopts, "sink.buffer-flush.interval");
    if (!as_source && (mri >= 0 || ivi >= 0)) {
        int64_t rows = mri >= 0 ? strtoll(opts[mri].value, NULL, 10) : 0, ms = 0;
        if (ivi >= 0) sl_parse_duration_ms(opts[ivi].value, &ms, NULL, 0);
        if ((rows > 0) != (ms > 0))
            return validation(err, bad, mri >= 0 ? mri : ivi,
                              "'sink.buffer-flush.max-rows' and 'sink.buffer-flush.interval' must be set to be greater than zero together "
                              "to enable sink buffer flushing.");
    }
    sl_arena *a = sl_arena_create(0);
    sl_kv *kv;
    int n;
    sl_status st = kafka_upsert_options(opts, nopts, physical, pk, npk, a, &kv, &n, err);
    if (!st) {
        st = kafka_check(kv, n, physical, as_source, warnings, bad, err);
        if (st && *bad >= nopts) *bad = -1; /* an option the table does not have ('key.fields' = the primary key) */
    }
    sl_arena_destroy(a);
    return st;
}

/* ---- clients ------------------------------------------------------------------------------------- */

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    kafka_client *c = opaque;
    (void)rk;
    c->last_err = (rd_kafka_resp_err_t)code;
    snprintf(c->last_error, sizeof c->last_error, "%s", reason ? reason : rd_kafka_err2str((rd_kafka_resp_err_t)code));
    if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) c->all_down = true;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[400];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(c->rk, fatal, sizeof fatal);
        c->fatal = true;
        snprintf(c->last_error, sizeof c->last_error, "%s: %s", rd_kafka_err2name(orig), fatal);
    }
    c->pending = true;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    kafka_client *c = rd_kafka_opaque(rk);
    if (level <= 2 || (c && c->log_all)) fprintf(stderr, "sluice: librdkafka %s: %s\n", fac, buf);
}

sl_status kafka_client_new(kafka_client *c, rd_kafka_type_t type, rd_kafka_conf_t *conf, sl_error *err)
{
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    size_t n = 0; /* the length of librdkafka's 'debug' setting, with its NUL */
    c->log_all = rd_kafka_conf_get(conf, "debug", NULL, &n) == RD_KAFKA_CONF_OK && n > 1;
    char errstr[512];
    c->rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot create the Kafka %s: %s", c->table,
                            type == RD_KAFKA_CONSUMER ? "consumer" : "producer", errstr);
    }
    return SL_OK;
}

sl_status kafka_client_metadata(kafka_client *c, rd_kafka_topic_t *rkt, const struct rd_kafka_metadata **md, sl_error *err)
{
    c->all_down = false;
    int64_t deadline = kafka_now_ms() + KAFKA_METADATA_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - kafka_now_ms();
        rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, rkt ? 0 : 1, rkt, md, (int)(left > 1000 ? 1000 : left > 1 ? left : 1));
        if (!e) return SL_OK;
        rd_kafka_poll(c->rk, 0);
        if (c->all_down || c->fatal || kafka_now_ms() >= deadline || e == RD_KAFKA_RESP_ERR__RESOLVE) {
            sl_error_set(err, SL_ERR_KAFKA, "table '%s': cannot reach the Kafka cluster at '%s' (option 'properties.bootstrap.servers'): %s",
                         c->table, c->servers, c->last_error[0] ? c->last_error : rd_kafka_err2str(e));
            sl_error_hint(err, "check that the cluster is running and that 'properties.bootstrap.servers' lists its brokers (host:port,...)");
            return SL_ERR_KAFKA;
        }
    }
}

void kafka_client_warn(kafka_client *c, const char *fmt, ...)
{
    int64_t now = kafka_now_ms();
    if (c->last_warned_ms && now - c->last_warned_ms < 10000) return;
    c->last_warned_ms = now;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    FILE *out = c->job && c->job->err_out ? c->job->err_out : stderr;
    if (c->job) pthread_mutex_lock(&c->job->out_lock);
    fprintf(out, "sluice: warning: table '%s': %s\n", c->table, msg);
    fflush(out);
    if (c->job) pthread_mutex_unlock(&c->job->out_lock);
}

sl_status kafka_client_poll(kafka_client *c, int timeout_ms, sl_error *err)
{
    rd_kafka_poll(c->rk, timeout_ms);
    if (c->fatal)
        return sl_error_set(err, SL_ERR_KAFKA, "table '%s': fatal Kafka client error: %s", c->table, c->last_error);
    if (c->pending) {
        c->pending = false;
        kafka_client_warn(c, "Kafka: %s (retrying)", c->last_error);
    }
    return SL_OK;
}

void kafka_client_destroy(kafka_client *c)
{
    if (!c->rk) return;
    rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    c->rk = NULL;
}

sl_status kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, sl_error *err)
{
    char errstr[256];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) == RD_KAFKA_CONF_OK) return SL_OK;
    return sl_error_set(err, SL_ERR_INTERNAL, "cannot set librdkafka's '%s' to '%s': %s", name, value, errstr);
}

sl_status kafka_resolve_args(const sl_conn_args *args, sl_arena *a, sl_conn_args *up, bool *upsert, sl_error *err)
{
    *up = *args;
    *upsert = kafka_is_upsert(args->opts, args->nopts);
    if (!*upsert) return SL_OK;
    sl_kv *opts;
    int nopts;
    sl_status st = kafka_upsert_options(args->opts, args->nopts, args->physical, args->pk, args->npk, a, &opts, &nopts, err);
    if (st) {
        sl_error_detail(err, "table '%s'", args->table ? args->table : "?");
        return st;
    }
    up->opts = opts;
    up->nopts = nopts;
    return SL_OK;
}
