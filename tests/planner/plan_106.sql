-- SESSION whose PARTITION BY is not the GROUP BY keys is refused
CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE k (ws TIMESTAMP(3), we TIMESTAMP(3), id INT, name STRING, c BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO k SELECT window_start, window_end, id, name, COUNT(*) FROM TABLE(SESSION(TABLE t PARTITION BY id, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, id, name;
