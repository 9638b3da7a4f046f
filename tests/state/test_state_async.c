/* Unit tests for the two-step (asynchronous) snapshots of state/ (sl_state_snapshot_begin,
 * sl_state_snap_write, sl_state_snap_free), mainly the hashmap backend's copy-on-write view: after
 * begin the store's thread overwrites, deletes, inserts (enough to grow the outer table several
 * times) and adds user keys under existing keys, part of it while a second thread writes the view;
 * a restore of the view gives exactly the state at begin, the live store the state after, and the
 * memory count ends where a store that never had a view ends. Also: TTL expiry (gets and scans)
 * while a view is open, a second begin while a view is open, a view released unwritten, a failing
 * write, iterators held across begin, and rocksdb through the same calls. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SL_STATE_INTERNAL
#include "state/state.h"
#include "tests/lib/temp_root.h"

static char tmp_root[256];
static atomic_int_least64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static const sl_state_kind K_ROCKSDB = SL_STATE_ROCKSDB;
static const sl_state_kind K_HASHMAP = SL_STATE_HASHMAP;
static sl_state_kind kind_of(void **state) { return *(const sl_state_kind *)*state; }

static sl_state *open_store(sl_state_kind kind, int64_t ttl_ms)
{
    sl_state_options o = {0};
    o.kind = kind;
    o.dir = tmp_root;
    o.name = "test-async-0";
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = 4u << 20;
    o.ttl_ms = ttl_ms;
    o.now_ms = fake_clock;
    sl_state *s = NULL;
    sl_error err;
    if (sl_state_open(&o, &s, &err) != SL_OK) fail_msg("sl_state_open: %s", err.message);
    return s;
}

static int snap_seq;
static const char *snap_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/snapshots/async-%d", tmp_root, ++snap_seq);
    return buf;
}

/* ---- a model of the store: key i (sid i % 2, key group i % 16) -> user key j -> version ---- */

#define NK 24000 /* keys: 3000 at first, the rest inserted while a view is open */
#define NU 12    /* user keys per key (more than the hashmap's linear inner limit of 8) */
typedef struct model {
    int v[NK][NU]; /* version of the value, 0 = absent */
} model;

static void key_of(int i, char *k) { snprintf(k, 16, "k%06d", i); }
static void ukey_of(int j, char *u) { snprintf(u, 8, "u%d", j); }
static int val_of(int i, int j, int ver, char *v) { return snprintf(v, 48, "v%d-%d-%d", i, j, ver); }

static void m_put(sl_state *s, model *m, int i, int j, int ver)
{
    char k[16], u[8], v[48];
    key_of(i, k);
    ukey_of(j, u);
    int vl = val_of(i, j, ver, v);
    sl_error err;
    if (sl_state_put(s, i % 2, i % 16, k, strlen(k), u, strlen(u), v, (size_t)vl, &err) != SL_OK)
        fail_msg("put: %s", err.message);
    m->v[i][j] = ver;
}

static void m_del(sl_state *s, model *m, int i, int j)
{
    char k[16], u[8];
    key_of(i, k);
    ukey_of(j, u);
    sl_error err;
    if (sl_state_delete(s, i % 2, i % 16, k, strlen(k), u, strlen(u), &err) != SL_OK) fail_msg("delete: %s", err.message);
    m->v[i][j] = 0;
}

