/* connectors/connector.c — the factory registry and Flink-style option validation; see
 * connector.h. */
#include "connectors/connector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/strbuf.h"
#include "common/suggest.h"
#include "runtime/ops.h"
#include "runtime/task.h"

static const sl_connector *const factories[] = {&sl_connector_blackhole, &sl_connector_datagen, &sl_connector_filesystem,
                                                &sl_connector_kafka,     &sl_connector_print,   &sl_connector_socket,
                                                &sl_connector_upsert_kafka};
enum { NFACTORIES = sizeof factories / sizeof factories[0] };

/* Connectors Flink has that arrive with a later capability. */
static const char *const later[] = {NULL};

const sl_connector *sl_connector_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < NFACTORIES; i++) {
        if (strcmp(factories[i]->name, name) == 0) return factories[i];
        for (const char *const *a = factories[i]->aliases; a && *a; a++)
            if (strcmp(*a, name) == 0) return factories[i];
    }
    return NULL;
}

sl_status sl_connector_check_metadata(const sl_kv *opts, int nopts, const char *table, int nmeta, bool as_source, sl_error *err)
{
    const char *name = sl_kv_get(opts, nopts, "connector");
    const sl_connector *c = sl_connector_find(name);
    if (!c || nmeta == 0 || (as_source ? c->reads_metadata : c->writes_metadata)) return SL_OK;
    if (as_source)
        sl_error_set(err, SL_ERR_VALIDATION,
                     "Table '%s' declares metadata columns, but the underlying DynamicTableSource of connector '%s' doesn't implement the "
                     "SupportsReadingMetadata interface. Therefore, metadata cannot be declared.",
                     table, name);
    else
        sl_error_set(err, SL_ERR_VALIDATION,
                     "Table '%s' declares persistable metadata columns, but the underlying DynamicTableSink of connector '%s' doesn't "
                     "implement the SupportsWritingMetadata interface. If the column should not be persisted, it can be declared with "
                     "the VIRTUAL keyword.",
                     table, name);
    sl_error_hint(err, "metadata columns are read by the kafka and upsert-kafka connectors (docs/connectors.md)");
    return SL_ERR_VALIDATION;
}

const char *sl_kv_get(const sl_kv *opts, int nopts, const char *key)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].key, key) == 0) return opts[i].value;
    return NULL;
}

const char *sl_conn_opt(const sl_connector *c, const sl_kv *opts, int nopts, const char *key)
{
    const char *v = sl_kv_get(opts, nopts, key);
    if (v) return v;
    for (int i = 0; i < c->noptions; i++)
        if (strcmp(c->options[i].key, key) == 0) return c->options[i].def;
    return NULL;
}

sl_kv *sl_kv_from_json(sl_arena *a, const json_t *obj, int *n)
{
    *n = (int)json_object_size(obj);
    sl_kv *kv = sl_arena_zalloc(a, sizeof(sl_kv) * (size_t)(*n ? *n : 1));
    const char *key;
    json_t *v;
    int i = 0;
    json_object_foreach((json_t *)obj, key, v)
    {
        kv[i].key = sl_arena_strdup(a, key);
        kv[i].value = sl_arena_strdup(a, json_is_string(v) ? json_string_value(v) : "");
        i++;
    }
    return kv;
}

static const sl_option *find_opt(const sl_option *opts, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(opts[i].key, key) == 0) return &opts[i];
    return NULL;
}

/* Whether `key` is one of the connector's field options ("fields.<col>.<suffix>") for an existing
 * column; *opt is the suffix's descriptor. */
