#include "cli/cli_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/mem.h"
#include "common/strbuf.h"

void sl_cli_conf_init(sl_cli_conf *cc) { memset(cc, 0, sizeof *cc); }

void sl_cli_conf_free(sl_cli_conf *cc) { free(cc->dyn); }

static void add_dyn(sl_cli_conf *cc, const char *kv)
{
    if (cc->ndyn == cc->cap) {
        cc->cap = cc->cap ? cc->cap * 2 : 8;
        cc->dyn = sl_xrealloc(cc->dyn, (size_t)cc->cap * sizeof *cc->dyn);
    }
    cc->dyn[cc->ndyn++] = kv;
}

void sl_cli_conf_add(sl_cli_conf *cc, const char *kv) { add_dyn(cc, kv); }

int sl_cli_conf_arg(sl_cli_conf *cc, int argc, char **argv, int i)
{
    const char *a = argv[i];
    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
        if (i + 1 >= argc) {
            sl_cli_usage_error(NULL, "option '%s' needs a file name", a);
            return -1;
        }
        cc->path = argv[i + 1];
        return 2;
    }
    if (strncmp(a, "--config=", 9) == 0) {
        cc->path = a + 9;
        return 1;
    }
    if (strcmp(a, "-D") == 0) {
        if (i + 1 >= argc) {
            sl_cli_usage_error(NULL, "option '-D' needs key=value");
            return -1;
        }
        add_dyn(cc, argv[i + 1]);
        return 2;
    }
    if (strncmp(a, "-D", 2) == 0) {
        add_dyn(cc, a + 2);
        return 1;
    }
    return 0;
}

static void print_warnings(const sl_config *cfg)
{
    for (size_t i = 0; i < sl_config_warning_count(cfg); i++)
        fprintf(stderr, "sluice: warning: %s\n", sl_config_warning(cfg, i));
}

sl_config *sl_cli_conf_load(const sl_cli_conf *cc)
{
    sl_config *cfg = sl_config_create();
    sl_error err;
    sl_error_clear(&err);
    char used[4096];
    sl_status st = sl_config_load_default(cfg, cc->path, used, sizeof used, &err);
    for (int i = 0; st == SL_OK && i < cc->ndyn; i++) st = sl_config_set_dynamic(cfg, cc->dyn[i], &err);
    print_warnings(cfg);
    if (st != SL_OK) {
        fputs("sluice: ", stderr);
        sl_error_print(stderr, &err, NULL, 0);
        sl_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}

int sl_cli_read_script(const char *path, sl_strbuf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sluice: cannot read SQL script '%s': %s\n", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sl_strbuf_append(out, buf, n);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        fprintf(stderr, "sluice: error reading SQL script '%s'\n", path);
        return -1;
    }
    return 0;
}
