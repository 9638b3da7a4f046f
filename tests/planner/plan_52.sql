CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE k (id INT, name STRING, v BIGINT) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE s (id INT, v BIGINT, ts TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO k SELECT id, name, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY pt ASC) AS rn FROM t) WHERE rn = 1;
INSERT INTO s SELECT id, v, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) AS rn FROM t) WHERE rn = 1;
