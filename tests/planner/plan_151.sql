CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (item STRING, price INT, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector'='print');
-- window deduplication, keep the first row of each window (no partition key beyond the window)
INSERT INTO o SELECT item, price, window_start, window_end FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bidtime ASC) AS rn
  FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES)))
WHERE rn = 1;
