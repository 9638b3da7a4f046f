#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct unit {
    const char *name;
    uint64_t mult;
} unit;

static const unit mem_units[] = {
    {"", 1},
    {"b", 1},
    {"bytes", 1},
    {"k", 1024ULL},
    {"kb", 1024ULL},
    {"kibibytes", 1024ULL},
    {"m", 1024ULL * 1024},
    {"mb", 1024ULL * 1024},
    {"mebibytes", 1024ULL * 1024},
    {"g", 1024ULL * 1024 * 1024},
    {"gb", 1024ULL * 1024 * 1024},
    {"gibibytes", 1024ULL * 1024 * 1024},
    {"t", 1024ULL * 1024 * 1024 * 1024},
    {"tb", 1024ULL * 1024 * 1024 * 1024},
    {"tebibytes", 1024ULL * 1024 * 1024 * 1024},
};

/* Duration units as multiples of one nanosecond. */
static const unit dur_units[] = {
    {"", 1000000ULL},
    {"d", 86400000000000ULL},
    {"day", 86400000000000ULL},
    {"days", 86400000000000ULL},
    {"h", 3600000000000ULL},
    {"hour", 3600000000000ULL},
    {"hours", 3600000000000ULL},
    {"min", 60000000000ULL},
    {"m", 60000000000ULL},
    {"minute", 60000000000ULL},
    {"minutes", 60000000000ULL},
    {"s", 1000000000ULL},
    {"sec", 1000000000ULL},
    {"secs", 1000000000ULL},
    {"second", 1000000000ULL},
    {"seconds", 1000000000ULL},
    {"ms", 1000000ULL},
    {"milli", 1000000ULL},
    {"millis", 1000000ULL},
    {"millisecond", 1000000ULL},
    {"milliseconds", 1000000ULL},
    {"us", 1000ULL},
    {"\xc2\xb5s", 1000ULL},
    {"micro", 1000ULL},
    {"micros", 1000ULL},
    {"microsecond", 1000ULL},
    {"microseconds", 1000ULL},
    {"ns", 1ULL},
    {"nano", 1ULL},
    {"nanos", 1ULL},
    {"nanosecond", 1ULL},
    {"nanoseconds", 1ULL},
};

static void why_set(char *why, size_t whylen, const char *msg)
{
    if (why && whylen) snprintf(why, whylen, "%s", msg);
}

/* Splits "  123 unit  " into the digits and the unit (trimmed, lowercased into unitbuf).
 * Returns false if there is no leading integer or the unit is too long. */
static bool split_number_unit(const char *s, uint64_t *num, char *unitbuf, size_t unitlen, bool *overflow)
{
    *overflow = false;
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return false;
    uint64_t v = 0;
    while (isdigit((unsigned char)*s)) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) *overflow = true;
        else v = v * 10 + d;
        s++;
    }
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n >= unitlen) return false;
    for (size_t i = 0; i < n; i++) unitbuf[i] = (char)tolower((unsigned char)s[i]);
    unitbuf[n] = '\0';
    *num = v;
    return true;
}

static const unit *find_unit(const unit *units, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(units[i].name, name) == 0) return &units[i];
    return NULL;
}

bool sl_parse_memory(const char *s, uint64_t *bytes, char *why, size_t whylen)
{
    uint64_t num;
    char u[32];
    bool overflow;
    if (!split_number_unit(s, &num, u, sizeof u, &overflow)) {
        why_set(why, whylen, "expected a memory size: a whole number with an optional unit "
                             "(b, kb, mb, gb, tb), such as 1728m, 4g or 64 mb");
        return false;
    }
    const unit *un = find_unit(mem_units, sizeof mem_units / sizeof *mem_units, u);
    if (!un) {
        if (u[0] == '.' || u[0] == ',')
            why_set(why, whylen, "fractional memory sizes are not accepted; use a smaller unit "
                                 "(e.g. 1536m instead of 1.5g)");
        else
            why_set(why, whylen, "unknown memory unit; expected one of b, kb, mb, gb, tb "
                                 "(e.g. 1728m, 4g, 64 mb)");
        return false;
    }
    if (overflow || (un->mult > 1 && num > UINT64_MAX / un->mult) || num * un->mult > (uint64_t)INT64_MAX) {
        why_set(why, whylen, "memory size is too large (at most 9223372036854775807 bytes)");
        return false;
    }
    *bytes = num * un->mult;
    return true;
}

