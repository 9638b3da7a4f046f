-- Folding keeps the literal's exact type: DECIMAL scale, DOUBLE, strings, CAST, CASE, a function,
-- TIMESTAMP precision and TIMESTAMP + INTERVAL
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (a DECIMAL(10, 2), b DOUBLE, c STRING, d INT, e STRING, f INT, g TIMESTAMP(3), h TIMESTAMP(3), i BOOLEAN) WITH ('connector' = 'print');
INSERT INTO p SELECT CAST(1.5 AS DECIMAL(10, 2)) + 2, 1.5e0 * 2, UPPER('a©') || 'c', CAST('42' AS INT),
  CASE WHEN 1 > 2 THEN 'x' ELSE 'y' END, CHAR_LENGTH('hello'), TIMESTAMP '2024-01-01 00:00:00.123',
  TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '1' HOUR, NOT (1 = 2) FROM s;
