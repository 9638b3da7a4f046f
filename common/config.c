/* common/config.c — see config.h. */
#include "common/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "common/mem.h"
#include "common/strbuf.h"
#include "common/suggest.h"
#include "common/units.h"

typedef struct entry {
    char *key;
    char *value; /* normalized text */
    sl_conf_source src;
    char *where; /* origin name, NULL for none */
    int line;
    const sl_option *opt; /* NULL for unknown keys */
} entry;

struct sl_config {
    entry *e;
    size_t n, cap;
    char **warn;
    size_t nwarn, capwarn;
};

/* ---- parsed values ------------------------------------------------------------------ */

typedef union parsed {
    bool b;
    int64_t i;
    double d;
    uint64_t mem;
} parsed;

static bool in_range(sl_opt_range r, double v)
{
    switch (r) {
    case SL_RANGE_ANY: return true;
    case SL_RANGE_POSITIVE: return v > 0;
    case SL_RANGE_NON_NEGATIVE: return v >= 0;
    case SL_RANGE_FRACTION: return v >= 0 && v < 1;
    case SL_RANGE_FRACTION_INCL: return v >= 0 && v <= 1;
    case SL_RANGE_PORT: return v >= 0 && v <= 65535;
    case SL_RANGE_MIN_ONE: return v >= 1;
    }
    return true;
}

/* Parses and normalizes `value` for `opt`. On success returns a heap string with the normalized
 * text (enums in canonical spelling, lists trimmed) and fills *out; on failure returns NULL with
 * the reason in why. */
static char *parse_value(const sl_option *opt, const char *value, parsed *out, char *why, size_t whylen)
{
    parsed p = {0};
    char exp[256];
    switch (opt->type) {
    case SL_OPT_STRING:
        return sl_xstrdup(value);
    case SL_OPT_LIST: {
        /* Trim whitespace around each ';'-separated element. */
        sl_strbuf sb = SL_STRBUF_INIT;
        const char *s = value;
        while (1) {
            const char *semi = strchr(s, ';');
            const char *end = semi ? semi : s + strlen(s);
            while (s < end && (*s == ' ' || *s == '\t')) s++;
            const char *e = end;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
            if (sb.len) sl_strbuf_putc(&sb, ';');
            sl_strbuf_append(&sb, s, (size_t)(e - s));
            if (!semi) break;
            s = semi + 1;
        }
        return sl_strbuf_detach(&sb);
    }
    case SL_OPT_BOOL:
        if (!sl_parse_bool(value, &p.b, why, whylen)) return NULL;
        *out = p;
        return sl_xstrdup(p.b ? "true" : "false");
    case SL_OPT_INT:
    case SL_OPT_LONG: {
        int64_t lo = opt->type == SL_OPT_INT ? INT32_MIN : INT64_MIN;
        int64_t hi = opt->type == SL_OPT_INT ? INT32_MAX : INT64_MAX;
        if (!sl_parse_long(value, lo, hi, &p.i, why, whylen) || !in_range(opt->range, (double)p.i)) {
            snprintf(why, whylen, "expected %s", sl_opt_expected(opt, exp, sizeof exp));
            return NULL;
        }
        *out = p;
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)p.i);
        return sl_xstrdup(buf);
    }
    case SL_OPT_DOUBLE:
        if (!sl_parse_double(value, &p.d, why, whylen) || !in_range(opt->range, p.d)) {
            snprintf(why, whylen, "expected %s", sl_opt_expected(opt, exp, sizeof exp));
            return NULL;
        }
        *out = p;
        return sl_xstrdup(value);
    case SL_OPT_MEMORY:
        if (!sl_parse_memory(value, &p.mem, why, whylen)) return NULL;
        if (!in_range(opt->range, (double)p.mem)) {
            snprintf(why, whylen, "expected a memory size greater than 0");
            return NULL;
        }
        *out = p;
        return sl_xstrdup(value);
    case SL_OPT_DURATION:
        if (!sl_parse_duration_ms(value, &p.i, why, whylen)) return NULL;
        if (!in_range(opt->range, (double)p.i)) {
            snprintf(why, whylen, "expected %s", sl_opt_expected(opt, exp, sizeof exp));
            return NULL;
        }
        *out = p;
        return sl_xstrdup(value);
    case SL_OPT_ENUM:
        for (const char *const *v = opt->enum_values; v && *v; v++) {
            if (strcasecmp(*v, value) == 0) return sl_xstrdup(*v);
        }
        snprintf(why, whylen, "expected %s", sl_opt_expected(opt, exp, sizeof exp));
        return NULL;
    }
    return NULL;
}

