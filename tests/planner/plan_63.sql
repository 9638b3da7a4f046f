CREATE TABLE orders (id INT, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE shipments (oid INT, status STRING, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE out1 (id INT, amount BIGINT, ots TIMESTAMP(3), sts TIMESTAMP(3)) WITH ('connector'='print');
-- one bound only, or a processing-time attribute: a regular join
INSERT INTO out1 SELECT o.id, o.amount, o.ts AS ots, s.ts AS sts FROM orders o JOIN shipments s ON o.id = s.oid AND o.ts >= s.ts - INTERVAL '4' HOUR;
INSERT INTO out1 SELECT o.id, o.amount, o.ts AS ots, s.ts AS sts FROM orders o JOIN shipments s ON o.id = s.oid AND CAST(o.ts AS TIMESTAMP_LTZ(3)) BETWEEN s.pt - INTERVAL '4' HOUR AND s.pt;
