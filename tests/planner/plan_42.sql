CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE e (id INT, amount DOUBLE, lts TIMESTAMP_LTZ(3), WATERMARK FOR lts AS lts - INTERVAL '5' SECOND) WITH ('connector'='datagen');
CREATE TABLE cdc (id INT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector'='filesystem', 'path'='/x', 'format'='debezium-json');
CREATE TABLE k (ws TIMESTAMP(3), we TIMESTAMP(3), id INT, c BIGINT, s BIGINT) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE p (id INT, name STRING, wt TIMESTAMP(3), mx BIGINT, av BIGINT) WITH ('connector'='print');
INSERT INTO p SELECT id, UPPER(name), window_time, MAX(v) AS mx, AVG(v) FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' MINUTE, INTERVAL '1' DAY, INTERVAL '-8' HOUR)) GROUP BY id, name, window_start, window_end, window_time HAVING COUNT(*) > 1;
