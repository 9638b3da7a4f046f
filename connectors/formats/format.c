/* connectors/formats/format.c — the record formats of format.h: json and debezium-json (jansson),
 * csv and raw, with Flink's options, type mapping and error messages (docs/formats.md).
 *
 * One file, because the formats share their conversions (text forms of values, base64, column
 * lookup by name, error reporting) and the module exposes nothing but format.h.
 *
 * Steady state allocates nothing here: rows are built in writers kept in the instance, text and
 * bytes go through scratch buffers that only grow. jansson allocates its own tree per JSON
 * record (json_loadb), which is the baseline the benchmark compares against. */
#include "connectors/formats/format.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "runtime/expr.h"
#include "runtime/temporal.h"

/* ---- registry -------------------------------------------------------------------------------- */

typedef enum fkind { FK_JSON, FK_CSV, FK_RAW, FK_DEBEZIUM } fkind;

static const char *const json_keys[] = {"json.fail-on-missing-field",
                                        "json.ignore-parse-errors",
                                        "json.timestamp-format.standard",
                                        "json.map-null-key.mode",
                                        "json.map-null-key.literal",
                                        "json.encode.decimal-as-plain-number",
                                        "json.encode.ignore-null-fields",
                                        NULL};
static const char *const csv_keys[] = {"csv.field-delimiter",
                                       "csv.disable-quote-character",
                                       "csv.quote-character",
                                       "csv.allow-comments",
                                       "csv.ignore-parse-errors",
                                       "csv.array-element-delimiter",
                                       "csv.escape-character",
                                       "csv.null-literal",
                                       NULL};
static const char *const raw_keys[] = {"raw.charset", "raw.endianness", NULL};
static const char *const debezium_keys[] = {"debezium-json.schema-include",
                                            "debezium-json.ignore-parse-errors",
                                            "debezium-json.timestamp-format.standard",
                                            "debezium-json.map-null-key.mode",
                                            "debezium-json.map-null-key.literal",
                                            "debezium-json.encode.decimal-as-plain-number",
                                            NULL};

static const struct {
    const char *name;
    fkind kind;
    const char *const *keys;
} formats[] = {
    {"csv", FK_CSV, csv_keys},
    {"debezium-json", FK_DEBEZIUM, debezium_keys},
    {"json", FK_JSON, json_keys},
    {"raw", FK_RAW, raw_keys},
};
#define NFORMATS ((int)(sizeof formats / sizeof formats[0]))

static int find_format(const char *name)
{
    if (!name) return -1;
    for (int k = 0; k < NFORMATS; k++)
        if (strcmp(formats[k].name, name) == 0) return k;
    return -1;
}

bool sl_format_exists(const char *name) { return find_format(name) >= 0; }

const char *const *sl_format_option_keys(const char *name)
{
    int k = find_format(name);
    return k < 0 ? NULL : formats[k].keys;
}

bool sl_format_is_changelog(const char *name) { return name && strcmp(name, "debezium-json") == 0; }

/* ---- the instance ---------------------------------------------------------------------------- */

typedef struct fcol {
    char *name;
    size_t name_len;
    sql_type t;         /* a copy of the column's (scalar) type */
    char *type_str;     /* its printed form, for messages */
    char *json_key;     /* "\"name\":", escaped, for encoding */
    size_t json_key_len;
    struct sl_format *vf; /* json, a MAP<STRING, V> column: a one-column format of V converting its values */
    sl_phys vphys;        /* ... and V's physical class */
} fcol;

typedef struct csv_field {
    size_t off, len; /* in f->buf */
    bool quoted;
} csv_field;

struct sl_format {
    fkind kind;
    const char *name;   /* "json", ... */
    const char *prefix; /* option prefix: "json", "csv", "raw", "debezium-json" */
    int n;
    fcol *cols;
    int32_t ltz;

    /* json, debezium-json */
    bool ignore_errors, fail_missing, iso, ignore_nulls, decimal_plain, schema_include;
    /* csv */
    char delim, quote, esc;
    bool has_quote, has_esc, allow_comments, has_null_lit;
    char *null_lit;
    size_t null_lit_len;
    /* raw */
    bool little_endian;
    /* json MAP columns: map-null-key.mode (0 FAIL, 1 DROP, 2 LITERAL) and .literal; an encoded
     * map had a NULL key under FAIL */
    int null_key_mode;
    char *null_key_lit;
    bool null_key_failed;
    sl_strbuf mapbuf; /* a decoded map's encoding */

    /* column lookup by name: open addressing over column indexes, plus the column the k-th key
     * of the previous JSON object mapped to (records of one topic keep their key order) */
    int *htab;
    uint32_t hmask;
    int *pred;
    int npred;
    uint32_t *seen;
    uint32_t gen;

    /* reused buffers */
    sl_row_writer w, w2;
    sl_strbuf tmp;
    char *buf; /* csv field text */
    size_t bufcap;
    char *bin; /* decoded base64 */
    size_t bincap;
    csv_field *fields;
    size_t fcap;

    /* why the last conversion failed (becomes the error's detail / hint) */
    char why[400];
    char hint[300];
};

static const sql_type T_VARCHAR = {.id = SQL_T_VARCHAR, .nullable = true, .precision = SQL_MAX_LENGTH, .scale = -1};
static const sql_type T_BIGINT = {.id = SQL_T_BIGINT, .nullable = true, .precision = -1, .scale = -1};

static void ensure_buf(sl_format *f, size_t need)
{
    if (need <= f->bufcap) return;
    size_t cap = f->bufcap ? f->bufcap : 256;
    while (cap < need) cap *= 2;
    f->buf = sl_xrealloc(f->buf, cap);
    f->bufcap = cap;
}

__attribute__((format(printf, 2, 3))) static bool fail(sl_format *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, sizeof f->why, fmt, ap);
    va_end(ap);
    f->hint[0] = 0;
    return false;
}

/* The longest prefix of s[0..n) of at most max bytes that does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

/* ---- column lookup --------------------------------------------------------------------------- */

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t k = 0; k < n; k++) {
        h ^= (unsigned char)s[k];
        h *= 16777619u;
    }
    return h;
}

static int find_col(const sl_format *f, const char *s, size_t n)
{
    for (uint32_t h = name_hash(s, n) & f->hmask;; h = (h + 1) & f->hmask) {
        int c = f->htab[h];
        if (c < 0) return -1;
        if (f->cols[c].name_len == n && memcmp(f->cols[c].name, s, n) == 0) return c;
    }
}

static void build_lookup(sl_format *f)
{
    uint32_t size = 8;
    while (size < (uint32_t)f->n * 2 + 2) size *= 2;
    f->htab = sl_xmalloc(sizeof(int) * size);
    for (uint32_t k = 0; k < size; k++) f->htab[k] = -1;
    f->hmask = size - 1;
    for (int c = 0; c < f->n; c++) {
        if (find_col(f, f->cols[c].name, f->cols[c].name_len) >= 0) continue; /* first wins */
        uint32_t h = name_hash(f->cols[c].name, f->cols[c].name_len) & f->hmask;
        while (f->htab[h] >= 0) h = (h + 1) & f->hmask;
        f->htab[h] = c;
    }
    f->npred = f->n + 16;
    f->pred = sl_xmalloc(sizeof(int) * (size_t)f->npred);
    for (int k = 0; k < f->npred; k++) f->pred[k] = -1;
    f->seen = sl_xcalloc((size_t)(f->n ? f->n : 1), sizeof(uint32_t));
}

/* ---- small text helpers ---------------------------------------------------------------------- */

static void trim(const char **s, size_t *n)
{
    /* Java's String.trim: everything <= ' ' */
    while (*n && (unsigned char)**s <= ' ') (*s)++, (*n)--;
    while (*n && (unsigned char)(*s)[*n - 1] <= ' ') (*n)--;
}

/* Java's Long.parseLong on trimmed text. */
static bool text_i64(const char *s, size_t n, int64_t *out)
{
    trim(&s, &n);
    if (!n) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return false;
    uint64_t acc = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (limit - d) / 10) return false;
        acc = acc * 10 + d;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

static bool int_fits(int64_t v, sql_type_id id)
{
    switch (id) {
    case SQL_T_TINYINT: return v >= INT8_MIN && v <= INT8_MAX;
    case SQL_T_SMALLINT: return v >= INT16_MIN && v <= INT16_MAX;
    case SQL_T_INT:
    case SQL_T_INTERVAL_YM: return v >= INT32_MIN && v <= INT32_MAX;
    default: return true;
    }
}

/* Java's Double.parseDouble on trimmed text: decimal notation, NaN, [+-]Infinity, an optional
 * f/F/d/D suffix (hexadecimal floating point is not accepted). */
