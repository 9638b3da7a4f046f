/* sql/parser.y — the Flink SQL grammar (bison, pure, byte-offset locations, no conflicts).
 *
 * Expressions use a layered grammar instead of precedence declarations, so that BETWEEN's AND
 * and the keyword-argument functions (POSITION(a IN b), TRIM(x FROM y)) need no special cases:
 *   expr -> or -> and -> not -> predicate -> sum (+ - ||) -> term (* / %) -> unary -> postfix -> primary
 * Identifiers are single names in `primary`; a.b.c is built by the postfix '.' rule, which
 * extends a plain identifier and otherwise makes a field access. */
%define api.pure full
%define api.prefix {sqlyy}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {void *scanner}
%parse-param {sql_pctx *cx}

%code requires {
#include "sql/sql_int.h"
}

%code provides {
int sqlyylex(SQLYYSTYPE *lval, SQLYYLTYPE *lloc, void *scanner);
}

%code {
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdbool.h>

#include "common/strbuf.h"
#include "common/suggest.h"

#define CX cx
#define N(kind, loc, text) sql_new(cx, (kind), (loc), (text))
#define MK(kind, loc, text, n, ...) sql_mk(cx, (kind), (loc), (text), (n), __VA_ARGS__)
#define LIST(loc) sql_new(cx, SQL_LIST, (loc), NULL)
#define UNSUPPORTED(loc, what)                                                                               \
    do {                                                                                                     \
        sql_fail(cx, SL_ERR_UNSUPPORTED, (loc), "not supported yet: %s", (what));                            \
        YYABORT;                                                                                             \
    } while (0)

static void sqlyyerror(SQLYYLTYPE *loc, void *scanner, sql_pctx *cx, const char *msg)
{
    (void)scanner;
    sql_fail(cx, SL_ERR_SYNTAX, *loc, "%s", msg);
}

/* Builds a type node. */
static sql_node *type_node(sql_pctx *cx, sql_loc loc, const char *name, int64_t p, int64_t s)
{
    sql_node *t = sql_new(cx, SQL_TYPE, loc, name);
    t->ival = p;
    t->ival2 = s;
    return t;
}

static int64_t to_int(const char *s) { return strtoll(s, NULL, 10); }
}

%union {
    sql_node *node;
    const char *str;
    sql_loc loc;
    uint32_t flags;
}

%token <str> IDENT "identifier" QIDENT "quoted identifier" STRING "string literal" INTEGER "integer literal"
%token <str> DECIMAL_LIT "decimal literal" FLOAT_LIT "floating-point literal"
%token NE "<>" LE "<=" GE ">=" CONCAT "||"
%token HINT_BEGIN "/*+" HINT_END "*/"
%token LEX_ERROR "invalid token"

/* Keywords (keep in sync with the keyword table at the end of this file). */
%token <str> ADD "ADD" ALL "ALL" ALTER "ALTER" AND "AND" ANALYZE "ANALYZE" ARRAY "ARRAY" AS "AS" ASC "ASC"
%token <str> BEGIN_ "BEGIN" BETWEEN "BETWEEN" BIGINT "BIGINT" BINARY "BINARY" BOOLEAN "BOOLEAN" BOTH "BOTH" BY "BY" BYTES "BYTES"
%token <str> CASE "CASE" CAST "CAST" CATALOG "CATALOG" CHAR "CHAR" CHARACTER "CHARACTER" COMMENT "COMMENT" CONSTRAINT "CONSTRAINT"
%token <str> CREATE "CREATE" CROSS "CROSS" CURRENT "CURRENT" DATABASE "DATABASE" DATE "DATE" DAY "DAY" DEC "DEC" DECIMAL "DECIMAL"
%token <str> DESC "DESC" DESCRIBE "DESCRIBE" DESCRIPTOR "DESCRIPTOR" DISTINCT "DISTINCT" DOUBLE "DOUBLE" DROP "DROP"
%token <str> ELSE "ELSE" END "END" ENFORCED "ENFORCED" ESCAPE "ESCAPE" EXCEPT "EXCEPT" EXCLUDING "EXCLUDING" EXECUTE "EXECUTE"
%token <str> EXISTS "EXISTS" EXPLAIN "EXPLAIN" EXTRACT "EXTRACT" FALSE "FALSE" FILTER "FILTER" FIRST "FIRST" FLOAT "FLOAT"
%token <str> FOLLOWING "FOLLOWING" FOR "FOR" FROM "FROM" FULL "FULL" FUNCTION "FUNCTION" FUNCTIONS "FUNCTIONS" GROUP "GROUP"
%token <str> HAVING "HAVING" HOUR "HOUR" IF "IF" IN "IN" INCLUDING "INCLUDING" INNER "INNER" INSERT "INSERT" INT "INT"
%token <str> INTEGER_KW "INTEGER" INTERSECT "INTERSECT" INTERVAL "INTERVAL" INTO "INTO" IS "IS" JOIN "JOIN" KEY "KEY"
%token <str> LAST "LAST" LATERAL "LATERAL" LEADING "LEADING" LEFT "LEFT" LIKE "LIKE" LIMIT "LIMIT" LOCAL "LOCAL"
%token <str> MAP "MAP" MATCH_RECOGNIZE "MATCH_RECOGNIZE" METADATA "METADATA" MINUTE "MINUTE" MONTH "MONTH" MULTISET "MULTISET"
%token <str> NOT "NOT" NULL_ "NULL" NULLS "NULLS" NUMERIC "NUMERIC" OF "OF" OFFSET "OFFSET" ON "ON" OR "OR" ORDER "ORDER"
%token <str> OUTER "OUTER" OVER "OVER" OVERWRITE "OVERWRITE" OVERWRITING "OVERWRITING" PARTITION "PARTITION"
%token <str> PARTITIONED "PARTITIONED" PLAN "PLAN" POSITION "POSITION" PRECEDING "PRECEDING" PRECISION "PRECISION"
%token <str> PRIMARY "PRIMARY" RANGE "RANGE" RESET "RESET" RIGHT "RIGHT" ROW "ROW" ROWS "ROWS" SECOND "SECOND" SELECT "SELECT"
%token <str> SET "SET" SHOW "SHOW" SIMILAR "SIMILAR" SMALLINT "SMALLINT" STATEMENT "STATEMENT" STRING_KW "STRING"
%token <str> SUBSTRING "SUBSTRING" SYMMETRIC "SYMMETRIC" SYSTEM_TIME "SYSTEM_TIME" TABLE "TABLE" TABLES "TABLES"
%token <str> TEMPORARY "TEMPORARY" THEN "THEN" TIME "TIME" TIMESTAMP "TIMESTAMP" TIMESTAMP_LTZ "TIMESTAMP_LTZ"
%token <str> TIMESTAMPADD "TIMESTAMPADD" TIMESTAMPDIFF "TIMESTAMPDIFF" TINYINT "TINYINT" TO "TO" TRAILING "TRAILING"
%token <str> TRIM "TRIM" TRUE "TRUE" TRY_CAST "TRY_CAST" UNBOUNDED "UNBOUNDED" UNION "UNION" UNKNOWN "UNKNOWN" USE "USE"
%token <str> USING "USING" VARBINARY "VARBINARY" VARCHAR "VARCHAR" VIEW "VIEW" VIEWS "VIEWS" VIRTUAL "VIRTUAL"
%token <str> WATERMARK "WATERMARK" WATERMARKS "WATERMARKS" WHEN "WHEN" WHERE "WHERE" WINDOW "WINDOW" WITH "WITH"
%token <str> YEARS "YEARS" MONTHS "MONTHS" DAYS "DAYS" HOURS "HOURS" MINUTES "MINUTES" SECONDS "SECONDS"
%token <str> WITHOUT "WITHOUT" YEAR "YEAR" ZONE "ZONE" OPTIONS "OPTIONS" PARTITIONS "PARTITIONS" VALUES "VALUES"

