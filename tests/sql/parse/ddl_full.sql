-- Every part of CREATE TABLE.
CREATE TEMPORARY TABLE IF NOT EXISTS db1.orders (
  order_id BIGINT NOT NULL PRIMARY KEY NOT ENFORCED COMMENT 'the id',
  price DECIMAL(10, 2),
  qty INTEGER,
  total AS price * qty,
  `ts` TIMESTAMP(3),
  ltz TIMESTAMP_LTZ(3),
  tz TIMESTAMP(3) WITH LOCAL TIME ZONE,
  d DATE, t TIME(0), c CHAR(3), v VARCHAR(20), b BOOLEAN, bin BINARY(4), vb VARBINARY(8), by2 BYTES,
  ti TINYINT, si SMALLINT, f FLOAT, dd DOUBLE PRECISION, n NUMERIC,
  tags ARRAY<STRING>, attrs MAP<STRING, INT NOT NULL>, person ROW<name STRING, age INT>, ms MULTISET<INT>,
  ivl INTERVAL DAY TO SECOND(3),
  `partition` BIGINT METADATA VIRTUAL,
  kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  hdrs MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL,
  proc AS PROCTIME(),
  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND
) COMMENT 'orders table'
PARTITIONED BY (d)
WITH (
  'connector' = 'filesystem',
  'path' = 'file:///tmp/it''s',
  'format' = 'json'
);
CREATE TABLE t2 (id INT, name STRING, CONSTRAINT pk PRIMARY KEY (id, name) NOT ENFORCED) WITH ('connector' = 'print');
CREATE TABLE t3 WITH ('connector' = 'blackhole') LIKE t2 (EXCLUDING ALL INCLUDING OPTIONS OVERWRITING WATERMARKS);
