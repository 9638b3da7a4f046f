CREATE TABLE orders (id INT, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE shipments (oid INT, status STRING, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE out1 (id INT, amount BIGINT, ots TIMESTAMP(3), sts TIMESTAMP(3)) WITH ('connector'='print');
-- no equi key: one keyless (GLOBAL) interval join, and the bounds merge with a WHERE bound
INSERT INTO out1 SELECT o.id, o.amount, o.ts AS ots, s.ts AS sts FROM orders o, shipments s WHERE o.ts BETWEEN s.ts - INTERVAL '1' HOUR AND s.ts + INTERVAL '1' HOUR AND o.ts >= s.ts - INTERVAL '30' MINUTE;
