-- STATE_TTL hint on a group aggregate (key: its input table or alias): EXPLAIN shows stateTtl, no warning
CREATE TABLE orders (id INT, user_id INT, amount DOUBLE) WITH ('connector' = 'datagen');
CREATE TABLE out1 (user_id INT, n BIGINT, total DOUBLE) WITH ('connector' = 'blackhole');
INSERT INTO out1
SELECT /*+ STATE_TTL('o' = '1d') */ user_id, COUNT(*), SUM(amount) FROM orders AS o GROUP BY user_id;
