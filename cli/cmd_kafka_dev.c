/* cli/cmd_kafka_dev.c — `sluice kafka-dev`: runs a development Kafka cluster (librdkafka's mock
 * cluster, in memory) in the foreground until SIGINT or SIGTERM.
 *
 * Signals are not caught by a handler: the command blocks SIGINT/SIGTERM in this thread before
 * the cluster's threads start (they inherit the mask) and reads them from a signalfd, next to
 * standard input, where it takes control commands (down N, up N, rtt N MS). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/mem.h"
#include "connectors/kafka/kafka_dev.h"

static const char CMD[] = "kafka-dev";

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sluice kafka-dev [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION] ...]\n"
            "                        [--bootstrap-file FILE]\n"
            "\n"
            "Runs a development Kafka cluster in the foreground: librdkafka's mock brokers, in memory,\n"
            "on 127.0.0.1. Prints 'bootstrap.servers=HOST:PORT,...' on standard output once it is up.\n"
            "Stops on Ctrl-C (SIGINT) or SIGTERM. Not Kafka: data is lost on exit, and each partition\n"
            "keeps only about 5 MiB / 100,000 message sets, silently dropping older data, so give\n"
            "topics enough partitions (e.g. 100 MB needs 20+). Topics not created here are created on\n"
            "first use with 4 partitions.\n"
            "\n"
            "Options:\n"
            "  --brokers N             number of brokers, 1-%d (default 1); broker ids are 1..N\n"
            "  --topic NAME:P[:R]      create topic NAME with P partitions and replication factor R\n"
            "                          (default min(3, N)); repeatable\n"
            "  --bootstrap-file FILE   also write 'bootstrap.servers=...' to FILE (atomically: it\n"
            "                          appears complete or not at all); removed again on exit\n"
            "  -h, --help              show this help\n"
            "\n"
            "Commands on standard input, one per line (for fault tests):\n"
            "  down ID | up ID         take broker ID (or 'all') down / bring it back up\n"
            "  rtt ID MS               add MS milliseconds of round-trip time to broker ID (0 = none)\n",
            CONN_KAFKA_DEV_MAX_BROKERS);
}

static int arg_error(const sl_error *err)
{
    fputs("sluice: ", stderr);
    sl_error_print(stderr, err, NULL, 0);
    fprintf(stderr, "Try 'sluice %s --help'.\n", CMD);
    return 2;
}

/* Matches "--name VALUE" or "--name=VALUE"; returns the value (advancing *i) or NULL. Sets *missing
 * when the option matched but has no value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static bool parse_broker_id(const char *s, int32_t *id)
{
    if (strcmp(s, "all") == 0 || strcmp(s, "-1") == 0) {
        *id = -1;
        return true;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT32_MAX) return false;
    *id = (int32_t)v;
    return true;
}

/* Runs one control command line; answers on stdout ("ok ...") or stderr ("sluice: ..."). */
static void control(conn_kafka_dev *dev, char *line)
{
    char *words[4];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w && n < 4; w = strtok_r(NULL, " \t\r", &save))
        words[n++] = w;
    if (n == 0) return;
    sl_error err;
    sl_error_clear(&err);
    int32_t id;
    sl_status st;
    if ((strcmp(words[0], "down") == 0 || strcmp(words[0], "up") == 0) && n == 2) {
        if (!parse_broker_id(words[1], &id)) {
            fprintf(stderr, "sluice: kafka-dev: invalid broker id '%s'\n", words[1]);
            return;
        }
        bool up = words[0][0] == 'u';
        st = conn_kafka_dev_broker_set_up(dev, id, up, &err);
        if (st == SL_OK) {
            printf("ok broker %s %s\n", words[1], up ? "up" : "down");
            fflush(stdout);
        }
    } else if (strcmp(words[0], "rtt") == 0 && n == 3) {
        char *end;
        long ms = strtol(words[2], &end, 10);
        if (!parse_broker_id(words[1], &id) || end == words[2] || *end || ms < 0 || ms > 3600000) {
            fprintf(stderr, "sluice: kafka-dev: usage: rtt ID MS (MS from 0 to 3600000)\n");
            return;
        }
        st = conn_kafka_dev_broker_set_rtt(dev, id, (int)ms, &err);
        if (st == SL_OK) {
            printf("ok broker %s rtt %ld\n", words[1], ms);
            fflush(stdout);
        }
    } else if (strcmp(words[0], "down") == 0 || strcmp(words[0], "up") == 0 || strcmp(words[0], "rtt") == 0) {
        fprintf(stderr, "sluice: kafka-dev: usage: %s ID%s (ID is a broker id or 'all')\n", words[0],
                words[0][0] == 'r' ? " MS" : "");
        return;
    } else {
        fprintf(stderr, "sluice: kafka-dev: unknown command '%s'; commands: down ID, up ID, rtt ID MS\n", words[0]);
        return;
    }
    if (st != SL_OK) {
        fputs("sluice: kafka-dev: ", stderr);
        sl_error_print(stderr, &err, NULL, 0);
    }
}

/* Waits for SIGINT/SIGTERM on sfd, serving control commands from stdin meanwhile.
 * Returns the signal number, or -1 on an unexpected error. */