/* The store holds exactly what m says (every sid and key group walked with group scans). */
static void check_store(sl_state *s, const model *m)
{
    static unsigned char seen[NK][NU];
    memset(seen, 0, sizeof seen);
    long n = 0, want = 0;
    for (int sid = 0; sid < 2; sid++)
        for (int kg = 0; kg < 16; kg++) {
            sl_state_iter *it;
            sl_error err;
            if (sl_state_scan_group(s, sid, kg, &it, &err) != SL_OK) fail_msg("scan_group: %s", err.message);
            const void *k, *u, *v;
            size_t kl, ul, vl;
            while (sl_state_iter_next_entry(it, &k, &kl, &u, &ul, &v, &vl)) {
                char kb[32], ub[16], vb[64], want_v[48];
                assert_true(kl < sizeof kb && ul < sizeof ub && vl < sizeof vb);
                memcpy(kb, k, kl);
                kb[kl] = 0;
                memcpy(ub, u, ul);
                ub[ul] = 0;
                memcpy(vb, v, vl);
                vb[vl] = 0;
                int i = atoi(kb + 1), j = atoi(ub + 1);
                assert_true(i >= 0 && i < NK && j >= 0 && j < NU);
                assert_int_equal(i % 2, sid);
                assert_int_equal(i % 16, kg);
                if (m->v[i][j] == 0) fail_msg("entry %s/%s=%s should be absent", kb, ub, vb);
                val_of(i, j, m->v[i][j], want_v);
                assert_string_equal(vb, want_v);
                assert_int_equal(seen[i][j], 0);
                seen[i][j] = 1;
                n++;
            }
            assert_int_equal(sl_state_iter_error(it, NULL), SL_OK);
            sl_state_iter_free(it);
        }
    for (int i = 0; i < NK; i++)
        for (int j = 0; j < NU; j++) want += m->v[i][j] != 0;
    assert_int_equal(n, want);
}

/* A fresh store (either backend) restored from dir holds exactly m. */
static void check_snapshot(const char *dir, const model *m)
{
    for (int b = 0; b < 2; b++) {
        sl_state *r = open_store(b ? SL_STATE_HASHMAP : SL_STATE_ROCKSDB, 0);
        const char *dirs[] = {dir};
        sl_error err;
        if (sl_state_restore(r, dirs, 1, 0, 65535, &err) != SL_OK) fail_msg("restore: %s", err.message);
        check_store(r, m);
        sl_state_close(r);
    }
}

/* ---- the writer thread ---- */

typedef struct writer {
    sl_state_snap *snap;
    sl_status rc;
    sl_error err;
    pthread_t th;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    w->rc = sl_state_snap_write(w->snap, &w->err);
    return NULL;
}

static void writer_start(writer *w, sl_state_snap *snap)
{
    w->snap = snap;
    w->rc = SL_ERR_RUNTIME;
    sl_error_clear(&w->err);
    assert_int_equal(pthread_create(&w->th, NULL, writer_main, w), 0);
}

static void writer_join(writer *w)
{
    assert_int_equal(pthread_join(w->th, NULL), 0);
    if (w->rc != SL_OK) fail_msg("sl_state_snap_write: %s", w->err.message);
}

static sl_state_snap *begin(sl_state *s, const char *dir)
{
    sl_state_snap *snap = NULL;
    sl_error err;
    if (sl_state_snapshot_begin(s, dir, &snap, &err) != SL_OK) fail_msg("begin: %s", err.message);
    assert_non_null(snap);
    return snap;
}

/* Round r of changes on keys [lo, hi): overwrite, delete single entries and whole keys, add user
 * keys under existing keys, insert new keys (into [3000, NK)), scan some keys. Deterministic. */
static void mutate(sl_state *s, model *m, int lo, int hi, int r)
{
    for (int i = lo; i < hi; i++) {
        switch ((i + r) % 7) {
        case 0: m_put(s, m, i, i % NU, 100 + r); break;                       /* overwrite or add */
        case 1: m_del(s, m, i, 0); break;                                     /* one entry */
        case 2:
            for (int j = 0; j < NU; j++) m_del(s, m, i, j); /* the whole key */
            break;
        case 3:
            for (int j = 0; j < NU; j++) m_put(s, m, i, j, 200 + r); /* grows the inner table */
            break;
        case 4: { /* a scan (pins and unpins the key) */
            char k[16];
            key_of(i, k);
            sl_state_iter *it;
            sl_error err;
            if (sl_state_scan(s, i % 2, i % 16, k, strlen(k), &it, &err) != SL_OK) fail_msg("scan: %s", err.message);
            const void *u, *v;
            size_t ul, vl;
            int n = 0;
            while (sl_state_iter_next(it, &u, &ul, &v, &vl)) n++;
            sl_state_iter_free(it);
            int want = 0;
            for (int j = 0; j < NU; j++) want += m->v[i][j] != 0;
            assert_int_equal(n, want);
            break;
        }
        default: break; /* untouched */
        }
    }
}

