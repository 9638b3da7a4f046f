-- WITH: a CTE with a column list, chained CTEs; the filters reach the scans and only read columns are scanned
CREATE TABLE orders (id INT, user_id INT, amount BIGINT, note STRING) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector' = 'print');
INSERT INTO s
WITH big (oid, uid, amt) AS (SELECT id, user_id, amount FROM orders WHERE amount > 100),
     mine AS (SELECT oid, amt * 2 AS amt2 FROM big WHERE uid = 7)
SELECT oid, amt2 FROM mine WHERE oid IS NOT NULL;
