/* cli/cli_conf.h — the configuration options every `sluice` command shares:
 * -c/--config FILE and -D key=value (also -Dkey=value). Commands collect them with
 * sl_cli_conf_arg() while scanning argv, then build the effective configuration with
 * sl_cli_conf_load(), which prints errors and warnings. */
#ifndef SLUICE_CLI_CLI_CONF_H
#define SLUICE_CLI_CLI_CONF_H

#include "common/config.h"

typedef struct sl_cli_conf {
    const char *path;   /* -c FILE, or NULL */
    const char **dyn;   /* -D values in order */
    int ndyn;
    int cap;
} sl_cli_conf;

void sl_cli_conf_init(sl_cli_conf *cc);
void sl_cli_conf_free(sl_cli_conf *cc);
/* Looks at argv[i]: returns the number of arguments consumed (1 or 2) if it is -c/--config or
 * -D, 0 if it is something else, or -1 after printing a usage error (missing value). */
int sl_cli_conf_arg(sl_cli_conf *cc, int argc, char **argv, int i);
/* Adds a -D override ("key=value"; the string must outlive cc). */
void sl_cli_conf_add(sl_cli_conf *cc, const char *kv);
/* Loads file and -D overrides; prints warnings (stderr, "sluice: warning: ...") and, on
 * error, the rendered error. Returns NULL on error (the command should exit 2). */
sl_config *sl_cli_conf_load(const sl_cli_conf *cc);

/* Reads a SQL script ('-' = standard input) into out. Prints the reason and returns -1 on error. */
struct sl_strbuf;
int sl_cli_read_script(const char *path, struct sl_strbuf *out);

#endif
