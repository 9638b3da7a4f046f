-- column types: the least restrictive common type over the rows (INT and DECIMAL: DECIMAL; NULL
-- takes the other rows' type); constant expressions stay for the operator to evaluate; the sink
-- casts to its own column types
CREATE TABLE o (d DECIMAL(12, 2), s STRING, n BIGINT) WITH ('connector'='print');
INSERT INTO o SELECT * FROM (VALUES (1, UPPER('a'), NULL), (2.5, 'bc' || 'd', 1 + 1)) WHERE EXPR$0 > 0;
