/* runtime/expr.c — see expr.h. Compilation turns the expression tree into instructions in
 * post-order; every instruction writes one register. */
#include "runtime/expr.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/mem.h"
#include "common/strbuf.h"
#include "runtime/expr_int.h"
#include "runtime/temporal.h"

/* ---- value classes ------------------------------------------------------------------------- */

vclass vc_of(const sql_type *t)
{
    switch (t->id) {
    case SQL_T_NULL: return VC_NULL;
    case SQL_T_BOOLEAN: return VC_BOOL;
    case SQL_T_TINYINT:
    case SQL_T_SMALLINT:
    case SQL_T_INT:
    case SQL_T_BIGINT: return VC_INT;
    case SQL_T_DECIMAL: return VC_DEC;
    case SQL_T_FLOAT:
    case SQL_T_DOUBLE: return VC_DBL;
    case SQL_T_CHAR:
    case SQL_T_VARCHAR: return VC_STR;
    case SQL_T_BINARY:
    case SQL_T_VARBINARY: return VC_BIN;
    case SQL_T_DATE: return VC_DATE;
    case SQL_T_TIME: return VC_TIME;
    case SQL_T_TIMESTAMP: return VC_TS;
    case SQL_T_TIMESTAMP_LTZ: return VC_LTZ;
    case SQL_T_INTERVAL_YM: return VC_IYM;
    case SQL_T_INTERVAL_DT: return VC_IDT;
    default: return VC_OTHER;
    }
}

const int64_t sl_pow10[19] = {1LL,
                              10LL,
                              100LL,
                              1000LL,
                              10000LL,
                              100000LL,
                              1000000LL,
                              10000000LL,
                              100000000LL,
                              1000000000LL,
                              10000000000LL,
                              100000000000LL,
                              1000000000000LL,
                              10000000000000LL,
                              100000000000000LL,
                              1000000000000000LL,
                              10000000000000000LL,
                              100000000000000000LL,
                              1000000000000000000LL};

/* Wraps an integer to the width of an integer type, as Java's narrowing does. */
int64_t wrap_int(int64_t v, sql_type_id id)
{
    switch (id) {
    case SQL_T_TINYINT: return (int8_t)(uint8_t)v;
    case SQL_T_SMALLINT: return (int16_t)(uint16_t)v;
    case SQL_T_INT: return (int32_t)(uint32_t)v;
    default: return v;
    }
}

/* Rescales an unscaled decimal from scale `from` to scale `to`, rounding half up (away from
 * zero), as Java's BigDecimal.setScale(HALF_UP). */
__int128 dec_rescale(__int128 v, int from, int to)
{
    while (from < to) {
        v *= 10;
        from++;
    }
    if (from > to) {
        __int128 p = 1;
        for (int k = from; k > to; k--) p *= 10;
        __int128 q = v / p, r = v % p;
        if (r < 0) r = -r;
        if (2 * r >= p) q += v < 0 ? -1 : 1;
        v = q;
    }
    return v;
}

bool dec_fits(__int128 v, int precision)
{
    if (precision > 18) precision = 18;
    __int128 lim = sl_pow10[precision];
    return v < lim && v > -lim;
}

bool dec_from_double(double d, int scale, bool truncate, __int128 *out)
{
    if (d == 0) {
        *out = 0;
        return true;
    }
    /* the shortest digits that read back as d (Double.toString's): d = m * 10^e */
    char buf[40];
    int prec;
    for (prec = 2; prec < 17; prec++) { /* as sl_format_double: at least two digits */
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d) break;
    }
    if (prec == 17) snprintf(buf, sizeof buf, "%.16e", d);
    const char *p = buf;
    bool neg = *p == '-';
    if (neg) p++;
    __int128 m = 0;
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') m = m * 10 + (*p - '0'), nd++;
    int shift = atoi(p + 1) - (nd - 1) + scale; /* unscaled = m * 10^shift */
    if (shift >= 0) {
        if (nd + shift > 38) return false;
        for (int k = 0; k < shift; k++) m *= 10;
    } else if (-shift > nd)
        m = 0; /* below half a unit of the scale */
    else {
        __int128 p10 = sl_pow10[-shift], q = m / p10, r = m % p10;
        if (!truncate && 2 * r >= p10) q++;
        m = q;
    }
    *out = neg ? -m : m;
    return true;
}

/* ---- strings -------------------------------------------------------------------------------- */

char *scratch_alloc(sl_expr *e, size_t n) { return sl_arena_alloc(e->scratch, n ? n : 1); }

static void set_str(sl_val *v, const char *p, size_t n)
{
    v->null = false;
    v->s.p = p;
    v->s.n = (uint32_t)n;
}

/* ---- CAST ---------------------------------------------------------------------------------- */

static bool parse_int_text(const char *p, size_t n, int64_t *out)
{
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if (!n || n > 40) return false;
    char buf[48];
    memcpy(buf, p, n);
    buf[n] = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end || end == buf) return false;
    if ((v == LLONG_MAX || v == LLONG_MIN) && strlen(buf) > 18) {
        /* strtoll saturates: check by reprinting */
        char back[48];
        snprintf(back, sizeof back, "%lld", v);
        if (strcmp(back, buf[0] == '+' ? buf + 1 : buf) != 0) return false;
    }
    *out = v;
    return true;
}

/* CAST(string AS integer type), as Flink's BinaryStringDataUtil.toLong: surrounding whitespace and
 * a sign are allowed and a fractional part is truncated ('1.9' -> 1); anything else, or a value
 * outside BIGINT, is malformed. */
static bool parse_int_cast(const char *p, size_t n, int64_t *out)
{
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    size_t i = 0, digits = 0;
    bool neg = false;
    if (i < n && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
    uint64_t v = 0, limit = (uint64_t)INT64_MAX + (neg ? 1 : 0);
    for (; i < n && isdigit((unsigned char)p[i]); i++, digits++) {
        if (v > UINT64_C(922337203685477580)) return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > limit) return false;
    }
    if (i < n && p[i] == '.')
        for (i++; i < n && isdigit((unsigned char)p[i]); i++) digits++;
    if (i != n || digits == 0) return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool parse_dec_text(const char *p, size_t n, int scale, __int128 *out)
{
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if (!n) return false;
    bool neg = false;
    size_t i = 0;
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        i++;
    }
    __int128 v = 0;
    int frac = -1, digits = 0;
    int exp10 = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9') {
            if (digits < 36) {
                v = v * 10 + (c - '0');
                if (frac >= 0) frac++;
                if (v) digits++;
            } else if (frac < 0)
                exp10++;
        } else if (c == '.' && frac < 0)
            frac = 0;
        else if (c == 'e' || c == 'E') {
            int64_t ex;
            if (!parse_int_text(p + i + 1, n - i - 1, &ex) || ex > 40 || ex < -40) return false;
            exp10 += (int)ex;
            break;
        } else
            return false;
    }
    int s = (frac < 0 ? 0 : frac) - exp10;
    if (s < -36) return false;
    *out = dec_rescale(neg ? -v : v, s < 0 ? 0 : s, scale);
    if (s < 0)
        for (int k = 0; k < -s; k++) *out *= 10;
    return true;
}

static bool parse_bool_text(const char *p, size_t n, bool *out)
{
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    static const char *const t[] = {"t", "true", "y", "yes", "1"}, *const f[] = {"f", "false", "n", "no", "0"};
    for (int k = 0; k < 5; k++) {
        if (strlen(t[k]) == n && strncasecmp(p, t[k], n) == 0) return (*out = true);
        if (strlen(f[k]) == n && strncasecmp(p, f[k], n) == 0) return !(*out = false);
    }
    return false;
}

/* A map element as a value of its physical class, and back. */
static void val_of_elem(sl_val *v, const sl_map_elem *m, sl_phys ph)
{
    memset(v, 0, sizeof *v);
    v->null = m->null;
    if (m->null) return;
    if (ph == SL_PHYS_I64) v->i = m->i;
    else if (ph == SL_PHYS_F64) v->d = m->d;
    else set_str(v, m->p, m->n);
}

static sl_map_elem elem_of_val(const sl_val *v, sl_phys ph)
{
    sl_map_elem m = {.null = v->null};
    if (v->null) return m;
    if (ph == SL_PHYS_I64) m.i = v->i;
    else if (ph == SL_PHYS_F64) m.d = v->d;
    else {
        m.p = v->s.p;
        m.n = v->s.n;
    }
    return m;
}

