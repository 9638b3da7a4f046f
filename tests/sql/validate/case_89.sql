CREATE TABLE l (a INT, b STRING) WITH ('connector'='datagen');
CREATE TABLE r (x INT, y STRING) WITH ('connector'='datagen');
SELECT a FROM l WHERE (a, b) IN (SELECT x, x FROM r);
