CREATE TABLE t (id INT, name STRING, v BIGINT, person ROW<first STRING, age INT>) WITH ('connector'='datagen');
CREATE TABLE u (id INT NOT NULL, w BIGINT, z STRING) WITH ('connector'='datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='print');
INSERT INTO s SELECT id, v FROM (SELECT * FROM t);
