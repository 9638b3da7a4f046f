/* Unit tests for the configuration system: value syntax, YAML loading, warnings, precedence,
 * and the memory model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/options.h"
#include "common/units.h"

#define MB (1024ULL * 1024)
#define GB (1024ULL * MB)

static char *data_path(const char *name)
{
    static const char *fallback = ".";
    const char *src = getenv("SLUICE_SOURCE_DIR");
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/tests/config/data/%s", src ? src : fallback, name);
    return p;
}

static sl_config *load(const char *name, sl_status expect, sl_error *err)
{
    sl_config *cfg = sl_config_create();
    char *p = data_path(name);
    sl_status st = sl_config_load_file(cfg, p, err);
    if (st != expect) fprintf(stderr, "load %s: status %d, message: %s\n", name, st, err->message);
    assert_int_equal(st, expect);
    free(p);
    return cfg;
}

static void test_memory_syntax(void **state)
{
    (void)state;
    struct {
        const char *in;
        uint64_t bytes;
    } ok[] = {{"1728m", 1728 * MB}, {"4g", 4 * GB},       {"64 mb", 64 * MB},   {"1024", 1024},
              {"512kb", 512 * 1024}, {"1 GB", GB},      {"2t", 2048 * GB},    {"100 bytes", 100},
              {"32KB", 32 * 1024},   {"  7 b ", 7},     {"3 mebibytes", 3 * MB}, {"0", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint64_t b = 0;
        char why[256];
        assert_true(sl_parse_memory(ok[i].in, &b, why, sizeof why));
        assert_int_equal(b, ok[i].bytes);
    }
    const char *bad[] = {"", "g", "1.5g", "4x", "-1m", "10 mbytes", "99999999999999999999", "16777216t"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t b;
        char why[256] = "";
        assert_false(sl_parse_memory(bad[i], &b, why, sizeof why));
        assert_true(strlen(why) > 10);
    }
    char why[256];
    uint64_t b;
    assert_false(sl_parse_memory("1.5g", &b, why, sizeof why));
    assert_non_null(strstr(why, "fractional"));
    char buf[64];
    sl_format_memory(1728 * MB, buf, sizeof buf);
    assert_string_equal(buf, "1728 mb");
    sl_format_memory(4 * GB, buf, sizeof buf);
    assert_string_equal(buf, "4 gb");
    sl_format_memory(1000, buf, sizeof buf);
    assert_string_equal(buf, "1000 bytes");
    sl_format_memory_human(128 * MB, buf, sizeof buf);
    assert_string_equal(buf, "128.000mb (134217728 bytes)");
}

static void test_duration_syntax(void **state)
{
    (void)state;
    struct {
        const char *in;
        int64_t ms;
    } ok[] = {{"10 min", 600000}, {"30s", 30000},     {"500", 500},         {"1 h", 3600000},
              {"2 d", 172800000}, {"100 ms", 100},    {"5 minutes", 300000}, {"3m", 180000},
              {"1 sec", 1000},    {"7 seconds", 7000}, {"2000000 us", 2000}, {"5000000ns", 5},
              {"180000", 180000}, {"1 DAY", 86400000}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t ms = -1;
        char why[256];
        assert_true(sl_parse_duration_ms(ok[i].in, &ms, why, sizeof why));
        assert_int_equal(ms, ok[i].ms);
    }
    const char *bad[] = {"", "min", "10 lightyears", "1.5 s", "-5 s", "99999999999999999999 d"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms;
        char why[256] = "";
        assert_false(sl_parse_duration_ms(bad[i], &ms, why, sizeof why));
        assert_true(strlen(why) > 5);
    }
    char buf[32];
    sl_format_duration(600000, buf, sizeof buf);
    assert_string_equal(buf, "10 min");
    sl_format_duration(1500, buf, sizeof buf);
    assert_string_equal(buf, "1500 ms");
    sl_format_duration(0, buf, sizeof buf);
    assert_string_equal(buf, "0 ms");
}

/* Sets key=value with -D and expects success (ok) or a config error. */
static void expect_set(sl_config *cfg, const char *key, const char *value, int ok)
{
    sl_error err;
    sl_error_clear(&err);
    sl_status st = sl_config_set(cfg, key, value, SL_CONF_SRC_DYNAMIC, "-D", 0, &err);
    if (ok) {
        if (st) fprintf(stderr, "%s=%s: %s (%s)\n", key, value, err.message, err.detail);
        assert_int_equal(st, SL_OK);
    } else {
        assert_int_equal(st, SL_ERR_CONFIG);
        assert_non_null(strstr(err.message, key));
        assert_non_null(strstr(err.message, value));
        assert_true(err.hint[0] != '\0');
    }
}

