#include "common/error.h"

#include <stdarg.h>
#include <string.h>

void sl_error_clear(sl_error *err)
{
    if (!err) return;
    err->code = SL_OK;
    err->message[0] = err->detail[0] = err->hint[0] = err->source[0] = '\0';
    err->line = err->col = 0;
    err->offset = -1;
    err->length = 0;
}

sl_status sl_error_set(sl_error *err, sl_status code, const char *fmt, ...)
{
    if (!err) return code;
    sl_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_detail(sl_error *err, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

void sl_error_hint(sl_error *err, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void sl_error_at(sl_error *err, const char *source, int line, int col)
{
    if (!err) return;
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    err->line = line;
    err->col = col;
}

void sl_error_at_offset(sl_error *err, const char *source, int64_t offset, int64_t length)
{
    if (!err) return;
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    err->offset = offset;
    err->length = length;
}

void sl_source_locate(const char *text, size_t len, int64_t offset, int *line, int *col)
{
    int l = 1, c = 1;
    if (offset < 0) offset = 0;
    for (size_t i = 0; i < len && (int64_t)i < offset; i++) {
        if (text[i] == '\n') { l++; c = 1; } else { c++; }
    }
    *line = l;
    *col = c;
}

const char *sl_status_name(sl_status code)
{
    switch (code) {
    case SL_OK: return "ok";
    case SL_ERR_INVALID: return "invalid input";
    case SL_ERR_SYNTAX: return "syntax error";
    case SL_ERR_VALIDATION: return "validation error";
    case SL_ERR_CONFIG: return "configuration error";
    case SL_ERR_NOT_FOUND: return "not found";
    case SL_ERR_EXISTS: return "already exists";
    case SL_ERR_UNSUPPORTED: return "not supported";
    case SL_ERR_IO: return "i/o error";
    case SL_ERR_STATE: return "state error";
    case SL_ERR_KAFKA: return "kafka error";
    case SL_ERR_RUNTIME: return "runtime error";
    case SL_ERR_INTERNAL: return "internal error";
    }
    return "error";
}

/* Prints the source line containing `line` with a caret under [col, col+span). */
static void print_excerpt(FILE *out, const char *text, size_t len, int line, int col, int64_t span)
{
    const char *p = text, *end = text + len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n') l++;
    if (p >= end && line > 1) return;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    int linelen = (int)(eol - p);
    if (linelen > 0 && p[linelen - 1] == '\r') linelen--;
    fprintf(out, "%5d | %.*s\n      | ", line, linelen, p);
    for (int i = 1; i < col && i <= linelen; i++) fputc(p[i - 1] == '\t' ? '\t' : ' ', out);
    fputc('^', out);
    int64_t rest = span > 1 ? span - 1 : 0;
    for (int64_t i = 0; i < rest && col + 1 + i <= linelen; i++) fputc('~', out);
    fputc('\n', out);
}

void sl_error_print(FILE *out, const sl_error *err, const char *text, size_t len)
{
    int line = err->line, col = err->col;
    if (err->offset >= 0 && text && line == 0) sl_source_locate(text, len, err->offset, &line, &col);
    if (err->source[0]) {
        fputs(err->source, out);
        if (line > 0) fprintf(out, ":%d", line);
        if (line > 0 && col > 0) fprintf(out, ":%d", col);
        fputs(": ", out);
    }
    fprintf(out, "error: %s\n", err->message);
    if (text && line > 0 && col > 0) print_excerpt(out, text, len, line, col, err->length);
    if (err->detail[0]) fprintf(out, "detail: %s\n", err->detail);
    if (err->hint[0]) fprintf(out, "hint: %s\n", err->hint);
}
