/* runtime/expr_fn.c — the built-in scalar functions (sql/functions.c types them; this file runs
 * them). Strings are UTF-8; positions and lengths count code points as Flink's do. UPPER/LOWER
 * map ASCII letters only (Flink maps all of Unicode): documented in docs/sql.md. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/hash.h"
#include "common/strbuf.h"
#include "runtime/expr_int.h"
#include "runtime/temporal.h"

static sl_val *D(sl_expr *e, const ins *x)
{
    sl_val *d = R(x->dst);
    d->null = false;
    return d;
}

#define A(k) R(x->args[k])

/* ---- UTF-8 helpers ------------------------------------------------------------------------- */

static size_t u8_next(const char *s, size_t n, size_t i)
{
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    return i;
}

static int64_t u8_len(const char *s, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
    return c;
}

/* byte offset of code point index cp (clamped to n) */
static size_t u8_offset(const char *s, size_t n, int64_t cp)
{
    size_t i = 0;
    while (cp > 0 && i < n) {
        i = u8_next(s, n, i);
        cp--;
    }
    return i;
}

static void set_out(sl_val *d, const char *p, size_t n)
{
    d->null = false;
    d->s.p = p;
    d->s.n = (uint32_t)n;
}

/* ---- strings ---------------------------------------------------------------------------------- */

static int f_concat(sl_expr *e, const ins *x)
{
    size_t total = 0;
    for (int k = 0; k < x->nargs; k++) total += A(k)->s.n;
    char *p = scratch_alloc(e, total), *q = p;
    for (int k = 0; k < x->nargs; k++) {
        if (A(k)->s.n) memcpy(q, A(k)->s.p, A(k)->s.n);
        q += A(k)->s.n;
    }
    set_out(R(x->dst), p, total);
    return 0;
}

static int f_concat_ws(sl_expr *e, const ins *x)
{
    /* NULL separator → NULL; NULL arguments are skipped */
    if (A(0)->null) {
        R(x->dst)->null = true;
        return 0;
    }
    size_t total = 0;
    for (int k = 1; k < x->nargs; k++) total += A(k)->null ? 0 : A(k)->s.n + A(0)->s.n;
    char *p = scratch_alloc(e, total), *q = p;
    bool first = true;
    for (int k = 1; k < x->nargs; k++) {
        if (A(k)->null) continue;
        if (!first) {
            memcpy(q, A(0)->s.p, A(0)->s.n);
            q += A(0)->s.n;
        }
        first = false;
        memcpy(q, A(k)->s.p, A(k)->s.n);
        q += A(k)->s.n;
    }
    set_out(R(x->dst), p, (size_t)(q - p));
    return 0;
}

static int f_case(sl_expr *e, const ins *x)
{
    const sl_val *a = A(0);
    char *p = scratch_alloc(e, a->s.n);
    for (uint32_t k = 0; k < a->s.n; k++) p[k] = (char)(x->k ? toupper((unsigned char)a->s.p[k]) : tolower((unsigned char)a->s.p[k]));
    set_out(R(x->dst), p, a->s.n);
    return 0;
}

static int f_char_length(sl_expr *e, const ins *x)
{
    D(e, x)->i = u8_len(A(0)->s.p, A(0)->s.n);
    return 0;
}

/* whether the code point c[0..len) is one of the code points of set */
static bool cp_in(const char *set, size_t nset, const char *c, size_t len)
{
    for (size_t i = 0; i < nset;) {
        size_t nx = u8_next(set, nset, i);
        if (nx - i == len && memcmp(set + i, c, len) == 0) return true;
        i = nx;
    }
    return false;
}

/* TRIM: k = 0 both, 1 leading, 2 trailing; the characters (code points) to remove from args[0]
 * when nargs == 2 */
static int f_trim(sl_expr *e, const ins *x)
{
    const sl_val *s = A(x->nargs - 1);
    const char *chars = " ", *p = s->s.p;
    size_t nchars = 1;
    if (x->nargs == 2) {
        chars = A(0)->s.p;
        nchars = A(0)->s.n;
    }
    size_t b = 0, en = s->s.n;
    if (x->k != 2)
        while (b < en) {
            size_t nx = u8_next(p, en, b);
            if (!cp_in(chars, nchars, p + b, nx - b)) break;
            b = nx;
        }
    if (x->k != 1)
        while (en > b) {
            size_t k = en - 1;
            while (k > b && ((unsigned char)p[k] & 0xC0) == 0x80) k--;
            if (!cp_in(chars, nchars, p + k, en - k)) break;
            en = k;
        }
    set_out(R(x->dst), p + b, en - b);
    return 0;
}

/* SUBSTRING(s, from [, len]) with 1-based code point positions; negative from counts from the
 * end, as Flink does */
static int f_substring(sl_expr *e, const ins *x)
{
    const sl_val *s = A(0);
    int64_t len = u8_len(s->s.p, s->s.n);
    int64_t from = A(1)->i;
    int64_t cnt = x->nargs > 2 ? A(2)->i : INT64_MAX;
    if (cnt < 0) {
        R(x->dst)->null = true;
        return 0;
    }
    int64_t start = from > 0 ? from - 1 : from < 0 ? len + from : 0;
    if (start < 0 || start >= len || cnt == 0) { /* a negative start before the beginning: '' */
        set_out(R(x->dst), s->s.p, 0);
        return 0;
    }
    int64_t end = cnt > len - start ? len : start + cnt;
    size_t bo = u8_offset(s->s.p, s->s.n, start), eo = u8_offset(s->s.p, s->s.n, end);
    set_out(R(x->dst), s->s.p + bo, eo - bo);
    return 0;
}

static int f_left_right(sl_expr *e, const ins *x)
{
    const sl_val *s = A(0);
    int64_t n = A(1)->i, len = u8_len(s->s.p, s->s.n);
    if (n < 0) n = 0;
    if (n > len) n = len;
    size_t off = x->k ? u8_offset(s->s.p, s->s.n, len - n) : 0;
    size_t end = x->k ? s->s.n : u8_offset(s->s.p, s->s.n, n);
    set_out(R(x->dst), s->s.p + off, end - off);
    return 0;
}