static void format_value(sl_strbuf *sb, const sl_val *in, const sql_type *from, int32_t ltz)
{
    /* reuse the row printer on a one-field view */
    switch (vc_of(from)) {
    case VC_BOOL: sl_strbuf_puts(sb, in->i ? "TRUE" : "FALSE"); break;
    case VC_INT: sl_strbuf_printf(sb, "%" PRId64, in->i); break;
    case VC_DEC: sl_format_decimal(sb, in->i, from->scale); break;
    case VC_DBL: sl_format_double(sb, in->d, from->id == SQL_T_FLOAT); break;
    case VC_STR:
    case VC_BIN: sl_strbuf_append(sb, in->s.p, in->s.n); break;
    case VC_DATE: sl_format_date(sb, in->i); break;
    case VC_TIME: sl_format_time(sb, in->i, from->precision); break;
    case VC_TS: sl_format_timestamp(sb, in->i, from->precision, ' '); break;
    case VC_LTZ: sl_format_timestamp(sb, in->i + (int64_t)ltz * 1000000, from->precision, ' '); break;
    case VC_IYM:
    case VC_IDT: sl_format_interval(sb, from, in->i); break;
    default:
        if (from->id == SQL_T_MAP) { /* Flink's MapToStringCastRule: {k1=v1, k2=v2}, elements as CAST to STRING */
            sl_map_iter it;
            sl_map_elem k, v;
            sl_phys kp = sl_phys_of(from->elem), vp = sl_phys_of(from->value);
            sl_strbuf_putc(sb, '{');
            if (sl_map_iter_init(&it, in->s.p, in->s.n, kp, vp, NULL))
                for (int n = 0; sl_map_next(&it, &k, &v); n++) {
                    sl_val kv, vv;
                    val_of_elem(&kv, &k, kp);
                    val_of_elem(&vv, &v, vp);
                    if (n) sl_strbuf_puts(sb, ", ");
                    if (kv.null) sl_strbuf_puts(sb, "null");
                    else format_value(sb, &kv, from->elem, ltz);
                    sl_strbuf_putc(sb, '=');
                    if (vv.null) sl_strbuf_puts(sb, "null");
                    else format_value(sb, &vv, from->value, ltz);
                }
            sl_strbuf_putc(sb, '}');
        }
        break;
    }
}

static int64_t truncate_ts(int64_t micros, int precision)
{
    if (precision >= 6 || precision < 0) return micros;
    int64_t unit = sl_pow10[6 - precision];
    return sl_floor_div(micros, unit) * unit;
}

bool sl_cast_value(const sl_val *in, const sql_type *from, const sql_type *to, sl_arena *scratch, int32_t ltz, sl_val *out,
                   char *msg, size_t msglen)
{
    if (in->null || from->id == SQL_T_NULL) {
        out->null = true;
        return true;
    }
    vclass f = vc_of(from), t = vc_of(to);
    out->null = false;
    if (from->id == SQL_T_MAP && to->id == SQL_T_MAP) {
        if (sql_type_equals(from, to, true)) {
            *out = *in;
            return true;
        }
        /* element by element (MAP<STRING, STRING> -> MAP<STRING, BYTES> ...), in scratch */
        sl_map_iter it;
        uint32_t count;
        sl_phys fk = sl_phys_of(from->elem), fv = sl_phys_of(from->value), tk = sl_phys_of(to->elem), tv = sl_phys_of(to->value);
        if (!scratch || !sl_map_iter_init(&it, in->s.p, in->s.n, fk, fv, &count)) {
            snprintf(msg, msglen, "malformed MAP value");
            return false;
        }
        sl_map_builder b = {.ents = (sl_map_elem *)sl_arena_alloc(scratch, sizeof(sl_map_elem) * 2 * (count ? count : 1)),
                            .cap = (int)(count ? count : 1)};
        sl_mb_begin(&b, tk, tv);
        sl_map_elem k, v;
        while (sl_map_next(&it, &k, &v)) {
            sl_val kin, vin, kout, vout;
            val_of_elem(&kin, &k, fk);
            val_of_elem(&vin, &v, fv);
            if (!sl_cast_value(&kin, from->elem, to->elem, scratch, ltz, &kout, msg, msglen) ||
                !sl_cast_value(&vin, from->value, to->value, scratch, ltz, &vout, msg, msglen))
                return false;
            sl_map_elem ko = elem_of_val(&kout, tk), vo = elem_of_val(&vout, tv);
            sl_mb_put(&b, &ko, &vo); /* never grows: at most count entries */
        }
        uint32_t n = sl_mb_size(&b);
        char *d = sl_arena_alloc(scratch, n);
        sl_mb_write(&b, d);
        set_str(out, d, n);
        return true;
    }
    switch (t) {
    case VC_BOOL:
        if (f == VC_BOOL || f == VC_INT) out->i = in->i != 0;
        else if (f == VC_DEC) out->i = in->i != 0;
        else if (f == VC_DBL) out->i = in->d != 0;
        else if (f == VC_STR) {
            bool b;
            if (!parse_bool_text(in->s.p, in->s.n, &b)) goto bad_text;
            out->i = b;
        } else
            goto unsupported;
        return true;
    case VC_INT:
        if (f == VC_INT || f == VC_BOOL) out->i = wrap_int(in->i, to->id);
        else if (f == VC_DEC) out->i = wrap_int(in->i / sl_pow10[from->scale], to->id);
        else if (f == VC_DBL) {
            /* Java's narrowing: (long) d saturates at BIGINT's range; (int) d at INT's, and
             * (short) / (byte) d go through int, then wrap */
            double d = in->d;
            int64_t v;
            if (to->id == SQL_T_BIGINT)
                v = isnan(d) ? 0 : d >= 9.2233720368547758e18 ? INT64_MAX : d <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)d;
            else
                v = isnan(d) ? 0 : d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN : (int64_t)d;
            out->i = wrap_int(v, to->id);
        } else if (f == VC_STR) {
            int64_t v;
            if (!parse_int_cast(in->s.p, in->s.n, &v)) goto bad_text;
            if (wrap_int(v, to->id) != v) goto bad_text;
            out->i = v;
        } else if (f == VC_IYM || f == VC_IDT)
            out->i = wrap_int(in->i, to->id);
        else
            goto unsupported;
        return true;
    case VC_DEC: {
        __int128 v;
        if (f == VC_INT || f == VC_BOOL) v = dec_rescale(in->i, 0, to->scale);
        else if (f == VC_DEC) v = dec_rescale(in->i, from->scale, to->scale);
        else if (f == VC_DBL) {
            if (!isfinite(in->d)) goto bad_text;
            if (!dec_from_double(in->d, to->scale, false, &v)) {
                out->null = true;
                return true;
            }
        } else if (f == VC_STR) {
            if (!parse_dec_text(in->s.p, in->s.n, to->scale, &v)) goto bad_text;
        } else
            goto unsupported;
        if (!dec_fits(v, to->precision)) {
            out->null = true; /* Flink: a DECIMAL that does not fit its precision is NULL */
            return true;
        }
        out->i = (int64_t)v;
        return true;
    }
    case VC_DBL:
        if (f == VC_INT || f == VC_BOOL) out->d = (double)in->i;
        else if (f == VC_DEC) out->d = (double)in->i / (double)sl_pow10[from->scale];
        else if (f == VC_DBL) out->d = in->d;
        else if (f == VC_STR) {
            char buf[128];
            uint32_t n = in->s.n < sizeof buf - 1 ? in->s.n : sizeof buf - 1;
            memcpy(buf, in->s.p, n);
            buf[n] = 0;
            char *end;
            char *b = buf;
            while (isspace((unsigned char)*b)) b++;
            out->d = strtod(b, &end);
            while (isspace((unsigned char)*end)) end++;
            if (end == b || *end) {
                if (strcmp(b, "NaN") == 0) out->d = NAN;
                else if (strcmp(b, "Infinity") == 0) out->d = INFINITY;
                else if (strcmp(b, "-Infinity") == 0) out->d = -INFINITY;
                else goto bad_text;
            }
        } else
            goto unsupported;
        if (to->id == SQL_T_FLOAT) out->d = (float)out->d;
        return true;
    case VC_STR:
    case VC_BIN: {
        const char *p;
        size_t n;
        if (f == VC_STR || f == VC_BIN) {
            p = in->s.p;
            n = in->s.n;
        } else {
            sl_strbuf sb = SL_STRBUF_INIT;
            char local[96];
            format_value(&sb, in, from, ltz);
            n = sb.len;
            char *d = scratch ? sl_arena_alloc(scratch, n + 1) : local;
            memcpy(d, sb.buf ? sb.buf : "", n);
            sl_strbuf_free(&sb);
            if (!scratch) {
                snprintf(msg, msglen, "internal: no scratch memory for CAST");
                return false;
            }
            p = d;
        }
        /* CHAR(n)/VARCHAR(n): Flink truncates to the length (and pads CHAR) */
        if (to->precision > 0 && to->precision != SQL_MAX_LENGTH && n > (size_t)to->precision && t == VC_STR) {
            size_t chars = 0, k = 0;
            while (k < n && chars < (size_t)to->precision) {
                k++;
                while (k < n && ((unsigned char)p[k] & 0xC0) == 0x80) k++;
                chars++;
            }
            n = k;
        }
        /* BINARY(n)/VARBINARY(n): truncated to n bytes */
        if (to->precision > 0 && to->precision != SQL_MAX_LENGTH && n > (size_t)to->precision && t == VC_BIN) n = (size_t)to->precision;
        set_str(out, p, n);
        return true;
    }
    case VC_DATE:
        if (f == VC_DATE) out->i = in->i;
        else if (f == VC_TS) out->i = sl_floor_div(in->i, SL_MICROS_PER_DAY);
        else if (f == VC_LTZ) out->i = sl_floor_div(in->i + (int64_t)ltz * 1000000, SL_MICROS_PER_DAY);
        else if (f == VC_STR) {
            int64_t d;
            if (!sl_parse_date(in->s.p, in->s.n, &d)) {
                int64_t us;
                bool z;
                if (!sl_parse_timestamp(in->s.p, in->s.n, &us, &z)) goto bad_text;
                d = sl_floor_div(us, SL_MICROS_PER_DAY);
            }
            out->i = d;
        } else
            goto unsupported;
        return true;
    case VC_TIME:
        if (f == VC_TIME) out->i = in->i;
        else if (f == VC_TS) out->i = sl_floor_mod(in->i, SL_MICROS_PER_DAY) / 1000;
        else if (f == VC_LTZ) out->i = sl_floor_mod(in->i + (int64_t)ltz * 1000000, SL_MICROS_PER_DAY) / 1000;
        else if (f == VC_STR) {
            int64_t ms;
            if (!sl_parse_time(in->s.p, in->s.n, &ms)) goto bad_text;
            out->i = ms;
        } else
            goto unsupported;
        return true;
    case VC_TS:
    case VC_LTZ: {
        int64_t us;
        if (f == VC_TS || f == VC_LTZ) {
            us = in->i;
            if (f == VC_TS && t == VC_LTZ) us -= (int64_t)ltz * 1000000;
            if (f == VC_LTZ && t == VC_TS) us += (int64_t)ltz * 1000000;
        } else if (f == VC_DATE) {
            us = in->i * SL_MICROS_PER_DAY;
            if (t == VC_LTZ) us -= (int64_t)ltz * 1000000;
        } else if (f == VC_STR) {
            bool zone;
            if (!sl_parse_timestamp(in->s.p, in->s.n, &us, &zone)) goto bad_text;
            if (!zone && t == VC_LTZ) us -= (int64_t)ltz * 1000000;
            if (zone && t == VC_TS) us += (int64_t)ltz * 1000000;
        } else if (f == VC_INT && t == VC_LTZ)
            us = in->i * 1000000; /* seconds since the epoch */
        else
            goto unsupported;
        out->i = truncate_ts(us, to->precision);
        return true;
    }
    case VC_IYM:
    case VC_IDT:
        if (f == t || f == VC_INT) out->i = in->i;
        else
            goto unsupported;
        return true;
    default: goto unsupported;
    }