%type <node> stmt create_table create_view drop set_stmt reset_stmt insert statement_set explain show describe
%type <node> compound_name name table_elements table_element column_def opt_comment partitioned opt_with options option
%type <node> like_clause like_options name_list paren_name_list opt_paren_names insert_list
%type <node> ordered_query opt_order_by query query_expr query_term query_primary select opt_from opt_where opt_group opt_having select_items
%type <node> select_item opt_alias from_list table_ref table_primary join_cond tvf_args tvf_arg opt_hints hint_list hint
%type <node> hint_args order_items order_item opt_limit opt_offset ctes cte values_rows values_row
%type <node> expr or_expr and_expr not_expr pred sum term unary postfix primary literal call args opt_filter opt_over
%type <node> window_spec opt_partition opt_order opt_frame frame_bound case_expr whens opt_else exprs special
%type <node> interval_lit interval_qual type base_type row_fields row_field opt_system_time
%type <str> func_keyword unit_keyword nonreserved trim_mode
%type <node> like_option_item
%type <flags> opt_temporary opt_if_not_exists opt_if_exists opt_distinct opt_all set_quantifier opt_not opt_nulls opt_asc_desc
%type <flags> opt_not_null
%type <loc> join_kind

%%

script
    : stmt_list
    ;

stmt_list
    : opt_stmt
    | stmt_list ';' opt_stmt
    ;

opt_stmt
    : %empty
    | stmt                          { sql_add(cx, cx->stmts, $1); }
    ;

stmt
    : create_table | create_view | drop | set_stmt | reset_stmt | insert | statement_set | explain | show | describe
    | query
    | ALTER                         { UNSUPPORTED(@1, "ALTER statements"); }
    | USE                           { UNSUPPORTED(@1, "USE statements (there is one catalog, default_catalog.default_database)"); }
    | ANALYZE                       { UNSUPPORTED(@1, "ANALYZE TABLE"); }
    | CREATE opt_temporary FUNCTION { UNSUPPORTED(@3, "user-defined functions (CREATE FUNCTION)"); }
    | CREATE CATALOG                { UNSUPPORTED(@2, "catalogs (CREATE CATALOG)"); }
    | CREATE DATABASE               { UNSUPPORTED(@2, "databases (CREATE DATABASE)"); }
    | DROP FUNCTION                 { UNSUPPORTED(@2, "user-defined functions (DROP FUNCTION)"); }
    | DROP CATALOG                  { UNSUPPORTED(@2, "catalogs (DROP CATALOG)"); }
    | DROP DATABASE                 { UNSUPPORTED(@2, "databases (DROP DATABASE)"); }
    ;

/* ---- DDL ---------------------------------------------------------------------------- */

create_table
    : CREATE opt_temporary TABLE opt_if_not_exists compound_name '(' table_elements ')' opt_comment partitioned opt_with like_clause
        { $$ = MK(SQL_CREATE_TABLE, @$, NULL, 6, $5, $7, $10, $11, $12, $9); $$->flags = $2 | $4; }
    | CREATE opt_temporary TABLE opt_if_not_exists compound_name opt_comment partitioned WITH '(' options ')' like_clause
        { $$ = MK(SQL_CREATE_TABLE, @$, NULL, 6, $5, LIST(@5), $7, $10, $12, $6); $$->flags = $2 | $4; }
    | CREATE opt_temporary TABLE opt_if_not_exists compound_name LIKE
        { UNSUPPORTED(@6, "CREATE TABLE ... LIKE without a WITH clause or columns"); }
    | CREATE opt_temporary TABLE opt_if_not_exists compound_name '(' table_elements ')' opt_comment partitioned opt_with AS
        { UNSUPPORTED(@12, "CREATE TABLE ... AS SELECT"); }
    | CREATE opt_temporary TABLE opt_if_not_exists compound_name opt_comment partitioned WITH '(' options ')' AS
        { UNSUPPORTED(@12, "CREATE TABLE ... AS SELECT"); }
    ;

opt_temporary: %empty { $$ = 0; } | TEMPORARY { $$ = SQL_F_TEMPORARY; } ;
opt_if_not_exists: %empty { $$ = 0; } | IF NOT EXISTS { $$ = SQL_F_IF_NOT_EXISTS; } ;
opt_if_exists: %empty { $$ = 0; } | IF EXISTS { $$ = SQL_F_IF_EXISTS; } ;

table_elements
    : table_element                     { $$ = sql_add(cx, LIST(@$), $1); }
    | table_elements ',' table_element  { $$ = sql_add(cx, $1, $3); }
    ;

