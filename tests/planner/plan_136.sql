-- correlated EXISTS: the equality correlation is the key, the other correlated term the residual, the subquery's own term filters it
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE EXISTS (SELECT * FROM r WHERE r.x = l.a AND r.y <> l.b AND z > 3);
