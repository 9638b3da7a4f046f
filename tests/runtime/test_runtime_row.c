/* Runtime row tests: the binary row writer (every physical class, NULL bitmaps wider than one
 * word, variable-area growth, copying fields), the print form of every type, Java's
 * Double.toString, decimals, intervals, and the temporal helpers (civil dates, parsing and
 * formatting of DATE / TIME / TIMESTAMP including negative epochs and leap years, zone offsets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "runtime/row.h"
#include "runtime/temporal.h"
#include "sql/types.h"

static int g_checks; /* value assertions made through the helpers below */

/* ---- helpers ------------------------------------------------------------------------------ */

static const sql_type *T(sl_arena *a, const char *text)
{
    const sql_type *t = sql_type_parse(a, text);
    if (!t) fail_msg("type '%s' does not parse", text);
    return t;
}

/* A ROW type over the given field types (names f0, f1, ...). */
static const sql_type *row_of(sl_arena *a, int n, const sql_type **types)
{
    sql_type *t = sl_arena_zalloc(a, sizeof *t);
    t->id = SQL_T_ROW;
    t->precision = t->scale = -1;
    t->nfields = n;
    t->field_names = sl_arena_zalloc(a, sizeof(char *) * (size_t)(n + 1));
    t->field_types = sl_arena_zalloc(a, sizeof(sql_type *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        t->field_names[i] = sl_arena_strdup(a, name);
        t->field_types[i] = types[i];
    }
    return t;
}

#define EXPECT_STR(got, want) expect_str(__LINE__, got, want)
static void expect_str(int line, const char *got, const char *want)
{
    g_checks++;
    if (strcmp(got, want) != 0) fail_msg("line %d: got '%s', want '%s'", line, got, want);
}

#define EXPECT_DOUBLE(d, is_float, want) expect_double(__LINE__, d, is_float, want)
static void expect_double(int line, double d, bool is_float, const char *want)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_format_double(&sb, d, is_float);
    expect_str(line, sl_strbuf_cstr(&sb), want);
    sl_strbuf_free(&sb);
}

#define EXPECT_DECIMAL(v, scale, want) expect_decimal(__LINE__, v, scale, want)
static void expect_decimal(int line, int64_t v, int scale, const char *want)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_format_decimal(&sb, v, scale);
    expect_str(line, sl_strbuf_cstr(&sb), want);
    sl_strbuf_free(&sb);
}

static char *fmt_date(int64_t days)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_format_date(&sb, days);
    return sl_strbuf_detach(&sb);
}

static char *fmt_ts(int64_t micros, int precision, char sep)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_format_timestamp(&sb, micros, precision, sep);
    return sl_strbuf_detach(&sb);
}

static char *fmt_time(int64_t millis, int precision)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_format_time(&sb, millis, precision);
    return sl_strbuf_detach(&sb);
}

#define EXPECT_OWNED(got, want)                                                                                        \
    do {                                                                                                               \
        char *got_ = (got);                                                                                            \
        expect_str(__LINE__, got_, want);                                                                              \
        free(got_);                                                                                                    \
    } while (0)

/* ---- physical classes and row kinds ------------------------------------------------------------ */

static void test_phys_of(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    static const char *const i64[] = {"BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "DECIMAL(18, 4)", "DATE", "TIME(3)",
                                      "TIMESTAMP(3)", "TIMESTAMP_LTZ(3)", "INTERVAL YEAR TO MONTH", "INTERVAL DAY TO SECOND(3)"};
    for (size_t k = 0; k < sizeof i64 / sizeof i64[0]; k++) {
        g_checks++;
        if (sl_phys_of(T(a, i64[k])) != SL_PHYS_I64) fail_msg("%s is not I64", i64[k]);
    }
    static const char *const f64[] = {"FLOAT", "DOUBLE"};
    for (size_t k = 0; k < 2; k++) assert_int_equal(sl_phys_of(T(a, f64[k])), SL_PHYS_F64);
    static const char *const bytes[] = {"CHAR(3)", "VARCHAR(10)", "STRING", "BINARY(2)", "VARBINARY(9)", "BYTES"};
    for (size_t k = 0; k < sizeof bytes / sizeof bytes[0]; k++) assert_int_equal(sl_phys_of(T(a, bytes[k])), SL_PHYS_BYTES);
    assert_int_equal(sl_phys_of(T(a, "MAP<STRING, INT>")), SL_PHYS_BYTES);
    assert_int_equal(sl_phys_of(T(a, "MAP<STRING, BYTES>")), SL_PHYS_BYTES);
    static const char *const unsupported[] = {"DECIMAL(19, 2)", "DECIMAL(38, 10)", "ARRAY<INT>", "MAP<STRING, ARRAY<INT>>",
                                              "MAP<STRING, MAP<STRING, INT>>", "ROW<`a` INT>", "MULTISET<STRING>"};
    for (size_t k = 0; k < sizeof unsupported / sizeof unsupported[0]; k++)
        assert_int_equal(sl_phys_of(T(a, unsupported[k])), SL_PHYS_UNSUPPORTED);
    g_checks += 14;
    EXPECT_STR(sl_row_kind_str(SL_ROW_INSERT), "+I");
    EXPECT_STR(sl_row_kind_str(SL_ROW_UPDATE_BEFORE), "-U");
    EXPECT_STR(sl_row_kind_str(SL_ROW_UPDATE_AFTER), "+U");
    EXPECT_STR(sl_row_kind_str(SL_ROW_DELETE), "-D");
    sl_arena_destroy(a);
}

