/* common/strbuf.h — a growable, always NUL-terminated byte string. */
#ifndef SLUICE_COMMON_STRBUF_H
#define SLUICE_COMMON_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sl_strbuf {
    char *buf;  /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} sl_strbuf;

#define SL_STRBUF_INIT {NULL, 0, 0}

void sl_strbuf_append(sl_strbuf *sb, const char *data, size_t n);
void sl_strbuf_puts(sl_strbuf *sb, const char *s);
void sl_strbuf_putc(sl_strbuf *sb, char c);
void sl_strbuf_printf(sl_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_strbuf_vprintf(sl_strbuf *sb, const char *fmt, va_list ap);
/* Empties the string, keeping the allocation. */
void sl_strbuf_reset(sl_strbuf *sb);
/* Returns the string ("" if empty); valid until the next change. */
const char *sl_strbuf_cstr(const sl_strbuf *sb);
/* Hands the heap string to the caller (free() it) and resets sb. */
char *sl_strbuf_detach(sl_strbuf *sb);
void sl_strbuf_free(sl_strbuf *sb);

#endif
