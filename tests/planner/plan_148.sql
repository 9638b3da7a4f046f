CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (ws TIMESTAMP(3), we TIMESTAMP(3), supplier STRING, price INT, cnt BIGINT, rn BIGINT) WITH ('connector'='print');
-- window top-N over a window aggregate: the top 3 suppliers of each 10-minute window
INSERT INTO o SELECT window_start, window_end, supplier, price, cnt, rownum FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rownum FROM (
    SELECT window_start, window_end, supplier, SUM(price) AS price, COUNT(*) AS cnt
    FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
    GROUP BY window_start, window_end, supplier))
WHERE rownum <= 3;
