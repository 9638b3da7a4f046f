/* connectors/delim_reader.c — see delim_reader.h. */
#include "connectors/delim_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"

void sl_delim_reader_init(sl_delim_reader *r, int fd, char delim, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->delim = delim;
    r->cap = cap ? cap : 1u << 20;
    r->buf = sl_xmalloc(r->cap);
}

void sl_delim_reader_free(sl_delim_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

sl_delim_result sl_delim_reader_next(sl_delim_reader *r, const char **rec, size_t *len)
{
    char *p = r->start < r->end ? memchr(r->buf + r->start, r->delim, r->end - r->start) : NULL;
    size_t n;
    if (p) {
        n = (size_t)(p - (r->buf + r->start));
    } else if (r->eof) {
        if (r->start >= r->end) return r->err ? SL_DELIM_ERROR : SL_DELIM_EOF;
        n = r->end - r->start;
    } else {
        return SL_DELIM_NEED_DATA;
    }
    *rec = r->buf + r->start;
    r->start += n + (p ? 1 : 0);
    if (r->delim == '\n' && n && (*rec)[n - 1] == '\r') n--;
    *len = n;
    r->records++;
    return SL_DELIM_RECORD;
}

bool sl_delim_reader_fill(sl_delim_reader *r)
{
    if (r->eof) return false;
    if (r->start > 0) { /* move the partial record to the front */
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap) { /* one record longer than the buffer */
        r->cap *= 2;
        r->buf = sl_xrealloc(r->buf, r->cap);
    }
    for (;;) {
        ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (got > 0) {
            r->end += (size_t)got;
            return true;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (got < 0) r->err = errno;
        r->eof = true;
        return false;
    }
}
