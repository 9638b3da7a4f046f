-- UNION (distinct) into a print sink; parallelism 2: the union runs at 2 and hashes into the aggregate
SET 'parallelism.default' = '2';
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE c (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT id, name FROM a UNION SELECT id, name FROM b UNION ALL SELECT id, name FROM c;
INSERT INTO p SELECT id, name FROM a UNION (SELECT id, name FROM b UNION ALL SELECT id, name FROM c);
