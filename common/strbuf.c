#include "common/strbuf.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "common/mem.h"

static void reserve(sl_strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) return;
    size_t ncap = sb->cap ? sb->cap * 2 : 64;
    while (ncap < need) ncap *= 2;
    sb->buf = sl_xrealloc(sb->buf, ncap);
    sb->cap = ncap;
}

void sl_strbuf_append(sl_strbuf *sb, const char *data, size_t n)
{
    reserve(sb, n);
    if (n) memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void sl_strbuf_puts(sl_strbuf *sb, const char *s) { sl_strbuf_append(sb, s, strlen(s)); }

void sl_strbuf_putc(sl_strbuf *sb, char c) { sl_strbuf_append(sb, &c, 1); }

void sl_strbuf_vprintf(sl_strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) return;
    reserve(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sl_strbuf_printf(sl_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void sl_strbuf_reset(sl_strbuf *sb)
{
    sb->len = 0;
    if (sb->buf) sb->buf[0] = '\0';
}

const char *sl_strbuf_cstr(const sl_strbuf *sb) { return sb->buf ? sb->buf : ""; }

char *sl_strbuf_detach(sl_strbuf *sb)
{
    char *s = sb->buf ? sb->buf : sl_xstrdup("");
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void sl_strbuf_free(sl_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}