static void test_typed_values(void **state)
{
    (void)state;
    sl_config *cfg = sl_config_create();
    expect_set(cfg, "cluster.evenly-spread-out-slots", "TRUE", 1);
    assert_true(sl_config_get_bool(cfg, "cluster.evenly-spread-out-slots"));
    expect_set(cfg, "cluster.evenly-spread-out-slots", "yes", 0);
    expect_set(cfg, "parallelism.default", "8", 1);
    assert_int_equal(sl_config_get_int(cfg, "parallelism.default"), 8);
    expect_set(cfg, "parallelism.default", "0", 0);          /* at least 1 */
    expect_set(cfg, "parallelism.default", "4000000000", 0); /* int32 range */
    expect_set(cfg, "parallelism.default", "eight", 0);
    expect_set(cfg, "rest.port", "70000", 0);
    expect_set(cfg, "table.exec.mini-batch.size", "5000000000", 1);
    assert_int_equal(sl_config_get_long(cfg, "table.exec.mini-batch.size"), 5000000000LL);
    expect_set(cfg, "taskmanager.memory.managed.fraction", "0.6", 1);
    assert_true(sl_config_get_double(cfg, "taskmanager.memory.managed.fraction") == 0.6);
    expect_set(cfg, "taskmanager.memory.managed.fraction", "1.0", 0); /* [0, 1) */
    expect_set(cfg, "taskmanager.memory.managed.fraction", "abc", 0);
    expect_set(cfg, "execution.checkpointing.mode", "at_least_once", 1);
    assert_string_equal(sl_config_get_enum(cfg, "execution.checkpointing.mode"), "AT_LEAST_ONCE");
    expect_set(cfg, "execution.checkpointing.mode", "twice", 0);
    expect_set(cfg, "io.tmp.dirs", " /a ; /b ", 1);
    assert_string_equal(sl_config_get_string(cfg, "io.tmp.dirs"), "/a;/b");
    expect_set(cfg, "execution.checkpointing.interval", "0", 0); /* must be > 0 */
    expect_set(cfg, "taskmanager.memory.segment-size", "0", 0);
    sl_config_destroy(cfg);
}

static void test_every_default_is_valid(void **state)
{
    (void)state;
    /* Getters rely on defaults parsing; setting each default as a value must succeed. */
    size_t n;
    const sl_option *opts = sl_options(&n);
    assert_true(n >= 100);
    sl_config *cfg = sl_config_create();
    for (size_t i = 0; i < n; i++) {
        assert_non_null(opts[i].description);
        assert_true(strlen(opts[i].description) > 5);
        if (opts[i].def) expect_set(cfg, opts[i].key, opts[i].def, 1);
        if (opts[i].type == SL_OPT_ENUM) assert_non_null(opts[i].enum_values);
        for (size_t j = 0; j < i; j++) assert_string_not_equal(opts[i].key, opts[j].key);
    }
    assert_int_equal(sl_config_warning_count(cfg), 0);
    sl_config_destroy(cfg);
}

static void test_flat_and_nested_are_equal(void **state)
{
    (void)state;
    sl_error err;
    sl_config *a = load("flat.yaml", SL_OK, &err);
    sl_config *b = load("nested.yaml", SL_OK, &err);
    size_t n;
    const sl_option *opts = sl_options(&n);
    for (size_t i = 0; i < n; i++) {
        const char *va = sl_config_get_string(a, opts[i].key), *vb = sl_config_get_string(b, opts[i].key);
        assert_int_equal(va == NULL, vb == NULL);
        if (va) assert_string_equal(va, vb);
        assert_int_equal(sl_config_is_set(a, opts[i].key), sl_config_is_set(b, opts[i].key));
    }
    assert_int_equal(sl_config_get_memory(b, "taskmanager.memory.process.size"), 2 * GB);
    assert_int_equal(sl_config_get_int(b, "taskmanager.numberOfTaskSlots"), 4);
    assert_int_equal(sl_config_get_duration_ms(b, "execution.checkpointing.interval"), 30000);
    assert_string_equal(sl_config_get_enum(b, "execution.checkpointing.mode"), "AT_LEAST_ONCE");
    assert_string_equal(sl_config_get_string(b, "io.tmp.dirs"), "/tmp/a;/tmp/b");
    assert_int_equal(sl_config_warning_count(a), 0);
    assert_int_equal(sl_config_warning_count(b), 0);
    char src[256];
    sl_config_describe_source(b, "execution.checkpointing.interval", src, sizeof src);
    assert_non_null(strstr(src, "nested.yaml:8"));
    sl_config_destroy(a);
    sl_config_destroy(b);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("duplicate.yaml", SL_ERR_CONFIG, &err);
    assert_string_equal(err.message, "Duplicate configuration key 'parallelism.default'");
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.source, "duplicate.yaml"));
    assert_non_null(strstr(err.detail, "duplicate.yaml:1"));
    assert_non_null(strstr(err.detail, "duplicate.yaml:3"));
    sl_config_destroy(cfg);
    /* A nested key and a flat key that flatten to the same name are duplicates too. */
    cfg = load("duplicate-nested.yaml", SL_ERR_CONFIG, &err);
    assert_int_equal(err.line, 3);
    sl_config_destroy(cfg);
}

