-- an unknown name in WITH ... SELECT is the validator's error, with its location
CREATE TABLE t (id INT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector' = 'print');
INSERT INTO s WITH c AS (SELECT id, v FROM t) SELECT id, v FROM cc;
