-- views: a view with a column list, a temporary view over it, both inlined; a filter on the view
-- moves into the scan side; DROP VIEW afterwards does not change the INSERT planned before it
CREATE TABLE t (id INT, name STRING, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
CREATE VIEW named (k, label, amount) AS SELECT id, UPPER(name), v FROM t WHERE v > 0;
CREATE TEMPORARY VIEW top AS SELECT k, label FROM named WHERE amount < 100;
INSERT INTO s SELECT k, label FROM top WHERE k = 3;
DROP VIEW top;
DROP VIEW named;
