CREATE TABLE orders (id INT, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE shipments (oid INT, status STRING, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE out1 (id INT, amount BIGINT, ots TIMESTAMP(3), sts TIMESTAMP(3)) WITH ('connector'='print');
INSERT INTO out1 SELECT o.id, o.amount, o.ts AS ots, s.ts AS sts FROM orders o LEFT JOIN shipments s ON o.id = s.oid AND o.ts > s.ts - INTERVAL '10' MINUTE AND o.ts <= s.ts + INTERVAL '1:30' MINUTE TO SECOND AND o.amount > CHAR_LENGTH(s.status);