static void test_yaml_syntax_error(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("syntax.yaml", SL_ERR_SYNTAX, &err);
    assert_non_null(strstr(err.message, "Invalid YAML"));
    assert_true(err.line >= 2);
    assert_true(err.col > 0);
    sl_config_destroy(cfg);
}

static void test_invalid_values_in_file(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("bad-memory.yaml", SL_ERR_CONFIG, &err);
    assert_string_equal(err.message, "Could not parse value '4x' for key 'taskmanager.memory.process.size'");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 34);
    assert_non_null(strstr(err.hint, "memory size"));
    sl_config_destroy(cfg);
    cfg = load("bad-duration.yaml", SL_ERR_CONFIG, &err);
    assert_non_null(strstr(err.detail, "unknown time unit"));
    sl_config_destroy(cfg);
    cfg = load("bad-enum.yaml", SL_ERR_CONFIG, &err);
    assert_non_null(strstr(err.detail, "EXACTLY_ONCE"));
    sl_config_destroy(cfg);
    cfg = load("bad-fraction.yaml", SL_ERR_CONFIG, &err);
    assert_non_null(strstr(err.detail, "[0, 1)"));
    sl_config_destroy(cfg);
    /* A missing file is an I/O error naming it. */
    cfg = sl_config_create();
    assert_int_equal(sl_config_load_file(cfg, "/nonexistent/conf.yaml", &err), SL_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/conf.yaml"));
    sl_config_destroy(cfg);
}

static void test_unknown_deprecated_noeffect(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("unknown-key.yaml", SL_OK, &err);
    assert_int_equal(sl_config_warning_count(cfg), 1);
    assert_non_null(strstr(sl_config_warning(cfg, 0), "unknown configuration key 'heartbeat.timout'"));
    assert_non_null(strstr(sl_config_warning(cfg, 0), "did you mean 'heartbeat.timeout'?"));
    assert_non_null(strstr(sl_config_warning(cfg, 0), "unknown-key.yaml:1"));
    assert_int_equal(sl_config_unknown_count(cfg), 1);
    assert_string_equal(sl_config_unknown_key(cfg, 0), "heartbeat.timout");
    /* the real key is untouched */
    assert_false(sl_config_is_set(cfg, "heartbeat.timeout"));
    sl_config_destroy(cfg);

    cfg = sl_config_create();
    assert_int_equal(sl_config_set(cfg, "state.checkpoints.dir", "file:///ck", SL_CONF_SRC_FILE, "c.yaml", 4, &err), SL_OK);
    assert_string_equal(sl_config_get_string(cfg, "execution.checkpointing.dir"), "file:///ck");
    assert_int_equal(sl_config_warning_count(cfg), 1);
    assert_non_null(strstr(sl_config_warning(cfg, 0), "'state.checkpoints.dir' is deprecated; use 'execution.checkpointing.dir'"));
    assert_int_equal(sl_config_set(cfg, "state.backend", "HashMap", SL_CONF_SRC_FILE, "c.yaml", 5, &err), SL_OK);
    assert_string_equal(sl_config_get_enum(cfg, "state.backend.type"), "hashmap");
    assert_int_equal(sl_config_set(cfg, "env.java.opts.all", "-Xmx4g", SL_CONF_SRC_FILE, "c.yaml", 6, &err), SL_OK);
    assert_int_equal(sl_config_warning_count(cfg), 3);
    assert_non_null(strstr(sl_config_warning(cfg, 2), "c.yaml:6: 'env.java.opts.all' has no effect in Sluice"));
    /* an alias is silent */
    assert_int_equal(sl_config_set(cfg, "rootLogger.level", "debug", SL_CONF_SRC_FILE, "c.yaml", 7, &err), SL_OK);
    assert_string_equal(sl_config_get_enum(cfg, "log.level"), "DEBUG");
    assert_int_equal(sl_config_warning_count(cfg), 3);
    sl_config_destroy(cfg);
}

