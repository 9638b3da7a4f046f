-- Folding does not fire: nondeterministic and time functions, division by zero and a malformed
-- CAST (their errors stay for run time: a failing constant stays as written, its arguments too),
-- calls reading a column, x = x (NULL = NULL is not TRUE)
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (a DOUBLE, b TIMESTAMP_LTZ(3), c INT, d INT, e INT, f BOOLEAN, g INT) WITH ('connector' = 'print');
INSERT INTO p SELECT RAND(), CURRENT_TIMESTAMP, 1 / 0, CAST('abc' AS INT), v * (1 + 1) + 1, v = v, 10 / (2 - 2) FROM s WHERE v + 1 > 2;
