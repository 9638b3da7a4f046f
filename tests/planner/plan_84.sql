-- a CTE's column list must match its query's width
CREATE TABLE t (id INT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector' = 'print');
INSERT INTO s WITH c (x, y, z) AS (SELECT id, v FROM t) SELECT x, y FROM c;
