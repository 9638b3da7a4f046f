CREATE TABLE l (num INT, id STRING, v BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE r (num INT, id STRING, w BIGINT, row_time TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (num INT, lid STRING, rid STRING, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO o SELECT a.num, a.id, c.id, c.window_start, c.window_end
FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(row_time), INTERVAL '5' MINUTES)) a
JOIN TABLE(TUMBLE(TABLE r, DESCRIPTOR(row_time), INTERVAL '5' MINUTES)) b ON a.window_start = b.window_start AND a.window_end = b.window_end
RIGHT JOIN TABLE(TUMBLE(TABLE r, DESCRIPTOR(row_time), INTERVAL '5' MINUTES)) c ON a.window_start = c.window_start AND a.window_end = c.window_end AND b.num = c.num;
