/* runtime/expr_int.h — the expression program's internals, shared by expr.c (core operators,
 * compilation) and expr_fn.c (the built-in function library). */
#ifndef SLUICE_RUNTIME_EXPR_INT_H
#define SLUICE_RUNTIME_EXPR_INT_H

#include "runtime/expr.h"

typedef enum vclass {
    VC_NULL,
    VC_BOOL,
    VC_INT,
    VC_DEC,
    VC_DBL,
    VC_STR,
    VC_BIN,
    VC_DATE,
    VC_TIME,
    VC_TS,
    VC_LTZ,
    VC_IYM,
    VC_IDT,
    VC_OTHER
} vclass;

typedef struct ins ins;
/* Returns 0 to continue, a positive instruction index to jump to, -1 on error (e->err set). */
typedef int (*op_fn)(sl_expr *e, const ins *x);

struct ins {
    op_fn fn;
    int dst;
    int nargs;
    int *args;
    const sql_type *t;     /* result type */
    const sql_type *at[4]; /* types of the first four arguments */
    bool strict;           /* NULL if any argument is NULL, without calling fn */
    int jmp;               /* jump target */
    int64_t k;             /* small per-instruction constant */
    int flag;
    const char *name;      /* for error messages */
    void *data;            /* per-instruction state (a compiled regex ...) */
    void (*cleanup)(void *data);
};

struct sl_expr {
    ins *code;
    int ncode, capcode;
    sl_val *reg;
    const sql_type **rtype;
    bool *rconst; /* register filled at compile time */
    int nreg, capreg;
    int result;
    const sql_type *type;
    const sql_type *input;
    const uint8_t *row;
    sl_arena *scratch;
    sl_arena *types;
    sl_error *err;
    sl_expr_env env;
    int input_ref;
};

#define R(i) (&e->reg[(i)])

extern const int64_t sl_pow10[19];

vclass vc_of(const sql_type *t);
int64_t wrap_int(int64_t v, sql_type_id id);
__int128 dec_rescale(__int128 v, int from, int to);
bool dec_fits(__int128 v, int precision);
char *scratch_alloc(sl_expr *e, size_t n);
int cmp_vals(const sl_val *a, const sl_val *b, vclass c);
/* Whether a <op> b holds, op = 0 '=', 1 '<>', 2 '<', 3 '<=', 4 '>', 5 '>='. DOUBLE compares as
 * Java's primitives do (NaN is unordered: NaN = NaN is FALSE), everything else by cmp_vals. */
bool cmp_test(const sl_val *a, const sl_val *b, vclass c, int op);
/* A finite double as an unscaled decimal at `scale` (may be negative), the way Flink converts one
 * (BigDecimal.valueOf(d), i.e. Double.toString's digits, then HALF_UP, or DOWN when truncate);
 * false if the result would need more than 38 digits. */
bool dec_from_double(double d, int scale, bool truncate, __int128 *out);
bool sl_cast_supported(const sql_type *from, const sql_type *to);

int emit(sl_expr *e, op_fn fn, int dst, const sql_type *t, int nargs, const int *args, bool strict);
int new_reg(sl_expr *e, const sql_type *t);
int coerce(sl_expr *e, int reg, const sql_type *to);
int fail(sl_expr *e, const ins *x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int compile_error(sl_expr *e, sl_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Emits the instructions of built-in function `name` (args already compiled into registers)
 * writing register dst; returns -1 with a compile error for an unknown or unsupported one. */
int sl_expr_gen_function(sl_expr *e, const char *name, int *args, int n, int dst, const sql_type *t, const char *text);

#endif