table_element
    : column_def
    | name AS expr opt_comment
        { $$ = MK(SQL_COMPUTED_COLUMN, @$, $1->text, 2, $3, $4); }
    | name type METADATA opt_comment
        { $$ = MK(SQL_METADATA_COLUMN, @$, $1->text, 3, $2, NULL, $4); }
    | name type METADATA FROM STRING opt_comment
        { $$ = MK(SQL_METADATA_COLUMN, @$, $1->text, 3, $2, N(SQL_LIT_STRING, @5, $5), $6); }
    | name type METADATA VIRTUAL opt_comment
        { $$ = MK(SQL_METADATA_COLUMN, @$, $1->text, 3, $2, NULL, $5); $$->flags |= SQL_F_VIRTUAL; }
    | name type METADATA FROM STRING VIRTUAL opt_comment
        { $$ = MK(SQL_METADATA_COLUMN, @$, $1->text, 3, $2, N(SQL_LIT_STRING, @5, $5), $7); $$->flags |= SQL_F_VIRTUAL; }
    | WATERMARK FOR name AS expr
        { sql_node *id = MK(SQL_ID, @3, $3->text, 1, $3); $$ = MK(SQL_WATERMARK, @$, NULL, 2, id, $5); }
    | PRIMARY KEY paren_name_list NOT ENFORCED
        { $$ = $3; $$->kind = SQL_PRIMARY_KEY; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | CONSTRAINT name PRIMARY KEY paren_name_list NOT ENFORCED
        { $$ = $5; $$->kind = SQL_PRIMARY_KEY; $$->text = $2->text; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | PRIMARY KEY paren_name_list
        { UNSUPPORTED(@$, "enforced primary keys; Flink requires PRIMARY KEY (...) NOT ENFORCED"); }
    ;

column_def
    : name type opt_comment                          { $$ = MK(SQL_COLUMN, @$, $1->text, 2, $2, $3); }
    | name type PRIMARY KEY NOT ENFORCED opt_comment { $$ = MK(SQL_COLUMN, @$, $1->text, 2, $2, $7); $$->flags |= SQL_F_PRIMARY_KEY; }
    ;

like_verb: INCLUDING | EXCLUDING | OVERWRITING ;

opt_comment: %empty { $$ = NULL; } | COMMENT STRING { $$ = N(SQL_LIT_STRING, @2, $2); } ;

partitioned: %empty { $$ = NULL; } | PARTITIONED BY paren_name_list { $$ = $3; } ;

opt_with: %empty { $$ = NULL; } | WITH '(' options ')' { $$ = $3; } ;

options
    : option                { $$ = sql_add(cx, LIST(@$), $1); }
    | options ',' option    { $$ = sql_add(cx, $1, $3); }
    ;

option
    : STRING '=' STRING     { $$ = MK(SQL_OPTION, @$, NULL, 2, N(SQL_LIT_STRING, @1, $1), N(SQL_LIT_STRING, @3, $3)); }
    ;

like_clause
    : %empty                                { $$ = NULL; }
    | LIKE compound_name                    { $$ = MK(SQL_LIKE, @$, NULL, 2, $2, LIST(@2)); }
    | LIKE compound_name '(' like_options ')' { $$ = MK(SQL_LIKE, @$, NULL, 2, $2, $4); }
    ;

like_options
    : like_option_item                  { $$ = LIST(@$); sql_add(cx, $$, $1); }
    | like_options like_option_item     { $$ = sql_add(cx, $1, $2); }
    ;

like_option_item
    : like_verb ALL     { $$ = N(SQL_NAME, @$, NULL); $$->text = sql_strndup(cx, cx->text + @$.off, (size_t)(@$.end - @$.off)); }
    | like_verb name    { $$ = N(SQL_NAME, @$, NULL); $$->text = sql_strndup(cx, cx->text + @$.off, (size_t)(@$.end - @$.off)); }
    ;

create_view
    : CREATE opt_temporary VIEW opt_if_not_exists compound_name opt_paren_names AS query
        { $$ = MK(SQL_CREATE_VIEW, @$, NULL, 3, $5, $6, $8); $$->flags = $2 | $4; }
    ;

drop
    : DROP opt_temporary TABLE opt_if_exists compound_name { $$ = MK(SQL_DROP_TABLE, @$, NULL, 1, $5); $$->flags = $2 | $4; }
    | DROP opt_temporary VIEW opt_if_exists compound_name  { $$ = MK(SQL_DROP_VIEW, @$, NULL, 1, $5); $$->flags = $2 | $4; }
    ;

set_stmt
    : SET                       { $$ = MK(SQL_SET, @$, NULL, 2, NULL, NULL); }
    | SET STRING '=' STRING     { $$ = MK(SQL_SET, @$, NULL, 2, N(SQL_LIT_STRING, @2, $2), N(SQL_LIT_STRING, @4, $4)); }
    ;

reset_stmt
    : RESET                     { $$ = MK(SQL_RESET, @$, NULL, 1, NULL); }
    | RESET STRING              { $$ = MK(SQL_RESET, @$, NULL, 1, N(SQL_LIT_STRING, @2, $2)); }
    ;

insert
    : INSERT INTO compound_name query                      { $$ = MK(SQL_INSERT, @$, NULL, 3, $3, NULL, $4); }
    | INSERT INTO compound_name paren_name_list query      { $$ = MK(SQL_INSERT, @$, NULL, 3, $3, $4, $5); }
    | INSERT OVERWRITE compound_name query                 { $$ = MK(SQL_INSERT, @$, NULL, 3, $3, NULL, $4); $$->flags |= SQL_F_OVERWRITE; }
    | INSERT OVERWRITE compound_name paren_name_list query { $$ = MK(SQL_INSERT, @$, NULL, 3, $3, $4, $5); $$->flags |= SQL_F_OVERWRITE; }
    | INSERT INTO compound_name PARTITION                  { UNSUPPORTED(@4, "static partitions in INSERT (PARTITION (...))"); }
    | INSERT OVERWRITE compound_name PARTITION             { UNSUPPORTED(@4, "static partitions in INSERT (PARTITION (...))"); }
    ;

statement_set
    : EXECUTE STATEMENT SET BEGIN_ insert_list END  { $$ = $5; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | BEGIN_ STATEMENT SET ';' insert_list END      { $$ = $5; $$->off = @$.off; $$->len = @$.end - @$.off; }
    ;

insert_list
    : insert ';'                { $$ = sql_add(cx, N(SQL_STATEMENT_SET, @$, NULL), $1); }
    | insert_list insert ';'    { $$ = sql_add(cx, $1, $2); }
    ;

explain
    : EXPLAIN stmt              { $$ = MK(SQL_EXPLAIN, @$, NULL, 1, $2); }
    | EXPLAIN PLAN FOR stmt     { $$ = MK(SQL_EXPLAIN, @$, NULL, 1, $4); }
    ;

show
    : SHOW TABLES               { $$ = N(SQL_SHOW_TABLES, @$, NULL); }
    | SHOW VIEWS                { $$ = N(SQL_SHOW_VIEWS, @$, NULL); }
    | SHOW FUNCTIONS            { $$ = N(SQL_SHOW_FUNCTIONS, @$, NULL); }
    | SHOW IDENT                { UNSUPPORTED(@2, "this SHOW statement (supported: SHOW TABLES, SHOW VIEWS, SHOW FUNCTIONS)"); }
    ;

describe
    : DESCRIBE compound_name    { $$ = MK(SQL_DESCRIBE, @$, NULL, 1, $2); }
    | DESC compound_name        { $$ = MK(SQL_DESCRIBE, @$, NULL, 1, $2); }
    ;

/* ---- names -------------------------------------------------------------------------- */

name
    : IDENT         { $$ = N(SQL_NAME, @$, $1); }
    | QIDENT        { $$ = N(SQL_NAME, @$, $1); $$->flags |= SQL_F_QUOTED; }
    | nonreserved   { $$ = N(SQL_NAME, @$, $1); }
    ;

/* Keywords that may still be used as identifiers. */
nonreserved
    : COMMENT | METADATA | VIRTUAL | WATERMARKS | OPTIONS | PARTITIONS | TEMPORARY | VIEWS | TABLES
    | FUNCTIONS | STATEMENT | ENFORCED | PLAN | INCLUDING | EXCLUDING | OVERWRITING | KEY | FIRST | LAST
    | NULLS | CATALOG | DATABASE | ZONE | LOCAL
    ;

compound_name
    : name                      { $$ = MK(SQL_ID, @$, $1->text, 1, $1); }
    | compound_name '.' name    { $$ = sql_add(cx, $1, $3); $$->text = $3->text; }
    ;

name_list
    : name                      { $$ = sql_add(cx, LIST(@$), MK(SQL_ID, @1, $1->text, 1, $1)); }
    | name_list ',' name        { $$ = sql_add(cx, $1, MK(SQL_ID, @3, $3->text, 1, $3)); }
    ;

paren_name_list: '(' name_list ')' { $$ = $2; $$->off = @$.off; $$->len = @$.end - @$.off; } ;
opt_paren_names: %empty { $$ = NULL; } | paren_name_list ;

/* ---- queries ------------------------------------------------------------------------ */

query
    : ordered_query
    | WITH ctes ordered_query   { $$ = MK(SQL_WITH, @$, NULL, 2, $2, $3); }
    ;

/* ORDER BY / LIMIT / OFFSET apply to the whole (possibly UNIONed) query. */
ordered_query
    : query_expr opt_order_by opt_limit opt_offset
        { $$ = ($2 || $3 || $4) ? MK(SQL_ORDER_BY, @$, NULL, 4, $1, $2, $3, $4) : $1; }
    ;

opt_order_by: %empty { $$ = NULL; } | ORDER BY order_items { $$ = $3; } ;

ctes
    : cte                       { $$ = sql_add(cx, LIST(@$), $1); }
    | ctes ',' cte              { $$ = sql_add(cx, $1, $3); }
    ;

cte
    : name opt_paren_names AS '(' query ')'  { $$ = MK(SQL_CTE, @$, $1->text, 2, $2, $5); }
    ;

query_expr
    : query_term
    | query_expr UNION set_quantifier query_term    { $$ = MK(SQL_SET_OP, @$, "UNION", 2, $1, $4); $$->flags |= $3; }
    | query_expr EXCEPT set_quantifier query_term   { $$ = MK(SQL_SET_OP, @$, "EXCEPT", 2, $1, $4); $$->flags |= $3; }
    ;

set_quantifier: %empty { $$ = 0; } | ALL { $$ = SQL_F_ALL; } | DISTINCT { $$ = 0; } ;

query_term
    : query_primary
    | query_term INTERSECT set_quantifier query_primary { $$ = MK(SQL_SET_OP, @$, "INTERSECT", 2, $1, $4); $$->flags |= $3; }
    ;

query_primary
    : select
    | '(' query ')'             { $$ = $2; $$->flags |= SQL_F_PARENS; }
    | VALUES values_rows        { $$ = $2; $$->kind = SQL_VALUES; $$->off = @$.off; $$->len = @$.end - @$.off; }
    ;

/* VALUES rows: (a, b) or ROW(a, b) is a row of columns; any other expression a one-column row */
values_rows
    : values_row                    { $$ = sql_add(cx, LIST(@$), $1); }
    | values_rows ',' values_row    { $$ = sql_add(cx, $1, $3); }
    ;

values_row
    : expr
        { if ($1->kind == SQL_ROW_CTOR && !($1->flags & SQL_F_PARENS)) { $$ = $1; $$->kind = SQL_LIST; }
          else $$ = sql_add(cx, LIST(@$), $1); }
    ;

select
    : SELECT opt_hints opt_distinct select_items opt_from opt_where opt_group opt_having
        { $$ = MK(SQL_SELECT, @$, NULL, 6, $4, $5, $6, $7, $8, $2); $$->flags |= $3; }
    | SELECT opt_hints opt_distinct select_items opt_from opt_where opt_group opt_having WINDOW
        { UNSUPPORTED(@9, "named windows (WINDOW clause)"); }
    ;

opt_distinct: %empty { $$ = 0; } | DISTINCT { $$ = SQL_F_DISTINCT; } | ALL { $$ = 0; } ;

select_items
    : select_item                   { $$ = sql_add(cx, LIST(@$), $1); }
    | select_items ',' select_item  { $$ = sql_add(cx, $1, $3); }
    ;

select_item
    : expr opt_alias    { $$ = MK(SQL_SELECT_ITEM, @$, NULL, 2, $1, $2); }
    | '*'               { $$ = N(SQL_STAR, @$, NULL); }
    ;

opt_alias
    : %empty            { $$ = NULL; }
    | AS name           { $$ = $2; }
    | name              { $$ = $1; }
    ;

opt_from: %empty { $$ = NULL; } | FROM from_list { $$ = $2; } ;

from_list
    : table_ref
    | from_list ',' table_ref       { $$ = MK(SQL_JOIN, @$, "COMMA", 4, $1, $3, NULL, NULL); }
    ;

table_ref
    : table_primary
    | table_ref join_kind JOIN table_primary join_cond
        {
          const char *k = cx->text + @2.off;
          const char *kind = @2.end == @2.off ? "INNER"
                           : strncasecmp(k, "LEFT", 4) == 0 ? "LEFT"
                           : strncasecmp(k, "RIGHT", 5) == 0 ? "RIGHT"
                           : strncasecmp(k, "FULL", 4) == 0 ? "FULL" : "INNER";
          $$ = MK(SQL_JOIN, @$, kind, 4, $1, $4, NULL, NULL);
          if ($5->kind == SQL_LIST) $$->kids[3] = $5; else $$->kids[2] = $5;
        }
    | table_ref CROSS JOIN table_primary    { $$ = MK(SQL_JOIN, @$, "CROSS", 4, $1, $4, NULL, NULL); }
    ;

join_kind
    : %empty            { $$ = @$; $$.end = $$.off; }
    | INNER             { $$ = @1; }
    | LEFT              { $$ = @1; }
    | LEFT OUTER        { $$ = @1; }
    | RIGHT             { $$ = @1; }
    | RIGHT OUTER       { $$ = @1; }
    | FULL              { $$ = @1; }
    | FULL OUTER        { $$ = @1; }
    ;

join_cond
    : ON expr                       { $$ = $2; }
    | USING '(' name_list ')'       { $$ = $3; }
    ;

table_primary
    : compound_name MATCH_RECOGNIZE       { UNSUPPORTED(@2, "MATCH_RECOGNIZE"); }
    | compound_name opt_system_time opt_hints opt_alias
        { $$ = MK(SQL_TABLE_REF, @$, NULL, 5, $1, $4, $2, $3, NULL); }
    | compound_name opt_system_time opt_hints AS name '(' name_list ')'
        { $$ = MK(SQL_TABLE_REF, @$, NULL, 5, $1, $5, $2, $3, $7); }
    | '(' query ')' opt_alias
        { $$ = MK(SQL_SUBQUERY, @$, NULL, 3, $2, $4, NULL); }
    | '(' query ')' AS name '(' name_list ')'
        { $$ = MK(SQL_SUBQUERY, @$, NULL, 3, $2, $5, $7); }
    | LATERAL '(' query ')' opt_alias
        { $$ = MK(SQL_SUBQUERY, @$, NULL, 3, $3, $5, NULL); $$->flags |= SQL_F_LATERAL; }
    | TABLE '(' name '(' tvf_args ')' ')' opt_alias
        { sql_node *call = MK(SQL_CALL, @3, $3->text, 3, $5, NULL, NULL);
          call->len = @6.end - @3.off;
          $$ = MK(SQL_TVF, @$, NULL, 2, call, $8); }
    | LATERAL TABLE '(' name '(' tvf_args ')' ')' opt_alias
        { UNSUPPORTED(@2, "LATERAL TABLE (user-defined table functions)"); }
    ;

opt_system_time
    : %empty                                { $$ = NULL; }
    | FOR SYSTEM_TIME AS OF sum             { $$ = $5; }
    ;

tvf_args
    : tvf_arg                   { $$ = sql_add(cx, LIST(@$), $1); }
    | tvf_args ',' tvf_arg      { $$ = sql_add(cx, $1, $3); }
    ;

tvf_arg
    : TABLE compound_name                   { $$ = MK(SQL_TABLE_ARG, @$, NULL, 2, $2, NULL); }
    | TABLE compound_name PARTITION BY compound_name  { $$ = MK(SQL_TABLE_ARG, @$, NULL, 2, $2, sql_add(cx, LIST(@5), $5)); }
    | TABLE compound_name PARTITION BY paren_name_list { $$ = MK(SQL_TABLE_ARG, @$, NULL, 2, $2, $5); }
    | DESCRIPTOR '(' name_list ')'          { $$ = $3; $$->kind = SQL_DESCRIPTOR; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | expr
    ;

opt_hints
    : %empty                            { $$ = NULL; }
    | HINT_BEGIN hint_list HINT_END     { $$ = $2; }
    ;

hint_list
    : hint                      { $$ = sql_add(cx, LIST(@$), $1); }
    | hint_list ',' hint        { $$ = sql_add(cx, $1, $3); }
    ;

hint
    : name                          { $$ = N(SQL_HINT, @$, $1->text); }
    | name '(' hint_args ')'        { $$ = $3; $$->kind = SQL_HINT; $$->text = $1->text; $$->off = @$.off; $$->len = @$.end - @$.off; }
    ;

hint_args
    : option                        { $$ = sql_add(cx, LIST(@$), $1); }
    | name                          { $$ = sql_add(cx, LIST(@$), MK(SQL_ID, @1, $1->text, 1, $1)); }
    | hint_args ',' option          { $$ = sql_add(cx, $1, $3); }
    | hint_args ',' name            { $$ = sql_add(cx, $1, MK(SQL_ID, @3, $3->text, 1, $3)); }
    ;

opt_where: %empty { $$ = NULL; } | WHERE expr { $$ = $2; } ;
opt_group: %empty { $$ = NULL; } | GROUP BY exprs { $$ = $3; } ;
opt_having: %empty { $$ = NULL; } | HAVING expr { $$ = $2; } ;

order_items
    : order_item                    { $$ = sql_add(cx, LIST(@$), $1); }
    | order_items ',' order_item    { $$ = sql_add(cx, $1, $3); }
    ;

order_item
    : expr opt_asc_desc opt_nulls   { $$ = MK(SQL_ORDER_ITEM, @$, NULL, 1, $1); $$->flags = $2 | $3; }
    ;

opt_asc_desc: %empty { $$ = 0; } | ASC { $$ = 0; } | DESC { $$ = SQL_F_DESC; } ;
opt_nulls: %empty { $$ = 0; } | NULLS FIRST { $$ = SQL_F_NULLS_FIRST; } | NULLS LAST { $$ = SQL_F_NULLS_LAST; } ;
opt_limit: %empty { $$ = NULL; } | LIMIT INTEGER { $$ = N(SQL_LIT_INT, @2, $2); } ;
opt_offset: %empty { $$ = NULL; } | OFFSET INTEGER { $$ = N(SQL_LIT_INT, @2, $2); } ;

/* ---- expressions -------------------------------------------------------------------- */

expr: or_expr ;

or_expr
    : and_expr
    | or_expr OR and_expr           { $$ = MK(SQL_BINARY, @$, "OR", 2, $1, $3); }
    ;

and_expr
    : not_expr
    | and_expr AND not_expr         { $$ = MK(SQL_BINARY, @$, "AND", 2, $1, $3); }
    ;

not_expr
    : pred
    | NOT not_expr                  { $$ = MK(SQL_UNARY, @$, "NOT", 1, $2); }
    ;

opt_not: %empty { $$ = 0; } | NOT { $$ = SQL_F_NOT; } ;

pred
    : sum
    | sum '=' sum                   { $$ = MK(SQL_BINARY, @$, "=", 2, $1, $3); }
    | sum NE sum                    { $$ = MK(SQL_BINARY, @$, "<>", 2, $1, $3); }
    | sum '<' sum                   { $$ = MK(SQL_BINARY, @$, "<", 2, $1, $3); }
    | sum LE sum                    { $$ = MK(SQL_BINARY, @$, "<=", 2, $1, $3); }
    | sum '>' sum                   { $$ = MK(SQL_BINARY, @$, ">", 2, $1, $3); }
    | sum GE sum                    { $$ = MK(SQL_BINARY, @$, ">=", 2, $1, $3); }
    | sum IS opt_not NULL_          { $$ = MK(SQL_IS, @$, "NULL", 1, $1); $$->flags |= $3; }
    | sum IS opt_not TRUE           { $$ = MK(SQL_IS, @$, "TRUE", 1, $1); $$->flags |= $3; }
    | sum IS opt_not FALSE          { $$ = MK(SQL_IS, @$, "FALSE", 1, $1); $$->flags |= $3; }
    | sum IS opt_not UNKNOWN        { $$ = MK(SQL_IS, @$, "UNKNOWN", 1, $1); $$->flags |= $3; }
    | sum IS opt_not DISTINCT FROM sum { UNSUPPORTED(@4, "IS [NOT] DISTINCT FROM"); }
    | sum opt_not BETWEEN sum AND sum
        { $$ = MK(SQL_BETWEEN, @$, NULL, 3, $1, $4, $6); $$->flags |= $2; }
    | sum opt_not BETWEEN SYMMETRIC sum AND sum
        { $$ = MK(SQL_BETWEEN, @$, NULL, 3, $1, $5, $7); $$->flags |= $2 | SQL_F_SYMMETRIC; }
    | sum opt_not IN '(' exprs ')'  { $$ = MK(SQL_IN, @$, NULL, 2, $1, $5); $$->flags |= $2; }
    | sum opt_not IN '(' query ')'  { $$ = MK(SQL_IN, @$, NULL, 2, $1, $5); $$->flags |= $2; }
    | sum opt_not LIKE sum          { $$ = MK(SQL_LIKE_OP, @$, "LIKE", 3, $1, $4, NULL); $$->flags |= $2; }
    | sum opt_not LIKE sum ESCAPE sum { $$ = MK(SQL_LIKE_OP, @$, "LIKE", 3, $1, $4, $6); $$->flags |= $2; }
    | sum opt_not SIMILAR TO sum    { $$ = MK(SQL_LIKE_OP, @$, "SIMILAR TO", 3, $1, $5, NULL); $$->flags |= $2; }
    | EXISTS '(' query ')'          { $$ = MK(SQL_EXISTS, @$, NULL, 1, $3); }
    ;

sum
    : term
    | sum '+' term                  { $$ = MK(SQL_BINARY, @$, "+", 2, $1, $3); }
    | sum '-' term                  { $$ = MK(SQL_BINARY, @$, "-", 2, $1, $3); }
    | sum CONCAT term               { $$ = MK(SQL_BINARY, @$, "||", 2, $1, $3); }
    ;

term
    : unary
    | term '*' unary                { $$ = MK(SQL_BINARY, @$, "*", 2, $1, $3); }
    | term '/' unary                { $$ = MK(SQL_BINARY, @$, "/", 2, $1, $3); }
    | term '%' unary                { $$ = MK(SQL_BINARY, @$, "%", 2, $1, $3); }
    ;

unary
    : postfix
    | '-' unary                     { $$ = MK(SQL_UNARY, @$, "-", 1, $2); }
    | '+' unary                     { $$ = MK(SQL_UNARY, @$, "+", 1, $2); }
    ;

postfix
    : primary
    | postfix '.' name
        {
          if ($1->kind == SQL_ID && !($1->flags & SQL_F_PARENS)) { $$ = sql_add(cx, $1, $3); $$->text = $3->text; $$->len = @$.end - @$.off; }
          else $$ = MK(SQL_FIELD, @$, $3->text, 2, $1, $3);
        }
    | postfix '.' '*'               { $$ = MK(SQL_STAR, @$, NULL, 1, $1); }
    | postfix '[' expr ']'          { $$ = MK(SQL_ITEM, @$, NULL, 2, $1, $3); }
    ;

primary
    : literal
    | name                          { $$ = MK(SQL_ID, @$, $1->text, 1, $1); }
    | call
    | special
    | case_expr
    | CAST '(' expr AS type ')'     { $$ = MK(SQL_CAST, @$, "CAST", 2, $3, $5); }
    | TRY_CAST '(' expr AS type ')' { $$ = MK(SQL_CAST, @$, "TRY_CAST", 2, $3, $5); }
    | '(' expr ')'                  { $$ = $2; $$->flags |= SQL_F_PARENS; }
    | '(' expr ',' exprs ')'        { $$ = MK(SQL_ROW_CTOR, @$, NULL, 1, $2);
                                      for (int i = 0; i < $4->nkids; i++) sql_add(cx, $$, $4->kids[i]); }
    | ROW '(' exprs ')'             { $$ = $3; $$->kind = SQL_ROW_CTOR; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | ARRAY '[' exprs ']'           { $$ = $3; $$->kind = SQL_ARRAY_CTOR; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | MAP '[' exprs ']'             { $$ = $3; $$->kind = SQL_MAP_CTOR; $$->off = @$.off; $$->len = @$.end - @$.off; }
    ;

literal
    : INTEGER                       { $$ = N(SQL_LIT_INT, @$, $1); }
    | DECIMAL_LIT                   { $$ = N(SQL_LIT_DEC, @$, $1); }
    | FLOAT_LIT                     { $$ = N(SQL_LIT_FLOAT, @$, $1); }
    | STRING                        { $$ = N(SQL_LIT_STRING, @$, $1); }
    | TRUE                          { $$ = N(SQL_LIT_BOOL, @$, NULL); $$->ival = 1; }
    | FALSE                         { $$ = N(SQL_LIT_BOOL, @$, NULL); $$->ival = 0; }
    | NULL_                         { $$ = N(SQL_LIT_NULL, @$, NULL); }
    | DATE STRING                   { $$ = MK(SQL_LIT_TYPED, @$, "DATE", 1, N(SQL_LIT_STRING, @2, $2)); }
    | TIME STRING                   { $$ = MK(SQL_LIT_TYPED, @$, "TIME", 1, N(SQL_LIT_STRING, @2, $2)); }
    | TIMESTAMP STRING              { $$ = MK(SQL_LIT_TYPED, @$, "TIMESTAMP", 1, N(SQL_LIT_STRING, @2, $2)); }
    | TIMESTAMP_LTZ STRING          { $$ = MK(SQL_LIT_TYPED, @$, "TIMESTAMP_LTZ", 1, N(SQL_LIT_STRING, @2, $2)); }
    | interval_lit
    ;

interval_lit
    : INTERVAL STRING interval_qual     { $$ = MK(SQL_LIT_INTERVAL, @$, NULL, 2, N(SQL_LIT_STRING, @2, $2), $3); }
    | INTERVAL '-' STRING interval_qual { $$ = MK(SQL_LIT_INTERVAL, @$, NULL, 2, N(SQL_LIT_STRING, @3, $3), $4); $$->flags |= SQL_F_NEGATIVE; }
    | INTERVAL INTEGER interval_qual
        { sql_fail(cx, SL_ERR_SYNTAX, @2, "Interval literals take the value as a string: write INTERVAL '%s' %s", $2,
                   sql_strndup(cx, cx->text + @3.off, (size_t)(@3.end - @3.off))); YYABORT; }
    ;

unit_keyword
    : YEAR { $$ = "YEAR"; } | YEARS { $$ = "YEAR"; } | MONTH { $$ = "MONTH"; } | MONTHS { $$ = "MONTH"; }
    | DAY { $$ = "DAY"; } | DAYS { $$ = "DAY"; } | HOUR { $$ = "HOUR"; } | HOURS { $$ = "HOUR"; }
    | MINUTE { $$ = "MINUTE"; } | MINUTES { $$ = "MINUTE"; } | SECOND { $$ = "SECOND"; } | SECONDS { $$ = "SECOND"; }
    ;

interval_qual
    : unit_keyword                          { $$ = N(SQL_INTERVAL_QUAL, @$, $1); $$->ival = -1; }
    | unit_keyword '(' INTEGER ')'          { $$ = N(SQL_INTERVAL_QUAL, @$, $1); $$->ival = to_int($3); }
    | unit_keyword TO unit_keyword
        { sl_strbuf sb = SL_STRBUF_INIT; sl_strbuf_printf(&sb, "%s TO %s", $1, $3);
          $$ = N(SQL_INTERVAL_QUAL, @$, sql_strndup(cx, sb.buf, sb.len)); $$->ival = -1; sl_strbuf_free(&sb); }
    | unit_keyword '(' INTEGER ')' TO unit_keyword
        { sl_strbuf sb = SL_STRBUF_INIT; sl_strbuf_printf(&sb, "%s TO %s", $1, $6);
          $$ = N(SQL_INTERVAL_QUAL, @$, sql_strndup(cx, sb.buf, sb.len)); $$->ival = to_int($3); sl_strbuf_free(&sb); }
    | unit_keyword TO unit_keyword '(' INTEGER ')'
        { sl_strbuf sb = SL_STRBUF_INIT; sl_strbuf_printf(&sb, "%s TO %s", $1, $3);
          $$ = N(SQL_INTERVAL_QUAL, @$, sql_strndup(cx, sb.buf, sb.len)); $$->ival = -1; $$->ival2 = to_int($5); sl_strbuf_free(&sb); }
    ;

/* Keywords that are also function names. */
func_keyword: IF | LEFT | RIGHT | YEAR | MONTH | DAY | HOUR | MINUTE | SECOND | INSERT | DATE | TIME | TIMESTAMP ;

call
    : name '(' opt_distinct args ')' opt_filter opt_over
        { $$ = MK(SQL_CALL, @$, $1->text, 3, $4, $6, $7); $$->flags |= $3; }
    | func_keyword '(' opt_distinct args ')' opt_filter opt_over
        { $$ = MK(SQL_CALL, @$, $1, 3, $4, $6, $7); $$->flags |= $3; }
    | name '(' '*' ')' opt_filter opt_over
        { $$ = MK(SQL_CALL, @$, $1->text, 3, LIST(@3), $5, $6); $$->flags |= SQL_F_STAR_ARG; }
    ;

args
    : %empty                        { $$ = LIST(@$); }
    | exprs
    ;

exprs
    : expr                          { $$ = sql_add(cx, LIST(@$), $1); }
    | exprs ',' expr                { $$ = sql_add(cx, $1, $3); }
    ;

opt_filter
    : %empty                        { $$ = NULL; }
    | FILTER '(' WHERE expr ')'     { $$ = $4; }
    ;

opt_over
    : %empty                        { $$ = NULL; }
    | OVER window_spec              { $$ = $2; }
    | OVER name                     { $$ = N(SQL_OVER, @$, $2->text); }
    ;

window_spec
    : '(' opt_partition opt_order opt_frame ')' { $$ = MK(SQL_OVER, @$, NULL, 3, $2, $3, $4); }
    ;

opt_partition: %empty { $$ = NULL; } | PARTITION BY exprs { $$ = $3; } ;
opt_order: %empty { $$ = NULL; } | ORDER BY order_items { $$ = $3; } ;

opt_frame
    : %empty                                        { $$ = NULL; }
    | ROWS frame_bound                              { $$ = MK(SQL_FRAME, @$, "ROWS", 2, $2, NULL); }
    | RANGE frame_bound                             { $$ = MK(SQL_FRAME, @$, "RANGE", 2, $2, NULL); }
    | ROWS BETWEEN frame_bound AND frame_bound      { $$ = MK(SQL_FRAME, @$, "ROWS", 2, $3, $5); }
    | RANGE BETWEEN frame_bound AND frame_bound     { $$ = MK(SQL_FRAME, @$, "RANGE", 2, $3, $5); }
    ;

frame_bound
    : UNBOUNDED PRECEDING           { $$ = N(SQL_BOUND, @$, "UNBOUNDED PRECEDING"); }
    | UNBOUNDED FOLLOWING           { $$ = N(SQL_BOUND, @$, "UNBOUNDED FOLLOWING"); }
    | CURRENT ROW                   { $$ = N(SQL_BOUND, @$, "CURRENT ROW"); }
    | sum PRECEDING                 { $$ = MK(SQL_BOUND, @$, "PRECEDING", 1, $1); }
    | sum FOLLOWING                 { $$ = MK(SQL_BOUND, @$, "FOLLOWING", 1, $1); }
    ;

special
    : EXTRACT '(' unit_keyword FROM expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "EXTRACT", 2, N(SQL_NAME, @3, $3), $5); }
    | EXTRACT '(' name FROM expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "EXTRACT", 2, $3, $5); }
    | POSITION '(' sum IN sum ')'
        { $$ = MK(SQL_SPECIAL, @$, "POSITION", 2, $3, $5); }
    | TRIM '(' expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "TRIM", 3, NULL, NULL, $3); }
    | TRIM '(' expr FROM expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "TRIM", 3, NULL, $3, $5); }
    | TRIM '(' trim_mode FROM expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "TRIM", 3, N(SQL_NAME, @3, $3), NULL, $5); }
    | TRIM '(' trim_mode expr FROM expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "TRIM", 3, N(SQL_NAME, @3, $3), $4, $6); }
    | SUBSTRING '(' expr FROM expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "SUBSTRING", 3, $3, $5, NULL); }
    | SUBSTRING '(' expr FROM expr FOR expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "SUBSTRING", 3, $3, $5, $7); }
    | SUBSTRING '(' exprs ')'
        { $$ = MK(SQL_CALL, @$, "SUBSTRING", 3, $3, NULL, NULL); }
    | TIMESTAMPADD '(' unit_keyword ',' expr ',' expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "TIMESTAMPADD", 3, N(SQL_NAME, @3, $3), $5, $7); }
    | TIMESTAMPDIFF '(' unit_keyword ',' expr ',' expr ')'
        { $$ = MK(SQL_SPECIAL, @$, "TIMESTAMPDIFF", 3, N(SQL_NAME, @3, $3), $5, $7); }
    ;

