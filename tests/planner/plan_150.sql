CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
-- window deduplication, keep the last row of each supplier per window
INSERT INTO o SELECT item, supplier, price, bidtime, window_start, window_end FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, supplier ORDER BY bidtime DESC) AS rn
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)))
WHERE rn <= 1;
