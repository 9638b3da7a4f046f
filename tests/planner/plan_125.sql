CREATE TABLE l (num INT, id STRING, v BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE r (num INT, id STRING, w BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (num INT, lid STRING, rid STRING, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
CREATE TABLE c (num INT, cl BIGINT, cr BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO c SELECT L.num, L.cnt, R.cnt, L.window_start, L.window_end
FROM (SELECT num, window_start, window_end, COUNT(*) AS cnt FROM TABLE(CUMULATE(TABLE l, DESCRIPTOR(row_time), INTERVAL '1' MINUTE, INTERVAL '1' HOUR)) GROUP BY num, window_start, window_end) L
LEFT JOIN (SELECT num, window_start, window_end, COUNT(*) AS cnt FROM TABLE(CUMULATE(TABLE r, DESCRIPTOR(row_time), INTERVAL '1' MINUTE, INTERVAL '1' HOUR)) GROUP BY num, window_start, window_end) R
ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end;