bad_text: {
    sl_strbuf sb = SL_STRBUF_INIT;
    format_value(&sb, in, from, ltz);
    sl_strbuf sbt = SL_STRBUF_INIT;
    sql_type_print(&sbt, to);
    snprintf(msg, msglen, "cannot cast '%.200s' to %s", sl_strbuf_cstr(&sb), sl_strbuf_cstr(&sbt));
    sl_strbuf_free(&sb);
    sl_strbuf_free(&sbt);
    return false;
}
unsupported: {
    sl_strbuf a = SL_STRBUF_INIT, b = SL_STRBUF_INIT;
    sql_type_print(&a, from);
    sql_type_print(&b, to);
    snprintf(msg, msglen, "casting %s to %s is not supported", sl_strbuf_cstr(&a), sl_strbuf_cstr(&b));
    sl_strbuf_free(&a);
    sl_strbuf_free(&b);
    return false;
}
}

bool sl_cast_supported(const sql_type *from, const sql_type *to)
{
    vclass f = vc_of(from), t = vc_of(to);
    if (from->id == SQL_T_MAP && to->id == SQL_T_MAP) /* element by element */
        return sl_phys_of(from) == SL_PHYS_BYTES && sl_phys_of(to) == SL_PHYS_BYTES && sl_cast_supported(from->elem, to->elem) &&
               sl_cast_supported(from->value, to->value);
    if (from->id == SQL_T_MAP) return t == VC_STR && sl_phys_of(from) == SL_PHYS_BYTES; /* Flink: {k1=v1, k2=v2} */
    if (f == VC_OTHER || t == VC_OTHER) return false;
    if (f == VC_NULL || f == t) return true;
    switch (t) {
    case VC_BOOL: return f == VC_INT || f == VC_DEC || f == VC_DBL || f == VC_STR;
    case VC_INT: return f == VC_BOOL || f == VC_DEC || f == VC_DBL || f == VC_STR || f == VC_IYM || f == VC_IDT;
    case VC_DEC:
    case VC_DBL: return f == VC_INT || f == VC_BOOL || f == VC_DEC || f == VC_DBL || f == VC_STR;
    case VC_STR:
    case VC_BIN: return true;
    case VC_DATE:
    case VC_TIME: return f == VC_TS || f == VC_LTZ || f == VC_STR || f == VC_DATE;
    case VC_TS: return f == VC_LTZ || f == VC_DATE || f == VC_STR;
    case VC_LTZ: return f == VC_TS || f == VC_DATE || f == VC_STR || f == VC_INT;
    case VC_IYM:
    case VC_IDT: return f == VC_INT;
    default: return false;
    }
}

/* ---- writing values into rows ---------------------------------------------------------------- */

void sl_val_write(sl_row_writer *w, int i, const sl_val *v, const sql_type *t)
{
    if (v->null) {
        sl_rw_null(w, i);
        return;
    }
    switch (sl_phys_of(t)) {
    case SL_PHYS_I64: sl_rw_i64(w, i, v->i); break;
    case SL_PHYS_F64: sl_rw_f64(w, i, v->d); break;
    case SL_PHYS_BYTES: sl_rw_bytes(w, i, v->s.p, v->s.n); break;
    default: sl_rw_null(w, i); break;
    }
}

/* ---- the program ---------------------------------------------------------------------------- */

int emit(sl_expr *e, op_fn fn, int dst, const sql_type *t, int nargs, const int *args, bool strict)
{
    if (e->ncode == e->capcode) {
        e->capcode = e->capcode ? e->capcode * 2 : 16;
        e->code = sl_xrealloc(e->code, sizeof(ins) * (size_t)e->capcode);
    }
    ins *x = &e->code[e->ncode];
    memset(x, 0, sizeof *x);
    x->fn = fn;
    x->dst = dst;
    x->t = t;
    x->nargs = nargs;
    x->args = sl_arena_alloc(e->types, sizeof(int) * (size_t)(nargs ? nargs : 1));
    for (int k = 0; k < nargs; k++) {
        x->args[k] = args[k];
        if (k < 4) x->at[k] = e->rtype[args[k]];
    }
    x->strict = strict;
    return e->ncode++;
}

int new_reg(sl_expr *e, const sql_type *t)
{
    if (e->nreg == e->capreg) {
        e->capreg = e->capreg ? e->capreg * 2 : 16;
        e->reg = sl_xrealloc(e->reg, sizeof(sl_val) * (size_t)e->capreg);
        e->rtype = sl_xrealloc(e->rtype, sizeof(sql_type *) * (size_t)e->capreg);
        e->rconst = sl_xrealloc(e->rconst, sizeof(bool) * (size_t)e->capreg);
    }
    memset(&e->reg[e->nreg], 0, sizeof(sl_val));
    e->reg[e->nreg].null = true;
    e->rtype[e->nreg] = t;
    e->rconst[e->nreg] = false;
    return e->nreg++;
}

/* ---- instructions ---------------------------------------------------------------------------- */

static int op_load_i64(sl_expr *e, const ins *x)
{
    sl_val *d = R(x->dst);
    if (!e->row || sl_row_is_null(e->row, (int)x->k)) d->null = true;
    else {
        d->null = false;
        d->i = sl_row_i64(e->row, (int)x->k);
    }
    return 0;
}

static int op_load_f64(sl_expr *e, const ins *x)
{
    sl_val *d = R(x->dst);
    if (!e->row || sl_row_is_null(e->row, (int)x->k)) d->null = true;
    else {
        d->null = false;
        d->d = sl_row_f64(e->row, (int)x->k);
    }
    return 0;
}

static int op_load_bytes(sl_expr *e, const ins *x)
{
    sl_val *d = R(x->dst);
    if (!e->row || sl_row_is_null(e->row, (int)x->k)) d->null = true;
    else {
        uint32_t n;
        const char *p = sl_row_bytes(e->row, (int)x->k, &n);
        set_str(d, p, n);
    }
    return 0;
}

int fail(sl_expr *e, const ins *x, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sl_error_set(e->err, SL_ERR_RUNTIME, "%s", buf);
    if (x->name) sl_error_detail(e->err, "in %s", x->name);
    return -1;
}