static bool field_option(const sl_connector *c, const char *key, const sql_type *physical, const sl_option **opt)
{
    size_t pl = c->field_prefix ? strlen(c->field_prefix) : 0;
    if (!pl || strncmp(key, c->field_prefix, pl) != 0) return false;
    const char *rest = key + pl;
    const char *dot = strrchr(rest, '.');
    if (!dot || dot == rest) return false;
    const sl_option *o = find_opt(c->field_options, c->nfield_options, dot + 1);
    if (!o) return false;
    for (int i = 0; physical && i < physical->nfields; i++)
        if (strlen(physical->field_names[i]) == (size_t)(dot - rest) && strncmp(physical->field_names[i], rest, (size_t)(dot - rest)) == 0) {
            *opt = o;
            return true;
        }
    return false;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

sl_status sl_connector_validate(const sl_kv *opts, int nopts, const sql_type *physical, const int *pk, int npk, bool as_source,
                                sl_strbuf *warnings, int *bad, sl_error *err)
{
    *bad = -1;
    const char *name = sl_kv_get(opts, nopts, "connector");
    if (!name) {
        sl_error_set(err, SL_ERR_VALIDATION, "Table options do not contain an option key 'connector' for discovering a connector.");
        sl_error_hint(err, "add 'connector' = 'datagen' (or filesystem, print, blackhole, socket) to the WITH clause");
        return SL_ERR_VALIDATION;
    }
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].key, "connector") == 0) *bad = i;
    const sl_connector *c = sl_connector_find(name);
    if (!c) {
        for (const char *const *l = later; *l; l++)
            if (strcmp(*l, name) == 0) {
                sl_error_set(err, SL_ERR_UNSUPPORTED, "The '%s' connector is not available in this build of Sluice yet.", name);
                sl_error_hint(err, "the Kafka connector is being built (issue 7); 'sluice explain' already plans such jobs");
                return SL_ERR_UNSUPPORTED;
            }
        sl_strbuf sb = SL_STRBUF_INIT;
        const char *names[NFACTORIES];
        for (int i = 0; i < NFACTORIES; i++) names[i] = factories[i]->name;
        for (int i = 0; i < NFACTORIES; i++) sl_strbuf_printf(&sb, "%s%s", i ? ", " : "", names[i]);
        sl_error_set(err, SL_ERR_NOT_FOUND, "Could not find any factory for identifier '%s'.", name);
        sl_error_detail(err, "Available factory identifiers are: %s", sl_strbuf_cstr(&sb));
        const char *s = sl_suggest(name, names, NFACTORIES, true);
        if (s) sl_error_hint(err, "did you mean '%s'?", s);
        sl_strbuf_free(&sb);
        return SL_ERR_NOT_FOUND;
    }
    if ((as_source && !c->source) || (!as_source && !c->sink)) {
        sl_error_set(err, SL_ERR_VALIDATION, "Connector '%s' can only be used as a %s.", c->name, c->source ? "source" : "sink");
        return SL_ERR_VALIDATION;
    }
    *bad = -1;
    /* the format and its options */
    const char *format = c->format ? sl_kv_get(opts, nopts, "format") : NULL;
    const char *const *fkeys = NULL;
    if (format) {
        if (!sl_format_exists(format)) {
            for (int i = 0; i < nopts; i++)
                if (strcmp(opts[i].key, "format") == 0) *bad = i;
            sl_error_set(err, SL_ERR_NOT_FOUND, "Could not find any format factory for identifier '%s'.", format);
            sl_error_detail(err, "Available format identifiers are: csv, debezium-json, json, raw");
            return SL_ERR_NOT_FOUND;
        }
        fkeys = sl_format_option_keys(format);
    }
    /* unsupported options (all of them, as Flink lists them) */
    sl_strbuf unsupported = SL_STRBUF_INIT;
    int first_bad = -1;
    for (int i = 0; i < nopts; i++) {
        const char *k = opts[i].key;
        const sl_option *o = NULL;
        bool ok = strcmp(k, "connector") == 0 || (c->format && strcmp(k, "format") == 0) || find_opt(c->options, c->noptions, k) ||
                  field_option(c, k, physical, &o);
        for (const char *const *f = fkeys; !ok && f && *f; f++) ok = strcmp(*f, k) == 0;
        for (const char *const *f = c->prefixes; !ok && f && *f; f++) ok = strncmp(*f, k, strlen(*f)) == 0 && k[strlen(*f)];
        if (!ok) {
            sl_strbuf_printf(&unsupported, "\n%s", k);
            if (first_bad < 0) first_bad = i;
        }
    }
    if (first_bad >= 0) {
        sl_strbuf sup = SL_STRBUF_INIT;
        int ns = 0, cap = 8 + c->noptions;
        for (const char *const *f = fkeys; f && *f; f++) cap++;
        const char **keys = sl_xmalloc(sizeof(char *) * (size_t)cap);
        keys[ns++] = "connector";
        if (c->format) keys[ns++] = "format";
        for (int i = 0; i < c->noptions; i++) keys[ns++] = c->options[i].key;
        for (const char *const *f = fkeys; f && *f; f++) keys[ns++] = *f;
        qsort(keys, (size_t)ns, sizeof(char *), cmp_str);
        for (int i = 0; i < ns; i++) sl_strbuf_printf(&sup, "\n%s", keys[i]);
        if (c->field_prefix)
            for (int i = 0; i < c->nfield_options; i++) sl_strbuf_printf(&sup, "\n%s#.%s", c->field_prefix, c->field_options[i].key);
        for (const char *const *f = c->prefixes; f && *f; f++) sl_strbuf_printf(&sup, "\n%s*", *f);
        sl_error_set(err, SL_ERR_VALIDATION, "Unsupported options found for '%s'.\n\nUnsupported options:\n%s\n\nSupported options:\n%s",
                     c->name, sl_strbuf_cstr(&unsupported) + 1, sl_strbuf_cstr(&sup) + 1);
        const char *s = sl_suggest(opts[first_bad].key, keys, (size_t)ns, true);
        if (s) sl_error_hint(err, "did you mean '%s'?", s);
        else if (c->field_prefix && strncmp(opts[first_bad].key, c->field_prefix, strlen(c->field_prefix)) == 0)
            sl_error_hint(err, "field options are '%s<column>.<option>' for a physical column of the table", c->field_prefix);
        free(keys);
        sl_strbuf_free(&sup);
        sl_strbuf_free(&unsupported);
        *bad = first_bad;
        return SL_ERR_VALIDATION;
    }
    sl_strbuf_free(&unsupported);
    /* required options */
    sl_strbuf missing = SL_STRBUF_INIT;
    for (const char *const *r = c->required; r && *r; r++)
        if (!sl_kv_get(opts, nopts, *r)) sl_strbuf_printf(&missing, "\n%s", *r);
    if (c->format && !format) sl_strbuf_puts(&missing, "\nformat");
    if (missing.len) {
        sl_error_set(err, SL_ERR_VALIDATION, "One or more required options are missing.\n\nMissing required options are:\n%s",
                     sl_strbuf_cstr(&missing) + 1);
        sl_strbuf_free(&missing);
        return SL_ERR_VALIDATION;
    }
    sl_strbuf_free(&missing);
    /* value types */
    for (int i = 0; i < nopts; i++) {
        const sl_option *o = find_opt(c->options, c->noptions, opts[i].key);
        if (!o) field_option(c, opts[i].key, physical, &o);
        char why[256] = "";
        if (o && !sl_option_check(o, opts[i].value, why, sizeof why)) {
            *bad = i;
            sl_error_set(err, SL_ERR_VALIDATION, "Invalid value for option '%s': '%s' (%s).", opts[i].key, opts[i].value, why);
            return SL_ERR_VALIDATION;
        }
    }
    if (c->check_keyed || c->check) {
        sl_status st = c->check_keyed ? c->check_keyed(opts, nopts, physical, pk, npk, as_source, warnings, bad, err)
                                      : c->check(opts, nopts, physical, as_source, warnings, bad, err);
        if (st) return st;
    }
    if (format) {
        sl_format *f = NULL;
        int fbad = -1;
        sl_status st = sl_format_create(format, physical, opts, nopts, 0, &f, &fbad, err);
        if (st) {
            *bad = fbad;
            return st;
        }
        sl_format_destroy(f);
    }
    return SL_OK;
}