static int serve(conn_kafka_dev *dev, int sfd)
{
    char line[256];
    size_t len = 0;
    bool overlong = false, stdin_open = true;
    for (;;) {
        struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        int r = poll(fds, stdin_open ? 2 : 1, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "sluice: kafka-dev: poll failed: %s\n", strerror(errno));
            return -1;
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            ssize_t n = read(sfd, &si, sizeof si);
            if (n == (ssize_t)sizeof si) return (int)si.ssi_signo;
        }
        if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
            char buf[256];
            ssize_t n = (fds[1].revents & POLLNVAL) ? 0 : read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { /* end of input (e.g. </dev/null): keep running, stop reading */
                stdin_open = false;
                continue;
            }
            for (ssize_t k = 0; k < n; k++) {
                if (buf[k] == '\n') {
                    line[len] = '\0';
                    if (overlong)
                        fprintf(stderr, "sluice: kafka-dev: command line too long (max %zu bytes)\n",
                                sizeof line - 1);
                    else
                        control(dev, line);
                    len = 0;
                    overlong = false;
                } else if (len + 1 < sizeof line) {
                    line[len++] = buf[k];
                } else {
                    overlong = true;
                }
            }
        }
    }
}

int sl_cmd_kafka_dev(int argc, char **argv)
{
    int brokers = 1;
    const char *bootstrap_file = NULL;
    conn_kafka_dev_topic *topics = NULL;
    size_t ntopics = 0, cap = 0;
    int status = 0;
    sl_error err;
    sl_error_clear(&err);

    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            goto out;
        } else if ((v = opt_value(argc, argv, &i, "--brokers", &missing))) {
            char *end;
            errno = 0;
            long b = strtol(v, &end, 10);
            if (errno || end == v || *end || b < 1 || b > CONN_KAFKA_DEV_MAX_BROKERS) {
                status = sl_cli_usage_error(CMD, "invalid number of brokers '%s': must be a whole number from 1 to %d",
                                            v, CONN_KAFKA_DEV_MAX_BROKERS);
                goto out;
            }
            brokers = (int)b;
        } else if ((v = opt_value(argc, argv, &i, "--topic", &missing))) {
            SL_GROW(topics, cap, ntopics + 1);
            if (conn_kafka_dev_parse_topic(v, &topics[ntopics], &err) != SL_OK) {
                status = arg_error(&err);
                goto out;
            }
            ntopics++;
        } else if ((v = opt_value(argc, argv, &i, "--bootstrap-file", &missing))) {
            if (!*v) {
                status = sl_cli_usage_error(CMD, "option '--bootstrap-file' needs a file name");
                goto out;
            }
            bootstrap_file = v;
        } else if (missing) {
            status = sl_cli_usage_error(CMD, "option '%s' needs a value", argv[i]);
            goto out;
        } else {
            status = sl_cli_usage_error(CMD, "unknown option '%s'", argv[i]);
            goto out;
        }
    }

    /* Block the stop signals before any librdkafka thread exists, so that all threads inherit the
     * mask and the signals queue up for the signalfd. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    int e = pthread_sigmask(SIG_BLOCK, &stop, &old);
    if (e) {
        fprintf(stderr, "sluice: cannot block signals: %s\n", strerror(e));
        status = 1;
        goto out;
    }
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
    if (sfd < 0) {
        fprintf(stderr, "sluice: cannot create a signalfd: %s\n", strerror(errno));
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        status = 1;
        goto out;
    }

    fputs(conn_kafka_dev_warning(), stderr);
    conn_kafka_dev *dev = NULL;
    sl_status st = conn_kafka_dev_start(brokers, topics, ntopics, &dev, &err);
    if (st != SL_OK) {
        status = st == SL_ERR_INVALID ? arg_error(&err) : 1;
        if (st != SL_ERR_INVALID) {
            fputs("sluice: ", stderr);
            sl_error_print(stderr, &err, NULL, 0);
        }
    } else {
        const char *bs = conn_kafka_dev_bootstraps(dev);
        for (size_t i = 0; i < ntopics; i++) {
            int rf = topics[i].replication ? topics[i].replication : (brokers < 3 ? brokers : 3);
            fprintf(stderr, "sluice: kafka-dev: topic '%s': %d partition%s, replication factor %d\n", topics[i].name,
                    topics[i].partitions, topics[i].partitions == 1 ? "" : "s", rf);
        }
        if (bootstrap_file && conn_kafka_dev_write_bootstrap_file(bootstrap_file, bs, &err) != SL_OK) {
            fputs("sluice: ", stderr);
            sl_error_print(stderr, &err, NULL, 0);
            status = 1;
        } else {
            printf("bootstrap.servers=%s\n", bs);
            fflush(stdout);
            fprintf(stderr,
                    "sluice: kafka-dev: %d broker%s running; stop with Ctrl-C or SIGTERM "
                    "(stdin commands: down ID, up ID, rtt ID MS)\n",
                    brokers, brokers == 1 ? "" : "s");
            int sig = serve(dev, sfd);
            if (sig < 0) status = 1;
            else fprintf(stderr, "sluice: kafka-dev: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
            /* The file names a cluster that no longer exists: remove it so nobody waits on it. */
            if (bootstrap_file && unlink(bootstrap_file) != 0 && errno != ENOENT)
                fprintf(stderr, "sluice: kafka-dev: could not remove '%s': %s\n", bootstrap_file, strerror(errno));
        }
        conn_kafka_dev_stop(dev);
    }
    close(sfd);
    /* Consume a second stop signal that may still be pending, so unblocking cannot kill us. */
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&stop, NULL, &zero) > 0) {}
    pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
    free(topics);
    return status;
}
