-- SESSION gap must be positive
CREATE TABLE t (id INT, name STRING, v BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE k (ws TIMESTAMP(3), we TIMESTAMP(3), id INT, c BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO k SELECT window_start, window_end, id, COUNT(*) FROM TABLE(SESSION(TABLE t, DESCRIPTOR(ts), INTERVAL '0' SECOND)) GROUP BY window_start, window_end, id;