static bool text_double(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    if (!n || n > 400) return false;
    char buf[408];
    memcpy(buf, s, n);
    buf[n] = 0;
    if (n > 1 && strchr("fFdD", buf[n - 1])) buf[--n] = 0;
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    if (strcmp(p, "NaN") == 0) {
        *out = NAN;
        return true;
    }
    if (strcmp(p, "Infinity") == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (!((*p >= '0' && *p <= '9') || *p == '.')) return false;
    for (const char *q = p; *q; q++)
        if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-')) return false;
    char *end;
    double d = strtod(buf, &end);
    if (*end) return false;
    *out = d;
    return true;
}

/* Appends an int64 in decimal. */
static void put_i64(sl_strbuf *out, int64_t v)
{
    char b[24];
    int k = 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        b[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) b[--k] = '-';
    sl_strbuf_append(out, b + k, (size_t)(24 - k));
}

/* Java's BigDecimal.toString for an unscaled value and a non-negative scale: plain unless the
 * adjusted exponent is below -6 ("1E-7", "0E-8"). */
static void put_decimal_java(sl_strbuf *out, int64_t unscaled, int scale)
{
    char digits[24];
    uint64_t u = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
    int nd = snprintf(digits, sizeof digits, "%" PRIu64, u);
    int adjusted = -scale + (nd - 1);
    if (scale <= 0 || adjusted >= -6) {
        sl_format_decimal(out, unscaled, scale);
        return;
    }
    if (unscaled < 0) sl_strbuf_putc(out, '-');
    sl_strbuf_putc(out, digits[0]);
    if (nd > 1) {
        sl_strbuf_putc(out, '.');
        sl_strbuf_append(out, digits + 1, (size_t)(nd - 1));
    }
    sl_strbuf_printf(out, "E%d", adjusted);
}

/* "HH:mm:ss" plus the fraction without trailing zeros (java.time's appendFraction(0, 9)). */
static void put_time_micros(sl_strbuf *out, int64_t micros_of_day)
{
    int64_t secs = micros_of_day / 1000000, frac = micros_of_day % 1000000;
    char b[20];
    int n = snprintf(b, sizeof b, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac) {
        char d[8];
        snprintf(d, sizeof d, "%06d", (int)frac);
        int nd = 6;
        while (d[nd - 1] == '0') nd--;
        b[n++] = '.';
        memcpy(b + n, d, (size_t)nd);
        n += nd;
    }
    sl_strbuf_append(out, b, (size_t)n);
}

/* "yyyy-MM-dd" as java.time's ISO_LOCAL_DATE: "-0001-12-31" before year 0, "+10000-01-01" after
 * 9999. */
static void put_date(sl_strbuf *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    char b[40];
    int n;
    if (y >= 0 && y <= 9999) n = snprintf(b, sizeof b, "%04d-%02u-%02u", (int)y, m, d);
    else n = snprintf(b, sizeof b, "%c%04lld-%02u-%02u", y < 0 ? '-' : '+', (long long)(y < 0 ? -y : y), m, d);
    sl_strbuf_append(out, b, (size_t)n);
}

static void put_timestamp(sl_strbuf *out, int64_t micros, char sep, bool zulu)
{
    int64_t days = sl_floor_div(micros, SL_MICROS_PER_DAY);
    put_date(out, days);
    sl_strbuf_putc(out, sep);
    put_time_micros(out, micros - days * SL_MICROS_PER_DAY);
    if (zulu) sl_strbuf_putc(out, 'Z');
}

static int64_t truncate_micros(int64_t us, int precision)
{
    if (precision < 0 || precision >= 6) return us;
    int64_t unit = 1;
    for (int k = precision; k < 6; k++) unit *= 10;
    return sl_floor_div(us, unit) * unit;
}

/* ---- base64 (RFC 4648, padded on output, padding optional on input) -------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(sl_strbuf *out, const unsigned char *p, size_t n)
{
    char chunk[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        chunk[k++] = b64chars[v >> 18 & 63];
        chunk[k++] = b64chars[v >> 12 & 63];
        chunk[k++] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
        chunk[k++] = i + 2 < n ? b64chars[v & 63] : '=';
        if (k == sizeof chunk) {
            sl_strbuf_append(out, chunk, k);
            k = 0;
        }
    }
    sl_strbuf_append(out, chunk, k);
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes into f->bin; returns the length or -1 when s is not base64. */
static long decode_base64(sl_format *f, const char *s, size_t n)
{
    while (n && s[n - 1] == '=') n--;
    if (n % 4 == 1) return -1;
    size_t need = n / 4 * 3 + 3;
    if (need > f->bincap) {
        size_t cap = f->bincap ? f->bincap : 256;
        while (cap < need) cap *= 2;
        f->bin = sl_xrealloc(f->bin, cap);
        f->bincap = cap;
    }
    unsigned char *o = (unsigned char *)f->bin;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)k;
}

/* ---- JSON text ------------------------------------------------------------------------------- */

/* A JSON string literal, escaped as Jackson does (\" \\ \b \f \n \r \t, other control characters
 * as \u00XX, everything else verbatim). */
static void put_json_string(sl_strbuf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    sl_strbuf_putc(out, '"');
    size_t run = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (k > run) sl_strbuf_append(out, s + run, k - run);
        run = k + 1;
        char e[6] = {'\\', 0};
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            sl_strbuf_append(out, e, 6);
            continue;
        }
        sl_strbuf_append(out, e, 2);
    }
    if (n > run) sl_strbuf_append(out, s + run, n - run);
    sl_strbuf_putc(out, '"');
}

/* Compact JSON text of a value, as Jackson's JsonNode.toString() (doubles as Java prints them). */
static void put_json_value(sl_strbuf *out, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        sl_strbuf_putc(out, '{');
        bool first = true;
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            if (!first) sl_strbuf_putc(out, ',');
            first = false;
            put_json_string(out, json_object_iter_key(it), json_object_iter_key_len(it));
            sl_strbuf_putc(out, ':');
            put_json_value(out, json_object_iter_value(it));
        }
        sl_strbuf_putc(out, '}');
        break;
    }
    case JSON_ARRAY:
        sl_strbuf_putc(out, '[');
        for (size_t k = 0; k < json_array_size(v); k++) {
            if (k) sl_strbuf_putc(out, ',');
            put_json_value(out, json_array_get(v, k));
        }
        sl_strbuf_putc(out, ']');
        break;
    case JSON_STRING: put_json_string(out, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: put_i64(out, (int64_t)json_integer_value(v)); break;
    case JSON_REAL: sl_format_double(out, json_real_value(v), false); break;
    case JSON_TRUE: sl_strbuf_append(out, "true", 4); break;
    case JSON_FALSE: sl_strbuf_append(out, "false", 5); break;
    case JSON_NULL: sl_strbuf_append(out, "null", 4); break;
    }
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* ---- value conversions (decoding) ------------------------------------------------------------ */

static bool is_string_type(sql_type_id id) { return id == SQL_T_CHAR || id == SQL_T_VARCHAR; }

/* "field 'id': cannot convert "abc" to INT" for a text value. */
static bool bad_text(sl_format *f, int i, const char *s, size_t n)
{
    size_t k = utf8_cut(s, n, 100);
    return fail(f, "field '%s': cannot convert \"%.*s\"%s to %s", f->cols[i].name, (int)k, s, k < n ? "..." : "",
                f->cols[i].type_str);
}

static bool bad_json(sl_format *f, int i, json_t *v)
{
    sl_strbuf_reset(&f->tmp);
    put_json_value(&f->tmp, v);
    size_t k = utf8_cut(f->tmp.buf, f->tmp.len, 100);
    return fail(f, "field '%s': cannot convert %.*s%s to %s", f->cols[i].name, (int)k, f->tmp.buf,
                k < f->tmp.len ? "..." : "", f->cols[i].type_str);
}

/* DECIMAL from text through the runtime's CAST (rounding HALF_UP; NULL when it does not fit). */
static bool decimal_from(sl_format *f, sl_row_writer *w, int i, const sl_val *in, const sql_type *from)
{
    sl_val out;
    char msg[8];
    if (!sl_cast_value(in, from, &f->cols[i].t, NULL, f->ltz, &out, msg, sizeof msg)) return false;
    if (!out.null) sl_rw_i64(w, i, out.i);
    return true;
}

