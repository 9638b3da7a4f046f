CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE u (id INT NOT NULL, w BIGINT) WITH ('connector'='datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='print', 'sink.parallelism' = '2');
CREATE TABLE k (a INT, b BIGINT) WITH ('connector'='kafka', 'format'='json');
SET 'table.exec.resource.default-parallelism' = '6'; SET 'pipeline.max-parallelism' = '64'; INSERT INTO k SELECT t.id, u.w FROM t JOIN u ON t.id = u.id;
