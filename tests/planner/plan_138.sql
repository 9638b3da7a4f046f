-- multi-column IN, an expression operand (computed below the join) and a correlated IN
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE (a, b) IN (SELECT x, y FROM r);
INSERT INTO s SELECT a, b FROM l WHERE a + 1 IN (SELECT x FROM r);
INSERT INTO s SELECT a, b FROM l WHERE b IN (SELECT y FROM r WHERE r.z = l.c);
