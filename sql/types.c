/* sql/types.c — see types.h. */
#include "sql/types.h"

#include <stdlib.h>
#include <string.h>

static sql_type *alloc_type(sl_arena *a, const sql_type *proto)
{
    sql_type *t = sl_arena_alloc(a, sizeof *t);
    *t = *proto;
    return t;
}

const sql_type *sql_type_make(sl_arena *a, sql_type_id id, bool nullable, int32_t precision, int32_t scale)
{
    sql_type t = {.id = id, .nullable = nullable, .precision = precision, .scale = scale};
    return alloc_type(a, &t);
}

const sql_type *sql_type_with_nullable(sl_arena *a, const sql_type *t, bool nullable)
{
    if (t->nullable == nullable) return t;
    sql_type *c = alloc_type(a, t);
    c->nullable = nullable;
    return c;
}

const sql_type *sql_type_with_attr(sl_arena *a, const sql_type *t, sql_time_attr attr)
{
    if (t->attr == attr) return t;
    sql_type *c = alloc_type(a, t);
    c->attr = attr;
    return c;
}

const sql_type *sql_type_array(sl_arena *a, const sql_type *elem, bool nullable)
{
    sql_type t = {.id = SQL_T_ARRAY, .nullable = nullable, .precision = -1, .scale = -1, .elem = elem};
    return alloc_type(a, &t);
}

const sql_type *sql_type_map(sl_arena *a, const sql_type *key, const sql_type *value, bool nullable)
{
    sql_type t = {.id = SQL_T_MAP, .nullable = nullable, .precision = -1, .scale = -1, .elem = key, .value = value};
    return alloc_type(a, &t);
}

/* ---- from the AST ----------------------------------------------------------------------- */

static sl_status type_error(sl_error *err, const sql_node *n, const char *script, const char *msg)
{
    sl_error_set(err, SL_ERR_VALIDATION, "%s", msg);
    sl_error_at_offset(err, script, n->off, n->len);
    return SL_ERR_VALIDATION;
}

static const struct {
    const char *name;
    sql_type_id id;
} scalar_names[] = {
    {"BOOLEAN", SQL_T_BOOLEAN}, {"TINYINT", SQL_T_TINYINT},     {"SMALLINT", SQL_T_SMALLINT},
    {"INT", SQL_T_INT},         {"BIGINT", SQL_T_BIGINT},       {"DECIMAL", SQL_T_DECIMAL},
    {"FLOAT", SQL_T_FLOAT},     {"DOUBLE", SQL_T_DOUBLE},       {"CHAR", SQL_T_CHAR},
    {"VARCHAR", SQL_T_VARCHAR}, {"BINARY", SQL_T_BINARY},       {"VARBINARY", SQL_T_VARBINARY},
    {"DATE", SQL_T_DATE},       {"TIME", SQL_T_TIME},           {"TIMESTAMP", SQL_T_TIMESTAMP},
    {"TIMESTAMP_LTZ", SQL_T_TIMESTAMP_LTZ},
};

