-- Deduplicate over an updating input is refused (Flink's message)
CREATE TABLE cdc (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector'='filesystem', 'path'='/x', 'format'='debezium-json');
CREATE TABLE o (k STRING, v INT, ts TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO o SELECT k, v, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM cdc)
WHERE rn = 1;
