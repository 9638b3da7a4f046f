/* Checkpoint hooks of the datagen and filesystem connectors, called directly (no runtime): operators
 * built from real JobGraph specs, snapshot at a point between polls, a "crash" (the operators are
 * dropped without finish), restore into fresh operators (same or other parallelism) and a check
 * that every row / value comes out exactly once. The end-to-end version through `sluice sql` is
 * tests/e2e/checkpoint_fs.sh. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "connectors/connector.h"
#include "runtime/ops.h"
#include "runtime/task.h"
#include "tests/operators/harness.h"

/* One source subtask driven by the test: its operator, task and captured rows. */
typedef struct sub {
    sl_task *task;
    sl_operator *op;
    harness_capture cap;
} sub;

typedef struct env {
    sl_job_context job;
    sl_arena *types;
    jobgraph *g;
} env;

static void env_init(env *e, const char *sql)
{
    memset(e, 0, sizeof *e);
    sl_job_context_init(&e->job);
    e->types = sl_arena_create(0);
    e->g = harness_graph(sql);
}

static void env_free(env *e)
{
    jobgraph_free(e->g);
    sl_arena_destroy(e->types);
    sl_job_context_destroy(&e->job);
}

static void sub_source(env *e, sub *s, int subtask, int parallelism)
{
    memset(s, 0, sizeof *s);
    sl_error err;
    if (sl_connector_source(harness_find_op(e->g, "source")->spec, &e->job, subtask, parallelism, e->types, &s->op, &err))
        fail_msg("%s", err.message);
    s->cap.type = s->op->out_type;
    sl_operator *chain[2] = {s->op, harness_capture_op(&s->cap)};
    s->task = sl_task_create(&e->job, "src", 1, subtask, parallelism, 128);
    sl_task_set_chain(s->task, chain, 2);
}

static void sub_sink(env *e, sub *s, int subtask, int parallelism)
{
    memset(s, 0, sizeof *s);
    sl_error err;
    if (sl_connector_sink(harness_find_op(e->g, "sink")->spec, &e->job, subtask, parallelism, e->types, &s->op, &err))
        fail_msg("%s", err.message);
    s->task = sl_task_create(&e->job, "sink", 1, subtask, parallelism, 128);
    sl_task_set_chain(s->task, &s->op, 1);
}

static void sub_free(sub *s)
{
    sl_task_destroy(s->task);
    sl_strbuf_free(&s->cap.text);
}

/* Polls with `max` rows per call until `rows` rows were captured (or the end); returns whether
 * the source ended. */
static bool poll_until(sub *s, int max, int rows)
{
    sl_error err;
    for (int guard = 0; guard < 100000 && s->cap.rows < rows; guard++) {
        sl_source_state st;
        int wait_ms = 0;
        if (s->op->vt->poll(s->op, max, &st, &wait_ms, &err)) fail_msg("%s", err.message);
        if (st == SL_SOURCE_END) return true;
    }
    return false;
}

static json_t *snap(sub *s, int64_t id)
{
    sl_error err;
    json_t *out = NULL;
    sl_snapshot_ctx ctx = {.checkpoint_id = id, .dir = NULL};
    if (s->op->vt->snapshot(s->op, &ctx, &out, &err)) fail_msg("%s", err.message);
    assert_non_null(out);
    return out;
}

static void restore(sub *s, int64_t id, json_t **states, int n, int old_parallelism)
{
    sl_restore_part parts[16];
    for (int i = 0; i < n; i++) parts[i] = (sl_restore_part){.subtask = i, .parallelism = old_parallelism, .state = states[i]};
    sl_restore_ctx ctx = {.checkpoint_id = id, .nparts = n, .parts = parts};
    sl_error err;
    if (s->op->vt->restore(s->op, &ctx, &err)) fail_msg("%s", err.message);
}

/* datagen at the same parallelism: the rows after restore are the rows the first run produced
 * after the checkpoint (seeded random fields, sequence, number-of-rows). */