static void test_precedence(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("flat.yaml", SL_OK, &err);
    const char *where;
    int line;
    /* default */
    assert_int_equal(sl_config_get_int(cfg, "parallelism.default"), 1);
    assert_int_equal(sl_config_source(cfg, "parallelism.default", &where, &line), SL_CONF_SRC_DEFAULT);
    /* file */
    assert_int_equal(sl_config_get_int(cfg, "taskmanager.numberOfTaskSlots"), 4);
    assert_int_equal(sl_config_source(cfg, "taskmanager.numberOfTaskSlots", &where, &line), SL_CONF_SRC_FILE);
    assert_int_equal(line, 3);
    /* -D overrides the file */
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.numberOfTaskSlots=6", &err), SL_OK);
    assert_int_equal(sl_config_get_int(cfg, "taskmanager.numberOfTaskSlots"), 6);
    char src[64];
    sl_config_describe_source(cfg, "taskmanager.numberOfTaskSlots", src, sizeof src);
    assert_string_equal(src, "-D");
    /* SET overrides -D, in a copy: the original is unchanged */
    sl_config *job = sl_config_copy(cfg);
    assert_int_equal(sl_config_set(job, "taskmanager.numberOfTaskSlots", "9", SL_CONF_SRC_SET, "job.sql", 3, &err), SL_OK);
    assert_int_equal(sl_config_get_int(job, "taskmanager.numberOfTaskSlots"), 9);
    sl_config_describe_source(job, "taskmanager.numberOfTaskSlots", src, sizeof src);
    assert_string_equal(src, "job.sql:3");
    assert_int_equal(sl_config_get_int(cfg, "taskmanager.numberOfTaskSlots"), 6);
    /* malformed -D */
    assert_int_equal(sl_config_set_dynamic(cfg, "novalue", &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.hint, "key=value"));
    sl_config_destroy(job);
    sl_config_destroy(cfg);
}

static void test_seed_tuning_file(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("seed-tuning.yaml", SL_OK, &err);
    /* Exactly one warning: env.java.opts has no effect. Every other key takes effect. */
    assert_int_equal(sl_config_warning_count(cfg), 1);
    assert_non_null(strstr(sl_config_warning(cfg, 0), "'env.java.opts' has no effect in Sluice"));
    assert_int_equal(sl_config_unknown_count(cfg), 0);
    assert_int_equal(sl_config_get_duration_ms(cfg, "heartbeat.timeout"), 180000);
    assert_int_equal(sl_config_get_int(cfg, "taskmanager.numberOfTaskSlots"), 15);
    assert_int_equal(sl_config_get_int(cfg, "parallelism.default"), 15);
    assert_int_equal(sl_config_get_memory(cfg, "taskmanager.memory.flink.size"), 4 * GB);
    assert_true(sl_config_get_double(cfg, "taskmanager.memory.managed.fraction") == 0.6);
    assert_int_equal(sl_config_get_duration_ms(cfg, "execution.checkpointing.interval"), 600000);
    assert_int_equal(sl_config_get_duration_ms(cfg, "execution.checkpointing.timeout"), 600000);
    assert_int_equal(sl_config_get_int(cfg, "execution.checkpointing.tolerable-failed-checkpoints"), 10);
    assert_string_equal(sl_config_get_enum(cfg, "execution.checkpointing.externalized-checkpoint-retention"),
                        "RETAIN_ON_CANCELLATION");
    assert_string_equal(sl_config_get_enum(cfg, "execution.checkpointing.mode"), "EXACTLY_ONCE");
    sl_config_destroy(cfg);
}

/* ---- memory model ---- */

static sl_memory_breakdown compute(sl_config *cfg)
{
    sl_memory_breakdown mb;
    sl_error err;
    sl_status st = sl_memory_compute(cfg, &mb, &err);
    if (st) fprintf(stderr, "memory: %s\n", err.message);
    assert_int_equal(st, SL_OK);
    /* invariants */
    assert_int_equal(mb.flink, mb.framework_heap + mb.task_heap + mb.framework_off_heap + mb.task_off_heap +
                                   mb.managed + mb.network);
    assert_int_equal(mb.process, mb.flink + mb.overhead);
    return mb;
}

