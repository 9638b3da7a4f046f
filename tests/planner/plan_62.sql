CREATE TABLE orders (id INT, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE shipments (oid INT, status STRING, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE out1 (id INT, amount BIGINT, ots TIMESTAMP(3), sts TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO out1 SELECT o.id, o.amount, o.ts AS ots, s.ts AS sts FROM orders o FULL JOIN shipments s ON o.id = s.oid AND s.ts >= o.ts AND s.ts < o.ts + INTERVAL '1' DAY;