static void test_datagen_resume_exact(void **unused)
{
    env e;
    env_init(&e, "CREATE TABLE t (id BIGINT, r STRING, x INT, d DOUBLE) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000',"
                 " 'seed' = '7', 'number-of-rows' = '90', 'fields.id.kind' = 'sequence', 'fields.id.start' = '10',"
                 " 'fields.id.end' = '1000', 'fields.r.length' = '6', 'fields.x.null-rate' = '0.3',"
                 " 'fields.d.kind' = 'sequence', 'fields.d.start' = '0.5', 'fields.d.end' = '500.5');"
                 "CREATE TABLE p (id BIGINT, r STRING, x INT, d DOUBLE) WITH ('connector' = 'blackhole');"
                 "INSERT INTO p SELECT * FROM t");
    sub a, b;
    sub_source(&e, &a, 0, 1);
    assert_false(poll_until(&a, 7, 35));
    json_t *st = snap(&a, 3);
    int at = a.cap.rows; /* 35 or a few more (the first poll is a single row) */
    size_t before = a.cap.text.len;
    assert_true(poll_until(&a, 7, 1000));
    assert_int_equal(a.cap.rows, 90);
    const char *after = sl_strbuf_cstr(&a.cap.text) + before;

    sub_source(&e, &b, 0, 1);
    restore(&b, 3, &st, 1, 1);
    assert_true(poll_until(&b, 13, 1000));
    assert_int_equal(b.cap.rows, 90 - at);
    assert_string_equal(sl_strbuf_cstr(&b.cap.text), after);
    char first[32];
    snprintf(first, sizeof first, "+I[%d, ", 10 + at);
    assert_true(strncmp(after, first, strlen(first)) == 0);
    json_decref(st);
    sub_free(&a);
    sub_free(&b);
    env_free(&e);
}

/* Ids of "+I[<id>, ..." lines counted into seen[id - lo]. */
static void count_ids(const char *text, int *seen, int64_t lo, int64_t hi)
{
    for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
        long long id;
        assert_int_equal(sscanf(l, "+I[%lld", &id), 1);
        assert_true(id >= lo && id <= hi);
        seen[id - lo]++;
    }
}

/* datagen rescaled 2 -> 3 and 3 -> 1: the sequence's remaining values are re-split; every value
 * comes out exactly once over both runs. */
