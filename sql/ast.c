/* sql/ast.c — node construction and kind names. */
#include <stdarg.h>
#include <string.h>

#include "common/strbuf.h"
#include "sql/sql.h"
#include "sql/sql_int.h"

const char *sql_kind_name(sql_kind k)
{
    static const char *const names[] = {
        [SQL_CREATE_TABLE] = "CreateTable", [SQL_CREATE_VIEW] = "CreateView", [SQL_DROP_TABLE] = "DropTable",
        [SQL_DROP_VIEW] = "DropView", [SQL_SET] = "Set", [SQL_RESET] = "Reset", [SQL_INSERT] = "Insert",
        [SQL_STATEMENT_SET] = "StatementSet", [SQL_EXPLAIN] = "Explain", [SQL_SHOW_TABLES] = "ShowTables",
        [SQL_SHOW_VIEWS] = "ShowViews", [SQL_SHOW_FUNCTIONS] = "ShowFunctions", [SQL_DESCRIBE] = "Describe",
        [SQL_UNSUPPORTED] = "Unsupported", [SQL_COLUMN] = "Column", [SQL_COMPUTED_COLUMN] = "ComputedColumn",
        [SQL_METADATA_COLUMN] = "MetadataColumn", [SQL_WATERMARK] = "Watermark", [SQL_PRIMARY_KEY] = "PrimaryKey",
        [SQL_OPTION] = "Option", [SQL_LIKE] = "Like", [SQL_WITH] = "With", [SQL_CTE] = "Cte",
        [SQL_SELECT] = "Select", [SQL_SET_OP] = "SetOp", [SQL_VALUES] = "Values", [SQL_ORDER_BY] = "OrderBy", [SQL_ORDER_ITEM] = "OrderItem",
        [SQL_SELECT_ITEM] = "SelectItem", [SQL_STAR] = "Star", [SQL_TABLE_REF] = "TableRef",
        [SQL_SUBQUERY] = "Subquery", [SQL_JOIN] = "Join", [SQL_TVF] = "TableFunction", [SQL_TABLE_ARG] = "TableArg",
        [SQL_DESCRIPTOR] = "Descriptor", [SQL_HINT] = "Hint", [SQL_ID] = "Id", [SQL_NAME] = "Name",
        [SQL_LIT_INT] = "Int", [SQL_LIT_DEC] = "Decimal", [SQL_LIT_FLOAT] = "Float", [SQL_LIT_STRING] = "String",
        [SQL_LIT_BOOL] = "Bool", [SQL_LIT_NULL] = "Null", [SQL_LIT_TYPED] = "TypedLiteral",
        [SQL_LIT_INTERVAL] = "Interval", [SQL_INTERVAL_QUAL] = "IntervalQualifier", [SQL_UNARY] = "Unary",
        [SQL_BINARY] = "Binary", [SQL_IS] = "Is", [SQL_BETWEEN] = "Between", [SQL_IN] = "In",
        [SQL_LIKE_OP] = "LikeOp", [SQL_CASE] = "Case", [SQL_WHEN] = "When", [SQL_CAST] = "Cast",
        [SQL_CALL] = "Call", [SQL_SPECIAL] = "Special", [SQL_FIELD] = "Field", [SQL_ITEM] = "Item",
        [SQL_ROW_CTOR] = "RowConstructor", [SQL_ARRAY_CTOR] = "ArrayConstructor", [SQL_MAP_CTOR] = "MapConstructor",
        [SQL_OVER] = "Over", [SQL_FRAME] = "Frame", [SQL_BOUND] = "Bound", [SQL_EXISTS] = "Exists",
        [SQL_SCALAR_QUERY] = "ScalarQuery", [SQL_TYPE] = "Type", [SQL_ROW_FIELD] = "RowField", [SQL_LIST] = "List",
    };
    return (k >= 0 && (size_t)k < sizeof names / sizeof *names && names[k]) ? names[k] : "?";
}

char *sql_strndup(sql_pctx *cx, const char *s, size_t n) { return sl_arena_strndup(cx->arena, s, n); }

sql_node *sql_new(sql_pctx *cx, sql_kind kind, sql_loc loc, const char *text)
{
    sql_node *n = sl_arena_zalloc(cx->arena, sizeof *n);
    n->kind = kind;
    n->off = loc.off;
    n->len = loc.end - loc.off;
    n->text = text;
    n->ival = n->ival2 = -1;
    return n;
}

