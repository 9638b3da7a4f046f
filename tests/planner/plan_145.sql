-- a correlation two query levels up is refused
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE a IN (SELECT x FROM r WHERE EXISTS (SELECT * FROM r r2 WHERE r2.z = l.c));