static bool parse_timestamp_text(sl_format *f, const fcol *c, const char *s, size_t n, bool json, int64_t *us)
{
    bool ltz = c->t.id == SQL_T_TIMESTAMP_LTZ, zone;
    if (json) {
        /* Flink's json: SQL "yyyy-MM-dd HH:mm:ss[.f]" or ISO-8601 "yyyy-MM-ddTHH:mm:ss[.f]";
         * TIMESTAMP_LTZ with a literal 'Z' (UTC) */
        size_t m = n;
        if (ltz && (!m || s[m - 1] != 'Z')) return false;
        if (ltz) m--;
        size_t k = 1;
        while (k < m && s[k] != ' ' && s[k] != 'T') k++;
        if (k >= m || s[k] != (f->iso ? 'T' : ' ')) return false;
        if (!sl_parse_timestamp(s, m, us, &zone) || zone) return false;
    } else {
        /* csv: either separator; TIMESTAMP_LTZ needs a zone ('Z' or an offset) */
        if (!sl_parse_timestamp(s, n, us, &zone) || zone != ltz) return false;
    }
    *us = truncate_micros(*us, c->t.precision < 0 ? 6 : c->t.precision);
    return true;
}

static void timestamp_hint(sl_format *f, const fcol *c, const char *s, size_t n)
{
    int64_t us;
    bool zone;
    bool ltz = c->t.id == SQL_T_TIMESTAMP_LTZ;
    size_t m = n;
    if (ltz && m && s[m - 1] == 'Z') m--;
    if (!sl_parse_timestamp(s, m, &us, &zone)) return;
    if (ltz && m == n)
        snprintf(f->hint, sizeof f->hint, "TIMESTAMP_LTZ values are UTC instants with a trailing 'Z', e.g. \"%s\"",
                 f->iso ? "2020-12-30T12:13:14.123Z" : "2020-12-30 12:13:14.123Z");
    else if (!ltz && zone)
        snprintf(f->hint, sizeof f->hint, "a TIMESTAMP value has no time zone; declare the column TIMESTAMP_LTZ for "
                                          "values with a trailing 'Z'");
    else
        snprintf(f->hint, sizeof f->hint, "'%s.timestamp-format.standard' is '%s' (\"%s\"); set it to '%s' for values "
                                          "like this one",
                 f->prefix, f->iso ? "ISO-8601" : "SQL",
                 f->iso ? "yyyy-MM-ddTHH:mm:ss.fff" : "yyyy-MM-dd HH:mm:ss.fff", f->iso ? "SQL" : "ISO-8601");
}

/* Converts text into field i (a JSON string value, or a CSV field). */
static bool text_to_field(sl_format *f, sl_row_writer *w, int i, const char *s, size_t n, bool json)
{
    const fcol *c = &f->cols[i];
    switch (c->t.id) {
    case SQL_T_NULL: return true;
    case SQL_T_BOOLEAN: {
        /* Java's Boolean.parseBoolean(text.trim()): "true" in any case, everything else false */
        trim(&s, &n);
        sl_rw_i64(w, i, n == 4 && strncasecmp(s, "true", 4) == 0);
        return true;
    }
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
    case SQL_T_INTERVAL_YM:
    case SQL_T_INTERVAL_DT: {
        int64_t v;
        if (!text_i64(s, n, &v) || !int_fits(v, c->t.id)) return bad_text(f, i, s, n);
        sl_rw_i64(w, i, v);
        return true;
    }
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: {
        double d;
        if (!text_double(s, n, &d)) return bad_text(f, i, s, n);
        sl_rw_f64(w, i, c->t.id == SQL_T_FLOAT ? (double)(float)d : d);
        return true;
    }
    case SQL_T_DECIMAL: {
        sl_val in = {.s = {s, (uint32_t)n}, .null = false};
        if (!decimal_from(f, w, i, &in, &T_VARCHAR)) return bad_text(f, i, s, n);
        return true;
    }
    case SQL_T_CHAR:
    case SQL_T_VARCHAR: sl_rw_bytes(w, i, s, (uint32_t)n); return true;
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: {
        long k = decode_base64(f, s, n);
        if (k < 0) {
            bad_text(f, i, s, n);
            snprintf(f->hint, sizeof f->hint, "%s values are base64 text", c->type_str);
            return false;
        }
        sl_rw_bytes(w, i, f->bin, (uint32_t)k);
        return true;
    }
    case SQL_T_DATE: {
        int64_t d;
        if (!sl_parse_date(s, n, &d)) return bad_text(f, i, s, n);
        sl_rw_i64(w, i, d);
        return true;
    }
    case SQL_T_TIME: {
        int64_t ms;
        if (!sl_parse_time(s, n, &ms)) return bad_text(f, i, s, n);
        int p = c->t.precision < 0 ? 0 : c->t.precision;
        if (p < 3) ms -= ms % (p == 0 ? 1000 : p == 1 ? 100 : 10);
        sl_rw_i64(w, i, ms);
        return true;
    }
    case SQL_T_TIMESTAMP:
    case SQL_T_TIMESTAMP_LTZ: {
        int64_t us;
        if (!parse_timestamp_text(f, c, s, n, json, &us)) {
            bad_text(f, i, s, n);
            if (json) timestamp_hint(f, c, s, n);
            return false;
        }
        sl_rw_i64(w, i, us);
        return true;
    }
    default: return fail(f, "field '%s': %s is not supported", c->name, c->type_str);
    }
}

/* Converts a JSON value into field i as Flink's JsonToRowDataConverters do. */
static bool json_to_field(sl_format *f, sl_row_writer *w, int i, json_t *v);

/* A JSON object into a MAP<STRING, V> (its values converted as V's; JSON keys are distinct). */
static bool json_to_map(sl_format *f, sl_row_writer *w, int i, json_t *v)
{
    const fcol *c = &f->cols[i];
    sl_format *vf = c->vf;
    sl_strbuf *mb = &f->mapbuf;
    sl_strbuf_reset(mb);
    uint32_t n = (uint32_t)json_object_size(v);
    sl_strbuf_append(mb, (const char *)&n, 4);
    for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
        uint32_t klen = (uint32_t)json_object_iter_key_len(it);
        sl_strbuf_putc(mb, 1);
        sl_strbuf_append(mb, (const char *)&klen, 4);
        sl_strbuf_append(mb, json_object_iter_key(it), klen);
        sl_rw_begin(&vf->w, 1, SL_ROW_INSERT);
        if (!json_to_field(vf, &vf->w, 0, json_object_iter_value(it))) {
            memcpy(f->why, vf->why, sizeof f->why);
            memcpy(f->hint, vf->hint, sizeof f->hint);
            return false;
        }
        sl_map_elem e = sl_row_elem(sl_rw_finish(&vf->w), 0, c->vphys);
        sl_strbuf_putc(mb, e.null ? 0 : 1);
        if (e.null) continue;
        if (c->vphys == SL_PHYS_BYTES) {
            sl_strbuf_append(mb, (const char *)&e.n, 4);
            sl_strbuf_append(mb, e.p, e.n);
        } else {
            sl_strbuf_append(mb, c->vphys == SL_PHYS_F64 ? (const char *)&e.d : (const char *)&e.i, 8);
        }
    }
    sl_rw_bytes(w, i, mb->buf, (uint32_t)mb->len);
    return true;
}