trim_mode: BOTH { $$ = "BOTH"; } | LEADING { $$ = "LEADING"; } | TRAILING { $$ = "TRAILING"; } ;

case_expr
    : CASE whens opt_else END               { $$ = MK(SQL_CASE, @$, NULL, 3, NULL, $2, $3); }
    | CASE expr whens opt_else END          { $$ = MK(SQL_CASE, @$, NULL, 3, $2, $3, $4); }
    ;

whens
    : WHEN expr THEN expr                   { $$ = sql_add(cx, LIST(@$), MK(SQL_WHEN, @$, NULL, 2, $2, $4)); }
    | whens WHEN expr THEN expr             { $$ = sql_add(cx, $1, MK(SQL_WHEN, @2, NULL, 2, $3, $5)); $$->kids[$$->nkids - 1]->len = @5.end - @2.off; }
    ;

opt_else: %empty { $$ = NULL; } | ELSE expr { $$ = $2; } ;

/* ---- types -------------------------------------------------------------------------- */

type
    : base_type opt_not_null        { $$ = $1; $$->flags |= $2; $$->len = @$.end - @$.off; }
    ;

opt_not_null: %empty { $$ = 0; } | NOT NULL_ { $$ = SQL_F_NOT_NULL; } | NULL_ { $$ = 0; } ;

