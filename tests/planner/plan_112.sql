-- EXPLAIN's Abstract Syntax Tree of a join: the whole ON condition in the LogicalJoin and the WHERE
-- as a LogicalFilter above it (no pushdown, no join keys, no pruning yet); the optimized plan has
-- the keys, the pushed-down filters and the join's state (hashmap backend, table.exec.state.ttl)
SET 'state.backend.type' = 'hashmap';
SET 'table.exec.state.ttl' = '36 h';
CREATE TABLE orders (id INT, user_id INT, amount DOUBLE, note STRING) WITH ('connector' = 'datagen');
CREATE TABLE users (user_id INT, name STRING, country STRING) WITH ('connector' = 'datagen');
CREATE TABLE out1 (id INT, name STRING) WITH ('connector' = 'blackhole');
INSERT INTO out1
SELECT o.id, u.name FROM orders AS o LEFT JOIN users AS u ON o.user_id = u.user_id AND u.country <> 'x'
WHERE o.amount > 10;
