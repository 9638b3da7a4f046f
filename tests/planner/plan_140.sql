-- EXCEPT: the same over a LeftAntiJoin; an updating subquery input (an aggregate) under IN
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l EXCEPT SELECT x, y FROM r WHERE z > 0;
INSERT INTO s SELECT a, b FROM l WHERE a IN (SELECT x FROM r GROUP BY x HAVING COUNT(*) > 2);