static void insert_new(sl_state *s, model *m, int lo, int hi, int ver)
{
    for (int i = lo; i < hi; i++) m_put(s, m, i, i % 3, ver);
}

static uint64_t mem_of(sl_state *s)
{
    sl_state_stats st;
    sl_state_get_stats(s, &st);
    return st.memory_bytes;
}

/* The main test: the view holds the state at begin while the store changes underneath, part of the
 * changes concurrent with the write on another thread; a twin store given the same changes without
 * a view ends with the same content and (hashmap) the same memory count. */
static void test_view_is_frozen(void **state)
{
    sl_state_kind kind = kind_of(state);
    sl_state *s = open_store(kind, 0), *twin = open_store(kind, 0);
    static model m, twin_m, at_begin;
    memset(&m, 0, sizeof m);
    memset(&twin_m, 0, sizeof twin_m);
    for (int i = 0; i < 3000; i++)
        for (int j = 0; j <= i % 5; j++) {
            m_put(s, &m, i, j, 1);
            m_put(twin, &twin_m, i, j, 1);
        }
    at_begin = m;
    char dir[400];
    sl_state_snap *snap = begin(s, snap_path(dir, sizeof dir));
    uint64_t mem0 = mem_of(s);
    /* first half of the changes with the view open and not yet written */
    mutate(s, &m, 0, 1500, 1);
    insert_new(s, &m, 3000, 12000, 7); /* the outer table grows (about 4x) */
    if (kind == SL_STATE_HASHMAP) assert_true(mem_of(s) > mem0); /* copies kept for the view */
    /* the rest while another thread writes the view */
    writer w;
    writer_start(&w, snap);
    mutate(s, &m, 1500, 3000, 2);
    insert_new(s, &m, 12000, NK, 8);
    mutate(s, &m, 0, 3000, 3); /* keys changed again: copied once, then changed in place */
    writer_join(&w);
    sl_state_snap_free(snap);
    /* the twin: the same changes, no view */
    mutate(twin, &twin_m, 0, 1500, 1);
    insert_new(twin, &twin_m, 3000, 12000, 7);
    mutate(twin, &twin_m, 1500, 3000, 2);
    insert_new(twin, &twin_m, 12000, NK, 8);
    mutate(twin, &twin_m, 0, 3000, 3);
    assert_memory_equal(&m, &twin_m, sizeof m);
    check_store(s, &m);
    check_snapshot(dir, &at_begin);
    if (kind == SL_STATE_HASHMAP) assert_int_equal(mem_of(s), mem_of(twin)); /* nothing retained, counts honest */
    /* and a second round on the changed store */
    at_begin = m;
    snap = begin(s, snap_path(dir, sizeof dir));
    writer_start(&w, snap);
    mutate(s, &m, 0, NK, 4);
    writer_join(&w);
    sl_state_snap_free(snap);
    check_snapshot(dir, &at_begin);
    check_store(s, &m);
    sl_state_close(s);
    sl_state_close(twin);
}

/* TTL with a view open: a get of an expired entry drops it from the live store only (the view, and
 * so the snapshot, keeps it with its write time); a scan skips expired entries of a key the view
 * holds without dropping them, and drops them once the view is gone. */