sl_status sql_type_from_ast(sl_arena *a, const sql_node *n, const char *script, const sql_type **out, sl_error *err)
{
    bool nullable = !(n->flags & SQL_F_NOT_NULL);
    sql_type t = {.nullable = nullable, .precision = -1, .scale = -1};
    const char *name = n->text;
    sl_status st;
    for (size_t i = 0; i < sizeof scalar_names / sizeof *scalar_names; i++) {
        if (strcmp(name, scalar_names[i].name) != 0) continue;
        t.id = scalar_names[i].id;
        t.precision = (int32_t)n->ival;
        t.scale = (int32_t)n->ival2;
        switch (t.id) {
        case SQL_T_CHAR:
        case SQL_T_VARCHAR:
            if (n->ival < 1 || n->ival > SQL_MAX_LENGTH)
                return type_error(err, n, script, "Character string length must be between 1 and 2147483647 (both inclusive).");
            break;
        case SQL_T_BINARY:
        case SQL_T_VARBINARY:
            if (n->ival < 1 || n->ival > SQL_MAX_LENGTH)
                return type_error(err, n, script, "Binary string length must be between 1 and 2147483647 (both inclusive).");
            break;
        case SQL_T_DECIMAL:
            if (n->ival < 1 || n->ival > SQL_MAX_DECIMAL_PRECISION)
                return type_error(err, n, script, "Decimal precision must be between 1 and 38 (both inclusive).");
            if (n->ival2 < 0 || n->ival2 > n->ival) {
                char msg[128];
                snprintf(msg, sizeof msg, "Decimal scale must be between 0 and the precision %lld (both inclusive).",
                         (long long)n->ival);
                return type_error(err, n, script, msg);
            }
            break;
        case SQL_T_TIME:
            if (n->ival < 0 || n->ival > 9)
                return type_error(err, n, script, "Time precision must be between 0 and 9 (both inclusive).");
            break;
        case SQL_T_TIMESTAMP:
        case SQL_T_TIMESTAMP_LTZ:
            if (n->ival < 0 || n->ival > 9)
                return type_error(err, n, script, "Timestamp precision must be between 0 and 9 (both inclusive).");
            break;
        default:
            t.precision = t.scale = -1;
            break;
        }
        *out = alloc_type(a, &t);
        return SL_OK;
    }
    if (strcmp(name, "INTERVAL") == 0) {
        const sql_node *q = n->nkids ? n->kids[0] : NULL;
        bool ym = q && (strncmp(q->text, "YEAR", 4) == 0 || strncmp(q->text, "MONTH", 5) == 0);
        t.id = ym ? SQL_T_INTERVAL_YM : SQL_T_INTERVAL_DT;
        t.precision = q && q->ival2 >= 0 ? (int32_t)q->ival2 : (ym ? -1 : 6);
        *out = alloc_type(a, &t);
        return SL_OK;
    }
    if (strcmp(name, "ARRAY") == 0 || strcmp(name, "MULTISET") == 0) {
        t.id = name[0] == 'A' ? SQL_T_ARRAY : SQL_T_MULTISET;
        if ((st = sql_type_from_ast(a, n->kids[0], script, &t.elem, err))) return st;
        *out = alloc_type(a, &t);
        return SL_OK;
    }
    if (strcmp(name, "MAP") == 0) {
        t.id = SQL_T_MAP;
        if ((st = sql_type_from_ast(a, n->kids[0], script, &t.elem, err))) return st;
        if ((st = sql_type_from_ast(a, n->kids[1], script, &t.value, err))) return st;
        *out = alloc_type(a, &t);
        return SL_OK;
    }
    if (strcmp(name, "ROW") == 0) {
        t.id = SQL_T_ROW;
        t.nfields = n->nkids;
        t.field_names = sl_arena_alloc(a, sizeof(char *) * (size_t)(n->nkids ? n->nkids : 1));
        t.field_types = sl_arena_alloc(a, sizeof(sql_type *) * (size_t)(n->nkids ? n->nkids : 1));
        for (int i = 0; i < n->nkids; i++) {
            const sql_node *f = n->kids[i];
            for (int j = 0; j < i; j++) {
                if (strcmp(t.field_names[j], f->text) == 0) {
                    char msg[256];
                    snprintf(msg, sizeof msg, "Field names must be unique. Found duplicates: [%s]", f->text);
                    return type_error(err, f, script, msg);
                }
            }
            t.field_names[i] = sl_arena_strdup(a, f->text);
            if ((st = sql_type_from_ast(a, f->kids[0], script, &t.field_types[i], err))) return st;
        }
        *out = alloc_type(a, &t);
        return SL_OK;
    }
    sl_error_set(err, SL_ERR_INTERNAL, "unknown type name '%s' in the syntax tree", name);
    sl_error_at_offset(err, script, n->off, n->len);
    return SL_ERR_INTERNAL;
}

/* ---- printing ----------------------------------------------------------------------------- */

