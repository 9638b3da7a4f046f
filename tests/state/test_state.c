/* Unit tests for state/: the same behaviour tests run against the rocksdb and the hashmap backend —
 * put/get/overwrite/delete, value vs map state, isolation of sids, key groups and keys (prefixes of
 * each other, binary keys with zero bytes), scans of one key, TTL with a fake clock (and, for
 * rocksdb, compaction dropping expired entries) — plus rocksdb's working directory handling
 * (removed on close, leftovers of dead processes removed at open, unwritable directory errors) and
 * a memory test (8 MiB budget, ~200 MB written, RSS growth bounded, everything reads back); and
 * snapshots and restore: same range into either backend (values, write times, TTL, later writes
 * absent, snapshot dir untouched, SST files hard-linked), scale-up and scale-down, across backends
 * and TTL settings, across file systems (copies), corrupt and missing snapshots, and group scans. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SL_STATE_INTERNAL
#include "common/hash.h"
#include "state/state.h"
#include "tests/lib/temp_root.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed memory in a quarantine (256 MiB by default) before reusing it; RocksDB frees
 * blocks all the time, so the memory test would measure the quarantine, not RocksDB. 16 MiB still
 * catches use-after-free in these tests. (ASAN_OPTIONS in the environment takes precedence.) */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16"; }
#endif

static char tmp_root[256]; /* parent of every working directory made here */

static atomic_int_least64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static const sl_state_kind K_ROCKSDB = SL_STATE_ROCKSDB;
static const sl_state_kind K_HASHMAP = SL_STATE_HASHMAP;

static sl_state *open_or_fail(const sl_state_options *o)
{
    sl_state *s = NULL;
    sl_error err;
    sl_error_clear(&err);
    if (sl_state_open(o, &s, &err) != SL_OK) fail_msg("sl_state_open(%s): %s", sl_state_kind_name(o->kind), err.message);
    return s;
}

static sl_state *open_store_wal(sl_state_kind kind, int64_t ttl_ms, const char *dir, bool snapshot_wal)
{
    sl_state_options o = {0};
    o.snapshot_wal = snapshot_wal;
    o.kind = kind;
    o.dir = dir ? dir : tmp_root;
    o.name = "test-op-0";
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = 4u << 20;
    o.high_prio_pool_ratio = 0.1;
    o.bloom_bits_per_key = 10;
    o.ttl_ms = ttl_ms;
    o.now_ms = fake_clock;
    return open_or_fail(&o);
}

static sl_state *open_store(sl_state_kind kind, int64_t ttl_ms, const char *dir) { return open_store_wal(kind, ttl_ms, dir, false); }

static sl_state_kind kind_of(void **state) { return *(const sl_state_kind *)*state; }

/* put / get helpers on strings (lengths given explicitly where bytes may be zero) */
static void put(sl_state *s, int sid, int kg, const void *k, size_t kl, const void *uk, size_t ukl, const char *v)
{
    sl_error err;
    sl_status st = sl_state_put(s, sid, kg, k, kl, uk, ukl, v, strlen(v), &err);
    if (st != SL_OK) fail_msg("put: %s", err.message);
}

/* The value as a string, or NULL if absent. */
static char got[4096];
static const char *get(sl_state *s, int sid, int kg, const void *k, size_t kl, const void *uk, size_t ukl)
{
    const void *v;
    size_t vl;
    bool found;
    sl_error err;
    sl_status st = sl_state_get(s, sid, kg, k, kl, uk, ukl, &v, &vl, &found, &err);
    if (st != SL_OK) fail_msg("get: %s", err.message);
    if (!found) return NULL;
    assert_true(vl < sizeof got);
    memcpy(got, v, vl);
    got[vl] = '\0';
    return got;
}

static void del(sl_state *s, int sid, int kg, const void *k, size_t kl, const void *uk, size_t ukl)
{
    sl_error err;
    sl_status st = sl_state_delete(s, sid, kg, k, kl, uk, ukl, &err);
    if (st != SL_OK) fail_msg("delete: %s", err.message);
}

#define S(x) x, (sizeof x - 1) /* a string literal with its length (zero bytes included) */

/* Scans a key: "ukey=value;" for each entry, sorted (hashmap order is arbitrary). */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static char scanned[65536];
static int scan(sl_state *s, int sid, int kg, const void *k, size_t kl)
{
    sl_state_iter *it;
    sl_error err;
    if (sl_state_scan(s, sid, kg, k, kl, &it, &err) != SL_OK) fail_msg("scan: %s", err.message);
    char *items[1024];
    int n = 0;
    const void *uk, *v;
    size_t ukl, vl;
    while (sl_state_iter_next(it, &uk, &ukl, &v, &vl)) {
        assert_true(n < 1024);
        char *item = malloc(ukl * 4 + vl + 3);
        size_t p = 0;
        for (size_t i = 0; i < ukl; i++) { /* zero bytes shown as \0 */
            unsigned char c = ((const unsigned char *)uk)[i];
            if (c == 0) {
                item[p++] = '\\';
                item[p++] = '0';
            } else {
                item[p++] = (char)c;
            }
        }
        item[p++] = '=';
        memcpy(item + p, v, vl);
        p += vl;
        item[p++] = ';';
        item[p] = '\0';
        items[n++] = item;
    }
    assert_int_equal(sl_state_iter_error(it, &err), SL_OK);
    sl_state_iter_free(it);
    qsort(items, (size_t)n, sizeof *items, cmp_str);
    scanned[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(scanned, items[i]);
        free(items[i]);
    }
    return n;
}

/* ---- behaviour tests, run for both backends ---- */

static void test_put_get_delete(void **state)
{
    sl_state *s = open_store(kind_of(state), 0, NULL);
    assert_null(get(s, 0, 1, S("k"), S("")));
    put(s, 0, 1, S("k"), S(""), "v1");
    assert_string_equal(get(s, 0, 1, S("k"), S("")), "v1");
    put(s, 0, 1, S("k"), S(""), "a longer second value");
    assert_string_equal(get(s, 0, 1, S("k"), S("")), "a longer second value");
    put(s, 0, 1, S("k"), S(""), "v3");
    assert_string_equal(get(s, 0, 1, S("k"), S("")), "v3");
    del(s, 0, 1, S("k"), S(""));
    assert_null(get(s, 0, 1, S("k"), S("")));
    del(s, 0, 1, S("k"), S("")); /* deleting an absent entry is fine */
    del(s, 0, 1, S("never"), S("x"));

    /* empty value, empty key, NULL pointers with length 0 */
    put(s, 0, 1, S("k"), S(""), "");
    assert_string_equal(get(s, 0, 1, S("k"), S("")), "");
    sl_error err;
    assert_int_equal(sl_state_put(s, 0, 2, NULL, 0, NULL, 0, NULL, 0, &err), SL_OK);
    const void *v;
    size_t vl;
    bool found;
    assert_int_equal(sl_state_get(s, 0, 2, NULL, 0, NULL, 0, &v, &vl, &found, &err), SL_OK);
    assert_true(found);
    assert_int_equal(vl, 0);
    assert_int_equal(sl_state_delete(s, 0, 2, NULL, 0, NULL, 0, &err), SL_OK);
    assert_int_equal(sl_state_get(s, 0, 2, NULL, 0, NULL, 0, &v, &vl, &found, &err), SL_OK);
    assert_false(found);

    /* a large value */
    char *big = malloc(100001);
    for (int i = 0; i < 100000; i++) big[i] = (char)('a' + i % 26);
    big[100000] = '\0';
    put(s, 3, 7, S("big"), S(""), big);
    assert_int_equal(sl_state_get(s, 3, 7, S("big"), S(""), &v, &vl, &found, &err), SL_OK);
    assert_true(found);
    assert_int_equal(vl, 100000);
    assert_memory_equal(v, big, 100000);
    free(big);

    /* arguments out of range */
    assert_int_equal(sl_state_put(s, 256, 0, S("k"), S(""), "v", 1, &err), SL_ERR_INVALID);
    assert_int_equal(sl_state_put(s, -1, 0, S("k"), S(""), "v", 1, &err), SL_ERR_INVALID);
    assert_int_equal(sl_state_get(s, 0, 65536, S("k"), S(""), &v, &vl, &found, &err), SL_ERR_INVALID);
    assert_false(found);
    assert_non_null(strstr(err.message, "key group"));

    sl_state_stats st;
    sl_state_get_stats(s, &st);
    assert_true(st.memory_bytes > 0);
    assert_int_equal(st.expired, 0);
    sl_state_close(s);
}

static void test_value_and_map_state(void **state)
{
    sl_state *s = open_store(kind_of(state), 0, NULL);
    /* sid 1: a value state; sid 2: a map state; same key */
    put(s, 1, 5, S("user1"), S(""), "count=3");
    put(s, 2, 5, S("user1"), S("2024-01-01"), "10");
    put(s, 2, 5, S("user1"), S("2024-01-02"), "20");
    put(s, 2, 5, S("user1"), S("2024-01-03"), "30");
    assert_string_equal(get(s, 1, 5, S("user1"), S("")), "count=3");
    assert_null(get(s, 2, 5, S("user1"), S("")));
    assert_string_equal(get(s, 2, 5, S("user1"), S("2024-01-02")), "20");
    assert_null(get(s, 1, 5, S("user1"), S("2024-01-02")));

    /* a value state scans as a map with one empty user key */
    assert_int_equal(scan(s, 1, 5, S("user1")), 1);
    assert_string_equal(scanned, "=count=3;");
    assert_int_equal(scan(s, 2, 5, S("user1")), 3);
    assert_string_equal(scanned, "2024-01-01=10;2024-01-02=20;2024-01-03=30;");

    /* overwrite and delete one user key */
    put(s, 2, 5, S("user1"), S("2024-01-02"), "21");
    del(s, 2, 5, S("user1"), S("2024-01-01"));
    assert_int_equal(scan(s, 2, 5, S("user1")), 2);
    assert_string_equal(scanned, "2024-01-02=21;2024-01-03=30;");
    /* delete all: the key is gone, and can come back */
    del(s, 2, 5, S("user1"), S("2024-01-02"));
    del(s, 2, 5, S("user1"), S("2024-01-03"));
    assert_int_equal(scan(s, 2, 5, S("user1")), 0);
    put(s, 2, 5, S("user1"), S("x"), "back");
    assert_int_equal(scan(s, 2, 5, S("user1")), 1);
    assert_string_equal(scanned, "x=back;");
    assert_string_equal(get(s, 1, 5, S("user1"), S("")), "count=3");
    sl_state_close(s);
}

