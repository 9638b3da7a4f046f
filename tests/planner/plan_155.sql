-- RANK() over an updating input is refused (only ROW_NUMBER() ranks updating input)
CREATE TABLE bid (item STRING, supplier STRING, price INT, bidtime TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector'='datagen');
CREATE TABLE o (supplier STRING, total INT) WITH ('connector'='print');
INSERT INTO o SELECT supplier, total FROM (
  SELECT *, RANK() OVER (ORDER BY total DESC) AS rn FROM (
    SELECT supplier, SUM(price) AS total FROM bid GROUP BY supplier))
WHERE rn <= 3;