static void test_ttl_during_view(void **state)
{
    (void)state;
    atomic_store(&fake_now, 1000);
    sl_state *s = open_store(SL_STATE_HASHMAP, 100);
    char u[8];
    for (int j = 0; j < 4; j++) {
        ukey_of(j, u);
        assert_int_equal(sl_state_put(s, 0, 1, "old", 3, u, strlen(u), "o", 1, NULL), SL_OK);
        assert_int_equal(sl_state_put(s, 0, 1, "scanned", 7, u, strlen(u), "s", 1, NULL), SL_OK);
    }
    atomic_store(&fake_now, 1050);
    assert_int_equal(sl_state_put(s, 0, 1, "young", 5, "u", 1, "y", 1, NULL), SL_OK);
    char dir[400];
    sl_state_snap *snap = begin(s, snap_path(dir, sizeof dir));
    atomic_store(&fake_now, 1120); /* "old" and "scanned" (written at 1000) expired; "young" not */
    const void *v;
    size_t vl;
    bool found = true;
    assert_int_equal(sl_state_get(s, 0, 1, "old", 3, "u0", 2, &v, &vl, &found, NULL), SL_OK);
    assert_false(found);
    sl_state_iter *it;
    assert_int_equal(sl_state_scan(s, 0, 1, "scanned", 7, &it, NULL), SL_OK);
    const void *uk;
    size_t ukl;
    assert_false(sl_state_iter_next(it, &uk, &ukl, &v, &vl));
    sl_state_iter_free(it);
    assert_int_equal(sl_state_get(s, 0, 1, "young", 5, "u", 1, &v, &vl, &found, NULL), SL_OK);
    assert_true(found);
    sl_state_stats st;
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 1); /* the get dropped "old"/u0; the scan left its 4 to later */
    writer w;
    writer_start(&w, snap);
    writer_join(&w);
    sl_state_snap_free(snap);
    /* the snapshot: all 9 entries with their write times; restored without TTL all are there, with
     * TTL at 1120 only "young" */
    sl_state *r = open_store(SL_STATE_HASHMAP, 0);
    const char *dirs[] = {dir};
    assert_int_equal(sl_state_restore(r, dirs, 1, 0, 65535, NULL), SL_OK);
    for (int j = 0; j < 4; j++) {
        ukey_of(j, u);
        assert_int_equal(sl_state_get(r, 0, 1, "old", 3, u, strlen(u), &v, &vl, &found, NULL), SL_OK);
        assert_true(found);
        assert_int_equal(sl_state_get(r, 0, 1, "scanned", 7, u, strlen(u), &v, &vl, &found, NULL), SL_OK);
        assert_true(found);
    }
    sl_state_close(r);
    r = open_store(SL_STATE_HASHMAP, 100);
    assert_int_equal(sl_state_restore(r, dirs, 1, 0, 65535, NULL), SL_OK);
    assert_int_equal(sl_state_get(r, 0, 1, "young", 5, "u", 1, &v, &vl, &found, NULL), SL_OK);
    assert_true(found);
    assert_int_equal(sl_state_get(r, 0, 1, "scanned", 7, "u1", 2, &v, &vl, &found, NULL), SL_OK);
    assert_false(found);
    sl_state_close(r);
    /* the view is gone: a scan drops the expired entries it skips */
    assert_int_equal(sl_state_scan(s, 0, 1, "scanned", 7, &it, NULL), SL_OK);
    assert_false(sl_state_iter_next(it, &uk, &ukl, &v, &vl));
    sl_state_iter_free(it);
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 5);
    sl_state_close(s);
}

/* A begin while the previous view is open finishes that one first (on the calling thread); its own
 * write then returns that result. Each snapshot holds the state at its begin. */
static void test_second_begin(void **state)
{
    sl_state *s = open_store(kind_of(state), 0);
    static model m, at_a, at_b;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < 2000; i++) m_put(s, &m, i, 0, 1);
    at_a = m;
    char da[400], db[400];
    sl_state_snap *a = begin(s, snap_path(da, sizeof da));
    mutate(s, &m, 0, 2000, 1);
    at_b = m;
    sl_state_snap *b = begin(s, snap_path(db, sizeof db));
    mutate(s, &m, 0, 2000, 2);
    insert_new(s, &m, 2000, 6000, 3);
    writer wa, wb;
    writer_start(&wa, a);
    writer_start(&wb, b);
    writer_join(&wa);
    writer_join(&wb);
    sl_state_snap_free(b); /* any order */
    sl_state_snap_free(a);
    check_snapshot(da, &at_a);
    check_snapshot(db, &at_b);
    check_store(s, &m);
    sl_state_close(s);
}

/* A view released without being written (an aborted checkpoint) leaves the store as it would be
 * without it; a write that fails (its directory is gone) names the file, removes nothing of the
 * store and leaves no directory. */