bool sl_option_check(const sl_option *opt, const char *value, char *why, size_t whylen)
{
    parsed p;
    char *v = parse_value(opt, value, &p, why, whylen);
    free(v);
    return v != NULL;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

sl_config *sl_config_create(void) { return sl_xcalloc(1, sizeof(sl_config)); }

void sl_config_destroy(sl_config *cfg)
{
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->e[i].key);
        free(cfg->e[i].value);
        free(cfg->e[i].where);
    }
    for (size_t i = 0; i < cfg->nwarn; i++) free(cfg->warn[i]);
    free(cfg->e);
    free(cfg->warn);
    free(cfg);
}

sl_config *sl_config_copy(const sl_config *cfg)
{
    sl_config *c = sl_config_create();
    SL_GROW(c->e, c->cap, cfg->n);
    for (size_t i = 0; i < cfg->n; i++) {
        const entry *s = &cfg->e[i];
        c->e[i] = (entry){sl_xstrdup(s->key), sl_xstrdup(s->value), s->src,
                          s->where ? sl_xstrdup(s->where) : NULL, s->line, s->opt};
    }
    c->n = cfg->n;
    SL_GROW(c->warn, c->capwarn, cfg->nwarn);
    for (size_t i = 0; i < cfg->nwarn; i++) c->warn[i] = sl_xstrdup(cfg->warn[i]);
    c->nwarn = cfg->nwarn;
    return c;
}

static void add_warning(sl_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_warning(sl_config *cfg, const char *fmt, ...)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sl_strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    SL_GROW(cfg->warn, cfg->capwarn, cfg->nwarn + 1);
    cfg->warn[cfg->nwarn++] = sl_strbuf_detach(&sb);
}

static entry *find_entry(const sl_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->e[i].key, key) == 0) return &cfg->e[i];
    return NULL;
}

static void origin(char *buf, size_t n, const char *where, int line)
{
    if (where && line > 0) snprintf(buf, n, "%s:%d", where, line);
    else if (where) snprintf(buf, n, "%s", where);
    else snprintf(buf, n, "default");
}

/* ---- setting values ----------------------------------------------------------------- */

static const char *suggest_key(const char *key)
{
    size_t n;
    const sl_option *opts = sl_options(&n);
    const char **names = sl_xmalloc(n * sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!(opts[i].flags & SL_OPT_NO_EFFECT)) names[k++] = opts[i].key;
    const char *best = sl_suggest(key, names, k, true);
    free(names);
    return best;
}

