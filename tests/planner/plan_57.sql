-- RANK() top-N: ties share a rank (rankType=[RANK]); the rank column selected, no unique key
CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE s (id INT, v BIGINT, r BIGINT) WITH ('connector'='print');
INSERT INTO s SELECT id, v, r FROM (SELECT id, v, RANK() OVER (PARTITION BY id ORDER BY v) AS r FROM t) WHERE r <= 2;