base_type
    : CHAR                              { $$ = type_node(cx, @$, "CHAR", 1, -1); }
    | CHAR '(' INTEGER ')'              { $$ = type_node(cx, @$, "CHAR", to_int($3), -1); }
    | CHARACTER                         { $$ = type_node(cx, @$, "CHAR", 1, -1); }
    | CHARACTER '(' INTEGER ')'         { $$ = type_node(cx, @$, "CHAR", to_int($3), -1); }
    | VARCHAR                           { $$ = type_node(cx, @$, "VARCHAR", 1, -1); }
    | VARCHAR '(' INTEGER ')'           { $$ = type_node(cx, @$, "VARCHAR", to_int($3), -1); }
    | STRING_KW                         { $$ = type_node(cx, @$, "VARCHAR", 2147483647, -1); }
    | BOOLEAN                           { $$ = type_node(cx, @$, "BOOLEAN", -1, -1); }
    | BINARY                            { $$ = type_node(cx, @$, "BINARY", 1, -1); }
    | BINARY '(' INTEGER ')'            { $$ = type_node(cx, @$, "BINARY", to_int($3), -1); }
    | VARBINARY                         { $$ = type_node(cx, @$, "VARBINARY", 1, -1); }
    | VARBINARY '(' INTEGER ')'         { $$ = type_node(cx, @$, "VARBINARY", to_int($3), -1); }
    | BYTES                             { $$ = type_node(cx, @$, "VARBINARY", 2147483647, -1); }
    | decimal_kw                        { $$ = type_node(cx, @$, "DECIMAL", 10, 0); }
    | decimal_kw '(' INTEGER ')'        { $$ = type_node(cx, @$, "DECIMAL", to_int($3), 0); }
    | decimal_kw '(' INTEGER ',' INTEGER ')' { $$ = type_node(cx, @$, "DECIMAL", to_int($3), to_int($5)); }
    | TINYINT                           { $$ = type_node(cx, @$, "TINYINT", -1, -1); }
    | SMALLINT                          { $$ = type_node(cx, @$, "SMALLINT", -1, -1); }
    | INT                               { $$ = type_node(cx, @$, "INT", -1, -1); }
    | INTEGER_KW                        { $$ = type_node(cx, @$, "INT", -1, -1); }
    | BIGINT                            { $$ = type_node(cx, @$, "BIGINT", -1, -1); }
    | FLOAT                             { $$ = type_node(cx, @$, "FLOAT", -1, -1); }
    | DOUBLE                            { $$ = type_node(cx, @$, "DOUBLE", -1, -1); }
    | DOUBLE PRECISION                  { $$ = type_node(cx, @$, "DOUBLE", -1, -1); }
    | DATE                              { $$ = type_node(cx, @$, "DATE", -1, -1); }
    | TIME                              { $$ = type_node(cx, @$, "TIME", 0, -1); }
    | TIME '(' INTEGER ')'              { $$ = type_node(cx, @$, "TIME", to_int($3), -1); }
    | TIME WITHOUT TIME ZONE            { $$ = type_node(cx, @$, "TIME", 0, -1); }
    | TIME '(' INTEGER ')' WITHOUT TIME ZONE { $$ = type_node(cx, @$, "TIME", to_int($3), -1); }
    | TIMESTAMP                         { $$ = type_node(cx, @$, "TIMESTAMP", 6, -1); }
    | TIMESTAMP '(' INTEGER ')'         { $$ = type_node(cx, @$, "TIMESTAMP", to_int($3), -1); }
    | TIMESTAMP WITHOUT TIME ZONE       { $$ = type_node(cx, @$, "TIMESTAMP", 6, -1); }
    | TIMESTAMP '(' INTEGER ')' WITHOUT TIME ZONE { $$ = type_node(cx, @$, "TIMESTAMP", to_int($3), -1); }
    | TIMESTAMP WITH LOCAL TIME ZONE    { $$ = type_node(cx, @$, "TIMESTAMP_LTZ", 6, -1); }
    | TIMESTAMP '(' INTEGER ')' WITH LOCAL TIME ZONE { $$ = type_node(cx, @$, "TIMESTAMP_LTZ", to_int($3), -1); }
    | TIMESTAMP_LTZ                     { $$ = type_node(cx, @$, "TIMESTAMP_LTZ", 6, -1); }
    | TIMESTAMP_LTZ '(' INTEGER ')'     { $$ = type_node(cx, @$, "TIMESTAMP_LTZ", to_int($3), -1); }
    | INTERVAL interval_qual            { $$ = type_node(cx, @$, "INTERVAL", -1, -1); sql_add(cx, $$, $2); }
    | ARRAY '<' type '>'                { $$ = type_node(cx, @$, "ARRAY", -1, -1); sql_add(cx, $$, $3); }
    | MULTISET '<' type '>'             { $$ = type_node(cx, @$, "MULTISET", -1, -1); sql_add(cx, $$, $3); }
    | MAP '<' type ',' type '>'         { $$ = type_node(cx, @$, "MAP", -1, -1); sql_add(cx, $$, $3); sql_add(cx, $$, $5); }
    | ROW '<' row_fields '>'            { $$ = $3; $$->off = @$.off; $$->len = @$.end - @$.off; }
    | ROW '(' row_fields ')'            { $$ = $3; $$->off = @$.off; $$->len = @$.end - @$.off; }
    ;