static sl_status set_value(sl_config *cfg, const char *key, const char *value, sl_conf_source src,
                           const char *where, int line, int col, sl_error *err)
{
    char loc[SL_ERROR_SRC_MAX + 16];
    origin(loc, sizeof loc, where, line);

    const sl_option *opt = sl_option_find(key);
    if (!opt) {
        int deprecated = 0;
        opt = sl_option_find_other_name(key, &deprecated);
        if (opt && deprecated)
            add_warning(cfg, "%s: configuration key '%s' is deprecated; use '%s' instead (the value is applied to '%s')",
                        loc, key, opt->key, opt->key);
    }

    if (!opt) {
        const char *best = suggest_key(key);
        if (best)
            add_warning(cfg, "%s: unknown configuration key '%s' has no effect; did you mean '%s'?", loc, key, best);
        else
            add_warning(cfg, "%s: unknown configuration key '%s' has no effect (see 'sluice config --docs' for the known keys)",
                        loc, key);
    } else if (opt->flags & SL_OPT_NO_EFFECT) {
        add_warning(cfg, "%s: '%s' has no effect in Sluice: %s; ignored", loc, key, opt->description);
    }

    char *norm;
    if (opt) {
        char why[512];
        parsed p;
        norm = parse_value(opt, value, &p, why, sizeof why);
        if (!norm) {
            sl_error_set(err, SL_ERR_CONFIG, "Could not parse value '%s' for key '%s'", value, key);
            sl_error_detail(err, "%s", why);
            char exp[256];
            sl_error_hint(err, "'%s' takes %s", opt->key, sl_opt_expected(opt, exp, sizeof exp));
            sl_error_at(err, where ? where : "", line, col);
            return SL_ERR_CONFIG;
        }
    } else {
        norm = sl_xstrdup(value);
    }

    const char *k = opt ? opt->key : key;
    entry *e = find_entry(cfg, k);
    if (!e) {
        SL_GROW(cfg->e, cfg->cap, cfg->n + 1);
        e = &cfg->e[cfg->n++];
        e->key = sl_xstrdup(k);
    } else {
        free(e->value);
        free(e->where);
    }
    e->value = norm;
    e->src = src;
    e->where = where ? sl_xstrdup(where) : NULL;
    e->line = line;
    e->opt = opt;
    return SL_OK;
}

sl_status sl_config_set(sl_config *cfg, const char *key, const char *value, sl_conf_source src,
                        const char *where, int line, sl_error *err)
{
    return set_value(cfg, key, value, src, where, line, 0, err);
}

sl_status sl_config_set_dynamic(sl_config *cfg, const char *kv, sl_error *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        sl_error_set(err, SL_ERR_INVALID, "Invalid dynamic property '%s'", kv);
        sl_error_hint(err, "write -D key=value, e.g. -D parallelism.default=4");
        return SL_ERR_INVALID;
    }
    char *key = sl_xstrndup(kv, (size_t)(eq - kv));
    /* Trim spaces around the key. */
    char *k = key;
    while (*k == ' ') k++;
    size_t kl = strlen(k);
    while (kl > 0 && k[kl - 1] == ' ') k[--kl] = '\0';
    sl_status st = set_value(cfg, k, eq + 1, SL_CONF_SRC_DYNAMIC, "-D", 0, 0, err);
    free(key);
    return st;
}

/* ---- YAML loading ------------------------------------------------------------------- */

typedef struct seen {
    char *key;
    int line;
} seen;

typedef struct frame {
    char *prefix;    /* "a.b." for nested maps, "" at the root */
    char *key;       /* pending key while waiting for its value */
    int key_line, key_col;
} frame;

typedef struct loader {
    sl_config *cfg;
    const char *path;
    sl_error *err;
    frame *stack;
    size_t depth, cap;
    seen *seen;
    size_t nseen, capseen;
    /* list being collected (YAML sequence value) */
    bool in_list;
    sl_strbuf list;
    int list_line, list_col;
} loader;

static sl_status yaml_fail(loader *ld, int line, int col, const char *fmt, const char *a, const char *b)
{
    sl_error_set(ld->err, SL_ERR_SYNTAX, fmt, a, b);
    sl_error_at(ld->err, ld->path, line, col);
    return SL_ERR_SYNTAX;
}