static int f_replace(sl_expr *e, const ins *x)
{
    const sl_val *s = A(0), *f = A(1), *r = A(2);
    if (f->s.n == 0) {
        *R(x->dst) = *s;
        return 0;
    }
    sl_strbuf sb = SL_STRBUF_INIT;
    size_t i = 0;
    while (i < s->s.n) {
        if (i + f->s.n <= s->s.n && memcmp(s->s.p + i, f->s.p, f->s.n) == 0) {
            sl_strbuf_append(&sb, r->s.p, r->s.n);
            i += f->s.n;
        } else
            sl_strbuf_putc(&sb, s->s.p[i++]);
    }
    char *p = scratch_alloc(e, sb.len);
    if (sb.len) memcpy(p, sb.buf, sb.len);
    set_out(R(x->dst), p, sb.len);
    sl_strbuf_free(&sb);
    return 0;
}

/* POSITION(needle IN haystack): 1-based code point position, 0 if absent */
static int f_position(sl_expr *e, const ins *x)
{
    const sl_val *nd = A(0), *h = A(1);
    int64_t pos = 0;
    if (nd->s.n == 0) pos = 1;
    else
        for (size_t i = 0; i + nd->s.n <= h->s.n; i++)
            if (memcmp(h->s.p + i, nd->s.p, nd->s.n) == 0) {
                pos = u8_len(h->s.p, i) + 1;
                break;
            }
    D(e, x)->i = pos;
    return 0;
}

/* LPAD/RPAD(s, len, pad): k = 0 left, 1 right */
static int f_pad(sl_expr *e, const ins *x)
{
    const sl_val *s = A(0), *pad = A(2);
    int64_t len = A(1)->i, have = u8_len(s->s.p, s->s.n);
    if (len < 0 || pad->s.n == 0) { /* Flink: NULL, even when no padding is needed */
        R(x->dst)->null = true;
        return 0;
    }
    if (len <= have) {
        set_out(R(x->dst), s->s.p, u8_offset(s->s.p, s->s.n, len));
        return 0;
    }
    int64_t need = len - have;
    int64_t padcp = u8_len(pad->s.p, pad->s.n);
    sl_strbuf sb = SL_STRBUF_INIT;
    if (x->k) sl_strbuf_append(&sb, s->s.p, s->s.n);
    for (int64_t k = 0; k < need;) {
        int64_t take = need - k < padcp ? need - k : padcp;
        sl_strbuf_append(&sb, pad->s.p, u8_offset(pad->s.p, pad->s.n, take));
        k += take;
    }
    if (!x->k) sl_strbuf_append(&sb, s->s.p, s->s.n);
    char *p = scratch_alloc(e, sb.len);
    memcpy(p, sb.buf, sb.len);
    set_out(R(x->dst), p, sb.len);
    sl_strbuf_free(&sb);
    return 0;
}

/* SPLIT_INDEX(s, delimiter, index): an empty string has no parts; an empty delimiter splits at
 * spaces (Flink's splitByWholeSeparatorPreserveAllTokens) */
static int f_split_index(sl_expr *e, const ins *x)
{
    const sl_val *s = A(0);
    sl_val space = {.s = {" ", 1}};
    const sl_val *dl = A(1)->s.n ? A(1) : &space;
    int64_t idx = A(2)->i;
    if (idx < 0 || s->s.n == 0) {
        R(x->dst)->null = true;
        return 0;
    }
    size_t start = 0;
    for (int64_t k = 0;; k++) {
        size_t i = start;
        while (i + dl->s.n <= s->s.n && memcmp(s->s.p + i, dl->s.p, dl->s.n) != 0) i++;
        bool last = i + dl->s.n > s->s.n;
        size_t end = last ? s->s.n : i;
        if (k == idx) {
            set_out(R(x->dst), s->s.p + start, end - start);
            return 0;
        }
        if (last) break;
        start = i + dl->s.n;
    }
    R(x->dst)->null = true;
    return 0;
}

/* Java String.hashCode over UTF-16 code units (BMP characters; others as surrogate pairs) */
static int f_hash_code(sl_expr *e, const ins *x)
{
    const unsigned char *s = (const unsigned char *)A(0)->s.p;
    size_t n = A(0)->s.n;
    uint32_t h = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (s[i] < 0x80) cp = s[i++];
        else if ((s[i] & 0xE0) == 0xC0 && i + 1 < n) cp = ((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu), i += 2;
        else if ((s[i] & 0xF0) == 0xE0 && i + 2 < n) cp = ((s[i] & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu), i += 3;
        else if (i + 3 < n) cp = ((s[i] & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu), i += 4;
        else cp = s[i++];
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = h * 31 + (0xD800 + (cp >> 10));
            h = h * 31 + (0xDC00 + (cp & 0x3FF));
        } else
            h = h * 31 + cp;
    }
    D(e, x)->i = (int32_t)h;
    return 0;
}

/* LIKE with % and _ (code points) and an optional escape character; k = NOT */
static bool like_match(const char *s, size_t sn, const char *p, size_t pn, char esc)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && esc && p[pi] == esc && pi + 1 < pn) {
            if (p[pi + 1] == s[si]) {
                pi += 2;
                si++;
                continue;
            }
        } else if (pi < pn && p[pi] == '_') {
            pi++;
            si = u8_next(s, sn, si);
            continue;
        } else if (pi < pn && p[pi] == '%') {
            star_p = pi++;
            star_s = si;
            continue;
        } else if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
            continue;
        }
        if (star_p != (size_t)-1) {
            pi = star_p + 1;
            star_s = u8_next(s, sn, star_s);
            si = star_s;
            continue;
        }
        return false;
    }
    while (pi < pn && p[pi] == '%') pi++;
    return pi == pn;
}