decimal_kw: DECIMAL | DEC | NUMERIC ;

row_fields
    : row_field                     { $$ = sql_add(cx, type_node(cx, @$, "ROW", -1, -1), $1); }
    | row_fields ',' row_field      { $$ = sql_add(cx, $1, $3); }
    ;

row_field
    : name type opt_comment         { $$ = MK(SQL_ROW_FIELD, @$, $1->text, 2, $2, $3); }
    ;

%%

/* ---- keyword table ----------------------------------------------------------------------- */

typedef struct kw {
    const char *name;
    int token;
} kw;

/* Sorted by name (ASCII upper case) for binary search. */
static const kw keywords[] = {
    {"ADD", ADD}, {"ALL", ALL}, {"ALTER", ALTER}, {"ANALYZE", ANALYZE}, {"AND", AND}, {"ARRAY", ARRAY},
    {"AS", AS}, {"ASC", ASC}, {"BEGIN", BEGIN_}, {"BETWEEN", BETWEEN}, {"BIGINT", BIGINT}, {"BINARY", BINARY},
    {"BOOLEAN", BOOLEAN}, {"BOTH", BOTH}, {"BY", BY}, {"BYTES", BYTES}, {"CASE", CASE}, {"CAST", CAST},
    {"CATALOG", CATALOG}, {"CHAR", CHAR}, {"CHARACTER", CHARACTER}, {"COMMENT", COMMENT},
    {"CONSTRAINT", CONSTRAINT}, {"CREATE", CREATE}, {"CROSS", CROSS}, {"CURRENT", CURRENT},
    {"DATABASE", DATABASE}, {"DATE", DATE}, {"DAY", DAY}, {"DAYS", DAYS}, {"DEC", DEC}, {"DECIMAL", DECIMAL}, {"DESC", DESC},
    {"DESCRIBE", DESCRIBE}, {"DESCRIPTOR", DESCRIPTOR}, {"DISTINCT", DISTINCT}, {"DOUBLE", DOUBLE},
    {"DROP", DROP}, {"ELSE", ELSE}, {"END", END}, {"ENFORCED", ENFORCED}, {"ESCAPE", ESCAPE},
    {"EXCEPT", EXCEPT}, {"EXCLUDING", EXCLUDING}, {"EXECUTE", EXECUTE}, {"EXISTS", EXISTS},
    {"EXPLAIN", EXPLAIN}, {"EXTRACT", EXTRACT}, {"FALSE", FALSE}, {"FILTER", FILTER}, {"FIRST", FIRST},
    {"FLOAT", FLOAT}, {"FOLLOWING", FOLLOWING}, {"FOR", FOR}, {"FROM", FROM}, {"FULL", FULL},
    {"FUNCTION", FUNCTION}, {"FUNCTIONS", FUNCTIONS}, {"GROUP", GROUP}, {"HAVING", HAVING}, {"HOUR", HOUR}, {"HOURS", HOURS},
    {"IF", IF}, {"IN", IN}, {"INCLUDING", INCLUDING}, {"INNER", INNER}, {"INSERT", INSERT}, {"INT", INT},
    {"INTEGER", INTEGER_KW}, {"INTERSECT", INTERSECT}, {"INTERVAL", INTERVAL}, {"INTO", INTO}, {"IS", IS},
    {"JOIN", JOIN}, {"KEY", KEY}, {"LAST", LAST}, {"LATERAL", LATERAL}, {"LEADING", LEADING}, {"LEFT", LEFT},
    {"LIKE", LIKE}, {"LIMIT", LIMIT}, {"LOCAL", LOCAL}, {"MAP", MAP}, {"MATCH_RECOGNIZE", MATCH_RECOGNIZE},
    {"METADATA", METADATA}, {"MINUTE", MINUTE}, {"MINUTES", MINUTES}, {"MONTH", MONTH}, {"MONTHS", MONTHS}, {"MULTISET", MULTISET}, {"NOT", NOT},
    {"NULL", NULL_}, {"NULLS", NULLS}, {"NUMERIC", NUMERIC}, {"OF", OF}, {"OFFSET", OFFSET}, {"ON", ON},
    {"OPTIONS", OPTIONS}, {"OR", OR}, {"ORDER", ORDER}, {"OUTER", OUTER}, {"OVER", OVER},
    {"OVERWRITE", OVERWRITE}, {"OVERWRITING", OVERWRITING}, {"PARTITION", PARTITION},
    {"PARTITIONED", PARTITIONED}, {"PARTITIONS", PARTITIONS}, {"PLAN", PLAN}, {"POSITION", POSITION},
    {"PRECEDING", PRECEDING}, {"PRECISION", PRECISION}, {"PRIMARY", PRIMARY}, {"RANGE", RANGE},
    {"RESET", RESET}, {"RIGHT", RIGHT}, {"ROW", ROW}, {"ROWS", ROWS}, {"SECOND", SECOND}, {"SECONDS", SECONDS}, {"SELECT", SELECT},
    {"SET", SET}, {"SHOW", SHOW}, {"SIMILAR", SIMILAR}, {"SMALLINT", SMALLINT}, {"STATEMENT", STATEMENT},
    {"STRING", STRING_KW}, {"SUBSTRING", SUBSTRING}, {"SYMMETRIC", SYMMETRIC}, {"SYSTEM_TIME", SYSTEM_TIME},
    {"TABLE", TABLE}, {"TABLES", TABLES}, {"TEMPORARY", TEMPORARY}, {"THEN", THEN}, {"TIME", TIME},
    {"TIMESTAMP", TIMESTAMP}, {"TIMESTAMPADD", TIMESTAMPADD}, {"TIMESTAMPDIFF", TIMESTAMPDIFF},
    {"TIMESTAMP_LTZ", TIMESTAMP_LTZ}, {"TINYINT", TINYINT}, {"TO", TO}, {"TRAILING", TRAILING},
    {"TRIM", TRIM}, {"TRUE", TRUE}, {"TRY_CAST", TRY_CAST}, {"UNBOUNDED", UNBOUNDED}, {"UNION", UNION},
    {"UNKNOWN", UNKNOWN}, {"USE", USE}, {"USING", USING}, {"VALUES", VALUES}, {"VARBINARY", VARBINARY},
    {"VARCHAR", VARCHAR}, {"VIEW", VIEW}, {"VIEWS", VIEWS}, {"VIRTUAL", VIRTUAL}, {"WATERMARK", WATERMARK},
    {"WATERMARKS", WATERMARKS}, {"WHEN", WHEN}, {"WHERE", WHERE}, {"WINDOW", WINDOW}, {"WITH", WITH},
    {"WITHOUT", WITHOUT}, {"YEAR", YEAR}, {"YEARS", YEARS}, {"ZONE", ZONE},
};

