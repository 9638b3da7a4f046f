-- NOT EXISTS: a LeftAntiJoin, updating (a row leaves when its first match arrives)
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.z = l.c) AND b IS NOT NULL;