static int op_cast(sl_expr *e, const ins *x)
{
    char msg[400];
    sl_val *d = R(x->dst);
    if (!sl_cast_value(R(x->args[0]), x->at[0], x->t, e->scratch, e->env.ltz_offset, d, msg, sizeof msg)) {
        if (x->k) { /* TRY_CAST */
            d->null = true;
            return 0;
        }
        return fail(e, x, "CAST failed: %s", msg);
    }
    /* CAST to CHAR(n) also pads with spaces, to BINARY(n) with zero bytes (Flink's
     * CharVarCharTrimPadCastRule and BinaryToBinaryCastRule; sl_cast_value only truncates, as
     * sinks and formats do not pad) */
    const sql_type *t = x->t;
    if ((t->id == SQL_T_CHAR || t->id == SQL_T_BINARY) && t->precision > 0 && t->precision != SQL_MAX_LENGTH && !d->null) {
        size_t len = d->s.n;
        if (t->id == SQL_T_CHAR) {
            len = 0;
            for (uint32_t k = 0; k < d->s.n; k++) len += ((unsigned char)d->s.p[k] & 0xC0) != 0x80;
        }
        if (len < (size_t)t->precision) {
            size_t pad = (size_t)t->precision - len;
            char *p = scratch_alloc(e, d->s.n + pad);
            if (d->s.n) memcpy(p, d->s.p, d->s.n);
            memset(p + d->s.n, t->id == SQL_T_CHAR ? ' ' : 0, pad);
            set_str(d, p, d->s.n + pad);
        }
    }
    return 0;
}

int coerce(sl_expr *e, int reg, const sql_type *to)
{
    const sql_type *from = e->rtype[reg];
    if (sql_type_equals(from, to, true)) return reg;
    vclass f = vc_of(from), t = vc_of(to);
    bool maps = from->id == SQL_T_MAP || to->id == SQL_T_MAP; /* MAPs of other types: a CAST */
    if (!maps && f == t && f != VC_DEC && f != VC_INT && f != VC_TS && f != VC_LTZ && f != VC_TIME) return reg;
    if (f == t && f == VC_INT && from->id == to->id) return reg;
    if (f == VC_NULL) return reg;
    int d = new_reg(e, to);
    int args[1] = {reg};
    int pc = emit(e, op_cast, d, to, 1, args, false);
    e->code[pc].name = "implicit CAST";
    return d;
}

/* arithmetic ------------------------------------------------------------------------------------ */

static int op_int_arith(sl_expr *e, const ins *x)
{
    int64_t a = R(x->args[0])->i, b = R(x->args[1])->i, r;
    switch (x->k) {
    case '+': r = (int64_t)((uint64_t)a + (uint64_t)b); break;
    case '-': r = (int64_t)((uint64_t)a - (uint64_t)b); break;
    case '*': r = (int64_t)((uint64_t)a * (uint64_t)b); break;
    case '/':
        if (b == 0) return fail(e, x, "Division by zero: %" PRId64 " / 0", a);
        r = (b == -1) ? (int64_t)(0 - (uint64_t)a) : a / b;
        break;
    default:
        if (b == 0) return fail(e, x, "Division by zero: MOD(%" PRId64 ", 0)", a);
        r = (b == -1) ? 0 : a % b;
        break;
    }
    R(x->dst)->null = false;
    R(x->dst)->i = wrap_int(r, x->t->id);
    return 0;
}

static int op_dbl_arith(sl_expr *e, const ins *x)
{
    double a = R(x->args[0])->d, b = R(x->args[1])->d, r;
    switch (x->k) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/': r = a / b; break;
    default: r = fmod(a, b); break;
    }
    if (x->t->id == SQL_T_FLOAT) r = (float)r;
    R(x->dst)->null = false;
    R(x->dst)->d = r;
    return 0;
}

static int op_dec_arith(sl_expr *e, const ins *x)
{
    int sa = x->at[0]->scale, sb = x->at[1]->scale, st = x->t->scale;
    __int128 a = R(x->args[0])->i, b = R(x->args[1])->i, r;
    switch (x->k) {
    case '+':
    case '-': {
        int s = sa > sb ? sa : sb;
        a = dec_rescale(a, sa, s);
        b = dec_rescale(b, sb, s);
        r = dec_rescale(x->k == '+' ? a + b : a - b, s, st);
        break;
    }
    case '*': r = dec_rescale(a * b, sa + sb, st); break;
    case '/': {
        if (b == 0) return fail(e, x, "Division by zero: DECIMAL division by 0");
        /* r = a / b at scale st: (a * 10^(st - sa + sb)) / b, rounded half up */
        int shift = st - sa + sb + 1; /* one extra digit for rounding */
        long double q;
        if (shift >= 0 && shift <= 18) {
            __int128 num = a * sl_pow10[shift];
            r = num / b;
        } else {
            q = (long double)a / (long double)b * powl(10.0L, shift);
            r = (__int128)q;
        }
        r = dec_rescale(r, st + 1, st);
        break;
    }
    default: {
        if (b == 0) return fail(e, x, "Division by zero: MOD of DECIMAL by 0");
        int s = sa > sb ? sa : sb;
        a = dec_rescale(a, sa, s);
        b = dec_rescale(b, sb, s);
        r = dec_rescale(a % b, s, st);
        break;
    }
    }
    if (!dec_fits(r, x->t->precision)) {
        R(x->dst)->null = true;
        return 0;
    }
    R(x->dst)->null = false;
    R(x->dst)->i = (int64_t)r;
    return 0;
}

static int64_t add_months_days(int64_t days, int64_t months)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    int64_t ny = sl_floor_div(total, 12);
    unsigned nm = (unsigned)(sl_floor_mod(total, 12) + 1);
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned last = mdays[nm - 1] + (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0));
    return sl_days_from_civil(ny, nm, d > last ? last : d);
}

/* temporal +/- interval: k = '+' or '-'; args[0] temporal, args[1] interval (or swapped: flag) */
static int op_temporal_arith(sl_expr *e, const ins *x)
{
    int ti = x->flag ? 1 : 0;
    const sql_type *tt = x->at[ti], *it = x->at[1 - ti];
    int64_t t = R(x->args[ti])->i, iv = R(x->args[1 - ti])->i;
    if (x->k == '-') iv = -iv;
    int64_t r;
    vclass c = vc_of(tt);
    if (it->id == SQL_T_INTERVAL_YM) {
        if (c == VC_DATE) r = add_months_days(t, iv);
        else if (c == VC_TS || c == VC_LTZ) {
            int64_t days = sl_floor_div(t, SL_MICROS_PER_DAY);
            r = add_months_days(days, iv) * SL_MICROS_PER_DAY + (t - days * SL_MICROS_PER_DAY);
        } else
            r = t;
    } else {
        if (c == VC_DATE) r = t + sl_floor_div(iv, 86400000);
        else if (c == VC_TIME) r = sl_floor_mod(t + iv, 86400000);
        else r = t + iv * 1000;
    }
    R(x->dst)->null = false;
    R(x->dst)->i = r;
    return 0;
}

static int op_interval_mul(sl_expr *e, const ins *x)
{
    /* interval * number or number * interval; k: '*' or '/' */
    int ii = vc_of(x->at[0]) == VC_IYM || vc_of(x->at[0]) == VC_IDT ? 0 : 1;
    const sl_val *n = R(x->args[1 - ii]);
    double f = vc_of(x->at[1 - ii]) == VC_DBL ? n->d : vc_of(x->at[1 - ii]) == VC_DEC ? (double)n->i / (double)sl_pow10[x->at[1 - ii]->scale] : (double)n->i;
    double v = (double)R(x->args[ii])->i;
    if (x->k == '/') {
        if (f == 0) return fail(e, x, "Division by zero: interval / 0");
        v /= f;
    } else
        v *= f;
    R(x->dst)->null = false;
    R(x->dst)->i = (int64_t)llround(v);
    return 0;
}

static int op_interval_arith(sl_expr *e, const ins *x)
{
    int64_t a = R(x->args[0])->i, b = R(x->args[1])->i;
    R(x->dst)->null = false;
    R(x->dst)->i = x->k == '+' ? a + b : a - b;
    return 0;
}

static int op_neg(sl_expr *e, const ins *x)
{
    const sl_val *a = R(x->args[0]);
    sl_val *d = R(x->dst);
    d->null = false;
    if (vc_of(x->t) == VC_DBL) d->d = -a->d;
    else d->i = wrap_int((int64_t)(0 - (uint64_t)a->i), x->t->id);
    return 0;
}

static int op_move(sl_expr *e, const ins *x)
{
    *R(x->dst) = *R(x->args[0]);
    return 0;
}

/* comparison ------------------------------------------------------------------------------------ */

int cmp_vals(const sl_val *a, const sl_val *b, vclass c)
{
    switch (c) {
    case VC_DBL: return a->d < b->d ? -1 : a->d > b->d ? 1 : a->d == b->d ? 0 : isnan(a->d) ? (isnan(b->d) ? 0 : 1) : -1;
    case VC_STR:
    case VC_BIN: {
        uint32_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
        int r = n ? memcmp(a->s.p, b->s.p, n) : 0;
        if (r) return r < 0 ? -1 : 1;
        return a->s.n < b->s.n ? -1 : a->s.n > b->s.n ? 1 : 0;
    }
    default: return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
    }
}

