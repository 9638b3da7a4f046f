/* connectors/formats/format.h — record formats: bytes <-> binary rows (runtime/row.h).
 *
 * A format instance is created once per source/sink subtask for one table and then used on that
 * subtask's thread only. Decoding and encoding reuse the instance's buffers: no allocation per
 * record in steady state.
 *
 * Formats and their Flink options (keys are given without and with the `value.` prefix the Kafka
 * connector uses; the caller strips `value.` before calling):
 *   json           json.ignore-parse-errors (false), json.fail-on-missing-field (false),
 *                  json.timestamp-format.standard (SQL | ISO-8601), json.encode.ignore-null-fields
 *                  (false), json.map-null-key.mode, json.map-null-key.literal,
 *                  json.encode.decimal-as-plain-number
 *   csv            csv.field-delimiter (,), csv.quote-character ("), csv.allow-comments (false),
 *                  csv.ignore-parse-errors (false), csv.array-element-delimiter (;),
 *                  csv.escape-character, csv.null-literal, csv.disable-quote-character (false)
 *   raw            raw.charset (UTF-8), raw.endianness (big-endian); exactly one column
 *   debezium-json  debezium-json.schema-include (false), debezium-json.ignore-parse-errors (false),
 *                  debezium-json.timestamp-format.standard, debezium-json.map-null-key.*,
 *                  debezium-json.encode.decimal-as-plain-number
 */
#ifndef SLUICE_CONNECTORS_FORMATS_FORMAT_H
#define SLUICE_CONNECTORS_FORMATS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "runtime/row.h"
#include "sql/types.h"

typedef struct sl_kv {
    const char *key;
    const char *value;
} sl_kv;

typedef struct sl_format sl_format;

/* Whether `name` is a format Sluice knows ("json", "csv", "raw", "debezium-json"). */
bool sl_format_exists(const char *name);
/* The option keys the format accepts (NULL-terminated, static), e.g. "json.ignore-parse-errors";
 * used by connector factories to validate a table's options and to list supported options. */
const char *const *sl_format_option_keys(const char *name);
/* Whether the format produces/accepts update changes (-U/+U/-D): debezium-json. */
bool sl_format_is_changelog(const char *name);

/* Creates a format for rows of type `row` (the table's physical columns, in order). opts are the
 * table's options (only the format's own keys are read; others are ignored). On an invalid option
 * value returns SL_ERR_VALIDATION, sets *bad_option to the index in opts of the offending option
 * and explains what is wrong and the allowed values. ltz_offset: seconds east of UTC of
 * table.local-time-zone, for TIMESTAMP_LTZ text forms. */
sl_status sl_format_create(const char *name, const sql_type *row, const sl_kv *opts, int nopts, int32_t ltz_offset,
                           sl_format **out, int *bad_option, sl_error *err);
void sl_format_destroy(sl_format *f);

/* Decodes one record (a line of a file without its newline, or a Kafka message value) and
 * calls emit once per row it yields (json/csv/raw: one +I row; debezium-json: +I, -D, or -U then
 * +U for an update; a tombstone or a record skipped because of ignore-parse-errors yields none).
 * The row pointer is valid only during the call. On a malformed record returns SL_ERR_INVALID with
 * the reason (e.g. "Failed to deserialize JSON '{\"id\": x}': ... at column 8", "field 'id':
 * expected INT, got \"abc\"") and no location: the caller adds file:line or
 * topic/partition/offset. With ignore-parse-errors the record is skipped, *skipped is
 * incremented and SL_OK returned. */
typedef void (*sl_format_emit_fn)(void *ctx, const uint8_t *row);
sl_status sl_format_decode(sl_format *f, const char *data, size_t len, sl_format_emit_fn emit, void *ctx, uint64_t *skipped,
                           sl_error *err);

/* Appends the encoding of one row (no trailing newline) to out. json/csv/raw accept only +I
 * rows (an updating row is SL_ERR_UNSUPPORTED: the planner prevents it); debezium-json writes
 * {"before":..., "after":..., "op":"c"|"d"} per Flink (a -U row becomes op "d", +U op "c", as
 * Flink's debezium-json serializer does). */
sl_status sl_format_encode(sl_format *f, const uint8_t *row, sl_strbuf *out, sl_error *err);

#endif
