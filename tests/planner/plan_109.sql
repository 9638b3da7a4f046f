-- RANK() / DENSE_RANK() need the top-N shape as ROW_NUMBER(): a condition on the rank other than r <= N, r < N, r = 1 is refused
CREATE TABLE t (id INT, name STRING, v BIGINT) WITH ('connector'='datagen');
CREATE TABLE s (id INT, v BIGINT) WITH ('connector'='print');
INSERT INTO s SELECT id, v FROM (SELECT id, v, DENSE_RANK() OVER (PARTITION BY id ORDER BY v) AS r FROM t) WHERE r >= 2;
