/* cli/commands.h — the `sluice` subcommands. Each takes argv after the command name
 * (argv[0] is the command name) and returns the process exit status:
 * 0 success, 1 a job or operation failed, 2 bad usage or bad input. */
#ifndef SLUICE_CLI_COMMANDS_H
#define SLUICE_CLI_COMMANDS_H

typedef struct sl_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} sl_command;

/* The table of subcommands, terminated by an entry with name == NULL (cli/main.c). */
extern const sl_command sl_commands[];

int sl_cmd_config(int argc, char **argv);
int sl_cmd_sql(int argc, char **argv);
int sl_cmd_explain(int argc, char **argv);
int sl_cmd_kafka_dev(int argc, char **argv);


/* Prints "sluice: <msg>" plus "Try 'sluice <cmd> --help'." and returns 2. */
int sl_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