void sql_type_print(sl_strbuf *out, const sql_type *t)
{
    switch (t->id) {
    case SQL_T_NULL: sl_strbuf_puts(out, "NULL"); return; /* nullability is implied */
    case SQL_T_BOOLEAN: sl_strbuf_puts(out, "BOOLEAN"); break;
    case SQL_T_TINYINT: sl_strbuf_puts(out, "TINYINT"); break;
    case SQL_T_SMALLINT: sl_strbuf_puts(out, "SMALLINT"); break;
    case SQL_T_INT: sl_strbuf_puts(out, "INT"); break;
    case SQL_T_BIGINT: sl_strbuf_puts(out, "BIGINT"); break;
    case SQL_T_DECIMAL: sl_strbuf_printf(out, "DECIMAL(%d, %d)", t->precision, t->scale); break;
    case SQL_T_FLOAT: sl_strbuf_puts(out, "FLOAT"); break;
    case SQL_T_DOUBLE: sl_strbuf_puts(out, "DOUBLE"); break;
    case SQL_T_CHAR: sl_strbuf_printf(out, "CHAR(%d)", t->precision); break;
    case SQL_T_VARCHAR:
        if (t->precision == SQL_MAX_LENGTH) sl_strbuf_puts(out, "STRING");
        else sl_strbuf_printf(out, "VARCHAR(%d)", t->precision);
        break;
    case SQL_T_BINARY: sl_strbuf_printf(out, "BINARY(%d)", t->precision); break;
    case SQL_T_VARBINARY:
        if (t->precision == SQL_MAX_LENGTH) sl_strbuf_puts(out, "BYTES");
        else sl_strbuf_printf(out, "VARBINARY(%d)", t->precision);
        break;
    case SQL_T_DATE: sl_strbuf_puts(out, "DATE"); break;
    case SQL_T_TIME: sl_strbuf_printf(out, "TIME(%d)", t->precision); break;
    case SQL_T_TIMESTAMP: sl_strbuf_printf(out, "TIMESTAMP(%d)", t->precision); break;
    case SQL_T_TIMESTAMP_LTZ: sl_strbuf_printf(out, "TIMESTAMP_LTZ(%d)", t->precision); break;
    case SQL_T_INTERVAL_YM: sl_strbuf_puts(out, "INTERVAL YEAR TO MONTH"); break;
    case SQL_T_INTERVAL_DT: sl_strbuf_printf(out, "INTERVAL DAY TO SECOND(%d)", t->precision); break;
    case SQL_T_ARRAY:
    case SQL_T_MULTISET:
        sl_strbuf_puts(out, t->id == SQL_T_ARRAY ? "ARRAY<" : "MULTISET<");
        sql_type_print(out, t->elem);
        sl_strbuf_putc(out, '>');
        break;
    case SQL_T_MAP:
        sl_strbuf_puts(out, "MAP<");
        sql_type_print(out, t->elem);
        sl_strbuf_puts(out, ", ");
        sql_type_print(out, t->value);
        sl_strbuf_putc(out, '>');
        break;
    case SQL_T_ROW:
        sl_strbuf_puts(out, "ROW<");
        for (int i = 0; i < t->nfields; i++) {
            sl_strbuf_printf(out, "%s`%s` ", i ? ", " : "", t->field_names[i]);
            sql_type_print(out, t->field_types[i]);
        }
        sl_strbuf_putc(out, '>');
        break;
    }
    if (!t->nullable) sl_strbuf_puts(out, " NOT NULL");
    if (t->attr == SQL_TA_ROWTIME) sl_strbuf_puts(out, " *ROWTIME*");
    if (t->attr == SQL_TA_PROCTIME) sl_strbuf_puts(out, " *PROCTIME*");
}

const char *sql_type_str(sl_arena *a, const sql_type *t)
{
    sl_strbuf sb = SL_STRBUF_INIT;
    sql_type_print(&sb, t);
    const char *s = sl_arena_strdup(a, sl_strbuf_cstr(&sb));
    sl_strbuf_free(&sb);
    return s;
}

/* ---- predicates ----------------------------------------------------------------------------- */

bool sql_type_equals(const sql_type *x, const sql_type *y, bool ignore_nullability)
{
    if (x->id != y->id || x->precision != y->precision || x->scale != y->scale) return false;
    if (!ignore_nullability && x->nullable != y->nullable) return false;
    if ((x->elem == NULL) != (y->elem == NULL) || (x->value == NULL) != (y->value == NULL)) return false;
    if (x->elem && !sql_type_equals(x->elem, y->elem, ignore_nullability)) return false;
    if (x->value && !sql_type_equals(x->value, y->value, ignore_nullability)) return false;
    if (x->nfields != y->nfields) return false;
    for (int i = 0; i < x->nfields; i++)
        if (strcmp(x->field_names[i], y->field_names[i]) != 0 ||
            !sql_type_equals(x->field_types[i], y->field_types[i], ignore_nullability))
            return false;
    return true;
}