static sl_status build(const json_t *spec, sl_job_context *job, int subtask, int parallelism, sl_arena *types, bool source,
                       sl_operator **out, sl_error *err)
{
    sl_conn_args a = {0};
    a.table = json_string_value(json_object_get(spec, "table"));
    a.opts = sl_kv_from_json(types, json_object_get(spec, "options"), &a.nopts);
    a.subtask = subtask;
    a.parallelism = parallelism;
    a.job = job;
    a.types = types;
    a.physical = sl_scan_physical_row(spec, types, err);
    if (!a.physical) return err->code;
    /* the primary key: table column indexes in the spec, physical column indexes here */
    const json_t *pkj = json_object_get(spec, "primary_key");
    if (json_is_array(pkj)) {
        const json_t *schema = json_object_get(spec, "schema");
        int *pk = sl_arena_zalloc(types, sizeof(int) * (json_array_size(pkj) + 1));
        int npk = 0;
        size_t i;
        const json_t *c;
        json_array_foreach(pkj, i, c)
        {
            json_int_t col = json_integer_value(c);
            int phys = -1, k = 0;
            for (json_int_t j = 0; j < (json_int_t)json_array_size(schema) && phys < 0; j++) {
                const char *kind = json_string_value(json_object_get(json_array_get(schema, (size_t)j), "kind"));
                bool physical = !kind || strcmp(kind, "physical") == 0;
                if (j == col && physical) phys = k;
                if (physical) k++;
            }
            if (phys >= 0) pk[npk++] = phys;
        }
        a.pk = pk;
        a.npk = npk;
    }
    if (source) {
        a.row = sl_scan_connector_row(spec, types, err);
        if (!a.row) return err->code;
        const char **mk = sl_arena_zalloc(types, sizeof(char *) * (size_t)(a.row->nfields ? a.row->nfields : 1));
        size_t i;
        const json_t *col;
        int k = 0;
        json_array_foreach(json_object_get(spec, "schema"), i, col)
        {
            const char *kind = json_string_value(json_object_get(col, "kind"));
            if (kind && strcmp(kind, "computed") == 0) continue;
            if (k >= a.row->nfields) break;
            const char *key = json_string_value(json_object_get(col, "key"));
            mk[k++] = kind && strcmp(kind, "metadata") == 0 && key ? sl_arena_strdup(types, key) : NULL;
        }
        a.meta_keys = mk;
    } else {
        a.row = a.physical;
        a.input = sl_row_type_from_json(types, json_object_get(spec, "input"), err);
        if (!a.input) return err->code;
        /* the written columns: physical and persisted (non-VIRTUAL) metadata, in table order */
        json_t *fields = json_array();
        size_t i, nmeta = 0;
        const json_t *col;
        json_array_foreach(json_object_get(spec, "schema"), i, col)
        {
            const char *kind = json_string_value(json_object_get(col, "kind"));
            bool meta = kind && strcmp(kind, "metadata") == 0;
            if (meta && json_is_true(json_object_get(col, "virtual"))) continue;
            if (!meta && kind && strcmp(kind, "physical") != 0) continue;
            json_array_append(fields, (json_t *)col);
            nmeta += meta;
        }
        if (nmeta) {
            a.written = sl_row_type_from_json(types, fields, err);
            const char **mk = sl_arena_zalloc(types, sizeof(char *) * json_array_size(fields));
            json_array_foreach(fields, i, col)
            {
                const char *kind = json_string_value(json_object_get(col, "kind")), *key = json_string_value(json_object_get(col, "key"));
                if (kind && strcmp(kind, "metadata") == 0)
                    mk[i] = sl_arena_strdup(types, key ? key : json_string_value(json_object_get(col, "name")));
            }
            a.meta_keys = mk;
        }
        json_decref(fields);
        if (nmeta && !a.written) return err->code;
    }
    int nmeta = 0;
    for (int i = 0; a.meta_keys && i < (source ? a.row : a.written)->nfields; i++) nmeta += a.meta_keys[i] != NULL;
    if (sl_connector_check_metadata(a.opts, a.nopts, a.table ? a.table : "?", nmeta, source, err)) return err->code;
    int bad;
    sl_status st = sl_connector_validate(a.opts, a.nopts, a.physical, a.pk, a.npk, source, NULL, &bad, err);
    if (st) {
        if (bad >= 0) sl_error_detail(err, "table '%s', option '%s'", a.table ? a.table : "?", a.opts[bad].key);
        else sl_error_detail(err, "table '%s'", a.table ? a.table : "?");
        return st;
    }
    const sl_connector *c = sl_connector_find(sl_kv_get(a.opts, a.nopts, "connector"));
    st = source ? c->create_source(&a, out, err) : c->create_sink(&a, out, err);
    if (st) return st;
    if (!(*out)->out_type) (*out)->out_type = source ? a.row : a.input;
    return SL_OK;
}

sl_status sl_connector_source(const json_t *spec, sl_job_context *job, int subtask, int parallelism, sl_arena *types,
                              sl_operator **out, sl_error *err)
{
    return build(spec, job, subtask, parallelism, types, true, out, err);
}

sl_status sl_connector_sink(const json_t *spec, sl_job_context *job, int subtask, int parallelism, sl_arena *types,
                            sl_operator **out, sl_error *err)
{
    return build(spec, job, subtask, parallelism, types, false, out, err);
}