static bool json_to_field(sl_format *f, sl_row_writer *w, int i, json_t *v)
{
    const fcol *c = &f->cols[i];
    sql_type_id id = c->t.id;
    if (c->vf && !json_is_null(v)) {
        if (!json_is_object(v)) return bad_json(f, i, v);
        return json_to_map(f, w, i, v);
    }
    switch (json_typeof(v)) {
    case JSON_NULL: return true; /* the writer starts with every field NULL */
    case JSON_STRING: return text_to_field(f, w, i, json_string_value(v), json_string_length(v), true);
    case JSON_TRUE:
    case JSON_FALSE:
        if (id == SQL_T_BOOLEAN) sl_rw_i64(w, i, json_is_true(v));
        else if (is_string_type(id)) sl_rw_bytes(w, i, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
        else return bad_json(f, i, v);
        return true;
    case JSON_INTEGER: {
        int64_t x = (int64_t)json_integer_value(v);
        switch (id) {
        case SQL_T_BOOLEAN: sl_rw_i64(w, i, 0); return true; /* Boolean.parseBoolean("1") */
        case SQL_T_TINYINT:
        case SQL_T_SMALLINT:
        case SQL_T_INT:
        case SQL_T_BIGINT:
        case SQL_T_INTERVAL_YM:
        case SQL_T_INTERVAL_DT:
            if (!int_fits(x, id)) return bad_json(f, i, v);
            sl_rw_i64(w, i, x);
            return true;
        case SQL_T_FLOAT: sl_rw_f64(w, i, (double)(float)x); return true;
        case SQL_T_DOUBLE: sl_rw_f64(w, i, (double)x); return true;
        case SQL_T_DECIMAL: {
            sl_val in = {.i = x, .null = false};
            if (!decimal_from(f, w, i, &in, &T_BIGINT)) return bad_json(f, i, v);
            return true;
        }
        case SQL_T_CHAR:
        case SQL_T_VARCHAR:
            sl_strbuf_reset(&f->tmp);
            put_i64(&f->tmp, x);
            sl_rw_bytes(w, i, f->tmp.buf, (uint32_t)f->tmp.len);
            return true;
        default: return bad_json(f, i, v);
        }
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        switch (id) {
        case SQL_T_BOOLEAN: sl_rw_i64(w, i, 0); return true;
        case SQL_T_INT:
        case SQL_T_INTERVAL_YM:
            /* Jackson's canConvertToInt/asInt: in range, truncated */
            if (!(d >= -2147483648.0 && d <= 2147483647.0)) return bad_json(f, i, v);
            sl_rw_i64(w, i, (int64_t)d);
            return true;
        case SQL_T_BIGINT:
        case SQL_T_INTERVAL_DT:
            if (!(d >= -9223372036854775808.0 && d <= 9223372036854775808.0)) return bad_json(f, i, v);
            sl_rw_i64(w, i, d >= 9223372036854775808.0 ? INT64_MAX : (int64_t)d);
            return true;
        case SQL_T_FLOAT: sl_rw_f64(w, i, (double)(float)d); return true;
        case SQL_T_DOUBLE: sl_rw_f64(w, i, d); return true;
        case SQL_T_DECIMAL: {
            /* through the shortest decimal text of the double, so 0.1 is 0.1 */
            sl_strbuf_reset(&f->tmp);
            sl_format_double(&f->tmp, d, false);
            sl_val in = {.s = {f->tmp.buf, (uint32_t)f->tmp.len}, .null = false};
            if (!decimal_from(f, w, i, &in, &T_VARCHAR)) return bad_json(f, i, v);
            return true;
        }
        case SQL_T_CHAR:
        case SQL_T_VARCHAR:
            sl_strbuf_reset(&f->tmp);
            sl_format_double(&f->tmp, d, false);
            sl_rw_bytes(w, i, f->tmp.buf, (uint32_t)f->tmp.len);
            return true;
        default: return bad_json(f, i, v); /* TINYINT/SMALLINT: Byte.parseByte("1.0") fails too */
        }
    }
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (is_string_type(id)) {
            sl_strbuf_reset(&f->tmp);
            put_json_value(&f->tmp, v);
            sl_rw_bytes(w, i, f->tmp.buf, (uint32_t)f->tmp.len);
            return true;
        }
        if (id == SQL_T_BOOLEAN) {
            sl_rw_i64(w, i, 0);
            return true;
        }
        return bad_json(f, i, v);
    }
    return bad_json(f, i, v);
}

/* Fills writer w with the fields of JSON object obj (looked up by column name). */
static bool json_object_to_row(sl_format *f, sl_row_writer *w, sl_row_kind kind, json_t *obj)
{
    sl_rw_begin(w, f->n, kind);
    uint32_t gen = ++f->gen;
    if (gen == 0) {
        memset(f->seen, 0, sizeof(uint32_t) * (size_t)f->n);
        gen = f->gen = 1;
    }
    int k = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), k++) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        int c = k < f->npred ? f->pred[k] : -1;
        if (c < 0 || f->cols[c].name_len != klen || memcmp(f->cols[c].name, key, klen) != 0) {
            c = find_col(f, key, klen);
            if (k < f->npred) f->pred[k] = c;
            if (c < 0) continue;
        }
        f->seen[c] = gen;
        if (!json_to_field(f, w, c, json_object_iter_value(it))) {
            if (!f->ignore_errors) return false;
            sl_rw_null(w, c); /* Flink: with ignore-parse-errors a field that fails is NULL */
        }
    }
    if (f->fail_missing)
        for (int c = 0; c < f->n; c++)
            if (f->seen[c] != gen) return fail(f, "Could not find field with name '%s'.", f->cols[c].name);
    return true;
}

/* ---- errors on records ----------------------------------------------------------------------- */

static sl_status record_failed(sl_format *f, const char *data, size_t len, uint64_t *skipped, sl_error *err)
{
    if (f->ignore_errors) {
        if (skipped) (*skipped)++;
        return SL_OK;
    }
    size_t k = utf8_cut(data, len, 200);
    const char *more = k < len ? "..." : "";
    switch (f->kind) {
    case FK_JSON: sl_error_set(err, SL_ERR_INVALID, "Failed to deserialize JSON '%.*s%s'.", (int)k, data, more); break;
    case FK_DEBEZIUM:
        sl_error_set(err, SL_ERR_INVALID, "Corrupt Debezium JSON message '%.*s%s'.", (int)k, data, more);
        break;
    case FK_CSV: sl_error_set(err, SL_ERR_INVALID, "Failed to deserialize CSV row '%.*s%s'.", (int)k, data, more); break;
    case FK_RAW: sl_error_set(err, SL_ERR_INVALID, "Failed to deserialize the raw format value."); break;
    }
    sl_error_detail(err, "%s", f->why);
    if (f->hint[0]) sl_error_hint(err, "%s", f->hint);
    return SL_ERR_INVALID;
}

static bool json_syntax(sl_format *f, const json_error_t *je)
{
    if (je->line > 1) return fail(f, "%s at line %d, column %d", je->text, je->line, je->column);
    return fail(f, "%s at column %d", je->text, je->column);
}

/* ---- json ------------------------------------------------------------------------------------ */

static sl_status json_decode(sl_format *f, const char *data, size_t len, sl_format_emit_fn emit, void *ctx,
                             uint64_t *skipped, sl_error *err)
{
    if (!data) return SL_OK; /* a tombstone */
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, &je);
    bool ok;
    if (!root) ok = json_syntax(f, &je);
    else if (!json_is_object(root)) ok = fail(f, "expected a JSON object, got %s", json_kind(root));
    else ok = json_object_to_row(f, &f->w, SL_ROW_INSERT, root);
    json_decref(root);
    if (!ok) return record_failed(f, data, len, skipped, err);
    emit(ctx, sl_rw_finish(&f->w));
    return SL_OK;
}

static void json_put_field(sl_format *f, sl_strbuf *out, const uint8_t *row, int i)
{
    const fcol *c = &f->cols[i];
    switch (c->t.id) {
    case SQL_T_BOOLEAN:
        if (sl_row_i64(row, i)) sl_strbuf_append(out, "true", 4);
        else sl_strbuf_append(out, "false", 5);
        break;
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
    case SQL_T_INTERVAL_YM:
    case SQL_T_INTERVAL_DT: put_i64(out, sl_row_i64(row, i)); break;
    case SQL_T_DECIMAL:
        if (f->decimal_plain) sl_format_decimal(out, sl_row_i64(row, i), c->t.scale);
        else put_decimal_java(out, sl_row_i64(row, i), c->t.scale);
        break;
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: {
        double d = sl_row_f64(row, i);
        bool q = !isfinite(d); /* Jackson writes NaN and Infinity as strings */
        if (q) sl_strbuf_putc(out, '"');
        sl_format_double(out, d, c->t.id == SQL_T_FLOAT);
        if (q) sl_strbuf_putc(out, '"');
        break;
    }
    case SQL_T_CHAR:
    case SQL_T_VARCHAR: {
        uint32_t n;
        const char *s = sl_row_bytes(row, i, &n);
        put_json_string(out, s, n);
        break;
    }
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: {
        uint32_t n;
        const char *s = sl_row_bytes(row, i, &n);
        sl_strbuf_putc(out, '"');
        put_base64(out, (const unsigned char *)s, n);
        sl_strbuf_putc(out, '"');
        break;
    }
    case SQL_T_DATE:
        sl_strbuf_putc(out, '"');
        put_date(out, sl_row_i64(row, i));
        sl_strbuf_putc(out, '"');
        break;
    case SQL_T_TIME:
        sl_strbuf_putc(out, '"');
        put_time_micros(out, sl_floor_mod(sl_row_i64(row, i), 86400000) * 1000);
        sl_strbuf_putc(out, '"');
        break;
    case SQL_T_TIMESTAMP:
    case SQL_T_TIMESTAMP_LTZ:
        sl_strbuf_putc(out, '"');
        put_timestamp(out, sl_row_i64(row, i), f->iso ? 'T' : ' ', c->t.id == SQL_T_TIMESTAMP_LTZ);
        sl_strbuf_putc(out, '"');
        break;
    default: sl_strbuf_append(out, "null", 4); break;
    }
}