/* Every (sid, kg, key, ukey) gets its own value; nothing leaks between them. */
static void test_isolation(void **state)
{
    sl_state *s = open_store(kind_of(state), 0, NULL);
    static const int sids[] = {0, 1, 255};
    static const int kgs[] = {0, 1, 255, 256, 32767, 65535};
    static const struct {
        const char *b;
        size_t n;
    } keys[] = {{S("")}, {S("a")}, {S("ab")}, {S("abc")}, {S("a\0")}, {S("a\0b")}, {S("\0")}, {S("\0\0")},
                {S("\xff")}, {S("\xff\xff")}, {S("b")}};
    static const struct {
        const char *b;
        size_t n;
    } ukeys[] = {{S("")}, {S("c")}, {S("\0")}, {S("bc")}};
    const int nk = (int)(sizeof keys / sizeof keys[0]), nu = (int)(sizeof ukeys / sizeof ukeys[0]);
    char v[64];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 6; b++)
            for (int c = 0; c < nk; c++)
                for (int d = 0; d < nu; d++) {
                    if ((a + b + c + d) % 3 == 0) continue; /* leave some absent */
                    snprintf(v, sizeof v, "%d/%d/%d/%d", sids[a], kgs[b], c, d);
                    put(s, sids[a], kgs[b], keys[c].b, keys[c].n, ukeys[d].b, ukeys[d].n, v);
                }
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 6; b++)
            for (int c = 0; c < nk; c++) {
                char want[1024] = "";
                int wn = 0;
                char *items[8];
                for (int d = 0; d < nu; d++) {
                    const char *g = get(s, sids[a], kgs[b], keys[c].b, keys[c].n, ukeys[d].b, ukeys[d].n);
                    if ((a + b + c + d) % 3 == 0) {
                        if (g) fail_msg("sid %d kg %d key %d ukey %d: found %s", sids[a], kgs[b], c, d, g);
                        continue;
                    }
                    snprintf(v, sizeof v, "%d/%d/%d/%d", sids[a], kgs[b], c, d);
                    if (!g || strcmp(g, v) != 0)
                        fail_msg("sid %d kg %d key %d ukey %d: %s, want %s", sids[a], kgs[b], c, d,
                                 g ? g : "(none)", v);
                    char *it = malloc(128);
                    snprintf(it, 128, "%s=%s;", d == 0 ? "" : d == 1 ? "c" : d == 2 ? "\\0" : "bc", v);
                    items[wn++] = it;
                }
                qsort(items, (size_t)wn, sizeof *items, cmp_str);
                for (int i = 0; i < wn; i++) {
                    strcat(want, items[i]);
                    free(items[i]);
                }
                assert_int_equal(scan(s, sids[a], kgs[b], keys[c].b, keys[c].n), wn);
                assert_string_equal(scanned, want);
            }
    sl_state_close(s);
}

static void test_scan(void **state)
{
    sl_state_kind kind = kind_of(state);
    sl_state *s = open_store(kind, 0, NULL);
    /* a big map (past the hashmap's linear inner search) next to neighbouring keys */
    char uk[32], v[32];
    for (int i = 0; i < 500; i++) {
        snprintf(uk, sizeof uk, "u%04d", i);
        snprintf(v, sizeof v, "v%d", i);
        put(s, 4, 9, S("key"), uk, strlen(uk), v);
    }
    put(s, 4, 9, S("ke"), S("y"), "other1");
    put(s, 4, 9, S("keyy"), S(""), "other2");
    put(s, 4, 10, S("key"), S("u0000"), "other3");
    put(s, 5, 9, S("key"), S("u0000"), "other4");
    put(s, 3, 9, S("key"), S("u0000"), "other5");

    sl_state_iter *it;
    sl_error err;
    assert_int_equal(sl_state_scan(s, 4, 9, S("key"), &it, &err), SL_OK);
    const void *ukp, *vp;
    size_t ukl, vl;
    int n = 0;
    char prev[32] = "";
    unsigned char seen[500] = {0};
    while (sl_state_iter_next(it, &ukp, &ukl, &vp, &vl)) {
        assert_int_equal(ukl, 5);
        memcpy(uk, ukp, ukl);
        uk[ukl] = '\0';
        int i = atoi(uk + 1);
        assert_true(i >= 0 && i < 500);
        assert_false(seen[i]);
        seen[i] = 1;
        snprintf(v, sizeof v, "v%d", i);
        assert_int_equal(vl, strlen(v));
        assert_memory_equal(vp, v, vl);
        if (kind == SL_STATE_ROCKSDB) assert_true(strcmp(prev, uk) < 0); /* byte order */
        strcpy(prev, uk);
        n++;
    }
    assert_int_equal(n, 500);
    assert_false(sl_state_iter_next(it, &ukp, &ukl, &vp, &vl)); /* stays at the end */
    assert_int_equal(sl_state_iter_error(it, &err), SL_OK);
    sl_state_iter_free(it);

    /* two iterators at once, over different keys; one abandoned halfway */
    sl_state_iter *a, *b;
    assert_int_equal(sl_state_scan(s, 4, 9, S("key"), &a, &err), SL_OK);
    assert_int_equal(sl_state_scan(s, 4, 9, S("ke"), &b, &err), SL_OK);
    assert_true(sl_state_iter_next(a, &ukp, &ukl, &vp, &vl));
    assert_true(sl_state_iter_next(b, &ukp, &ukl, &vp, &vl));
    assert_memory_equal(ukp, "y", 1);
    assert_memory_equal(vp, "other1", 6);
    assert_false(sl_state_iter_next(b, &ukp, &ukl, &vp, &vl));
    sl_state_iter_free(b);
    assert_true(sl_state_iter_next(a, &ukp, &ukl, &vp, &vl));
    sl_state_iter_free(a);

    /* delete every other user key; the scan sees the rest */
    for (int i = 0; i < 500; i += 2) {
        snprintf(uk, sizeof uk, "u%04d", i);
        del(s, 4, 9, S("key"), uk, strlen(uk));
    }
    assert_int_equal(scan(s, 4, 9, S("key")), 250);
    for (int i = 0; i < 500; i++) {
        snprintf(uk, sizeof uk, "u%04d", i);
        const char *g = get(s, 4, 9, S("key"), uk, strlen(uk));
        if (i % 2 == 0) {
            assert_null(g);
        } else {
            snprintf(v, sizeof v, "v%d", i);
            assert_non_null(g);
            assert_string_equal(g, v);
        }
    }
    assert_int_equal(scan(s, 4, 9, S("absent")), 0);
    assert_int_equal(scan(s, 4, 9, S("keyy")), 1);
    assert_string_equal(scanned, "=other2;");
    /* the iterator of an absent key, freed without next */
    assert_int_equal(sl_state_scan(s, 7, 7, S("nothing"), &it, &err), SL_OK);
    sl_state_iter_free(it);
    sl_state_close(s);
}

static void test_ttl(void **state)
{
    sl_state_kind kind = kind_of(state);
    atomic_store(&fake_now, 1000000);
    sl_state *s = open_store(kind, 1000, NULL);
    sl_state_stats st;
    put(s, 0, 1, S("k"), S(""), "value");
    put(s, 1, 1, S("m"), S("a"), "A");
    put(s, 1, 1, S("m"), S("b"), "B");
    put(s, 1, 1, S("m"), S("c"), "C");
    atomic_store(&fake_now, 1001000); /* write + ttl == now: still alive */
    assert_string_equal(get(s, 0, 1, S("k"), S("")), "value");
    put(s, 1, 1, S("m"), S("b"), "B2"); /* a write refreshes the time */
    assert_int_equal(scan(s, 1, 1, S("m")), 3);
    atomic_store(&fake_now, 1001001);
    assert_null(get(s, 0, 1, S("k"), S("")));
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 1);
    assert_null(get(s, 0, 1, S("k"), S(""))); /* deleted: not counted again */
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 1);
    /* the scan skips (and drops) a and c */
    assert_int_equal(scan(s, 1, 1, S("m")), 1);
    assert_string_equal(scanned, "b=B2;");
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 3);
    assert_int_equal(scan(s, 1, 1, S("m")), 1);
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 3);
    assert_null(get(s, 1, 1, S("m"), S("a")));
    assert_string_equal(get(s, 1, 1, S("m"), S("b")), "B2");
    /* everything expires; a scan empties the key */
    atomic_store(&fake_now, 1010000);
    assert_int_equal(scan(s, 1, 1, S("m")), 0);
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 4);
    put(s, 1, 1, S("m"), S("d"), "D");
    assert_int_equal(scan(s, 1, 1, S("m")), 1);
    assert_string_equal(scanned, "d=D;");
    sl_state_close(s);
}

