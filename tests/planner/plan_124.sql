CREATE TABLE l (num INT, id STRING, v BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE r (num INT, id STRING, w BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (num INT, lid STRING, rid STRING, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO o SELECT COALESCE(L.num, R.num), L.id, R.id, COALESCE(L.window_start, R.window_start), COALESCE(L.window_end, R.window_end)
FROM TABLE(HOP(TABLE l, DESCRIPTOR(row_time), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) L
FULL OUTER JOIN TABLE(HOP(TABLE r, DESCRIPTOR(row_time), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) R
ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.num = R.num AND L.id = R.id;
