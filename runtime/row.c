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
    case SQL_T_MAP:
        return t->elem && t->value && sl_phys_of(t->elem) != SL_PHYS_UNSUPPORTED && sl_phys_of(t->value) != SL_PHYS_UNSUPPORTED &&
                       t->elem->id != SQL_T_MAP && t->value->id != SQL_T_MAP
                   ? SL_PHYS_BYTES
                   : SL_PHYS_UNSUPPORTED;
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

/* ---- MAP values ---------------------------------------------------------------------------------- */

static bool elem_read(const uint8_t **pp, const uint8_t *end, sl_phys ph, sl_map_elem *e)
{
    const uint8_t *p = *pp;
    if (p >= end) return false;
    memset(e, 0, sizeof *e);
    e->null = *p++ == 0;
    if (!e->null) {
        if (ph == SL_PHYS_BYTES) {
            if (end - p < 4) return false;
            memcpy(&e->n, p, 4);
            p += 4;
            if ((uint64_t)(end - p) < e->n) return false;
            e->p = (const char *)p;
            p += e->n;
        } else {
            if (end - p < 8) return false;
            if (ph == SL_PHYS_F64) memcpy(&e->d, p, 8);
            else memcpy(&e->i, p, 8);
            p += 8;
        }
    }
    *pp = p;
    return true;
}

bool sl_map_iter_init(sl_map_iter *it, const char *buf, uint32_t len, sl_phys kp, sl_phys vp, uint32_t *count)
{
    memset(it, 0, sizeof *it);
    if (len < 4) return false;
    memcpy(&it->left, buf, 4);
    it->p = (const uint8_t *)buf + 4;
    it->end = (const uint8_t *)buf + len;
    it->kp = kp;
    it->vp = vp;
    if (it->left > len / 2) return false; /* every entry takes 2 bytes at least */
    if (count) *count = it->left;
    return true;
}

bool sl_map_next(sl_map_iter *it, sl_map_elem *k, sl_map_elem *v)
{
    if (!it->left) return false;
    if (!elem_read(&it->p, it->end, it->kp, k) || !elem_read(&it->p, it->end, it->vp, v)) {
        it->left = 0;
        return false;
    }
    it->left--;
    return true;
}

bool sl_map_elem_eq(const sl_map_elem *a, const sl_map_elem *b, sl_phys ph)
{
    if (a->null || b->null) return a->null == b->null;
    switch (ph) {
    case SL_PHYS_I64: return a->i == b->i;
    case SL_PHYS_F64: return a->d == b->d;
    case SL_PHYS_BYTES: return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
    default: return false;
    }
}

void sl_mb_begin(sl_map_builder *b, sl_phys kp, sl_phys vp)
{
    b->n = 0;
    b->kp = kp;
    b->vp = vp;
}

void sl_mb_put(sl_map_builder *b, const sl_map_elem *k, const sl_map_elem *v)
{
    for (int i = 0; i < b->n; i++)
        if (sl_map_elem_eq(&b->ents[2 * i], k, b->kp)) {
            b->ents[2 * i + 1] = *v; /* a repeated key: the last value wins */
            return;
        }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->ents = sl_xrealloc(b->ents, sizeof *b->ents * 2 * (size_t)b->cap);
    }
    b->ents[2 * b->n] = *k;
    b->ents[2 * b->n + 1] = *v;
    b->n++;
}

static uint32_t elem_size(const sl_map_elem *e, sl_phys ph) { return 1u + (e->null ? 0u : ph == SL_PHYS_BYTES ? 4u + e->n : 8u); }

uint32_t sl_mb_size(const sl_map_builder *b)
{
    uint32_t n = 4;
    for (int i = 0; i < b->n; i++) n += elem_size(&b->ents[2 * i], b->kp) + elem_size(&b->ents[2 * i + 1], b->vp);
    return n;
}

static char *elem_write(char *d, const sl_map_elem *e, sl_phys ph)
{
    *d++ = e->null ? 0 : 1;
    if (e->null) return d;
    if (ph == SL_PHYS_BYTES) {
        memcpy(d, &e->n, 4);
        if (e->n) memcpy(d + 4, e->p, e->n);
        return d + 4 + e->n;
    }
    memcpy(d, ph == SL_PHYS_F64 ? (const void *)&e->d : (const void *)&e->i, 8);
    return d + 8;
}