static void test_datagen_rescale(void **unused)
{
    env e;
    env_init(&e, "CREATE TABLE t (id BIGINT, s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000',"
                 " 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '301', 'fields.s.kind' = 'sequence',"
                 " 'fields.s.start' = '1', 'fields.s.end' = '301');"
                 "CREATE TABLE p (id BIGINT, s STRING) WITH ('connector' = 'blackhole');"
                 "INSERT INTO p SELECT * FROM t");
    int seen[301] = {0};
    sub two[2], three[3], one;
    json_t *st2[2], *st3[3];
    for (int i = 0; i < 2; i++) {
        sub_source(&e, &two[i], i, 2);
        assert_false(poll_until(&two[i], 10, i ? 20 : 70));
        st2[i] = snap(&two[i], 5);
        count_ids(sl_strbuf_cstr(&two[i].cap.text), seen, 1, 301);
    }
    for (int i = 0; i < 3; i++) {
        sub_source(&e, &three[i], i, 3);
        restore(&three[i], 5, st2, 2, 2);
        assert_false(poll_until(&three[i], 10, 30));
        st3[i] = snap(&three[i], 6);
        count_ids(sl_strbuf_cstr(&three[i].cap.text), seen, 1, 301);
        /* both sequence fields stay aligned */
        const char *t = sl_strbuf_cstr(&three[i].cap.text);
        long long id, s;
        assert_int_equal(sscanf(t, "+I[%lld, %lld]", &id, &s), 2);
        assert_int_equal(id, s);
    }
    sub_source(&e, &one, 0, 1);
    restore(&one, 6, st3, 3, 3);
    assert_true(poll_until(&one, 50, 100000));
    count_ids(sl_strbuf_cstr(&one.cap.text), seen, 1, 301);
    for (int i = 0; i < 301; i++) assert_int_equal(seen[i], 1);
    assert_int_equal(two[0].cap.rows + two[1].cap.rows + three[0].cap.rows + three[1].cap.rows + three[2].cap.rows + one.cap.rows, 301);
    for (int i = 0; i < 2; i++) json_decref(st2[i]), sub_free(&two[i]);
    for (int i = 0; i < 3; i++) json_decref(st3[i]), sub_free(&three[i]);
    sub_free(&one);
    env_free(&e);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* filesystem source 2 -> 3 subtasks: byte offsets of the next record per file; every line once,
 * and a malformed line after the restore is still reported at its real line number. */
static void test_fs_source_rescale(void **unused)
{
    char dir[] = "/tmp/sluice_chk_src_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], lines[3][4096];
    for (int f = 0; f < 3; f++) {
        lines[f][0] = 0;
        for (int k = 0; k < 40; k++) {
            char l[32];
            snprintf(l, sizeof l, "%d\r\n", f * 100 + k);
            if (k == 20) strcat(lines[f], "\n"); /* an empty line: no record */
            strcat(lines[f], l);
        }
        snprintf(path, sizeof path, "%s/f%d.csv", dir, f);
        write_file(path, lines[f]);
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE t (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');"
             "CREATE TABLE p (id BIGINT) WITH ('connector' = 'blackhole');"
             "INSERT INTO p SELECT * FROM t",
             dir);
    env e;
    env_init(&e, sql);
    int seen[300] = {0};
    sub two[2], three[3];
    json_t *st2[2];
    for (int i = 0; i < 2; i++) {
        sub_source(&e, &two[i], i, 2);
        /* subtask 0: through file 0 and into file 2; subtask 1: into file 1 */
        assert_false(poll_until(&two[i], 3, i ? 25 : 45));
        st2[i] = snap(&two[i], 9);
        count_ids(sl_strbuf_cstr(&two[i].cap.text), seen, 0, 299);
    }
    for (int i = 0; i < 3; i++) {
        sub_source(&e, &three[i], i, 3);
        restore(&three[i], 9, st2, 2, 2);
        assert_true(poll_until(&three[i], 4, 100000));
        count_ids(sl_strbuf_cstr(&three[i].cap.text), seen, 0, 299);
    }
    assert_int_equal(three[0].cap.rows, 0); /* file 0 was done */
    for (int f = 0; f < 3; f++)
        for (int k = 0; k < 40; k++) assert_int_equal(seen[f * 100 + k], 1);
    for (int i = 0; i < 3; i++) sub_free(&three[i]);

    /* a bad record in file 1 after the restore point: reported at its line in the file */
    snprintf(path, sizeof path, "%s/f1.csv", dir);
    char *bad = strstr(lines[1], "\n130\r");
    assert_non_null(bad);
    bad[1] = 'x';
    write_file(path, lines[1]);
    sub_source(&e, &three[1], 1, 3);
    restore(&three[1], 9, st2, 2, 2);
    sl_source_state sst;
    int wait_ms;
    sl_error err;
    sl_status rc = SL_OK;
    for (int k = 0; k < 100 && rc == SL_OK; k++) rc = three[1].op->vt->poll(three[1].op, 4, &sst, &wait_ms, &err);
    assert_int_equal(rc, SL_ERR_INVALID);
    assert_int_equal(err.line, 32); /* 30 records + the empty line before it */
    sub_free(&three[1]);

    /* a file that was being read and is gone: the restore names it */
    snprintf(path, sizeof path, "%s/f2.csv", dir);
    unlink(path);
    sub_source(&e, &three[2], 2, 3);
    sl_restore_part parts[2] = {{.subtask = 0, .parallelism = 2, .state = st2[0]}, {.subtask = 1, .parallelism = 2, .state = st2[1]}};
    sl_restore_ctx ctx = {.checkpoint_id = 9, .nparts = 2, .parts = parts};
    assert_int_equal(three[2].op->vt->restore(three[2].op, &ctx, &err), SL_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "f2.csv"));
    sub_free(&three[2]);

    for (int i = 0; i < 2; i++) json_decref(st2[i]), sub_free(&two[i]);
    env_free(&e);
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/f%d.csv", dir, f);
        unlink(path);
    }
    rmdir(dir);
}

static void sink_rows(sub *s, int64_t from, int64_t to)
{
    sl_row_writer w = {0};
    sl_error err;
    for (int64_t id = from; id <= to; id++) {
        sl_rw_begin(&w, 2, SL_ROW_INSERT);
        sl_rw_i64(&w, 0, id);
        sl_rw_bytes(&w, 1, "v", 1);
        if (s->op->vt->process(s->op, 0, sl_rw_finish(&w), &err)) fail_msg("%s", err.message);
    }
    sl_rw_free(&w);
}

