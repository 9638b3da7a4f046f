/* common/error.h — status codes and the error object used by every module.
 *
 * Style follows PostgreSQL's message guide: a short primary message (no trailing period),
 * an optional detail (facts) and hint (what to do), and where it happened: a source name
 * (file path, "-D", "SET", a topic/partition/offset string) with line/column or a byte
 * offset into the source text. Errors are rendered late, by sl_error_print(), so code that
 * only knows a byte offset does not need to compute line numbers.
 *
 * The object has fixed-size buffers: raising an error never allocates, so it works on the
 * out-of-memory path too. Messages longer than the buffers are truncated.
 */
#ifndef SLUICE_COMMON_ERROR_H
#define SLUICE_COMMON_ERROR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum sl_status {
    SL_OK = 0,
    SL_ERR_INVALID,     /* invalid input: a value, an argument, a record */
    SL_ERR_SYNTAX,      /* syntax error in SQL or YAML */
    SL_ERR_VALIDATION,  /* semantically wrong SQL or configuration */
    SL_ERR_CONFIG,      /* configuration conflict (e.g. memory sizes that do not add up) */
    SL_ERR_NOT_FOUND,   /* a named object (table, key, file, topic) does not exist */
    SL_ERR_EXISTS,      /* a named object already exists */
    SL_ERR_UNSUPPORTED, /* valid Flink input that Sluice does not support (yet) */
    SL_ERR_IO,          /* file system or socket error */
    SL_ERR_STATE,       /* state backend error */
    SL_ERR_KAFKA,       /* Kafka client or broker error */
    SL_ERR_RUNTIME,     /* a job failed while running */
    SL_ERR_INTERNAL     /* a bug in Sluice */
} sl_status;

#define SL_ERROR_MSG_MAX 1024
#define SL_ERROR_AUX_MAX 512
#define SL_ERROR_SRC_MAX 256

typedef struct sl_error {
    sl_status code;
    char message[SL_ERROR_MSG_MAX];
    char detail[SL_ERROR_AUX_MAX];
    char hint[SL_ERROR_AUX_MAX];
    char source[SL_ERROR_SRC_MAX]; /* file path or other origin; empty if none */
    int line;                      /* 1-based; 0 if unknown */
    int col;                       /* 1-based; 0 if unknown */
    int64_t offset;                /* byte offset into the source text; -1 if unknown */
    int64_t length;                /* length of the offending span in bytes; 0 if unknown */
} sl_error;

/* Resets *err to "no error". */
void sl_error_clear(sl_error *err);

/* Sets code and primary message (printf-style), clearing detail, hint and location.
 * Returns code, so callers can write `return sl_error_set(err, SL_ERR_IO, "...")`.
 * err may be NULL (the error is then discarded). */
sl_status sl_error_set(sl_error *err, sl_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sl_error_detail(sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_error_hint(sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Location by line/column (either may be 0). */
void sl_error_at(sl_error *err, const char *source, int line, int col);
/* Location by byte span in a source text; line/col are computed at print time. */
void sl_error_at_offset(sl_error *err, const char *source, int64_t offset, int64_t length);

/* Computes the 1-based line and column of byte `offset` in text[0..len). */
void sl_source_locate(const char *text, size_t len, int64_t offset, int *line, int *col);

/* Short lowercase name of a status, e.g. "syntax error". */
const char *sl_status_name(sl_status code);

/* Renders the error:
 *   source:line:col: error: message
 *     12 | SELECT nme FROM t
 *        |        ^~~
 *   detail: ...
 *   hint: ...
 * text/len is the source text the location refers to (may be NULL: no excerpt). */
void sl_error_print(FILE *out, const sl_error *err, const char *text, size_t len);

#endif