static void test_memory_flink_documented_example(void **state)
{
    (void)state;
    /* Flink's documented example, taskmanager.memory.process.size: 1728m. Flink itself subtracts
     * 256m of JVM metaspace and gets: overhead 192m, Total Flink 1280m, managed 512m, network
     * 128m, task heap 384m. Sluice has no metaspace, so the same setting gives: */
    sl_config *cfg = sl_config_create();
    sl_error err;
    assert_int_equal(sl_config_set(cfg, "taskmanager.memory.process.size", "1728m", SL_CONF_SRC_FILE, "f", 1, &err), 0);
    sl_memory_breakdown mb = compute(cfg);
    assert_int_equal(mb.process, 1728 * MB);
    assert_int_equal(mb.overhead, 192 * MB); /* 172.8m clamped up to jvm-overhead.min */
    assert_int_equal(mb.flink, 1536 * MB);
    assert_int_equal(mb.managed, 644245094ULL);   /* 0.4 x 1536m = 614.4m, truncated like Flink */
    assert_int_equal(mb.network, 161061273ULL);   /* 0.1 x 1536m = 153.6m */
    assert_int_equal(mb.framework_heap, 128 * MB);
    assert_int_equal(mb.framework_off_heap, 128 * MB);
    assert_int_equal(mb.task_heap, 536870913ULL); /* remainder: 512m + 1 byte of rounding */
    /* No file at all gives the same (registry default 1728m). */
    sl_config *empty = sl_config_create();
    sl_memory_breakdown d = compute(empty);
    assert_int_equal(d.managed, mb.managed);
    assert_int_equal(d.slots, 1);
    assert_int_equal(d.managed_per_slot, d.managed);
    assert_int_equal(d.network_buffers, d.network / (32 * 1024));
    sl_config_destroy(empty);
    sl_config_destroy(cfg);
}

static void test_memory_seed_tuning(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = load("seed-tuning.yaml", SL_OK, &err);
    sl_memory_breakdown mb = compute(cfg);
    assert_int_equal(mb.flink, 4 * GB);
    assert_int_equal(mb.managed, 2576980377ULL);    /* 0.6 x 4g */
    assert_int_equal(mb.network, 429496729ULL);     /* 0.1 x 4g, within [64m, unlimited] */
    assert_int_equal(mb.task_heap, 1020054734ULL);  /* remainder */
    assert_int_equal(mb.overhead, 477218588ULL);    /* 4g x 0.1 / 0.9 */
    assert_int_equal(mb.slots, 15);
    assert_int_equal(mb.managed_per_slot, 2576980377ULL / 15);
    sl_config_destroy(cfg);
}

static void test_memory_fine_grained_and_clamps(void **state)
{
    (void)state;
    sl_error err;
    sl_config *cfg = sl_config_create();
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.task.heap.size=512m", &err), 0);
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.managed.size=1g", &err), 0);
    sl_memory_breakdown mb = compute(cfg);
    /* base = 128m + 128m + 512m + 0 + 1024m = 1792m; network = base x 0.1/0.9 = 199.1m */
    assert_int_equal(mb.task_heap, 512 * MB);
    assert_int_equal(mb.managed, GB);
    assert_int_equal(mb.network, (uint64_t)((double)(1792 * MB) * (0.1 / 0.9)));
    sl_config_destroy(cfg);

    /* Small process: network clamped up to network.min, overhead to jvm-overhead.min. */
    cfg = sl_config_create();
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.process.size=1g", &err), 0);
    mb = compute(cfg);
    assert_int_equal(mb.overhead, 192 * MB);
    assert_int_equal(mb.network, 87241523ULL); /* 0.1 x 832m = 83.2m, above 64m */
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.network.min=100m", &err), 0);
    mb = compute(cfg);
    assert_int_equal(mb.network, 100 * MB);
    /* Large process: overhead clamped down to jvm-overhead.max, network to network.max. */
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.process.size=64g", &err), 0);
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.network.max=1g", &err), 0);
    mb = compute(cfg);
    assert_int_equal(mb.overhead, GB);
    assert_int_equal(mb.network, GB);
    /* Both process and flink sizes: the difference is the overhead. */
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.process.size=4g", &err), 0);
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.flink.size=3584m", &err), 0);
    mb = compute(cfg);
    assert_int_equal(mb.overhead, 512 * MB);
    sl_config_destroy(cfg);
}