static sl_status leaf(loader *ld, frame *f, const char *value, int vline, int vcol)
{
    sl_strbuf full = SL_STRBUF_INIT;
    sl_strbuf_puts(&full, f->prefix);
    sl_strbuf_puts(&full, f->key);
    const char *key = sl_strbuf_cstr(&full);
    for (size_t i = 0; i < ld->nseen; i++) {
        if (strcmp(ld->seen[i].key, key) == 0) {
            sl_error_set(ld->err, SL_ERR_CONFIG, "Duplicate configuration key '%s'", key);
            sl_error_detail(ld->err, "'%s' is first set at %s:%d and again at %s:%d", key, ld->path,
                            ld->seen[i].line, ld->path, f->key_line);
            sl_error_hint(ld->err, "remove one of the two lines");
            sl_error_at(ld->err, ld->path, f->key_line, f->key_col);
            sl_strbuf_free(&full);
            return SL_ERR_CONFIG;
        }
    }
    SL_GROW(ld->seen, ld->capseen, ld->nseen + 1);
    ld->seen[ld->nseen++] = (seen){sl_xstrdup(key), f->key_line};
    sl_status st = set_value(ld->cfg, key, value, SL_CONF_SRC_FILE, ld->path, f->key_line, vcol, ld->err);
    (void)vline;
    sl_strbuf_free(&full);
    free(f->key);
    f->key = NULL;
    return st;
}

static void push(loader *ld, const char *prefix)
{
    SL_GROW(ld->stack, ld->cap, ld->depth + 1);
    ld->stack[ld->depth++] = (frame){sl_xstrdup(prefix), NULL, 0, 0};
}

static sl_status handle_event(loader *ld, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    frame *top = ld->depth ? &ld->stack[ld->depth - 1] : NULL;
    switch (ev->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT:
        return SL_OK;
    case YAML_ALIAS_EVENT:
        return yaml_fail(ld, line, col, "YAML aliases are not supported in configuration files%s%s", "", "");
    case YAML_MAPPING_START_EVENT:
        if (ld->in_list)
            return yaml_fail(ld, line, col, "A list of maps is not a valid configuration value%s%s", "", "");
        if (!top) {
            push(ld, "");
            return SL_OK;
        }
        if (!top->key) return yaml_fail(ld, line, col, "A map cannot be used as a configuration key%s%s", "", "");
        {
            sl_strbuf p = SL_STRBUF_INIT;
            sl_strbuf_printf(&p, "%s%s.", top->prefix, top->key);
            push(ld, sl_strbuf_cstr(&p));
            sl_strbuf_free(&p);
            top = &ld->stack[ld->depth - 2];
            free(top->key);
            top->key = NULL;
        }
        return SL_OK;
    case YAML_MAPPING_END_EVENT:
        free(top->prefix);
        free(top->key);
        ld->depth--;
        return SL_OK;
    case YAML_SEQUENCE_START_EVENT:
        if (!top)
            return yaml_fail(ld, line, col, "The configuration file must be a map of keys to values, not a list%s%s", "", "");
        if (ld->in_list)
            return yaml_fail(ld, line, col, "Nested lists are not valid configuration values%s%s", "", "");
        if (!top->key) return yaml_fail(ld, line, col, "A list cannot be used as a configuration key%s%s", "", "");
        ld->in_list = true;
        sl_strbuf_reset(&ld->list);
        ld->list_line = line;
        ld->list_col = col;
        return SL_OK;
    case YAML_SEQUENCE_END_EVENT: {
        ld->in_list = false;
        return leaf(ld, top, sl_strbuf_cstr(&ld->list), ld->list_line, ld->list_col);
    }
    case YAML_SCALAR_EVENT: {
        const char *text = (const char *)ev->data.scalar.value;
        if (!top)
            return yaml_fail(ld, line, col, "The configuration file must be a map of keys to values (found '%s')%s", text, "");
        if (ld->in_list) {
            if (ld->list.len) sl_strbuf_putc(&ld->list, ';');
            sl_strbuf_puts(&ld->list, text);
            return SL_OK;
        }
        if (!top->key) {
            if (text[0] == '\0') return yaml_fail(ld, line, col, "Empty configuration key%s%s", "", "");
            top->key = sl_xstrdup(text);
            top->key_line = line;
            top->key_col = col;
            return SL_OK;
        }
        return leaf(ld, top, text, line, col);
    }
    }
    return SL_OK;
}

