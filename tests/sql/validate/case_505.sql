-- the row type: per column the least restrictive common type over the rows; NULL takes the
-- other rows' type; columns are EXPR$0.. unless aliased
SELECT * FROM (VALUES (1, 'a', NULL), (2.5, 'bcd', CAST(1 AS BIGINT)), (NULL, UPPER('e'), 2));
SELECT * FROM (VALUES (1, 'a')) AS t(id, name);
SELECT * FROM (VALUES 1, 2, 3);
