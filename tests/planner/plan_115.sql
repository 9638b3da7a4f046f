-- the Abstract Syntax Tree of a window aggregate over a window table function: LogicalAggregate
-- grouping on window_start and window_end of the LogicalTableFunctionScan (HOP, its rowType),
-- which reads the table through its computed column and LogicalWatermarkAssigner; the WHERE is a
-- LogicalFilter over the function's rows. EXPLAIN as a statement of the script explains the same.
CREATE TABLE clicks (user_id INT, url STRING, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'datagen');
CREATE TABLE out1 (ws TIMESTAMP(3), we TIMESTAMP(3), user_id INT, n BIGINT) WITH ('connector' = 'print');
EXPLAIN INSERT INTO out1
SELECT window_start, window_end, user_id, COUNT(url)
FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
WHERE url LIKE 'https:%'
GROUP BY window_start, window_end, user_id;
