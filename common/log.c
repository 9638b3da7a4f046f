#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "common/config.h"

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


sl_status sl_logger_open(const struct sl_config *cfg, const char *daemon_name, sl_logger *lg, sl_error *err)
{
    sl_log_level level = SL_LOG_INFO;
    sl_log_level_parse(sl_config_get_enum(cfg, "log.level"), &level);
    *lg = sl_logger_make(level, NULL);
    const char *dir = sl_config_get_string(cfg, "env.log.dir");
    if (!daemon_name || !dir || !dir[0]) return SL_OK;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        sl_error_set(err, SL_ERR_IO, "Cannot create log directory '%s': %s", dir, strerror(errno));
        sl_error_hint(err, "fix or unset env.log.dir");
        return SL_ERR_IO;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.log", dir, daemon_name);
    FILE *f = fopen(path, "a");
    if (!f) {
        sl_error_set(err, SL_ERR_IO, "Cannot open log file '%s': %s", path, strerror(errno));
        sl_error_hint(err, "fix or unset env.log.dir");
        return SL_ERR_IO;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    lg->out = f;
    return SL_OK;
}

void sl_logger_close(sl_logger *lg)
{
    if (lg->out && lg->out != stderr && lg->out != stdout) fclose(lg->out);
    lg->out = NULL;
}
