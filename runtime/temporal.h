/* runtime/temporal.h — calendar arithmetic and the text forms of dates, times and timestamps
 * (proleptic Gregorian calendar, as Java's java.time and therefore Flink). */
#ifndef SLUICE_RUNTIME_TEMPORAL_H
#define SLUICE_RUNTIME_TEMPORAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_strbuf;

#define SL_MICROS_PER_DAY 86400000000LL

/* Days since 1970-01-01 of a civil date and back. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Floor division helpers for negative epochs. */
static inline int64_t sl_floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
static inline int64_t sl_floor_mod(int64_t a, int64_t b) { return a - sl_floor_div(a, b) * b; }

/* "2024-01-31" */
void sl_format_date(struct sl_strbuf *out, int64_t days);
/* "12:30:05" plus precision fractional digits (of milliseconds of day). */
void sl_format_time(struct sl_strbuf *out, int64_t millis, int precision);
/* "2024-01-31 12:30:05.123" with precision (0..6) fractional digits; sep is ' ' (SQL) or 'T'
 * (ISO-8601). */
void sl_format_timestamp(struct sl_strbuf *out, int64_t micros, int precision, char sep);

/* Parsers; return false on malformed input. Dates "yyyy-MM-dd"; times "HH:mm[:ss[.fff]]";
 * timestamps "yyyy-MM-dd[ |T]HH:mm[:ss[.f...]]" optionally followed by 'Z' or an offset
 * "+hh:mm" (then *has_zone is set and the value is converted to UTC), or a bare date. */
bool sl_parse_date(const char *s, size_t n, int64_t *days);
bool sl_parse_time(const char *s, size_t n, int64_t *millis);
bool sl_parse_timestamp(const char *s, size_t n, int64_t *micros, bool *has_zone);

/* Offset of a time zone from UTC at the given instant, in seconds. zone is "UTC", "Z",
 * "GMT+08:00", "+08:00" or an IANA name (looked up through the C library's tz database).
 * Returns false for a zone that cannot be resolved. */
bool sl_zone_offset(const char *zone, int64_t epoch_seconds, int32_t *offset_seconds);

#endif