bool cmp_test(const sl_val *a, const sl_val *b, vclass vc, int op)
{
    if (vc == VC_DBL) {
        double p = a->d, q = b->d;
        switch (op) {
        case 0: return p == q;
        case 1: return p != q;
        case 2: return p < q;
        case 3: return p <= q;
        case 4: return p > q;
        default: return p >= q;
        }
    }
    int c = cmp_vals(a, b, vc);
    switch (op) {
    case 0: return c == 0;  /* = */
    case 1: return c != 0;  /* <> */
    case 2: return c < 0;   /* < */
    case 3: return c <= 0;  /* <= */
    case 4: return c > 0;   /* > */
    default: return c >= 0; /* >= */
    }
}

static int op_cmp(sl_expr *e, const ins *x)
{
    R(x->dst)->null = false;
    R(x->dst)->i = cmp_test(R(x->args[0]), R(x->args[1]), (vclass)x->flag, (int)x->k);
    return 0;
}

/* boolean logic ---------------------------------------------------------------------------------- */

/* AND/OR short-circuit: after the left operand, op_and_check jumps to the end when the result is
 * decided (FALSE for AND, TRUE for OR); op_and_finish combines with three-valued logic. */
static int op_and_check(sl_expr *e, const ins *x)
{
    const sl_val *a = R(x->args[0]);
    bool decided = !a->null && (x->k ? a->i != 0 : a->i == 0);
    if (decided) {
        *R(x->dst) = *a;
        return x->jmp;
    }
    return 0;
}

static int op_and_finish(sl_expr *e, const ins *x)
{
    const sl_val *a = R(x->args[0]), *b = R(x->args[1]);
    sl_val *d = R(x->dst);
    if (x->k == 0) { /* AND: a is TRUE or NULL here */
        if (!b->null && !b->i) d->null = false, d->i = 0;
        else if (a->null || b->null) d->null = true;
        else d->null = false, d->i = 1;
    } else { /* OR: a is FALSE or NULL */
        if (!b->null && b->i) d->null = false, d->i = 1;
        else if (a->null || b->null) d->null = true;
        else d->null = false, d->i = 0;
    }
    return 0;
}

static int op_not(sl_expr *e, const ins *x)
{
    R(x->dst)->null = false;
    R(x->dst)->i = !R(x->args[0])->i;
    return 0;
}

/* IS [NOT] NULL / TRUE / FALSE / UNKNOWN; k: 0 NULL, 1 TRUE, 2 FALSE; flag = NOT */
static int op_is(sl_expr *e, const ins *x)
{
    const sl_val *a = R(x->args[0]);
    bool r = x->k == 0 ? a->null : x->k == 1 ? (!a->null && a->i) : (!a->null && !a->i);
    R(x->dst)->null = false;
    R(x->dst)->i = x->flag ? !r : r;
    return 0;
}

static int op_jump_if_not_true(sl_expr *e, const ins *x)
{
    const sl_val *a = R(x->args[0]);
    return (a->null || !a->i) ? x->jmp : 0;
}

static int op_jump_if_not_null(sl_expr *e, const ins *x)
{
    if (!R(x->args[0])->null) {
        *R(x->dst) = *R(x->args[0]);
        return x->jmp;
    }
    return 0;
}

static int op_jump(sl_expr *e, const ins *x)
{
    (void)e;
    return x->jmp;
}

static int op_set_null(sl_expr *e, const ins *x)
{
    R(x->dst)->null = true;
    return 0;
}

/* IN: args[0] value, rest list (already coerced); flag NOT */
static int op_in(sl_expr *e, const ins *x)
{
    const sl_val *v = R(x->args[0]);
    sl_val *d = R(x->dst);
    if (v->null) {
        d->null = true;
        return 0;
    }
    bool saw_null = false;
    for (int k = 1; k < x->nargs; k++) {
        const sl_val *w = R(x->args[k]);
        if (w->null) {
            saw_null = true;
            continue;
        }
        if (cmp_test(v, w, (vclass)x->k, 0)) {
            d->null = false;
            d->i = !x->flag;
            return 0;
        }
    }
    if (saw_null) d->null = true;
    else d->null = false, d->i = x->flag;
    return 0;
}

/* BETWEEN a AND b (ASYMMETRIC): flag NOT */
static int op_between(sl_expr *e, const ins *x)
{
    vclass c = (vclass)x->k;
    const sl_val *v = R(x->args[0]), *lo = R(x->args[1]), *hi = R(x->args[2]);
    sl_val *d = R(x->dst);
    /* three-valued: v >= lo AND v <= hi */
    int r1 = v->null || lo->null ? -1 : cmp_test(v, lo, c, 5);
    int r2 = v->null || hi->null ? -1 : cmp_test(v, hi, c, 3);
    int r = (r1 == 0 || r2 == 0) ? 0 : (r1 < 0 || r2 < 0) ? -1 : 1;
    if (r < 0) d->null = true;
    else d->null = false, d->i = x->flag ? !r : r;
    return 0;
}

/* ---- compiling -------------------------------------------------------------------------------- */

static const sql_type *expr_type_of(sl_expr *e, const json_t *j)
{
    const char *ts = json_string_value(json_object_get(j, "type"));
    return ts ? sql_type_parse(e->types, ts) : NULL;
}

int compile_error(sl_expr *e, sl_status code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sl_error_set(e->err, code, "%s", buf);
    return -1;
}

static int64_t interval_value(sl_expr *e, const json_t *lit, const sql_type *t, bool *ok)
{
    const char *q = json_string_value(json_object_get(lit, "qualifier"));
    const char *v = json_string_value(json_object_get(lit, "value"));
    bool neg = json_is_true(json_object_get(lit, "negative"));
    *ok = false;
    if (!q || !v) return 0;
    static const char *const units[] = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"};
    int from = -1, to = -1;
    for (int k = 0; k < 6; k++) {
        if (strncmp(q, units[k], strlen(units[k])) == 0) from = k;
        const char *sp = strrchr(q, ' ');
        if (strcmp(sp ? sp + 1 : q, units[k]) == 0) to = k;
    }
    if (from < 0 || to < 0) return 0;
    const char *p = v;
    while (*p == ' ') p++;
    if (*p == '-') neg = !neg, p++;
    else if (*p == '+') p++;
    int64_t parts[6] = {0};
    int64_t frac_us = 0;
    for (int u = from; u <= to; u++) {
        if (!isdigit((unsigned char)*p)) return 0;
        int64_t n = 0;
        while (isdigit((unsigned char)*p)) n = n * 10 + (*p++ - '0');
        parts[u] = n;
        if (u == 5 && *p == '.') {
            p++;
            int digits = 0;
            while (isdigit((unsigned char)*p)) {
                if (digits < 6) frac_us = frac_us * 10 + (*p - '0');
                digits++;
                p++;
            }
            for (; digits < 6; digits++) frac_us *= 10;
        }
        if (u < to) {
            if (*p != '-' && *p != ' ' && *p != ':') return 0;
            p++;
        }
    }
    while (*p == ' ') p++;
    if (*p) return 0;
    int64_t r;
    if (t->id == SQL_T_INTERVAL_YM) r = parts[0] * 12 + parts[1];
    else r = (((parts[2] * 24 + parts[3]) * 60 + parts[4]) * 60 + parts[5]) * 1000 + frac_us / 1000;
    (void)e;
    *ok = true;
    return neg ? -r : r;
}

static int gen(sl_expr *e, const json_t *j);

static int gen_literal(sl_expr *e, const json_t *lit, const sql_type *t)
{
    int r = new_reg(e, t);
    e->rconst[r] = true;
    sl_val *v = &e->reg[r];
    v->null = true;
    if (json_is_null(lit) || t->id == SQL_T_NULL) return r;
    v->null = false;
    vclass c = vc_of(t);
    if (json_is_boolean(lit)) {
        v->i = json_is_true(lit);
        return r;
    }
    if (json_is_object(lit) && json_object_get(lit, "qualifier")) {
        bool ok;
        v->i = interval_value(e, lit, t, &ok);
        if (!ok) return compile_error(e, SL_ERR_INVALID, "Illegal interval literal '%s'", json_string_value(json_object_get(lit, "value")));
        return r;
    }
    const char *text = json_string_value(lit);
    if (json_is_object(lit)) /* {"value": text} or a symbol such as a time unit: {"symbol": "DAY"} */
        text = json_string_value(json_object_get(lit, json_object_get(lit, "symbol") ? "symbol" : "value"));
    if (!text) return compile_error(e, SL_ERR_INTERNAL, "malformed literal in the job graph");
    size_t n = strlen(text);
    sl_val in;
    in.null = false;
    in.s.p = sl_arena_strdup(e->types, text);
    in.s.n = (uint32_t)n;
    if (c == VC_STR || c == VC_BIN) {
        *v = in;
        return r;
    }
    if (c == VC_INT) {
        if (!parse_int_text(text, n, &v->i) || wrap_int(v->i, t->id) != v->i)
            return compile_error(e, SL_ERR_INVALID, "Numeric literal '%s' out of range", text);
        return r;
    }
    const sql_type *str = sql_type_make(e->types, SQL_T_VARCHAR, false, SQL_MAX_LENGTH, -1);
    char msg[300];
    if (!sl_cast_value(&in, str, t, e->types, e->env.ltz_offset, v, msg, sizeof msg))
        return compile_error(e, SL_ERR_INVALID, "Illegal literal: %s", msg);
    return r;
}