/* rocksdb: compaction drops expired entries physically (and counts them). */
static void test_ttl_compaction(void **state)
{
    (void)state;
    atomic_store(&fake_now, 5000000);
    sl_state *s = open_store(SL_STATE_ROCKSDB, 60000, NULL);
    char k[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        put(s, 0, i % 128, k, strlen(k), S(""), "some value");
    }
    atomic_store(&fake_now, 5030000);
    for (int i = 0; i < 1000; i += 10) { /* 100 rewritten later: they stay */
        snprintf(k, sizeof k, "key%d", i);
        put(s, 0, i % 128, k, strlen(k), S(""), "fresh");
    }
    sl_state_rocksdb_compact(s);
    sl_state_stats st;
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 0);
    assert_int_equal(sl_state_rocksdb_raw_count(s), 1000);
    assert_true(st.disk_bytes > 0);

    atomic_store(&fake_now, 5061000); /* the first writes are 61 s old, the rewrites 31 s */
    sl_state_rocksdb_compact(s);
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 900); /* counted by the compaction filter */
    assert_int_equal(sl_state_rocksdb_raw_count(s), 100);
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        const char *g = get(s, 0, i % 128, k, strlen(k), S(""));
        if (i % 10 == 0) {
            assert_non_null(g);
            assert_string_equal(g, "fresh");
        } else {
            assert_null(g);
        }
    }
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, 900);
    sl_state_close(s);
}

/* Random puts, deletes, gets and scans against a model: exercises table growth, deletion (the
 * hashmap's backward-shift deletes in both of its tables) and keys emptied and refilled. */
enum { M_SIDS = 2, M_KGS = 3, M_KEYS = 60, M_UKEYS = 40 };
static int model[M_SIDS][M_KGS][M_KEYS][M_UKEYS]; /* value number, 0 = absent */

static size_t model_key(int i, char *out)
{
    /* the i-th string over {'\0', 'a'} by length: "", "\0", "a", "\0\0", "a\0", ... (prefixes of each
     * other, zero bytes) */
    int len = 0, base = 0;
    while (i >= base + (1 << len)) base += 1 << len++;
    for (int j = 0; j < len; j++) out[j] = ((i - base) >> j) & 1 ? 'a' : '\0';
    return (size_t)len;
}

static void test_random_ops(void **state)
{
    sl_state *s = open_store(kind_of(state), 0, NULL);
    sl_state_stats st0, st;
    sl_state_get_stats(s, &st0);
    memset(model, 0, sizeof model);
    uint64_t x = 88172645463325252ULL;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    char key[8], uk[8], v[32];
    for (int op = 1; op <= 30000; op++) {
        int a = (int)(RND() % M_SIDS), b = (int)(RND() % M_KGS), c = (int)(RND() % M_KEYS), d = (int)(RND() % M_UKEYS);
        size_t kl = model_key(c, key);
        size_t ul = (size_t)snprintf(uk, sizeof uk, "%d", d);
        if (d == 0) ul = 0; /* user key 0 is the empty one */
        int what = (int)(RND() % 10);
        if (what < 5) {
            snprintf(v, sizeof v, "v%d", op);
            put(s, a, b, key, kl, uk, ul, v);
            model[a][b][c][d] = op;
        } else if (what < 8) {
            del(s, a, b, key, kl, uk, ul);
            model[a][b][c][d] = 0;
        } else if (what < 9) {
            const char *g = get(s, a, b, key, kl, uk, ul);
            if (model[a][b][c][d] == 0) {
                assert_null(g);
            } else {
                snprintf(v, sizeof v, "v%d", model[a][b][c][d]);
                assert_non_null(g);
                assert_string_equal(g, v);
            }
        } else {
            int want = 0;
            for (int i = 0; i < M_UKEYS; i++) want += model[a][b][c][i] != 0;
            assert_int_equal(scan(s, a, b, key, kl), want);
        }
    }
#undef RND
    for (int a = 0; a < M_SIDS; a++)
        for (int b = 0; b < M_KGS; b++)
            for (int c = 0; c < M_KEYS; c++) {
                size_t kl = model_key(c, key);
                int want = 0;
                for (int d = 0; d < M_UKEYS; d++) {
                    size_t ul = d ? (size_t)snprintf(uk, sizeof uk, "%d", d) : 0;
                    const char *g = get(s, a, b, key, kl, uk, ul);
                    if (!model[a][b][c][d]) {
                        assert_null(g);
                        continue;
                    }
                    want++;
                    snprintf(v, sizeof v, "v%d", model[a][b][c][d]);
                    assert_non_null(g);
                    assert_string_equal(g, v);
                }
                assert_int_equal(scan(s, a, b, key, kl), want);
            }
    /* delete everything: the hashmap gives all its entry memory back (the outer table stays grown) */
    for (int a = 0; a < M_SIDS; a++)
        for (int b = 0; b < M_KGS; b++)
            for (int c = 0; c < M_KEYS; c++)
                for (int d = 0; d < M_UKEYS; d++) {
                    size_t kl = model_key(c, key);
                    size_t ul = d ? (size_t)snprintf(uk, sizeof uk, "%d", d) : 0;
                    del(s, a, b, key, kl, uk, ul);
                }
    for (int c = 0; c < M_KEYS; c++) {
        size_t kl = model_key(c, key);
        assert_int_equal(scan(s, 1, 2, key, kl), 0);
    }
    sl_state_get_stats(s, &st);
    if (kind_of(state) == SL_STATE_HASHMAP) {
        uint64_t table_growth = st.memory_bytes - st0.memory_bytes;
        assert_true(st.memory_bytes >= st0.memory_bytes);
        assert_true(table_growth % sizeof(void *) == 0);
        uint64_t slots = table_growth / sizeof(void *) + 64; /* the table starts with 64 slots */
        assert_true((slots & (slots - 1)) == 0);               /* and doubles */
    }
    sl_state_close(s);
}

/* ---- rocksdb working directories ---- */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_workdir_removed_on_close(void **state)
{
    (void)state;
    char parent[300];
    snprintf(parent, sizeof parent, "%s/sub/dir", tmp_root); /* created (with parents) */
    sl_state *s = open_store(SL_STATE_ROCKSDB, 0, parent);
    char path[512];
    snprintf(path, sizeof path, "%s", s->workdir);
    char want[400];
    snprintf(want, sizeof want, "%s/sluice-state-%ld-test-op-0-", parent, (long)getpid());
    assert_memory_equal(path, want, strlen(want));
    assert_true(strlen(path) > strlen(want));
    put(s, 0, 0, S("k"), S(""), "v");
    sl_state_rocksdb_compact(s); /* some files in it */
    assert_true(exists(path));
    sl_state_close(s);
    assert_false(exists(path));
    assert_true(exists(parent));

    /* the hashmap backend needs no directory */
    sl_state_options o = {0};
    o.kind = SL_STATE_HASHMAP;
    o.dir = "/nonexistent/never/created";
    sl_error err;
    assert_int_equal(sl_state_open(&o, &s, &err), SL_OK);
    assert_null(s->workdir);
    sl_state_close(s);
    assert_false(exists("/nonexistent/never/created"));
}

