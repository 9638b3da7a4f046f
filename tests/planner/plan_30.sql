CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE u (id INT NOT NULL, w BIGINT) WITH ('connector'='datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='print', 'sink.parallelism' = '2');
CREATE TABLE k (a INT, b BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO k SELECT id, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts) FROM t;
