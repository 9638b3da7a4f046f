/* runtime/row.c — see row.h. */
#include "runtime/row.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/mem.h"
#include "common/strbuf.h"
#include "runtime/temporal.h"

sl_phys sl_phys_of(const sql_type *t)
{
    switch (t->id) {
    case SQL_T_NULL:
    case SQL_T_BOOLEAN:
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT:
    case SQL_T_DATE:
    case SQL_T_TIME:
    case SQL_T_TIMESTAMP:
    case SQL_T_TIMESTAMP_LTZ:
    case SQL_T_INTERVAL_YM:
    case SQL_T_INTERVAL_DT: return SL_PHYS_I64;
    case SQL_T_DECIMAL: return t->precision <= 18 ? SL_PHYS_I64 : SL_PHYS_UNSUPPORTED;
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: return SL_PHYS_F64;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR:
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: return SL_PHYS_BYTES;
    default: return SL_PHYS_UNSUPPORTED;
    }
}

const char *sl_row_kind_str(sl_row_kind k)
{
    static const char *const s[] = {"+I", "-U", "+U", "-D"};
    return s[k & 3];
}

static void ensure(sl_row_writer *w, uint32_t need)
{
    if (need <= w->cap) return;
    uint32_t cap = w->cap ? w->cap : 256;
    while (cap < need) cap *= 2;
    w->buf = sl_xrealloc(w->buf, cap);
    w->cap = cap;
}

void sl_rw_begin(sl_row_writer *w, int nfields, sl_row_kind kind)
{
    uint32_t fixed = sl_row_fixed_bytes(nfields);
    ensure(w, fixed);
    w->n = nfields;
    w->len = fixed;
    w->buf[0] = (uint8_t)kind;
    w->buf[1] = 0;
    uint16_t n16 = (uint16_t)nfields;
    memcpy(w->buf + 2, &n16, 2);
    /* all NULL until set */
    uint32_t bm = sl_row_bitmap_bytes(nfields);
    memset(w->buf + SL_ROW_HEADER, 0xff, bm);
    memset(w->buf + SL_ROW_HEADER + bm, 0, 8u * (uint32_t)nfields);
}

static inline void set_present(sl_row_writer *w, int i, bool present)
{
    uint8_t *word = w->buf + SL_ROW_HEADER + (size_t)(i / 64) * 8;
    uint64_t v;
    memcpy(&v, word, 8);
    if (present) v &= ~(UINT64_C(1) << (i % 64));
    else v |= UINT64_C(1) << (i % 64);
    memcpy(word, &v, 8);
}

static inline uint8_t *slot(sl_row_writer *w, int i) { return w->buf + SL_ROW_HEADER + sl_row_bitmap_bytes(w->n) + (size_t)i * 8; }

void sl_rw_null(sl_row_writer *w, int i) { set_present(w, i, false); }

void sl_rw_i64(sl_row_writer *w, int i, int64_t v)
{
    memcpy(slot(w, i), &v, 8);
    set_present(w, i, true);
}

void sl_rw_f64(sl_row_writer *w, int i, double v)
{
    memcpy(slot(w, i), &v, 8);
    set_present(w, i, true);
}

char *sl_rw_bytes_reserve(sl_row_writer *w, int i, uint32_t len)
{
    ensure(w, w->len + len + 8);
    uint64_t s = ((uint64_t)w->len << 32) | len;
    memcpy(slot(w, i), &s, 8);
    set_present(w, i, true);
    char *p = (char *)w->buf + w->len;
    w->len += len;
    return p;
}

void sl_rw_bytes(sl_row_writer *w, int i, const void *p, uint32_t len)
{
    char *d = sl_rw_bytes_reserve(w, i, len);
    if (len) memcpy(d, p, len);
}

void sl_rw_copy(sl_row_writer *w, int i, const uint8_t *r, int j, sl_phys phys)
{
    if (sl_row_is_null(r, j)) {
        sl_rw_null(w, i);
        return;
    }
    if (phys == SL_PHYS_BYTES) {
        uint32_t len;
        const char *p = sl_row_bytes(r, j, &len);
        sl_rw_bytes(w, i, p, len);
        return;
    }
    memcpy(slot(w, i), sl_row_slot(r, j), 8);
    set_present(w, i, true);
}

const uint8_t *sl_rw_finish(sl_row_writer *w)
{
    /* pad to 8 bytes so rows stay aligned back to back in buffers */
    uint32_t padded = (w->len + 7u) & ~7u;
    ensure(w, padded);
    memset(w->buf + w->len, 0, padded - w->len);
    w->len = padded;
    memcpy(w->buf + 4, &w->len, 4);
    return w->buf;
}