sql_node *sql_add(sql_pctx *cx, sql_node *n, sql_node *kid)
{
    /* Capacity is the next power of two >= nkids; grow by copying into the arena. */
    int32_t cap = 1;
    while (cap < n->nkids) cap *= 2;
    if (n->nkids == 0 || n->nkids == cap) {
        int32_t ncap = n->nkids == 0 ? 2 : cap * 2;
        sql_node **k = sl_arena_alloc(cx->arena, (size_t)ncap * sizeof *k);
        if (n->nkids) memcpy(k, n->kids, (size_t)n->nkids * sizeof *k);
        n->kids = k;
    }
    n->kids[n->nkids++] = kid;
    if (kid && n->kind == SQL_LIST) {
        /* a list spans its elements */
        int32_t end = kid->off + kid->len;
        if (n->nkids == 1 || kid->off < n->off) {
            if (n->nkids == 1) n->off = kid->off;
        }
        if (end > n->off + n->len) n->len = end - n->off;
    }
    return n;
}

sql_node *sql_mk(sql_pctx *cx, sql_kind kind, sql_loc loc, const char *text, int nkids, ...)
{
    sql_node *n = sql_new(cx, kind, loc, text);
    va_list ap;
    va_start(ap, nkids);
    for (int i = 0; i < nkids; i++) sql_add(cx, n, va_arg(ap, sql_node *));
    va_end(ap);
    return n;
}

void sql_fail(sql_pctx *cx, sl_status code, sql_loc loc, const char *fmt, ...)
{
    if (cx->failed) return;
    cx->failed = true;
    sl_error_clear(cx->err);
    cx->err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->err->message, sizeof cx->err->message, fmt, ap);
    va_end(ap);
    sl_error_at_offset(cx->err, cx->name, loc.off, loc.end - loc.off);
}

/* ---- printer ---------------------------------------------------------------------------- */

static void print_flags(sl_strbuf *out, uint32_t f)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {SQL_F_TEMPORARY, "temporary"}, {SQL_F_IF_NOT_EXISTS, "if-not-exists"}, {SQL_F_IF_EXISTS, "if-exists"},
        {SQL_F_OVERWRITE, "overwrite"}, {SQL_F_DISTINCT, "distinct"},          {SQL_F_ALL, "all"},
        {SQL_F_DESC, "desc"},           {SQL_F_NULLS_FIRST, "nulls-first"},    {SQL_F_NULLS_LAST, "nulls-last"},
        {SQL_F_NOT, "not"},             {SQL_F_SYMMETRIC, "symmetric"},        {SQL_F_STAR_ARG, "star-arg"},
        {SQL_F_NOT_NULL, "not-null"},   {SQL_F_WITH_LOCAL_TZ, "local-tz"},     {SQL_F_VIRTUAL, "virtual"},
        {SQL_F_PRIMARY_KEY, "primary-key"}, {SQL_F_QUOTED, "quoted"},          {SQL_F_NEGATIVE, "negative"},
        {SQL_F_LATERAL, "lateral"},     {SQL_F_PARENS, "parens"},          {SQL_F_OUTER_REF, "outer-ref"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (f & names[i].bit) sl_strbuf_printf(out, " [%s]", names[i].name);
}

static void print_node(sl_strbuf *out, const sql_node *n, int depth)
{
    for (int i = 0; i < depth; i++) sl_strbuf_puts(out, "  ");
    if (!n) {
        sl_strbuf_puts(out, "-\n");
        return;
    }
    sl_strbuf_puts(out, sql_kind_name(n->kind));
    if (n->text) sl_strbuf_printf(out, " '%s'", n->text);
    if (n->kind == SQL_LIT_BOOL) sl_strbuf_puts(out, n->ival ? " TRUE" : " FALSE");
    if (n->kind == SQL_TYPE || n->kind == SQL_INTERVAL_QUAL) {
        if (n->ival >= 0) sl_strbuf_printf(out, " p=%lld", (long long)n->ival);
        if (n->ival2 >= 0) sl_strbuf_printf(out, " s=%lld", (long long)n->ival2);
    }
    print_flags(out, n->flags);
    sl_strbuf_printf(out, " @%d+%d\n", n->off, n->len);
    for (int i = 0; i < n->nkids; i++) print_node(out, n->kids[i], depth + 1);
}

void sql_ast_print(sl_strbuf *out, const sql_node *n) { print_node(out, n, 0); }