static int f_like(sl_expr *e, const ins *x)
{
    char esc = x->nargs > 2 && A(2)->s.n ? A(2)->s.p[0] : 0;
    bool m = like_match(A(0)->s.p, A(0)->s.n, A(1)->s.p, A(1)->s.n, esc);
    D(e, x)->i = x->k ? !m : m;
    return 0;
}

/* REGEXP_EXTRACT / REGEXP_REPLACE with POSIX extended regular expressions (Java's syntax is
 * close for common patterns; look-arounds and \d are not POSIX). The pattern is compiled once
 * when it is a constant, per record otherwise. */
typedef struct rx {
    regex_t re;
    bool ok;
} rx;

static void rx_free(void *p)
{
    rx *r = p;
    if (r->ok) regfree(&r->re);
    free(r);
}

static bool rx_compile(regex_t *re, const char *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    /* translate the most common Java shorthands to POSIX classes */
    sl_strbuf sb = SL_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && strchr("dDwWsS", s[i + 1])) {
            static const char *const cls[] = {"[0-9]", "[^0-9]", "[A-Za-z0-9_]", "[^A-Za-z0-9_]", "[[:space:]]", "[^[:space:]]"};
            sl_strbuf_puts(&sb, cls[strchr("dDwWsS", s[i + 1]) - "dDwWsS"]);
            i++;
        } else
            sl_strbuf_putc(&sb, s[i]);
    }
    free(s);
    bool ok = regcomp(re, sl_strbuf_cstr(&sb), REG_EXTENDED) == 0;
    sl_strbuf_free(&sb);
    return ok;
}

static const regex_t *rx_get(sl_expr *e, const ins *x, int parg, regex_t *tmp, bool *owned)
{
    *owned = false;
    if (x->data) return ((rx *)x->data)->ok ? &((rx *)x->data)->re : NULL;
    if (!rx_compile(tmp, A(parg)->s.p, A(parg)->s.n)) return NULL;
    (void)e;
    *owned = true;
    return tmp;
}

