CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE s (name STRING, v BIGINT, id INT) WITH ('connector'='print');
INSERT INTO s SELECT name, v, id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY name, id / 10 ORDER BY v DESC, ts ASC) AS rn FROM t WHERE v > 0) WHERE rn < 4 AND id <> 7;
