CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (item STRING, supplier STRING, price INT, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
-- window top-N directly over a window table function, per supplier, without the row number
INSERT INTO o SELECT item, supplier, price, window_start, window_end FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, supplier ORDER BY price DESC) AS rn
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES)))
WHERE rn <= 2;
