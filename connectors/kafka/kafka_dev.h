/* connectors/kafka/kafka_dev.h — the development Kafka cluster behind `sluice kafka-dev`.
 *
 * It is librdkafka's mock cluster (rdkafka_mock.h): Kafka brokers that live in this process's
 * memory and speak the Kafka protocol on localhost ports, so any client (Sluice's connector,
 * kcat) can use it. It is for development and tests only:
 *   - all data is lost when the cluster stops;
 *   - each partition keeps only about 5 MiB / 100,000 message sets and silently drops older
 *     data (fixed in librdkafka 2.0.2), so give topics enough partitions for what they hold;
 *   - topics are auto-created on first use with 4 partitions (librdkafka's mock default).
 * Nothing in the Kafka connector may depend on it; the connector must work against real Kafka.
 *
 * Threads: librdkafka runs the brokers on its own threads. A conn_kafka_dev is owned by one
 * thread (the one that started it); its functions are not to be called concurrently. */
#ifndef SLUICE_CONNECTORS_KAFKA_DEV_H
#define SLUICE_CONNECTORS_KAFKA_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Limits on what conn_kafka_dev_start accepts. */
#define CONN_KAFKA_DEV_MAX_BROKERS 64
#define CONN_KAFKA_DEV_MAX_PARTITIONS 10000
#define CONN_KAFKA_DEV_TOPIC_NAME_MAX 249 /* Kafka's limit */

/* What a partition of the mock cluster keeps before it drops the oldest data (librdkafka 2.0.2). */
#define CONN_KAFKA_DEV_PARTITION_BYTES (5u * 1024u * 1024u)
#define CONN_KAFKA_DEV_PARTITION_MSGSETS 100000u

/* A topic to create. replication 0 means the default: min(3, brokers), as Kafka's mock does. */
typedef struct conn_kafka_dev_topic {
    char name[CONN_KAFKA_DEV_TOPIC_NAME_MAX + 1];
    int partitions;
    int replication;
} conn_kafka_dev_topic;

/* Parses "name:partitions" or "name:partitions:replication" into *out.
 * Errors (SL_ERR_INVALID) name the spec and the expected form: a missing or non-numeric
 * partition count, a count < 1 or too large, an illegal topic name (Kafka allows ASCII
 * letters, digits, '.', '_' and '-', at most 249 characters, not "." or ".."). */
sl_status conn_kafka_dev_parse_topic(const char *spec, conn_kafka_dev_topic *out, sl_error *err);

typedef struct conn_kafka_dev conn_kafka_dev;

/* Starts a mock cluster of `brokers` brokers (1..CONN_KAFKA_DEV_MAX_BROKERS, ids 1..brokers) and
 * creates the topics. Replication factors must be <= brokers; topic names must be distinct.
 * On success *out owns the cluster (stop it with conn_kafka_dev_stop). On failure nothing is
 * left running and err says why (SL_ERR_INVALID for bad arguments, SL_ERR_KAFKA otherwise). */
sl_status conn_kafka_dev_start(int brokers, const conn_kafka_dev_topic *topics, size_t ntopics,
                               conn_kafka_dev **out, sl_error *err);

/* The cluster's bootstrap servers, "127.0.0.1:port,..." (one per broker); owned by dev. */
const char *conn_kafka_dev_bootstraps(const conn_kafka_dev *dev);

int conn_kafka_dev_broker_count(const conn_kafka_dev *dev);

/* Takes broker `broker_id` down (disconnects its clients, refuses new connections; leadership
 * does not move) or brings it back up. broker_id -1 means all brokers. SL_ERR_INVALID if there
 * is no such broker. */
sl_status conn_kafka_dev_broker_set_up(conn_kafka_dev *dev, int32_t broker_id, bool up, sl_error *err);

/* Adds `rtt_ms` of round-trip latency to broker `broker_id` (-1: all); 0 removes it. */
sl_status conn_kafka_dev_broker_set_rtt(conn_kafka_dev *dev, int32_t broker_id, int rtt_ms, sl_error *err);

/* Stops the brokers and frees everything. dev may be NULL. */
void conn_kafka_dev_stop(conn_kafka_dev *dev);

/* Writes "bootstrap.servers=<bootstraps>\n" to `path` atomically: a temporary file in the same
 * directory, fsync'd, then renamed over path, so a reader sees either no file or all of it.
 * SL_ERR_IO with the path and the system's reason on failure (no temporary file is left). */
sl_status conn_kafka_dev_write_bootstrap_file(const char *path, const char *bootstraps, sl_error *err);

/* The warning `sluice kafka-dev` prints at start (several lines, each ending in '\n'). */
const char *conn_kafka_dev_warning(void);

#endif