/* A MAP<STRING, V> as a JSON object (values in V's JSON form); a NULL key per map-null-key.mode. */
static void json_put_map(sl_format *f, sl_strbuf *out, const fcol *c, const uint8_t *row, int i)
{
    sl_format *vf = c->vf;
    uint32_t n;
    const char *p = sl_row_bytes(row, i, &n);
    sl_map_iter it;
    sl_map_elem k, v;
    bool first = true;
    sl_strbuf_putc(out, '{');
    if (vf && sl_map_iter_init(&it, p, n, SL_PHYS_BYTES, c->vphys, NULL))
        while (sl_map_next(&it, &k, &v)) {
            if (k.null) {
                if (f->null_key_mode == 1) continue; /* DROP */
                if (f->null_key_mode == 0) {         /* FAIL */
                    f->null_key_failed = true;
                    continue;
                }
                k.p = f->null_key_lit ? f->null_key_lit : "null";
                k.n = (uint32_t)strlen(k.p);
            }
            if (!first) sl_strbuf_putc(out, ',');
            first = false;
            put_json_string(out, k.p, k.n);
            sl_strbuf_putc(out, ':');
            if (v.null) {
                sl_strbuf_append(out, "null", 4);
                continue;
            }
            sl_rw_begin(&vf->w, 1, SL_ROW_INSERT);
            sl_rw_elem(&vf->w, 0, &v, c->vphys);
            json_put_field(vf, out, sl_rw_finish(&vf->w), 0);
        }
    sl_strbuf_putc(out, '}');
}

static void json_put_row(sl_format *f, sl_strbuf *out, const uint8_t *row, bool ignore_nulls)
{
    sl_strbuf_putc(out, '{');
    bool first = true;
    for (int i = 0; i < f->n; i++) {
        bool null = sl_row_is_null(row, i);
        if (null && ignore_nulls) continue;
        if (!first) sl_strbuf_putc(out, ',');
        first = false;
        sl_strbuf_append(out, f->cols[i].json_key, f->cols[i].json_key_len);
        if (null) sl_strbuf_append(out, "null", 4);
        else if (f->cols[i].vf) json_put_map(f, out, &f->cols[i], row, i);
        else json_put_field(f, out, row, i);
    }
    sl_strbuf_putc(out, '}');
}

/* ---- debezium-json --------------------------------------------------------------------------- */

#define REPLICA_IDENTITY                                                                                              \
    "The \"before\" field of %s message is null, if you are using Debezium Postgres Connector, please check the "    \
    "Postgres table has been set REPLICA IDENTITY to FULL level."

static sl_status debezium_decode(sl_format *f, const char *data, size_t len, sl_format_emit_fn emit, void *ctx,
                                 uint64_t *skipped, sl_error *err)
{
    if (!data || len == 0) return SL_OK; /* a tombstone */
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, &je);
    bool ok = false;
    int nrows = 0;
    if (!root) {
        json_syntax(f, &je);
        goto done;
    }
    if (!json_is_object(root)) {
        fail(f, "expected a JSON object, got %s", json_kind(root));
        goto done;
    }
    json_t *payload = root;
    if (f->schema_include) {
        payload = json_object_get(root, "payload");
        if (!json_is_object(payload)) {
            fail(f, "the message has no \"payload\" object, but 'debezium-json.schema-include' is true");
            snprintf(f->hint, sizeof f->hint,
                     "set 'debezium-json.schema-include' = 'false' for messages without the schema envelope");
            goto done;
        }
    }
    json_t *op = json_object_get(payload, "op"), *before = json_object_get(payload, "before"),
           *after = json_object_get(payload, "after");
    if (!json_is_string(op)) {
        fail(f, "the message has no \"op\" field");
        if (!f->schema_include && json_is_object(json_object_get(root, "payload")) && json_object_get(root, "schema"))
            snprintf(f->hint, sizeof f->hint,
                     "the message has the {\"schema\":..., \"payload\":...} envelope: set "
                     "'debezium-json.schema-include' = 'true'");
        goto done;
    }
    const char *o = json_string_value(op);
    if (strcmp(o, "c") == 0 || strcmp(o, "r") == 0) {
        if (!json_is_object(after)) {
            fail(f, "The \"after\" field of INSERT message is %s.", after ? json_kind(after) : "missing");
            goto done;
        }
        if (!json_object_to_row(f, &f->w, SL_ROW_INSERT, after)) goto done;
        nrows = 1;
    } else if (strcmp(o, "u") == 0) {
        if (!before || json_is_null(before)) {
            fail(f, REPLICA_IDENTITY, "UPDATE");
            goto done;
        }
        if (!json_is_object(before)) {
            fail(f, "The \"before\" field of UPDATE message is %s.", json_kind(before));
            goto done;
        }
        if (!json_is_object(after)) {
            fail(f, "The \"after\" field of UPDATE message is %s.", after ? json_kind(after) : "missing");
            goto done;
        }
        if (!json_object_to_row(f, &f->w, SL_ROW_UPDATE_BEFORE, before)) goto done;
        if (!json_object_to_row(f, &f->w2, SL_ROW_UPDATE_AFTER, after)) goto done;
        nrows = 2;
    } else if (strcmp(o, "d") == 0) {
        if (!before || json_is_null(before)) {
            fail(f, REPLICA_IDENTITY, "DELETE");
            goto done;
        }
        if (!json_is_object(before)) {
            fail(f, "The \"before\" field of DELETE message is %s.", json_kind(before));
            goto done;
        }
        if (!json_object_to_row(f, &f->w, SL_ROW_DELETE, before)) goto done;
        nrows = 1;
    } else {
        size_t k = utf8_cut(o, strlen(o), 50);
        fail(f, "Unknown \"op\" value \"%.*s\".", (int)k, o);
        goto done;
    }
    ok = true;
done:
    json_decref(root);
    if (!ok) return record_failed(f, data, len, skipped, err);
    emit(ctx, sl_rw_finish(&f->w));
    if (nrows == 2) emit(ctx, sl_rw_finish(&f->w2));
    return SL_OK;
}

static sl_status debezium_encode(sl_format *f, const uint8_t *row, sl_strbuf *out, sl_error *err)
{
    if (f->schema_include)
        return sl_error_set(err, SL_ERR_VALIDATION,
                            "Debezium JSON serialization doesn't support 'debezium-json.schema-include' option been "
                            "set to true.");
    sl_row_kind k = sl_row_get_kind(row);
    bool ins = k == SL_ROW_INSERT || k == SL_ROW_UPDATE_AFTER;
    sl_strbuf_append(out, "{\"before\":", 10);
    if (ins) sl_strbuf_append(out, "null", 4);
    else json_put_row(f, out, row, false);
    sl_strbuf_append(out, ",\"after\":", 9);
    if (ins) json_put_row(f, out, row, false);
    else sl_strbuf_append(out, "null", 4);
    sl_strbuf_puts(out, ins ? ",\"op\":\"c\"}" : ",\"op\":\"d\"}");
    return SL_OK;
}

/* ---- csv ------------------------------------------------------------------------------------- */

static char csv_unescape(char c)
{
    switch (c) {
    case '0': return '\0';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return c;
    }
}

static sl_status csv_decode(sl_format *f, const char *data, size_t len, sl_format_emit_fn emit, void *ctx,
                            uint64_t *skipped, sl_error *err)
{
    if (!data) return SL_OK;
    const char *rec = data;
    size_t reclen = len;
    if (len && data[len - 1] == '\n') len--;
    if (len && data[len - 1] == '\r') len--;
    if (len == 0) return SL_OK;                            /* an empty line */
    if (f->allow_comments && data[0] == '#') return SL_OK; /* a comment line */
    ensure_buf(f, len + 1);
    size_t pos = 0, out = 0, nf = 0;
    for (;;) {
        if (nf == f->fcap) SL_GROW(f->fields, f->fcap, nf + 1);
        csv_field *fd = &f->fields[nf++];
        fd->off = out;
        fd->quoted = false;
        if (f->has_quote && pos < len && data[pos] == f->quote) {
            fd->quoted = true;
            pos++;
            for (;;) {
                if (pos >= len) {
                    fail(f, "Missing closing quote (%c) for the value of field %zu", f->quote, nf);
                    return record_failed(f, rec, reclen, skipped, err);
                }
                char ch = data[pos++];
                if (ch == f->quote) {
                    if (pos < len && data[pos] == f->quote) {
                        f->buf[out++] = ch;
                        pos++;
                        continue;
                    }
                    break;
                }
                if (f->has_esc && ch == f->esc && pos < len) ch = csv_unescape(data[pos++]);
                f->buf[out++] = ch;
            }
            if (pos < len && data[pos] != f->delim) {
                fail(f, "Expected the field delimiter '%c' or the end of the row after the closing quote of field %zu, "
                        "found '%c'",
                     f->delim, nf, data[pos]);
                return record_failed(f, rec, reclen, skipped, err);
            }
        } else {
            while (pos < len && data[pos] != f->delim) {
                char ch = data[pos++];
                if (f->has_esc && ch == f->esc && pos < len) ch = csv_unescape(data[pos++]);
                f->buf[out++] = ch;
            }
        }
        fd->len = out - fd->off;
        if (pos < len) {
            pos++; /* the delimiter: another field follows */
            continue;
        }
        break;
    }
    if (nf > (size_t)f->n || (nf < (size_t)f->n && !f->ignore_errors)) {
        fail(f, "Row length mismatch. %d fields expected but was %zu.", f->n, nf);
        return record_failed(f, rec, reclen, skipped, err);
    }
    sl_row_writer *w = &f->w;
    sl_rw_begin(w, f->n, SL_ROW_INSERT);
    for (size_t k = 0; k < nf; k++) {
        const char *s = f->buf + f->fields[k].off;
        size_t n = f->fields[k].len;
        int i = (int)k;
        if (f->has_null_lit && n == f->null_lit_len && memcmp(s, f->null_lit, n) == 0) continue;
        if (n == 0 && !f->fields[k].quoted && !is_string_type(f->cols[i].t.id)) continue;
        if (!text_to_field(f, w, i, s, n, false)) {
            if (!f->ignore_errors) return record_failed(f, rec, reclen, skipped, err);
            sl_rw_null(w, i);
        }
    }
    emit(ctx, sl_rw_finish(w));
    return SL_OK;
}