bool sql_type_is_integer(const sql_type *t) { return t->id >= SQL_T_TINYINT && t->id <= SQL_T_BIGINT; }
bool sql_type_is_exact_numeric(const sql_type *t) { return sql_type_is_integer(t) || t->id == SQL_T_DECIMAL; }
bool sql_type_is_numeric(const sql_type *t) { return t->id >= SQL_T_TINYINT && t->id <= SQL_T_DOUBLE; }
bool sql_type_is_string(const sql_type *t) { return t->id == SQL_T_CHAR || t->id == SQL_T_VARCHAR; }
bool sql_type_is_binary(const sql_type *t) { return t->id == SQL_T_BINARY || t->id == SQL_T_VARBINARY; }
bool sql_type_is_temporal(const sql_type *t) { return t->id >= SQL_T_DATE && t->id <= SQL_T_TIMESTAMP_LTZ; }
bool sql_type_is_interval(const sql_type *t) { return t->id == SQL_T_INTERVAL_YM || t->id == SQL_T_INTERVAL_DT; }

void sql_type_decimal_of(const sql_type *t, int32_t *p, int32_t *s)
{
    switch (t->id) {
    case SQL_T_TINYINT: *p = 3; *s = 0; break;
    case SQL_T_SMALLINT: *p = 5; *s = 0; break;
    case SQL_T_INT: *p = 10; *s = 0; break;
    case SQL_T_BIGINT: *p = 19; *s = 0; break;
    default: *p = t->precision; *s = t->scale; break;
    }
}

/* ---- merging -------------------------------------------------------------------------------- */

/* Flink's LogicalTypeMerging.adjustPrecisionScale. */
static void adjust(int32_t *p, int32_t *s)
{
    if (*p <= SQL_MAX_DECIMAL_PRECISION) return;
    int32_t digits = *p - *s;
    int32_t min_scale = *s < 6 ? *s : 6;
    int32_t ns = SQL_MAX_DECIMAL_PRECISION - digits;
    *s = ns > min_scale ? ns : min_scale;
    *p = SQL_MAX_DECIMAL_PRECISION;
}

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

static const sql_type *common_numeric(sl_arena *a, const sql_type *x, const sql_type *y, bool nullable)
{
    if (x->id == SQL_T_DOUBLE || y->id == SQL_T_DOUBLE) return sql_type_make(a, SQL_T_DOUBLE, nullable, -1, -1);
    if (x->id == SQL_T_FLOAT || y->id == SQL_T_FLOAT) {
        const sql_type *o = x->id == SQL_T_FLOAT ? y : x;
        return sql_type_make(a, o->id == SQL_T_DECIMAL ? SQL_T_DOUBLE : SQL_T_FLOAT, nullable, -1, -1);
    }
    if (x->id == SQL_T_DECIMAL || y->id == SQL_T_DECIMAL) {
        int32_t p1, s1, p2, s2;
        sql_type_decimal_of(x, &p1, &s1);
        sql_type_decimal_of(y, &p2, &s2);
        int32_t s = max32(s1, s2);
        int32_t p = min32(max32(p1 - s1, p2 - s2) + s, SQL_MAX_DECIMAL_PRECISION);
        return sql_type_make(a, SQL_T_DECIMAL, nullable, p, s);
    }
    return sql_type_make(a, x->id > y->id ? x->id : y->id, nullable, -1, -1);
}

