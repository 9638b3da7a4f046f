/* Unit tests for state/: the same behaviour tests run against the rocksdb and the hashmap backend —
 * put/get/overwrite/delete, value vs map state, isolation of sids, key groups and keys (prefixes of
 * each other, binary keys with zero bytes), scans of one key, TTL with a fake clock (and, for
 * rocksdb, compaction dropping expired entries) — plus rocksdb's working directory handling
 * (removed on close, leftovers of dead processes removed at open, unwritable directory errors) and
 * a memory test (8 MiB budget, ~200 MB written, RSS growth bounded, everything reads back). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SL_STATE_INTERNAL
#include "state/state.h"

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

static sl_state *open_store(sl_state_kind kind, int64_t ttl_ms, const char *dir)
{
    sl_state_options o = {0};
    o.kind = kind;
    o.dir = dir ? dir : tmp_root;
    o.name = "test-op-0";
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = 4u << 20;
    o.high_prio_pool_ratio = 0.1;
    o.bloom_bits_per_key = 10;
    o.ttl_ms = ttl_ms;
    o.now_ms = fake_clock;
    sl_state *s = NULL;
    sl_error err;
    sl_error_clear(&err);
    sl_status st = sl_state_open(&o, &s, &err);
    if (st != SL_OK) fail_msg("sl_state_open(%s): %s", sl_state_kind_name(kind), err.message);
    return s;
}

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
    char parent[300], dead[400], dead_file[500], live[400], mine[400], other[400];
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

    sl_state *s = open_store(SL_STATE_ROCKSDB, 0, parent);
    assert_false(exists(dead));
    assert_true(exists(live));
    assert_true(exists(mine));
    assert_true(exists(other));
    sl_state_close(s);
    rmdir(live);
    rmdir(mine);
    rmdir(other);
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
    const char *t = getenv("TMPDIR");
    if (!t || !*t) t = "/tmp";
    /* Named like a working directory: if this process is killed, the next store opened in the
     * same directory (or the next run of these tests) removes it. */
    sl_state_workdir_cleanup(t);
    snprintf(tmp_root, sizeof tmp_root, "%s/sluice-state-%ld-test-XXXXXX", t, (long)getpid());
    return mkdtemp(tmp_root) ? 0 : -1;
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
