/* Unit tests for connectors/formats: json, csv, raw and debezium-json — decoding of every
 * supported type, NULLs, missing fields, malformed records and their messages, ignore-parse-errors,
 * encoding and round trips, option validation, debezium ops, csv quoting. Rows are asserted in the
 * print connector's form ("+I[1, abc, null]"), as a user sees them. */
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
#include "common/strbuf.h"
#include "connectors/formats/format.h"
#include "runtime/row.h"
#include "sql/types.h"

static sl_arena *A;

static const sql_type *T(const char *text)
{
    const sql_type *t = sql_type_parse(A, text);
    if (!t) fail_msg("bad type text: %s", text);
    return t;
}

/* Creates a format; kv is "key", "value", ..., NULL. */
static sl_format *mk(const char *name, const sql_type *t, ...)
{
    sl_kv opts[16];
    int n = 0;
    va_list ap;
    va_start(ap, t);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL && n < 16; n++) {
        opts[n].key = k;
        opts[n].value = va_arg(ap, const char *);
    }
    va_end(ap);
    sl_format *f = NULL;
    int bad = 99;
    sl_error err;
    sl_error_clear(&err);
    sl_status st = sl_format_create(name, t, opts, n, 0, &f, &bad, &err);
    if (st != SL_OK) fail_msg("sl_format_create(%s): %s", name, err.message);
    assert_int_equal(bad, -1);
    return f;
}

/* The error of creating a format with the given options: "message" (+ " | bad=N"). */
static char create_err[2048];
static sl_status mk_err(const char *name, const sql_type *t, ...)
{
    sl_kv opts[16];
    int n = 0;
    va_list ap;
    va_start(ap, t);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL && n < 16; n++) {
        opts[n].key = k;
        opts[n].value = va_arg(ap, const char *);
    }
    va_end(ap);
    sl_format *f = NULL;
    int bad = 99;
    sl_error err;
    sl_error_clear(&err);
    sl_status st = sl_format_create(name, t, opts, n, 0, &f, &bad, &err);
    assert_null(f);
    snprintf(create_err, sizeof create_err, "%s | bad=%d", err.message, bad);
    return st;
}

typedef struct sink {
    const sql_type *t;
    sl_strbuf out;
} sink;

static void on_row(void *ctx, const uint8_t *row)
{
    sink *s = ctx;
    if (s->out.len) sl_strbuf_putc(&s->out, '\n');
    sl_row_format(&s->out, row, s->t, 0);
}

static sl_strbuf result;
static uint64_t skipped;
static sl_status last_status;

/* Decodes one record (NUL-terminated, or NULL for a tombstone); returns the rows, one a line, or
 * "error: <message> | detail: <detail>[ | hint: <hint>]". */
static const char *decn(sl_format *f, const sql_type *t, const char *rec, size_t len)
{
    sink s = {t, SL_STRBUF_INIT};
    sl_error err;
    sl_error_clear(&err);
    last_status = sl_format_decode(f, rec, len, on_row, &s, &skipped, &err);
    sl_strbuf_reset(&result);
    if (last_status != SL_OK) {
        sl_strbuf_printf(&result, "error: %s | detail: %s", err.message, err.detail);
        if (err.hint[0]) sl_strbuf_printf(&result, " | hint: %s", err.hint);
    } else {
        sl_strbuf_append(&result, s.out.buf ? s.out.buf : "", s.out.len);
    }
    sl_strbuf_free(&s.out);
    return sl_strbuf_cstr(&result);
}

static const char *dec(sl_format *f, const sql_type *t, const char *rec) { return decn(f, t, rec, rec ? strlen(rec) : 0); }

/* Decodes rec with `from` and encodes every row with `to`; returns the encodings, one a line, or
 * "error: ..." */
typedef struct encsink {
    sl_format *to;
    sl_strbuf out;
    sl_status st;
    sl_error err;
} encsink;

static void on_row_encode(void *ctx, const uint8_t *row)
{
    encsink *e = ctx;
    if (e->st != SL_OK) return;
    if (e->out.len) sl_strbuf_putc(&e->out, '\n');
    e->st = sl_format_encode(e->to, row, &e->out, &e->err);
}

static sl_strbuf enc_result;
static const char *reenc(sl_format *from, sl_format *to, const char *rec)
{
    encsink e = {to, SL_STRBUF_INIT, SL_OK};
    sl_error_clear(&e.err);
    sl_error derr;
    sl_status st = sl_format_decode(from, rec, strlen(rec), on_row_encode, &e, NULL, &derr);
    if (st != SL_OK) fail_msg("decode failed: %s / %s", derr.message, derr.detail);
    sl_strbuf_reset(&enc_result);
    if (e.st != SL_OK) sl_strbuf_printf(&enc_result, "error: %s", e.err.message);
    else sl_strbuf_append(&enc_result, e.out.buf ? e.out.buf : "", e.out.len);
    sl_strbuf_free(&e.out);
    return sl_strbuf_cstr(&enc_result);
}

/* decode(encode(row)) == row, for every row `src` yields from rec: encodes with f, decodes with
 * f, and compares the printed rows. */
typedef struct rtsink {
    sl_format *f;
    const sql_type *t;
    int rows;
    sl_strbuf enc;
} rtsink;

static void on_row_roundtrip(void *ctx, const uint8_t *row)
{
    rtsink *r = ctx;
    sl_strbuf want = SL_STRBUF_INIT;
    sl_row_format(&want, row, r->t, 0);
    sl_strbuf_reset(&r->enc);
    sl_error err;
    assert_int_equal(sl_format_encode(r->f, row, &r->enc, &err), SL_OK);
    const char *got = decn(r->f, r->t, sl_strbuf_cstr(&r->enc), r->enc.len);
    if (strcmp(got, sl_strbuf_cstr(&want)) != 0)
        fail_msg("round trip through '%s':\n  row     %s\n  encoded %s\n  decoded %s", sl_strbuf_cstr(&r->enc),
                 sl_strbuf_cstr(&want), sl_strbuf_cstr(&r->enc), got);
    r->rows++;
    sl_strbuf_free(&want);
}

static void roundtrip(sl_format *src, sl_format *f, const sql_type *t, const char *rec)
{
    rtsink r = {f, t, 0, SL_STRBUF_INIT};
    sl_error err;
    assert_int_equal(sl_format_decode(src, rec, strlen(rec), on_row_roundtrip, &r, NULL, &err), SL_OK);
    assert_int_equal(r.rows, 1);
    sl_strbuf_free(&r.enc);
}

/* ---- registry ---------------------------------------------------------------------------------- */