static int cmp_code(const char *op)
{
    static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
    for (int k = 0; k < 6; k++)
        if (strcmp(op, ops[k]) == 0) return k;
    return -1;
}

/* ---- MAP values ---------------------------------------------------------------------------------- */

static int op_map_item(sl_expr *e, const ins *x) /* m[k]: NULL when absent */
{
    const sql_type *mt = x->at[0];
    sl_phys kp = sl_phys_of(mt->elem), vp = sl_phys_of(mt->value);
    const sl_val *m = R(x->args[0]);
    sl_map_elem key = elem_of_val(R(x->args[1]), kp), k, v;
    sl_map_iter it;
    sl_val *d = R(x->dst);
    d->null = true;
    if (!sl_map_iter_init(&it, m->s.p, m->s.n, kp, vp, NULL)) return fail(e, x, "malformed MAP value");
    while (sl_map_next(&it, &k, &v))
        if (sl_map_elem_eq(&k, &key, kp)) {
            val_of_elem(d, &v, vp);
            break;
        }
    return 0;
}

static int op_map_cardinality(sl_expr *e, const ins *x)
{
    const sl_val *m = R(x->args[0]);
    sl_map_iter it;
    uint32_t n;
    if (!sl_map_iter_init(&it, m->s.p, m->s.n, SL_PHYS_BYTES, SL_PHYS_BYTES, &n)) return fail(e, x, "malformed MAP value");
    R(x->dst)->null = false;
    R(x->dst)->i = n;
    return 0;
}

static void builder_cleanup(void *data)
{
    sl_mb_free(data);
    free(data);
}

static int op_map_ctor(sl_expr *e, const ins *x) /* MAP[k1, v1, ...]: a repeated key keeps its last value */
{
    sl_map_builder *b = x->data;
    sl_phys kp = sl_phys_of(x->t->elem), vp = sl_phys_of(x->t->value);
    sl_mb_begin(b, kp, vp);
    for (int i = 0; i + 1 < x->nargs; i += 2) {
        sl_map_elem k = elem_of_val(R(x->args[i]), kp), v = elem_of_val(R(x->args[i + 1]), vp);
        sl_mb_put(b, &k, &v);
    }
    uint32_t n = sl_mb_size(b);
    char *d = scratch_alloc(e, n);
    sl_mb_write(b, d);
    set_str(R(x->dst), d, n);
    return 0;
}

/* a = b (k 0) or a <> b (k 1) on two MAPs of one type: the same entries, in any order */
static int op_map_eq(sl_expr *e, const ins *x)
{
    const sql_type *mt = x->at[0];
    sl_phys kp = sl_phys_of(mt->elem), vp = sl_phys_of(mt->value);
    const sl_val *a = R(x->args[0]), *b = R(x->args[1]);
    sl_map_iter ia, ib;
    uint32_t na, nb;
    if (!sl_map_iter_init(&ia, a->s.p, a->s.n, kp, vp, &na) || !sl_map_iter_init(&ib, b->s.p, b->s.n, kp, vp, &nb))
        return fail(e, x, "malformed MAP value");
    bool eq = na == nb;
    sl_map_elem ka, va, kb, vb;
    while (eq && sl_map_next(&ia, &ka, &va)) {
        bool found = false;
        sl_map_iter_init(&ib, b->s.p, b->s.n, kp, vp, NULL);
        while (!found && sl_map_next(&ib, &kb, &vb))
            if (sl_map_elem_eq(&ka, &kb, kp)) found = sl_map_elem_eq(&va, &vb, vp);
        eq = found;
    }
    R(x->dst)->null = false;
    R(x->dst)->i = x->k ? !eq : eq;
    return 0;
}

/* MAP element access, constructor, CARDINALITY and (in)equality; 0 = not a MAP operation. */
static int gen_map_call(sl_expr *e, const char *op, int *args, int n, int dst, const sql_type *t)
{
    const sql_type *a0 = n ? e->rtype[args[0]] : NULL;
    if (strcmp(op, "ITEM") == 0 && n == 2 && a0->id == SQL_T_MAP) {
        args[1] = coerce(e, args[1], a0->elem);
        emit(e, op_map_item, dst, t, 2, args, true);
        return 1;
    }
    if (strcasecmp(op, "CARDINALITY") == 0 && n == 1 && a0->id == SQL_T_MAP) {
        emit(e, op_map_cardinality, dst, t, 1, args, true);
        return 1;
    }
    if (strcmp(op, "MAP") == 0 && t->id == SQL_T_MAP) {
        for (int i = 0; i < n; i++) args[i] = coerce(e, args[i], i % 2 ? t->value : t->elem);
        int pc = emit(e, op_map_ctor, dst, t, n, args, false);
        e->code[pc].data = sl_xcalloc(1, sizeof(sl_map_builder));
        e->code[pc].cleanup = builder_cleanup;
        return 1;
    }
    if ((strcmp(op, "=") == 0 || strcmp(op, "<>") == 0) && n == 2 && (a0->id == SQL_T_MAP || e->rtype[args[1]]->id == SQL_T_MAP)) {
        const sql_type *ct = sql_type_common(e->types, a0, e->rtype[args[1]]);
        if (ct && ct->id == SQL_T_MAP && sl_cast_supported(a0, ct) && sl_cast_supported(e->rtype[args[1]], ct)) {
            args[0] = coerce(e, args[0], ct); /* MAP<STRING, INT> = MAP<STRING, BIGINT>: both as the common type */
            args[1] = coerce(e, args[1], ct);
            a0 = ct;
        }
        if (!sql_type_equals(e->rtype[args[0]], e->rtype[args[1]], true)) {
            sl_strbuf a = SL_STRBUF_INIT, b = SL_STRBUF_INIT;
            sql_type_print(&a, a0);
            sql_type_print(&b, e->rtype[args[1]]);
            compile_error(e, SL_ERR_UNSUPPORTED, "comparing %s with %s is not supported by the Sluice runtime yet", sl_strbuf_cstr(&a),
                          sl_strbuf_cstr(&b));
            sl_strbuf_free(&a);
            sl_strbuf_free(&b);
            return -1;
        }
        int pc = emit(e, op_map_eq, dst, t, 2, args, true);
        e->code[pc].k = op[0] == '<';
        return 1;
    }
    if (a0 && a0->id == SQL_T_MAP && strcmp(op, "CAST") != 0 && strcmp(op, "TRY_CAST") != 0 && strncmp(op, "IS ", 3) != 0) {
        compile_error(e, SL_ERR_UNSUPPORTED, "%s on a MAP value is not supported by the Sluice runtime yet", op);
        return -1;
    }
    return 0;
}

static const sql_type *common2(sl_expr *e, const sql_type *a, const sql_type *b)
{
    if (a->id == SQL_T_NULL) return b;
    if (b->id == SQL_T_NULL) return a;
    const sql_type *c = sql_type_common(e->types, a, b);
    if (c) return c;
    /* comparable types without a common type: compare strings to temporals as the temporal */
    if (vc_of(a) == VC_STR) return b;
    return a;
}

static int gen_args(sl_expr *e, const json_t *args, int *regs, int max)
{
    int n = (int)json_array_size(args);
    if (n > max) return compile_error(e, SL_ERR_UNSUPPORTED, "too many arguments (%d)", n);
    for (int k = 0; k < n; k++)
        if ((regs[k] = gen(e, json_array_get(args, k))) < 0) return -1;
    return n;
}

/* The instruction that ends a lazy construct jumps here (patched later). */
static void patch_jumps(sl_expr *e, const int *pcs, int n, int target)
{
    for (int k = 0; k < n; k++) e->code[pcs[k]].jmp = target;
}