static void test_stale_dirs_removed(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) _exit(0);
    int ws;
    assert_int_equal(waitpid(child, &ws, 0), child);
    char parent[300], dead[400], dead_file[500], live[400], mine[400], other[400], dead_cl[400], dead_cp[400], shared[400];
    snprintf(parent, sizeof parent, "%s/stale", tmp_root);
    assert_int_equal(mkdir(parent, 0755), 0);
    snprintf(dead, sizeof dead, "%s/sluice-state-%ld-op-1-abcdef", parent, (long)child);
    snprintf(live, sizeof live, "%s/sluice-state-1-op-1-abcdef", parent); /* pid 1 is alive */
    snprintf(mine, sizeof mine, "%s/sluice-state-%ld-op-2-abcdef", parent, (long)getpid());
    snprintf(other, sizeof other, "%s/sluice-state-notapid", parent);
    assert_int_equal(mkdir(dead, 0755), 0);
    snprintf(dead_file, sizeof dead_file, "%s/db", dead);
    assert_int_equal(mkdir(dead_file, 0755), 0);
    snprintf(dead_file, sizeof dead_file, "%s/db/000001.sst", dead);
    FILE *f = fopen(dead_file, "w");
    assert_non_null(f);
    fputs("data", f);
    fclose(f);
    assert_int_equal(mkdir(live, 0755), 0);
    assert_int_equal(mkdir(mine, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    /* the join's changelog and the local checkpoint directories of a killed run go too; the
     * default checkpoint storage (no pid in its name) stays */
    snprintf(dead_cl, sizeof dead_cl, "%s/sluice-changelog-%ld-join-0-Xy12ab", parent, (long)child);
    snprintf(dead_cp, sizeof dead_cp, "%s/sluice-cp-%ld-0123abcd", parent, (long)child);
    snprintf(shared, sizeof shared, "%s/sluice-checkpoints", parent);
    assert_int_equal(mkdir(dead_cl, 0755), 0);
    assert_int_equal(mkdir(dead_cp, 0755), 0);
    assert_int_equal(mkdir(shared, 0755), 0);

    sl_state *s = open_store(SL_STATE_ROCKSDB, 0, parent);
    assert_false(exists(dead));
    assert_false(exists(dead_cl));
    assert_false(exists(dead_cp));
    assert_true(exists(live));
    assert_true(exists(mine));
    assert_true(exists(other));
    assert_true(exists(shared));
    sl_state_close(s);
    rmdir(live);
    rmdir(mine);
    rmdir(other);
    rmdir(shared);
}

static void test_unwritable_dir(void **state)
{
    (void)state;
    char file[300], bad[400];
    snprintf(file, sizeof file, "%s/a-file", tmp_root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(bad, sizeof bad, "%s/sub", file); /* under a regular file: never creatable, even by root */

    const char *dirs[] = {bad, file};
    for (int i = 0; i < 2; i++) {
        sl_state_options o = {0};
        o.kind = SL_STATE_ROCKSDB;
        o.dir = dirs[i];
        o.name = "op";
        sl_state *s = (sl_state *)&o; /* must be reset to NULL */
        sl_error err;
        sl_error_clear(&err);
        assert_int_equal(sl_state_open(&o, &s, &err), SL_ERR_IO);
        assert_null(s);
        assert_non_null(strstr(err.message, dirs[i]));
        assert_non_null(strstr(err.message, "Not a directory"));
        assert_non_null(strstr(err.hint, "state.backend.rocksdb.localdir"));
        assert_non_null(strstr(err.hint, "io.tmp.dirs"));
    }
    if (geteuid() != 0) { /* permissions only stop non-root users */
        char ro[300];
        snprintf(ro, sizeof ro, "%s/read-only", tmp_root);
        assert_int_equal(mkdir(ro, 0555), 0);
        sl_state_options o = {0};
        o.kind = SL_STATE_ROCKSDB;
        o.dir = ro;
        sl_state *s;
        sl_error err;
        assert_int_equal(sl_state_open(&o, &s, &err), SL_ERR_IO);
        assert_non_null(strstr(err.message, ro));
        assert_non_null(strstr(err.message, "Permission denied"));
        rmdir(ro);
    }
    unlink(file);
}

/* ---- rocksdb memory bound ---- */

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill_value(char *v, size_t n, uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t j = 0; j < n; j++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[j] = (char)('!' + x % 90);
    }
}

static void test_memory_bounded(void **state)
{
    (void)state;
    enum { VLEN = 200, N = 1000000 }; /* 200 MB of values */
    sl_state_options o = {0};
    o.kind = SL_STATE_ROCKSDB;
    o.dir = tmp_root;
    o.name = "memory";
    o.write_buffer_bytes = 4u << 20; /* 8 MiB budget, write-buffer ratio 0.5 */
    o.block_cache_bytes = 4u << 20;
    o.bloom_bits_per_key = 10;
    sl_state *s;
    sl_error err;
    assert_int_equal(sl_state_open(&o, &s, &err), SL_OK);
    long before = rss_kib();
    double t0 = now_s();
    char v[VLEN], k[8];
    long peak = before;
    for (uint64_t i = 0; i < N; i++) {
        for (int b = 0; b < 8; b++) k[b] = (char)(i >> (8 * (7 - b)));
        fill_value(v, VLEN, i);
        if (sl_state_put(s, 0, (int)(i % 128), k, 8, NULL, 0, v, VLEN, &err) != SL_OK) fail_msg("%s", err.message);
        if (i % 100000 == 0) {
            long r = rss_kib();
            if (r > peak) peak = r;
        }
    }
    long after_write = rss_kib();
    double t1 = now_s();
    for (uint64_t i = 0; i < N; i++) {
        for (int b = 0; b < 8; b++) k[b] = (char)(i >> (8 * (7 - b)));
        fill_value(v, VLEN, i);
        const void *g;
        size_t gl;
        bool found;
        if (sl_state_get(s, 0, (int)(i % 128), k, 8, NULL, 0, &g, &gl, &found, &err) != SL_OK)
            fail_msg("%s", err.message);
        if (!found || gl != VLEN || memcmp(g, v, VLEN) != 0) fail_msg("value %llu lost", (unsigned long long)i);
        if (i % 100000 == 0) {
            long r = rss_kib();
            if (r > peak) peak = r;
        }
    }
    long after_read = rss_kib();
    if (after_write > peak) peak = after_write;
    if (after_read > peak) peak = after_read;
    sl_state_stats st;
    sl_state_get_stats(s, &st);
    print_message("rocksdb memory: RSS %ld MiB before, %ld after writes, %ld after reads, peak %ld (growth %ld MiB); "
                  "stats memory %.1f MiB, disk %.1f MiB; writes %.1f s, reads %.1f s\n",
                  before / 1024, after_write / 1024, after_read / 1024, peak / 1024, (peak - before) / 1024,
                  st.memory_bytes / 1048576.0, st.disk_bytes / 1048576.0, t1 - t0, now_s() - t1);
    assert_true(peak - before < 64 * 1024);
    assert_true(st.disk_bytes > 20u << 20);
    sl_state_close(s);
}

/* ---- snapshots and restore ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw);

/* The entries the snapshot tests write: for each key group of 0..127 plus 300 and 65535 (outside
 * every range restored below but 0..65535), sid 0 value state of keys "k<kg>-<i>" and sid 7 map
 * state of the same keys with user keys "a" and "b\0c". */
enum { SN_KEYS = 3, SN_NKG = 130 };
static int sn_kg(int i) { return i < 128 ? i : i == 128 ? 300 : 65535; }
static size_t sn_key(char *out, int kg, int i) { return (size_t)sprintf(out, "k%d-%d", kg, i); }
static const struct {
    int sid;
    const char *uk;
    size_t ukl;
} sn_slots[] = {{0, S("")}, {7, S("a")}, {7, S("b\0c")}};
enum { SN_SLOTS = 3 };
static void sn_value(char *out, int kg, int i, int slot, int gen) { sprintf(out, "v%d/%d/%d/%d", kg, i, slot, gen); }

/* Writes every entry with generation gen into key groups [lo, hi] (of sn_kg). */
static void sn_fill(sl_state *s, int lo, int hi, int gen)
{
    char k[32], v[64];
    for (int g = 0; g < SN_NKG; g++) {
        int kg = sn_kg(g);
        if (kg < lo || kg > hi) continue;
        for (int i = 0; i < SN_KEYS; i++)
            for (int j = 0; j < SN_SLOTS; j++) {
                size_t kl = sn_key(k, kg, i);
                sn_value(v, kg, i, j, gen);
                put(s, sn_slots[j].sid, kg, k, kl, sn_slots[j].uk, sn_slots[j].ukl, v);
            }
    }
}

/* Checks the store holds exactly generation gen's entries of key groups [lo, hi]: gets, per-key
 * scans and group scans (which would show anything extra). */
static void sn_check(sl_state *s, int lo, int hi, int gen)
{
    char k[32], v[64];
    for (int g = 0; g < SN_NKG; g++) {
        int kg = sn_kg(g);
        bool in = kg >= lo && kg <= hi;
        for (int i = 0; i < SN_KEYS; i++) {
            size_t kl = sn_key(k, kg, i);
            for (int j = 0; j < SN_SLOTS; j++) {
                const char *got_v = get(s, sn_slots[j].sid, kg, k, kl, sn_slots[j].uk, sn_slots[j].ukl);
                if (!in) {
                    if (got_v) fail_msg("kg %d key %d slot %d: found %s outside %d..%d", kg, i, j, got_v, lo, hi);
                    continue;
                }
                sn_value(v, kg, i, j, gen);
                if (!got_v || strcmp(got_v, v) != 0)
                    fail_msg("kg %d key %d slot %d: %s, want %s", kg, i, j, got_v ? got_v : "(none)", v);
            }
            assert_int_equal(scan(s, 7, kg, k, kl), in ? 2 : 0);
        }
        for (int sid = 0; sid < 8; sid += 7) {
            sl_state_iter *it;
            sl_error err;
            assert_int_equal(sl_state_scan_group(s, sid, kg, &it, &err), SL_OK);
            const void *key, *uk, *val;
            size_t kl, ukl, vl;
            int n = 0;
            while (sl_state_iter_next_entry(it, &key, &kl, &uk, &ukl, &val, &vl)) n++;
            assert_int_equal(sl_state_iter_error(it, &err), SL_OK);
            sl_state_iter_free(it);
            assert_int_equal(n, in ? (sid == 0 ? SN_KEYS : 2 * SN_KEYS) : 0);
        }
    }
}

static int snap_seq;
/* A new snapshot directory path (not created) under tmp_root. */
static const char *snap_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/snapshots/cp-%d", tmp_root, ++snap_seq);
    return buf;
}

static void snapshot(sl_state *s, const char *dir)
{
    sl_error err;
    sl_error_clear(&err);
    if (sl_state_snapshot(s, dir, &err) != SL_OK) fail_msg("snapshot: %s", err.message);
}

static void restore(sl_state *s, const char *const *dirs, int n, int lo, int hi)
{
    sl_error err;
    sl_error_clear(&err);
    if (sl_state_restore(s, dirs, n, lo, hi, &err) != SL_OK) fail_msg("restore: %s", err.message);
}

/* "name size inode;" of each file in dir, sorted: shows any change to a snapshot directory. */
static void dir_listing(const char *dir, char *out, size_t n)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cd '%s' && stat -c '%%n %%s %%i %%Y' * | sort", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    assert_int_equal(pclose(p), 0);
}

static void read_text(const char *dir, const char *name, char *out, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("no %s", path);
    size_t len = fread(out, 1, n - 1, f);
    out[len] = '\0';
    fclose(f);
}

/* 1 if every *.sst of dir a is the same file (inode) under the same name in dir b, 0 if none is,
 * -1 if mixed or there is none. */
static int same_sst_inodes(const char *a, const char *b)
{
    DIR *d = opendir(a);
    assert_non_null(d);
    int same = 0, other = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".sst") != 0) continue;
        char pa[700], pb[700];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        struct stat sa, sb;
        assert_int_equal(stat(pa, &sa), 0);
        assert_int_equal(stat(pb, &sb), 0);
        if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) same++;
        else other++;
    }
    closedir(d);
    return same && !other ? 1 : other && !same ? 0 : -1;
}

