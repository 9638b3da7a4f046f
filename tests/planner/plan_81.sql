-- a CTE referenced twice is planned twice: the join reads orders twice (as Flink without reuse);
-- the join keys are found through the CTE's projection and NOT NULL-filtered before the join
CREATE TABLE orders (id INT, user_id INT, amount BIGINT, note STRING) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b INT, c BIGINT) WITH ('connector' = 'print');
INSERT INTO s
WITH o AS (SELECT id, user_id, amount FROM orders)
SELECT x.id, y.id, y.amount FROM o AS x JOIN o AS y ON x.user_id = y.user_id WHERE x.amount > 10;
