/* runtime/row.h — the binary row format every operator, exchange and format works on.
 *
 * A row is one contiguous, self-describing byte string, so serializing it into a network buffer
 * or a state value is a memcpy:
 *
 *   offset 0   u8  row kind (SL_ROW_INSERT +I, SL_ROW_UPDATE_BEFORE -U, SL_ROW_UPDATE_AFTER +U,
 *                  SL_ROW_DELETE -D)
 *   offset 1   u8  reserved (0)
 *   offset 2   u16 number of fields n
 *   offset 4   u32 total length in bytes (header + slots + variable area)
 *   offset 8   null bitmap: ceil(n / 64) u64 words, bit i set = field i is NULL
 *   then       n fixed-width 8-byte slots
 *   then       the variable-length area
 *
 * Slot contents by physical class (sl_phys_of a SQL type):
 *   SL_PHYS_I64   int64: BOOLEAN (0/1), TINYINT..BIGINT, DECIMAL(p<=18, s) unscaled,
 *                 DATE (days since 1970-01-01), TIME (milliseconds of the day),
 *                 TIMESTAMP / TIMESTAMP_LTZ (microseconds since the epoch; TIMESTAMP is
 *                 wall-clock, TIMESTAMP_LTZ an instant), INTERVAL YEAR TO MONTH (months),
 *                 INTERVAL DAY TO SECOND (milliseconds)
 *   SL_PHYS_F64   double: FLOAT, DOUBLE
 *   SL_PHYS_BYTES u32 offset from the row start << 32 | u32 length: CHAR, VARCHAR (UTF-8),
 *                 BINARY, VARBINARY; MAP<K, V> (K and V of these classes) as the map encoding
 *                 below
 * Rows are 8-byte aligned in memory when built by a writer; readers use memcpy-free loads only
 * on aligned rows (everything the runtime builds), so network buffers keep rows 8-aligned.
 * Host byte order: rows never leave one machine's process family without a format. */
#ifndef SLUICE_RUNTIME_ROW_H
#define SLUICE_RUNTIME_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sql/types.h"

typedef enum sl_row_kind {
    SL_ROW_INSERT = 0,        /* +I */
    SL_ROW_UPDATE_BEFORE = 1, /* -U */
    SL_ROW_UPDATE_AFTER = 2,  /* +U */
    SL_ROW_DELETE = 3         /* -D */
} sl_row_kind;

typedef enum sl_phys { SL_PHYS_I64, SL_PHYS_F64, SL_PHYS_BYTES, SL_PHYS_UNSUPPORTED } sl_phys;

/* The physical class of a SQL type; SL_PHYS_UNSUPPORTED for types the runtime cannot hold yet
 * (ARRAY, MULTISET, ROW, DECIMAL with precision > 18, a MAP whose keys or values are such). */
sl_phys sl_phys_of(const sql_type *t);

/* MAP values: the bytes of a SL_PHYS_BYTES field,
 *
 *   u32 number of entries n (host order), then n entries: key element, value element;
 *   element: u8 1 = present / 0 = NULL, then (present) I64/F64: 8 bytes, BYTES: u32 length
 *   and the bytes. No alignment; keys are distinct (a builder keeps the last value of a
 *   repeated key, at the place of its first occurrence, as a Java LinkedHashMap does).
 *
 * Two equal maps built in the same order have equal bytes. */
typedef struct sl_map_elem {
    bool null;
    int64_t i;      /* SL_PHYS_I64 */
    double d;       /* SL_PHYS_F64 */
    const char *p;  /* SL_PHYS_BYTES */
    uint32_t n;
} sl_map_elem;

typedef struct sl_map_iter {
    const uint8_t *p, *end;
    uint32_t left;
    sl_phys kp, vp;
} sl_map_iter;

/* Starts reading a map of key class kp and value class vp; *count = its number of entries.
 * false when the bytes are not a well-formed map encoding. */
bool sl_map_iter_init(sl_map_iter *it, const char *buf, uint32_t len, sl_phys kp, sl_phys vp, uint32_t *count);
/* The next entry: true while there is one (false at the end, or when the encoding is cut short). */
bool sl_map_next(sl_map_iter *it, sl_map_elem *k, sl_map_elem *v);
/* Whether two elements of class ph are equal (NULLs are equal to each other here: map keys). */
bool sl_map_elem_eq(const sl_map_elem *a, const sl_map_elem *b, sl_phys ph);

/* Field i of row r (of class ph) as an element, and an element into field i of a row being built. */
sl_map_elem sl_row_elem(const uint8_t *r, int i, sl_phys ph);
struct sl_row_writer;
void sl_rw_elem(struct sl_row_writer *w, int i, const sl_map_elem *e, sl_phys ph);

/* Builds a map encoding in reusable memory (no allocation once grown):
 *   sl_map_builder b = {0};
 *   sl_mb_begin(&b, SL_PHYS_BYTES, SL_PHYS_I64);
 *   sl_mb_put(&b, &k, &v);  ...            // elements' bytes must stay valid until sl_mb_write
 *   char *dst = sl_rw_bytes_reserve(&w, i, sl_mb_size(&b)); sl_mb_write(&b, dst); */
