-- subqueries in FROM: a join of two subqueries; the WHERE conjuncts move to their side, below the
-- subqueries' projections, and each side carries only the columns used
CREATE TABLE orders (id INT, user_id INT, amount BIGINT, note STRING) WITH ('connector' = 'datagen');
CREATE TABLE users (user_id INT, name STRING, country STRING) WITH ('connector' = 'datagen');
CREATE TABLE s (id INT, name STRING) WITH ('connector' = 'print');
SET 'table.exec.state.ttl' = '1 d';
INSERT INTO s
SELECT o.id, u.uname
FROM (SELECT id, user_id AS uid, amount * 100 AS cents, note FROM orders) AS o
JOIN (SELECT user_id, UPPER(name) AS uname, country FROM users) AS u ON o.uid = u.user_id
WHERE o.cents > 500 AND u.country = 'DE';
