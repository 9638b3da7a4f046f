/* cli/cmd_config.c — `sluice config`: the effective configuration, where each value came from,
 * the memory breakdown, and the generated configuration reference (docs/configuration.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "common/config.h"
#include "common/memory.h"
#include "common/options.h"
#include "common/suggest.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice config [-c FILE] [-D key=value ...] [--memory | --docs] [KEY ...]\n"
            "\n"
            "Prints the effective value of every configuration key and where it came from\n"
            "(default, FILE:LINE, or -D), so you can check that a setting is in force.\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE   configuration file (default: $SLUICE_CONF_DIR/sluice-conf.yaml,\n"
            "                      else conf/sluice-conf.yaml if present)\n"
            "  -D key=value        override a key (also -Dkey=value); wins over the file\n"
            "  --memory            print the TaskManager memory breakdown\n"
            "  --docs              print the configuration reference (Markdown)\n"
            "  -h, --help          show this help\n"
            "  KEY ...             print only these keys\n");
}

static void print_value_row(const sl_config *cfg, const sl_option *opt)
{
    const char *v = sl_config_get_string(cfg, opt->key);
    char src[300];
    sl_config_describe_source(cfg, opt->key, src, sizeof src);
    const char *note = (opt->flags & SL_OPT_NO_EFFECT) ? "  (no effect in Sluice)" : "";
    printf("%-58s %-28s %s%s\n", opt->key, v ? v : "(none)", src, note);
}

static int print_keys(const sl_config *cfg, int nkeys, char **keys)
{
    int status = 0;
    for (int i = 0; i < nkeys; i++) {
        const sl_option *opt = sl_option_find(keys[i]);
        if (!opt) {
            int deprecated = 0;
            opt = sl_option_find_other_name(keys[i], &deprecated);
            if (opt && deprecated) fprintf(stderr, "sluice: '%s' is deprecated; showing '%s'\n", keys[i], opt->key);
        }
        if (opt) {
            print_value_row(cfg, opt);
            continue;
        }
        const char *v = sl_config_get_string(cfg, keys[i]);
        if (v) {
            char src[300];
            sl_config_describe_source(cfg, keys[i], src, sizeof src);
            printf("%-58s %-28s %s  (unknown key: nothing reads it)\n", keys[i], v, src);
            continue;
        }
        size_t n;
        const sl_option *all = sl_options(&n);
        const char **names = malloc(n * sizeof *names);
        for (size_t k = 0; k < n; k++) names[k] = all[k].key;
        const char *best = sl_suggest(keys[i], names, n, true);
        fprintf(stderr, "sluice: unknown configuration key '%s'%s%s%s\n", keys[i], best ? "; did you mean '" : "",
                best ? best : "", best ? "'?" : "");
        free(names);
        status = 2;
    }
    return status;
}

static void print_all(const sl_config *cfg)
{
    size_t n;
    const sl_option *opts = sl_options(&n);
    printf("%-58s %-28s %s\n", "KEY", "VALUE", "SOURCE");
    for (size_t i = 0; i < n; i++) {
        if ((opts[i].flags & SL_OPT_NO_EFFECT) && !sl_config_is_set(cfg, opts[i].key)) continue;
        print_value_row(cfg, &opts[i]);
    }
    size_t nu = sl_config_unknown_count(cfg);
    if (nu) {
        printf("\nUnknown keys (nothing in Sluice reads them):\n");
        for (size_t i = 0; i < nu; i++) {
            char src[300];
            sl_config_describe_source(cfg, sl_config_unknown_key(cfg, i), src, sizeof src);
            printf("%-58s %-28s %s\n", sl_config_unknown_key(cfg, i), sl_config_unknown_value(cfg, i), src);
        }
    }
}

/* ---- docs/configuration.md ----------------------------------------------------------- */

typedef struct group {
    const char *title;
    const char *const *prefixes;
} group;

