/* bench/kafka/bench_kafka_source.c — the Kafka source (consume + JSON decode into rows) against the
 * two raw baselines it is made of, measured in the same run:
 *   (a) a plain librdkafka consume loop (rd_kafka_assign + rd_kafka_consume_batch_queue) that
 *       reads every message of the topic and touches its bytes;
 *   (b) a plain jansson parse (json_loadb + json_decref) of the same records, from memory;
 *   (c) Sluice's KafkaSource operator (built from a JobGraph-style spec, bounded by
 *       'latest-offset') polled until the end, its rows counted by a chained operator.
 * It starts a development cluster in this process (kafka_dev.h: librdkafka's mock brokers),
 * produces the records with the flagship schema (about 100 B and about 1 KB each), and prints
 * records/s of each and the ratio c / min(a, b) (the goal: >= 0.70). Every mode runs
 * `rounds` times and keeps its best time (these machines are shared and noisy).
 *
 *   bench_kafka_source [records (100000)] [rounds (3)] */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/flagship_records.h"
#include "common/arena.h"
#include "common/error.h"
#include "connectors/connector.h"
#include "connectors/kafka/kafka_dev.h"
#include "runtime/ops.h"
#include "runtime/task.h"

#define now_s bench_now_s
typedef bench_corpus corpus;
#define make_corpus bench_make_corpus

static void die(const char *what, const sl_error *err)
{
    fprintf(stderr, "bench_kafka_source: %s: %s%s%s\n", what, err ? err->message : "", err && err->detail[0] ? ": " : "",
            err ? err->detail : "");
    exit(1);
}

/* Record i goes to partition i mod partitions: every partition holds the same share (the dev
 * cluster drops the oldest data of a partition above about 5 MiB). */
static void produce(const char *bs, const char *topic, int partitions, const corpus *c)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) die(errstr, NULL);
    for (int i = 0; i < c->n; i++) {
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                      RD_KAFKA_V_VALUE(c->data + c->off[i], c->len[i]), RD_KAFKA_V_END);
            if (!e) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(rd_kafka_err2str(e), NULL);
            rd_kafka_poll(rk, 10);
        }
    }
    while (rd_kafka_outq_len(rk) > 0) rd_kafka_flush(rk, 1000);
    rd_kafka_destroy(rk);
}

/* (a) every message of the topic through a plain consumer */
static double raw_consume(const char *bs, const char *topic, int partitions, int n)
{
    char errstr[512], group[64];
    snprintf(group, sizeof group, "bench-raw-%llx", (unsigned long long)(now_s() * 1e6));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) die(errstr, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    double t0 = now_s();
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_message_t *msgs[500];
    int got = 0;
    uint64_t sum = 0;
    double last = now_s();
    while (got < n) {
        ssize_t k = rd_kafka_consume_batch_queue(q, 100, msgs, 500);
        if (k > 0) last = now_s();
        else if (now_s() - last > 30) {
            fprintf(stderr, "bench_kafka_source: the consume loop read %d of %d records of '%s', then nothing for 30 s\n", got, n, topic);
            exit(1);
        }
        for (ssize_t i = 0; i < k; i++) {
            if (msgs[i]->err && msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "bench_kafka_source: consume: %s\n", rd_kafka_message_errstr(msgs[i]));
            if (!msgs[i]->err) {
                got++;
                sum += msgs[i]->len + (msgs[i]->len ? ((const unsigned char *)msgs[i]->payload)[msgs[i]->len - 1] : 0);
            }
            rd_kafka_message_destroy(msgs[i]);
        }
    }
    double t = now_s() - t0;
    if (sum == 0) fprintf(stderr, "?");
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return t;
}

/* (b) the same records parsed by jansson */
static double raw_parse(const corpus *c)
{
    double t0 = now_s();
    for (int i = 0; i < c->n; i++) {
        json_error_t je;
        json_t *j = json_loadb(c->data + c->off[i], c->len[i], JSON_DISABLE_EOF_CHECK, &je);
        if (!j) die("jansson", NULL);
        json_decref(j);
    }
    return now_s() - t0;
}

/* (c) Sluice's KafkaSource */
static uint64_t counted;
static sl_status count_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    (void)op, (void)input, (void)err;
    counted += sl_row_len(row) > 0;
    return SL_OK;
}
static const sl_op_vtable count_vt = {.name = "Count", .process = count_process};