/* ---- MAP values ------------------------------------------------------------------------------ */

static sl_map_elem S(const char *p) { return (sl_map_elem){.p = p, .n = (uint32_t)strlen(p)}; }

/* A map built with a repeated key and NULLs, stored in a row next to other fields, read back
 * entry by entry and printed in Flink's form; malformed encodings are refused, not overread. */
static void test_map_values(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    sl_map_builder b = {0};
    sl_row_writer w = {0};
    for (int round = 0; round < 2; round++) { /* the second round reuses the grown buffers */
        sl_mb_begin(&b, SL_PHYS_BYTES, SL_PHYS_I64);
        sl_map_elem k1 = S("a"), k2 = S("bb"), k3 = {.null = true}, v1 = {.i = 1}, v2 = {.null = true}, v3 = {.i = 3}, v4 = {.i = -4};
        sl_mb_put(&b, &k1, &v1);
        sl_mb_put(&b, &k2, &v2);
        sl_mb_put(&b, &k3, &v3);
        sl_mb_put(&b, &k1, &v4); /* repeated: the last value, at the first place */
        assert_int_equal(b.n, 3);
        sl_rw_begin(&w, 3, SL_ROW_INSERT);
        sl_rw_i64(&w, 0, 7);
        char *d = sl_rw_bytes_reserve(&w, 1, sl_mb_size(&b));
        sl_mb_write(&b, d);
        sl_rw_null(&w, 2);
        const uint8_t *r = sl_rw_finish(&w);
        uint32_t len, count;
        const char *p = sl_row_bytes(r, 1, &len);
        sl_map_iter it;
        assert_true(sl_map_iter_init(&it, p, len, SL_PHYS_BYTES, SL_PHYS_I64, &count));
        assert_int_equal(count, 3);
        sl_map_elem k, v;
        assert_true(sl_map_next(&it, &k, &v));
        assert_int_equal(k.n, 1);
        assert_memory_equal(k.p, "a", 1);
        assert_int_equal(v.i, -4);
        assert_true(sl_map_next(&it, &k, &v));
        assert_true(v.null);
        assert_true(sl_map_next(&it, &k, &v));
        assert_true(k.null);
        assert_int_equal(v.i, 3);
        assert_false(sl_map_next(&it, &k, &v));
        /* the print form */
        const sql_type *types[3] = {T(a, "INT"), T(a, "MAP<STRING, INT>"), T(a, "MAP<STRING, BYTES>")};
        sl_strbuf sb = SL_STRBUF_INIT;
        sl_row_format(&sb, r, row_of(a, 3, types), 0);
        EXPECT_STR(sl_strbuf_cstr(&sb), "+I[7, {a=-4, bb=null, null=3}, null]");
        sl_strbuf_free(&sb);
        /* cut short anywhere: no entry read past the end */
        for (uint32_t cut = 0; cut < len; cut++) {
            uint32_t n = 0;
            if (sl_map_iter_init(&it, p, cut, SL_PHYS_BYTES, SL_PHYS_I64, NULL))
                while (sl_map_next(&it, &k, &v)) n++;
            assert_true(n < 3);
        }
    }
    /* BYTES values print as Flink prints byte arrays: x'..'; the empty map */
    sl_mb_begin(&b, SL_PHYS_BYTES, SL_PHYS_BYTES);
    sl_map_elem hk = S("h"), hv = {.p = "\x01\xff", .n = 2};
    sl_mb_put(&b, &hk, &hv);
    char buf[64];
    sl_mb_write(&b, buf);
    sl_map_elem m = {.p = buf, .n = sl_mb_size(&b)};
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_format_value(&sb, T(a, "MAP<STRING, BYTES>"), &m, 0);
    EXPECT_STR(sl_strbuf_cstr(&sb), "{h=x'01ff'}");
    sl_mb_begin(&b, SL_PHYS_BYTES, SL_PHYS_BYTES);
    sl_mb_write(&b, buf);
    m.n = sl_mb_size(&b);
    sl_strbuf_reset(&sb);
    sl_format_value(&sb, T(a, "MAP<STRING, BYTES>"), &m, 0);
    EXPECT_STR(sl_strbuf_cstr(&sb), "{}");
    sl_strbuf_free(&sb);
    sl_mb_free(&b);
    sl_rw_free(&w);
    sl_arena_destroy(a);
}