static const group groups[] = {
    {"Job and pipeline", (const char *const[]){"parallelism.", "pipeline.", "execution.runtime-mode",
                                               "execution.buffer-timeout", NULL}},
    {"Checkpoints and savepoints", (const char *const[]){"execution.checkpointing.", "execution.savepoint.", NULL}},
    {"TaskManager memory", (const char *const[]){"taskmanager.memory.", "taskmanager.network.", NULL}},
    {"TaskManager", (const char *const[]){"taskmanager.", NULL}},
    {"JobManager, REST, heartbeats and RPC",
     (const char *const[]){"jobmanager.", "rest.", "heartbeat.", "pekko.", "slot.", "cluster.", NULL}},
    {"State backends", (const char *const[]){"state.", "io.tmp.dirs", NULL}},
    {"Table and SQL", (const char *const[]){"table.", NULL}},
    {"Restart strategies", (const char *const[]){"restart-strategy.", NULL}},
    {"High availability", (const char *const[]){"high-availability.", NULL}},
    {"Logging and environment", (const char *const[]){"log.", "env.", NULL}},
};

static int group_of(const sl_option *opt)
{
    if (opt->flags & SL_OPT_NO_EFFECT) return -1;
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        for (const char *const *p = groups[g].prefixes; *p; p++)
            if (strncmp(opt->key, *p, strlen(*p)) == 0) return (int)g;
    return (int)(sizeof groups / sizeof *groups) - 1;
}

static void md_names(const char *label, const char *const *names)
{
    if (!names || !*names) return;
    printf(" %s: ", label);
    for (const char *const *p = names; *p; p++) printf("%s`%s`", p == names ? "" : ", ", *p);
    printf(".");
}

static void print_docs(void)
{
    size_t n;
    const sl_option *opts = sl_options(&n);
    printf("<!-- Generated by `sluice config --docs` from common/options.c. Do not edit by hand:\n"
           "     change the registry, then run `build/bin/sluice config --docs > docs/configuration.md`. -->\n"
           "# Configuration reference\n"
           "\n"
           "Sluice is configured with a flink-conf-style YAML file that uses Flink's key names and value\n"
           "syntax, so Flink settings can be brought across as they are.\n"
           "\n"
           "## Where settings come from\n"
           "\n"
           "Lowest precedence first; a later source overrides an earlier one:\n"
           "\n"
           "1. the defaults listed below;\n"
           "2. the configuration file: `-c FILE`, else `$SLUICE_CONF_DIR/sluice-conf.yaml`, else\n"
           "   `conf/sluice-conf.yaml` in the current directory if it exists;\n"
           "3. `-D key=value` (or `-Dkey=value`) on the command line;\n"
           "4. `SET 'key' = 'value';` in a SQL script.\n"
           "\n"
           "`sluice config [-c FILE] [-D k=v ...] [KEY ...]` prints the effective value of each key and\n"
           "where it came from (`default`, `FILE:LINE`, `-D`), which answers \"is my setting in force?\".\n"
           "`sluice config --memory` prints the TaskManager memory breakdown.\n"
           "\n"
           "## File format\n"
           "\n"
           "Both styles below are read, and flatten to the same keys:\n"
           "\n"
           "```yaml\n"
           "# flat dotted keys (flink-conf.yaml)\n"
           "taskmanager.memory.process.size: 1728m\n"
           "# nested maps (Flink 1.19+ config.yaml)\n"
           "execution:\n"
           "  checkpointing:\n"
           "    interval: 10 min\n"
           "```\n"
           "\n"
           "YAML syntax errors, a key given twice and invalid values are errors that name the file, line,\n"
           "key, value and the expected form; the program exits with status 2. A key Sluice does not know\n"
           "is a warning naming the closest known key. Deprecated Flink names are mapped to the current key\n"
           "with a warning. Flink keys that mean nothing to a native engine (JVM options, YARN) are\n"
           "accepted with a one-line \"has no effect in Sluice\" warning; they are listed at the end.\n"
           "\n"
           "## Value syntax\n"
           "\n"
           "| type | syntax | examples |\n"
           "|---|---|---|\n"
           "| MemorySize | whole number and optional unit, base 1024: `b`/`bytes`, `k`/`kb`, `m`/`mb`, `g`/`gb`, `t`/`tb` (case-insensitive); no unit = bytes; fractions are rejected | `1728m`, `4g`, `64 mb`, `1024` |\n"
           "| Duration | whole number and optional unit: `ns`, `us`, `ms`, `s`/`sec`, `min`/`m`, `h`, `d` (and their long forms); no unit = milliseconds | `10 min`, `30s`, `500` |\n"
           "| Boolean | `true` / `false`, case-insensitive | `true` |\n"
           "| Enum | one of the listed values, case-insensitive | `exactly_once` |\n"
           "| List<String> | values separated by `;`, or a YAML list | `/tmp/a;/tmp/b` |\n"
           "\n"
           "## Memory model\n"
           "\n"
           "A TaskManager's memory follows Flink's model: Total Process Memory = Total Flink Memory +\n"
           "native overhead; Total Flink Memory = framework heap + task heap + framework off-heap + task\n"
           "off-heap + managed memory + network memory. Managed memory is the budget of the RocksDB state\n"
           "backend, divided among the slots; network memory holds the network buffers. The\n"
           "`taskmanager.memory.jvm-overhead.*` keys keep their meaning as the reserve for native\n"
           "allocations outside those budgets. Sluice has no JVM metaspace, so\n"
           "`taskmanager.memory.jvm-metaspace.size` has no effect and nothing is subtracted for it: with\n"
           "`taskmanager.memory.process.size: 1728m`, Flink gets 1280 mb of Total Flink Memory (512 mb\n"
           "managed), Sluice 1536 mb (614.4 mb managed). Set one of `taskmanager.memory.process.size`,\n"
           "`taskmanager.memory.flink.size`, or both `taskmanager.memory.task.heap.size` and\n"
           "`taskmanager.memory.managed.size`; settings that do not add up are rejected with the numbers.\n");
    for (int g = 0; g <= (int)(sizeof groups / sizeof *groups); g++) {
        int gid = g == (int)(sizeof groups / sizeof *groups) ? -1 : g;
        printf("\n## %s\n\n", gid < 0 ? "Accepted with no effect" : groups[gid].title);
        if (gid < 0) {
            printf("These Flink keys are accepted so that existing configuration files load unchanged; each\n"
                   "produces one warning when set.\n\n| Key | Why it has no effect |\n|---|---|\n");
            for (size_t i = 0; i < n; i++)
                if (group_of(&opts[i]) == -1) printf("| `%s` | %s |\n", opts[i].key, opts[i].description);
            continue;
        }
        printf("| Key | Default | Type | Description |\n|---|---|---|---|\n");
        for (size_t i = 0; i < n; i++) {
            const sl_option *o = &opts[i];
            if (group_of(o) != gid) continue;
            printf("| `%s` | %s%s%s | %s | %s", o->key, o->def ? "`" : "", o->def ? o->def : "(none)",
                   o->def ? "`" : "", sl_opt_type_name(o->type), o->description);
            if (o->type == SL_OPT_ENUM) {
                printf(" Values:");
                for (const char *const *v = o->enum_values; *v; v++)
                    printf("%s `%s`", v == o->enum_values ? "" : ",", *v);
                printf(".");
            }
            md_names("Deprecated names", o->deprecated);
            md_names("Also accepted as", o->aliases);
            printf(" |\n");
        }
    }
}

