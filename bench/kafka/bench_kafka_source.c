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
 * With --topics it measures only (a) and (b), on the topics of an external cluster (what
 * bench/kafka_join/run.sh uses next to the whole flagship job): (a) consumes every record the
 * topics hold (all partitions, from their low to their high watermark when it starts) and keeps
 * the values in memory, (b) parses the kept values.
 *
 *   bench_kafka_source [records (100000)] [rounds (3)]
 *   bench_kafka_source [--rounds R] --topics BOOTSTRAP TOPIC [TOPIC...] */
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

/* What a consume loop keeps of the records it reads (the --topics mode): their values, back to
 * back, as a corpus that raw_parse reads. off and len hold `cap_n` entries; data grows. */
typedef struct kept {
    corpus c;
    size_t cap_bytes;
    int cap_n;
} kept;

static void keep_value(kept *k, const void *p, size_t len)
{
    if (k->c.n == k->cap_n) die("more records than the topics' watermarks said (were they written to during the run?)", NULL);
    if (k->c.bytes + len > k->cap_bytes) {
        size_t cap = k->cap_bytes ? k->cap_bytes : 1u << 20;
        while (cap < k->c.bytes + len) cap *= 2;
        char *d = realloc(k->c.data, cap);
        if (!d) die("out of memory for the kept values", NULL);
        k->c.data = d;
        k->cap_bytes = cap;
    }
    memcpy(k->c.data + k->c.bytes, p, len);
    k->c.off[k->c.n] = k->c.bytes;
    k->c.len[k->c.n] = len;
    k->c.bytes += len;
    k->c.n++;
}

/* (a) every message of the topics (partitions[t] partitions of topics[t], n records in all)
 * through a plain consumer; each value is copied into *keep when keep is not NULL, else its
 * bytes are touched */
static double raw_consume(const char *bs, const char *const *topics, const int *partitions, int ntopics, int n, kept *keep)
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
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int t = 0; t < ntopics; t++)
        for (int p = 0; p < partitions[t]; p++) rd_kafka_topic_partition_list_add(l, topics[t], p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (keep) keep->c.n = 0, keep->c.bytes = 0;
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
            fprintf(stderr, "bench_kafka_source: the consume loop read %d of %d records of '%s'%s, then nothing for 30 s\n", got, n, topics[0],
                    ntopics > 1 ? " ..." : "");
            exit(1);
        }
        for (ssize_t i = 0; i < k; i++) {
            if (msgs[i]->err && msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "bench_kafka_source: consume: %s\n", rd_kafka_message_errstr(msgs[i]));
            if (!msgs[i]->err) {
                got++;
                if (keep) keep_value(keep, msgs[i]->payload, msgs[i]->len);
                else sum += msgs[i]->len + (msgs[i]->len ? ((const unsigned char *)msgs[i]->payload)[msgs[i]->len - 1] : 0);
            }
            rd_kafka_message_destroy(msgs[i]);
        }
    }
    double t = now_s() - t0;
    if (!keep && sum == 0) fprintf(stderr, "?");
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

/* The partitions of `topic` on the cluster rk is connected to, and the records they hold now
 * (high - low watermark of each); 0 if the cluster does not answer or has no such topic. */
static int topic_extent(rd_kafka_t *rk, const char *bs, const char *topic, int *partitions, int64_t *records)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "bench_kafka_source: topic '%s' at %s: %s; check the bootstrap servers and that the topic exists\n", topic, bs,
                rd_kafka_err2str(e ? e : md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : md->topics[0].err));
        if (md) rd_kafka_metadata_destroy(md);
        return 0;
    }
    *partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    *records = 0;
    int64_t dropped = 0;
    for (int p = 0; p < *partitions; p++) {
        int64_t lo = 0, hi = 0;
        e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        if (e) {
            fprintf(stderr, "bench_kafka_source: the offsets of '%s' partition %d at %s: %s\n", topic, p, bs, rd_kafka_err2str(e));
            return 0;
        }
        *records += hi - lo;
        dropped += lo;
    }
    if (dropped)
        fprintf(stderr, "bench_kafka_source: note: '%s' starts at offset > 0 in some partitions (%lld records gone: the dev cluster keeps about 5 MiB per partition)\n",
                topic, (long long)dropped);
    return 1;
}

/* --topics: (a) and (b) on the topics of an external cluster */
static int topics_main(const char *bs, char **names, int ntopics, int rounds)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "bench_kafka_source: bootstrap servers '%s': %s\n", bs, errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) die(errstr, NULL);
    int *parts = calloc((size_t)ntopics, sizeof *parts);
    int64_t total = 0;
    int ok = 1;
    for (int t = 0; t < ntopics && ok; t++) {
        int64_t r = 0;
        ok = topic_extent(rk, bs, names[t], &parts[t], &r);
        total += r;
    }
    rd_kafka_destroy(rk);
    if (ok && (total < 1 || total > INT32_MAX)) {
        fprintf(stderr, "bench_kafka_source: the topics hold %lld records; fill them first (1 to %d records)\n", (long long)total, INT32_MAX);
        ok = 0;
    }
    if (!ok) {
        free(parts);
        return 1;
    }
    int n = (int)total;
    kept k = {.cap_n = n};
    k.c.off = malloc(sizeof(size_t) * (size_t)n);
    k.c.len = malloc(sizeof(size_t) * (size_t)n);
    if (!k.c.off || !k.c.len) die("out of memory for the kept values", NULL);
    double best_a = 1e30, best_b = 1e30;
    for (int r = 0; r < rounds; r++) {
        double a = raw_consume(bs, (const char *const *)names, parts, ntopics, n, &k);
        double b = raw_parse(&k.c);
        if (a < best_a) best_a = a;
        if (b < best_b) best_b = b;
    }
    printf("bench_kafka_source: %d records, %zu bytes (%.0f B avg) in", n, k.c.bytes, (double)k.c.bytes / n);
    for (int t = 0; t < ntopics; t++) printf("%s %s (%d partitions)", t ? "," : "", names[t], parts[t]);
    printf(", best of %d rounds\n", rounds);
    printf("  (a) librdkafka consume loop   %10.0f records/s  %8.3f s\n", n / best_a, best_a);
    printf("  (b) jansson parse             %10.0f records/s  %8.3f s\n", n / best_b, best_b);
    free(k.c.data);
    free(k.c.off);
    free(k.c.len);
    free(parts);
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage[] = "usage: bench_kafka_source [records (100000)] [rounds (3)]\n"
                                "       bench_kafka_source [--rounds R (3)] --topics BOOTSTRAP TOPIC [TOPIC...]\n";
    int rounds = 3, arg = 1;
    if (argc > 2 && !strcmp(argv[1], "--rounds")) {
        rounds = atoi(argv[2]);
        arg = 3;
        if (rounds < 1 || arg >= argc || strcmp(argv[arg], "--topics")) {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (arg < argc && !strcmp(argv[arg], "--topics")) {
        if (argc - arg < 3) {
            fputs(usage, stderr);
            return 2;
        }
        return topics_main(argv[arg + 1], argv + arg + 2, argc - arg - 2, rounds);
    }
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1 || rounds < 1) {
        fputs(usage, stderr);
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
            const char *tname = topics[s].name;
            double a = raw_consume(bs, &tname, &topics[s].partitions, 1, n, NULL);
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
