-- LATERAL subqueries are not planned yet
CREATE TABLE t (id INT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT, v BIGINT) WITH ('connector' = 'print');
INSERT INTO p SELECT t.id, q.v FROM t, LATERAL (SELECT v FROM t AS t2 WHERE t2.id = t.id) AS q;
