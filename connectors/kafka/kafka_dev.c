/* connectors/kafka/kafka_dev.c — the development Kafka cluster (librdkafka's mock cluster). */
#include "connectors/kafka/kafka_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/mem.h"
#include "common/strbuf.h"

struct conn_kafka_dev {
    rd_kafka_t *rk; /* the handle the mock cluster lives on; never used as a client */
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;
};

const char *conn_kafka_dev_warning(void)
{
    return "sluice: warning: this is an in-memory development Kafka cluster (librdkafka mock), not Kafka.\n"
           "sluice: warning: all data is lost when it exits.\n"
           "sluice: warning: each partition keeps only about 5 MiB or 100,000 message sets and silently\n"
           "sluice: warning: drops older data (fixed in librdkafka 2.0.2): give topics enough partitions\n"
           "sluice: warning: for the data they must hold (e.g. 100 MB needs 20+ partitions).\n";
}

static bool topic_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

/* Parses a positive decimal int in [lo, hi] from s[0..n). */
static bool parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9) return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

sl_status conn_kafka_dev_parse_topic(const char *spec, conn_kafka_dev_topic *out, sl_error *err)
{
    const char *form = "the form is NAME:PARTITIONS or NAME:PARTITIONS:REPLICATION, e.g. orders:15";
    const char *c1 = strchr(spec, ':');
    if (!c1) {
        sl_error_set(err, SL_ERR_INVALID, "topic '%s' has no partition count", spec);
        sl_error_hint(err, "%s", form);
        return SL_ERR_INVALID;
    }
    size_t nlen = (size_t)(c1 - spec);
    if (nlen == 0) {
        sl_error_set(err, SL_ERR_INVALID, "topic '%s' has no name", spec);
        sl_error_hint(err, "%s", form);
        return SL_ERR_INVALID;
    }
    if (nlen > CONN_KAFKA_DEV_TOPIC_NAME_MAX) {
        sl_error_set(err, SL_ERR_INVALID, "topic name is %zu characters long; Kafka allows at most %d", nlen,
                     CONN_KAFKA_DEV_TOPIC_NAME_MAX);
        return SL_ERR_INVALID;
    }
    for (size_t i = 0; i < nlen; i++) {
        if (!topic_char_ok(spec[i])) {
            sl_error_set(err, SL_ERR_INVALID, "illegal character '%c' in topic name '%.*s'", spec[i], (int)nlen,
                         spec);
            sl_error_hint(err, "Kafka topic names use only ASCII letters, digits, '.', '_' and '-'");
            return SL_ERR_INVALID;
        }
    }
    if ((nlen == 1 && spec[0] == '.') || (nlen == 2 && spec[0] == '.' && spec[1] == '.')) {
        sl_error_set(err, SL_ERR_INVALID, "topic name cannot be \".\" or \"..\"");
        return SL_ERR_INVALID;
    }
    const char *pstart = c1 + 1;
    const char *c2 = strchr(pstart, ':');
    size_t plen = c2 ? (size_t)(c2 - pstart) : strlen(pstart);
    int partitions = 0, replication = 0;
    if (!parse_int(pstart, plen, 1, CONN_KAFKA_DEV_MAX_PARTITIONS, &partitions)) {
        sl_error_set(err, SL_ERR_INVALID, "invalid partition count '%.*s' for topic '%.*s'", (int)plen, pstart,
                     (int)nlen, spec);
        sl_error_detail(err, "The partition count must be a whole number from 1 to %d.",
                        CONN_KAFKA_DEV_MAX_PARTITIONS);
        sl_error_hint(err, "%s", form);
        return SL_ERR_INVALID;
    }
    if (c2 && !parse_int(c2 + 1, strlen(c2 + 1), 1, CONN_KAFKA_DEV_MAX_BROKERS, &replication)) {
        sl_error_set(err, SL_ERR_INVALID, "invalid replication factor '%s' for topic '%.*s'", c2 + 1, (int)nlen,
                     spec);
        sl_error_detail(err, "The replication factor must be a whole number from 1 to the number of brokers.");
        sl_error_hint(err, "%s", form);
        return SL_ERR_INVALID;
    }
    memcpy(out->name, spec, nlen);
    out->name[nlen] = '\0';
    out->partitions = partitions;
    out->replication = replication;
    return SL_OK;
}

static void dev_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* One fprintf per line: librdkafka calls this from its own threads. */
    fprintf(stderr, "sluice: kafka-dev: librdkafka %s: %s\n", fac, buf);
}

