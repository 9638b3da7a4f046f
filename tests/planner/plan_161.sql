-- Boolean simplification (Calcite's RexSimplify basics): AND(TRUE, x) -> x, OR(FALSE, x) -> x,
-- OR(TRUE, x) -> TRUE, AND(FALSE, x) -> FALSE, IS [NOT] NULL of a literal, NOT of a literal
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (id BIGINT, a BOOLEAN, b BOOLEAN, c BOOLEAN, d BOOLEAN) WITH ('connector' = 'print');
INSERT INTO p SELECT id, v > 1 OR 1 = 1, v > 1 AND 2 < 1, 'a' IS NULL, v > 1 OR NOT TRUE FROM s
WHERE (1 IS NOT NULL AND v > 0) OR (FALSE AND v < 0) OR 1 > 2;
