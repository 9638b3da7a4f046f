-- uncorrelated EXISTS (no key: one parallel instance, the right input reads one column); an IN whose subquery column has another type is cast to the operand's
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE EXISTS (SELECT * FROM r WHERE z > 100);
INSERT INTO s SELECT a, b FROM l WHERE c IN (SELECT x FROM r);
