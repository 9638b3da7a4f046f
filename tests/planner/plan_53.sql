CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE k (id INT, name STRING, v BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO k SELECT id, name, v FROM (SELECT id, name, v, ROW_NUMBER() OVER (PARTITION BY name ORDER BY v DESC) AS rn FROM t) WHERE rn <= 2;