const sql_type *sql_type_common(sl_arena *a, const sql_type *x, const sql_type *y)
{
    bool nullable = x->nullable || y->nullable;
    if (x->id == SQL_T_NULL) return sql_type_with_attr(a, sql_type_with_nullable(a, y, true), SQL_TA_NONE);
    if (y->id == SQL_T_NULL) return sql_type_with_attr(a, sql_type_with_nullable(a, x, true), SQL_TA_NONE);
    if (sql_type_is_numeric(x) && sql_type_is_numeric(y)) return common_numeric(a, x, y, nullable);
    if (sql_type_is_string(x) && sql_type_is_string(y)) {
        sql_type_id id = (x->id == SQL_T_CHAR && y->id == SQL_T_CHAR && x->precision == y->precision) ? SQL_T_CHAR : SQL_T_VARCHAR;
        return sql_type_make(a, id, nullable, max32(x->precision, y->precision), -1);
    }
    if (sql_type_is_binary(x) && sql_type_is_binary(y)) {
        sql_type_id id = (x->id == SQL_T_BINARY && y->id == SQL_T_BINARY && x->precision == y->precision) ? SQL_T_BINARY : SQL_T_VARBINARY;
        return sql_type_make(a, id, nullable, max32(x->precision, y->precision), -1);
    }
    if (sql_type_is_temporal(x) && sql_type_is_temporal(y)) {
        if (x->id == y->id)
            return sql_type_make(a, x->id, nullable, max32(x->precision, y->precision), -1);
        bool has_ltz = x->id == SQL_T_TIMESTAMP_LTZ || y->id == SQL_T_TIMESTAMP_LTZ;
        bool has_ts = x->id == SQL_T_TIMESTAMP || y->id == SQL_T_TIMESTAMP;
        bool has_date = x->id == SQL_T_DATE || y->id == SQL_T_DATE;
        int32_t p = max32(max32(x->precision, y->precision), 0);
        if (has_ltz && has_ts) return sql_type_make(a, SQL_T_TIMESTAMP_LTZ, nullable, p, -1);
        if (has_date && (has_ts || has_ltz)) return sql_type_make(a, has_ltz ? SQL_T_TIMESTAMP_LTZ : SQL_T_TIMESTAMP, nullable, p, -1);
        return NULL;
    }
    if (x->id == y->id && (x->id == SQL_T_BOOLEAN || sql_type_is_interval(x)))
        return sql_type_make(a, x->id, nullable, max32(x->precision, y->precision), -1);
    if (x->id == y->id && (x->id == SQL_T_ARRAY || x->id == SQL_T_MULTISET)) {
        const sql_type *e = sql_type_common(a, x->elem, y->elem);
        if (!e) return NULL;
        sql_type t = {.id = x->id, .nullable = nullable, .precision = -1, .scale = -1, .elem = e};
        return alloc_type(a, &t);
    }
    if (x->id == SQL_T_MAP && y->id == SQL_T_MAP) {
        const sql_type *k = sql_type_common(a, x->elem, y->elem), *v = sql_type_common(a, x->value, y->value);
        return k && v ? sql_type_map(a, k, v, nullable) : NULL;
    }
    if (x->id == SQL_T_ROW && y->id == SQL_T_ROW && x->nfields == y->nfields) {
        sql_type t = *x;
        t.nullable = nullable;
        t.field_types = sl_arena_alloc(a, sizeof(sql_type *) * (size_t)(x->nfields ? x->nfields : 1));
        for (int i = 0; i < x->nfields; i++)
            if (!(t.field_types[i] = sql_type_common(a, x->field_types[i], y->field_types[i]))) return NULL;
        return alloc_type(a, &t);
    }
    return NULL;
}

const sql_type *sql_type_arith(sl_arena *a, char op, const sql_type *x, const sql_type *y)
{
    bool nullable = x->nullable || y->nullable;
    if (x->id == SQL_T_NULL || y->id == SQL_T_NULL) {
        const sql_type *o = x->id == SQL_T_NULL ? y : x;
        return o->id == SQL_T_NULL ? NULL : sql_type_with_attr(a, sql_type_with_nullable(a, o, true), SQL_TA_NONE);
    }
    if (sql_type_is_numeric(x) && sql_type_is_numeric(y)) {
        if (op == '%' && !(sql_type_is_exact_numeric(x) && sql_type_is_exact_numeric(y))) return NULL;
        if (x->id == SQL_T_DECIMAL || y->id == SQL_T_DECIMAL) {
            if (!sql_type_is_exact_numeric(x) || !sql_type_is_exact_numeric(y))
                return sql_type_make(a, SQL_T_DOUBLE, nullable, -1, -1);
            int32_t p1, s1, p2, s2, p, s;
            sql_type_decimal_of(x, &p1, &s1);
            sql_type_decimal_of(y, &p2, &s2);
            switch (op) {
            case '+':
            case '-': s = max32(s1, s2); p = max32(p1 - s1, p2 - s2) + s + 1; break;
            case '*': s = s1 + s2; p = p1 + p2 + 1; break;
            case '/': s = max32(6, s1 + p2 + 1); p = p1 - s1 + s2 + s; break;
            default: s = max32(s1, s2); p = min32(p1 - s1, p2 - s2) + s; break; /* % */
            }
            adjust(&p, &s);
            return sql_type_make(a, SQL_T_DECIMAL, nullable, p, s);
        }
        return common_numeric(a, x, y, nullable);
    }
    /* temporal +/- interval, interval + temporal */
    if ((op == '+' || op == '-') && sql_type_is_temporal(x) && sql_type_is_interval(y))
        return sql_type_make(a, x->id, nullable, x->precision, -1);
    if (op == '+' && sql_type_is_interval(x) && sql_type_is_temporal(y))
        return sql_type_make(a, y->id, nullable, y->precision, -1);
    if ((op == '+' || op == '-') && sql_type_is_interval(x) && x->id == y->id)
        return sql_type_make(a, x->id, nullable, max32(x->precision, y->precision), -1);
    if ((op == '*' || op == '/') && sql_type_is_interval(x) && sql_type_is_numeric(y))
        return sql_type_make(a, x->id, nullable, x->precision, -1);
    if (op == '*' && sql_type_is_numeric(x) && sql_type_is_interval(y))
        return sql_type_make(a, y->id, nullable, y->precision, -1);
    return NULL;
}

