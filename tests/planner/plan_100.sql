-- top-N over a view: the view's filter lands below the Rank
CREATE TABLE t (id INT, name STRING, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT, name STRING, v BIGINT) WITH ('connector' = 'print');
CREATE VIEW pos AS SELECT id, name, v FROM t WHERE v > 0;
INSERT INTO p SELECT id, name, v FROM (SELECT id, name, v, ROW_NUMBER() OVER (PARTITION BY name ORDER BY v DESC) AS rn FROM pos) WHERE rn <= 3;
