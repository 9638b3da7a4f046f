/* common/log.h — leveled logging with timestamps and component names.
 *
 * There is no global logger: a daemon's main (or the CLI) creates one sl_logger and hands
 * a pointer to the components it starts. Lines look like
 *   2026-11-25 01:59:00.123 WARN  config  message
 * One fprintf per line, so lines from different threads never interleave. A NULL logger
 * pointer is allowed everywhere and means "log WARN and above to stderr". */
#ifndef SLUICE_COMMON_LOG_H
#define SLUICE_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

typedef enum sl_log_level {
    SL_LOG_TRACE = 0,
    SL_LOG_DEBUG,
    SL_LOG_INFO,
    SL_LOG_WARN,
    SL_LOG_ERROR,
    SL_LOG_OFF
} sl_log_level;

typedef struct sl_logger {
    sl_log_level level;
    FILE *out;       /* stderr if NULL */
    bool timestamps; /* prefix lines with local date and time */
} sl_logger;

/* A logger writing level and above to out (NULL = stderr), with timestamps. */
sl_logger sl_logger_make(sl_log_level level, FILE *out);
/* Parses a level name (case-insensitive: TRACE, DEBUG, INFO, WARN/WARNING, ERROR, OFF). */
bool sl_log_level_parse(const char *s, sl_log_level *out);
const char *sl_log_level_name(sl_log_level level);

bool sl_log_enabled(const sl_logger *lg, sl_log_level level);
void sl_log(const sl_logger *lg, sl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sl_vlog(const sl_logger *lg, sl_log_level level, const char *component, const char *fmt,
             va_list ap);

#define SL_TRACE(lg, comp, ...) sl_log((lg), SL_LOG_TRACE, (comp), __VA_ARGS__)
#define SL_DEBUG(lg, comp, ...) sl_log((lg), SL_LOG_DEBUG, (comp), __VA_ARGS__)
#define SL_INFO(lg, comp, ...) sl_log((lg), SL_LOG_INFO, (comp), __VA_ARGS__)
#define SL_WARN(lg, comp, ...) sl_log((lg), SL_LOG_WARN, (comp), __VA_ARGS__)
#define SL_ERROR(lg, comp, ...) sl_log((lg), SL_LOG_ERROR, (comp), __VA_ARGS__)


/* Opens a logger as configured: level from `log.level` (or its alias rootLogger.level);
 * daemons (daemon_name != NULL) write to `<env.log.dir>/<daemon_name>.log` when env.log.dir is
 * set, everything else to stderr. The caller closes lg->out with sl_logger_close(). */
struct sl_config;
sl_status sl_logger_open(const struct sl_config *cfg, const char *daemon_name, sl_logger *lg, sl_error *err);
void sl_logger_close(sl_logger *lg);

#endif