static void test_memory_conflicts(void **state)
{
    (void)state;
    sl_error err;
    sl_memory_breakdown mb;
    /* Managed memory larger than the total. */
    sl_config *cfg = sl_config_create();
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.flink.size=1g", &err), 0);
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.managed.size=2g", &err), 0);
    assert_int_equal(sl_memory_compute(cfg, &mb, &err), SL_ERR_CONFIG);
    assert_non_null(strstr(err.message, "Sum of configured Framework Heap Memory (128.000mb (134217728 bytes))"));
    assert_non_null(strstr(err.message, "Managed Memory (2.000gb (2147483648 bytes))"));
    assert_non_null(strstr(err.message, "exceed configured Total Flink Memory (1.000gb (1073741824 bytes))"));
    sl_config_destroy(cfg);
    /* Process and flink sizes whose difference is outside the overhead range. */
    cfg = sl_config_create();
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.process.size=4g", &err), 0);
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.flink.size=4000m", &err), 0);
    assert_int_equal(sl_memory_compute(cfg, &mb, &err), SL_ERR_CONFIG);
    assert_non_null(strstr(err.message, "Derived JVM Overhead size (96.000mb (100663296 bytes)) is not in configured JVM Overhead range [192.000mb"));
    sl_config_destroy(cfg);
    /* min larger than max */
    cfg = sl_config_create();
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.network.min=2g", &err), 0);
    assert_int_equal(sl_config_set_dynamic(cfg, "taskmanager.memory.network.max=1g", &err), 0);
    assert_int_equal(sl_memory_compute(cfg, &mb, &err), SL_ERR_CONFIG);
    assert_non_null(strstr(err.message, "Network Memory min (2.000gb"));
    sl_config_destroy(cfg);
}

static void test_logger_from_config(void **state)
{
    (void)state;
    sl_error err;
    sl_logger lg;
    sl_config *cfg = sl_config_create();
    assert_int_equal(sl_logger_open(cfg, NULL, &lg, &err), SL_OK);
    assert_int_equal(lg.level, SL_LOG_INFO); /* default */
    assert_null(lg.out);                     /* stderr */
    assert_int_equal(sl_config_set(cfg, "rootLogger.level", "warn", SL_CONF_SRC_FILE, "f", 1, &err), SL_OK);
    assert_int_equal(sl_logger_open(cfg, NULL, &lg, &err), SL_OK);
    assert_int_equal(lg.level, SL_LOG_WARN);
    /* A daemon writes to <env.log.dir>/<name>.log. */
    char dir[] = "/tmp/sluice-logtest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char logdir[128];
    snprintf(logdir, sizeof logdir, "%s/logs", dir);
    assert_int_equal(sl_config_set(cfg, "env.log.dir", logdir, SL_CONF_SRC_FILE, "f", 2, &err), SL_OK);
    assert_int_equal(sl_logger_open(cfg, "taskmanager", &lg, &err), SL_OK);
    assert_non_null(lg.out);
    SL_WARN(&lg, "test", "written to the file");
    SL_INFO(&lg, "test", "below the level");
    sl_logger_close(&lg);
    char path[256];
    snprintf(path, sizeof path, "%s/taskmanager.log", logdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512] = "";
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "WARN  test     written to the file"));
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    remove(path);
    rmdir(logdir);
    rmdir(dir);
    /* An unusable directory is an error naming it. */
    assert_int_equal(sl_config_set(cfg, "env.log.dir", "/proc/nope/logs", SL_CONF_SRC_FILE, "f", 3, &err), SL_OK);
    assert_int_equal(sl_logger_open(cfg, "jobmanager", &lg, &err), SL_ERR_IO);
    assert_non_null(strstr(err.message, "/proc/nope/logs"));
    sl_config_destroy(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_syntax),
        cmocka_unit_test(test_duration_syntax),
        cmocka_unit_test(test_typed_values),
        cmocka_unit_test(test_every_default_is_valid),
        cmocka_unit_test(test_flat_and_nested_are_equal),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_invalid_values_in_file),
        cmocka_unit_test(test_unknown_deprecated_noeffect),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_seed_tuning_file),
        cmocka_unit_test(test_memory_flink_documented_example),
        cmocka_unit_test(test_memory_seed_tuning),
        cmocka_unit_test(test_memory_fine_grained_and_clamps),
        cmocka_unit_test(test_memory_conflicts),
        cmocka_unit_test(test_logger_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
