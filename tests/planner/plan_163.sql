-- A filter folded to FALSE (or NULL) keeps a Calc with where=[false] (Flink prints an empty Values)
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (id BIGINT, v INT) WITH ('connector' = 'print');
INSERT INTO p SELECT id, v FROM s WHERE v > 1 AND 1 = 2
UNION ALL SELECT id, v FROM s WHERE CAST(NULL AS BOOLEAN);
