CREATE TABLE l (num INT, id STRING, v BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE r (num INT, id STRING, w BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (num INT, lid STRING, rid STRING, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO o SELECT L.num, L.id, R.id, L.window_start, L.window_end
FROM (SELECT * FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(pt), INTERVAL '5' MINUTES))) L
JOIN (SELECT * FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(pt), INTERVAL '5' MINUTES))) R
ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end;