static int gen_call(sl_expr *e, const char *op, const json_t *jargs, const sql_type *t, const char *text)
{
    size_t nargs = json_array_size(jargs);
    int *args = sl_arena_alloc(e->types, sizeof(int) * (nargs + 2)); /* registers; also jump lists */
    int dst;
    /* lazy constructs first */
    if (strcmp(op, "AND") == 0 || strcmp(op, "OR") == 0) {
        bool is_or = op[0] == 'O';
        dst = new_reg(e, t);
        int a = gen(e, json_array_get(jargs, 0));
        if (a < 0) return -1;
        int two[2] = {a, a};
        int chk = emit(e, op_and_check, dst, t, 1, two, false);
        e->code[chk].k = is_or;
        int b = gen(e, json_array_get(jargs, 1));
        if (b < 0) return -1;
        two[1] = b;
        int fin = emit(e, op_and_finish, dst, t, 2, two, false);
        e->code[fin].k = is_or;
        e->code[chk].jmp = e->ncode;
        return dst;
    }
    if (strcmp(op, "CASE") == 0) {
        /* CASE WHEN c1 THEN v1 ... [ELSE x]: args = c1 v1 c2 v2 ... else? (the planner turns a
         * simple CASE into this searched form) */
        int n = (int)nargs;
        dst = new_reg(e, t);
        int *ends = args, nends = 0;
        int first = 0, operand = -1;
        int k = first;
        for (; k + 1 < n; k += 2) {
            int c = gen(e, json_array_get(jargs, k));
            if (c < 0) return -1;
            if (operand >= 0) {
                const sql_type *ct = common2(e, e->rtype[operand], e->rtype[c]);
                int ab[2] = {coerce(e, operand, ct), coerce(e, c, ct)};
                int cr = new_reg(e, sql_type_make(e->types, SQL_T_BOOLEAN, true, -1, -1));
                int pc = emit(e, op_cmp, cr, e->rtype[cr], 2, ab, true);
                e->code[pc].k = 0;
                e->code[pc].flag = vc_of(ct);
                c = cr;
            }
            int one[1] = {c};
            int jf = emit(e, op_jump_if_not_true, dst, t, 1, one, false);
            int v = gen(e, json_array_get(jargs, k + 1));
            if (v < 0) return -1;
            v = coerce(e, v, t);
            one[0] = v;
            emit(e, op_move, dst, t, 1, one, false);
            ends[nends++] = emit(e, op_jump, dst, t, 0, NULL, false);
            e->code[jf].jmp = e->ncode;
        }
        if (k < n) {
            int v = gen(e, json_array_get(jargs, k));
            if (v < 0) return -1;
            v = coerce(e, v, t);
            int one[1] = {v};
            emit(e, op_move, dst, t, 1, one, false);
        } else
            emit(e, op_set_null, dst, t, 0, NULL, false);
        patch_jumps(e, ends, nends, e->ncode);
        return dst;
    }
    if (strcmp(op, "COALESCE") == 0 || strcmp(op, "IFNULL") == 0) {
        int n = (int)json_array_size(jargs);
        dst = new_reg(e, t);
        int *ends = args, nends = 0;
        for (int k = 0; k < n; k++) {
            int v = gen(e, json_array_get(jargs, k));
            if (v < 0) return -1;
            v = coerce(e, v, t);
            int one[1] = {v};
            if (k < n - 1) ends[nends++] = emit(e, op_jump_if_not_null, dst, t, 1, one, false);
            else emit(e, op_move, dst, t, 1, one, false);
        }
        patch_jumps(e, ends, nends, e->ncode);
        return dst;
    }
    if (strcmp(op, "IF") == 0) {
        dst = new_reg(e, t);
        int c = gen(e, json_array_get(jargs, 0));
        if (c < 0) return -1;
        int one[1] = {c};
        int jf = emit(e, op_jump_if_not_true, dst, t, 1, one, false);
        int a = gen(e, json_array_get(jargs, 1));
        if (a < 0) return -1;
        one[0] = coerce(e, a, t);
        emit(e, op_move, dst, t, 1, one, false);
        int je = emit(e, op_jump, dst, t, 0, NULL, false);
        e->code[jf].jmp = e->ncode;
        int b = gen(e, json_array_get(jargs, 2));
        if (b < 0) return -1;
        one[0] = coerce(e, b, t);
        emit(e, op_move, dst, t, 1, one, false);
        e->code[je].jmp = e->ncode;
        return dst;
    }

    int n = gen_args(e, jargs, args, (int)nargs);
    if (n < 0) return -1;
    dst = new_reg(e, t);
    int mc = gen_map_call(e, op, args, n, dst, t);
    if (mc) return mc < 0 ? -1 : dst;
    if (strcasecmp(op, "MOD") == 0) op = "%";
    int cc = cmp_code(op);
    if (cc >= 0 && n == 2) {
        const sql_type *ct = common2(e, e->rtype[args[0]], e->rtype[args[1]]);
        args[0] = coerce(e, args[0], ct);
        args[1] = coerce(e, args[1], ct);
        int pc = emit(e, op_cmp, dst, t, 2, args, true);
        e->code[pc].k = cc;
        e->code[pc].flag = vc_of(ct);
        return dst;
    }
    if (strcmp(op, "NOT") == 0 && n == 1) {
        emit(e, op_not, dst, t, 1, args, true);
        return dst;
    }
    if (strncmp(op, "IS ", 3) == 0 && n == 1) {
        const char *w = op + 3;
        bool neg = strncmp(w, "NOT ", 4) == 0;
        if (neg) w += 4;
        int k = strcmp(w, "NULL") == 0 || strcmp(w, "UNKNOWN") == 0 ? 0 : strcmp(w, "TRUE") == 0 ? 1 : 2;
        int pc = emit(e, op_is, dst, t, 1, args, false);
        e->code[pc].k = k;
        e->code[pc].flag = neg;
        return dst;
    }
    if ((strcmp(op, "IN") == 0 || strcmp(op, "NOT IN") == 0) && n >= 2) {
        const sql_type *ct = e->rtype[args[0]];
        for (int k = 1; k < n; k++) ct = common2(e, ct, e->rtype[args[k]]);
        for (int k = 0; k < n; k++) args[k] = coerce(e, args[k], ct);
        int pc = emit(e, op_in, dst, t, n, args, false);
        e->code[pc].k = vc_of(ct);
        e->code[pc].flag = op[0] == 'N';
        return dst;
    }
    if ((strcmp(op, "BETWEEN") == 0 || strcmp(op, "NOT BETWEEN") == 0) && n == 3) {
        const sql_type *ct = common2(e, common2(e, e->rtype[args[0]], e->rtype[args[1]]), e->rtype[args[2]]);
        for (int k = 0; k < 3; k++) args[k] = coerce(e, args[k], ct);
        int pc = emit(e, op_between, dst, t, 3, args, false);
        e->code[pc].k = vc_of(ct);
        e->code[pc].flag = op[0] == 'N';
        return dst;
    }
    if ((strcmp(op, "CAST") == 0 || strcmp(op, "TRY_CAST") == 0) && n == 1) {
        if (!sl_cast_supported(e->rtype[args[0]], t)) {
            sl_strbuf a = SL_STRBUF_INIT, b = SL_STRBUF_INIT;
            sql_type_print(&a, e->rtype[args[0]]);
            sql_type_print(&b, t);
            compile_error(e, SL_ERR_UNSUPPORTED, "CAST from %s to %s is not supported by the Sluice runtime yet", sl_strbuf_cstr(&a),
                          sl_strbuf_cstr(&b));
            sl_strbuf_free(&a);
            sl_strbuf_free(&b);
            return -1;
        }
        int pc = emit(e, op_cast, dst, t, 1, args, false);
        e->code[pc].k = op[0] == 'T';
        e->code[pc].name = text;
        return dst;
    }
    if (strlen(op) == 1 && strchr("+-*/%", op[0]) && (n == 2 || n == 1)) {
        if (n == 1) {
            if (op[0] == '+') return coerce(e, args[0], t);
            args[0] = coerce(e, args[0], t);
            emit(e, op_neg, dst, t, 1, args, true);
            return dst;
        }
        vclass c = vc_of(t), a0 = vc_of(e->rtype[args[0]]), a1 = vc_of(e->rtype[args[1]]);
        int pc;
        bool iv0 = a0 == VC_IYM || a0 == VC_IDT, iv1 = a1 == VC_IYM || a1 == VC_IDT;
        if ((c == VC_DATE || c == VC_TIME || c == VC_TS || c == VC_LTZ) && (iv0 || iv1)) {
            pc = emit(e, op_temporal_arith, dst, t, 2, args, true);
            e->code[pc].flag = iv0; /* temporal is the second argument */
        } else if ((c == VC_IYM || c == VC_IDT) && iv0 && iv1)
            pc = emit(e, op_interval_arith, dst, t, 2, args, true);
        else if (c == VC_IYM || c == VC_IDT)
            pc = emit(e, op_interval_mul, dst, t, 2, args, true);
        else if (c == VC_INT) {
            args[0] = coerce(e, args[0], t);
            args[1] = coerce(e, args[1], t);
            pc = emit(e, op_int_arith, dst, t, 2, args, true);
        } else if (c == VC_DBL) {
            args[0] = coerce(e, args[0], t);
            args[1] = coerce(e, args[1], t);
            pc = emit(e, op_dbl_arith, dst, t, 2, args, true);
        } else if (c == VC_DEC) {
            for (int k = 0; k < 2; k++)
                if (vc_of(e->rtype[args[k]]) != VC_DEC) {
                    int32_t p, s;
                    sql_type_decimal_of(e->rtype[args[k]], &p, &s);
                    if (p < 1) p = 19, s = 0;
                    if (p > 18) p = 18;
                    args[k] = coerce(e, args[k], sql_type_make(e->types, SQL_T_DECIMAL, true, p, s));
                }
            pc = emit(e, op_dec_arith, dst, t, 2, args, true);
        } else
            return compile_error(e, SL_ERR_UNSUPPORTED, "operator '%s' on these types is not supported by the Sluice runtime yet", op);
        e->code[pc].k = op[0];
        e->code[pc].name = text;
        return dst;
    }
    /* everything else: the function library */
    if (sl_expr_gen_function(e, op, args, n, dst, t, text) < 0) return -1;
    return dst;
}

