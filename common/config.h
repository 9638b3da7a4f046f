/* common/config.h — the effective configuration: registry defaults overridden by a
 * flink-conf-style YAML file, then by -D key=value, then by SET in a SQL script.
 *
 * Every value is validated against the registry (common/options.h) when it is set, so a
 * getter never fails. Each value remembers where it came from, which `sluice config` prints
 * ("is my setting in force?"). Problems that do not stop the program (unknown keys,
 * deprecated names, keys with no effect in Sluice) are collected as warnings, in order; the
 * caller prints them.
 *
 * Lookups are linear and meant for setup time, never per record. Not thread-safe: a job
 * takes its own copy (sl_config_copy) before SET statements change it. */
#ifndef SLUICE_COMMON_CONFIG_H
#define SLUICE_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/options.h"

typedef enum sl_conf_source {
    SL_CONF_SRC_DEFAULT = 0, /* registry default */
    SL_CONF_SRC_FILE,        /* the YAML configuration file */
    SL_CONF_SRC_DYNAMIC,     /* -D key=value on the command line */
    SL_CONF_SRC_SET          /* SET 'key' = 'value' in a SQL script */
} sl_conf_source;

typedef struct sl_config sl_config;

sl_config *sl_config_create(void);
void sl_config_destroy(sl_config *cfg);
/* A deep copy (values, sources and warnings). */
sl_config *sl_config_copy(const sl_config *cfg);

/* Loads a YAML file: flat dotted keys and nested maps flatten to the same keys; YAML sequences
 * become ';'-separated lists. Errors (YAML syntax, duplicate key, invalid value, unreadable
 * file) carry file:line:col and stop the load; the config may then hold part of the file. */
sl_status sl_config_load_file(sl_config *cfg, const char *path, sl_error *err);

/* Sets one key. `where` names the origin (file path, "-D", script name) and `line` its line
 * (0 if none). Known keys are validated and normalized; deprecated names are mapped to the
 * current key with a warning; keys with no effect are accepted with a warning; unknown keys are
 * stored with a warning that suggests the closest known key. Setting a key twice from the same
 * file is the caller's concern (sl_config_load_file reports duplicates). */
sl_status sl_config_set(sl_config *cfg, const char *key, const char *value, sl_conf_source src,
                        const char *where, int line, sl_error *err);
/* Parses "key=value" (as given to -D) and sets it with source SL_CONF_SRC_DYNAMIC. */
sl_status sl_config_set_dynamic(sl_config *cfg, const char *key_equals_value, sl_error *err);

/* Chooses the configuration file: `explicit_path` if not NULL (it must exist), else
 * $SLUICE_CONF_DIR/sluice-conf.yaml if SLUICE_CONF_DIR is set (it must exist), else
 * conf/sluice-conf.yaml if it exists in the current directory, else none. Loads it.
 * *loaded_from receives the path used or "" (buffer of n bytes). */
sl_status sl_config_load_default(sl_config *cfg, const char *explicit_path, char *loaded_from,
                                 size_t n, sl_error *err);

/* Typed getters: the effective value (the registry default when unset). The key must be a
 * registered option of the matching type (a mismatch is a programming error and aborts). */
const char *sl_config_get_string(const sl_config *cfg, const char *key); /* NULL if no value */
bool sl_config_get_bool(const sl_config *cfg, const char *key);
int32_t sl_config_get_int(const sl_config *cfg, const char *key);
int64_t sl_config_get_long(const sl_config *cfg, const char *key);
double sl_config_get_double(const sl_config *cfg, const char *key);
uint64_t sl_config_get_memory(const sl_config *cfg, const char *key);    /* bytes */
int64_t sl_config_get_duration_ms(const sl_config *cfg, const char *key); /* milliseconds */
const char *sl_config_get_enum(const sl_config *cfg, const char *key);   /* canonical spelling */
/* True when the key has a value (set by the user, or a registry default exists). */
bool sl_config_has_value(const sl_config *cfg, const char *key);
/* True when the user set the key (file, -D or SET), whatever the value. */
bool sl_config_is_set(const sl_config *cfg, const char *key);

/* Where a key's value came from: source kind, origin name and line (NULL/0 for defaults). */
sl_conf_source sl_config_source(const sl_config *cfg, const char *key, const char **where, int *line);
/* Formats the origin as "default", "conf.yaml:12", "-D" or "job.sql:3". */
void sl_config_describe_source(const sl_config *cfg, const char *key, char *buf, size_t n);

/* Keys that are not in the registry, in the order they were set. */
size_t sl_config_unknown_count(const sl_config *cfg);
const char *sl_config_unknown_key(const sl_config *cfg, size_t i);
const char *sl_config_unknown_value(const sl_config *cfg, size_t i);

/* Warnings collected so far, e.g. "conf.yaml:3: 'env.java.opts' has no effect in Sluice: ...". */
size_t sl_config_warning_count(const sl_config *cfg);
const char *sl_config_warning(const sl_config *cfg, size_t i);

#endif
