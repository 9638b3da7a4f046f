/* runtime/temporal.c — see temporal.h. The civil-date conversions are the classic
 * days-from-civil algorithm over 400-year eras. */
#include "runtime/temporal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/strbuf.h"

int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

void sl_format_date(sl_strbuf *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    /* java.time: four digits at least, a sign for years before 0 and after 9999 */
    if (y < 0) sl_strbuf_printf(out, "-%04lld-%02u-%02u", -(long long)y, m, d);
    else if (y > 9999) sl_strbuf_printf(out, "+%lld-%02u-%02u", (long long)y, m, d);
    else sl_strbuf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void fraction(sl_strbuf *out, int64_t micros_of_second, int precision)
{
    if (precision <= 0) return;
    if (precision > 6) precision = 6;
    char digits[8];
    snprintf(digits, sizeof digits, "%06lld", (long long)micros_of_second);
    sl_strbuf_putc(out, '.');
    sl_strbuf_append(out, digits, (size_t)precision);
}

void sl_format_time(sl_strbuf *out, int64_t millis, int precision)
{
    millis = sl_floor_mod(millis, 86400000);
    sl_strbuf_printf(out, "%02lld:%02lld:%02lld", (long long)(millis / 3600000), (long long)(millis / 60000 % 60),
                     (long long)(millis / 1000 % 60));
    fraction(out, (millis % 1000) * 1000, precision > 3 ? 3 : precision);
}

void sl_format_timestamp(sl_strbuf *out, int64_t micros, int precision, char sep)
{
    int64_t days = sl_floor_div(micros, SL_MICROS_PER_DAY);
    int64_t rest = micros - days * SL_MICROS_PER_DAY;
    sl_format_date(out, days);
    int64_t secs = rest / 1000000;
    sl_strbuf_printf(out, "%c%02lld:%02lld:%02lld", sep, (long long)(secs / 3600), (long long)(secs / 60 % 60),
                     (long long)(secs % 60));
    fraction(out, rest % 1000000, precision);
}

/* ---- parsing -------------------------------------------------------------------------------- */

static bool digits(const char **p, const char *end, int min, int max, int64_t *v)
{
    int n = 0;
    int64_t x = 0;
    while (*p < end && n < max && isdigit((unsigned char)**p)) {
        x = x * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *v = x;
    return n >= min;
}

static bool lit(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

static bool date_part(const char **p, const char *end, int64_t *days)
{
    int64_t y, m, d;
    bool neg = lit(p, end, '-');
    if (!digits(p, end, 4, 9, &y) || !lit(p, end, '-') || !digits(p, end, 1, 2, &m) || !lit(p, end, '-') ||
        !digits(p, end, 1, 2, &d))
        return false;
    if (neg) y = -y;
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) return false;
    *days = sl_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* HH:mm[:ss[.f{1,9}]] → microseconds of day */
static bool time_part(const char **p, const char *end, int64_t *micros)
{
    int64_t h, mi, s = 0, frac = 0;
    if (!digits(p, end, 1, 2, &h) || !lit(p, end, ':') || !digits(p, end, 2, 2, &mi)) return false;
    if (lit(p, end, ':')) {
        if (!digits(p, end, 2, 2, &s)) return false;
        if (lit(p, end, '.')) {
            int n = 0;
            while (*p < end && isdigit((unsigned char)**p)) {
                if (n < 6) frac = frac * 10 + (**p - '0');
                n++;
                (*p)++;
            }
            if (n == 0) return false;
            for (; n < 6; n++) frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || s > 59) return false;
    *micros = ((h * 60 + mi) * 60 + s) * 1000000 + frac;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

bool sl_parse_date(const char *s, size_t n, int64_t *days)
{
    trim(&s, &n);
    const char *p = s, *end = s + n;
    return date_part(&p, end, days) && p == end;
}

bool sl_parse_time(const char *s, size_t n, int64_t *millis)
{
    trim(&s, &n);
    const char *p = s, *end = s + n;
    int64_t us;
    if (!time_part(&p, end, &us) || p != end) return false;
    *millis = us / 1000;
    return true;
}

bool sl_parse_timestamp(const char *s, size_t n, int64_t *micros, bool *has_zone)
{
    trim(&s, &n);
    const char *p = s, *end = s + n;
    int64_t days, us = 0;
    *has_zone = false;
    if (!date_part(&p, end, &days)) return false;
    if (p < end && (*p == ' ' || *p == 'T')) {
        p++;
        if (!time_part(&p, end, &us)) return false;
    }
    int64_t v = days * SL_MICROS_PER_DAY + us;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
        *has_zone = true;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p == '-' ? -1 : 1;
        p++;
        int64_t oh, om = 0;
        if (!digits(&p, end, 2, 2, &oh)) return false;
        if (lit(&p, end, ':') || (p < end && isdigit((unsigned char)*p)))
            if (!digits(&p, end, 2, 2, &om)) return false;
        if (oh > 18 || om > 59) return false; /* Java's ZoneOffset: at most +-18:00 */
        v -= sign * (oh * 3600 + om * 60) * 1000000;
        *has_zone = true;
    }
    if (p != end) return false;
    *micros = v;
    return true;
}

bool sl_zone_offset(const char *zone, int64_t epoch_seconds, int32_t *offset_seconds)
{
    if (!zone || !*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0 || strcmp(zone, "GMT") == 0) {
        *offset_seconds = 0;
        return true;
    }
    const char *p = zone;
    if (strncmp(p, "GMT", 3) == 0 || strncmp(p, "UTC", 3) == 0) p += 3;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        const char *q = p + 1, *end = zone + strlen(zone);
        int64_t h, m = 0;
        if (!digits(&q, end, 1, 2, &h)) return false;
        if (lit(&q, end, ':') && !digits(&q, end, 2, 2, &m)) return false;
        if (q != end || h > 18 || m > 59) return false;
        *offset_seconds = (int32_t)(sign * (h * 3600 + m * 60));
        return true;
    }
    /* IANA names: read through the C library's tz database. TZ is process-wide, so this is only
     * called while a job is being set up (one thread), never from a running task. */
    char path[512];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (strstr(zone, "..") || access(path, R_OK) != 0) return false;
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", zone, 1);
    tzset();
    time_t t = (time_t)epoch_seconds;
    struct tm tm;
    localtime_r(&t, &tm);
    *offset_seconds = (int32_t)tm.tm_gmtoff;
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else
        unsetenv("TZ");
    tzset();
    return true;
}
