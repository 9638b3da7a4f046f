-- a window table function over a CTE is not planned yet
CREATE TABLE t (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT, c BIGINT) WITH ('connector' = 'print');
INSERT INTO p WITH w AS (SELECT id, ts FROM t)
SELECT id, COUNT(*) FROM TABLE(TUMBLE(TABLE w, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY id, window_start, window_end;