/* The directory's files: visible ones' lines counted per id; hidden ones counted. */
static int scan_dir(const char *dir, int *seen, int n, int *visible_files)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int hidden = 0;
    *visible_files = 0;
    memset(seen, 0, sizeof(int) * (size_t)n);
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (de->d_name[0] == '.') {
            hidden++;
            continue;
        }
        ++*visible_files;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        long long id;
        while (fscanf(f, "%lld,v\n", &id) == 1) {
            assert_true(id >= 0 && id < n);
            seen[id]++;
        }
        fclose(f);
    }
    closedir(d);
    return hidden;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

/* filesystem sink: checkpoint n makes the in-progress file (and the rolled ones) pending;
 * notify_complete(n) publishes them; a crash after checkpoint 2 (whose notification never came)
 * and a restore at parallelism 1 publish checkpoint 2's files and remove what was written after. */
static void test_fs_sink_commit_and_recover(void **unused)
{
    char dir[] = "/tmp/sluice_chk_sink_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE t (id BIGINT, s STRING) WITH ('connector' = 'datagen');"
             "CREATE TABLE p (id BIGINT, s STRING) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv',"
             " 'sink.rolling-policy.file-size' = '40b');"
             "INSERT INTO p SELECT * FROM t",
             dir);
    env e;
    env_init(&e, sql);
    int seen[40], vis;
    sub a[2];
    sub_sink(&e, &a[0], 0, 2);
    sub_sink(&e, &a[1], 1, 2);
    sink_rows(&a[0], 0, 4);
    sink_rows(&a[1], 20, 21);
    json_t *s1[2] = {snap(&a[0], 1), snap(&a[1], 1)};
    assert_int_equal(json_array_size(json_object_get(s1[0], "pending")), 1);
    sink_rows(&a[0], 5, 19); /* 70 bytes: one file rolled at 40 bytes stays hidden, one in progress */
    sink_rows(&a[1], 22, 25);
    assert_int_equal(scan_dir(dir, seen, 40, &vis) > 0, 1);
    assert_int_equal(vis, 0);
    sl_error err;
    for (int i = 0; i < 2; i++) assert_int_equal(a[i].op->vt->notify_complete(a[i].op, 1, &err), SL_OK);
    scan_dir(dir, seen, 40, &vis);
    for (int id = 0; id < 40; id++) assert_int_equal(seen[id], (id <= 4 || id == 20 || id == 21) ? 1 : 0);
    json_t *s2[2] = {snap(&a[0], 2), snap(&a[1], 2)};
    assert_int_equal(json_array_size(json_object_get(s2[0], "pending")), 2); /* the rolled file and the closed one */
    sink_rows(&a[0], 30, 34); /* after checkpoint 2: lost in the crash, replayed by the sources */
    sink_rows(&a[1], 35, 39);
    json_decref(s1[0]), json_decref(s1[1]);
    sub_free(&a[0]); /* crash: no finish, no notification for 2 */
    sub_free(&a[1]);
    scan_dir(dir, seen, 40, &vis);
    assert_int_equal(seen[5], 0);

    sub b;
    sub_sink(&e, &b, 0, 1);
    restore(&b, 2, s2, 2, 2);
    assert_int_equal(scan_dir(dir, seen, 40, &vis), 0); /* nothing hidden is left */
    for (int id = 0; id < 40; id++) assert_int_equal(seen[id], id <= 25 ? 1 : 0);
    sink_rows(&b, 30, 39); /* the replay */
    assert_int_equal(b.op->vt->finish(b.op, &err), SL_OK);
    assert_int_equal(scan_dir(dir, seen, 40, &vis), 0);
    for (int id = 0; id < 40; id++) assert_int_equal(seen[id], id <= 25 || id >= 30 ? 1 : 0);
    /* restoring the same checkpoint again changes nothing (its files were published) */
    sub c;
    sub_sink(&e, &c, 0, 1);
    restore(&c, 2, s2, 2, 2);
    assert_int_equal(scan_dir(dir, seen, 40, &vis), 0);
    for (int id = 0; id < 40; id++) assert_int_equal(seen[id], id <= 25 || id >= 30 ? 1 : 0);
    sub_free(&c);
    json_decref(s2[0]), json_decref(s2[1]);
    sub_free(&b);
    env_free(&e);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datagen_resume_exact),
        cmocka_unit_test(test_datagen_rescale),
        cmocka_unit_test(test_fs_source_rescale),
        cmocka_unit_test(test_fs_sink_commit_and_recover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