/* ---- the writer ------------------------------------------------------------------------------ */

static void test_writer_round_trip(void **state)
{
    (void)state;
    sl_row_writer w = {0};
    sl_rw_begin(&w, 6, SL_ROW_UPDATE_AFTER);
    sl_rw_i64(&w, 0, INT64_MIN);
    sl_rw_f64(&w, 1, -0.0);
    sl_rw_bytes(&w, 2, "héllo", 6);
    /* field 3 never set: NULL */
    sl_rw_bytes(&w, 4, "", 0);
    sl_rw_i64(&w, 5, 42);
    sl_rw_null(&w, 5); /* set, then NULL again */
    const uint8_t *r = sl_rw_finish(&w);
    assert_int_equal(sl_row_get_kind(r), SL_ROW_UPDATE_AFTER);
    assert_int_equal(sl_row_arity(r), 6);
    assert_int_equal(sl_row_len(r) % 8, 0);
    assert_int_equal(sl_row_len(r), sl_row_fixed_bytes(6) + 8); /* 6 bytes of text, padded */
    assert_int_equal(sl_row_len(r), w.len);
    assert_false(sl_row_is_null(r, 0));
    assert_true(sl_row_i64(r, 0) == INT64_MIN);
    assert_false(sl_row_is_null(r, 1));
    assert_true(sl_row_f64(r, 1) == 0 && signbit(sl_row_f64(r, 1)));
    uint32_t n;
    const char *p = sl_row_bytes(r, 2, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(p, "héllo", 6);
    assert_true(sl_row_is_null(r, 3));
    assert_false(sl_row_is_null(r, 4));
    sl_row_bytes(r, 4, &n);
    assert_int_equal(n, 0);
    assert_true(sl_row_is_null(r, 5));
    g_checks += 17;

    /* the writer is reused: a smaller row of another kind, then a row with no fields */
    sl_rw_begin(&w, 2, SL_ROW_DELETE);
    sl_rw_f64(&w, 0, 1.5);
    r = sl_rw_finish(&w);
    assert_int_equal(sl_row_get_kind(r), SL_ROW_DELETE);
    assert_int_equal(sl_row_arity(r), 2);
    assert_true(sl_row_f64(r, 0) == 1.5);
    assert_true(sl_row_is_null(r, 1));
    assert_int_equal(sl_row_len(r), sl_row_fixed_bytes(2));
    sl_row_set_kind(&w.buf[0], SL_ROW_UPDATE_BEFORE);
    assert_int_equal(sl_row_get_kind(r), SL_ROW_UPDATE_BEFORE);
    sl_rw_begin(&w, 0, SL_ROW_INSERT);
    r = sl_rw_finish(&w);
    assert_int_equal(sl_row_arity(r), 0);
    assert_int_equal(sl_row_len(r), SL_ROW_HEADER);
    g_checks += 8;
    sl_rw_free(&w);
    assert_null(w.buf);
}

static void test_null_bitmap_beyond_64_fields(void **state)
{
    (void)state;
    const int n = 130; /* three bitmap words */
    assert_int_equal(sl_row_bitmap_bytes(n), 24);
    assert_int_equal(sl_row_bitmap_bytes(64), 8);
    assert_int_equal(sl_row_bitmap_bytes(65), 16);
    assert_int_equal(sl_row_fixed_bytes(n), 8 + 24 + 8 * 130);
    sl_row_writer w = {0};
    sl_rw_begin(&w, n, SL_ROW_INSERT);
    for (int i = 0; i < n; i++)
        if (i % 3 != 0) sl_rw_i64(&w, i, i * 1000);
    sl_rw_null(&w, 64);
    sl_rw_i64(&w, 129, -129);
    const uint8_t *r = sl_rw_finish(&w);
    for (int i = 0; i < n; i++) {
        bool want_null = (i % 3 == 0 && i != 129) || i == 64;
        if (sl_row_is_null(r, i) != want_null) fail_msg("field %d: null is %d", i, sl_row_is_null(r, i));
        if (!want_null && sl_row_i64(r, i) != (i == 129 ? -129 : i * 1000)) fail_msg("field %d: wrong value", i);
    }
    /* the words themselves: bit i of word i / 64 */
    uint64_t w1;
    memcpy(&w1, r + SL_ROW_HEADER + 8, 8);
    assert_true((w1 & 1) == 1);           /* field 64 */
    assert_true(((w1 >> 1) & 1) == 0);    /* field 65 */
    uint64_t w2;
    memcpy(&w2, r + SL_ROW_HEADER + 16, 8);
    assert_true(((w2 >> 1) & 1) == 0);    /* field 129 */
    assert_true(((w2 >> 0) & 1) == 0);    /* field 128: 128 % 3 != 0 */
    g_checks += 4 + n * 2 + 4;
    sl_rw_free(&w);
}

static void test_variable_area_growth(void **state)
{
    (void)state;
    sl_row_writer w = {0};
    const int n = 60;
    sl_rw_begin(&w, n, SL_ROW_INSERT);
    uint32_t cap0 = w.cap;
    char buf[2048];
    for (int i = 0; i < n; i++) {
        uint32_t len = (uint32_t)(i * 37 % 1500);
        memset(buf, 'a' + i % 26, len);
        if (i % 2) sl_rw_bytes(&w, i, buf, len);
        else {
            char *d = sl_rw_bytes_reserve(&w, i, len);
            memcpy(d, buf, len);
        }
    }
    const uint8_t *r = sl_rw_finish(&w);
    assert_true(w.cap > cap0);
    assert_true(w.cap >= sl_row_len(r));
    uint32_t total = sl_row_fixed_bytes(n);
    for (int i = 0; i < n; i++) {
        uint32_t len;
        const char *p = sl_row_bytes(r, i, &len);
        assert_int_equal(len, (uint32_t)(i * 37 % 1500));
        for (uint32_t k = 0; k < len; k++)
            if (p[k] != 'a' + i % 26) fail_msg("field %d byte %u", i, k);
        total += len;
    }
    assert_int_equal(sl_row_len(r), (total + 7) & ~7u);
    g_checks += 3 + n;
    /* a later, smaller row reuses the buffer without shrinking it */
    uint32_t cap = w.cap;
    sl_rw_begin(&w, 1, SL_ROW_INSERT);
    sl_rw_bytes(&w, 0, "x", 1);
    r = sl_rw_finish(&w);
    assert_int_equal(w.cap, cap);
    assert_int_equal(sl_row_len(r), sl_row_fixed_bytes(1) + 8);
    g_checks += 2;
    sl_rw_free(&w);
}

static void test_rw_copy(void **state)
{
    (void)state;
    sl_row_writer src = {0}, dst = {0};
    sl_rw_begin(&src, 4, SL_ROW_INSERT);
    sl_rw_i64(&src, 0, 7);
    sl_rw_f64(&src, 1, 2.25);
    sl_rw_bytes(&src, 2, "copy me", 7);
    const uint8_t *r = sl_rw_finish(&src);
    /* reversed order, and copying the NULL field 3 over a field that was set */
    sl_rw_begin(&dst, 5, SL_ROW_UPDATE_BEFORE);
    sl_rw_i64(&dst, 0, 99);
    sl_rw_copy(&dst, 0, r, 3, SL_PHYS_I64);
    sl_rw_copy(&dst, 1, r, 2, SL_PHYS_BYTES);
    sl_rw_copy(&dst, 2, r, 1, SL_PHYS_F64);
    sl_rw_copy(&dst, 3, r, 0, SL_PHYS_I64);
    sl_rw_copy(&dst, 4, r, 2, SL_PHYS_BYTES); /* the same string twice */
    const uint8_t *c = sl_rw_finish(&dst);
    /* the copy owns its bytes: overwrite the source */
    sl_rw_begin(&src, 4, SL_ROW_INSERT);
    sl_rw_bytes(&src, 2, "XXXXXXXXXXXXXXXX", 16);
    sl_rw_finish(&src);
    assert_true(sl_row_is_null(c, 0));
    uint32_t n;
    const char *p = sl_row_bytes(c, 1, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(p, "copy me", 7);
    assert_true(sl_row_f64(c, 2) == 2.25);
    assert_int_equal(sl_row_i64(c, 3), 7);
    p = sl_row_bytes(c, 4, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(p, "copy me", 7);
    assert_int_equal(sl_row_get_kind(c), SL_ROW_UPDATE_BEFORE);
    g_checks += 8;
    sl_rw_free(&src);
    sl_rw_free(&dst);
}

/* ---- print forms ------------------------------------------------------------------------------ */

static void test_row_format_all_types(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(0);
    static const char *const tnames[] = {"BOOLEAN", "BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "DECIMAL(10, 2)", "DECIMAL(5, 0)",
                                         "FLOAT", "DOUBLE", "CHAR(3)", "STRING", "BYTES", "DATE", "TIME(0)", "TIME(3)",
                                         "TIMESTAMP(3)", "TIMESTAMP(6)", "TIMESTAMP(0)", "TIMESTAMP_LTZ(3)",
                                         "INTERVAL YEAR TO MONTH", "INTERVAL DAY TO SECOND(3)", "INT"};
    const int n = (int)(sizeof tnames / sizeof tnames[0]);
    const sql_type *types[32];
    for (int i = 0; i < n; i++) types[i] = T(a, tnames[i]);
    const sql_type *rt = row_of(a, n, types);
    sl_row_writer w = {0};
    sl_rw_begin(&w, n, SL_ROW_INSERT);
    sl_rw_i64(&w, 0, 1);
    sl_rw_i64(&w, 1, 0);
    sl_rw_i64(&w, 2, -128);
    sl_rw_i64(&w, 3, 32767);
    sl_rw_i64(&w, 4, -2147483647 - 1);
    sl_rw_i64(&w, 5, INT64_MAX);
    sl_rw_i64(&w, 6, -1250);
    sl_rw_i64(&w, 7, 12345);
    sl_rw_f64(&w, 8, (float)0.1);
    sl_rw_f64(&w, 9, 1e10);
    sl_rw_bytes(&w, 10, "ab ", 3);
    sl_rw_bytes(&w, 11, "héllo, wörld", 14);
    sl_rw_bytes(&w, 12, "\x0a\xff", 2);
    sl_rw_i64(&w, 13, sl_days_from_civil(2024, 2, 29));
    sl_rw_i64(&w, 14, (13 * 3600 + 5 * 60 + 9) * 1000);
    sl_rw_i64(&w, 15, (13 * 3600 + 5 * 60 + 9) * 1000 + 7);
    int64_t ts = sl_days_from_civil(1969, 12, 31) * SL_MICROS_PER_DAY + ((23 * 60 + 59) * 60 + 58) * 1000000LL + 123456;
    sl_rw_i64(&w, 16, ts);
    sl_rw_i64(&w, 17, ts);
    sl_rw_i64(&w, 18, ts);
    sl_rw_i64(&w, 19, 0); /* the epoch: shown in the local time zone */
    sl_rw_i64(&w, 20, 14);
    sl_rw_i64(&w, 21, -((3 * 24 + 4) * 3600000LL + 5 * 60000 + 6 * 1000 + 7));
    /* field 22: NULL */
    const uint8_t *r = sl_rw_finish(&w);
    sl_strbuf sb = SL_STRBUF_INIT;
    sl_row_format(&sb, r, rt, 0);
    EXPECT_STR(sl_strbuf_cstr(&sb), "+I[TRUE, FALSE, -128, 32767, -2147483648, 9223372036854775807, -12.50, 12345, 0.1, 1.0E10, ab , "
                                    "héllo, wörld, x'0aff', 2024-02-29, 13:05:09, 13:05:09.007, 1969-12-31 23:59:58.123, "
                                    "1969-12-31 23:59:58.123456, 1969-12-31 23:59:58, 1970-01-01 00:00:00.000, +1-02, "
                                    "-3 04:05:06.007, null]");
    /* TIMESTAMP_LTZ follows table.local-time-zone; the other types do not */
    sl_strbuf_reset(&sb);
    sl_row_format_field(&sb, r, 19, types[19], 8 * 3600);
    EXPECT_STR(sl_strbuf_cstr(&sb), "1970-01-01 08:00:00.000");
    sl_strbuf_reset(&sb);
    sl_row_format_field(&sb, r, 19, types[19], -(5 * 3600 + 30 * 60));
    EXPECT_STR(sl_strbuf_cstr(&sb), "1969-12-31 18:30:00.000");
    sl_strbuf_reset(&sb);
    sl_row_format_field(&sb, r, 16, types[16], 8 * 3600);
    EXPECT_STR(sl_strbuf_cstr(&sb), "1969-12-31 23:59:58.123");
    /* every row kind */
    static const char *const kinds[] = {"+I[null]", "-U[null]", "+U[null]", "-D[null]"};
    const sql_type *one = row_of(a, 1, &types[4]);
    for (int k = 0; k < 4; k++) {
        sl_rw_begin(&w, 1, (sl_row_kind)k);
        r = sl_rw_finish(&w);
        sl_strbuf_reset(&sb);
        sl_row_format(&sb, r, one, 0);
        EXPECT_STR(sl_strbuf_cstr(&sb), kinds[k]);
    }
    /* an empty row */
    sl_rw_begin(&w, 0, SL_ROW_INSERT);
    r = sl_rw_finish(&w);
    sl_strbuf_reset(&sb);
    sl_row_format(&sb, r, row_of(a, 0, types), 0);
    EXPECT_STR(sl_strbuf_cstr(&sb), "+I[]");
    sl_strbuf_free(&sb);
    sl_rw_free(&w);
    sl_arena_destroy(a);
}

static void test_format_double(void **state)
{
    (void)state;
    /* Java's Double.toString */
    EXPECT_DOUBLE(1.0, false, "1.0");
    EXPECT_DOUBLE(0.1, false, "0.1");
    EXPECT_DOUBLE(-2.5, false, "-2.5");
    EXPECT_DOUBLE(100.0, false, "100.0");
    EXPECT_DOUBLE(1.0e7, false, "1.0E7");
    EXPECT_DOUBLE(9999999.0, false, "9999999.0");
    EXPECT_DOUBLE(12345678.9, false, "1.23456789E7");
    EXPECT_DOUBLE(-1.5e10, false, "-1.5E10");
    EXPECT_DOUBLE(0.001, false, "0.001");
    EXPECT_DOUBLE(0.000999, false, "9.99E-4");
    EXPECT_DOUBLE(1.2345e-5, false, "1.2345E-5");
    EXPECT_DOUBLE(0.1 + 0.2, false, "0.30000000000000004");
    EXPECT_DOUBLE(1.0 / 3, false, "0.3333333333333333");
    EXPECT_DOUBLE(123456.789, false, "123456.789");
    EXPECT_DOUBLE(1e21, false, "1.0E21");
    EXPECT_DOUBLE(1.7976931348623157e308, false, "1.7976931348623157E308");
    EXPECT_DOUBLE(4.9e-324, false, "4.9E-324");
    EXPECT_DOUBLE(NAN, false, "NaN");
    EXPECT_DOUBLE(INFINITY, false, "Infinity");
    EXPECT_DOUBLE(-INFINITY, false, "-Infinity");
    EXPECT_DOUBLE(0.0, false, "0.0");
    EXPECT_DOUBLE(-0.0, false, "-0.0");
    /* Java's Float.toString: the shortest digits of the float */
    EXPECT_DOUBLE((float)0.1, true, "0.1");
    EXPECT_DOUBLE((float)1.1, true, "1.1");
    EXPECT_DOUBLE((float)1.1, false, "1.100000023841858");
    EXPECT_DOUBLE((float)1.0e7, true, "1.0E7");
    EXPECT_DOUBLE((float)3.4028235e38, true, "3.4028235E38");
    EXPECT_DOUBLE((float)-0.001, true, "-0.001");
}

static void test_format_decimal_and_interval(void **state)
{
    (void)state;
    EXPECT_DECIMAL(-1250, 2, "-12.50");
    EXPECT_DECIMAL(1250, 2, "12.50");
    EXPECT_DECIMAL(5, 3, "0.005");
    EXPECT_DECIMAL(-5, 3, "-0.005");
    EXPECT_DECIMAL(0, 2, "0.00");
    EXPECT_DECIMAL(0, 0, "0");
    EXPECT_DECIMAL(123, 0, "123");
    EXPECT_DECIMAL(100, 2, "1.00");
    EXPECT_DECIMAL(INT64_MAX, 18, "9.223372036854775807");
    EXPECT_DECIMAL(INT64_MIN, 2, "-92233720368547758.08");
    EXPECT_DECIMAL(999999999999999999LL, 18, "0.999999999999999999");

    sl_arena *a = sl_arena_create(0);
    const sql_type *ym = T(a, "INTERVAL YEAR TO MONTH"), *dt = T(a, "INTERVAL DAY TO SECOND(3)");
    struct {
        const sql_type *t;
        int64_t v;
        const char *want;
    } cases[] = {
        {ym, 14, "+1-02"},
        {ym, -1, "-0-01"},
        {ym, 0, "+0-00"},
        {ym, 1200, "+100-00"},
        {dt, (3 * 24 + 4) * 3600000LL + 5 * 60000 + 6000, "+3 04:05:06.000"},
        {dt, -1500, "-0 00:00:01.500"},
        {dt, 100LL * 86400000, "+100 00:00:00.000"},
        {dt, INT64_MIN, "-106751991167 07:12:55.808"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sl_strbuf sb = SL_STRBUF_INIT;
        sl_format_interval(&sb, cases[k].t, cases[k].v);
        EXPECT_STR(sl_strbuf_cstr(&sb), cases[k].want);
        sl_strbuf_free(&sb);
    }
    sl_arena_destroy(a);
}

/* ---- temporal ---------------------------------------------------------------------------------- */

static void test_civil_dates(void **state)
{
    (void)state;
    assert_int_equal(sl_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(sl_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(sl_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(sl_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(sl_days_from_civil(1900, 3, 1) - sl_days_from_civil(1900, 2, 28), 1); /* 1900: no Feb 29 */
    assert_int_equal(sl_days_from_civil(2000, 3, 1) - sl_days_from_civil(2000, 2, 28), 2); /* 2000: Feb 29 */
    assert_int_equal(sl_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(sl_days_from_civil(0, 3, 1) - sl_days_from_civil(0, 2, 28), 2);      /* year 0 is leap */
    g_checks += 8;
    /* round trip over ~4400 years around the epoch, including every leap day */
    for (int64_t d = -800000; d <= 800000; d += 97) {
        int64_t y;
        unsigned m, dd;
        sl_civil_from_days(d, &y, &m, &dd);
        if (m < 1 || m > 12 || dd < 1 || dd > 31 || sl_days_from_civil(y, m, dd) != d) fail_msg("day %lld", (long long)d);
    }
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    sl_civil_from_days(19782, &y, &m, &d);
    assert_true(y == 2024 && m == 2 && d == 29);
    assert_int_equal(sl_floor_div(-1, 86400), -1);
    assert_int_equal(sl_floor_mod(-1, 86400), 86399);
    assert_int_equal(sl_floor_div(86400, 86400), 1);
    assert_int_equal(sl_floor_mod(-86400, 86400), 0);
    g_checks += 7;
}

static void test_parse_format_date(void **state)
{
    (void)state;
    int64_t days;
    assert_true(sl_parse_date("2024-02-29", 10, &days));
    assert_int_equal(days, 19782);
    assert_true(sl_parse_date("  1969-12-31 ", 13, &days));
    assert_int_equal(days, -1);
    assert_true(sl_parse_date("1960-01-01", 10, &days));
    assert_int_equal(days, -3653);
    assert_true(sl_parse_date("2000-02-29", 10, &days));
    assert_true(sl_parse_date("2024-1-5", 8, &days));
    assert_int_equal(days, sl_days_from_civil(2024, 1, 5));
    assert_true(sl_parse_date("0001-01-01", 10, &days));
    assert_int_equal(days, -719162);
    static const char *const bad[] = {"2023-02-29", "1900-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10",
                                      "2024/01/01", "24-01-01",   "2024-01-01x", "",          "2024-01",    "abcd-ef-gh"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (sl_parse_date(bad[k], strlen(bad[k]), &days)) fail_msg("'%s' parsed as a date", bad[k]);
    g_checks += 13 + (int)(sizeof bad / sizeof bad[0]);
    EXPECT_OWNED(fmt_date(0), "1970-01-01");
    EXPECT_OWNED(fmt_date(-1), "1969-12-31");
    EXPECT_OWNED(fmt_date(19782), "2024-02-29");
    EXPECT_OWNED(fmt_date(-719162), "0001-01-01");
    EXPECT_OWNED(fmt_date(sl_days_from_civil(9999, 12, 31)), "9999-12-31");
}

static void test_parse_format_time(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(sl_parse_time("12:30", 5, &ms));
    assert_int_equal(ms, 45000000);
    assert_true(sl_parse_time("23:59:59.999", 12, &ms));
    assert_int_equal(ms, 86399999);
    assert_true(sl_parse_time("1:02:03", 7, &ms));
    assert_int_equal(ms, 3723000);
    assert_true(sl_parse_time("00:00:00.1239", 13, &ms)); /* beyond milliseconds: truncated */
    assert_int_equal(ms, 123);
    static const char *const bad[] = {"24:00", "12:60", "12:30:60", "12:3", "12", "12:30:", "12:30:00.", "noon"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (sl_parse_time(bad[k], strlen(bad[k]), &ms)) fail_msg("'%s' parsed as a time", bad[k]);
    g_checks += 8 + (int)(sizeof bad / sizeof bad[0]);
    EXPECT_OWNED(fmt_time(45000000, 0), "12:30:00");
    EXPECT_OWNED(fmt_time(86399999, 3), "23:59:59.999");
    EXPECT_OWNED(fmt_time(86399999, 1), "23:59:59.9");
    EXPECT_OWNED(fmt_time(5, 6), "00:00:00.005"); /* TIME holds milliseconds */
    EXPECT_OWNED(fmt_time(-1000, 0), "23:59:59"); /* wraps around the day */
}

static void test_parse_format_timestamp(void **state)
{
    (void)state;
    int64_t us;
    bool zone;
    const char *s = "2024-02-29 13:45:30.123456";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_false(zone);
    assert_true(us == 19782 * SL_MICROS_PER_DAY + ((13 * 60 + 45) * 60 + 30) * 1000000LL + 123456);
    s = "2024-02-29T13:45";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(us == 19782 * SL_MICROS_PER_DAY + (13 * 60 + 45) * 60 * 1000000LL);
    s = "2024-02-29";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(us == 19782 * SL_MICROS_PER_DAY);
    s = "1969-12-31 23:59:59.5";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(us == -500000);
    s = "1900-01-01 00:00:00";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(us == sl_days_from_civil(1900, 1, 1) * SL_MICROS_PER_DAY);
    /* zones: converted to UTC */
    s = "1970-01-01 00:00:00Z";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(zone && us == 0);
    s = "1970-01-01T08:00:00+08:00";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(zone && us == 0);
    s = "1969-12-31 18:30:00-0530";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    assert_true(zone && us == 0);
    s = "2024-02-29 10:00:00+18:00";
    assert_true(sl_parse_timestamp(s, strlen(s), &us, &zone));
    g_checks += 19;
    static const char *const bad[] = {"2024-02-29 24:00:00", "2024-02-29T", "2024-02-29 10:00:00+19:00", "2024-02-29 10:00:00+08:75",
                                      "2024-02-29 10:00:00 x", "2023-02-29 00:00:00", "2024-02-29 10:00:00+8"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (sl_parse_timestamp(bad[k], strlen(bad[k]), &us, &zone)) fail_msg("'%s' parsed as a timestamp", bad[k]);
    g_checks += (int)(sizeof bad / sizeof bad[0]);

    int64_t v = 19782 * SL_MICROS_PER_DAY + ((13 * 60 + 45) * 60 + 30) * 1000000LL + 123456;
    EXPECT_OWNED(fmt_ts(v, 6, ' '), "2024-02-29 13:45:30.123456");
    EXPECT_OWNED(fmt_ts(v, 3, ' '), "2024-02-29 13:45:30.123");
    EXPECT_OWNED(fmt_ts(v, 0, 'T'), "2024-02-29T13:45:30");
    EXPECT_OWNED(fmt_ts(v, 9, ' '), "2024-02-29 13:45:30.123456");
    EXPECT_OWNED(fmt_ts(-1, 6, ' '), "1969-12-31 23:59:59.999999");
    EXPECT_OWNED(fmt_ts(-SL_MICROS_PER_DAY, 3, ' '), "1969-12-31 00:00:00.000");
    EXPECT_OWNED(fmt_ts(sl_days_from_civil(1600, 2, 29) * SL_MICROS_PER_DAY + 1000, 3, 'T'), "1600-02-29T00:00:00.001");
}

static void test_zone_offsets(void **state)
{
    (void)state;
    int32_t off;
    static const struct {
        const char *zone;
        int32_t off;
    } fixed[] = {{"UTC", 0}, {"Z", 0}, {"GMT", 0}, {"", 0}, {"+08:00", 28800}, {"-05:30", -19800}, {"GMT+8", 28800},
                 {"UTC-03:00", -10800}, {"+18:00", 64800}};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        g_checks++;
        if (!sl_zone_offset(fixed[k].zone, 0, &off) || off != fixed[k].off) fail_msg("zone '%s'", fixed[k].zone);
    }
    static const char *const bad[] = {"+19:00", "+08:60", "GMT+", "Mars/Olympus_Mons", "../../etc/passwd", "+08:00x"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        g_checks++;
        if (sl_zone_offset(bad[k], 0, &off)) fail_msg("zone '%s' resolved", bad[k]);
    }
    if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0) {
        /* IANA names follow daylight saving time at the given instant */
        assert_true(sl_zone_offset("Asia/Kolkata", 0, &off));
        assert_int_equal(off, 19800);
        assert_true(sl_zone_offset("Europe/Berlin", 1704067200 /* 2024-01-01 */, &off));
        assert_int_equal(off, 3600);
        assert_true(sl_zone_offset("Europe/Berlin", 1719792000 /* 2024-07-01 */, &off));
        assert_int_equal(off, 7200);
        g_checks += 6;
        /* TZ is restored */
        assert_null(getenv("TZ"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phys_of),
        cmocka_unit_test(test_map_values),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_null_bitmap_beyond_64_fields),
        cmocka_unit_test(test_variable_area_growth),
        cmocka_unit_test(test_rw_copy),
        cmocka_unit_test(test_row_format_all_types),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_format_decimal_and_interval),
        cmocka_unit_test(test_civil_dates),
        cmocka_unit_test(test_parse_format_date),
        cmocka_unit_test(test_parse_format_time),
        cmocka_unit_test(test_parse_format_timestamp),
        cmocka_unit_test(test_zone_offsets),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    printf("test_runtime_row: %d value checks\n", g_checks);
    return failed;
}
