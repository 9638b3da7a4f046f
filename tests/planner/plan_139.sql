-- INTERSECT: a GroupAggregate on every column over a LeftSemiJoin on all columns (IS NOT DISTINCT FROM)
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l INTERSECT SELECT x, y FROM r;
