-- UNION ALL of types without a common type: the validator's error
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT, flag BOOLEAN) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT id, name FROM a UNION ALL SELECT id, flag FROM b;
