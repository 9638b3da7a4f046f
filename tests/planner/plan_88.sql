-- a view reading an unknown table is an error when it is created
CREATE TABLE t (id INT) WITH ('connector' = 'datagen');
CREATE VIEW v AS SELECT id FROM tt;