sl_status sl_config_load_file(sl_config *cfg, const char *path, sl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_error_set(err, SL_ERR_IO, "Cannot read configuration file '%s': %s", path, strerror(errno));
        sl_error_hint(err, "check the path given with -c or SLUICE_CONF_DIR");
        return SL_ERR_IO;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    loader ld = {.cfg = cfg, .path = path, .err = err};
    sl_status st = SL_OK;
    bool done = false;
    while (!done && st == SL_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = &parser.problem_mark;
            sl_error_set(err, SL_ERR_SYNTAX, "Invalid YAML: %s", parser.problem ? parser.problem : "syntax error");
            if (parser.context)
                sl_error_detail(err, "%s (line %d)", parser.context, (int)parser.context_mark.line + 1);
            sl_error_hint(err, "each line should be 'key: value'; check indentation and quoting");
            sl_error_at(err, path, (int)m->line + 1, (int)m->column + 1);
            st = SL_ERR_SYNTAX;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        st = handle_event(&ld, &ev);
        yaml_event_delete(&ev);
    }
    for (size_t i = 0; i < ld.depth; i++) {
        free(ld.stack[i].prefix);
        free(ld.stack[i].key);
    }
    free(ld.stack);
    for (size_t i = 0; i < ld.nseen; i++) free(ld.seen[i].key);
    free(ld.seen);
    sl_strbuf_free(&ld.list);
    yaml_parser_delete(&parser);
    fclose(f);
    return st;
}

static bool file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

sl_status sl_config_load_default(sl_config *cfg, const char *explicit_path, char *loaded_from, size_t n,
                                 sl_error *err)
{
    char path[4096];
    if (loaded_from && n) loaded_from[0] = '\0';
    if (explicit_path) {
        if (!file_exists(explicit_path)) {
            sl_error_set(err, SL_ERR_NOT_FOUND, "Configuration file '%s' does not exist", explicit_path);
            sl_error_hint(err, "pass an existing YAML file with -c, or leave -c out to use conf/sluice-conf.yaml");
            return SL_ERR_NOT_FOUND;
        }
        snprintf(path, sizeof path, "%s", explicit_path);
    } else if (getenv("SLUICE_CONF_DIR") && getenv("SLUICE_CONF_DIR")[0]) {
        snprintf(path, sizeof path, "%s/sluice-conf.yaml", getenv("SLUICE_CONF_DIR"));
        if (!file_exists(path)) {
            sl_error_set(err, SL_ERR_NOT_FOUND, "Configuration file '%s' does not exist", path);
            sl_error_detail(err, "SLUICE_CONF_DIR is set to '%s'", getenv("SLUICE_CONF_DIR"));
            sl_error_hint(err, "create the file, fix SLUICE_CONF_DIR, or unset it");
            return SL_ERR_NOT_FOUND;
        }
    } else if (file_exists("conf/sluice-conf.yaml")) {
        snprintf(path, sizeof path, "conf/sluice-conf.yaml");
    } else {
        return SL_OK;
    }
    if (loaded_from && n) snprintf(loaded_from, n, "%s", path);
    return sl_config_load_file(cfg, path, err);
}

/* ---- getters ------------------------------------------------------------------------ */

static const sl_option *typed_option(const char *key, sl_opt_type t1, sl_opt_type t2)
{
    const sl_option *opt = sl_option_find(key);
    if (!opt || (opt->type != t1 && opt->type != t2)) {
        fprintf(stderr, "sluice: internal error: configuration key '%s' is not registered as %s\n", key,
                sl_opt_type_name(t1));
        abort();
    }
    return opt;
}

/* The effective value text of a registered option, or NULL. */
static const char *value_text(const sl_config *cfg, const sl_option *opt)
{
    const entry *e = find_entry(cfg, opt->key);
    return e ? e->value : opt->def;
}

