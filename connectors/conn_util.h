/* connectors/conn_util.h — what connectors share:
 *   sinks: rows of the query's type become rows of the table's physical columns (INSERT's
 *          implicit casts, e.g. INT into BIGINT);
 *   sources: a record's bytes go through the format into rows handed downstream, with skipped
 *          records counted. */
#ifndef SLUICE_CONNECTORS_CONN_UTIL_H
#define SLUICE_CONNECTORS_CONN_UTIL_H

#include "common/arena.h"
#include "common/error.h"
#include "runtime/row.h"
#include "sql/types.h"

typedef struct sl_sink_conv {
    const sql_type *in, *out;
    bool *cast;       /* per field: needs a CAST */
    bool any;
    sl_row_writer w;
    sl_arena *scratch;
    int32_t ltz_offset;
} sl_sink_conv;

sl_status sl_sink_conv_init(sl_sink_conv *c, const sql_type *in, const sql_type *out, int32_t ltz_offset, sl_error *err);
/* The row in the table's types (the input row itself when no field needs a cast). */
const uint8_t *sl_sink_conv_row(sl_sink_conv *c, const uint8_t *row, sl_error *err);
void sl_sink_conv_free(sl_sink_conv *c);

struct sl_format;
struct sl_operator;
/* Decodes one record with f and emits its rows from op. A malformed record is SL_ERR_INVALID with
 * the format's reason (the caller adds where: file:line, socket record n); records skipped by
 * ignore-parse-errors are counted as dropped. */
/* The format's ignore-parse-errors option key ("json.ignore-parse-errors"), or "" if it has none. */
void sl_conn_ignore_key(const char *format, char *buf, size_t n);
sl_status sl_source_decode(struct sl_operator *op, struct sl_format *f, const char *rec, size_t len, sl_error *err);

#endif