/* Snapshot, then restore into a fresh store of each backend with the whole range: everything comes
 * back with its write time (TTL still applies, from the original writes); later writes do not. */
static void test_snapshot_restore(void **state)
{
    sl_state_kind kind = kind_of(state);
    atomic_store(&fake_now, 2000000);
    sl_state *s = open_store(kind, 1000, NULL);
    sn_fill(s, 0, 65535, 1);
    atomic_store(&fake_now, 2000500);
    put(s, 3, 9, S("late"), S(""), "written at +500");
    char dir[400], meta[256], inst[256], inst2[256];
    snapshot(s, snap_path(dir, sizeof dir));
    /* after the snapshot: not in it */
    put(s, 3, 9, S("after"), S(""), "x");
    sn_fill(s, 5, 5, 2);
    del(s, 0, 6, S("k6-0"), S(""));
    sl_error err;
    assert_int_equal(sl_state_snapshot(s, dir, &err), SL_ERR_EXISTS); /* the dir must be new */
    assert_non_null(strstr(err.message, dir));

    read_text(dir, "SLUICE_STATE", meta, sizeof meta);
    char want[128];
    snprintf(want, sizeof want, "sluice-state 1\nbackend %s\nttl 1\n", sl_state_kind_name(kind));
    assert_string_equal(meta, want);
    read_text(dir, "SLUICE_INSTANCE", inst, sizeof inst);
    assert_true(strlen(inst) > 8 && inst[strlen(inst) - 1] == '\n' && strchr(inst, '\n') == inst + strlen(inst) - 1);
    char listing[8192], listing2[8192];
    dir_listing(dir, listing, sizeof listing);
    if (kind == SL_STATE_ROCKSDB) {
        assert_non_null(strstr(listing, ".sst ")); /* the memtable was flushed into the checkpoint */
        assert_non_null(strstr(inst, "sluice-state-"));
    }
    /* a second snapshot of the same store: the same instance */
    char dir2[400];
    snapshot(s, snap_path(dir2, sizeof dir2));
    read_text(dir2, "SLUICE_INSTANCE", inst2, sizeof inst2);
    assert_string_equal(inst, inst2);
    sl_state_close(s); /* the snapshot outlives its store */

    for (int t = 0; t < 2; t++) {
        sl_state_kind tk = t == 0 ? SL_STATE_ROCKSDB : SL_STATE_HASHMAP;
        atomic_store(&fake_now, 2000600);
        sl_state *r = open_store(tk, 1000, NULL);
        const char *dirs[] = {dir};
        restore(r, dirs, 1, 0, 65535);
        sn_check(r, 0, 65535, 1);
        assert_string_equal(get(r, 3, 9, S("late"), S("")), "written at +500");
        assert_null(get(r, 3, 9, S("after"), S("")));
        if (tk == SL_STATE_ROCKSDB) {
            char wd[512], prefix[400];
            snprintf(wd, sizeof wd, "%s", r->workdir);
            snprintf(prefix, sizeof prefix, "%s/sluice-state-%ld-test-op-0-", tmp_root, (long)getpid());
            assert_memory_equal(wd, prefix, strlen(prefix)); /* a working dir like any other */
            if (kind == SL_STATE_ROCKSDB) assert_int_equal(same_sst_inodes(dir, wd), 1); /* hard links */
            char rinst[256];
            char rdir[400];
            snapshot(r, snap_path(rdir, sizeof rdir)); /* a restored store snapshots as a new instance */
            read_text(rdir, "SLUICE_INSTANCE", rinst, sizeof rinst);
            assert_string_not_equal(rinst, inst);
            /* TTL from the original write times: +0 entries expire after 2001000, the +500 one later */
            atomic_store(&fake_now, 2001200);
            assert_null(get(r, 0, 1, S("k1-0"), S("")));
            assert_string_equal(get(r, 3, 9, S("late"), S("")), "written at +500");
            sl_state_rocksdb_compact(r); /* the compaction filter applies to restored rows */
            sl_state_stats st;
            sl_state_get_stats(r, &st);
            assert_true(st.expired >= (uint64_t)SN_NKG * SN_KEYS * SN_SLOTS);
            assert_int_equal(sl_state_rocksdb_raw_count(r), 1);
            sl_state_close(r);
            assert_false(exists(wd)); /* close removes the new working dir */
        } else {
            atomic_store(&fake_now, 2001200);
            assert_null(get(r, 0, 1, S("k1-0"), S("")));
            assert_int_equal(scan(r, 7, 2, S("k2-1")), 0);
            assert_string_equal(get(r, 3, 9, S("late"), S("")), "written at +500");
            sl_state_close(r);
        }
    }
    dir_listing(dir, listing2, sizeof listing2);
    assert_string_equal(listing, listing2); /* restore never changes a snapshot */
}

/* Scale up (one snapshot into two halves), scale down (two snapshots into one store). */
static void test_restore_rescale(void **state)
{
    sl_state_kind kind = kind_of(state);
    atomic_store(&fake_now, 3000000);
    sl_state *s = open_store(kind, 0, NULL);
    sn_fill(s, 0, 65535, 1);
    char dir[400];
    snapshot(s, snap_path(dir, sizeof dir));
    sl_state_close(s);
    const char *one[] = {dir};
    sl_state *lo = open_store(kind, 0, NULL), *hi = open_store(kind, 0, NULL);
    restore(lo, one, 1, 0, 63);
    restore(hi, one, 1, 64, 127);
    sn_check(lo, 0, 63, 1);
    sn_check(hi, 64, 127, 1);
    /* a range at the top edge: only 65535 */
    sl_state *top = open_store(kind, 0, NULL);
    restore(top, one, 1, 65535, 65535);
    sn_check(top, 65535, 65535, 1);
    sl_state_close(top);

    /* scale down: each half's snapshot (of a store that was itself restored) into one store; a
     * range covering part of each */
    char dlo[400], dhi[400];
    put(lo, 1, 63, S("only-lo"), S(""), "L");
    snapshot(lo, snap_path(dlo, sizeof dlo));
    snapshot(hi, snap_path(dhi, sizeof dhi));
    sl_state_close(lo);
    sl_state_close(hi);
    const char *two[] = {dlo, dhi};
    sl_state *all = open_store(kind, 0, NULL);
    restore(all, two, 2, 0, 127);
    sn_check(all, 0, 127, 1);
    assert_string_equal(get(all, 1, 63, S("only-lo"), S("")), "L");
    sl_state_close(all);
    sl_state *mid = open_store(kind, 0, NULL);
    restore(mid, two, 2, 32, 95);
    sn_check(mid, 32, 95, 1);
    assert_string_equal(get(mid, 1, 63, S("only-lo"), S("")), "L");
    sl_state_close(mid);
}

/* hashmap snapshot into rocksdb and back; and TTL on one side only. */
static void test_restore_cross_backend(void **state)
{
    (void)state;
    atomic_store(&fake_now, 4000000);
    for (int src_ttl = 0; src_ttl < 2; src_ttl++)
        for (int a = 0; a < 2; a++) {
            sl_state_kind from = a ? SL_STATE_HASHMAP : SL_STATE_ROCKSDB;
            sl_state_kind to = a ? SL_STATE_ROCKSDB : SL_STATE_HASHMAP;
            atomic_store(&fake_now, 4000000);
            sl_state *s = open_store(from, src_ttl ? 1000 : 0, NULL);
            sn_fill(s, 0, 65535, 1);
            char dir[400];
            snapshot(s, snap_path(dir, sizeof dir));
            sl_state_close(s);
            const char *one[] = {dir};
            for (int dst_ttl = 0; dst_ttl < 2; dst_ttl++)
                for (int same = 0; same < 2; same++) { /* into the other backend, and into the same one */
                    sl_state_kind tk = same ? from : to;
                    atomic_store(&fake_now, 4000500);
                    sl_state *r = open_store(tk, dst_ttl ? 1000 : 0, NULL);
                    restore(r, one, 1, 10, 119);
                    sn_check(r, 10, 119, 1);
                    /* with a TTL: the snapshot's write times, or the restore time if it had none */
                    atomic_store(&fake_now, 4001200);
                    const char *g = get(r, 0, 10, S("k10-0"), S(""));
                    if (dst_ttl && src_ttl) assert_null(g);
                    else assert_non_null(g);
                    atomic_store(&fake_now, 4001600);
                    if (dst_ttl) assert_null(get(r, 0, 11, S("k11-0"), S("")));
                    else assert_non_null(get(r, 0, 11, S("k11-0"), S("")));
                    sl_state_close(r);
                }
        }
}

/* rocksdb: a snapshot on another file system (tmpfs /dev/shm, when it is one): RocksDB copies the
 * files into it, and restore copies them back (link() fails with EXDEV). */
