-- Constant folding (Flink's ReduceExpressionsRule): calls over literals become literals, TRUE
-- conjuncts go (the Abstract Syntax Tree keeps the expressions as written)
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (id BIGINT, v INT) WITH ('connector' = 'print');
INSERT INTO p SELECT id, v + (2 * 3) FROM s WHERE 1 = 1 AND v > 10 - 5 AND TRUE;