static void test_registry(void **state)
{
    (void)state;
    assert_true(sl_format_exists("json"));
    assert_true(sl_format_exists("csv"));
    assert_true(sl_format_exists("raw"));
    assert_true(sl_format_exists("debezium-json"));
    assert_false(sl_format_exists("avro"));
    assert_false(sl_format_exists(NULL));
    assert_true(sl_format_is_changelog("debezium-json"));
    assert_false(sl_format_is_changelog("json"));
    const char *const *keys = sl_format_option_keys("json");
    assert_non_null(keys);
    int n = 0;
    bool has = false;
    for (; keys[n]; n++) has |= strcmp(keys[n], "json.timestamp-format.standard") == 0;
    assert_true(has);
    assert_int_equal(n, 7);
    keys = sl_format_option_keys("raw");
    assert_string_equal(keys[0], "raw.charset");
    assert_string_equal(keys[1], "raw.endianness");
    assert_null(keys[2]);
    assert_null(sl_format_option_keys("xml"));

    assert_int_equal(mk_err("xml", T("ROW<`a` INT>"), NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Could not find any format factory for identifier 'xml' in the classpath. | bad=-1");
}

/* ---- json -------------------------------------------------------------------------------------- */

static const char *ALLTYPES = "ROW<`b` BOOLEAN, `ti` TINYINT, `si` SMALLINT, `i` INT, `bi` BIGINT, `f` FLOAT, "
                              "`d` DOUBLE, `dec` DECIMAL(10, 2), `s` STRING, `c` CHAR(3), `by` BYTES, `dt` DATE, "
                              "`tm` TIME(0), `ts` TIMESTAMP(3), `ltz` TIMESTAMP_LTZ(3)>";

static void test_json_decode_types(void **state)
{
    (void)state;
    const sql_type *t = T(ALLTYPES);
    sl_format *f = mk("json", t, NULL);
    assert_string_equal(dec(f, t,
                            "{\"b\": true, \"ti\": -128, \"si\": 32767, \"i\": 2147483647, \"bi\": -9223372036854775808, "
                            "\"f\": 1.5, \"d\": 2.5e10, \"dec\": 12.345, \"s\": \"h\\u00e9llo \\\"q\\\"\", \"c\": \"abc\", "
                            "\"by\": \"AQID/w==\", \"dt\": \"2024-02-29\", \"tm\": \"12:30:05\", "
                            "\"ts\": \"2020-12-30 12:13:14.123456\", \"ltz\": \"2020-12-30 12:13:14.5Z\"}"),
                        "+I[TRUE, -128, 32767, 2147483647, -9223372036854775808, 1.5, 2.5E10, 12.35, h\xc3\xa9llo \"q\", "
                        "abc, x'010203ff', 2024-02-29, 12:30:05, 2020-12-30 12:13:14.123, 2020-12-30 12:13:14.500]");
    /* all NULL, and keys in another order with unknown keys in between */
    assert_string_equal(dec(f, t, "{\"x\": 1, \"ltz\": null, \"b\": null, \"s\": null, \"zz\": [1, 2]}"),
                        "+I[null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]");
    sl_format_destroy(f);
}

static void test_json_conversions(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`i` INT, `bi` BIGINT, `d` DOUBLE, `s` STRING, `b` BOOLEAN, `dec` DECIMAL(5, 1)>");
    sl_format *f = mk("json", t, NULL);
    /* Flink accepts numbers in strings, truncates a fractional number into INT, and gives a STRING
     * column the JSON text of a non-string value */
    assert_string_equal(dec(f, t, "{\"i\": \" 123 \", \"bi\": \"-5\", \"d\": \"1e3\", \"s\": 1.0, \"b\": \"TRUE\", "
                                  "\"dec\": \"3.14159\"}"),
                        "+I[123, -5, 1000.0, 1.0, TRUE, 3.1]");
    assert_string_equal(dec(f, t, "{\"i\": 7.9, \"bi\": 1e3, \"d\": 3, \"s\": {\"a\": [1, 2.50, \"x\"], \"b\": null}, "
                                  "\"b\": \"yes\", \"dec\": 12}"),
                        "+I[7, 1000, 3.0, {\"a\":[1,2.5,\"x\"],\"b\":null}, FALSE, 12.0]");
    assert_string_equal(dec(f, t, "{\"s\": true, \"d\": \"NaN\", \"dec\": 0.05}"),
                        "+I[null, null, NaN, true, null, 0.1]");
    assert_string_equal(dec(f, t, "{\"s\": 12345678901, \"d\": \"-Infinity\", \"dec\": 123456.7}"),
                        "+I[null, null, -Infinity, 12345678901, null, null]"); /* DECIMAL overflow is NULL, as Flink */
    sl_format_destroy(f);

    /* intervals are numbers (months, milliseconds); narrow integers are range-checked */
    const sql_type *ti = T("ROW<`ym` INTERVAL YEAR TO MONTH, `dt` INTERVAL DAY TO SECOND(3), `ti` TINYINT, "
                           "`vb` VARBINARY(4)>");
    sl_format *g = mk("json", ti, NULL);
    assert_string_equal(dec(g, ti, "{\"ym\": 14, \"dt\": \"90061001\", \"ti\": \"-7\", \"vb\": \"3q2+7w\"}"),
                        "+I[+1-02, +1 01:01:01.001, -7, x'deadbeef']");
    assert_string_equal(reenc(g, g, "{\"ym\": -1, \"dt\": 5, \"vb\": \"\"}"), "{\"ym\":-1,\"dt\":5,\"ti\":null,\"vb\":\"\"}");
    assert_string_equal(dec(g, ti, "{\"ti\": 128}"), "error: Failed to deserialize JSON '{\"ti\": 128}'. | detail: field "
                                                     "'ti': cannot convert 128 to TINYINT");
    assert_string_equal(dec(g, ti, "{\"ti\": 1.0}"), "error: Failed to deserialize JSON '{\"ti\": 1.0}'. | detail: field "
                                                     "'ti': cannot convert 1.0 to TINYINT");
    sl_format *c = mk("csv", ti, NULL);
    assert_string_equal(reenc(g, c, "{\"ym\": 14, \"dt\": 90061001, \"vb\": \"AA==\"}"), "14,90061001,,AA==");
    roundtrip(g, c, ti, "{\"ym\": 14, \"dt\": 90061001, \"ti\": 127, \"vb\": \"AA==\"}");
    sl_format_destroy(c);
    sl_format_destroy(g);
}

static void test_json_missing_fields(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `name` STRING>");
    sl_format *f = mk("json", t, NULL);
    assert_string_equal(dec(f, t, "{\"id\": 1}"), "+I[1, null]");
    assert_string_equal(dec(f, t, "{}"), "+I[null, null]");
    sl_format_destroy(f);
    f = mk("json", t, "json.fail-on-missing-field", "TRUE", NULL);
    assert_string_equal(dec(f, t, "{\"id\": 1, \"name\": \"a\"}"), "+I[1, a]");
    assert_string_equal(dec(f, t, "{\"id\": 1}"),
                        "error: Failed to deserialize JSON '{\"id\": 1}'. | detail: Could not find field with name 'name'.");
    assert_int_equal(last_status, SL_ERR_INVALID);
    /* an explicit null is not missing */
    assert_string_equal(dec(f, t, "{\"id\": 1, \"name\": null}"), "+I[1, null]");
    sl_format_destroy(f);
}

static void test_json_malformed(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `ts` TIMESTAMP(3), `by` BYTES, `tl` TIMESTAMP_LTZ(3)>");
    sl_format *f = mk("json", t, NULL);
    assert_string_equal(dec(f, t, "{\"id\": x}"), "error: Failed to deserialize JSON '{\"id\": x}'. | detail: invalid "
                                                  "token near 'x' at column 8");
    assert_string_equal(dec(f, t, "{\"id\": \"abc\"}"),
                        "error: Failed to deserialize JSON '{\"id\": \"abc\"}'. | detail: field 'id': cannot convert "
                        "\"abc\" to INT");
    assert_string_equal(dec(f, t, "{\"id\": 3000000000}"),
                        "error: Failed to deserialize JSON '{\"id\": 3000000000}'. | detail: field 'id': cannot convert "
                        "3000000000 to INT");
    assert_string_equal(dec(f, t, "{\"id\": true}"),
                        "error: Failed to deserialize JSON '{\"id\": true}'. | detail: field 'id': cannot convert true "
                        "to INT");
    assert_string_equal(dec(f, t, "[1, 2]"),
                        "error: Failed to deserialize JSON '[1, 2]'. | detail: expected a JSON object, got an array");
    assert_string_equal(dec(f, t, ""), "error: Failed to deserialize JSON ''. | detail: '[' or '{' expected near end of "
                                       "file at column 0");
    assert_string_equal(dec(f, t, "{\"by\": \"not base64!\"}"),
                        "error: Failed to deserialize JSON '{\"by\": \"not base64!\"}'. | detail: field 'by': cannot "
                        "convert \"not base64!\" to BYTES | hint: BYTES values are base64 text");
    /* the timestamp standard is SQL: an ISO-8601 value fails with a hint */
    assert_string_equal(dec(f, t, "{\"ts\": \"2020-12-30T12:13:14\"}"),
                        "error: Failed to deserialize JSON '{\"ts\": \"2020-12-30T12:13:14\"}'. | detail: field 'ts': "
                        "cannot convert \"2020-12-30T12:13:14\" to TIMESTAMP(3) | hint: 'json.timestamp-format.standard' "
                        "is 'SQL' (\"yyyy-MM-dd HH:mm:ss.fff\"); set it to 'ISO-8601' for values like this one");
    assert_string_equal(dec(f, t, "{\"tl\": \"2020-12-30 12:13:14\"}"),
                        "error: Failed to deserialize JSON '{\"tl\": \"2020-12-30 12:13:14\"}'. | detail: field 'tl': "
                        "cannot convert \"2020-12-30 12:13:14\" to TIMESTAMP_LTZ(3) | hint: TIMESTAMP_LTZ values are UTC "
                        "instants with a trailing 'Z', e.g. \"2020-12-30 12:13:14.123Z\"");
    /* the record in the message is cut at 200 bytes */
    char big[400];
    memset(big, 'p', sizeof big);
    memcpy(big, "{\"id\": \"zz\", \"p\": \"", 19);
    memcpy(big + 397, "\"}", 3);
    const char *got = dec(f, t, big);
    assert_non_null(strstr(got, "error: Failed to deserialize JSON '{\"id\": \"zz\", \"p\": \"ppp"));
    assert_non_null(strstr(got, "ppp...'. | detail: field 'id': cannot convert \"zz\" to INT"));
    assert_int_equal(strstr(got, "...") - got, (int)strlen("error: Failed to deserialize JSON '") + 200);
    assert_true(strlen(got) < 300);
    /* a tombstone (no data) yields nothing */
    assert_string_equal(dec(f, t, NULL), "");
    assert_int_equal(last_status, SL_OK);
    sl_format_destroy(f);
}

static void test_json_ignore_parse_errors(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `name` STRING>");
    sl_format *f = mk("json", t, "json.ignore-parse-errors", "true", "other.option", "whatever", NULL);
    skipped = 0;
    assert_string_equal(dec(f, t, "{\"id\": x}"), "");
    assert_int_equal(last_status, SL_OK);
    assert_int_equal(skipped, 1);
    assert_string_equal(dec(f, t, "not json at all"), "");
    assert_int_equal(skipped, 2);
    /* a field that cannot be converted becomes NULL (Flink), the row is kept */
    assert_string_equal(dec(f, t, "{\"id\": \"abc\", \"name\": \"n\"}"), "+I[null, n]");
    assert_int_equal(skipped, 2);
    assert_string_equal(dec(f, t, "{\"id\": 5, \"name\": \"n\"}"), "+I[5, n]");
    sl_format_destroy(f);
}

static void test_json_timestamp_iso(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`ts` TIMESTAMP(3), `ltz` TIMESTAMP_LTZ(6), `tm` TIME(3)>");
    sl_format *f = mk("json", t, "json.timestamp-format.standard", "ISO-8601", NULL);
    assert_string_equal(dec(f, t, "{\"ts\": \"2020-12-30T12:13:14.1\", \"ltz\": \"1969-12-31T23:59:59.000001Z\", "
                                  "\"tm\": \"23:59:59.999\"}"),
                        "+I[2020-12-30 12:13:14.100, 1969-12-31 23:59:59.000001, 23:59:59.999]");
    assert_string_equal(reenc(f, f, "{\"ts\": \"2020-12-30T12:13:14.1\", \"ltz\": \"1969-12-31T23:59:59.000001Z\", "
                                    "\"tm\": \"23:59:59.5\"}"),
                        "{\"ts\":\"2020-12-30T12:13:14.1\",\"ltz\":\"1969-12-31T23:59:59.000001Z\",\"tm\":\"23:59:59.5\"}");
    const char *got = dec(f, t, "{\"ts\": \"2020-12-30 12:13:14\"}");
    assert_non_null(strstr(got, "hint: 'json.timestamp-format.standard' is 'ISO-8601'"));
    sl_format_destroy(f);
}

static void test_json_encode(void **state)
{
    (void)state;
    const sql_type *t = T(ALLTYPES);
    sl_format *f = mk("json", t, NULL);
    assert_string_equal(reenc(f, f, "{\"b\": false, \"ti\": 1, \"si\": 2, \"i\": 3, \"bi\": 4, \"f\": 0.1, \"d\": 1.5e10, "
                                    "\"dec\": \"-0.5\", \"s\": \"a\\\"b\\\\c\\n\\u0001\", \"c\": \"xyz\", \"by\": \"AAE=\", "
                                    "\"dt\": \"1970-01-01\", \"tm\": \"00:00:01\", \"ts\": \"2020-01-02 03:04:05.000\", "
                                    "\"ltz\": \"2020-01-02 03:04:05.120Z\"}"),
                        "{\"b\":false,\"ti\":1,\"si\":2,\"i\":3,\"bi\":4,\"f\":0.1,\"d\":1.5E10,\"dec\":-0.50,"
                        "\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"c\":\"xyz\",\"by\":\"AAE=\",\"dt\":\"1970-01-01\","
                        "\"tm\":\"00:00:01\",\"ts\":\"2020-01-02 03:04:05\",\"ltz\":\"2020-01-02 03:04:05.12Z\"}");
    assert_string_equal(reenc(f, f, "{\"d\": 1, \"s\": \"x\"}"),
                        "{\"b\":null,\"ti\":null,\"si\":null,\"i\":null,\"bi\":null,\"f\":null,\"d\":1.0,\"dec\":null,"
                        "\"s\":\"x\",\"c\":null,\"by\":null,\"dt\":null,\"tm\":null,\"ts\":null,\"ltz\":null}");
    assert_string_equal(reenc(f, f, "{\"d\": \"NaN\", \"f\": \"Infinity\"}"),
                        "{\"b\":null,\"ti\":null,\"si\":null,\"i\":null,\"bi\":null,\"f\":\"Infinity\",\"d\":\"NaN\","
                        "\"dec\":null,\"s\":null,\"c\":null,\"by\":null,\"dt\":null,\"tm\":null,\"ts\":null,\"ltz\":null}");
    sl_format *g = mk("json", t, "json.encode.ignore-null-fields", "true", NULL);
    assert_string_equal(reenc(f, g, "{\"d\": 1e-4, \"s\": \"x\", \"i\": 0}"), "{\"i\":0,\"d\":1.0E-4,\"s\":\"x\"}");
    assert_string_equal(reenc(f, g, "{}"), "{}");
    sl_format_destroy(g);

    /* DECIMAL as Java's BigDecimal.toString, or plain */
    const sql_type *td = T("ROW<`x` DECIMAL(18, 8)>");
    sl_format *d1 = mk("json", td, NULL);
    sl_format *d2 = mk("json", td, "json.encode.decimal-as-plain-number", "true", NULL);
    assert_string_equal(reenc(d1, d1, "{\"x\": 0.00000001}"), "{\"x\":1E-8}");
    assert_string_equal(reenc(d1, d1, "{\"x\": 0}"), "{\"x\":0E-8}");
    assert_string_equal(reenc(d1, d1, "{\"x\": 0.000001}"), "{\"x\":0.00000100}");
    assert_string_equal(reenc(d1, d2, "{\"x\": 0.00000001}"), "{\"x\":0.00000001}");
    sl_format_destroy(d1);
    sl_format_destroy(d2);

    /* updating rows are for changelog formats */
    const sql_type *ti = T("ROW<`id` INT>");
    sl_format *dbz = mk("debezium-json", ti, NULL);
    sl_format *j = mk("json", ti, NULL);
    assert_string_equal(reenc(dbz, j, "{\"before\": {\"id\": 1}, \"after\": null, \"op\": \"d\"}"),
                        "error: The 'json' format cannot encode -D rows: it only supports INSERT (+I) rows.");
    sl_format_destroy(dbz);
    sl_format_destroy(j);
    sl_format_destroy(f);
}

static void test_json_roundtrip(void **state)
{
    (void)state;
    const sql_type *t = T(ALLTYPES);
    sl_format *f = mk("json", t, NULL);
    roundtrip(f, f, t, "{\"b\": true, \"ti\": -1, \"si\": -300, \"i\": 70000, \"bi\": 9007199254740993, \"f\": 3.4e38, "
                       "\"d\": -2.2250738585072014E-308, \"dec\": 99999999.99, \"s\": \"\\u00e9\\t\\\"\\u0000z\", "
                       "\"c\": \"\", \"by\": \"\", \"dt\": \"-0001-12-31\", \"tm\": \"23:59:59\", "
                       "\"ts\": \"1900-01-01 00:00:00.001\", \"ltz\": \"2262-04-11 23:47:16.854Z\"}");
    roundtrip(f, f, t, "{}");
    sl_format *iso = mk("json", t, "json.timestamp-format.standard", "ISO-8601", NULL);
    roundtrip(f, iso, t, "{\"ts\": \"1969-12-31 23:59:59.999\", \"ltz\": \"1970-01-01 00:00:00Z\", \"d\": 0.1}");
    sl_format_destroy(iso);
    sl_format_destroy(f);
}

static void test_json_unsupported_types(void **state)
{
    (void)state;
    assert_int_equal(mk_err("json", T("ROW<`id` INT, `tags` ARRAY<STRING>>"), NULL), SL_ERR_UNSUPPORTED);
    assert_string_equal(create_err, "The 'json' format does not support column `tags` of type ARRAY<STRING> yet. | bad=-1");
    assert_int_equal(mk_err("csv", T("ROW<`amount` DECIMAL(20, 2)>"), NULL), SL_ERR_UNSUPPORTED);
    assert_string_equal(create_err, "The 'csv' format does not support column `amount` of type DECIMAL(20, 2) yet. | bad=-1");
    assert_int_equal(mk_err("debezium-json", T("ROW<`m` MAP<STRING, INT>>"), NULL), SL_ERR_UNSUPPORTED);
    /* rows hold MAP values, but no format encodes them yet: refused, not written as raw bytes */
    assert_int_equal(mk_err("csv", T("ROW<`id` INT, `h` MAP<STRING, BYTES>>"), NULL), SL_ERR_UNSUPPORTED);
    assert_string_equal(create_err, "The 'csv' format does not support column `h` of type MAP<STRING, BYTES> yet. | bad=-1");
    assert_int_equal(mk_err("json", T("ROW<`m` MAP<STRING, ARRAY<INT>>>"), NULL), SL_ERR_UNSUPPORTED);
    assert_int_equal(mk_err("raw", T("ROW<`m` MAP<STRING, INT>>"), NULL), SL_ERR_VALIDATION);
}

/* MAP<STRING, V> columns in json: an object each way, values in V's JSON form (BYTES as base64),
 * a NULL value as null, a value of the wrong kind names the field; non-string keys are refused
 * (Flink's message); a NULL key per map-null-key.mode (FAIL with Flink's message, DROP, LITERAL). */
static void test_json_maps(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `m` MAP<STRING, INT>, `h` MAP<STRING, BYTES>>");
    sl_format *f = mk("json", t, NULL);
    assert_string_equal(dec(f, t, "{\"id\":1,\"m\":{\"a\":1,\"b\":null,\"c\":\"3\"},\"h\":{\"x\":\"AQI=\"}}"),
                        "+I[1, {a=1, b=null, c=3}, {x=x'0102'}]");
    assert_string_equal(dec(f, t, "{\"id\":2,\"m\":{},\"h\":null}"), "+I[2, {}, null]");
    assert_string_equal(reenc(f, f, "{\"id\":1,\"m\":{\"a\":1,\"b\":null},\"h\":{\"x\":\"AQI=\"}}"),
                        "{\"id\":1,\"m\":{\"a\":1,\"b\":null},\"h\":{\"x\":\"AQI=\"}}");
    roundtrip(f, f, t, "{\"id\":3,\"m\":{\"k\\\"q\":-7},\"h\":{}}");
    assert_string_equal(dec(f, t, "{\"id\":4,\"m\":{\"a\":\"x\"}}"),
                        "error: Failed to deserialize JSON '{\"id\":4,\"m\":{\"a\":\"x\"}}'. | detail: field 'm': cannot convert \"x\" to INT");
    assert_string_equal(dec(f, t, "{\"id\":5,\"m\":[1]}"),
                        "error: Failed to deserialize JSON '{\"id\":5,\"m\":[1]}'. | detail: field 'm': cannot convert [1] to MAP<STRING, INT>");
    sl_format_destroy(f);
    assert_int_equal(mk_err("json", T("ROW<`m` MAP<INT, INT>>"), NULL), SL_ERR_UNSUPPORTED);
    assert_string_equal(create_err, "JSON format doesn't support non-string as key type of map. The type is: MAP<INT, INT> | bad=-1");
    /* a NULL key */
    const sql_type *t2 = T("ROW<`m` MAP<STRING, INT>>");
    sl_map_builder b = {0};
    sl_mb_begin(&b, SL_PHYS_BYTES, SL_PHYS_I64);
    sl_map_elem k1 = {.p = "a", .n = 1}, v1 = {.i = 1}, k2 = {.null = true}, v2 = {.i = 2};
    sl_mb_put(&b, &k1, &v1);
    sl_mb_put(&b, &k2, &v2);
    sl_row_writer w = {0};
    sl_rw_begin(&w, 1, SL_ROW_INSERT);
    sl_mb_write(&b, sl_rw_bytes_reserve(&w, 0, sl_mb_size(&b)));
    const uint8_t *row = sl_rw_finish(&w);
    static const char *const modes[][3] = {{"FAIL", NULL, NULL}, {"DROP", NULL, "{\"m\":{\"a\":1}}"},
                                           {"LITERAL", "nil", "{\"m\":{\"a\":1,\"nil\":2}}"}};
    for (int k = 0; k < 3; k++) {
        sl_format *g = modes[k][1] ? mk("json", t2, "json.map-null-key.mode", modes[k][0], "json.map-null-key.literal", modes[k][1], NULL)
                                   : mk("json", t2, "json.map-null-key.mode", modes[k][0], NULL);
        sl_strbuf out = SL_STRBUF_INIT;
        sl_error err;
        sl_error_clear(&err);
        sl_status st = sl_format_encode(g, row, &out, &err);
        if (modes[k][2]) {
            assert_int_equal(st, SL_OK);
            assert_string_equal(sl_strbuf_cstr(&out), modes[k][2]);
        } else {
            assert_int_equal(st, SL_ERR_RUNTIME);
            assert_string_equal(err.message, "JSON format doesn't support to serialize map data with null keys. You can drop null key "
                                             "entries or encode null in literals by specifying map-null-key.mode option.");
        }
        sl_strbuf_free(&out);
        sl_format_destroy(g);
    }
    sl_rw_free(&w);
    sl_mb_free(&b);
}

static void test_json_options(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT>");
    assert_int_equal(mk_err("json", t, "json.ignore-parse-errors", "false", "json.timestamp-format.standard", "FOO", NULL),
                     SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Invalid value for option 'json.timestamp-format.standard': 'FOO'. Supported values "
                                    "are [SQL, ISO-8601]. | bad=1");
    assert_int_equal(mk_err("json", t, "json.ignore-parse-errors", "yes", NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err,
                        "Invalid value for option 'json.ignore-parse-errors': 'yes'. Supported values are [true, false]. "
                        "| bad=0");
    assert_int_equal(mk_err("json", t, "json.map-null-key.mode", "KEEP", NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Invalid value for option 'json.map-null-key.mode': 'KEEP'. Supported values are "
                                    "[FAIL, DROP, LITERAL]. | bad=0");
    assert_int_equal(mk_err("json", t, "json.fail-on-missing-field", "true", "x", "y", "json.ignore-parse-errors", "true",
                            NULL),
                     SL_ERR_VALIDATION);
    assert_string_equal(create_err, "'json.fail-on-missing-field' and 'json.ignore-parse-errors' shouldn't both be true. "
                                    "| bad=2");
    assert_int_equal(mk_err("debezium-json", t, "debezium-json.schema-include", "1", NULL), SL_ERR_VALIDATION);
    assert_int_equal(mk_err("debezium-json", t, "debezium-json.timestamp-format.standard", "iso", NULL),
                     SL_ERR_VALIDATION);
    /* valid values in any case; other formats' options are ignored */
    sl_format *f = mk("json", t, "json.map-null-key.mode", "literal", "json.map-null-key.literal", "N",
                      "json.encode.decimal-as-plain-number", "False", "csv.field-delimiter", "too long", NULL);
    sl_format_destroy(f);
}

/* ---- csv --------------------------------------------------------------------------------------- */

static void test_csv_decode_types(void **state)
{
    (void)state;
    const sql_type *t = T(ALLTYPES);
    sl_format *f = mk("csv", t, NULL);
    assert_string_equal(dec(f, t, "true,-128,32767,2147483647,-9223372036854775808,1.5,2.5E10, 12.345 ,abc,xyz,AQID/w==,"
                                  "2024-02-29,12:30:05,2020-12-30 12:13:14.123456,2020-12-30 12:13:14.5Z"),
                        "+I[TRUE, -128, 32767, 2147483647, -9223372036854775808, 1.5, 2.5E10, 12.35, abc, xyz, "
                        "x'010203ff', 2024-02-29, 12:30:05, 2020-12-30 12:13:14.123, 2020-12-30 12:13:14.500]");
    /* empty unquoted fields: NULL except for strings (empty string) */
    assert_string_equal(dec(f, t, ",,,,,,,,,,,,,,"),
                        "+I[null, null, null, null, null, null, null, null, , , null, null, null, null, null]");
    /* a trailing CR (CRLF files) and newline are not part of the record */
    const sql_type *t2 = T("ROW<`a` INT, `b` STRING>");
    sl_format *g = mk("csv", t2, NULL);
    assert_string_equal(dec(g, t2, "1,x\r\n"), "+I[1, x]");
    assert_string_equal(dec(g, t2, "2,\r"), "+I[2, ]");
    /* an empty line yields no row */
    assert_string_equal(dec(g, t2, ""), "");
    sl_format_destroy(g);
    sl_format_destroy(f);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `s` STRING, `n` INT>");
    sl_format *f = mk("csv", t, NULL);
    assert_string_equal(dec(f, t, "1,\"a,b\",2"), "+I[1, a,b, 2]");
    assert_string_equal(dec(f, t, "1,\"say \"\"hi\"\"\",2"), "+I[1, say \"hi\", 2]");
    assert_string_equal(dec(f, t, "1,\"two\nlines\",2"), "+I[1, two\nlines, 2]");
    assert_string_equal(dec(f, t, "\"1\",\"\",\"3\""), "+I[1, , 3]");
    assert_string_equal(dec(f, t, "1,a\"b,2"), "+I[1, a\"b, 2]"); /* a quote inside an unquoted value is literal */
    /* a quoted empty value is text: not NULL, and not an INT */
    assert_string_equal(dec(f, t, "1,x,\"\""),
                        "error: Failed to deserialize CSV row '1,x,\"\"'. | detail: field 'n': cannot convert \"\" to INT");
    assert_string_equal(dec(f, t, "1,\"open,2"), "error: Failed to deserialize CSV row '1,\"open,2'. | detail: Missing "
                                                 "closing quote (\") for the value of field 2");
    assert_string_equal(dec(f, t, "1,\"a\"b,2"),
                        "error: Failed to deserialize CSV row '1,\"a\"b,2'. | detail: Expected the field delimiter ',' or "
                        "the end of the row after the closing quote of field 2, found 'b'");

    /* encoding quotes what needs it and doubles quotes */
    assert_string_equal(reenc(f, f, "1,\"a,b\",2"), "1,\"a,b\",2");
    assert_string_equal(reenc(f, f, "1,\"say \"\"hi\"\"\",2"), "1,\"say \"\"hi\"\"\",2");
    assert_string_equal(reenc(f, f, "1,\"x\ry\",2"), "1,\"x\ry\",2");
    assert_string_equal(reenc(f, f, ",plain text,"), ",plain text,");
    roundtrip(f, f, t, "1,\"a,\"\"b\"\"\nc\",-2");

    /* escape character */
    sl_format *e = mk("csv", t, "csv.escape-character", "\\", NULL);
    assert_string_equal(dec(e, t, "1,a\\,b\\\\c\\n,2"), "+I[1, a,b\\c\n, 2]");
    assert_string_equal(dec(e, t, "1,\"q\\\"x\",2"), "+I[1, q\"x, 2]");
    assert_string_equal(reenc(e, e, "1,a\\\\b,2"), "1,\"a\\\\b\",2");
    roundtrip(e, e, t, "1,\"a\\\\b\\\"c,\",2");
    sl_format_destroy(e);

    /* no quote character: quotes are data; with an escape character, delimiters are escaped */
    sl_format *nq = mk("csv", t, "csv.disable-quote-character", "true", "csv.escape-character", "\\", NULL);
    assert_string_equal(dec(nq, t, "1,\"a\",2"), "+I[1, \"a\", 2]");
    assert_string_equal(reenc(f, nq, "1,\"a,\"\"b\nc\",2"), "1,a\\,\"b\\nc,2");
    roundtrip(f, nq, t, "1,\"a,\"\"b\nc\\\",2");
    sl_format_destroy(nq);
    sl_format_destroy(f);
}

static void test_csv_options(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `s` STRING, `d` DOUBLE>");
    sl_format *f = mk("csv", t, "csv.field-delimiter", "\\t", "csv.quote-character", "'", "csv.null-literal", "N/A",
                      "csv.allow-comments", "true", "csv.array-element-delimiter", "|", NULL);
    assert_string_equal(dec(f, t, "1\t'a\tb'\t2.5"), "+I[1, a\tb, 2.5]");
    assert_string_equal(dec(f, t, "N/A\tN/A\tN/A"), "+I[null, null, null]");
    assert_string_equal(dec(f, t, "# a comment"), "");
    assert_string_equal(reenc(f, f, "N/A\t'it''s'\tN/A"), "N/A\t'it''s'\tN/A");
    assert_string_equal(reenc(f, f, "3\t'#x'\t"), "3\t#x\tN/A");
    const sql_type *t1 = T("ROW<`s` STRING>");
    sl_format *c1 = mk("csv", t1, "csv.allow-comments", "true", NULL);
    assert_string_equal(reenc(c1, c1, "\"#not a comment\""), "\"#not a comment\"");
    roundtrip(c1, c1, t1, "\"#not a comment\"");
    sl_format_destroy(c1);
    sl_format_destroy(f);

    f = mk("csv", t, "csv.field-delimiter", "|", NULL);
    assert_string_equal(dec(f, t, "1|a,b|2"), "+I[1, a,b, 2.0]");
    assert_string_equal(reenc(f, f, "1|\"a|b\"|2"), "1|\"a|b\"|2.0");
    sl_format_destroy(f);

    assert_int_equal(mk_err("csv", t, "csv.field-delimiter", ";;", NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Option 'csv.field-delimiter' must be a string with single character, but was: ;; | "
                                    "bad=0");
    assert_int_equal(mk_err("csv", t, "csv.escape-character", "", NULL), SL_ERR_VALIDATION);
    assert_int_equal(mk_err("csv", t, "csv.quote-character", "'", "csv.disable-quote-character", "true", NULL),
                     SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Format cannot define a quote character and disabled quote character at the same "
                                    "time. | bad=0");
    assert_int_equal(mk_err("csv", t, "csv.allow-comments", "on", NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Invalid value for option 'csv.allow-comments': 'on'. Supported values are [true, "
                                    "false]. | bad=0");
    assert_int_equal(mk_err("csv", t, "csv.field-delimiter", "\xc2\xa7", NULL), SL_ERR_UNSUPPORTED);
}

static void test_csv_errors(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `s` STRING, `d` DATE>");
    sl_format *f = mk("csv", t, NULL);
    assert_string_equal(dec(f, t, "1,a"),
                        "error: Failed to deserialize CSV row '1,a'. | detail: Row length mismatch. 3 fields expected but "
                        "was 2.");
    assert_string_equal(dec(f, t, "1,a,2020-01-01,x"),
                        "error: Failed to deserialize CSV row '1,a,2020-01-01,x'. | detail: Row length mismatch. 3 fields "
                        "expected but was 4.");
    assert_string_equal(dec(f, t, "1,a,2020-13-01"),
                        "error: Failed to deserialize CSV row '1,a,2020-13-01'. | detail: field 'd': cannot convert "
                        "\"2020-13-01\" to DATE");
    assert_string_equal(dec(f, t, "# not a comment,a,"), "error: Failed to deserialize CSV row '# not a comment,a,'. | "
                                                         "detail: field 'id': cannot convert \"# not a comment\" to INT");
    sl_format_destroy(f);

    f = mk("csv", t, "csv.ignore-parse-errors", "true", NULL);
    skipped = 0;
    assert_string_equal(dec(f, t, "1,a,2020-01-01,x"), "");
    assert_int_equal(skipped, 1);
    assert_string_equal(dec(f, t, "1,\"a"), "");
    assert_int_equal(skipped, 2);
    /* too few fields and bad values: NULL, the row is kept (Flink) */
    assert_string_equal(dec(f, t, "x,a"), "+I[null, a, null]");
    assert_int_equal(skipped, 2);
    sl_format_destroy(f);
}

static void test_csv_roundtrip(void **state)
{
    (void)state;
    const sql_type *t = T(ALLTYPES);
    sl_format *j = mk("json", t, NULL);
    sl_format *f = mk("csv", t, NULL);
    roundtrip(j, f, t, "{\"b\": true, \"ti\": -1, \"si\": -300, \"i\": 70000, \"bi\": 9007199254740993, \"f\": 3.4e38, "
                       "\"d\": -2.2250738585072014E-308, \"dec\": 99999999.99, \"s\": \"\\u00e9\\t\\\"\\n,z\", "
                       "\"c\": \"a b\", \"by\": \"AP8=\", \"dt\": \"2000-02-29\", \"tm\": \"23:59:59\", "
                       "\"ts\": \"1900-01-01 00:00:00.001\", \"ltz\": \"1960-04-11 23:47:16.854Z\"}");
    /* NULLs of non-string columns survive; NULL strings need csv.null-literal */
    roundtrip(j, f, t, "{\"s\": \"\", \"c\": \"\"}");
    sl_format *nl = mk("csv", t, "csv.null-literal", "\\N", NULL);
    roundtrip(j, nl, t, "{}");
    assert_string_equal(reenc(j, nl, "{\"s\": \"x\"}"), "\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N,x,\\N,\\N,\\N,\\N,\\N,\\N");
    sl_format_destroy(nl);
    sl_format_destroy(f);
    sl_format_destroy(j);
}

/* ---- raw --------------------------------------------------------------------------------------- */

static void test_raw(void **state)
{
    (void)state;
    const sql_type *ts = T("ROW<`line` STRING>");
    sl_format *f = mk("raw", ts, NULL);
    assert_string_equal(dec(f, ts, "any, \"bytes\" {at all}"), "+I[any, \"bytes\" {at all}]");
    assert_string_equal(dec(f, ts, ""), "+I[]");
    assert_string_equal(dec(f, ts, NULL), "+I[null]"); /* a null message is a NULL value (Flink) */
    assert_string_equal(reenc(f, f, "x,y\tz"), "x,y\tz");
    sl_format_destroy(f);

    const sql_type *ti = T("ROW<`v` INT>");
    sl_format *be = mk("raw", ti, NULL);
    sl_format *le = mk("raw", ti, "raw.endianness", "little-endian", NULL);
    assert_string_equal(decn(be, ti, "\x00\x00\x01\x02", 4), "+I[258]");
    assert_string_equal(decn(le, ti, "\x00\x00\x01\x02", 4), "+I[33619968]");
    assert_string_equal(decn(be, ti, "\xff\xff\xff\xfe", 4), "+I[-2]");
    assert_string_equal(decn(be, ti, "\x01\x02\x03", 3), "error: Failed to deserialize the raw format value. | detail: "
                                                         "a value of type INT has 4 bytes, the record has 3");
    sl_format_destroy(be);
    sl_format_destroy(le);

    /* encode/decode round trips of each fixed-width type, both byte orders */
    const char *types[] = {"ROW<`v` BOOLEAN>", "ROW<`v` TINYINT>", "ROW<`v` SMALLINT>", "ROW<`v` BIGINT>",
                           "ROW<`v` FLOAT>",   "ROW<`v` DOUBLE>",  "ROW<`v` BYTES>"};
    const char *vals[] = {"{\"v\": true}", "{\"v\": -7}", "{\"v\": -30000}", "{\"v\": -9000000000}", "{\"v\": 1.25}",
                          "{\"v\": -0.1}", "{\"v\": \"AAEC\"}"};
    const size_t widths[] = {1, 1, 2, 8, 4, 8, 3};
    for (int k = 0; k < 7; k++) {
        const sql_type *t = T(types[k]);
        sl_format *j = mk("json", t, NULL);
        for (int e = 0; e < 2; e++) {
            sl_format *r = mk("raw", t, "raw.endianness", e ? "little-endian" : "big-endian", NULL);
            assert_int_equal(strlen(reenc(j, r, vals[k])) <= widths[k], true);
            roundtrip(j, r, t, vals[k]);
            sl_format_destroy(r);
        }
        sl_format_destroy(j);
    }
    const sql_type *tb = T("ROW<`v` BIGINT>");
    sl_format *jb = mk("json", tb, NULL);
    sl_format *rb = mk("raw", tb, NULL);
    assert_string_equal(reenc(jb, rb, "{\"v\": 4702394921427289928}"), "ABCDEFGH");
    assert_string_equal(reenc(jb, rb, "{\"v\": null}"), ""); /* NULL: no bytes */
    sl_format_destroy(rb);
    sl_format_destroy(jb);

    /* validation */
    assert_int_equal(mk_err("raw", T("ROW<`a` INT, `b` STRING>"), NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "The 'raw' format only supports single physical column. However the defined schema "
                                    "contains multiple physical columns: [`a` INT, `b` STRING] | bad=-1");
    assert_int_equal(mk_err("raw", T("ROW<`d` DATE>"), NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "The 'raw' format doesn't support 'DATE' as column type. | bad=-1");
    assert_int_equal(mk_err("raw", ti, "raw.endianness", "middle-endian", NULL), SL_ERR_VALIDATION);
    assert_string_equal(create_err, "Invalid value for option 'raw.endianness': 'middle-endian'. Supported values are "
                                    "[big-endian, little-endian]. | bad=0");
    assert_int_equal(mk_err("raw", ts, "raw.charset", "GBK", NULL), SL_ERR_UNSUPPORTED);
    sl_format_destroy(mk("raw", ts, "raw.charset", "utf-8", NULL));
}

/* ---- debezium-json ----------------------------------------------------------------------------- */

static void test_debezium_decode(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `name` STRING, `w` DOUBLE>");
    sl_format *f = mk("debezium-json", t, NULL);
    assert_string_equal(dec(f, t, "{\"before\": null, \"after\": {\"id\": 1, \"name\": \"a\", \"w\": 1.5}, \"op\": \"c\", "
                                  "\"source\": {\"db\": \"inventory\"}, \"ts_ms\": 1589355606100}"),
                        "+I[1, a, 1.5]");
    assert_string_equal(dec(f, t, "{\"before\": null, \"after\": {\"id\": 2, \"name\": \"b\"}, \"op\": \"r\"}"),
                        "+I[2, b, null]");
    assert_string_equal(dec(f, t, "{\"before\": {\"id\": 1, \"name\": \"a\", \"w\": 1.5}, \"after\": {\"id\": 1, \"name\": "
                                  "\"a2\", \"w\": 2}, \"op\": \"u\"}"),
                        "-U[1, a, 1.5]\n+U[1, a2, 2.0]");
    assert_string_equal(dec(f, t, "{\"before\": {\"id\": 1, \"name\": \"a2\"}, \"after\": null, \"op\": \"d\"}"),
                        "-D[1, a2, null]");
    /* tombstones */
    assert_string_equal(dec(f, t, ""), "");
    assert_string_equal(dec(f, t, NULL), "");
    /* errors */
    assert_string_equal(dec(f, t, "{\"before\": null, \"after\": {\"id\": 1}, \"op\": \"u\"}"),
                        "error: Corrupt Debezium JSON message '{\"before\": null, \"after\": {\"id\": 1}, \"op\": \"u\"}'. "
                        "| detail: The \"before\" field of UPDATE message is null, if you are using Debezium Postgres "
                        "Connector, please check the Postgres table has been set REPLICA IDENTITY to FULL level.");
    assert_string_equal(dec(f, t, "{\"after\": {\"id\": 1}, \"op\": \"x\"}"),
                        "error: Corrupt Debezium JSON message '{\"after\": {\"id\": 1}, \"op\": \"x\"}'. | detail: Unknown "
                        "\"op\" value \"x\".");
    assert_string_equal(dec(f, t, "{\"after\": {\"id\": \"one\"}, \"op\": \"c\"}"),
                        "error: Corrupt Debezium JSON message '{\"after\": {\"id\": \"one\"}, \"op\": \"c\"}'. | detail: "
                        "field 'id': cannot convert \"one\" to INT");
    assert_string_equal(dec(f, t, "{\"after\": null, \"op\": \"c\"}"),
                        "error: Corrupt Debezium JSON message '{\"after\": null, \"op\": \"c\"}'. | detail: The \"after\" "
                        "field of INSERT message is null.");
    assert_string_equal(dec(f, t, "{\"schema\": {}, \"payload\": {\"after\": {\"id\": 1}, \"op\": \"c\"}}"),
                        "error: Corrupt Debezium JSON message '{\"schema\": {}, \"payload\": {\"after\": {\"id\": 1}, "
                        "\"op\": \"c\"}}'. | detail: the message has no \"op\" field | hint: the message has the "
                        "{\"schema\":..., \"payload\":...} envelope: set 'debezium-json.schema-include' = 'true'");
    assert_string_equal(dec(f, t, "{\"op\": "), "error: Corrupt Debezium JSON message '{\"op\": '. | detail: unexpected "
                                                "token near end of file at column 7");
    sl_format_destroy(f);

    f = mk("debezium-json", t, "debezium-json.schema-include", "true", "debezium-json.ignore-parse-errors", "true", NULL);
    skipped = 0;
    assert_string_equal(dec(f, t, "{\"schema\": {\"type\": \"struct\"}, \"payload\": {\"before\": {\"id\": 3}, \"after\": "
                                  "{\"id\": 3, \"name\": \"c\"}, \"op\": \"u\"}}"),
                        "-U[3, null, null]\n+U[3, c, null]");
    assert_string_equal(dec(f, t, "{\"before\": null, \"after\": {\"id\": 1}, \"op\": \"c\"}"), "");
    assert_int_equal(skipped, 1);
    assert_string_equal(dec(f, t, "{\"schema\": {}, \"payload\": {\"after\": {\"id\": 1}, \"op\": \"t\"}}"), "");
    assert_int_equal(skipped, 2);
    assert_string_equal(dec(f, t, "{\"schema\": {}, \"payload\": {\"after\": {\"id\": \"x\", \"name\": \"n\"}, \"op\": "
                                  "\"c\"}}"),
                        "+I[null, n, null]");
    assert_int_equal(skipped, 2);
    sl_format_destroy(f);
}

static void test_debezium_encode(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `name` STRING>");
    sl_format *f = mk("debezium-json", t, NULL);
    assert_string_equal(reenc(f, f, "{\"after\": {\"id\": 1, \"name\": \"a\"}, \"op\": \"c\"}"),
                        "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\"},\"op\":\"c\"}");
    assert_string_equal(reenc(f, f, "{\"before\": {\"id\": 1, \"name\": \"a\"}, \"after\": {\"id\": 1}, \"op\": \"u\"}"),
                        "{\"before\":{\"id\":1,\"name\":\"a\"},\"after\":null,\"op\":\"d\"}\n"
                        "{\"before\":null,\"after\":{\"id\":1,\"name\":null},\"op\":\"c\"}");
    assert_string_equal(reenc(f, f, "{\"before\": {\"id\": 2, \"name\": null}, \"op\": \"d\"}"),
                        "{\"before\":{\"id\":2,\"name\":null},\"after\":null,\"op\":\"d\"}");
    /* -D round trips through "d", +I through "c" */
    roundtrip(f, f, t, "{\"before\": {\"id\": 2, \"name\": \"z\"}, \"op\": \"d\"}");
    roundtrip(f, f, t, "{\"after\": {\"id\": 2, \"name\": \"z\"}, \"op\": \"r\"}");
    sl_format *inc = mk("debezium-json", t, "debezium-json.schema-include", "true", NULL);
    assert_string_equal(reenc(f, inc, "{\"after\": {\"id\": 1}, \"op\": \"c\"}"),
                        "error: Debezium JSON serialization doesn't support 'debezium-json.schema-include' option been "
                        "set to true.");
    sl_format_destroy(inc);
    /* json and csv rows feed debezium-json too */
    sl_format *c = mk("csv", t, NULL);
    assert_string_equal(reenc(c, f, "7,\"x,y\""), "{\"before\":null,\"after\":{\"id\":7,\"name\":\"x,y\"},\"op\":\"c\"}");
    sl_format_destroy(c);
    sl_format_destroy(f);
}

/* Many records through one instance: buffers are reused and rows stay independent. */
static void test_reuse(void **state)
{
    (void)state;
    const sql_type *t = T("ROW<`id` INT, `s` STRING>");
    sl_format *f = mk("json", t, NULL);
    char rec[2100];
    for (int k = 0; k < 200; k++) {
        int len = k * 10 % 2000;
        char s[2001];
        memset(s, 'a' + k % 26, (size_t)len);
        s[len] = 0;
        if (k % 2 == 0) snprintf(rec, sizeof rec, "{\"id\": %d, \"s\": \"%s\"}", k, s);
        else snprintf(rec, sizeof rec, "{\"s\": \"%s\", \"id\": %d}", s, k);
        char want[2100];
        snprintf(want, sizeof want, "+I[%d, %s]", k, s);
        assert_string_equal(dec(f, t, rec), want);
    }
    sl_format_destroy(f);
}

static int setup(void **state)
{
    (void)state;
    A = sl_arena_create(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_destroy(A);
    sl_strbuf_free(&result);
    sl_strbuf_free(&enc_result);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_json_decode_types),
        cmocka_unit_test(test_json_conversions),
        cmocka_unit_test(test_json_missing_fields),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_json_ignore_parse_errors),
        cmocka_unit_test(test_json_timestamp_iso),
        cmocka_unit_test(test_json_encode),
        cmocka_unit_test(test_json_roundtrip),
        cmocka_unit_test(test_json_unsupported_types),
        cmocka_unit_test(test_json_maps),
        cmocka_unit_test(test_json_options),
        cmocka_unit_test(test_csv_decode_types),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_options),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_roundtrip),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_debezium_decode),
        cmocka_unit_test(test_debezium_encode),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