bool sql_type_comparable(const sql_type *x, const sql_type *y)
{
    if (x->id == SQL_T_NULL || y->id == SQL_T_NULL) return true;
    if (sql_type_is_numeric(x) && sql_type_is_numeric(y)) return true;
    if (sql_type_is_string(x) && sql_type_is_string(y)) return true;
    if (sql_type_is_binary(x) && sql_type_is_binary(y)) return true;
    if (x->id == SQL_T_BOOLEAN && y->id == SQL_T_BOOLEAN) return true;
    if (sql_type_is_temporal(x) && sql_type_is_temporal(y)) {
        if (x->id == y->id) return true;
        bool tsx = x->id != SQL_T_TIME, tsy = y->id != SQL_T_TIME; /* DATE / TIMESTAMP / LTZ mix */
        return tsx && tsy;
    }
    if (sql_type_is_interval(x) && x->id == y->id) return true;
    if ((x->id == SQL_T_ARRAY && y->id == SQL_T_ARRAY) || (x->id == SQL_T_MULTISET && y->id == SQL_T_MULTISET))
        return sql_type_comparable(x->elem, y->elem);
    if (x->id == SQL_T_MAP && y->id == SQL_T_MAP)
        return sql_type_comparable(x->elem, y->elem) && sql_type_comparable(x->value, y->value);
    if (x->id == SQL_T_ROW && y->id == SQL_T_ROW && x->nfields == y->nfields) {
        for (int i = 0; i < x->nfields; i++)
            if (!sql_type_comparable(x->field_types[i], y->field_types[i])) return false;
        return true;
    }
    return false;
}

bool sql_type_can_implicit_cast(const sql_type *from, const sql_type *to)
{
    if (from->id == SQL_T_NULL) return true;
    if (sql_type_is_numeric(from) && sql_type_is_numeric(to)) {
        if (from->id == SQL_T_DECIMAL && to->id == SQL_T_DECIMAL) return true;
        if (sql_type_is_integer(from) && to->id == SQL_T_DECIMAL) {
            int32_t p, s;
            sql_type_decimal_of(from, &p, &s);
            return to->precision - to->scale >= p;
        }
        return from->id <= to->id && !(from->id == SQL_T_DECIMAL && sql_type_is_integer(to));
    }
    if (sql_type_is_string(from) && sql_type_is_string(to)) return true;
    if (sql_type_is_binary(from) && sql_type_is_binary(to)) return true;
    if (from->id == to->id && (from->id == SQL_T_BOOLEAN || sql_type_is_temporal(from) || sql_type_is_interval(from)))
        return true;
    if ((from->id == SQL_T_TIMESTAMP && to->id == SQL_T_TIMESTAMP_LTZ) ||
        (from->id == SQL_T_TIMESTAMP_LTZ && to->id == SQL_T_TIMESTAMP))
        return true;
    if ((from->id == SQL_T_ARRAY || from->id == SQL_T_MULTISET) && from->id == to->id)
        return sql_type_can_implicit_cast(from->elem, to->elem);
    if (from->id == SQL_T_MAP && to->id == SQL_T_MAP)
        return sql_type_can_implicit_cast(from->elem, to->elem) && sql_type_can_implicit_cast(from->value, to->value);
    if (from->id == SQL_T_ROW && to->id == SQL_T_ROW && from->nfields == to->nfields) {
        for (int i = 0; i < from->nfields; i++)
            if (!sql_type_can_implicit_cast(from->field_types[i], to->field_types[i])) return false;
        return true;
    }
    return false;
}

