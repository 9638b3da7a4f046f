CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (item STRING, supplier STRING, total INT) WITH ('connector'='print');
-- top-N over an updating input without the row number, partitioned
INSERT INTO o SELECT item, supplier, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY supplier ORDER BY total DESC) AS rn FROM (
    SELECT item, supplier, SUM(price) AS total FROM bid GROUP BY item, supplier))
WHERE rn <= 2;
