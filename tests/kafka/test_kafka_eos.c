/* tests/kafka/test_kafka_eos.c — the exactly-once Kafka sink's checkpoint protocol, driven through
 * its operator hooks (open, process, snapshot, notify_complete, restore, finish, close) against an
 * in-process development cluster, with crashes simulated by closing an operator without
 * notify_complete and restoring a new one from the checkpoint's state and files.
 *
 * What it checks: nothing reaches the topic before the checkpoint that covers it completes; a
 * restore re-commits exactly the epochs the marker does not cover (restore after a crash before
 * notify, restore twice); old subtasks' epochs are committed by
 * their new owner after a rescale; finish commits the rest as a final epoch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "connectors/connector.h"
#include "connectors/kafka/kafka_dev.h"
#include "harness.h"
#include "runtime/ops.h"
#include "runtime/task.h"

typedef struct env {
    conn_kafka_dev *dev;
    const char *bs;
    char tmp[256];
    jobgraph *g;
    sl_job_context job;
    sl_arena *types;
    sl_row_writer w;
    int next_id;
    int ndirs;
} env;

/* One sink subtask with its task. */
typedef struct sub {
    sl_operator *op;
    sl_task *task;
} sub;

/* A checkpoint's part of one subtask: its state and the directory it wrote. */
typedef struct part {
    json_t *state;
    char dir[300];
} part;

static env E;

static int setup(void **unused)
{
    (void)unused;
    memset(&E, 0, sizeof E);
    conn_kafka_dev_topic t[2];
    sl_error err;
    assert_int_equal(conn_kafka_dev_parse_topic("eos:3", &t[0], &err), SL_OK);
    assert_int_equal(conn_kafka_dev_parse_topic("eos2:2", &t[1], &err), SL_OK);
    if (conn_kafka_dev_start(1, t, 2, &E.dev, &err)) fail_msg("%s", err.message);
    E.bs = conn_kafka_dev_bootstraps(E.dev);
    snprintf(E.tmp, sizeof E.tmp, "/tmp/sluice-test-kafka-eos-%d", (int)getpid());
    mkdir(E.tmp, 0700);
    sl_job_context_init(&E.job);
    E.job.tmp_dir = E.tmp;
    E.types = sl_arena_create(0);
    return 0;
}

static int teardown(void **unused)
{
    (void)unused;
    sl_rw_free(&E.w);
    sl_arena_destroy(E.types);
    sl_job_context_destroy(&E.job);
    conn_kafka_dev_stop(E.dev);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", E.tmp);
    if (system(cmd) != 0) return 1;
    return 0;
}

static jobgraph *graph(const char *topic, const char *prefix)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE TABLE g (id BIGINT, name STRING) WITH ('connector' = 'datagen');"
             "CREATE TABLE k (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = '%s', 'properties.bootstrap.servers' = '%s',"
             " 'format' = 'json', 'key.format' = 'json', 'key.fields' = 'id', 'sink.delivery-guarantee' = 'exactly-once',"
             " 'sink.transactional-id-prefix' = '%s');"
             "INSERT INTO k SELECT id, name FROM g",
             topic, E.bs, prefix);
    return harness_graph(sql);
}

static sub sub_open(jobgraph *g, int subtask, int parallelism)
{
    sub s;
    sl_error err;
    if (sl_connector_sink(harness_find_op(g, "sink")->spec, &E.job, subtask, parallelism, E.types, &s.op, &err)) fail_msg("%s", err.message);
    s.task = sl_task_create(&E.job, "sink", 1, subtask, parallelism, 128);
    sl_task_set_chain(s.task, &s.op, 1);
    if (s.op->vt->open(s.op, &err)) fail_msg("open: %s", err.message);
    return s;
}

static void sub_close(sub *s) { sl_task_destroy(s->task); }

static void push(sub *s, int n)
{
    sl_error err;
    for (int i = 0; i < n; i++) {
        int id = ++E.next_id;
        char name[32];
        int len = snprintf(name, sizeof name, "n%d", id);
        sl_rw_begin(&E.w, 2, SL_ROW_INSERT);
        sl_rw_i64(&E.w, 0, id);
        sl_rw_bytes(&E.w, 1, name, (uint32_t)len);
        if (s->op->vt->process(s->op, 0, sl_rw_finish(&E.w), &err)) fail_msg("process: %s", err.message);
    }
}

static part snapshot(sub *s, int64_t id)
{
    part p;
    snprintf(p.dir, sizeof p.dir, "%s/chk-%d", E.tmp, ++E.ndirs);
    assert_int_equal(mkdir(p.dir, 0700), 0);
    sl_snapshot_ctx ctx = {.checkpoint_id = id, .dir = p.dir};
    sl_error err;
    p.state = NULL;
    if (s->op->vt->snapshot(s->op, &ctx, &p.state, &err)) fail_msg("snapshot: %s", err.message);
    assert_non_null(p.state);
    return p;
}

static void notify(sub *s, int64_t id)
{
    sl_error err;
    if (s->op->vt->notify_complete(s->op, id, &err)) fail_msg("notify: %s", err.message);
}

static void restore(sub *s, int64_t id, part *parts, int nparts, int old_parallelism)
{
    sl_restore_part rp[8];
    for (int i = 0; i < nparts; i++)
        rp[i] = (sl_restore_part){.subtask = i, .parallelism = old_parallelism, .state = parts[i].state, .dir = parts[i].dir};
    sl_restore_ctx ctx = {.checkpoint_id = id, .nparts = nparts, .parts = rp};
    sl_error err;
    if (s->op->vt->restore(s->op, &ctx, &err)) fail_msg("restore: %s", err.message);
}