int sql_keyword_lookup(const char *s, size_t n)
{
    if (n > 20) return 0;
    char up[24];
    for (size_t i = 0; i < n; i++) up[i] = (char)((s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i]);
    up[n] = '\0';
    size_t lo = 0, hi = sizeof keywords / sizeof *keywords;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(up, keywords[mid].name);
        if (c == 0) return keywords[mid].token;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return 0;
}

/* A misspelled keyword: the unexpected identifier itself (INTT for INT), or the word just before
 * it, which the grammar took as an alias (SELECT a FORM t): suggest the closest expected keyword. */
static void suggest_keyword(sql_pctx *cx, bool tok_is_ident, const SQLYYLTYPE *loc, const yysymbol_kind_t *expected, int n)
{
    const char *names[YYNTOKENS];
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = yysymbol_name(expected[i]);
        if (nm[0] >= 'A' && nm[0] <= 'Z') names[k++] = nm;
    }
    if (k == 0) return;
    char word[64];
    int32_t off = loc->off, end = loc->end;
    bool previous = false;
    if (!tok_is_ident) return;
    for (int attempt = 0; attempt < 2; attempt++) {
        int wl = end - off < 63 ? end - off : 63;
        memcpy(word, cx->text + off, (size_t)wl);
        word[wl] = '\0';
        const char *best = wl >= 3 ? sl_suggest(word, names, (size_t)k, true) : NULL;
        if (best && sl_edit_distance(word, best, true) <= 2) {
            if (previous)
                sl_error_hint(cx->err, "'%s' before it was read as an alias; did you mean %s?", word, best);
            else
                sl_error_hint(cx->err, "did you mean %s?", best);
            return;
        }
        /* Try the word before: skip blanks back, then letters. */
        int32_t p = loc->off;
        while (p > 0 && (cx->text[p - 1] == ' ' || cx->text[p - 1] == '\t' || cx->text[p - 1] == '\n' || cx->text[p - 1] == '\r')) p--;
        end = p;
        while (p > 0 && ((cx->text[p - 1] >= 'A' && cx->text[p - 1] <= 'Z') || (cx->text[p - 1] >= 'a' && cx->text[p - 1] <= 'z') || cx->text[p - 1] == '_')) p--;
        off = p;
        if (end == off) return;
        previous = true;
    }
}