void sl_mb_write(const sl_map_builder *b, char *dst)
{
    uint32_t n = (uint32_t)b->n;
    memcpy(dst, &n, 4);
    dst += 4;
    for (int i = 0; i < b->n; i++) {
        dst = elem_write(dst, &b->ents[2 * i], b->kp);
        dst = elem_write(dst, &b->ents[2 * i + 1], b->vp);
    }
}

void sl_mb_free(sl_map_builder *b)
{
    free(b->ents);
    memset(b, 0, sizeof *b);
}

/* ---- text forms -------------------------------------------------------------------------------- */

void sl_format_value(sl_strbuf *out, const sql_type *t, const sl_map_elem *e, int32_t ltz_offset)
{
    if (e->null) {
        sl_strbuf_puts(out, "null");
        return;
    }
    int64_t v = e->i;
    switch (t->id) {
    case SQL_T_BOOLEAN: sl_strbuf_puts(out, v ? "TRUE" : "FALSE"); break;
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT: sl_strbuf_printf(out, "%" PRId64, v); break;
    case SQL_T_DECIMAL: sl_format_decimal(out, v, t->scale); break;
    case SQL_T_FLOAT: sl_format_double(out, e->d, true); break;
    case SQL_T_DOUBLE: sl_format_double(out, e->d, false); break;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR: sl_strbuf_append(out, e->p, e->n); break;
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: {
        const unsigned char *s = (const unsigned char *)e->p;
        sl_strbuf_putc(out, 'x');
        sl_strbuf_putc(out, '\'');
        for (uint32_t k = 0; k < e->n; k++) sl_strbuf_printf(out, "%02x", s[k]);
        sl_strbuf_putc(out, '\'');
        break;
    }
    case SQL_T_DATE: sl_format_date(out, v); break;
    case SQL_T_TIME: sl_format_time(out, v, t->precision); break;
    case SQL_T_TIMESTAMP: sl_format_timestamp(out, v, t->precision < 0 ? 6 : t->precision, ' '); break;
    case SQL_T_TIMESTAMP_LTZ: sl_format_timestamp(out, v + (int64_t)ltz_offset * 1000000, t->precision < 0 ? 6 : t->precision, ' '); break;
    case SQL_T_INTERVAL_YM:
    case SQL_T_INTERVAL_DT: sl_format_interval(out, t, v); break;
    case SQL_T_MAP: {
        sl_map_iter it;
        sl_map_elem k, val;
        sl_strbuf_putc(out, '{');
        if (sl_map_iter_init(&it, e->p, e->n, sl_phys_of(t->elem), sl_phys_of(t->value), NULL))
            for (int n = 0; sl_map_next(&it, &k, &val); n++) {
                if (n) sl_strbuf_puts(out, ", ");
                sl_format_value(out, t->elem, &k, ltz_offset);
                sl_strbuf_putc(out, '=');
                sl_format_value(out, t->value, &val, ltz_offset);
            }
        sl_strbuf_putc(out, '}');
        break;
    }
    default: sl_strbuf_puts(out, "?"); break;
    }
}

sl_map_elem sl_row_elem(const uint8_t *r, int i, sl_phys ph)
{
    sl_map_elem e = {.null = sl_row_is_null(r, i)};
    if (!e.null) switch (ph) {
        case SL_PHYS_I64: e.i = sl_row_i64(r, i); break;
        case SL_PHYS_F64: e.d = sl_row_f64(r, i); break;
        case SL_PHYS_BYTES: e.p = sl_row_bytes(r, i, &e.n); break;
        default: e.null = true; break;
        }
    return e;
}

void sl_rw_elem(sl_row_writer *w, int i, const sl_map_elem *e, sl_phys ph)
{
    if (e->null) sl_rw_null(w, i);
    else if (ph == SL_PHYS_I64) sl_rw_i64(w, i, e->i);
    else if (ph == SL_PHYS_F64) sl_rw_f64(w, i, e->d);
    else if (ph == SL_PHYS_BYTES) sl_rw_bytes(w, i, e->p, e->n);
    else sl_rw_null(w, i);
}

void sl_row_format_field(sl_strbuf *out, const uint8_t *r, int i, const sql_type *t, int32_t ltz_offset)
{
    sl_map_elem e = sl_row_elem(r, i, sl_phys_of(t));
    sl_format_value(out, t, &e, ltz_offset);
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