/* Text of a non-NULL field for csv (f->tmp). */
static void csv_field_text(sl_format *f, const uint8_t *row, int i)
{
    const fcol *c = &f->cols[i];
    sl_strbuf *t = &f->tmp;
    switch (c->t.id) {
    case SQL_T_BOOLEAN: sl_strbuf_puts(t, sl_row_i64(row, i) ? "true" : "false"); break;
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
    case SQL_T_INTERVAL_YM:
    case SQL_T_INTERVAL_DT: put_i64(t, sl_row_i64(row, i)); break;
    case SQL_T_DECIMAL: sl_format_decimal(t, sl_row_i64(row, i), c->t.scale); break;
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: sl_format_double(t, sl_row_f64(row, i), c->t.id == SQL_T_FLOAT); break;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR: {
        uint32_t n;
        const char *s = sl_row_bytes(row, i, &n);
        sl_strbuf_append(t, s, n);
        break;
    }
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: {
        uint32_t n;
        const char *s = sl_row_bytes(row, i, &n);
        put_base64(t, (const unsigned char *)s, n);
        break;
    }
    case SQL_T_DATE: put_date(t, sl_row_i64(row, i)); break;
    case SQL_T_TIME: put_time_micros(t, sl_floor_mod(sl_row_i64(row, i), 86400000) * 1000); break;
    case SQL_T_TIMESTAMP:
    case SQL_T_TIMESTAMP_LTZ: put_timestamp(t, sl_row_i64(row, i), ' ', c->t.id == SQL_T_TIMESTAMP_LTZ); break;
    default: break;
    }
}

static void csv_encode(sl_format *f, const uint8_t *row, sl_strbuf *out)
{
    for (int i = 0; i < f->n; i++) {
        if (i) sl_strbuf_putc(out, f->delim);
        if (sl_row_is_null(row, i)) {
            if (f->has_null_lit) sl_strbuf_append(out, f->null_lit, f->null_lit_len);
            continue;
        }
        sl_strbuf_reset(&f->tmp);
        csv_field_text(f, row, i);
        const char *s = sl_strbuf_cstr(&f->tmp);
        size_t n = f->tmp.len;
        bool special = i == 0 && f->allow_comments && n && s[0] == '#';
        for (size_t k = 0; k < n && !special; k++) {
            char ch = s[k];
            special = ch == f->delim || ch == '\n' || ch == '\r' || (f->has_quote && ch == f->quote) ||
                      (f->has_esc && ch == f->esc);
        }
        if (!special) {
            sl_strbuf_append(out, s, n);
        } else if (f->has_quote) {
            sl_strbuf_putc(out, f->quote);
            size_t run = 0;
            for (size_t k = 0; k < n; k++) {
                if (s[k] != f->quote && !(f->has_esc && s[k] == f->esc)) continue;
                sl_strbuf_append(out, s + run, k + 1 - run); /* doubles a quote (or an escape) */
                run = k;
            }
            sl_strbuf_append(out, s + run, n - run);
            sl_strbuf_putc(out, f->quote);
        } else if (f->has_esc) {
            for (size_t k = 0; k < n; k++) {
                char ch = s[k];
                if (ch == f->delim || ch == f->esc || ch == '\n' || ch == '\r') {
                    sl_strbuf_putc(out, f->esc);
                    ch = ch == '\n' ? 'n' : ch == '\r' ? 'r' : ch;
                }
                sl_strbuf_putc(out, ch);
            }
        } else {
            sl_strbuf_append(out, s, n); /* no quote and no escape character: written as is, as Flink does */
        }
    }
}

/* ---- raw ------------------------------------------------------------------------------------- */

static int raw_width(sql_type_id id)
{
    switch (id) {
    case SQL_T_BOOLEAN:
    case SQL_T_TINYINT: return 1;
    case SQL_T_SMALLINT: return 2;
    case SQL_T_INT:
    case SQL_T_FLOAT: return 4;
    case SQL_T_BIGINT:
    case SQL_T_DOUBLE: return 8;
    default: return 0; /* variable: strings and bytes */
    }
}

static sl_status raw_decode(sl_format *f, const char *data, size_t len, sl_format_emit_fn emit, void *ctx,
                            sl_error *err)
{
    sl_row_writer *w = &f->w;
    const fcol *c = &f->cols[0];
    sl_rw_begin(w, 1, SL_ROW_INSERT);
    if (data) { /* a null message (Kafka tombstone) is a NULL value, as in Flink */
        int width = raw_width(c->t.id);
        if (width == 0) {
            if (len > UINT32_MAX - 64)
                return sl_error_set(err, SL_ERR_INVALID, "The raw format value of %zu bytes is too large.", len);
            sl_rw_bytes(w, 0, data, (uint32_t)len);
        } else {
            if (len != (size_t)width) {
                sl_error_set(err, SL_ERR_INVALID, "Failed to deserialize the raw format value.");
                sl_error_detail(err, "a value of type %s has %d byte%s, the record has %zu", c->type_str, width,
                                width == 1 ? "" : "s", len);
                return SL_ERR_INVALID;
            }
            uint64_t u = 0;
            for (int k = 0; k < width; k++) {
                unsigned char b = (unsigned char)data[f->little_endian ? width - 1 - k : k];
                u = u << 8 | b;
            }
            switch (c->t.id) {
            case SQL_T_BOOLEAN: sl_rw_i64(w, 0, u != 0); break;
            case SQL_T_TINYINT: sl_rw_i64(w, 0, (int8_t)(uint8_t)u); break;
            case SQL_T_SMALLINT: sl_rw_i64(w, 0, (int16_t)(uint16_t)u); break;
            case SQL_T_INT: sl_rw_i64(w, 0, (int32_t)(uint32_t)u); break;
            case SQL_T_BIGINT: sl_rw_i64(w, 0, (int64_t)u); break;
            case SQL_T_FLOAT: {
                uint32_t u32 = (uint32_t)u;
                float fl;
                memcpy(&fl, &u32, 4);
                sl_rw_f64(w, 0, fl);
                break;
            }
            case SQL_T_DOUBLE: {
                double d;
                memcpy(&d, &u, 8);
                sl_rw_f64(w, 0, d);
                break;
            }
            default: break;
            }
        }
    }
    emit(ctx, sl_rw_finish(w));
    return SL_OK;
}

static void raw_encode(sl_format *f, const uint8_t *row, sl_strbuf *out)
{
    const fcol *c = &f->cols[0];
    if (sl_row_is_null(row, 0)) return; /* Flink writes a null message; here: no bytes */
    int width = raw_width(c->t.id);
    if (width == 0) {
        uint32_t n;
        const char *s = sl_row_bytes(row, 0, &n);
        sl_strbuf_append(out, s, n);
        return;
    }
    uint64_t u;
    if (c->t.id == SQL_T_FLOAT) {
        float fl = (float)sl_row_f64(row, 0);
        uint32_t u32;
        memcpy(&u32, &fl, 4);
        u = u32;
    } else if (c->t.id == SQL_T_DOUBLE) {
        double d = sl_row_f64(row, 0);
        memcpy(&u, &d, 8);
    } else {
        u = (uint64_t)sl_row_i64(row, 0);
    }
    char b[8];
    for (int k = 0; k < width; k++) {
        unsigned char byte = (unsigned char)(u >> (8 * (width - 1 - k)));
        b[f->little_endian ? width - 1 - k : k] = (char)byte;
    }
    sl_strbuf_append(out, b, (size_t)width);
}

