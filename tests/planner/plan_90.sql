-- a subquery with a column alias list, an aggregate over a subquery, a subquery over an aggregate
CREATE TABLE t (id INT, name STRING, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (name STRING, c BIGINT) WITH ('connector' = 'print');
SET 'table.exec.state.ttl' = '1 d';
INSERT INTO s SELECT n, cnt FROM (SELECT n, COUNT(*) AS cnt FROM (SELECT name, v FROM t) AS q (n, amount) WHERE amount > 0 GROUP BY n) WHERE cnt > 1;