bool sl_parse_duration_ms(const char *s, int64_t *ms, char *why, size_t whylen)
{
    uint64_t num;
    char u[32];
    bool overflow;
    if (!split_number_unit(s, &num, u, sizeof u, &overflow)) {
        why_set(why, whylen, "expected a duration: a whole number with an optional unit "
                             "(ms, s, min, h, d), such as 10 min, 30s or 500 (milliseconds)");
        return false;
    }
    const unit *un = find_unit(dur_units, sizeof dur_units / sizeof *dur_units, u);
    if (!un) {
        why_set(why, whylen, "unknown time unit; expected one of ns, us, ms, s, min, h, d "
                             "(e.g. 10 min, 30 s, 500 ms)");
        return false;
    }
    /* Work in milliseconds to avoid overflowing nanoseconds for long durations. */
    uint64_t result;
    if (un->mult >= 1000000ULL) {
        uint64_t per_ms = un->mult / 1000000ULL;
        if (overflow || num > (uint64_t)INT64_MAX / per_ms) {
            why_set(why, whylen, "duration is too long");
            return false;
        }
        result = num * per_ms;
    } else {
        if (overflow) {
            why_set(why, whylen, "duration is too long");
            return false;
        }
        result = num / (1000000ULL / un->mult);
    }
    *ms = (int64_t)result;
    return true;
}

bool sl_parse_bool(const char *s, bool *out, char *why, size_t whylen)
{
    if (strcasecmp(s, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcasecmp(s, "false") == 0) {
        *out = false;
        return true;
    }
    why_set(why, whylen, "expected a boolean: true or false");
    return false;
}

bool sl_parse_long(const char *s, int64_t min, int64_t max, int64_t *out, char *why, size_t whylen)
{
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    while (end && isspace((unsigned char)*end)) end++;
    if (p[0] == '\0' || *end != '\0' || errno == ERANGE) {
        if (errno == ERANGE)
            snprintf(why, whylen, "expected a whole number between %" PRId64 " and %" PRId64, min, max);
        else
            why_set(why, whylen, "expected a whole number");
        return false;
    }
    if (v < min || v > max) {
        snprintf(why, whylen, "expected a whole number between %" PRId64 " and %" PRId64, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool sl_parse_double(const char *s, double *out, char *why, size_t whylen)
{
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    while (end && isspace((unsigned char)*end)) end++;
    if (p[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        why_set(why, whylen, "expected a number such as 0.4");
        return false;
    }
    *out = v;
    return true;
}

void sl_format_memory(uint64_t bytes, char *buf, size_t n)
{
    static const struct {
        const char *name;
        uint64_t mult;
    } units[] = {{"tb", 1ULL << 40}, {"gb", 1ULL << 30}, {"mb", 1ULL << 20}, {"kb", 1ULL << 10}};
    if (bytes == (uint64_t)INT64_MAX) {
        snprintf(buf, n, "%" PRIu64 " bytes", bytes);
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (bytes >= units[i].mult && bytes % units[i].mult == 0) {
            snprintf(buf, n, "%" PRIu64 " %s", bytes / units[i].mult, units[i].name);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64 " bytes", bytes);
}

void sl_format_memory_human(uint64_t bytes, char *buf, size_t n)
{
    static const struct {
        const char *name;
        uint64_t mult;
    } units[] = {{"tb", 1ULL << 40}, {"gb", 1ULL << 30}, {"mb", 1ULL << 20}, {"kb", 1ULL << 10}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (bytes >= units[i].mult) {
            snprintf(buf, n, "%.3f%s (%" PRIu64 " bytes)", (double)bytes / (double)units[i].mult,
                     units[i].name, bytes);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64 " bytes", bytes);
}

void sl_format_duration(int64_t ms, char *buf, size_t n)
{
    static const struct {
        const char *name;
        int64_t mult;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (ms != 0 && ms % units[i].mult == 0) {
            snprintf(buf, n, "%" PRId64 " %s", ms / units[i].mult, units[i].name);
            return;
        }
    }
    snprintf(buf, n, "%" PRId64 " ms", ms);
}