/* ---- options --------------------------------------------------------------------------------- */

/* Whether key is "<prefix>.<rest>". */
static bool key_is(const char *key, const char *prefix, const char *rest)
{
    size_t p = strlen(prefix);
    return strncmp(key, prefix, p) == 0 && key[p] == '.' && strcmp(key + p + 1, rest) == 0;
}

static sl_status bad_value(const sl_kv *o, int idx, const char *supported, int *bad, sl_error *err)
{
    if (bad) *bad = idx;
    return sl_error_set(err, SL_ERR_VALIDATION, "Invalid value for option '%s': '%s'. Supported values are [%s].",
                        o->key, o->value, supported);
}

static sl_status opt_bool(const sl_kv *o, int idx, bool *v, int *bad, sl_error *err)
{
    if (strcasecmp(o->value, "true") == 0) *v = true;
    else if (strcasecmp(o->value, "false") == 0) *v = false;
    else return bad_value(o, idx, "true, false", bad, err);
    return SL_OK;
}

/* Java's StringEscapeUtils.unescapeJava for the escapes a delimiter needs (\t, \n, \uXXXX ...). */
static size_t unescape_java(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = s; *p && n + 8 < cap;) {
        if (*p != '\\' || !p[1]) {
            out[n++] = *p++;
            continue;
        }
        p++;
        char c = *p++;
        switch (c) {
        case 't': out[n++] = '\t'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'u': {
            unsigned v = 0;
            int k = 0;
            for (; k < 4 && isxdigit((unsigned char)p[k]); k++)
                v = v * 16 + (unsigned)(isdigit((unsigned char)p[k]) ? p[k] - '0' : (tolower((unsigned char)p[k]) - 'a' + 10));
            if (k < 4) {
                out[n++] = '\\';
                out[n++] = 'u';
                break;
            }
            p += 4;
            if (v < 0x80) out[n++] = (char)v;
            else { /* UTF-8: more than one byte, rejected as not a single (byte) character */
                out[n++] = (char)0xC0;
                out[n++] = (char)0x80;
            }
            break;
        }
        default: out[n++] = c; break;
        }
    }
    out[n] = 0;
    return n;
}

static sl_status opt_char(const sl_kv *o, int idx, bool unescape, char *c, int *bad, sl_error *err)
{
    char buf[64];
    size_t n = unescape ? unescape_java(o->value, buf, sizeof buf) : strlen(o->value);
    const char *v = unescape ? buf : o->value;
    if (n != 1) {
        if (bad) *bad = idx;
        /* a single non-ASCII character is valid in Flink, but the csv reader here works on bytes */
        bool one_char = n > 1 && ((unsigned char)v[0] & 0xC0) == 0xC0;
        for (size_t k = 1; k < n && one_char; k++) one_char = ((unsigned char)v[k] & 0xC0) == 0x80;
        if (one_char && n <= 4)
            return sl_error_set(err, SL_ERR_UNSUPPORTED,
                                "Option '%s': only single-byte (ASCII) characters are supported, but was: %s", o->key,
                                o->value);
        return sl_error_set(err, SL_ERR_VALIDATION, "Option '%s' must be a string with single character, but was: %s",
                            o->key, o->value);
    }
    *c = v[0];
    return SL_OK;
}

static sl_status parse_options(sl_format *f, const sl_kv *opts, int nopts, int *bad, sl_error *err)
{
    static const char *const null_key_modes[] = {"FAIL", "DROP", "LITERAL"};
    int i_fail_missing = -1, i_ignore = -1, i_quote = -1;
    bool disable_quote = false;
    sl_status st = SL_OK;
    for (int i = 0; i < nopts && st == SL_OK; i++) {
        const sl_kv *o = &opts[i];
        if (!o->key || !o->value) continue;
        const char *p = f->prefix;
        if (f->kind == FK_JSON || f->kind == FK_DEBEZIUM) {
            if (f->kind == FK_JSON && key_is(o->key, p, "fail-on-missing-field")) {
                st = opt_bool(o, i, &f->fail_missing, bad, err);
                i_fail_missing = i;
            } else if (key_is(o->key, p, "ignore-parse-errors")) {
                st = opt_bool(o, i, &f->ignore_errors, bad, err);
                i_ignore = i;
            } else if (key_is(o->key, p, "timestamp-format.standard")) {
                if (strcmp(o->value, "SQL") == 0) f->iso = false;
                else if (strcmp(o->value, "ISO-8601") == 0) f->iso = true;
                else st = bad_value(o, i, "SQL, ISO-8601", bad, err);
            } else if (key_is(o->key, p, "map-null-key.mode")) {
                bool ok = false;
                for (int k = 0; k < 3; k++)
                    if (strcasecmp(o->value, null_key_modes[k]) == 0) ok = true, f->null_key_mode = k;
                if (!ok) st = bad_value(o, i, "FAIL, DROP, LITERAL", bad, err);
            } else if (key_is(o->key, p, "encode.decimal-as-plain-number")) {
                st = opt_bool(o, i, &f->decimal_plain, bad, err);
            } else if (f->kind == FK_JSON && key_is(o->key, p, "encode.ignore-null-fields")) {
                st = opt_bool(o, i, &f->ignore_nulls, bad, err);
            } else if (f->kind == FK_DEBEZIUM && key_is(o->key, p, "schema-include")) {
                st = opt_bool(o, i, &f->schema_include, bad, err);
            }
            else if (key_is(o->key, p, "map-null-key.literal")) {
                free(f->null_key_lit);
                f->null_key_lit = sl_xstrdup(o->value);
            }
        } else if (f->kind == FK_CSV) {
            if (key_is(o->key, p, "field-delimiter")) st = opt_char(o, i, true, &f->delim, bad, err);
            else if (key_is(o->key, p, "quote-character")) {
                st = opt_char(o, i, false, &f->quote, bad, err);
                i_quote = i;
            } else if (key_is(o->key, p, "disable-quote-character")) st = opt_bool(o, i, &disable_quote, bad, err);
            else if (key_is(o->key, p, "allow-comments")) st = opt_bool(o, i, &f->allow_comments, bad, err);
            else if (key_is(o->key, p, "ignore-parse-errors")) st = opt_bool(o, i, &f->ignore_errors, bad, err);
            else if (key_is(o->key, p, "escape-character")) {
                st = opt_char(o, i, false, &f->esc, bad, err);
                f->has_esc = st == SL_OK;
            } else if (key_is(o->key, p, "null-literal")) {
                free(f->null_lit);
                f->null_lit = sl_xstrdup(o->value);
                f->null_lit_len = strlen(o->value);
                f->has_null_lit = true;
            }
            /* array-element-delimiter: any string (ARRAY columns are not supported yet) */
        } else if (f->kind == FK_RAW) {
            if (key_is(o->key, p, "endianness")) {
                if (strcmp(o->value, "big-endian") == 0) f->little_endian = false;
                else if (strcmp(o->value, "little-endian") == 0) f->little_endian = true;
                else st = bad_value(o, i, "big-endian, little-endian", bad, err);
            } else if (key_is(o->key, p, "charset")) {
                if (strcasecmp(o->value, "UTF-8") != 0 && strcasecmp(o->value, "UTF8") != 0) {
                    if (bad) *bad = i;
                    st = sl_error_set(err, SL_ERR_UNSUPPORTED,
                                      "Charset '%s' of option 'raw.charset' is not supported: Sluice's raw format "
                                      "reads and writes UTF-8 only.",
                                      o->value);
                }
            }
        }
    }
    if (st != SL_OK) return st;
    if (f->kind == FK_JSON && f->fail_missing && f->ignore_errors) {
        if (bad) *bad = i_ignore > i_fail_missing ? i_ignore : i_fail_missing;
        return sl_error_set(err, SL_ERR_VALIDATION,
                            "'json.fail-on-missing-field' and 'json.ignore-parse-errors' shouldn't both be true.");
    }
    if (f->kind == FK_CSV) {
        if (disable_quote && i_quote >= 0) {
            if (bad) *bad = i_quote;
            return sl_error_set(err, SL_ERR_VALIDATION,
                                "Format cannot define a quote character and disabled quote character at the same time.");
        }
        f->has_quote = !disable_quote;
    }
    return SL_OK;
}

/* ---- create / destroy / dispatch ------------------------------------------------------------- */

void sl_format_destroy(sl_format *f)
{
    if (!f) return;
    for (int c = 0; c < f->n; c++) {
        free(f->cols[c].name);
        free(f->cols[c].type_str);
        free(f->cols[c].json_key);
        sl_format_destroy(f->cols[c].vf);
    }
    free(f->null_key_lit);
    sl_strbuf_free(&f->mapbuf);
    free(f->cols);
    free(f->null_lit);
    free(f->htab);
    free(f->pred);
    free(f->seen);
    sl_rw_free(&f->w);
    sl_rw_free(&f->w2);
    sl_strbuf_free(&f->tmp);
    free(f->buf);
    free(f->bin);
    free(f->fields);
    free(f);
}

