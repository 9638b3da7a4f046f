-- DENSE_RANK() top-N without the rank column: -D/+I; rn = 1 over a time attribute stays a Rank (no Deduplicate)
CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE s (name STRING, v BIGINT) WITH ('connector'='print');
INSERT INTO s SELECT name, v FROM (SELECT *, DENSE_RANK() OVER (PARTITION BY name ORDER BY ts DESC) AS dr FROM t) WHERE dr = 1;