static int f_regexp_extract(sl_expr *e, const ins *x)
{
    regex_t tmp;
    bool owned;
    const regex_t *re = rx_get(e, x, 1, &tmp, &owned);
    int64_t g = x->nargs > 2 ? A(2)->i : 1;
    R(x->dst)->null = true;
    if (!re || g < 0 || g > 9) return 0;
    const sl_val *s = A(0);
    char *str = scratch_alloc(e, s->s.n + 1);
    memcpy(str, s->s.p, s->s.n);
    str[s->s.n] = 0;
    regmatch_t m[10];
    if (regexec(re, str, 10, m, 0) == 0 && m[g].rm_so >= 0) set_out(R(x->dst), str + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
    if (owned) regfree(&tmp);
    return 0;
}

static int f_regexp_replace(sl_expr *e, const ins *x)
{
    regex_t tmp;
    bool owned;
    const regex_t *re = rx_get(e, x, 1, &tmp, &owned);
    if (!re) {
        R(x->dst)->null = true;
        return 0;
    }
    const sl_val *s = A(0), *rep = A(2);
    char *str = scratch_alloc(e, s->s.n + 1);
    memcpy(str, s->s.p, s->s.n);
    str[s->s.n] = 0;
    sl_strbuf sb = SL_STRBUF_INIT;
    const char *p = str;
    regmatch_t m[1];
    int flags = 0;
    bool matched_end = false;
    while (*p && regexec(re, p, 1, m, flags) == 0) {
        sl_strbuf_append(&sb, p, (size_t)m[0].rm_so);
        sl_strbuf_append(&sb, rep->s.p, rep->s.n);
        if (m[0].rm_eo == m[0].rm_so) {
            if (!p[m[0].rm_eo]) {
                p += m[0].rm_eo;
                matched_end = true;
                break;
            }
            sl_strbuf_putc(&sb, p[m[0].rm_eo]);
            p += m[0].rm_eo + 1;
        } else
            p += m[0].rm_eo;
        flags = REG_NOTBOL;
    }
    /* as Java's replaceAll, an empty match at the very end is replaced too ('abc', 'x*' -> -a-b-c-) */
    if (!*p && !matched_end && regexec(re, p, 1, m, flags) == 0) sl_strbuf_append(&sb, rep->s.p, rep->s.n);
    sl_strbuf_puts(&sb, p);
    char *out = scratch_alloc(e, sb.len);
    if (sb.len) memcpy(out, sb.buf, sb.len);
    set_out(R(x->dst), out, sb.len);
    sl_strbuf_free(&sb);
    if (owned) regfree(&tmp);
    return 0;
}

/* ---- numbers ---------------------------------------------------------------------------------- */

static int f_abs(sl_expr *e, const ins *x)
{
    sl_val *d = D(e, x);
    if (vc_of(x->t) == VC_DBL) d->d = fabs(A(0)->d);
    else d->i = wrap_int(A(0)->i < 0 ? (int64_t)(0 - (uint64_t)A(0)->i) : A(0)->i, x->t->id);
    return 0;
}

/* one-argument double functions: k selects */
static int f_math1(sl_expr *e, const ins *x)
{
    double a = A(0)->d, r;
    switch (x->k) {
    case 0: r = sqrt(a); break;
    case 1: r = log(a); break;
    case 2: r = log10(a); break;
    case 3: r = exp(a); break;
    default: r = a; break;
    }
    D(e, x)->d = r;
    return 0;
}

static int f_power(sl_expr *e, const ins *x)
{
    D(e, x)->d = pow(A(0)->d, A(1)->d);
    return 0;
}

/* FLOOR/CEIL of DOUBLE or DECIMAL (k: 0 floor, 1 ceil) */
static int f_floor_ceil(sl_expr *e, const ins *x)
{
    sl_val *d = D(e, x);
    vclass c = vc_of(x->at[0]);
    if (c == VC_DBL) {
        double r = x->k ? ceil(A(0)->d) : floor(A(0)->d);
        if (vc_of(x->t) == VC_DBL) d->d = r;
        else d->i = (int64_t)r;
    } else if (c == VC_DEC) {
        int64_t p = sl_pow10[x->at[0]->scale];
        int64_t v = x->k ? -sl_floor_div(-A(0)->i, p) : sl_floor_div(A(0)->i, p);
        d->i = (int64_t)dec_rescale(v, 0, x->t->scale);
    } else
        d->i = A(0)->i;
    return 0;
}

/* ROUND / TRUNCATE(x, digits): k 0 round half up, 1 truncate */
static int f_round(sl_expr *e, const ins *x)
{
    int64_t digits = x->nargs > 1 ? A(1)->i : 0;
    sl_val *d = D(e, x);
    vclass c = vc_of(x->at[0]);
    if (c == VC_DBL) {
        /* Flink: BigDecimal.valueOf(v) rounded HALF_UP (or DOWN) at `digits`, back to double */
        double v = A(0)->d;
        __int128 q;
        if (digits > 400) digits = 400;
        if (digits < -400) digits = -400;
        if (isfinite(v) && dec_from_double(v, (int)digits, x->k, &q) && q < INT64_MAX && q > -INT64_MAX) {
            char buf[48];
            snprintf(buf, sizeof buf, "%llde%lld", (long long)q, (long long)-digits);
            v = strtod(buf, NULL);
        }
        d->d = x->t->id == SQL_T_FLOAT ? (float)v : v;
        return 0;
    }
    int s = c == VC_DEC ? x->at[0]->scale : 0;
    __int128 v = A(0)->i;
    if (digits < s) {
        int drop = s - (int)digits;
        if (drop > 36) drop = 36;
        __int128 p = 1;
        for (int k = 0; k < drop; k++) p *= 10;
        __int128 q = v / p, r = v % p;
        if (!x->k) {
            if (r < 0) r = -r;
            if (2 * r >= p) q += v < 0 ? -1 : 1;
        }
        v = q * p;
    }
    v = dec_rescale(v, s, c == VC_DEC && vc_of(x->t) == VC_DEC ? x->t->scale : 0);
    if (vc_of(x->t) == VC_DEC && !dec_fits(v, x->t->precision)) {
        R(x->dst)->null = true;
        return 0;
    }
    d->i = vc_of(x->t) == VC_INT ? wrap_int((int64_t)v, x->t->id) : (int64_t)v;
    return 0;
}

static int f_rand(sl_expr *e, const ins *x)
{
    /* xorshift64* per instruction; seeded from RAND(seed) or the environment */
    uint64_t *st = x->data;
    uint64_t v = *st;
    v ^= v >> 12;
    v ^= v << 25;
    v ^= v >> 27;
    *st = v;
    D(e, x)->d = (double)((v * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
    return 0;
}

/* ---- time --------------------------------------------------------------------------------- */

static int64_t now_micros(sl_expr *e)
{
    if (e->env.now_micros) return e->env.now_micros(e->env.now_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* k: 0 instant (PROCTIME/NOW/CURRENT_TIMESTAMP: TIMESTAMP_LTZ), 1 LOCALTIMESTAMP, 2 CURRENT_DATE */
static int f_now(sl_expr *e, const ins *x)
{
    int64_t us = now_micros(e);
    int64_t local = us + (int64_t)e->env.ltz_offset * 1000000;
    sl_val *d = D(e, x);
    if (x->k == 2) d->i = sl_floor_div(local, SL_MICROS_PER_DAY);
    else if (vc_of(x->t) == VC_TS) d->i = (local / 1000) * 1000;
    else d->i = (us / 1000) * 1000;
    return 0;
}

/* wall-clock micros of a temporal argument */
static int64_t wall_micros(sl_expr *e, const sl_val *v, const sql_type *t)
{
    switch (vc_of(t)) {
    case VC_DATE: return v->i * SL_MICROS_PER_DAY;
    case VC_TIME: return v->i * 1000;
    case VC_LTZ: return v->i + (int64_t)e->env.ltz_offset * 1000000;
    default: return v->i;
    }
}

/* EXTRACT fields: k = 0 YEAR, 1 QUARTER, 2 MONTH, 3 WEEK, 4 DAYOFYEAR, 5 DAY, 6 DAYOFWEEK, 7 HOUR,
 * 8 MINUTE, 9 SECOND, 10 MILLISECOND, 11 MICROSECOND, 12 EPOCH */

static int64_t extract_field(int64_t us, int k)
{
    int64_t days = sl_floor_div(us, SL_MICROS_PER_DAY), tod = us - days * SL_MICROS_PER_DAY;
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    switch (k) {
    case 0: return y;
    case 1: return (m - 1) / 3 + 1;
    case 2: return m;
    case 3: { /* ISO week number */
        int64_t wd = sl_floor_mod(days + 3, 7); /* 0 = Monday */
        int64_t thursday = days - wd + 3;
        int64_t ty;
        unsigned tm_, td;
        sl_civil_from_days(thursday, &ty, &tm_, &td);
        return (thursday - sl_days_from_civil(ty, 1, 1)) / 7 + 1;
    }
    case 4: return days - sl_days_from_civil(y, 1, 1) + 1;
    case 5: return d;
    case 6: return sl_floor_mod(days + 4, 7) + 1; /* 1 = Sunday */
    case 7: return tod / 3600000000LL;
    case 8: return tod / 60000000 % 60;
    case 9: return tod / 1000000 % 60;
    case 10: return tod / 1000 % 60000;
    case 11: return tod % 60000000;
    default: return sl_floor_div(us, 1000000);
    }
}

/* EXTRACT from an interval: its fields (months, or milliseconds), truncated toward zero as Flink
 * does (EXTRACT(HOUR FROM INTERVAL '3 04:05' DAY TO MINUTE) = 4) */
static int64_t extract_interval(int64_t v, vclass c, int k)
{
    if (c == VC_IYM) return k == 0 ? v / 12 : k == 1 ? v % 12 / 3 + 1 : k == 2 ? v % 12 : 0;
    switch (k) {
    case 5: return v / 86400000;
    case 7: return v % 86400000 / 3600000;
    case 8: return v % 3600000 / 60000;
    case 9: return v % 60000 / 1000;
    case 10: return v % 60000;
    case 11: return v % 60000 * 1000;
    case 12: return v / 1000;
    default: return 0;
    }
}

static int f_extract(sl_expr *e, const ins *x)
{
    int ta = x->nargs - 1;
    vclass c = vc_of(x->at[ta]);
    if (c == VC_IYM || c == VC_IDT) D(e, x)->i = extract_interval(A(ta)->i, c, (int)x->k);
    else D(e, x)->i = extract_field(wall_micros(e, A(ta), x->at[ta]), (int)x->k);
    return 0;
}

/* Java SimpleDateFormat subset: y M d H h m s S a, 'literal' text */
static void date_format(sl_strbuf *out, int64_t us, const char *fmt, size_t n)
{
    int64_t days = sl_floor_div(us, SL_MICROS_PER_DAY), tod = us - days * SL_MICROS_PER_DAY;
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    for (size_t i = 0; i < n;) {
        char c = fmt[i];
        size_t run = 1;
        while (i + run < n && fmt[i + run] == c) run++;
        int64_t v;
        switch (c) {
        case 'y': v = run == 2 ? y % 100 : y; break;
        case 'M': v = m; break;
        case 'd': v = d; break;
        case 'H': v = tod / 3600000000LL; break;
        case 'h': v = (tod / 3600000000LL) % 12 == 0 ? 12 : (tod / 3600000000LL) % 12; break;
        case 'm': v = tod / 60000000 % 60; break;
        case 's': v = tod / 1000000 % 60; break;
        case 'S': {
            char frac[8];
            snprintf(frac, sizeof frac, "%06lld", (long long)(tod % 1000000));
            for (size_t k = 0; k < run; k++) sl_strbuf_putc(out, k < 6 ? frac[k] : '0');
            i += run;
            continue;
        }
        case 'a':
            sl_strbuf_puts(out, tod < 43200000000LL ? "AM" : "PM");
            i += run;
            continue;
        case '\'': {
            size_t j = i + 1;
            while (j < n && fmt[j] != '\'') sl_strbuf_putc(out, fmt[j++]);
            i = j + 1;
            continue;
        }
        default:
            for (size_t k = 0; k < run; k++) sl_strbuf_putc(out, c);
            i += run;
            continue;
        }
        sl_strbuf_printf(out, "%0*lld", (int)run, (long long)v);
        i += run;
    }
}

static bool date_parse(const char *s, size_t sn, const char *fmt, size_t n, int64_t *us)
{
    int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0;
    size_t si = 0;
    bool pm = false, ampm = false;
    for (size_t i = 0; i < n;) {
        char c = fmt[i];
        size_t run = 1;
        while (i + run < n && fmt[i + run] == c) run++;
        if (strchr("yMdHhmsS", c)) {
            int64_t v = 0;
            size_t digits = 0, max = c == 'y' && run != 2 ? 9 : c == 'S' ? 9 : (run > 2 ? run : 2);
            if (c == 'y' && run == 4) max = 4;
            while (si < sn && digits < max && isdigit((unsigned char)s[si])) v = v * 10 + (s[si++] - '0'), digits++;
            if (!digits) return false;
            switch (c) {
            case 'y': y = run == 2 ? 2000 + v : v; break;
            case 'M': mo = v; break;
            case 'd': d = v; break;
            case 'H': h = v; break;
            case 'h': h = v % 12, ampm = true; break;
            case 'm': mi = v; break;
            case 's': sec = v; break;
            default: {
                for (size_t k = digits; k < 6; k++) v *= 10;
                for (size_t k = 6; k < digits; k++) v /= 10;
                frac = v;
            }
            }
            i += run;
        } else if (c == 'a') {
            if (si + 2 > sn) return false;
            pm = strncasecmp(s + si, "PM", 2) == 0;
            si += 2;
            i += run;
        } else if (c == '\'') {
            size_t j = i + 1;
            while (j < n && fmt[j] != '\'') {
                if (si >= sn || s[si] != fmt[j]) return false;
                si++, j++;
            }
            i = j + 1;
        } else {
            for (size_t k = 0; k < run; k++) {
                if (si >= sn || s[si] != c) return false;
                si++;
            }
            i += run;
        }
    }
    if (si != sn || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return false;
    if (ampm && pm) h += 12;
    *us = sl_days_from_civil(y, (unsigned)mo, (unsigned)d) * SL_MICROS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
    return true;
}

static const char default_ts_format[] = "yyyy-MM-dd HH:mm:ss";

/* DATE_FORMAT(ts | string, fmt) */
static int f_date_format(sl_expr *e, const ins *x)
{
    int64_t us;
    if (vc_of(x->at[0]) == VC_STR) {
        bool z;
        if (!sl_parse_timestamp(A(0)->s.p, A(0)->s.n, &us, &z)) {
            R(x->dst)->null = true;
            return 0;
        }
    } else
        us = wall_micros(e, A(0), x->at[0]);
    sl_strbuf sb = SL_STRBUF_INIT;
    date_format(&sb, us, A(1)->s.p, A(1)->s.n);
    char *p = scratch_alloc(e, sb.len);
    if (sb.len) memcpy(p, sb.buf, sb.len);
    set_out(R(x->dst), p, sb.len);
    sl_strbuf_free(&sb);
    return 0;
}

/* TO_TIMESTAMP(s [, fmt]) → TIMESTAMP(3); TO_DATE(s [, fmt]) → DATE; invalid text → NULL (Flink) */
static int f_to_timestamp(sl_expr *e, const ins *x)
{
    int64_t us;
    bool ok;
    if (x->nargs > 1) ok = date_parse(A(0)->s.p, A(0)->s.n, A(1)->s.p, A(1)->s.n, &us);
    else if (x->k == 1) {
        int64_t days;
        ok = sl_parse_date(A(0)->s.p, A(0)->s.n, &days);
        us = days * SL_MICROS_PER_DAY;
    } else {
        bool z;
        ok = date_parse(A(0)->s.p, A(0)->s.n, default_ts_format, sizeof default_ts_format - 1, &us) ||
             sl_parse_timestamp(A(0)->s.p, A(0)->s.n, &us, &z);
    }
    if (!ok) {
        R(x->dst)->null = true;
        return 0;
    }
    sl_val *d = D(e, x);
    if (x->k == 1) d->i = sl_floor_div(us, SL_MICROS_PER_DAY);
    else d->i = sl_floor_div(us, 1000) * 1000;
    return 0;
}

/* TO_TIMESTAMP_LTZ(n, precision 0|3) */
static int f_to_timestamp_ltz(sl_expr *e, const ins *x)
{
    int64_t p = x->nargs > 1 ? A(1)->i : 3;
    double v = vc_of(x->at[0]) == VC_DBL ? A(0)->d : vc_of(x->at[0]) == VC_DEC ? (double)A(0)->i / (double)sl_pow10[x->at[0]->scale] : (double)A(0)->i;
    if (p != 0 && p != 3) return fail(e, x, "TO_TIMESTAMP_LTZ: precision must be 0 or 3, got %" PRId64, p);
    D(e, x)->i = (int64_t)llround(v * (p == 0 ? 1e6 : 1e3));
    return 0;
}

/* FROM_UNIXTIME(seconds [, fmt]) → STRING in the local time zone */
static int f_from_unixtime(sl_expr *e, const ins *x)
{
    int64_t us = A(0)->i * 1000000 + (int64_t)e->env.ltz_offset * 1000000;
    sl_strbuf sb = SL_STRBUF_INIT;
    if (x->nargs > 1) date_format(&sb, us, A(1)->s.p, A(1)->s.n);
    else date_format(&sb, us, default_ts_format, sizeof default_ts_format - 1);
    char *p = scratch_alloc(e, sb.len);
    memcpy(p, sb.buf, sb.len);
    set_out(R(x->dst), p, sb.len);
    sl_strbuf_free(&sb);
    return 0;
}

/* UNIX_TIMESTAMP() or UNIX_TIMESTAMP(s [, fmt]) → BIGINT seconds */
static int f_unix_timestamp(sl_expr *e, const ins *x)
{
    if (x->nargs == 0) {
        D(e, x)->i = sl_floor_div(now_micros(e), 1000000);
        return 0;
    }
    int64_t us;
    bool ok = x->nargs > 1 ? date_parse(A(0)->s.p, A(0)->s.n, A(1)->s.p, A(1)->s.n, &us)
                           : date_parse(A(0)->s.p, A(0)->s.n, default_ts_format, sizeof default_ts_format - 1, &us);
    if (!ok) {
        D(e, x)->i = -9223372036854775807LL - 1; /* Flink returns Long.MIN_VALUE on a parse failure */
        return 0;
    }
    D(e, x)->i = sl_floor_div(us - (int64_t)e->env.ltz_offset * 1000000, 1000000);
    return 0;
}

/* days + n months, the day clamped to the last of the month (2024-01-31 + 1 month = 2024-02-29) */
static int64_t add_months(int64_t days, int64_t n)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + n;
    int64_t ny = sl_floor_div(total, 12);
    unsigned nm = (unsigned)(sl_floor_mod(total, 12) + 1);
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned last = mdays[nm - 1] + (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0));
    return sl_days_from_civil(ny, nm, d > last ? last : d);
}

/* Whole months from a to b (micros), b >= a, as Flink's DateTimeUtils.subtractMonths: a month
 * counts once adding it to a's date (clamped) reaches b's date, and the time of day breaks a tie
 * (2024-01-31 -> 2024-02-29 is one month). */
static int64_t months_between(int64_t a, int64_t b)
{
    int64_t da = sl_floor_div(a, SL_MICROS_PER_DAY), db = sl_floor_div(b, SL_MICROS_PER_DAY);
    int64_t ta = a - da * SL_MICROS_PER_DAY, tb = b - db * SL_MICROS_PER_DAY;
    int64_t m = (db - da) / 31;
    while (add_months(da, m) < db && add_months(da, m + 1) <= db) m++;
    if (add_months(da, m) == db && tb < ta) m--;
    return m;
}

static int unit_index(const char *u)
{
    static const struct {
        const char *name;
        int k;
    } names[] = {{"YEAR", 0},   {"QUARTER", 1},     {"MONTH", 2},      {"WEEK", 3},   {"DOY", 4},          {"DAYOFYEAR", 4},
                 {"DAY", 5},    {"DAYOFMONTH", 5},  {"DOW", 6},        {"DAYOFWEEK", 6}, {"HOUR", 7},      {"MINUTE", 8},
                 {"SECOND", 9}, {"MILLISECOND", 10}, {"MICROSECOND", 11}, {"EPOCH", 12}, {"FRAC_SECOND", 10}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcasecmp(u, names[k].name) == 0) return names[k].k;
    return -1;
}

/* TIMESTAMPADD(unit, n, t): k = unit */
static int f_timestampadd(sl_expr *e, const ins *x)
{
    int64_t n = A(1)->i, t = A(2)->i;
    vclass c = vc_of(x->at[2]);
    int64_t us = c == VC_DATE ? t * SL_MICROS_PER_DAY : t, r;
    switch (x->k) {
    case 0:
    case 1:
    case 2: {
        int64_t months = x->k == 0 ? n * 12 : x->k == 1 ? n * 3 : n;
        int64_t days = sl_floor_div(us, SL_MICROS_PER_DAY), tod = us - days * SL_MICROS_PER_DAY;
        r = add_months(days, months) * SL_MICROS_PER_DAY + tod;
        break;
    }
    case 3: r = us + n * 7 * SL_MICROS_PER_DAY; break;
    case 5: r = us + n * SL_MICROS_PER_DAY; break;
    case 7: r = us + n * 3600000000LL; break;
    case 8: r = us + n * 60000000LL; break;
    case 9: r = us + n * 1000000LL; break;
    case 10: r = us + n * 1000LL; break;
    default: r = us + n; break;
    }
    D(e, x)->i = vc_of(x->t) == VC_DATE ? sl_floor_div(r, SL_MICROS_PER_DAY) : r;
    return 0;
}

/* TIMESTAMPDIFF(unit, a, b) = b - a in whole units */
static int f_timestampdiff(sl_expr *e, const ins *x)
{
    int64_t a = wall_micros(e, A(1), x->at[1]), b = wall_micros(e, A(2), x->at[2]), r;
    switch (x->k) {
    case 0:
    case 1:
    case 2: {
        int64_t months = b >= a ? months_between(a, b) : -months_between(b, a);
        r = x->k == 0 ? months / 12 : x->k == 1 ? months / 3 : months;
        break;
    }
    case 3: r = (b - a) / (7 * SL_MICROS_PER_DAY); break;
    case 5: r = (b - a) / SL_MICROS_PER_DAY; break;
    case 7: r = (b - a) / 3600000000LL; break;
    case 8: r = (b - a) / 60000000LL; break;
    case 9: r = (b - a) / 1000000LL; break;
    case 10: r = (b - a) / 1000LL; break;
    default: r = b - a; break;
    }
    D(e, x)->i = wrap_int(r, x->t->id);
    return 0;
}

static int f_nullif(sl_expr *e, const ins *x)
{
    const sl_val *a = A(0), *b = A(1);
    if (!a->null && !b->null && cmp_test(a, b, (vclass)x->k, 0)) R(x->dst)->null = true;
    else *R(x->dst) = *a;
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static const sql_type *str_type(sl_expr *e) { return sql_type_make(e->types, SQL_T_VARCHAR, true, SQL_MAX_LENGTH, -1); }
static const sql_type *int_type(sl_expr *e) { return sql_type_make(e->types, SQL_T_INT, true, -1, -1); }
static const sql_type *bigint_type(sl_expr *e) { return sql_type_make(e->types, SQL_T_BIGINT, true, -1, -1); }
static const sql_type *dbl_type(sl_expr *e) { return sql_type_make(e->types, SQL_T_DOUBLE, true, -1, -1); }

static bool is_symbol(sl_expr *e, int reg, const char **text)
{
    if (!e->rconst[reg] || vc_of(e->rtype[reg]) != VC_STR || e->reg[reg].null) return false;
    *text = e->reg[reg].s.p;
    return true;
}

static int simple(sl_expr *e, op_fn fn, int dst, const sql_type *t, int *args, int n, int64_t k, const char *text)
{
    int pc = emit(e, fn, dst, t, n, args, true);
    e->code[pc].k = k;
    e->code[pc].name = text;
    return 0;
}

#define IS(s) (strcasecmp(name, s) == 0)

int sl_expr_gen_function(sl_expr *e, const char *name, int *args, int n, int dst, const sql_type *t, const char *text)
{
    /* string arguments are read as strings whatever their declared type (Flink casts implicitly) */
    if (IS("||") || IS("CONCAT")) {
        for (int k = 0; k < n; k++) args[k] = coerce(e, args[k], str_type(e));
        return simple(e, f_concat, dst, t, args, n, 0, text);
    }
    if (IS("CONCAT_WS")) {
        for (int k = 0; k < n; k++) args[k] = coerce(e, args[k], str_type(e));
        int pc = emit(e, f_concat_ws, dst, t, n, args, false);
        e->code[pc].name = text;
        return 0;
    }
    if (IS("UPPER") || IS("LOWER")) return simple(e, f_case, dst, t, args, n, IS("UPPER"), text);
    if (IS("CHAR_LENGTH") || IS("CHARACTER_LENGTH")) return simple(e, f_char_length, dst, t, args, n, 0, text);
    if (IS("LTRIM") || IS("RTRIM")) return simple(e, f_trim, dst, t, args + n - 1, 1, IS("LTRIM") ? 1 : 2, text);
    if (IS("TRIM")) {
        /* TRIM([BOTH|LEADING|TRAILING] [chars] FROM s): a leading symbol is the mode */
        const char *mode;
        int k = 0, first = 0;
        if (n > 1 && is_symbol(e, args[0], &mode) && (strcasecmp(mode, "BOTH") == 0 || strcasecmp(mode, "LEADING") == 0 ||
                                                       strcasecmp(mode, "TRAILING") == 0)) {
            k = strcasecmp(mode, "LEADING") == 0 ? 1 : strcasecmp(mode, "TRAILING") == 0 ? 2 : 0;
            first = 1;
        }
        return simple(e, f_trim, dst, t, args + first, n - first, k, text);
    }
    if (IS("SUBSTRING") || IS("SUBSTR")) {
        for (int k = 1; k < n; k++) args[k] = coerce(e, args[k], bigint_type(e));
        return simple(e, f_substring, dst, t, args, n, 0, text);
    }
    if (IS("LEFT") || IS("RIGHT")) {
        args[1] = coerce(e, args[1], bigint_type(e));
        return simple(e, f_left_right, dst, t, args, n, IS("RIGHT"), text);
    }
    if (IS("REPLACE")) return simple(e, f_replace, dst, t, args, n, 0, text);
    if (IS("POSITION")) return simple(e, f_position, dst, t, args, n, 0, text);
    if (IS("LPAD") || IS("RPAD")) {
        args[1] = coerce(e, args[1], bigint_type(e));
        return simple(e, f_pad, dst, t, args, n, IS("RPAD"), text);
    }
    if (IS("SPLIT_INDEX")) {
        args[2] = coerce(e, args[2], bigint_type(e));
        return simple(e, f_split_index, dst, t, args, n, 0, text);
    }
    if (IS("HASH_CODE")) {
        args[0] = coerce(e, args[0], str_type(e));
        return simple(e, f_hash_code, dst, t, args, n, 0, text);
    }
    if (IS("LIKE") || IS("NOT LIKE")) return simple(e, f_like, dst, t, args, n, IS("NOT LIKE"), text);
    if (IS("REGEXP_EXTRACT") || IS("REGEXP_REPLACE")) {
        if (n > 2 && IS("REGEXP_EXTRACT")) args[2] = coerce(e, args[2], bigint_type(e));
        int pc = emit(e, IS("REGEXP_EXTRACT") ? f_regexp_extract : f_regexp_replace, dst, t, n, args, true);
        e->code[pc].name = text;
        if (e->rconst[args[1]] && !e->reg[args[1]].null) {
            rx *r = calloc(1, sizeof *r);
            r->ok = rx_compile(&r->re, e->reg[args[1]].s.p, e->reg[args[1]].s.n);
            if (!r->ok) {
                free(r);
                return compile_error(e, SL_ERR_INVALID, "%s: invalid regular expression '%.*s'", name, (int)e->reg[args[1]].s.n,
                                     e->reg[args[1]].s.p);
            }
            e->code[pc].data = r;
            e->code[pc].cleanup = rx_free;
        }
        return 0;
    }
    if (IS("NULLIF")) {
        const sql_type *ct = sql_type_common(e->types, e->rtype[args[0]], e->rtype[args[1]]);
        if (!ct) ct = e->rtype[args[0]];
        args[0] = coerce(e, args[0], ct);
        args[1] = coerce(e, args[1], ct);
        int pc = emit(e, f_nullif, dst, t, 2, args, false);
        e->code[pc].k = vc_of(ct);
        return 0;
    }
    /* numbers */
    if (IS("ABS")) {
        args[0] = coerce(e, args[0], t);
        return simple(e, f_abs, dst, t, args, n, 0, text);
    }
    if (IS("SQRT") || IS("LN") || IS("LOG10") || IS("EXP")) {
        args[0] = coerce(e, args[0], dbl_type(e));
        return simple(e, f_math1, dst, t, args, n, IS("SQRT") ? 0 : IS("LN") ? 1 : IS("LOG10") ? 2 : 3, text);
    }
    if (IS("POWER")) {
        args[0] = coerce(e, args[0], dbl_type(e));
        args[1] = coerce(e, args[1], dbl_type(e));
        return simple(e, f_power, dst, t, args, n, 0, text);
    }
    if (IS("FLOOR") || IS("CEIL") || IS("CEILING")) {
        if (n != 1) return compile_error(e, SL_ERR_UNSUPPORTED, "%s(x TO unit) is not supported by the Sluice runtime yet", name);
        return simple(e, f_floor_ceil, dst, t, args, n, !IS("FLOOR"), text);
    }
    if (IS("ROUND") || IS("TRUNCATE")) {
        if (n > 1) args[1] = coerce(e, args[1], int_type(e));
        return simple(e, f_round, dst, t, args, n, IS("TRUNCATE"), text);
    }
    if (IS("RAND")) {
        int pc = emit(e, f_rand, dst, t, 0, NULL, false);
        uint64_t *st = malloc(sizeof *st);
        uint64_t seed = e->env.rand_seed;
        if (n == 1 && e->rconst[args[0]] && !e->reg[args[0]].null) seed = (uint64_t)e->reg[args[0]].i;
        *st = (seed ^ 0x9E3779B97F4A7C15ULL) | 1;
        e->code[pc].data = st;
        e->code[pc].cleanup = free;
        return 0;
    }
    /* time */
    if (IS("PROCTIME") || IS("NOW") || IS("CURRENT_TIMESTAMP") || IS("LOCALTIMESTAMP") || IS("CURRENT_DATE"))
        return simple(e, f_now, dst, t, args, 0, IS("CURRENT_DATE") ? 2 : IS("LOCALTIMESTAMP") ? 1 : 0, text);
    if (IS("EXTRACT")) {
        const char *unit;
        int k;
        if (n != 2 || !is_symbol(e, args[0], &unit) || (k = unit_index(unit)) < 0)
            return compile_error(e, SL_ERR_UNSUPPORTED, "EXTRACT: unsupported time unit");
        return simple(e, f_extract, dst, t, args + 1, 1, k, text);
    }
    if (IS("YEAR") || IS("QUARTER") || IS("MONTH") || IS("WEEK") || IS("DAYOFYEAR") || IS("DAYOFMONTH") || IS("DAYOFWEEK") ||
        IS("HOUR") || IS("MINUTE") || IS("SECOND"))
        return simple(e, f_extract, dst, t, args, n, unit_index(name), text);
    if (IS("DATE_FORMAT")) return simple(e, f_date_format, dst, t, args, n, 0, text);
    if (IS("TO_TIMESTAMP") || IS("TO_DATE")) return simple(e, f_to_timestamp, dst, t, args, n, IS("TO_DATE"), text);
    if (IS("TO_TIMESTAMP_LTZ")) {
        if (n > 1) args[1] = coerce(e, args[1], bigint_type(e));
        return simple(e, f_to_timestamp_ltz, dst, t, args, n, 0, text);
    }
    if (IS("FROM_UNIXTIME")) {
        args[0] = coerce(e, args[0], bigint_type(e));
        return simple(e, f_from_unixtime, dst, t, args, n, 0, text);
    }
    if (IS("UNIX_TIMESTAMP")) return simple(e, f_unix_timestamp, dst, t, args, n, 0, text);
    if (IS("TIMESTAMPADD") || IS("TIMESTAMPDIFF")) {
        const char *unit;
        int k;
        if (n != 3 || !is_symbol(e, args[0], &unit) || (k = unit_index(unit)) < 0 || k == 4 || k == 6 || k == 12)
            return compile_error(e, SL_ERR_UNSUPPORTED, "%s: unsupported time unit", name);
        if (IS("TIMESTAMPADD")) args[1] = coerce(e, args[1], bigint_type(e));
        return simple(e, IS("TIMESTAMPADD") ? f_timestampadd : f_timestampdiff, dst, t, args, n, k, text);
    }
    return compile_error(e, SL_ERR_UNSUPPORTED,
                         "function %s is not supported by the Sluice runtime yet (it type-checks, but cannot run)", name);
}
