/* Unit tests for common/: errors and their rendering, strings, arenas, key groups, suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/suggest.h"

static char *render(const sl_error *err, const char *text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sl_error_print(f, err, text, text ? strlen(text) : 0);
    fclose(f);
    return buf;
}

static void test_error_render_with_caret(void **state)
{
    (void)state;
    const char *src = "SELECT a,\n       nme FROM t";
    sl_error err;
    sl_error_set(&err, SL_ERR_VALIDATION, "Column '%s' not found in any table", "nme");
    sl_error_hint(&err, "did you mean 'name'?");
    sl_error_at_offset(&err, "job.sql", 17, 3);
    char *out = render(&err, src);
    assert_string_equal(out,
                        "job.sql:2:8: error: Column 'nme' not found in any table\n"
                        "    2 |        nme FROM t\n"
                        "      |        ^~~\n"
                        "hint: did you mean 'name'?\n");
    free(out);
}

static void test_error_render_line_only(void **state)
{
    (void)state;
    sl_error err;
    sl_error_set(&err, SL_ERR_CONFIG, "bad value");
    sl_error_at(&err, "conf.yaml", 7, 0);
    sl_error_detail(&err, "expected a memory size");
    char *out = render(&err, NULL);
    assert_string_equal(out, "conf.yaml:7: error: bad value\ndetail: expected a memory size\n");
    free(out);
    assert_int_equal(sl_error_set(NULL, SL_ERR_IO, "discarded"), SL_ERR_IO);
}

static void test_source_locate(void **state)
{
    (void)state;
    int line, col;
    const char *t = "ab\ncd\n\nef";
    sl_source_locate(t, strlen(t), 0, &line, &col);
    assert_int_equal(line, 1); assert_int_equal(col, 1);
    sl_source_locate(t, strlen(t), 4, &line, &col);
    assert_int_equal(line, 2); assert_int_equal(col, 2);
    sl_source_locate(t, strlen(t), 7, &line, &col);
    assert_int_equal(line, 4); assert_int_equal(col, 1);
}

static void test_strbuf(void **state)
{
    (void)state;
    sl_strbuf sb = SL_STRBUF_INIT;
    assert_string_equal(sl_strbuf_cstr(&sb), "");
    for (int i = 0; i < 1000; i++) sl_strbuf_printf(&sb, "%d,", i);
    assert_int_equal(sb.len, strlen(sb.buf));
    assert_memory_equal(sb.buf, "0,1,2,", 6);
    sl_strbuf_reset(&sb);
    sl_strbuf_puts(&sb, "x");
    sl_strbuf_putc(&sb, 'y');
    char *s = sl_strbuf_detach(&sb);
    assert_string_equal(s, "xy");
    assert_null(sb.buf);
    free(s);
}

static void test_arena(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_create(1024);
    char *p = sl_arena_alloc(a, 10);
    assert_int_equal((uintptr_t)p % 16, 0);
    char *big = sl_arena_alloc(a, 100000); /* own block */
    memset(big, 7, 100000);
    char *q = sl_arena_strdup(a, "hello");
    assert_string_equal(q, "hello");
    int *z = sl_arena_zalloc(a, 64 * sizeof(int));
    for (int i = 0; i < 64; i++) assert_int_equal(z[i], 0);
    assert_true(sl_arena_bytes(a) >= 100000);
    sl_arena_reset(a);
    assert_int_equal(sl_arena_bytes(a), 1024);
    for (int i = 0; i < 1000; i++) sl_arena_alloc(a, 24);
    sl_arena_destroy(a);
}

static void test_key_groups(void **state)
{
    (void)state;
    /* Every key group has exactly one owner, ranges are contiguous and cover [0, max). */
    int maxp = 128;
    for (int p = 1; p <= 20; p++) {
        int next = 0;
        for (int i = 0; i < p; i++) {
            sl_key_group_range r = sl_key_group_range_for(maxp, p, i);
            assert_int_equal(r.start, next);
            for (int kg = r.start; kg <= r.end; kg++) assert_int_equal(sl_key_group_owner(maxp, p, kg), i);
            next = r.end + 1;
        }
        assert_int_equal(next, maxp);
    }
    uint64_t h = sl_hash64("id-42", 5);
    assert_int_equal(h, sl_hash64("id-42", 5));
    assert_true(sl_key_group(h, maxp) >= 0 && sl_key_group(h, maxp) < maxp);
}

static void test_suggest(void **state)
{
    (void)state;
    const char *keys[] = {"parallelism.default", "heartbeat.timeout", "heartbeat.interval"};
    assert_string_equal(sl_suggest("paralelism.default", keys, 3, false), "parallelism.default");
    assert_string_equal(sl_suggest("heartbeat.timout", keys, 3, false), "heartbeat.timeout");
    assert_null(sl_suggest("something.else.entirely", keys, 3, false));
    assert_int_equal(sl_edit_distance("NAME", "name", true), 0);
    assert_int_equal(sl_edit_distance("kitten", "sitting", false), 3);
}

static void test_log_levels(void **state)
{
    (void)state;
    sl_log_level l;
    assert_true(sl_log_level_parse("warning", &l));
    assert_int_equal(l, SL_LOG_WARN);
    assert_true(sl_log_level_parse("Debug", &l));
    assert_int_equal(l, SL_LOG_DEBUG);
    assert_false(sl_log_level_parse("loud", &l));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sl_logger lg = sl_logger_make(SL_LOG_INFO, f);
    lg.timestamps = false;
    SL_DEBUG(&lg, "test", "hidden %d", 1);
    SL_WARN(&lg, "test", "shown %d", 2);
    fclose(f);
    assert_string_equal(buf, "WARN  test     shown 2\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_render_with_caret), cmocka_unit_test(test_error_render_line_only),
        cmocka_unit_test(test_source_locate),           cmocka_unit_test(test_strbuf),
        cmocka_unit_test(test_arena),                   cmocka_unit_test(test_key_groups),
        cmocka_unit_test(test_suggest),                 cmocka_unit_test(test_log_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
