-- a nested WITH inside a subquery sees the outer CTEs; a CTE named like a table hides it
CREATE TABLE t (id INT, name STRING, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE u (id INT, w BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector' = 'print');
INSERT INTO s
WITH u AS (SELECT id, v AS w FROM t WHERE name = 'x')
SELECT id, w FROM (WITH inner_u AS (SELECT id, w FROM u WHERE w > 0) SELECT id, w + 1 AS w FROM inner_u) AS q;