int sl_cmd_config(int argc, char **argv)
{
    sl_cli_conf cc;
    sl_cli_conf_init(&cc);
    bool memory = false, docs = false;
    int nkeys = 0;
    char **keys = calloc((size_t)argc, sizeof *keys);
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int used = sl_cli_conf_arg(&cc, argc, argv, i);
        if (used < 0) {
            status = 2;
            goto out;
        }
        if (used > 0) {
            i += used - 1;
            continue;
        }
        if (strcmp(argv[i], "--memory") == 0) memory = true;
        else if (strcmp(argv[i], "--docs") == 0) docs = true;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            goto out;
        } else if (argv[i][0] == '-') {
            status = sl_cli_usage_error("config", "unknown option '%s'", argv[i]);
            goto out;
        } else {
            keys[nkeys++] = argv[i];
        }
    }
    if (docs) {
        print_docs();
        goto out;
    }
    sl_config *cfg = sl_cli_conf_load(&cc);
    if (!cfg) {
        status = 2;
        goto out;
    }
    if (memory) {
        sl_memory_breakdown mb;
        sl_error err;
        if (sl_memory_compute(cfg, &mb, &err) != SL_OK) {
            fputs("sluice: ", stderr);
            sl_error_print(stderr, &err, NULL, 0);
            status = 2;
        } else {
            sl_memory_print(stdout, &mb);
        }
    } else if (nkeys) {
        status = print_keys(cfg, nkeys, keys);
    } else {
        print_all(cfg);
    }
    sl_config_destroy(cfg);
out:
    sl_cli_conf_free(&cc);
    free(keys);
    return status;
}