bool sql_type_can_cast(const sql_type *from, const sql_type *to)
{
    if (sql_type_can_implicit_cast(from, to)) return true;
    bool fs = sql_type_is_string(from), ts = sql_type_is_string(to);
    if (ts) return true; /* every type has a string form */
    if (fs) return to->id != SQL_T_ARRAY && to->id != SQL_T_MAP && to->id != SQL_T_MULTISET && to->id != SQL_T_ROW;
    bool fn = sql_type_is_numeric(from) || from->id == SQL_T_BOOLEAN;
    bool tn = sql_type_is_numeric(to) || to->id == SQL_T_BOOLEAN;
    if (fn && tn) return true;
    if (sql_type_is_temporal(from) && sql_type_is_temporal(to)) {
        /* DATE <-> TIME has no meaning; everything else converts. */
        return !((from->id == SQL_T_DATE && to->id == SQL_T_TIME) || (from->id == SQL_T_TIME && to->id == SQL_T_DATE));
    }
    if (sql_type_is_integer(from) && to->id == SQL_T_TIMESTAMP_LTZ) return true; /* epoch seconds */
    if (sql_type_is_interval(from) && sql_type_is_exact_numeric(to)) return true;
    if (sql_type_is_exact_numeric(from) && sql_type_is_interval(to)) return true;
    if ((from->id == SQL_T_ARRAY || from->id == SQL_T_MULTISET) && from->id == to->id)
        return sql_type_can_cast(from->elem, to->elem);
    if (from->id == SQL_T_MAP && to->id == SQL_T_MAP)
        return sql_type_can_cast(from->elem, to->elem) && sql_type_can_cast(from->value, to->value);
    if (from->id == SQL_T_ROW && to->id == SQL_T_ROW && from->nfields == to->nfields) {
        for (int i = 0; i < from->nfields; i++)
            if (!sql_type_can_cast(from->field_types[i], to->field_types[i])) return false;
        return true;
    }
    return false;
}

/* ---- parsing the printed form --------------------------------------------------------------- */

typedef struct tparser {
    sl_arena *a;
    const char *p;
} tparser;

static void tp_ws(tparser *tp)
{
    while (*tp->p == ' ') tp->p++;
}

static bool tp_word(tparser *tp, const char *w)
{
    tp_ws(tp);
    size_t n = strlen(w);
    if (strncmp(tp->p, w, n) == 0 && !(tp->p[n] >= 'A' && tp->p[n] <= 'Z') && tp->p[n] != '_') {
        tp->p += n;
        return true;
    }
    return false;
}

static bool tp_char(tparser *tp, char c)
{
    tp_ws(tp);
    if (*tp->p == c) {
        tp->p++;
        return true;
    }
    return false;
}

static bool tp_int(tparser *tp, int32_t *v)
{
    tp_ws(tp);
    char *end;
    long x = strtol(tp->p, &end, 10);
    if (end == tp->p) return false;
    tp->p = end;
    *v = (int32_t)x;
    return true;
}

/* "(n)" or "(p, s)" */
static bool tp_args(tparser *tp, int32_t *a1, int32_t *a2)
{
    if (!tp_char(tp, '(') || !tp_int(tp, a1)) return false;
    if (a2 && (!tp_char(tp, ',') || !tp_int(tp, a2))) return false;
    return tp_char(tp, ')');
}

