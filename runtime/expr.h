/* runtime/expr.h — scalar expressions compiled once per operator into a flat program.
 *
 * The planner ships expressions as JSON (planner/jobgraph.c): {"input": i}, {"literal": ...},
 * {"call": op, "args": [...]}, each with its SQL "type". sl_expr_compile() turns one into an array
 * of instructions over a register file: every sub-expression gets a register (sl_val), constants
 * are folded into registers at compile time, and CASE / AND / OR / COALESCE / IF evaluate lazily
 * through forward jumps. Evaluating walks the array once; strings produced by functions live in a
 * scratch arena the caller resets once per record (sl_expr_scratch_reset), so steady-state
 * evaluation allocates nothing.
 *
 * Semantics are Flink's: SQL three-valued logic; integer arithmetic wraps at the type's width as
 * Java does; integer division or modulo by zero fails the record with an error naming the
 * expression; DECIMAL results that do not fit their precision become NULL; DOUBLE follows IEEE
 * (1/0.0 = Infinity); CAST of malformed text fails (TRY_CAST gives NULL). TIMESTAMP_LTZ functions
 * use table.local-time-zone (a fixed offset resolved when the job starts). */
#ifndef SLUICE_RUNTIME_EXPR_H
#define SLUICE_RUNTIME_EXPR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "runtime/row.h"
#include "sql/types.h"

/* One value: the payload is read according to the expression's type (sl_phys_of). */
typedef struct sl_val {
    union {
        int64_t i;
        double d;
        struct {
            const char *p;
            uint32_t n;
        } s;
    };
    bool null;
} sl_val;

/* What expressions may read from their surroundings. */
typedef struct sl_expr_env {
    int32_t ltz_offset;               /* table.local-time-zone, seconds east of UTC */
    int64_t (*now_micros)(void *ctx); /* processing time (PROCTIME(), NOW()); NULL = wall clock */
    void *now_ctx;
    uint64_t rand_seed;               /* RAND() without a seed */
} sl_expr_env;

typedef struct sl_expr sl_expr;

/* Compiles an expression over rows of type `input`. The program keeps pointers into `types_arena`
 * for types (it must outlive the program). Unsupported functions or types fail here, when the
 * job starts, with SL_ERR_UNSUPPORTED naming them, never while records flow. */
sl_status sl_expr_compile(const json_t *expr, const sql_type *input, const sl_expr_env *env, sl_arena *types_arena,
                          sl_expr **out, sl_error *err);
void sl_expr_free(sl_expr *e);

/* The result type. */
const sql_type *sl_expr_type(const sl_expr *e);
/* The input field the expression merely reads (a bare {"input": i}), or -1. */
int sl_expr_input_ref(const sl_expr *e);

/* Evaluates over one row (NULL row allowed for constant expressions). The result's strings are
 * valid until the next sl_expr_scratch_reset of the program. On a runtime error (division by
 * zero, malformed CAST) returns SL_ERR_RUNTIME with the expression and the offending value. */
sl_status sl_expr_eval(sl_expr *e, const uint8_t *row, sl_val *out, sl_error *err);
void sl_expr_scratch_reset(sl_expr *e);

/* Writes a value of the expression's type into field i of a row being built. */
void sl_val_write(sl_row_writer *w, int i, const sl_val *v, const sql_type *t);

/* CAST between SQL types on values (used by expressions, INSERT's implicit casts and formats).
 * Strings are allocated in scratch. Returns false with a reason in msg when the value cannot be
 * converted (malformed number, out of range). */
bool sl_cast_value(const sl_val *in, const sql_type *from, const sql_type *to, sl_arena *scratch, int32_t ltz_offset,
                   sl_val *out, char *msg, size_t msglen);

#endif