typedef struct sl_map_builder {
    sl_map_elem *ents; /* key, value, key, value ... */
    int n, cap;        /* entries */
    sl_phys kp, vp;
} sl_map_builder;
void sl_mb_begin(sl_map_builder *b, sl_phys kp, sl_phys vp);
void sl_mb_put(sl_map_builder *b, const sl_map_elem *k, const sl_map_elem *v);
uint32_t sl_mb_size(const sl_map_builder *b);
void sl_mb_write(const sl_map_builder *b, char *dst);
void sl_mb_free(sl_map_builder *b);

/* "+I", "-U", "+U", "-D" */
const char *sl_row_kind_str(sl_row_kind k);

#define SL_ROW_HEADER 8u

static inline uint32_t sl_row_bitmap_bytes(int n) { return (uint32_t)((n + 63) / 64) * 8u; }
static inline uint32_t sl_row_fixed_bytes(int n) { return SL_ROW_HEADER + sl_row_bitmap_bytes(n) + 8u * (uint32_t)n; }

static inline sl_row_kind sl_row_get_kind(const uint8_t *r) { return (sl_row_kind)r[0]; }
static inline void sl_row_set_kind(uint8_t *r, sl_row_kind k) { r[0] = (uint8_t)k; }
static inline int sl_row_arity(const uint8_t *r)
{
    uint16_t n;
    memcpy(&n, r + 2, 2);
    return n;
}
static inline uint32_t sl_row_len(const uint8_t *r)
{
    uint32_t n;
    memcpy(&n, r + 4, 4);
    return n;
}
static inline bool sl_row_is_null(const uint8_t *r, int i)
{
    uint64_t w;
    memcpy(&w, r + SL_ROW_HEADER + (size_t)(i / 64) * 8, 8);
    return (w >> (i % 64)) & 1u;
}
static inline const uint8_t *sl_row_slot(const uint8_t *r, int i)
{
    return r + SL_ROW_HEADER + sl_row_bitmap_bytes(sl_row_arity(r)) + (size_t)i * 8;
}
static inline int64_t sl_row_i64(const uint8_t *r, int i)
{
    int64_t v;
    memcpy(&v, sl_row_slot(r, i), 8);
    return v;
}
static inline double sl_row_f64(const uint8_t *r, int i)
{
    double v;
    memcpy(&v, sl_row_slot(r, i), 8);
    return v;
}
/* Bytes of a SL_PHYS_BYTES field (not NUL-terminated). */
static inline const char *sl_row_bytes(const uint8_t *r, int i, uint32_t *len)
{
    uint64_t s;
    memcpy(&s, sl_row_slot(r, i), 8);
    *len = (uint32_t)s;
    return (const char *)r + (s >> 32);
}

/* Builds rows in a reusable buffer: no allocation once the buffer has grown to the largest row.
 *
 *   sl_row_writer w = {0};
 *   sl_rw_begin(&w, 3, SL_ROW_INSERT);
 *   sl_rw_i64(&w, 0, 42); sl_rw_null(&w, 1); sl_rw_bytes(&w, 2, "abc", 3);
 *   const uint8_t *row = sl_rw_finish(&w);   // valid until the next sl_rw_begin
 *
 * Fields not set are NULL. */
typedef struct sl_row_writer {
    uint8_t *buf;
    uint32_t cap;
    uint32_t len; /* bytes used so far (fixed part + variable area) */
    int n;
} sl_row_writer;

void sl_rw_begin(sl_row_writer *w, int nfields, sl_row_kind kind);
void sl_rw_null(sl_row_writer *w, int i);
void sl_rw_i64(sl_row_writer *w, int i, int64_t v);
void sl_rw_f64(sl_row_writer *w, int i, double v);
void sl_rw_bytes(sl_row_writer *w, int i, const void *p, uint32_t len);
/* Reserves len bytes of variable area for field i and returns where to write them (valid until
 * the next writer call). */
char *sl_rw_bytes_reserve(sl_row_writer *w, int i, uint32_t len);
/* Copies field j of row r, of physical class phys, into field i. */
void sl_rw_copy(sl_row_writer *w, int i, const uint8_t *r, int j, sl_phys phys);
const uint8_t *sl_rw_finish(sl_row_writer *w);
void sl_rw_free(sl_row_writer *w);

/* Text forms, as Flink's CAST(x AS STRING): one field; a whole row in the print connector's
 * form "+I[1, abc, null]". TIMESTAMP_LTZ values are shown in the zone ltz_offset seconds from
 * UTC (table.local-time-zone). */
struct sl_strbuf;
void sl_row_format_field(struct sl_strbuf *out, const uint8_t *r, int i, const sql_type *t, int32_t ltz_offset);
void sl_row_format(struct sl_strbuf *out, const uint8_t *r, const sql_type *row_type, int32_t ltz_offset);
/* One value of type t (not a row field): the form of sl_row_format_field; MAP values print as
 * Flink's CAST(map AS STRING): {k1=v1, k2=v2}. */
void sl_format_value(struct sl_strbuf *out, const sql_type *t, const sl_map_elem *v, int32_t ltz_offset);
/* Java's Double.toString (1.0, 1.5E10, NaN, Infinity); is_float rounds as a FLOAT. */
void sl_format_double(struct sl_strbuf *out, double d, bool is_float);
/* An unscaled DECIMAL: "-12.50" for (-1250, 2). */
void sl_format_decimal(struct sl_strbuf *out, int64_t unscaled, int scale);
/* "+1-02" (YEAR TO MONTH), "+3 04:05:06.000" (DAY TO SECOND). */
void sl_format_interval(struct sl_strbuf *out, const sql_type *t, int64_t v);

#endif
