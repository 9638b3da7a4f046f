/* cli/main.c — the `sluice` client: dispatches to subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

const sl_command sl_commands[] = {
    {"config", "print the effective configuration and where each value came from", sl_cmd_config},
    {"sql", "validate a Flink SQL script (running it comes with the runtime)", sl_cmd_sql},
    {"explain", "print the optimized plan of each INSERT in a SQL script", sl_cmd_explain},
    {"kafka-dev", "run a development Kafka cluster (librdkafka mock, in memory)", sl_cmd_kafka_dev},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice [--help] [--version] <command> [<args>]\n"
            "\n"
            "Sluice is a Flink-style stateful stream processing engine with a SQL front end.\n"
            "\n"
            "Commands:\n");
    for (const sl_command *c = sl_commands; c->name; c++) fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nRun 'sluice <command> --help' for a command's options.\n");
}

int sl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sluice: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'sluice %s --help'.\n", cmd);
    else
        fprintf(stderr, "Try 'sluice --help'.\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("sluice %s\n", SLUICE_VERSION);
        return 0;
    }
    if (cmd[0] == '-') return sl_cli_usage_error(NULL, "unknown option '%s'", cmd);
    for (const sl_command *c = sl_commands; c->name; c++)
        if (strcmp(c->name, cmd) == 0) return c->run(argc - 1, argv + 1);
    return sl_cli_usage_error(NULL, "unknown command '%s'", cmd);
}