static parsed get_parsed(const sl_config *cfg, const sl_option *opt)
{
    parsed p = {0};
    const char *v = value_text(cfg, opt);
    if (!v) return p;
    char why[256];
    char *norm = parse_value(opt, v, &p, why, sizeof why);
    if (!norm) {
        /* Values are validated when set and defaults by a test; reaching this is a bug. */
        fprintf(stderr, "sluice: internal error: invalid value '%s' for '%s': %s\n", v, opt->key, why);
        abort();
    }
    free(norm);
    return p;
}

const char *sl_config_get_string(const sl_config *cfg, const char *key)
{
    const sl_option *opt = sl_option_find(key);
    if (!opt) {
        const entry *e = find_entry(cfg, key);
        return e ? e->value : NULL;
    }
    return value_text(cfg, opt);
}

bool sl_config_get_bool(const sl_config *cfg, const char *key)
{
    return get_parsed(cfg, typed_option(key, SL_OPT_BOOL, SL_OPT_BOOL)).b;
}

int32_t sl_config_get_int(const sl_config *cfg, const char *key)
{
    return (int32_t)get_parsed(cfg, typed_option(key, SL_OPT_INT, SL_OPT_INT)).i;
}

int64_t sl_config_get_long(const sl_config *cfg, const char *key)
{
    return get_parsed(cfg, typed_option(key, SL_OPT_LONG, SL_OPT_INT)).i;
}

double sl_config_get_double(const sl_config *cfg, const char *key)
{
    return get_parsed(cfg, typed_option(key, SL_OPT_DOUBLE, SL_OPT_DOUBLE)).d;
}

uint64_t sl_config_get_memory(const sl_config *cfg, const char *key)
{
    return get_parsed(cfg, typed_option(key, SL_OPT_MEMORY, SL_OPT_MEMORY)).mem;
}

int64_t sl_config_get_duration_ms(const sl_config *cfg, const char *key)
{
    return get_parsed(cfg, typed_option(key, SL_OPT_DURATION, SL_OPT_DURATION)).i;
}

const char *sl_config_get_enum(const sl_config *cfg, const char *key)
{
    return value_text(cfg, typed_option(key, SL_OPT_ENUM, SL_OPT_ENUM));
}

bool sl_config_has_value(const sl_config *cfg, const char *key)
{
    return sl_config_get_string(cfg, key) != NULL;
}

bool sl_config_is_set(const sl_config *cfg, const char *key)
{
    return find_entry(cfg, key) != NULL;
}

sl_conf_source sl_config_source(const sl_config *cfg, const char *key, const char **where, int *line)
{
    const entry *e = find_entry(cfg, key);
    if (where) *where = e ? e->where : NULL;
    if (line) *line = e ? e->line : 0;
    return e ? e->src : SL_CONF_SRC_DEFAULT;
}

void sl_config_describe_source(const sl_config *cfg, const char *key, char *buf, size_t n)
{
    const char *where;
    int line;
    sl_config_source(cfg, key, &where, &line);
    origin(buf, n, where, line);
}

size_t sl_config_unknown_count(const sl_config *cfg)
{
    size_t k = 0;
    for (size_t i = 0; i < cfg->n; i++) k += cfg->e[i].opt == NULL;
    return k;
}

static const entry *unknown_at(const sl_config *cfg, size_t idx)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (!cfg->e[i].opt && idx-- == 0) return &cfg->e[i];
    return NULL;
}

const char *sl_config_unknown_key(const sl_config *cfg, size_t i)
{
    const entry *e = unknown_at(cfg, i);
    return e ? e->key : NULL;
}

const char *sl_config_unknown_value(const sl_config *cfg, size_t i)
{
    const entry *e = unknown_at(cfg, i);
    return e ? e->value : NULL;
}

size_t sl_config_warning_count(const sl_config *cfg) { return cfg->nwarn; }

const char *sl_config_warning(const sl_config *cfg, size_t i) { return i < cfg->nwarn ? cfg->warn[i] : NULL; }