sl_status conn_kafka_dev_start(int brokers, const conn_kafka_dev_topic *topics, size_t ntopics,
                               conn_kafka_dev **out, sl_error *err)
{
    *out = NULL;
    if (brokers < 1 || brokers > CONN_KAFKA_DEV_MAX_BROKERS) {
        sl_error_set(err, SL_ERR_INVALID, "invalid number of brokers %d", brokers);
        sl_error_detail(err, "The number of brokers must be from 1 to %d.", CONN_KAFKA_DEV_MAX_BROKERS);
        return SL_ERR_INVALID;
    }
    for (size_t i = 0; i < ntopics; i++) {
        if (topics[i].replication > brokers) {
            sl_error_set(err, SL_ERR_INVALID, "replication factor %d for topic '%s' is larger than the %d broker%s",
                         topics[i].replication, topics[i].name, brokers, brokers == 1 ? "" : "s");
            sl_error_hint(err, "Use --brokers %d or more, or a smaller replication factor.", topics[i].replication);
            return SL_ERR_INVALID;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(topics[i].name, topics[j].name) == 0) {
                sl_error_set(err, SL_ERR_INVALID, "topic '%s' is given twice", topics[i].name);
                return SL_ERR_INVALID;
            }
        }
    }

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The handle only hosts the mock cluster; it never connects anywhere. Only warnings and
     * errors from librdkafka are shown. */
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "sluice-kafka-dev", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_ERR_KAFKA, "cannot configure the mock cluster handle: %s", errstr);
    }
    rd_kafka_conf_set_log_cb(conf, dev_log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return sl_error_set(err, SL_ERR_KAFKA, "cannot create the mock cluster handle: %s", errstr);
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        rd_kafka_destroy(rk);
        sl_error_set(err, SL_ERR_KAFKA, "cannot start the mock Kafka cluster");
        sl_error_detail(err, "librdkafka could not create %d mock brokers (listening sockets on 127.0.0.1).",
                        brokers);
        return SL_ERR_KAFKA;
    }
    conn_kafka_dev *dev = sl_xcalloc(1, sizeof *dev);
    dev->rk = rk;
    dev->mcluster = mc;
    dev->brokers = brokers;
    for (size_t i = 0; i < ntopics; i++) {
        int rf = topics[i].replication ? topics[i].replication : (brokers < 3 ? brokers : 3);
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i].name, topics[i].partitions, rf);
        if (e) {
            sl_error_set(err, SL_ERR_KAFKA, "cannot create topic '%s': %s", topics[i].name, rd_kafka_err2str(e));
            conn_kafka_dev_stop(dev);
            return SL_ERR_KAFKA;
        }
    }
    *out = dev;
    return SL_OK;
}

const char *conn_kafka_dev_bootstraps(const conn_kafka_dev *dev)
{
    return rd_kafka_mock_cluster_bootstraps(dev->mcluster);
}

int conn_kafka_dev_broker_count(const conn_kafka_dev *dev)
{
    return dev->brokers;
}

static sl_status check_broker(const conn_kafka_dev *dev, int32_t broker_id, sl_error *err)
{
    if (broker_id == -1 || (broker_id >= 1 && broker_id <= dev->brokers)) return SL_OK;
    sl_error_set(err, SL_ERR_INVALID, "no broker %d", (int)broker_id);
    sl_error_detail(err, "The brokers are numbered 1 to %d (-1 means all of them).", dev->brokers);
    return SL_ERR_INVALID;
}

sl_status conn_kafka_dev_broker_set_up(conn_kafka_dev *dev, int32_t broker_id, bool up, sl_error *err)
{
    sl_status st = check_broker(dev, broker_id, err);
    if (st) return st;
    rd_kafka_resp_err_t e = up ? rd_kafka_mock_broker_set_up(dev->mcluster, broker_id)
                               : rd_kafka_mock_broker_set_down(dev->mcluster, broker_id);
    if (e)
        return sl_error_set(err, SL_ERR_KAFKA, "cannot take broker %d %s: %s", (int)broker_id, up ? "up" : "down",
                            rd_kafka_err2str(e));
    return SL_OK;
}

sl_status conn_kafka_dev_broker_set_rtt(conn_kafka_dev *dev, int32_t broker_id, int rtt_ms, sl_error *err)
{
    sl_status st = check_broker(dev, broker_id, err);
    if (st) return st;
    if (rtt_ms < 0) return sl_error_set(err, SL_ERR_INVALID, "invalid round-trip time %d ms", rtt_ms);
    rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_rtt(dev->mcluster, broker_id, rtt_ms);
    if (e)
        return sl_error_set(err, SL_ERR_KAFKA, "cannot set the round-trip time of broker %d: %s", (int)broker_id,
                            rd_kafka_err2str(e));
    return SL_OK;
}

void conn_kafka_dev_stop(conn_kafka_dev *dev)
{
    if (!dev) return;
    rd_kafka_mock_cluster_destroy(dev->mcluster);
    rd_kafka_destroy(dev->rk);
    free(dev);
}

static sl_status write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return SL_ERR_IO;
        }
        data += w;
        n -= (size_t)w;
    }
    return SL_OK;
}

sl_status conn_kafka_dev_write_bootstrap_file(const char *path, const char *bootstraps, sl_error *err)
{
    sl_strbuf tmp = SL_STRBUF_INIT;
    sl_strbuf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    const char *tmpname = sl_strbuf_cstr(&tmp);
    sl_strbuf body = SL_STRBUF_INIT;
    sl_strbuf_printf(&body, "bootstrap.servers=%s\n", bootstraps);

    sl_status st = SL_OK;
    const char *what = "create";
    int fd = open(tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = SL_ERR_IO;
    } else {
        what = "write";
        if (write_all(fd, body.buf, body.len) != SL_OK || fsync(fd) != 0) st = SL_ERR_IO;
        int saved = errno;
        if (close(fd) != 0 && st == SL_OK) {
            st = SL_ERR_IO;
        } else {
            errno = saved;
        }
        if (st == SL_OK) {
            what = "rename into place";
            if (rename(tmpname, path) != 0) st = SL_ERR_IO;
        }
        if (st != SL_OK) {
            saved = errno;
            unlink(tmpname);
            errno = saved;
        }
    }
    if (st != SL_OK) {
        sl_error_set(err, SL_ERR_IO, "could not %s bootstrap file '%s': %s", what, path, strerror(errno));
    }
    sl_strbuf_free(&tmp);
    sl_strbuf_free(&body);
    return st;
}