/* Syntax errors: name the unexpected token and what was expected. */
static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, sql_pctx *cx)
{
    (void)scanner;
    if (cx->failed) return 0; /* the lexer already reported a more precise error */
    enum { MAX_EXPECTED = 8 };
    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    bool want_ident = false, want_literal = false;
    for (int i = 0; i < n; i++) {
        if (expected[i] == YYSYMBOL_IDENT) want_ident = true;
        if (expected[i] == YYSYMBOL_INTEGER) want_literal = true;
    }
    yysymbol_kind_t tok = yypcontext_token(ctx);
    const SQLYYLTYPE *loc = yypcontext_location(ctx);
    sl_strbuf sb = SL_STRBUF_INIT;
    if (tok == YYSYMBOL_YYEOF) {
        sl_strbuf_puts(&sb, "Unexpected end of input");
    } else {
        int len = loc->end - loc->off;
        if (len > 40) len = 40;
        sl_strbuf_printf(&sb, "Encountered \"%.*s\"", len, cx->text + loc->off);
    }
    /* Order what was expected for a reader: end of input and punctuation first, then reserved
     * keywords, then "an identifier" (standing for names and non-reserved keywords), then
     * operators; "an expression" when any literal could start there. */
    static const char *const nonreserved[] = {"COMMENT", "METADATA", "VIRTUAL", "WATERMARKS", "OPTIONS", "PARTITIONS",
                                              "TEMPORARY", "VIEWS", "TABLES", "FUNCTIONS", "STATEMENT", "ENFORCED",
                                              "PLAN", "INCLUDING", "EXCLUDING", "OVERWRITING", "KEY", "FIRST", "LAST",
                                              "NULLS", "CATALOG", "DATABASE", "ZONE", "LOCAL", NULL};
    const char *shown[YYNTOKENS + 2];
    int nshown = 0;
    for (int pass = 0; pass < 4; pass++) {
        if (pass == 2 && want_ident) shown[nshown++] = want_literal ? "an expression" : "an identifier";
        for (int i = 0; i < n; i++) {
            const char *nm = yysymbol_name(expected[i]);
            int cls;
            if (expected[i] == YYSYMBOL_YYEOF || nm[0] == '\'') cls = 0;
            else if (nm[0] >= 'A' && nm[0] <= 'Z') {
                bool nr = false;
                for (const char *const *q = nonreserved; *q; q++) nr = nr || strcmp(*q, nm) == 0;
                if (nr && want_ident) continue;
                cls = 1;
            } else if (nm[0] >= 'a' && nm[0] <= 'z') {
                if (want_ident) continue; /* literal kinds and identifiers are summarized */
                cls = 2;
            } else cls = 3;
            if (cls == pass) shown[nshown++] = nm;
        }
    }
    if (want_ident && want_literal) {
        sl_strbuf_puts(&sb, "; was expecting an expression");
    } else if (nshown == 1) {
        sl_strbuf_printf(&sb, "; was expecting %s", shown[0]);
    } else if (nshown > 1) {
        sl_strbuf_puts(&sb, "; was expecting one of: ");
        for (int i = 0; i < nshown && i < MAX_EXPECTED; i++) sl_strbuf_printf(&sb, "%s%s", i ? ", " : "", shown[i]);
        if (nshown > MAX_EXPECTED) sl_strbuf_printf(&sb, " (and %d more)", nshown - MAX_EXPECTED);
    }
    sql_loc l = *loc;
    if (tok == YYSYMBOL_YYEOF) {
        /* Point just after the last non-blank character. */
        int32_t p = (int32_t)cx->len;
        while (p > 0 && (cx->text[p - 1] == ' ' || cx->text[p - 1] == '\n' || cx->text[p - 1] == '\t' ||
                         cx->text[p - 1] == '\r'))
            p--;
        l.off = l.end = p;
    }
    sql_fail(cx, SL_ERR_SYNTAX, l, "%s", sl_strbuf_cstr(&sb));
    if (n > 0) suggest_keyword(cx, tok == YYSYMBOL_IDENT, loc, expected, n);
    sl_strbuf_free(&sb);
    return 0;
}
