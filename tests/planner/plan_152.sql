CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (supplier STRING, total INT, rn BIGINT) WITH ('connector'='print');
-- top-N over an updating input (a GROUP BY): RetractStrategy, updating output
INSERT INTO o SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY total DESC) AS rn FROM (
    SELECT supplier, SUM(price) AS total FROM bid GROUP BY supplier))
WHERE rn <= 3;