static bool raw_type_ok(sql_type_id id)
{
    switch (id) {
    case SQL_T_CHAR:
    case SQL_T_VARCHAR:
    case SQL_T_BINARY:
    case SQL_T_VARBINARY:
    case SQL_T_BOOLEAN:
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: return true;
    default: return false;
    }
}

static sl_status check_columns(sl_format *f, const sql_type *row, sl_error *err)
{
    if (f->kind == FK_RAW && row->nfields != 1) {
        sl_strbuf sb = SL_STRBUF_INIT;
        for (int c = 0; c < row->nfields; c++) {
            sl_strbuf_printf(&sb, "%s`%s` ", c ? ", " : "", row->field_names[c]);
            sql_type_print(&sb, row->field_types[c]);
        }
        sl_error_set(err, SL_ERR_VALIDATION,
                     "The 'raw' format only supports single physical column. However the defined schema contains "
                     "multiple physical columns: [%s]",
                     sl_strbuf_cstr(&sb));
        sl_strbuf_free(&sb);
        return SL_ERR_VALIDATION;
    }
    for (int c = 0; c < row->nfields; c++) {
        const sql_type *t = row->field_types[c];
        sl_strbuf sb = SL_STRBUF_INIT;
        sql_type_print(&sb, t);
        sl_status st = SL_OK;
        if (f->kind == FK_RAW && !raw_type_ok(t->id)) {
            st = sl_error_set(err, SL_ERR_VALIDATION, "The 'raw' format doesn't support '%s' as column type.",
                              sl_strbuf_cstr(&sb));
            sl_error_hint(err, "the raw format holds CHAR/VARCHAR/STRING, BINARY/VARBINARY/BYTES, BOOLEAN, TINYINT, "
                               "SMALLINT, INT, BIGINT, FLOAT or DOUBLE");
        } else if (t->id == SQL_T_MAP && f->kind == FK_JSON && sl_phys_of(t) == SL_PHYS_BYTES) {
            if (!is_string_type(t->elem->id))
                st = sl_error_set(err, SL_ERR_UNSUPPORTED, "JSON format doesn't support non-string as key type of map. The type is: %s",
                                  sl_strbuf_cstr(&sb));
        } else if (t->id == SQL_T_MAP) {
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "The '%s' format does not support column `%s` of type %s yet.",
                              f->name, row->field_names[c], sl_strbuf_cstr(&sb));
            sl_error_hint(err, "of the Sluice formats only 'json' encodes and decodes MAP columns (MAP<STRING, V> of scalar V): "
                               "use it, CAST the map AS STRING, or select its elements (m['key'])");
        } else if (sl_phys_of(t) == SL_PHYS_UNSUPPORTED) {
            st = sl_error_set(err, SL_ERR_UNSUPPORTED, "The '%s' format does not support column `%s` of type %s yet.",
                              f->name, row->field_names[c], sl_strbuf_cstr(&sb));
            sl_error_detail(err, "Sluice rows cannot hold ARRAY, MAP, MULTISET, ROW or DECIMAL with a precision "
                                 "above 18 yet.");
        }
        sl_strbuf_free(&sb);
        if (st != SL_OK) return st;
    }
    return SL_OK;
}

sl_status sl_format_create(const char *name, const sql_type *row, const sl_kv *opts, int nopts, int32_t ltz_offset,
                           sl_format **out, int *bad_option, sl_error *err)
{
    *out = NULL;
    if (bad_option) *bad_option = -1;
    int k = find_format(name);
    if (k < 0) {
        sl_error_set(err, SL_ERR_VALIDATION,
                     "Could not find any format factory for identifier '%s' in the classpath.", name ? name : "");
        sl_error_hint(err, "Available factory identifiers are: csv, debezium-json, json, raw");
        return SL_ERR_VALIDATION;
    }
    if (!row || row->id != SQL_T_ROW)
        return sl_error_set(err, SL_ERR_INTERNAL, "sl_format_create: the row type is not a ROW type");
    if (row->nfields > 65535)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "The '%s' format supports at most 65535 columns.", name);
    sl_format *f = sl_xcalloc(1, sizeof *f);
    f->kind = formats[k].kind;
    f->name = formats[k].name;
    f->prefix = formats[k].name;
    f->ltz = ltz_offset;
    f->delim = ',';
    f->quote = '"';
    f->has_quote = true;
    sl_status st = parse_options(f, opts, nopts, bad_option, err);
    if (st == SL_OK) st = check_columns(f, row, err);
    if (st != SL_OK) {
        sl_format_destroy(f);
        return st;
    }
    f->n = row->nfields;
    f->cols = sl_xcalloc((size_t)(f->n ? f->n : 1), sizeof(fcol));
    for (int c = 0; c < f->n; c++) {
        fcol *col = &f->cols[c];
        col->name = sl_xstrdup(row->field_names[c]);
        col->name_len = strlen(col->name);
        col->t = *row->field_types[c];
        col->t.elem = col->t.value = NULL;
        col->t.field_names = NULL;
        col->t.field_types = NULL;
        col->t.nfields = 0;
        sl_strbuf sb = SL_STRBUF_INIT;
        sql_type_print(&sb, row->field_types[c]); /* the copy has no element types */
        col->type_str = sl_strbuf_detach(&sb);
        put_json_string(&sb, col->name, col->name_len);
        sl_strbuf_putc(&sb, ':');
        col->json_key_len = sb.len;
        col->json_key = sl_strbuf_detach(&sb);
        const sql_type *ct = row->field_types[c];
        if (ct->id == SQL_T_MAP) { /* checked: json, MAP<STRING, V> */
            const char *names[1] = {row->field_names[c]};
            const sql_type *types[1] = {ct->value};
            sql_type vrow = {.id = SQL_T_ROW, .precision = -1, .scale = -1, .nfields = 1, .field_names = names, .field_types = types};
            col->vphys = sl_phys_of(ct->value);
            int vbad;
            st = sl_format_create(name, &vrow, opts, nopts, ltz_offset, &col->vf, &vbad, err);
            if (st != SL_OK) {
                sl_format_destroy(f);
                return st;
            }
        }
    }
    build_lookup(f);
    *out = f;
    return SL_OK;
}

sl_status sl_format_decode(sl_format *f, const char *data, size_t len, sl_format_emit_fn emit, void *ctx, uint64_t *skipped,
                           sl_error *err)
{
    switch (f->kind) {
    case FK_JSON: return json_decode(f, data, len, emit, ctx, skipped, err);
    case FK_DEBEZIUM: return debezium_decode(f, data, len, emit, ctx, skipped, err);
    case FK_CSV: return csv_decode(f, data, len, emit, ctx, skipped, err);
    case FK_RAW: return raw_decode(f, data, len, emit, ctx, err);
    }
    return SL_ERR_INTERNAL;
}

sl_status sl_format_encode(sl_format *f, const uint8_t *row, sl_strbuf *out, sl_error *err)
{
    if (sl_row_arity(row) != f->n)
        return sl_error_set(err, SL_ERR_INTERNAL, "the %s format was created for %d columns but the row has %d", f->name,
                            f->n, sl_row_arity(row));
    sl_row_kind kind = sl_row_get_kind(row);
    if (f->kind == FK_DEBEZIUM) return debezium_encode(f, row, out, err);
    if (kind != SL_ROW_INSERT) {
        sl_error_set(err, SL_ERR_UNSUPPORTED, "The '%s' format cannot encode %s rows: it only supports INSERT (+I) rows.",
                     f->name, sl_row_kind_str(kind));
        sl_error_hint(err, "use 'debezium-json' (or the upsert-kafka connector) for updating results");
        return SL_ERR_UNSUPPORTED;
    }
    switch (f->kind) {
    case FK_JSON:
        f->null_key_failed = false;
        json_put_row(f, out, row, f->ignore_nulls);
        if (f->null_key_failed) {
            sl_error_set(err, SL_ERR_RUNTIME,
                         "JSON format doesn't support to serialize map data with null keys. You can drop null key entries or "
                         "encode null in literals by specifying map-null-key.mode option.");
            sl_error_hint(err, "set 'json.map-null-key.mode' = 'DROP', or 'LITERAL' with 'json.map-null-key.literal'");
            return SL_ERR_RUNTIME;
        }
        break;
    case FK_CSV: csv_encode(f, row, out); break;
    case FK_RAW: raw_encode(f, row, out); break;
    default: break;
    }
    return SL_OK;
}