static double sluice_source(const char *bs, const char *topic, int n)
{
    json_t *spec = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "table", "bench", "options", "connector", "kafka", "topic", topic,
                             "properties.bootstrap.servers", bs, "format", "json", "scan.startup.mode", "earliest-offset",
                             "scan.bounded.mode", "latest-offset");
    json_t *schema = json_array();
    static const char *const cols[][2] = {{"name", "STRING"},    {"id", "INT"},      {"name1", "STRING"},         {"num_dou", "DOUBLE"},
                                          {"num_float", "DOUBLE"}, {"num_int", "INT"}, {"stringmessages", "STRING"}};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        json_array_append_new(schema, json_pack("{s:s, s:s, s:s}", "name", cols[i][0], "type", cols[i][1], "kind", "physical"));
    json_object_set_new(spec, "schema", schema);
    sl_job_context job;
    sl_job_context_init(&job);
    job.out = stdout;
    job.err_out = stderr;
    sl_task *task = sl_task_create(&job, "bench", 1, 0, 1, 128);
    sl_arena *a = sl_arena_create(0);
    sl_operator *op = NULL, *count = sl_operator_new(&count_vt, NULL, NULL, NULL);
    sl_error err;
    sl_error_clear(&err);
    if (sl_connector_source(spec, &job, 0, 1, a, &op, &err)) die("KafkaSource", &err);
    op->task = task;
    count->task = task;
    op->next = count;
    counted = 0;
    double t0 = now_s();
    if (op->vt->open && op->vt->open(op, &err)) die("open", &err);
    for (;;) {
        sl_source_state s = SL_SOURCE_MORE;
        int wait_ms = 0;
        if (op->vt->poll(op, 256, &s, &wait_ms, &err)) die("poll", &err);
        if (s == SL_SOURCE_END) break;
        if (s == SL_SOURCE_IDLE) {
            struct timespec ts = {0, (long)wait_ms * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    double t = now_s() - t0;
    if (counted != (uint64_t)n) fprintf(stderr, "bench_kafka_source: read %llu rows, expected %d\n", (unsigned long long)counted, n);
    sl_operator_free(op);
    sl_operator_free(count);
    sl_task_destroy(task);
    sl_arena_destroy(a);
    sl_job_context_destroy(&job);
    json_decref(spec);
    return t;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1 || rounds < 1) {
        fprintf(stderr, "usage: bench_kafka_source [records] [rounds]\n");
        return 2;
    }
    static const size_t sizes[] = {100, 1000};
    conn_kafka_dev_topic topics[2];
    corpus corp[2];
    for (int s = 0; s < 2; s++) {
        corp[s] = make_corpus(n, sizes[s] > 150 ? sizes[s] - 150 : 8);
        snprintf(topics[s].name, sizeof topics[s].name, "bench_%zu", sizes[s]);
        /* the dev cluster keeps about 5 MiB per partition: stay under 3 MiB */
        topics[s].partitions = (int)(corp[s].bytes / (3u << 20)) + 4;
        topics[s].replication = 1;
    }
    conn_kafka_dev *dev;
    sl_error err;
    sl_error_clear(&err);
    if (conn_kafka_dev_start(1, topics, 2, &dev, &err)) die("kafka-dev", &err);
    const char *bs = conn_kafka_dev_bootstraps(dev);
    printf("bench_kafka_source: %d records per size, best of %d rounds, 1 broker (in-process dev cluster)\n", n, rounds);
    for (int s = 0; s < 2; s++) {
        produce(bs, topics[s].name, topics[s].partitions, &corp[s]);
        double best_a = 1e30, best_b = 1e30, best_c = 1e30;
        for (int r = 0; r < rounds; r++) {
            double a = raw_consume(bs, topics[s].name, topics[s].partitions, n);
            double b = raw_parse(&corp[s]);
            double c = sluice_source(bs, topics[s].name, n);
            if (a < best_a) best_a = a;
            if (b < best_b) best_b = b;
            if (c < best_c) best_c = c;
        }
        double ra = n / best_a, rb = n / best_b, rc = n / best_c, slow = ra < rb ? ra : rb;
        printf("~%4zu B records (%.0f B avg, %d partitions):\n", sizes[s], (double)corp[s].bytes / n, topics[s].partitions);
        printf("  (a) librdkafka consume loop   %10.0f records/s\n", ra);
        printf("  (b) jansson parse             %10.0f records/s\n", rb);
        printf("  (c) Sluice KafkaSource        %10.0f records/s   c / min(a, b) = %.2f  (goal >= 0.70)\n", rc, rc / slow);
        free(corp[s].data);
        free(corp[s].off);
        free(corp[s].len);
    }
    conn_kafka_dev_stop(dev);
    return 0;
}
