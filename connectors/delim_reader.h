/* connectors/delim_reader.h — splits a byte stream (file, socket) into delimited records with one
 * reusable buffer: no allocation per record; the buffer grows only for a record longer than it. */
#ifndef SLUICE_CONNECTORS_DELIM_READER_H
#define SLUICE_CONNECTORS_DELIM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_delim_reader {
    int fd;
    char delim;
    char *buf;
    size_t cap, start, end;
    bool eof;
    int err;          /* errno of a failed read, 0 if none */
    uint64_t records; /* records returned so far (the current one's number, from 1) */
} sl_delim_reader;

void sl_delim_reader_init(sl_delim_reader *r, int fd, char delim, size_t cap);
void sl_delim_reader_free(sl_delim_reader *r);

typedef enum sl_delim_result { SL_DELIM_RECORD, SL_DELIM_NEED_DATA, SL_DELIM_EOF, SL_DELIM_ERROR } sl_delim_result;

/* The next complete record (without its delimiter, and without a trailing '\r' when the delimiter
 * is '\n'), valid until the next call. NEED_DATA: call sl_delim_reader_fill first (a socket: when
 * it is readable). At end of stream, a last record without delimiter is returned, then EOF. */
sl_delim_result sl_delim_reader_next(sl_delim_reader *r, const char **rec, size_t *len);
/* Reads once from the fd (blocking unless the fd is non-blocking). Returns false at end of stream
 * or on an error (r->err). */
bool sl_delim_reader_fill(sl_delim_reader *r);

#endif