/* The expression as SQL-like text for runtime errors: "i / j", "CAST(s AS INT)". */
static bool is_infix(const char *op)
{
    static const char *const ops[] = {"+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "||", "LIKE", "NOT LIKE"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (strcmp(op, ops[k]) == 0) return true;
    return false;
}

static void render(sl_strbuf *sb, sl_expr *e, const json_t *j, bool nested)
{
    if (sb->len > 240) return;
    const json_t *in = json_object_get(j, "input");
    if (in) {
        int i = (int)json_integer_value(in);
        if (i >= 0 && i < e->input->nfields && e->input->field_names && e->input->field_names[i])
            sl_strbuf_puts(sb, e->input->field_names[i]);
        else
            sl_strbuf_printf(sb, "$%d", i);
        return;
    }
    const json_t *lit = json_object_get(j, "literal");
    if (lit) {
        const sql_type *t = expr_type_of(e, j);
        if (json_is_null(lit)) sl_strbuf_puts(sb, "NULL");
        else if (json_is_boolean(lit)) sl_strbuf_puts(sb, json_is_true(lit) ? "TRUE" : "FALSE");
        else if (json_is_string(lit) && t && (vc_of(t) == VC_STR || vc_of(t) == VC_BIN)) {
            sl_strbuf_putc(sb, '\'');
            for (const char *p = json_string_value(lit); *p; p++) {
                if (*p == '\'') sl_strbuf_putc(sb, '\'');
                sl_strbuf_putc(sb, *p);
            }
            sl_strbuf_putc(sb, '\'');
        } else if (json_is_string(lit))
            sl_strbuf_puts(sb, json_string_value(lit));
        else if (json_object_get(lit, "qualifier"))
            sl_strbuf_printf(sb, "INTERVAL '%s' %s", json_string_value(json_object_get(lit, "value")),
                             json_string_value(json_object_get(lit, "qualifier")));
        else if (json_object_get(lit, "symbol"))
            sl_strbuf_puts(sb, json_string_value(json_object_get(lit, "symbol")));
        else if (json_object_get(lit, "kind"))
            sl_strbuf_printf(sb, "%s '%s'", json_string_value(json_object_get(lit, "kind")),
                             json_string_value(json_object_get(lit, "value")));
        return;
    }
    const char *op = json_string_value(json_object_get(j, "call"));
    const json_t *args = json_object_get(j, "args");
    size_t n = json_array_size(args);
    if (!op) {
        sl_strbuf_puts(sb, "?");
        return;
    }
    if (n == 2 && is_infix(op)) {
        if (nested) sl_strbuf_putc(sb, '(');
        render(sb, e, json_array_get(args, 0), true);
        sl_strbuf_printf(sb, " %s ", op);
        render(sb, e, json_array_get(args, 1), true);
        if (nested) sl_strbuf_putc(sb, ')');
    } else if (n == 1 && (strcmp(op, "-") == 0 || strcmp(op, "+") == 0)) {
        sl_strbuf_puts(sb, op);
        render(sb, e, json_array_get(args, 0), true);
    } else if (n == 1 && (strcmp(op, "NOT") == 0 || strncmp(op, "IS ", 3) == 0)) {
        if (nested) sl_strbuf_putc(sb, '(');
        if (op[0] == 'N') sl_strbuf_puts(sb, "NOT ");
        render(sb, e, json_array_get(args, 0), true);
        if (op[0] == 'I') sl_strbuf_printf(sb, " %s", op);
        if (nested) sl_strbuf_putc(sb, ')');
    } else if (n == 1 && (strcmp(op, "CAST") == 0 || strcmp(op, "TRY_CAST") == 0)) {
        const sql_type *t = expr_type_of(e, j);
        sl_strbuf_printf(sb, "%s(", op);
        render(sb, e, json_array_get(args, 0), false);
        sl_strbuf_puts(sb, " AS ");
        if (t) sql_type_print(sb, sql_type_with_nullable(e->types, t, true));
        sl_strbuf_putc(sb, ')');
    } else {
        sl_strbuf_printf(sb, "%s(", op);
        for (size_t k = 0; k < n; k++) {
            if (k) sl_strbuf_puts(sb, ", ");
            render(sb, e, json_array_get(args, k), false);
        }
        sl_strbuf_putc(sb, ')');
    }
}

static int gen(sl_expr *e, const json_t *j)
{
    const sql_type *t = expr_type_of(e, j);
    if (!t) return compile_error(e, SL_ERR_INTERNAL, "expression without a readable type in the job graph");
    if (sl_phys_of(t) == SL_PHYS_UNSUPPORTED && t->id != SQL_T_NULL) {
        sl_strbuf sb = SL_STRBUF_INIT;
        sql_type_print(&sb, t);
        compile_error(e, SL_ERR_UNSUPPORTED, "values of type %s are not supported by the Sluice runtime yet", sl_strbuf_cstr(&sb));
        sl_strbuf_free(&sb);
        return -1;
    }
    json_t *in = json_object_get(j, "input");
    if (in) {
        int i = (int)json_integer_value(in);
        if (i < 0 || i >= e->input->nfields) return compile_error(e, SL_ERR_INTERNAL, "expression reads field %d of a %d-field row", i, e->input->nfields);
        int r = new_reg(e, t);
        static const op_fn loads[] = {op_load_i64, op_load_f64, op_load_bytes};
        sl_phys ph = sl_phys_of(e->input->field_types[i]);
        if (ph == SL_PHYS_UNSUPPORTED) return compile_error(e, SL_ERR_UNSUPPORTED, "field type not supported by the runtime yet");
        int pc = emit(e, loads[ph], r, t, 0, NULL, false);
        e->code[pc].k = i;
        return r;
    }
    if (json_object_get(j, "literal")) return gen_literal(e, json_object_get(j, "literal"), t);
    const char *op = json_string_value(json_object_get(j, "call"));
    if (!op) {
        if (json_object_get(j, "field"))
            return compile_error(e, SL_ERR_UNSUPPORTED, "ROW field access is not supported by the Sluice runtime yet");
        return compile_error(e, SL_ERR_INTERNAL, "malformed expression in the job graph");
    }
    sl_strbuf text = SL_STRBUF_INIT;
    render(&text, e, j, false);
    if (text.len > 240) {
        text.len = 240;
        sl_strbuf_puts(&text, "...");
    }
    const char *name = sl_arena_strdup(e->types, sl_strbuf_cstr(&text));
    sl_strbuf_free(&text);
    return gen_call(e, op, json_object_get(j, "args"), t, name);
}

sl_status sl_expr_compile(const json_t *expr, const sql_type *input, const sl_expr_env *env, sl_arena *types_arena, sl_expr **out,
                          sl_error *err)
{
    sl_expr *e = sl_xcalloc(1, sizeof *e);
    e->types = types_arena;
    e->input = input;
    e->env = *env;
    e->err = err;
    e->scratch = sl_arena_create(0);
    e->input_ref = json_object_get(expr, "input") ? (int)json_integer_value(json_object_get(expr, "input")) : -1;
    int r = gen(e, expr);
    if (r < 0) {
        sl_expr_free(e);
        return err->code;
    }
    e->result = r;
    e->type = e->rtype[r];
    e->err = NULL;
    *out = e;
    return SL_OK;
}

void sl_expr_free(sl_expr *e)
{
    if (!e) return;
    for (int k = 0; k < e->ncode; k++)
        if (e->code[k].cleanup) e->code[k].cleanup(e->code[k].data);
    free(e->code);
    free(e->reg);
    free(e->rtype);
    free(e->rconst);
    sl_arena_destroy(e->scratch);
    free(e);
}

const sql_type *sl_expr_type(const sl_expr *e) { return e->type; }
int sl_expr_input_ref(const sl_expr *e) { return e->input_ref; }
void sl_expr_scratch_reset(sl_expr *e) { sl_arena_reset(e->scratch); }

sl_status sl_expr_eval(sl_expr *e, const uint8_t *row, sl_val *out, sl_error *err)
{
    e->row = row;
    e->err = err;
    const ins *code = e->code;
    int n = e->ncode;
    for (int pc = 0; pc < n;) {
        const ins *x = &code[pc];
        if (x->strict) {
            bool isnull = false;
            for (int k = 0; k < x->nargs; k++) isnull |= e->reg[x->args[k]].null;
            if (isnull) {
                e->reg[x->dst].null = true;
                pc++;
                continue;
            }
        }
        int r = x->fn(e, x);
        if (r == 0) pc++;
        else if (r > 0) pc = r;
        else return err->code;
    }
    *out = e->reg[e->result];
    return SL_OK;
}
