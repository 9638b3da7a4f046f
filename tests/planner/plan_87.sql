-- DROP VIEW of a table is an error pointing at the name
CREATE TABLE t (id INT) WITH ('connector' = 'datagen');
DROP VIEW t;
