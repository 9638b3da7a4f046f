-- A filter folded away: the Calc has nothing left to do and goes (no-op projection removal)
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'print');
INSERT INTO p SELECT * FROM s WHERE 2 > 1 AND (v > 3 OR TRUE);
