-- SESSION without PARTITION BY: the GROUP BY keys are the session key; processing time
CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE k (id INT, name STRING, ws TIMESTAMP(3), we TIMESTAMP(3), s BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO k SELECT id, name, window_start, window_end, SUM(v) FROM TABLE(SESSION(TABLE t, DESCRIPTOR(pt), INTERVAL '30' SECOND)) GROUP BY window_start, window_end, id, name;
