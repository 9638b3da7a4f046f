-- SESSION window aggregate: PARTITION BY the group key, DISTINCT, window_time
CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE k (ws TIMESTAMP(3), we TIMESTAMP(3), wt TIMESTAMP(3), id INT, c BIGINT, n BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO k SELECT window_start, window_end, window_time, id, COUNT(*), COUNT(DISTINCT name) FROM TABLE(SESSION(TABLE t PARTITION BY id, DESCRIPTOR(ts), INTERVAL '10' MINUTE)) GROUP BY window_start, window_end, window_time, id;