static const sql_type *tp_type(tparser *tp)
{
    sql_type t;
    memset(&t, 0, sizeof t);
    t.nullable = true;
    t.precision = -1;
    t.scale = -1;
    if (tp_word(tp, "NULL")) t.id = SQL_T_NULL;
    else if (tp_word(tp, "BOOLEAN")) t.id = SQL_T_BOOLEAN;
    else if (tp_word(tp, "TINYINT")) t.id = SQL_T_TINYINT;
    else if (tp_word(tp, "SMALLINT")) t.id = SQL_T_SMALLINT;
    else if (tp_word(tp, "INT")) t.id = SQL_T_INT;
    else if (tp_word(tp, "BIGINT")) t.id = SQL_T_BIGINT;
    else if (tp_word(tp, "DECIMAL")) {
        t.id = SQL_T_DECIMAL;
        if (!tp_args(tp, &t.precision, &t.scale)) return NULL;
    } else if (tp_word(tp, "FLOAT")) t.id = SQL_T_FLOAT;
    else if (tp_word(tp, "DOUBLE")) t.id = SQL_T_DOUBLE;
    else if (tp_word(tp, "CHAR")) {
        t.id = SQL_T_CHAR;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "STRING")) {
        t.id = SQL_T_VARCHAR;
        t.precision = SQL_MAX_LENGTH;
    } else if (tp_word(tp, "VARCHAR")) {
        t.id = SQL_T_VARCHAR;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "BINARY")) {
        t.id = SQL_T_BINARY;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "BYTES")) {
        t.id = SQL_T_VARBINARY;
        t.precision = SQL_MAX_LENGTH;
    } else if (tp_word(tp, "VARBINARY")) {
        t.id = SQL_T_VARBINARY;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "DATE")) t.id = SQL_T_DATE;
    else if (tp_word(tp, "TIME")) {
        t.id = SQL_T_TIME;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "TIMESTAMP_LTZ")) {
        t.id = SQL_T_TIMESTAMP_LTZ;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "TIMESTAMP")) {
        t.id = SQL_T_TIMESTAMP;
        if (!tp_args(tp, &t.precision, NULL)) return NULL;
    } else if (tp_word(tp, "INTERVAL")) {
        if (tp_word(tp, "YEAR")) {
            if (!tp_word(tp, "TO") || !tp_word(tp, "MONTH")) return NULL;
            t.id = SQL_T_INTERVAL_YM;
        } else if (tp_word(tp, "DAY")) {
            if (!tp_word(tp, "TO") || !tp_word(tp, "SECOND") || !tp_args(tp, &t.precision, NULL)) return NULL;
            t.id = SQL_T_INTERVAL_DT;
        } else
            return NULL;
    } else if (tp_word(tp, "ARRAY") || tp_word(tp, "MULTISET")) {
        t.id = tp->p[-1] == 'Y' ? SQL_T_ARRAY : SQL_T_MULTISET;
        if (!tp_char(tp, '<') || !(t.elem = tp_type(tp)) || !tp_char(tp, '>')) return NULL;
    } else if (tp_word(tp, "MAP")) {
        t.id = SQL_T_MAP;
        if (!tp_char(tp, '<') || !(t.elem = tp_type(tp)) || !tp_char(tp, ',') || !(t.value = tp_type(tp)) ||
            !tp_char(tp, '>'))
            return NULL;
    } else if (tp_word(tp, "ROW")) {
        t.id = SQL_T_ROW;
        if (!tp_char(tp, '<')) return NULL;
        int cap = 8;
        t.field_names = sl_arena_alloc(tp->a, sizeof(char *) * (size_t)cap);
        t.field_types = sl_arena_alloc(tp->a, sizeof(sql_type *) * (size_t)cap);
        while (!tp_char(tp, '>')) {
            if (t.nfields && !tp_char(tp, ',')) return NULL;
            if (!tp_char(tp, '`')) return NULL;
            const char *end = strchr(tp->p, '`');
            if (!end) return NULL;
            if (t.nfields == cap) {
                cap *= 2;
                const char **nn = sl_arena_alloc(tp->a, sizeof(char *) * (size_t)cap);
                const sql_type **nt = sl_arena_alloc(tp->a, sizeof(sql_type *) * (size_t)cap);
                memcpy(nn, t.field_names, sizeof(char *) * (size_t)t.nfields);
                memcpy(nt, t.field_types, sizeof(sql_type *) * (size_t)t.nfields);
                t.field_names = nn;
                t.field_types = nt;
            }
            t.field_names[t.nfields] = sl_arena_strndup(tp->a, tp->p, (size_t)(end - tp->p));
            tp->p = end + 1;
            if (!(t.field_types[t.nfields] = tp_type(tp))) return NULL;
            t.nfields++;
        }
    } else
        return NULL;
    if (tp_word(tp, "NOT")) {
        if (!tp_word(tp, "NULL")) return NULL;
        t.nullable = false;
    }
    tp_ws(tp);
    if (strncmp(tp->p, "*ROWTIME*", 9) == 0) {
        t.attr = SQL_TA_ROWTIME;
        tp->p += 9;
    } else if (strncmp(tp->p, "*PROCTIME*", 10) == 0) {
        t.attr = SQL_TA_PROCTIME;
        tp->p += 10;
    }
    return alloc_type(tp->a, &t);
}

const sql_type *sql_type_parse(sl_arena *a, const char *text)
{
    tparser tp = {a, text};
    const sql_type *t = tp_type(&tp);
    tp_ws(&tp);
    return t && *tp.p == 0 ? t : NULL;
}