static void test_restore_across_filesystems(void **state)
{
    (void)state;
    struct stat a, b;
    if (stat("/dev/shm", &b) != 0 || stat(tmp_root, &a) != 0 || a.st_dev == b.st_dev) {
        print_message("no second file system: skipped\n");
        return;
    }
    sl_state_workdir_cleanup("/dev/shm");
    char shm[300], dir[400];
    snprintf(shm, sizeof shm, "/dev/shm/sluice-state-%ld-test-xfs-XXXXXX", (long)getpid());
    assert_non_null(mkdtemp(shm));
    snprintf(dir, sizeof dir, "%s/cp", shm);
    atomic_store(&fake_now, 5000000);
    sl_state *s = open_store(SL_STATE_ROCKSDB, 0, NULL);
    sn_fill(s, 0, 65535, 1);
    snapshot(s, dir);
    sl_state_close(s);
    sl_state *r = open_store(SL_STATE_ROCKSDB, 0, NULL);
    const char *one[] = {dir};
    restore(r, one, 1, 0, 99);
    assert_int_equal(same_sst_inodes(dir, r->workdir), 0); /* copied */
    sn_check(r, 0, 99, 1);
    sl_state_close(r);
    nftw(shm, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *dir, const char *name, const void *data, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path); /* a new file: never write through a hard link into a store's own SST */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void expect_restore_error(sl_state_kind kind, const char *dir, const char *what)
{
    sl_state *r = open_store(kind, 0, NULL);
    const char *dirs[] = {dir};
    sl_error err;
    sl_error_clear(&err);
    sl_status st = sl_state_restore(r, dirs, 1, 0, 65535, &err);
    if (st != SL_ERR_STATE) fail_msg("%s into %s: status %d (%s)", what, sl_state_kind_name(kind), st, err.message);
    assert_non_null(strstr(err.message, dir));
    assert_true(err.hint[0] != '\0');
    sl_state_close(r);
}

static void copy_dir(const char *from, const char *to)
{
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static void test_restore_errors(void **state)
{
    sl_state_kind kind = kind_of(state);
    char missing[400], dir[400], bad[400];
    snap_path(missing, sizeof missing);
    expect_restore_error(kind, missing, "a missing dir");

    sl_state *s = open_store(SL_STATE_ROCKSDB, 0, NULL);
    sn_fill(s, 0, 3, 1);
    snapshot(s, snap_path(dir, sizeof dir));
    sl_state_close(s);
    s = open_store(SL_STATE_HASHMAP, 0, NULL);
    sn_fill(s, 0, 3, 1);
    char hdir[400];
    snapshot(s, snap_path(hdir, sizeof hdir));
    sl_state_close(s);

    static const struct {
        const char *text;
        size_t n;
        const char *msg;
    } metas[] = {{S("\x01\x02garbage\xff\x00\n"), "corrupt"},
                 {S("sluice-state 99\nbackend rocksdb\nttl 0\n"), "version 99"},
                 {S("sluice-state 1\nbackend leveldb\nttl 0\n"), "leveldb"},
                 {S("sluice-state 1\nbackend rocksdb\n"), "missing"},
                 {S(""), "missing"}};
    for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
        copy_dir(dir, snap_path(bad, sizeof bad));
        write_file(bad, "SLUICE_STATE", metas[i].text, metas[i].n);
        sl_state *r = open_store(kind, 0, NULL);
        const char *dirs[] = {bad};
        sl_error err;
        assert_int_equal(sl_state_restore(r, dirs, 1, 0, 65535, &err), SL_ERR_STATE);
        if (!strstr(err.message, metas[i].msg)) fail_msg("meta %zu: %s", i, err.message);
        assert_non_null(strstr(err.message, bad));
        sl_state_close(r);
    }
    /* no SLUICE_STATE: incomplete */
    copy_dir(dir, snap_path(bad, sizeof bad));
    char p[600];
    snprintf(p, sizeof p, "%s/SLUICE_STATE", bad);
    unlink(p);
    expect_restore_error(kind, bad, "no SLUICE_STATE");
    /* rocksdb snapshot without CURRENT: an error, not an empty store */
    copy_dir(dir, snap_path(bad, sizeof bad));
    snprintf(p, sizeof p, "%s/CURRENT", bad);
    unlink(p);
    expect_restore_error(kind, bad, "no CURRENT");
    /* garbage SST files */
    copy_dir(dir, snap_path(bad, sizeof bad));
    snprintf(p, sizeof p, "cd '%s' && for f in *.sst; do rm \"$f\"; head -c 5000 /dev/urandom > \"$f\"; done", bad);
    assert_int_equal(system(p), 0);
    expect_restore_error(kind, bad, "garbage SST");
    /* hashmap dumps: truncated, flipped byte, garbage */
    struct stat sb;
    snprintf(p, sizeof p, "%s/hashmap.dump", hdir);
    assert_int_equal(stat(p, &sb), 0);
    char *dump = malloc((size_t)sb.st_size);
    FILE *f = fopen(p, "rb");
    assert_int_equal(fread(dump, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
    fclose(f);
    for (int c = 0; c < 4; c++) {
        copy_dir(hdir, snap_path(bad, sizeof bad));
        size_t n = (size_t)sb.st_size;
        if (c == 0) n /= 2;
        if (c == 1) dump[n / 2] ^= 0x40;
        if (c == 2) memset(dump + 24, 0xff, 12); /* huge lengths */
        if (c == 3) n = 10;
        write_file(bad, "hashmap.dump", dump, n);
        expect_restore_error(kind, bad, "bad dump");
        if (c == 1) dump[n / 2] ^= 0x40;
    }
    free(dump);

    /* arguments: a store that is not empty, a bad range, no dir */
    sl_state *r = open_store(kind, 0, NULL);
    const char *dirs[] = {dir};
    sl_error err;
    assert_int_equal(sl_state_restore(r, dirs, 1, 5, 4, &err), SL_ERR_INVALID);
    assert_int_equal(sl_state_restore(r, dirs, 1, 0, 65536, &err), SL_ERR_INVALID);
    put(r, 0, 0, S("k"), S(""), "v");
    assert_int_equal(sl_state_restore(r, dirs, 1, 0, 65535, &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(sl_state_snapshot(r, "", &err), SL_ERR_INVALID);
    sl_state_close(r);
}

/* scan_group: exactly the entries of one (sid, kg), with their keys. */
static void test_scan_group(void **state)
{
    sl_state_kind kind = kind_of(state);
    atomic_store(&fake_now, 6000000);
    sl_state *s = open_store(kind, 1000, NULL);
    static const struct {
        const char *k;
        size_t kl;
        const char *uk;
        size_t ukl;
    } in[] = {{S("ab"), S("c")}, {S("abc"), S("")}, {S(""), S("")}, {S(""), S("x")}, {S("a\0"), S("\0")},
              {S("b"), S("1")},  {S("b"), S("2")},  {S("\xff"), S("\xff\xff")}};
    const int nin = (int)(sizeof in / sizeof in[0]);
    static const int kgs[] = {5, 65535};
    for (int g = 0; g < 2; g++) {
        int kg = kgs[g];
        for (int i = 0; i < nin; i++) put(s, 255, kg, in[i].k, in[i].kl, in[i].uk, in[i].ukl, "in");
        put(s, 254, kg, S("ab"), S("c"), "other sid");
        put(s, 0, kg, S("ab"), S("c"), "other sid");
        if (kg < 65535) put(s, 255, kg + 1, S("ab"), S("c"), "other kg");
        put(s, 255, kg - 1, S("ab"), S("c"), "other kg");
    }
    atomic_store(&fake_now, 6000800);
    put(s, 255, 5, S("b"), S("2"), "in"); /* rewritten: survives the TTL below */
    for (int g = 0; g < 2; g++) {
        int kg = kgs[g];
        sl_state_iter *it;
        sl_error err;
        assert_int_equal(sl_state_scan_group(s, 255, kg, &it, &err), SL_OK);
        const void *k, *uk, *v;
        size_t kl, ukl, vl;
        int n = 0;
        bool seen[16] = {0};
        char prev[64];
        size_t prevl = 0;
        while (sl_state_iter_next_entry(it, &k, &kl, &uk, &ukl, &v, &vl)) {
            assert_int_equal(vl, 2);
            assert_memory_equal(v, "in", 2);
            int m = -1;
            for (int i = 0; i < nin; i++)
                if (in[i].kl == kl && in[i].ukl == ukl && memcmp(in[i].k, k, kl) == 0 &&
                    memcmp(in[i].uk, uk, ukl) == 0)
                    m = i;
            if (m < 0) fail_msg("kg %d: unexpected entry", kg);
            assert_false(seen[m]);
            seen[m] = true;
            if (kind == SL_STATE_ROCKSDB) { /* row-key order: key length, key, user key */
                char cur[64];
                size_t curl = 0;
                cur[curl++] = (char)kl;
                memcpy(cur + curl, k, kl);
                curl += kl;
                memcpy(cur + curl, uk, ukl);
                curl += ukl;
                if (n > 0) {
                    int c = memcmp(prev, cur, prevl < curl ? prevl : curl);
                    assert_true(c < 0 || (c == 0 && prevl < curl));
                }
                memcpy(prev, cur, curl);
                prevl = curl;
            }
            n++;
            if (n == 2) put(s, 255, kg - 1, S("zz"), S(""), "write elsewhere meanwhile");
        }
        assert_int_equal(sl_state_iter_error(it, &err), SL_OK);
        assert_int_equal(n, nin);
        sl_state_iter_free(it);

        /* sl_state_iter_next on a group iterator: the same entries, without keys */
        assert_int_equal(sl_state_scan_group(s, 255, kg, &it, &err), SL_OK);
        n = 0;
        while (sl_state_iter_next(it, &uk, &ukl, &v, &vl)) n++;
        assert_int_equal(n, nin);
        sl_state_iter_free(it);
    }
    /* an empty group; one freed halfway */
    sl_state_iter *it;
    sl_error err;
    const void *k, *uk, *v;
    size_t kl, ukl, vl;
    assert_int_equal(sl_state_scan_group(s, 9, 9, &it, &err), SL_OK);
    assert_false(sl_state_iter_next_entry(it, &k, &kl, &uk, &ukl, &v, &vl));
    sl_state_iter_free(it);
    assert_int_equal(sl_state_scan_group(s, 255, 5, &it, &err), SL_OK);
    assert_true(sl_state_iter_next_entry(it, &k, &kl, &uk, &ukl, &v, &vl));
    sl_state_iter_free(it);
    assert_int_equal(sl_state_scan_group(s, 256, 5, &it, &err), SL_ERR_INVALID);
    /* next_entry on a per-key scan gives the scanned key */
    assert_int_equal(sl_state_scan(s, 255, 5, S("b"), &it, &err), SL_OK);
    int n = 0;
    while (sl_state_iter_next_entry(it, &k, &kl, &uk, &ukl, &v, &vl)) {
        assert_int_equal(kl, 1);
        assert_memory_equal(k, "b", 1);
        n++;
    }
    assert_int_equal(n, 2);
    sl_state_iter_free(it);
    /* TTL: expired entries are skipped (and dropped) */
    atomic_store(&fake_now, 6001500);
    assert_int_equal(sl_state_scan_group(s, 255, 5, &it, &err), SL_OK);
    n = 0;
    while (sl_state_iter_next_entry(it, &k, &kl, &uk, &ukl, &v, &vl)) {
        assert_int_equal(kl, 1);
        assert_memory_equal(uk, "2", 1);
        n++;
    }
    assert_int_equal(n, 1);
    sl_state_iter_free(it);
    sl_state_stats st;
    sl_state_get_stats(s, &st);
    assert_int_equal(st.expired, nin - 1);
    assert_int_equal(scan(s, 255, 5, S("ab")), 0);
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
    /* Named like a working directory: if this process is killed, the next store opened in the
     * same directory (or the next run of these tests) removes it. */
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

/* snapshot_wal (a store of a job that checkpoints): the snapshot copies the write-ahead log
 * instead of flushing the memtables, and a restore (either backend, whole or half the key
 * groups) replays it: everything written before the snapshot is back, nothing after, and the
 * restored store works on. */
static void test_snapshot_wal(void **state)
{
    (void)state;
    atomic_store(&fake_now, 2000000);
    sl_state *s = open_store_wal(SL_STATE_ROCKSDB, 0, NULL, true);
    sn_fill(s, 0, 65535, 1);
    put(s, 3, 9, S("late"), S(""), "before the snapshot");
    char dir[400], listing[8192];
    snapshot(s, snap_path(dir, sizeof dir));
    put(s, 3, 9, S("after"), S(""), "x");
    sn_fill(s, 5, 5, 2);
    dir_listing(dir, listing, sizeof listing);
    assert_non_null(strstr(listing, ".log ")); /* the log, copied */
    assert_null(strstr(listing, ".sst "));     /* no flush: the writes are only in the log */
    sl_state_close(s);
    for (int t = 0; t < 2; t++) {
        sl_state *r = open_store_wal(t ? SL_STATE_HASHMAP : SL_STATE_ROCKSDB, 0, NULL, true);
        const char *dirs[] = {dir};
        restore(r, dirs, 1, 0, 65535);
        sn_check(r, 0, 65535, 1);
        assert_string_equal(get(r, 3, 9, S("late"), S("")), "before the snapshot");
        assert_null(get(r, 3, 9, S("after"), S("")));
        /* the replayed store takes writes (RocksDB: replayed into vector memtables, flushed, and
         * opened again with the store's own options) */
        put(r, 3, 9, S("after"), S(""), "restored, then written");
        assert_string_equal(get(r, 3, 9, S("after"), S("")), "restored, then written");
        sl_state_close(r);
    }
    sl_state *h = open_store_wal(SL_STATE_ROCKSDB, 0, NULL, true); /* rescale: half the key groups */
    const char *dirs[] = {dir};
    restore(h, dirs, 1, 0, 5);
    sn_check(h, 0, 5, 1);
    assert_null(get(h, 3, 9, S("late"), S("")));
    sl_state_close(h);
}

/* ---- the write log (sl_state_options.write_log: the join's cached store with checkpoints) ---- */

#define WL_KEYS 6000
#define WL_KG 128

static sl_state *open_store_wlog(uint64_t write_buffer)
{
    sl_state_options o = {0};
    o.kind = SL_STATE_ROCKSDB;
    o.dir = tmp_root;
    o.name = "test-wlog-0";
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = write_buffer;
    o.bloom_bits_per_key = 10;
    o.now_ms = fake_clock;
    o.write_log = true;
    return open_or_fail(&o);
}

/* "v<ver>-<i>-" and i % 90 x's (values of different sizes) */
static void wl_value(char *v, size_t n, int ver, int i)
{
    int l = snprintf(v, n, "v%d-%d-", ver, i);
    assert_true(l > 0 && (size_t)l + 90 < n);
    memset(v + l, 'x', (size_t)(i % 90));
    v[l + i % 90] = '\0';
}

/* One round of changes to the model m (version per key, 0 = absent), written as the cache writes:
 * write batches, some written by sl_state_batch_write (the writer thread's call), some committed,
 * and single puts and deletes. */
static void wl_round(sl_state *s, int *m, int ver, uint64_t *rnd, int kg_lo, int kg_hi, int percent)
{
    sl_error err;
    char k[32], v[160];
    int mode = 0, inbatch = 0;
    for (int i = 0; i < WL_KEYS; i++) {
        *rnd ^= *rnd << 13, *rnd ^= *rnd >> 7, *rnd ^= *rnd << 17;
        int r = (int)(*rnd % 1000);
        if (r >= 10 * percent || i % WL_KG < kg_lo || i % WL_KG > kg_hi) continue; /* (a subtask writes its own key groups) */
        if (inbatch == 0) {
            mode = (int)(*rnd >> 40) % 3; /* 0: batch written behind, 1: batch committed, 2: single writes */
            if (mode < 2) sl_state_batch_begin(s);
        }
        snprintf(k, sizeof k, "k%d", i);
        if (r < 8 * percent) {
            wl_value(v, sizeof v, ver, i);
            put(s, 0, i % WL_KG, k, strlen(k), NULL, 0, v);
            m[i] = ver;
        } else {
            del(s, 0, i % WL_KG, k, strlen(k), NULL, 0);
            m[i] = 0;
        }
        if (++inbatch == 500 || i == WL_KEYS - 1) {
            inbatch = 0;
            if (mode == 0) {
                sl_state_batch *b = sl_state_batch_take(s);
                if (b && sl_state_batch_write(s, b, &err) != SL_OK) fail_msg("batch write: %s", err.message);
                if (b) sl_state_batch_free(s, b);
            } else if (mode == 1 && sl_state_batch_commit(s, &err) != SL_OK) {
                fail_msg("batch commit: %s", err.message);
            }
        }
    }
    if (inbatch && mode < 2 && sl_state_batch_commit(s, &err) != SL_OK) fail_msg("batch commit: %s", err.message);
}

static void wl_check(sl_state *s, const int *m, int lo, int hi, const char *what)
{
    char k[32], v[160];
    for (int i = 0; i < WL_KEYS; i++) {
        int kg = i % WL_KG;
        if (kg < lo || kg > hi) continue;
        snprintf(k, sizeof k, "k%d", i);
        const char *g = get(s, 0, kg, k, strlen(k), NULL, 0);
        if (m[i]) wl_value(v, sizeof v, m[i], i);
        if (m[i] ? !g || strcmp(g, v) != 0 : g != NULL)
            fail_msg("%s: key %s is \"%s\", want \"%s\"", what, k, g ? g : "(absent)", m[i] ? v : "(absent)");
    }
}

/* *.wbl files in dir */
static int count_wlogs(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        n += l > 4 && strcmp(e->d_name + l - 4, SL_STATE_WLOG_SUFFIX) == 0;
    }
    closedir(d);
    return n;
}

static void restore_expect_error(const char *dir, const char *want1, const char *want2)
{
    sl_state *r = open_store_wlog(256u << 10);
    const char *dirs[] = {dir};
    sl_error err;
    sl_error_clear(&err);
    assert_int_not_equal(sl_state_restore(r, dirs, 1, 0, 65535, &err), SL_OK);
    if (!strstr(err.message, want1) || !strstr(err.message, want2))
        fail_msg("restore error \"%s\" should name \"%s\" and \"%s\"", err.message, want1, want2);
    sl_state_close(r);
}

/* A store with a write log: its snapshots do not flush the memtables (the first one, of writes
 * that fit a memtable, has no SST file, only a log); with memtables far smaller than each round's
 * writes (many flushes between snapshots), each of six snapshots restores exactly the state at it,
 * whole and by key-group range, into stores that snapshot and restore on; the store keeps only the
 * logs its memtables still need; a damaged log fails the restore, naming the file and the byte. */
static void test_write_log(void **state)
{
    (void)state;
    atomic_store(&fake_now, 5000000);
    uint64_t rnd = 0x2545F4914F6CDD1Du;
    static int wm[8][WL_KEYS];
    char dirs[8][400], listing[16384];
    sl_state *s = open_store_wlog(256u << 10); /* 2 memtables of 128 KB; a round writes ~350 KB */
    char empty[400];
    snapshot(s, snap_path(empty, sizeof empty)); /* before any write: no log at all */
    assert_int_equal(count_wlogs(empty), 0);
    sl_state *e = open_store_wlog(256u << 10);
    const char *de[] = {empty};
    restore(e, de, 1, 0, 65535);
    assert_int_equal(sl_state_rocksdb_raw_count(e), 0);
    sl_state_close(e);
    put(s, 0, 1, S("k1"), S(""), "first");
    snapshot(s, snap_path(dirs[0], sizeof dirs[0]));
    dir_listing(dirs[0], listing, sizeof listing);
    assert_null(strstr(listing, ".sst "));               /* no flush */
    assert_non_null(strstr(listing, SL_STATE_WLOG_SUFFIX " ")); /* the write is in the log */
    del(s, 0, 1, S("k1"), S(""));
    for (int r = 1; r <= 6; r++) {
        memcpy(wm[r], wm[r - 1], sizeof wm[r]);
        if (r == 1) wm[r][1] = 0;
        /* rounds 4 and 6 are small: the memtables then hold writes of two rounds or more (logs) */
        wl_round(s, wm[r], r, &rnd, 0, WL_KG - 1, r == 4 ? 1 : r == 6 ? 2 : 50);
        snapshot(s, snap_path(dirs[r], sizeof dirs[r]));
        /* what the memtables hold (at most 256 KB, under a round or two) is in the newest logs;
         * older ones are gone */
        assert_true(count_wlogs(s->workdir) <= 3);
        int nl = count_wlogs(dirs[r]); /* (more when a flush is still running) */
        if (nl < (r == 4 || r == 6 ? 2 : 1) || nl > 3) fail_msg("snapshot %d links %d logs", r, nl);
    }
    wl_round(s, wm[7], 7, &rnd, 0, WL_KG - 1, 50); /* after the last snapshot: in none */
    sl_state_close(s);

    sl_state *z = open_store_wlog(256u << 10);
    const char *d0[] = {dirs[0]};
    restore(z, d0, 1, 0, 65535);
    assert_string_equal(get(z, 0, 1, S("k1"), S("")), "first");
    sl_state_close(z);
    for (int r = 1; r <= 6; r++) {
        char what[64];
        snprintf(what, sizeof what, "snapshot %d restored", r);
        sl_state *x = open_store_wlog(256u << 10);
        const char *one[] = {dirs[r]};
        restore(x, one, 1, 0, 65535);
        wl_check(x, wm[r], 0, 65535, what);
        sl_state_close(x);
    }
    /* a restored store writes on and snapshots (its logs start after the restore's rows, which it
     * flushed), by halves: then both halves' snapshots into one store (a rescale: read through a
     * working copy the logs are replayed into) */
    const char *six[] = {dirs[6]};
    sl_state *lo = open_store_wlog(256u << 10), *hi = open_store_wlog(256u << 10);
    restore(lo, six, 1, 0, 63);
    restore(hi, six, 1, 64, WL_KG - 1);
    wl_check(lo, wm[6], 0, 63, "snapshot 6, key groups 0-63");
    wl_check(hi, wm[6], 64, WL_KG - 1, "snapshot 6, key groups 64-127");
    memcpy(wm[7], wm[6], sizeof wm[7]);
    wl_round(lo, wm[7], 8, &rnd, 0, 63, 50);
    wl_round(hi, wm[7], 9, &rnd, 64, WL_KG - 1, 50);
    char dlo[400], dhi[400];
    snapshot(lo, snap_path(dlo, sizeof dlo));
    snapshot(hi, snap_path(dhi, sizeof dhi));
    assert_true(count_wlogs(dlo) >= 1);
    sl_state_close(lo);
    sl_state_close(hi);
    const char *two[] = {dlo, dhi};
    sl_state *all = open_store_wlog(256u << 10);
    restore(all, two, 2, 0, WL_KG - 1);
    wl_check(all, wm[7], 0, WL_KG - 1, "both halves' snapshots in one store");
    /* what that restore loaded is in SST files (flushed), the next writes in a log */
    wl_round(all, wm[7], 10, &rnd, 0, WL_KG - 1, 1);
    char dall[400];
    snapshot(all, snap_path(dall, sizeof dall));
    sl_state_close(all);
    all = open_store_wlog(256u << 10);
    const char *da[] = {dall};
    restore(all, da, 1, 0, WL_KG - 1);
    wl_check(all, wm[7], 0, WL_KG - 1, "the merged store's snapshot");
    sl_state_close(all);
    char parent[400];
    snprintf(parent, sizeof parent, "%s/snapshots", tmp_root);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c replay", parent);
    FILE *p = popen(cmd, "r");
    char out[32] = "";
    assert_non_null(fgets(out, sizeof out, p));
    pclose(p);
    assert_string_equal(out, "0\n"); /* the working copies are gone */

    /* damage: a copy of snapshot 6 with its newest log cut short, then with a byte changed */
    char bad[420], logp[800];
    snprintf(bad, sizeof bad, "%s-damaged", dirs[6]);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s' && cd '%s' && ls *%s | tail -1", dirs[6], bad, bad, SL_STATE_WLOG_SUFFIX);
    p = popen(cmd, "r");
    char name[64] = "";
    assert_non_null(fgets(name, sizeof name, p));
    pclose(p);
    name[strcspn(name, "\n")] = '\0';
    snprintf(logp, sizeof logp, "%s/%s", bad, name);
    struct stat sb;
    assert_int_equal(stat(logp, &sb), 0);
    assert_int_equal(truncate(logp, sb.st_size - 5), 0);
    restore_expect_error(bad, logp, "is damaged at byte");
    FILE *f = fopen(logp, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 40, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, 40, SEEK_SET), 0);
    fputc(c ^ 0x5a, f);
    fclose(f);
    restore_expect_error(bad, logp, "checksum does not match");
    /* a record whose checksum holds but which is too short for a write batch */
    f = fopen(logp, "wb");
    assert_non_null(f);
    uint8_t rec[8 + 16 + 4] = {'S', 'L', 'W', 'B', 'L', '0', '0', '1', 4, 0, 0, 0, 0, 0, 0, 0};
    uint64_t sum = sl_hash64(rec + 24, 4);
    for (int i = 0; i < 8; i++) rec[16 + i] = (uint8_t)(sum >> (8 * i));
    assert_int_equal(fwrite(rec, 1, sizeof rec, f), sizeof rec);
    fclose(f);
    restore_expect_error(bad, logp, "shorter than a write batch");
}

/* A write the log cannot take (here: past RLIMIT_FSIZE) fails, is not applied, and every later
 * snapshot of the store fails with the same message (the job restarts from its last checkpoint). */
static void test_write_log_full(void **state)
{
    (void)state;
    sl_state *s = open_store_wlog(4u << 20);
    put(s, 0, 1, S("before"), S(""), "ok");
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
    lim.rlim_cur = 64 * 1024;
    lim.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char big[100000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sl_error err;
    sl_error_clear(&err);
    sl_status st = sl_state_put(s, 0, 2, S("big"), S(""), big, strlen(big), &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    assert_int_equal(st, SL_ERR_IO);
    if (!strstr(err.message, "write log") || !strstr(err.message, s->workdir) || !strstr(err.message, "File too large"))
        fail_msg("unclear error: %s", err.message);
    assert_null(get(s, 0, 2, S("big"), S(""))); /* not applied */
    char dir[400];
    sl_error e2;
    sl_error_clear(&e2);
    assert_int_not_equal(sl_state_snapshot(s, snap_path(dir, sizeof dir), &e2), SL_OK);
    if (!strstr(e2.message, "File too large")) fail_msg("the snapshot's error does not say why: %s", e2.message);
    sl_state_close(s);
}

/* sl_state_key_cmp (the order the join's cache sorts its write-backs in) must be the order of the
 * encoded row keys in RocksDB (bytewise): random (sid, kg, key) pairs, biased to share parts. */
static int bytewise(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static void test_key_order(void **state)
{
    (void)state;
    uint64_t rnd = 0x9e3779b97f4a7c15u;
    uint8_t ka[8], kb[8], ea[SL_STATE_KEY_HEADER + 8], eb[SL_STATE_KEY_HEADER + 8];
    for (int n = 0; n < 200000; n++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        uint64_t r = rnd;
        int sa = (int)(r & 1), sb = (int)(r >> 1 & 1) * 255, kga = (int)(r >> 2 & 3) * 300, kgb = (int)(r >> 4 & 3) * 300;
        size_t la = (size_t)(r >> 6 & 7), lb = (size_t)(r >> 9 & 7);
        for (size_t i = 0; i < 8; i++) ka[i] = kb[i] = (uint8_t)(r >> (12 + 4 * i) & 1 ? 0xff : i);
        if (r >> 60 & 1) kb[r >> 61 & 7] ^= 0x80;
        size_t ela = sl_state_key_encode(ea, sa, kga, ka, la, NULL, 0), elb = sl_state_key_encode(eb, sb, kgb, kb, lb, NULL, 0);
        int want = bytewise(ea, ela, eb, elb), cmp = sl_state_key_cmp(sa, kga, ka, la, sb, kgb, kb, lb);
        if ((want > 0) != (cmp > 0) || (want < 0) != (cmp < 0))
            fail_msg("(%d,%d,len %zu) vs (%d,%d,len %zu): sl_state_key_cmp %d, RocksDB's order %d", sa, kga, la, sb, kgb, lb, cmp, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_put_get_delete),
        BOTH(test_value_and_map_state),
        BOTH(test_isolation),
        BOTH(test_scan),
        BOTH(test_random_ops),
        BOTH(test_ttl),
        cmocka_unit_test(test_ttl_compaction),
        cmocka_unit_test(test_workdir_removed_on_close),
        cmocka_unit_test(test_stale_dirs_removed),
        cmocka_unit_test(test_unwritable_dir),
        cmocka_unit_test(test_memory_bounded),
        BOTH(test_snapshot_restore),
        cmocka_unit_test(test_snapshot_wal),
        cmocka_unit_test(test_write_log),
        cmocka_unit_test(test_write_log_full),
        cmocka_unit_test(test_key_order),
        BOTH(test_restore_rescale),
        cmocka_unit_test(test_restore_cross_backend),
        cmocka_unit_test(test_restore_across_filesystems),
        BOTH(test_restore_errors),
        BOTH(test_scan_group),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
