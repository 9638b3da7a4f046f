#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};

sl_logger sl_logger_make(sl_log_level level, FILE *out)
{
    sl_logger lg = {level, out, true};
    return lg;
}

bool sl_log_level_parse(const char *s, sl_log_level *out)
{
    for (int i = SL_LOG_TRACE; i <= SL_LOG_OFF; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (sl_log_level)i;
            return true;
        }
    }
    if (strcasecmp(s, "WARNING") == 0) {
        *out = SL_LOG_WARN;
        return true;
    }
    return false;
}

const char *sl_log_level_name(sl_log_level level)
{
    return (level >= SL_LOG_TRACE && level <= SL_LOG_OFF) ? names[level] : "?";
}

bool sl_log_enabled(const sl_logger *lg, sl_log_level level)
{
    sl_log_level min = lg ? lg->level : SL_LOG_WARN;
    return level >= min && level < SL_LOG_OFF;
}

void sl_vlog(const sl_logger *lg, sl_log_level level, const char *component, const char *fmt,
             va_list ap)
{
    if (!sl_log_enabled(lg, level)) return;
    FILE *out = (lg && lg->out) ? lg->out : stderr;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char ts[40] = "";
    if (!lg || lg->timestamps) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        localtime_r(&tv.tv_sec, &tm);
        size_t n = strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(ts + n, sizeof ts - n, ".%03d ", (int)(tv.tv_usec / 1000));
    }
    fprintf(out, "%s%-5s %-8s %s\n", ts, names[level], component ? component : "-", msg);
}

void sl_log(const sl_logger *lg, sl_log_level level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_vlog(lg, level, component, fmt, ap);
    va_end(ap);
}
