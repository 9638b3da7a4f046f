-- IN (subquery) in WHERE: a LeftSemiJoin keyed on the IN column; the other terms filter the left input
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE a IN (SELECT x FROM r WHERE z > 10) AND c > 5;