static void finish(sub *s)
{
    sl_error err;
    if (s->op->vt->finish(s->op, &err)) fail_msg("finish: %s", err.message);
}

/* Every record of the topic: how many times each id 1..max appears; returns the total. */
static int read_topic(const char *topic, int *count, int max)
{
    char errstr[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", E.bs, errstr, sizeof errstr);
    rd_kafka_conf_set(c, "group.id", "test-reader", errstr, sizeof errstr);
    rd_kafka_conf_set(c, "enable.partition.eof", "true", errstr, sizeof errstr);
    rd_kafka_conf_set(c, "enable.auto.commit", "false", errstr, sizeof errstr);
    rd_kafka_conf_set(c, "isolation.level", "read_committed", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof errstr);
    assert_non_null(rk);
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    assert_int_equal(rd_kafka_metadata(rk, 0, rkt, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++) rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    memset(count, 0, sizeof(int) * (size_t)(max + 1));
    int total = 0, eofs = 0;
    for (int polls = 0; eofs < nparts && polls < 600; polls++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) eofs++;
        else if (!m->err) {
            int id = 0;
            if (m->payload && sscanf((const char *)m->payload, "{\"id\":%d", &id) == 1 && id > 0 && id <= max) count[id]++;
            total++;
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(eofs, nparts);
    rd_kafka_destroy(rk);
    return total;
}

/* ids from..to appear once each, nothing else */
static void expect_once(const char *topic, int to)
{
    int *count = calloc((size_t)to + 64, sizeof(int));
    int total = read_topic(topic, count, to + 63);
    for (int i = 1; i <= to; i++)
        if (count[i] != 1) fail_msg("topic %s: id %d appears %d times (total %d records, want %d)", topic, i, count[i], total, to);
    assert_int_equal(total, to);
    free(count);
}

static void part_free(part *p) { json_decref(p->state); }

/* Crash after the commit of epoch 2 and before checkpoint 3, crash before a notify, restore
 * twice from the same checkpoint, finish. */
static void test_crash_restore(void **unused)
{
    (void)unused;
    E.next_id = 0;
    jobgraph *g = graph("eos", "t1");
    sub a = sub_open(g, 0, 1);
    push(&a, 10);
    part c1 = snapshot(&a, 1);
    expect_once("eos", 0); /* nothing before the checkpoint completes */
    push(&a, 5);
    notify(&a, 1);
    expect_once("eos", 10);
    part c2 = snapshot(&a, 2);
    push(&a, 7); /* epoch 3: lost in the crash, written again by the restarted source */
    notify(&a, 2);
    expect_once("eos", 15);
    /* crash: no checkpoint 3 */
    sub_close(&a);
    /* restart from checkpoint 2, whose epochs 1 and 2 are both committed already */
    E.next_id = 15;
    sub b = sub_open(g, 0, 1);
    restore(&b, 2, &c2, 1, 1);
    expect_once("eos", 15);
    push(&b, 7);
    part c3 = snapshot(&b, 3);
    /* crash before notify(3): the restart commits epoch 3 */
    sub_close(&b);
    sub c = sub_open(g, 0, 1);
    restore(&c, 3, &c3, 1, 1);
    expect_once("eos", 22);
    sub_close(&c);
    /* the same checkpoint again (a second crash right after the restore): nothing new */
    sub d = sub_open(g, 0, 1);
    restore(&d, 3, &c3, 1, 1);
    expect_once("eos", 22);
    sub_close(&d);
    sub e = sub_open(g, 0, 1);
    restore(&e, 3, &c3, 1, 1);
    expect_once("eos", 22);
    /* end of input: the rest as a final epoch */
    E.next_id = 22;
    push(&e, 3);
    finish(&e);
    expect_once("eos", 25);
    sub_close(&e);
    part_free(&c1);
    part_free(&c2);
    part_free(&c3);
    jobgraph_free(g);
}

/* Two subtasks, one with an epoch committed and one pending, restored at parallelism 1: the new
 * subtask 0 commits old subtask 1's pending epochs with transactional id '<prefix>-1'. Then
 * checkpoints that failed (no notify) are committed by a later notify. */
static void test_rescale(void **unused)
{
    (void)unused;
    E.next_id = 0;
    jobgraph *g = graph("eos2", "t2");
    sub a0 = sub_open(g, 0, 2), a1 = sub_open(g, 1, 2);
    push(&a0, 4);
    push(&a1, 6);
    part p1[2] = {snapshot(&a0, 1), snapshot(&a1, 1)};
    notify(&a0, 1); /* subtask 1 crashes before its notify */
    push(&a0, 3);
    push(&a1, 2);
    part p2[2] = {snapshot(&a0, 2), snapshot(&a1, 2)};
    expect_once("eos2", 4);
    sub_close(&a0);
    sub_close(&a1);
    /* restart at parallelism 1 from checkpoint 2 */
    sub b = sub_open(g, 0, 1);
    restore(&b, 2, p2, 2, 2);
    expect_once("eos2", 15);
    /* checkpoint 3 fails (no notify), 4 completes: both epochs are committed, in order */
    push(&b, 2);
    part p3 = snapshot(&b, 3);
    push(&b, 2);
    part p4 = snapshot(&b, 4);
    expect_once("eos2", 15);
    notify(&b, 4);
    expect_once("eos2", 19);
    finish(&b); /* nothing left */
    expect_once("eos2", 19);
    sub_close(&b);
    part_free(&p1[0]);
    part_free(&p1[1]);
    part_free(&p2[0]);
    part_free(&p2[1]);
    part_free(&p3);
    part_free(&p4);
    jobgraph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_restore),
        cmocka_unit_test(test_rescale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