void sl_rw_free(sl_row_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

/* ---- printing ----------------------------------------------------------------------------- */

/* Java's Double.toString: shortest digits that round-trip, but never fewer than two (of those, the
 * closest: 4.9E-324, not 5.0E-324); plain notation for 1e-3 <= |d| < 1e7, otherwise d.dddEn. */
void sl_format_double(sl_strbuf *out, double d, bool is_float)
{
    if (isnan(d)) {
        sl_strbuf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        sl_strbuf_puts(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        sl_strbuf_puts(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char buf[40];
    int prec;
    for (prec = 2; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (is_float ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d) break;
    }
    /* buf = [-]d.ddde[+-]XX */
    char mant[24];
    int mn = 0;
    const char *p = buf;
    bool neg = *p == '-';
    if (neg) p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') mant[mn++] = *p;
    mant[mn] = 0;
    int exp = atoi(p + 1);
    while (mn > 1 && mant[mn - 1] == '0') mant[--mn] = 0;
    if (neg) sl_strbuf_putc(out, '-');
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++) sl_strbuf_putc(out, i < mn ? mant[i] : '0');
            sl_strbuf_putc(out, '.');
            if (mn > exp + 1) sl_strbuf_append(out, mant + exp + 1, (size_t)(mn - exp - 1));
            else sl_strbuf_putc(out, '0');
        } else {
            sl_strbuf_puts(out, "0.");
            for (int i = 0; i < -exp - 1; i++) sl_strbuf_putc(out, '0');
            sl_strbuf_append(out, mant, (size_t)mn);
        }
    } else {
        sl_strbuf_putc(out, mant[0]);
        sl_strbuf_putc(out, '.');
        if (mn > 1) sl_strbuf_append(out, mant + 1, (size_t)(mn - 1));
        else sl_strbuf_putc(out, '0');
        sl_strbuf_printf(out, "E%d", exp);
    }
}

void sl_format_decimal(sl_strbuf *out, int64_t unscaled, int scale)
{
    char digits[32];
    uint64_t u = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
    int n = snprintf(digits, sizeof digits, "%" PRIu64, u);
    if (unscaled < 0) sl_strbuf_putc(out, '-');
    if (scale <= 0) {
        sl_strbuf_append(out, digits, (size_t)n);
        return;
    }
    if (n <= scale) {
        sl_strbuf_puts(out, "0.");
        for (int i = n; i < scale; i++) sl_strbuf_putc(out, '0');
        sl_strbuf_append(out, digits, (size_t)n);
    } else {
        sl_strbuf_append(out, digits, (size_t)(n - scale));
        sl_strbuf_putc(out, '.');
        sl_strbuf_append(out, digits + n - scale, (size_t)scale);
    }
}

void sl_format_interval(sl_strbuf *out, const sql_type *t, int64_t v)
{
    /* Flink prints intervals the way CAST(... AS STRING) does: +1-02 (years-months),
     * +3 04:05:06.000 (days time) */
    char sign = v < 0 ? '-' : '+';
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (t->id == SQL_T_INTERVAL_YM) sl_strbuf_printf(out, "%c%" PRIu64 "-%02" PRIu64, sign, a / 12, a % 12);
    else
        sl_strbuf_printf(out, "%c%" PRIu64 " %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64, sign, a / 86400000,
                         a / 3600000 % 24, a / 60000 % 60, a / 1000 % 60, a % 1000);
}

void sl_row_format_field(sl_strbuf *out, const uint8_t *r, int i, const sql_type *t, int32_t ltz_offset)
{
    if (sl_row_is_null(r, i)) {
        sl_strbuf_puts(out, "null");
        return;
    }
    int64_t v = 0;
    if (sl_phys_of(t) == SL_PHYS_I64) v = sl_row_i64(r, i);
    switch (t->id) {
    case SQL_T_BOOLEAN: sl_strbuf_puts(out, v ? "TRUE" : "FALSE"); break;
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT: sl_strbuf_printf(out, "%" PRId64, v); break;
    case SQL_T_DECIMAL: sl_format_decimal(out, v, t->scale); break;
    case SQL_T_FLOAT: sl_format_double(out, sl_row_f64(r, i), true); break;
    case SQL_T_DOUBLE: sl_format_double(out, sl_row_f64(r, i), false); break;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR: {
        uint32_t n;
        const char *s = sl_row_bytes(r, i, &n);
        sl_strbuf_append(out, s, n);
        break;
    }
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: {
        uint32_t n;
        const unsigned char *s = (const unsigned char *)sl_row_bytes(r, i, &n);
        sl_strbuf_putc(out, 'x');
        sl_strbuf_putc(out, '\'');
        for (uint32_t k = 0; k < n; k++) sl_strbuf_printf(out, "%02x", s[k]);
        sl_strbuf_putc(out, '\'');
        break;
    }
    case SQL_T_DATE: sl_format_date(out, v); break;
    case SQL_T_TIME: sl_format_time(out, v, t->precision); break;
    case SQL_T_TIMESTAMP: sl_format_timestamp(out, v, t->precision < 0 ? 6 : t->precision, ' '); break;
    case SQL_T_TIMESTAMP_LTZ:
        sl_format_timestamp(out, v + (int64_t)ltz_offset * 1000000, t->precision < 0 ? 6 : t->precision, ' ');
        break;
    case SQL_T_INTERVAL_YM:
    case SQL_T_INTERVAL_DT: sl_format_interval(out, t, v); break;
    default: sl_strbuf_puts(out, "?"); break;
    }
}

void sl_row_format(sl_strbuf *out, const uint8_t *r, const sql_type *row_type, int32_t ltz_offset)
{
    sl_strbuf_puts(out, sl_row_kind_str(sl_row_get_kind(r)));
    sl_strbuf_putc(out, '[');
    for (int i = 0; i < row_type->nfields; i++) {
        if (i) sl_strbuf_puts(out, ", ");
        sl_row_format_field(out, r, i, row_type->field_types[i], ltz_offset);
    }
    sl_strbuf_putc(out, ']');
}
