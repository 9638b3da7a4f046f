-- ROW_NUMBER() in a subquery is planned only in the top-N shape
CREATE TABLE t (id INT, name STRING, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a STRING, b BIGINT) WITH ('connector' = 'print');
INSERT INTO s SELECT name, COUNT(*) FROM (SELECT name, ROW_NUMBER() OVER (PARTITION BY name ORDER BY v) AS rn FROM t) GROUP BY name;