static void test_unwritten_and_failed(void **state)
{
    (void)state;
    sl_state *s = open_store(SL_STATE_HASHMAP, 0), *twin = open_store(SL_STATE_HASHMAP, 0);
    static model m, tm;
    memset(&m, 0, sizeof m);
    memset(&tm, 0, sizeof tm);
    for (int i = 0; i < 1000; i++) {
        m_put(s, &m, i, 1, 1);
        m_put(twin, &tm, i, 1, 1);
    }
    char dir[400];
    sl_state_snap *snap = begin(s, snap_path(dir, sizeof dir));
    mutate(s, &m, 0, 1000, 1);
    sl_state_snap_free(snap); /* never written */
    mutate(twin, &tm, 0, 1000, 1);
    check_store(s, &m);
    assert_int_equal(mem_of(s), mem_of(twin));

    snap = begin(s, snap_path(dir, sizeof dir));
    mutate(s, &m, 0, 1000, 2);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_state_snap_write(snap, &err), SL_ERR_IO);
    assert_non_null(strstr(err.message, "could not create the state snapshot file"));
    assert_non_null(strstr(err.message, dir));
    sl_state_snap_free(snap);
    struct stat sb;
    assert_int_not_equal(stat(dir, &sb), 0);
    mutate(twin, &tm, 0, 1000, 2);
    check_store(s, &m);
    assert_int_equal(mem_of(s), mem_of(twin));
    /* begin into a directory that exists: refused, no view left open */
    assert_int_equal(mkdir(dir, 0777), 0);
    sl_state_snap *none = (sl_state_snap *)1;
    assert_int_equal(sl_state_snapshot_begin(s, dir, &none, &err), SL_ERR_EXISTS);
    assert_null(none);
    sl_state_close(s);
    sl_state_close(twin);
}

/* Iterators across begin: a scan started before begin goes on; a group scan pins keys that are
 * then changed elsewhere in the store (other key groups) while the view is written. */
static void test_iterators_across_begin(void **state)
{
    sl_state *s = open_store(kind_of(state), 0);
    static model m, at_begin;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < 600; i++)
        for (int j = 0; j < 10; j++) m_put(s, &m, i, j, 1);
    char k[16];
    key_of(5, k);
    sl_state_iter *it, *git;
    assert_int_equal(sl_state_scan(s, 5 % 2, 5 % 16, k, strlen(k), &it, NULL), SL_OK);
    assert_int_equal(sl_state_scan_group(s, 0, 2, &git, NULL), SL_OK);
    const void *u, *v, *gk;
    size_t ul, vl, gkl;
    assert_true(sl_state_iter_next(it, &u, &ul, &v, &vl));
    at_begin = m;
    char dir[400];
    sl_state_snap *snap = begin(s, snap_path(dir, sizeof dir));
    writer w;
    writer_start(&w, snap);
    for (int i = 0; i < 600; i++)
        if (i != 5 && i % 16 != 2) m_put(s, &m, i, i % NU, 9);
    int n = 1, g = 0;
    while (sl_state_iter_next(it, &u, &ul, &v, &vl)) n++;
    while (sl_state_iter_next_entry(git, &gk, &gkl, &u, &ul, &v, &vl)) g++;
    assert_int_equal(n, 10);
    int group_keys = 0; /* i = 2, 18, 34, ... below 600 (all even: sid 0) */
    for (int i = 0; i < 600; i++) group_keys += i % 16 == 2;
    assert_int_equal(g, 10 * group_keys);
    sl_state_iter_free(it);
    sl_state_iter_free(git);
    writer_join(&w);
    sl_state_snap_free(snap);
    check_snapshot(dir, &at_begin);
    check_store(s, &m);
    sl_state_close(s);
}

/* ---- fixture ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    sl_state_workdir_cleanup(sl_test_tmpdir());
    return sl_test_temp_root(tmp_root, sizeof tmp_root, "state");
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

#define BOTH(f)                                                                                                        \
    cmocka_unit_test_prestate(f, (void *)&K_ROCKSDB), cmocka_unit_test_prestate(f, (void *)&K_HASHMAP)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_view_is_frozen),
        cmocka_unit_test(test_ttl_during_view),
        BOTH(test_second_begin),
        cmocka_unit_test(test_unwritten_and_failed),
        BOTH(test_iterators_across_begin),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
