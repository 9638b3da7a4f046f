/* common/units.h — Flink's value syntax for configuration and table options.
 *
 * Memory sizes (Flink's MemorySize): an integer, optional whitespace, optional unit, base 1024,
 * case-insensitive: b|bytes, k|kb|kibibytes, m|mb|mebibytes, g|gb|gibibytes, t|tb|tebibytes;
 * no unit means bytes. "1728m", "4g", "64 mb", "1024". Fractions ("1.5g") are rejected, as in Flink.
 *
 * Durations (Flink's TimeUtils): an integer, optional whitespace, optional unit; no unit means
 * milliseconds. Units: d|day|days, h|hour|hours, min|m|minute|minutes, s|sec|secs|second|seconds,
 * ms|milli|millis|millisecond|milliseconds, us|µs|micro|micros|microsecond|microseconds,
 * ns|nano|nanos|nanosecond|nanoseconds. Sluice keeps durations in whole milliseconds
 * (sub-millisecond durations round down; a non-zero one that rounds to 0 is kept as 0 ms).
 *
 * Parsers return false and write a reason ("expected ...") into why[0..whylen) on bad input. */
#ifndef SLUICE_COMMON_UNITS_H
#define SLUICE_COMMON_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool sl_parse_memory(const char *s, uint64_t *bytes, char *why, size_t whylen);
bool sl_parse_duration_ms(const char *s, int64_t *ms, char *why, size_t whylen);
bool sl_parse_bool(const char *s, bool *out, char *why, size_t whylen);
bool sl_parse_long(const char *s, int64_t min, int64_t max, int64_t *out, char *why, size_t whylen);
bool sl_parse_double(const char *s, double *out, char *why, size_t whylen);

/* "1728 mb", "4 gb", "32 kb", "100 bytes": the largest unit that divides the value exactly. */
void sl_format_memory(uint64_t bytes, char *buf, size_t n);
/* Flink's human-readable form used in memory error messages: "128.000mb (134217728 bytes)". */
void sl_format_memory_human(uint64_t bytes, char *buf, size_t n);
/* "10 min", "30 s", "500 ms", "2 h", "1 d": the largest unit that divides the value exactly. */
void sl_format_duration(int64_t ms, char *buf, size_t n);

#endif
