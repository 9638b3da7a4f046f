-- EXISTS in the SELECT list is refused
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, CASE WHEN EXISTS (SELECT * FROM r WHERE r.x = l.a) THEN 'y' ELSE 'n' END FROM l;
