-- the Abstract Syntax Tree of a group aggregate: LogicalAggregate(group=[{0}], ...) over the
-- projection of its keys and arguments (COUNT(*) is COUNT(), DISTINCT and FILTER as Calcite
-- prints them), HAVING a LogicalFilter above; the optimized GroupAggregate shows its STATE_TTL
CREATE TABLE orders (id INT, user_id INT, amount DOUBLE, status STRING) WITH ('connector' = 'datagen');
CREATE TABLE out1 (user_id INT, n BIGINT, big BIGINT, total DOUBLE) WITH ('connector' = 'print');
INSERT INTO out1
SELECT /*+ STATE_TTL('o' = '90 min') */ user_id, COUNT(*), COUNT(DISTINCT id) FILTER (WHERE amount > 100), SUM(amount)
FROM orders AS o WHERE status = 'paid' GROUP BY user_id HAVING COUNT(*) > 1;
